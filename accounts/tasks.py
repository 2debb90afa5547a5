"""Email delivery from the outbox (accounts.models.OutboundEmail)."""

from __future__ import annotations

import logging

from celery import shared_task
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.utils import timezone

from accounts.models import OutboundEmail
from core.tasks import single_flight
from core.validators import single_line

logger = logging.getLogger(__name__)
MAX_ATTEMPTS = 10


def deliver(email_id: int) -> bool:
    """Send one pending email and mark it sent, in one transaction.

    The row is locked with SKIP LOCKED, so the on-commit task and the periodic
    sweep never send the same email twice at once; a sent email is never sent
    again. Returns whether this call sent it.
    """
    with transaction.atomic():
        email = (
            OutboundEmail.objects.select_for_update(skip_locked=True)
            .filter(pk=email_id, status=OutboundEmail.Status.PENDING)
            .first()
        )
        if email is None:
            return False
        # Folded again for rows queued before email_queue folded subjects.
        subject = single_line(email.subject)
        message = EmailMultiAlternatives(subject, email.body, to=[email.to])
        if email.html_body:
            message.attach_alternative(email.html_body, "text/html")
        email.attempts += 1
        try:
            message.send()
        except Exception as error:  # noqa: BLE001 - recorded and retried by the sweep
            email.last_error = f"{type(error).__name__}: {error}"[:2000]
            if email.attempts >= MAX_ATTEMPTS:
                email.status = OutboundEmail.Status.FAILED
            email.save(update_fields=["attempts", "last_error", "status"])
            logger.warning("email %s not sent: %s", email.pk, email.last_error)
            return False
        email.status = OutboundEmail.Status.SENT
        email.sent_at = timezone.now()
        email.save(update_fields=["attempts", "status", "sent_at"])
        return True


@shared_task(acks_late=True)
def send_email(email_id: int) -> bool:
    """Send one outbox email. Running it twice is harmless: a sent email is skipped."""
    return deliver(email_id)


@shared_task(acks_late=True)
@single_flight("accounts.send_pending_emails")
def send_pending_emails(limit: int = 500) -> int:
    """Sweep the outbox for emails still pending (broker was down, SMTP failed).

    Safe to run at any time and concurrently with send_email: each email is
    locked while it is sent and skipped once sent. Returns how many it sent.
    """
    ids = list(
        OutboundEmail.objects.filter(status=OutboundEmail.Status.PENDING)
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(deliver(pk) for pk in ids)
