"""Account pages beyond allauth's: the profile and choosing a public body."""

from __future__ import annotations

from allauth.account.models import EmailAddress
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme

from accounts import permissions, selectors, services
from accounts.forms import PublicBodyForm


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    user = request.user
    return render(
        request,
        "accounts/profile.html",
        {
            "profile_user": user,
            "email_addresses": EmailAddress.objects.filter(user=user).order_by("-primary", "email"),
            "is_civil_servant": permissions.is_civil_servant(user),
            "is_moderator": permissions.is_moderator(user),
            "needs_public_body": permissions.needs_public_body(user),
        },
    )


def _next_url(request: HttpRequest) -> str | None:
    url = request.POST.get("next") or request.GET.get("next")
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return None


@login_required
def public_body(request: HttpRequest) -> HttpResponse:
    """A civil servant says which public body they work for (and may change it later)."""
    user = request.user
    if not permissions.can_choose_public_body(user):
        raise PermissionDenied("Only civil servants choose a public body.")
    initial = {"public_body": user.public_body or selectors.public_body_suggested_for(user)}
    form = PublicBodyForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        services.user_set_public_body(
            actor=user, user=user, public_body=form.cleaned_data["public_body"]
        )
        messages.success(request, f"You work for {user.public_body.name}.")
        return redirect(_next_url(request) or "home")
    return render(request, "accounts/public_body.html", {"form": form, "next": _next_url(request)})
