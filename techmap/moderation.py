"""The moderator home page: what waits, with links to where it is done (admin)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.permissions import is_moderator
from suppliers.selectors.moderation import moderation_waiting, moderation_waiting_total


@login_required
@require_GET
def moderation_home(request: HttpRequest) -> HttpResponse:
    """``/moderation/``: moderators only (403 for everyone else signed in)."""
    if not is_moderator(request.user):
        raise PermissionDenied
    waiting = moderation_waiting()
    return render(
        request,
        "moderation/home.html",
        {"waiting": waiting, "total": moderation_waiting_total(waiting)},
    )
