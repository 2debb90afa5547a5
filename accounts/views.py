"""Account pages beyond allauth's: the profile and choosing a public body."""

from __future__ import annotations

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from accounts import permissions, selectors, services
from accounts.forms import FeedbackForm, PublicBodyForm
from accounts.models import PublicBodyMembership
from core.errors import DomainError
from core.forms import apply_domain_error


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
            # Each organisation the user acts for, linked from here (through the related
            # name: accounts sits below suppliers and does not import it).
            "memberships": user.supplier_memberships.select_related("supplier").order_by(
                "supplier__name"
            ),
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
    """A civil servant says which public body they work for (and may change it later).

    A body on the domain of one of their verified addresses is theirs at once; any
    other is a request that a moderator approves, with no buyer powers until then.
    """
    user = request.user
    if not permissions.can_choose_public_body(user):
        raise PermissionDenied("Only civil servants choose a public body.")
    membership = selectors.open_membership_of(user)
    initial = {
        "public_body": (membership.public_body if membership else None)
        or selectors.public_body_suggested_for(user)
    }
    form = PublicBodyForm(
        request.POST if request.method == "POST" else None,
        initial=initial,
        first=selectors.public_bodies_on_domains_of(user),
    )
    if request.method == "POST" and form.is_valid():
        membership = services.public_body_request(
            actor=user, user=user, public_body=form.cleaned_data["public_body"]
        )
        if membership.status == PublicBodyMembership.Status.ACTIVE:
            messages.success(request, f"You work for {membership.public_body.name}.")
            return redirect(_next_url(request) or "user_home")
        messages.info(
            request,
            f"A moderator will check that you work for {membership.public_body.name}. "
            "Until then you cannot act for a public body.",
        )
        return redirect("accounts:public_body")
    pending = (
        membership
        if membership is not None and membership.status == PublicBodyMembership.Status.PENDING
        else None
    )
    return render(
        request,
        "accounts/public_body.html",
        {"form": form, "next": _next_url(request), "pending": pending},
    )


def signin_locked(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """django-axes' lockout answer (AXES_LOCKOUT_CALLABLE): a GOV.UK page, 429 Too Many Requests.

    It names neither the account nor the address, and says how long to wait.
    """
    cool_off = settings.AXES_COOLOFF_TIME
    minutes = max(1, round(cool_off.total_seconds() / 60)) if cool_off else 15
    return render(request, "accounts/signin_locked.html", {"minutes": minutes}, status=429)


def signin_username(request: HttpRequest, credentials: dict | None) -> str:
    """The account a sign-in names (AXES_USERNAME_CALLABLE), for the per-account limit.

    allauth authenticates with ``email=``, Django admin with ``username=``; both forms post
    the address (``login`` and ``username``). Lower-cased so case cannot dodge the count.
    """
    credentials = credentials or {}
    value = (
        credentials.get("email")
        or credentials.get("username")
        or request.POST.get("login")
        or request.POST.get("username")
        or ""
    )
    return str(value).strip().lower()


def signin_client_ip(request: HttpRequest) -> str:
    """The client address for the per-IP limit (AXES_CLIENT_IP_CALLABLE).

    The API throttle's rule: ``X-Forwarded-For`` counts only with ``NUM_PROXIES`` trusted
    proxies configured; otherwise the connection's own address, which a client cannot forge.
    """
    from rest_framework.throttling import BaseThrottle

    return BaseThrottle().get_ident(request)


@require_http_methods(["GET", "POST"])
def feedback(request: HttpRequest) -> HttpResponse:
    """``/feedback/``: the beta banner's feedback form, for anyone; works without JavaScript.

    Each address may send ``FEEDBACK_PER_HOUR`` a hour (a cache count), so the form cannot
    be used to flood the feedback inbox.
    """
    if request.method == "GET" and request.GET.get("sent"):
        return render(request, "accounts/feedback_sent.html")
    page = request.GET.get("from", "") if request.method == "GET" else None
    form = FeedbackForm(request.POST if request.method == "POST" else None, initial={"page": page})
    if request.method == "POST" and form.is_valid():
        key = f"feedback-sent:{signin_client_ip(request)}"
        cache.add(key, 0, timeout=3600)
        try:
            sent = cache.incr(key)
        except ValueError:  # the cache lost the key (or is down): let it through
            sent = 1
        if sent > settings.FEEDBACK_PER_HOUR:
            form.add_error(None, "You have sent a lot of feedback this hour. Try again later.")
        else:
            try:
                services.feedback_send(
                    actor=request.user,
                    satisfaction=form.cleaned_data["satisfaction"],
                    improve=form.cleaned_data["improve"],
                    page=form.cleaned_data["page"],
                )
            except DomainError as error:
                apply_domain_error(form, error)
            else:
                return redirect(reverse("feedback") + "?sent=1")
    return render(request, "accounts/feedback.html", {"form": form})
