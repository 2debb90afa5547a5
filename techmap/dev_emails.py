"""/dev/emails/: the emails the site sent, readable in the browser (development only).

Outside production nothing is delivered (``EMAIL_BACKEND`` is Django's dummy backend),
so a newcomer reads the outbox (``accounts.OutboundEmail``) here instead, newest first,
with every link working: links follow ``SITE_URL``, which follows ``make run``'s PORT.
The pages are a 404 unless ``DEBUG`` is on or ``DJANGO_ENV`` is ``development``, and
always in production.
"""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

PAGE_SIZE = 100


def enabled() -> bool:
    """True in development (or with DEBUG on), never in production."""
    if settings.PRODUCTION:
        return False
    return bool(settings.DEBUG or settings.DJANGO_ENV == "development")


def _require_enabled() -> None:
    if not enabled():
        raise Http404


def email_list(request: HttpRequest) -> HttpResponse:
    """The newest emails first, with who they went to and whether they were sent."""
    _require_enabled()
    from accounts.models import OutboundEmail

    emails = OutboundEmail.objects.order_by("-created_at", "-pk").only(
        "to", "subject", "status", "created_at"
    )[:PAGE_SIZE]
    return render(
        request,
        "techmap/dev_emails.html",
        {"emails": emails, "total": OutboundEmail.objects.count(), "page_size": PAGE_SIZE},
    )


def email_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One email: its text with links made clickable, and its HTML version if it has one."""
    _require_enabled()
    from accounts.models import OutboundEmail

    email = get_object_or_404(OutboundEmail, pk=pk)
    return render(request, "techmap/dev_email.html", {"email": email})
