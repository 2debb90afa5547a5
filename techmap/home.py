"""``/home/``: each signed-in user's home, put together from the apps' own selectors.

It lives here, in the wiring layer, because it is the one page that reads from every
app: ``engagement`` and ``reporting`` may not import each other, and ``innovation_den``
(the top app) owning a page about contracts and engagement would make it the place for
everything. Like ``/moderation/`` beside it, the view only calls each app's
``home_items(user)`` (and the moderation counts of ``suppliers.selectors.moderation``)
and renders; every rule about what waits stays in its app.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.permissions import is_civil_servant, is_moderator, needs_public_body
from engagement import selectors as engagement_selectors
from innovation_den import selectors as den_selectors
from reporting import selectors as reporting_selectors
from suppliers.selectors import home as supplier_home
from suppliers.selectors.moderation import moderation_waiting, moderation_waiting_total


@login_required
@require_GET
def user_home(request: HttpRequest) -> HttpResponse:
    user = request.user
    items = [
        *supplier_home.home_items(user),
        *engagement_selectors.home_items(user),
        *reporting_selectors.home_items(user),
        *den_selectors.home_items(user),
    ]
    groups: dict[str, list] = {}
    for item in items:
        groups.setdefault(item.group, []).append(item)
    moderator = is_moderator(user)
    waiting = moderation_waiting() if moderator else []
    organisations = supplier_home.organisations(user)
    invitations = supplier_home.invitations(user)
    return render(
        request,
        "home/user_home.html",
        {
            "organisations": organisations,
            "invitations": invitations,
            "groups": groups,
            "attention_total": len(invitations)
            + sum(item.count for item in items if item.needs_action),
            "is_civil_servant": is_civil_servant(user),
            "needs_public_body": needs_public_body(user),
            "is_moderator": moderator,
            "waiting": waiting,
            "waiting_total": moderation_waiting_total(waiting) if moderator else 0,
            # Someone with no organisation and no other role may register one.
            "may_register": not organisations and not is_civil_servant(user) and not moderator,
        },
    )
