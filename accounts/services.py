"""Account writes: civil-servant status, public body, and the email outbox."""

from __future__ import annotations

import logging
import re

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from accounts import permissions
from accounts.models import OutboundEmail, PublicBody, User
from accounts.tasks import send_email
from core.errors import DomainError
from core.tasks import enqueue_on_commit


def email_queue(
    *, to: str, subject: str, body: str, html_body: str = "", dedupe_key: str | None = None
) -> OutboundEmail:
    """Write an email to the outbox and send it through Celery once the transaction commits.

    With ``dedupe_key``, queuing the same email twice returns the first one, so a
    retried service never emails twice. If the broker is down the row stays
    pending and ``send_pending_emails`` sends it later.
    """
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
    enqueue_on_commit("accounts.tasks.send_email", email.pk)
    return email


def email_send_now(*, actor: User, email: OutboundEmail) -> bool:
    """Send one outbox email now, in this process (the admin's "send now" action).

    Before: ``actor`` is a moderator, else PermissionDenied. A FAILED email is put
    back to PENDING with its attempts reset first, so it gets a fresh run of
    retries. After: the email is SENT, or still PENDING with ``last_error`` set.
    A SENT email is never sent again. Returns whether this call sent it.
    """
    if not permissions.can_manage_outbox(actor):
        raise PermissionDenied("Only moderators manage the outbox.")
    with transaction.atomic():
        requeued = OutboundEmail.objects.filter(
            pk=email.pk, status=OutboundEmail.Status.FAILED
        ).update(status=OutboundEmail.Status.PENDING, attempts=0)
    if requeued:
        logging.getLogger(__name__).info("email %s requeued by %s", email.pk, actor.pk)
    # The task function itself, run inline: same locking and bookkeeping as the worker.
    return send_email(email.pk)


def user_email_verified(*, user: User, email: str) -> User:
    """Record that ``user`` confirmed ``email``; on a government domain they become a civil servant.

    Before: allauth has marked the address verified (the adapter calls this).
    After: ``civil_servant_since`` is set if the address is on ``GOV_EMAIL_DOMAINS``
    (sub-domains match) and was not set already; nothing changes otherwise, so
    calling it twice is harmless. The change is kept in the user's history.
    """
    if not permissions.is_gov_email(email):
        return user
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        if locked.civil_servant_since is None:
            locked.civil_servant_since = timezone.now()
            locked._change_reason = f"Confirmed government address {email}"
            locked.save(update_fields=["civil_servant_since"])
    user.civil_servant_since = locked.civil_servant_since
    return user


def user_set_public_body(*, actor: User, user: User, public_body: PublicBody) -> User:
    """A civil servant chooses the public body they work for (a moderator may correct it).

    Before: ``user`` is a civil servant; ``actor`` is ``user`` or a moderator,
    else PermissionDenied. After: ``user.public_body`` is ``public_body``, with
    the change in the user's history.
    """
    if not permissions.can_set_public_body_for(actor, user):
        raise PermissionDenied("You can only choose your own public body.")
    if not permissions.can_choose_public_body(user):
        raise PermissionDenied("Only civil servants choose a public body.")
    with transaction.atomic():
        user.public_body = public_body
        user._change_reason = f"Public body set to {public_body.name}"
        user.save(update_fields=["public_body"])
    return user


# --- Public bodies ---------------------------------------------------------------------

PUBLIC_BODY_FIELDS = {"name", "slug", "kind", "email_domain"}
_DOMAIN_RE = re.compile(r"^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,}$")


def _clean_public_body(public_body: PublicBody, changes: dict) -> dict:
    errors: dict[str, str] = {}
    cleaned = dict(changes)
    if "name" in cleaned:
        cleaned["name"] = " ".join((cleaned["name"] or "").split())
        if not cleaned["name"]:
            errors["name"] = "Enter the public body's name"
        elif (
            PublicBody.objects.filter(name__iexact=cleaned["name"])
            .exclude(pk=public_body.pk)
            .exists()
        ):
            errors["name"] = "A public body with that name already exists"
    if "slug" in cleaned or public_body.pk is None:
        cleaned["slug"] = slugify(cleaned.get("slug") or cleaned.get("name") or "")
    if "email_domain" in cleaned:
        domain = (cleaned["email_domain"] or "").strip().lower().removeprefix("@")
        if domain and not _DOMAIN_RE.match(domain):
            errors["email_domain"] = "Enter a domain such as cabinetoffice.gov.uk"
        cleaned["email_domain"] = domain
    if "kind" in cleaned and cleaned["kind"] not in PublicBody.Kind.values:
        errors["kind"] = "Select the kind of public body"
    if errors:
        raise DomainError(errors)
    return cleaned


def public_body_create(
    *,
    actor: User,
    name: str,
    kind: str = PublicBody.Kind.MINISTERIAL,
    email_domain: str = "",
    slug: str = "",
) -> PublicBody:
    """A moderator adds a public body to the list civil servants choose from.

    Before: ``actor`` is a moderator, else PermissionDenied; the name is new (whatever its
    case) and the domain, if any, looks like one (a leading "@" is dropped). After: the
    body exists, with a slug from its name unless one is given, and its history.
    """
    if not permissions.can_manage_public_bodies(actor):
        raise PermissionDenied("Only moderators manage public bodies.")
    body = PublicBody()
    fields = _clean_public_body(
        body, {"name": name, "kind": kind, "email_domain": email_domain, "slug": slug}
    )
    with transaction.atomic():
        for field, value in fields.items():
            setattr(body, field, value)
        body._history_user = actor
        body._change_reason = "Public body added"
        body.save()
    return body


def public_body_update(*, actor: User, public_body: PublicBody, **changes) -> PublicBody:
    """A moderator corrects a public body's name, slug, kind or email domain.

    Same rules as :func:`public_body_create`. Whether it came from public records is
    the importers' to say, not a field changed here.
    """
    unknown = set(changes) - PUBLIC_BODY_FIELDS
    if unknown:
        raise ValueError(f"Not a public body field: {', '.join(sorted(unknown))}")
    if not permissions.can_manage_public_bodies(actor):
        raise PermissionDenied("Only moderators manage public bodies.")
    fields = _clean_public_body(public_body, changes)
    with transaction.atomic():
        body = PublicBody.objects.select_for_update().get(pk=public_body.pk)
        for field, value in fields.items():
            setattr(body, field, value)
        body._history_user = actor
        body._change_reason = "Public body changed"
        body.save()
    return body
