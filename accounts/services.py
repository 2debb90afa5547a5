"""Account writes: civil-servant status, public body, and the email outbox."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts import permissions
from accounts.models import OutboundEmail, PublicBody, User


def email_queue(
    *, to: str, subject: str, body: str, html_body: str = "", dedupe_key: str | None = None
) -> OutboundEmail:
    """Write an email to the outbox and send it through Celery once the transaction commits.

    With ``dedupe_key``, queuing the same email twice returns the first one, so a
    retried service never emails twice. If the broker is down the row stays
    pending and ``send_pending_emails`` sends it later.
    """
    from accounts.tasks import send_email

    if dedupe_key:
        existing = OutboundEmail.objects.filter(dedupe_key=dedupe_key).first()
        if existing:
            return existing
    try:
        with transaction.atomic():
            email = OutboundEmail.objects.create(
                to=to, subject=subject, body=body, html_body=html_body, dedupe_key=dedupe_key
            )
    except IntegrityError:  # a concurrent call queued the same key first
        return OutboundEmail.objects.get(dedupe_key=dedupe_key)
    transaction.on_commit(lambda: _enqueue(send_email, email.pk))
    return email


def _enqueue(task, *args) -> None:
    """Hand a task to the broker; if it is down the periodic sweep picks the work up."""
    import logging

    try:
        task.delay(*args)
    except Exception:
        logging.getLogger(__name__).warning(
            "broker unavailable; %s(%s) left for the sweep", task.name, args, exc_info=True
        )


def user_email_verified(*, user: User, email: str) -> User:
    """Record a verified address; on a government domain the user becomes a civil servant."""
    if permissions.is_gov_email(email) and user.civil_servant_since is None:
        user.civil_servant_since = timezone.now()
        user.save(update_fields=["civil_servant_since"])
    return user


def user_set_public_body(*, actor: User, user: User, public_body: PublicBody) -> User:
    """A civil servant chooses the public body they work for."""
    if actor != user and not permissions.is_moderator(actor):
        raise PermissionDenied("You can only choose your own public body.")
    if not permissions.can_choose_public_body(user):
        raise PermissionDenied("Only civil servants choose a public body.")
    user.public_body = public_body
    user.save(update_fields=["public_body"])
    return user
