"""Account writes: civil-servant status, public-body membership, public bodies, the outbox."""

from __future__ import annotations

import logging
import re

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from accounts import permissions, selectors
from accounts.models import OutboundEmail, PublicBody, PublicBodyMembership, User
from accounts.tasks import send_email
from core.errors import DomainError
from core.forms import too_long_message
from core.tasks import enqueue_on_commit
from core.validators import single_line


def email_queue(
    *, to: str, subject: str, body: str, html_body: str = "", dedupe_key: str | None = None
) -> OutboundEmail:
    """Write an email to the outbox and send it through Celery once the transaction commits.

    With ``dedupe_key``, queuing the same email twice returns the first one, so a
    retried service never emails twice. If the broker is down the row stays
    pending and ``send_pending_emails`` sends it later.

    A line break in ``subject`` (a title stored before titles were kept to one line) is
    folded to a space: Django refuses to send such a header, which stopped every email
    built from that title.
    """
    subject = single_line(subject)
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


def moderator_add(*, user: User) -> User:
    """Make ``user`` a moderator: staff, and a member of the Moderators group.

    Before: the group exists (the data migration ``0009_moderators_group`` creates it with
    the moderators' permissions). After: ``permissions.is_moderator(user)`` is true while
    the user is active. Running it again changes nothing. For seeding and tests; in the
    running service an operator (a superuser) adds people to the group in admin.
    """
    group = Group.objects.get(name=permissions.MODERATORS_GROUP)
    if not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    user.groups.add(group)
    user.__dict__.pop("_is_moderator", None)
    return user


def user_email_verified(*, user: User, email: str) -> User:
    """Record that ``user`` confirmed ``email``; on a government domain they become a civil servant.

    Before: allauth has marked the address verified (the adapter calls this).
    After: ``civil_servant_since`` is set if the address is on ``GOV_EMAIL_DOMAINS``
    (sub-domains match), was not set already and no moderator has revoked the status;
    nothing changes otherwise, so calling it twice is harmless. The change is kept in the
    user's history. No public body comes with it: that is :func:`public_body_request`.
    """
    if not permissions.is_gov_email(email):
        return user
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        if locked.civil_servant_since is None and locked.civil_servant_revoked_at is None:
            locked.civil_servant_since = timezone.now()
            locked._change_reason = f"Confirmed government address {email}"
            locked.save(update_fields=["civil_servant_since"])
    user.civil_servant_since = locked.civil_servant_since
    return user


# --- Public-body membership -------------------------------------------------------------
#
# User.public_body is the body a civil servant may act for. Only these functions set it,
# and only to the body of an ACTIVE PublicBodyMembership; every way a membership ends
# clears it in the same transaction. Reporting, engagement and the den read nothing else.


def _end_membership(
    membership: PublicBodyMembership, *, status: str, reason: str, actor: User | None = None
) -> None:
    now = timezone.now()
    membership.status = status
    membership.reason = reason
    membership.ended_at = now
    if actor is not None:
        membership.decided_by = actor
        membership.decided_at = now
        membership._history_user = actor
    membership._change_reason = reason
    membership.save()


def _set_user_body(user: User, body: PublicBody | None, *, reason: str, actor=None) -> None:
    if user.public_body_id == (body.pk if body else None):
        return
    user.public_body = body
    user._change_reason = reason
    if actor is not None:
        user._history_user = actor
    user.save(update_fields=["public_body"])


def public_body_request(
    *, actor: User, user: User, public_body: PublicBody
) -> PublicBodyMembership:
    """A civil servant says which public body they work for: at once, or for a moderator.

    Before: ``actor`` is ``user`` (nobody asks for someone else) and a civil servant, else
    PermissionDenied. After: if one of ``user``'s verified addresses is on the body's own
    domain (see ``selectors.public_body_verified_by``) the membership is ACTIVE and
    ``user.public_body`` is the body; otherwise it is PENDING, ``user.public_body`` is
    None, and the user has no buyer powers until a moderator approves it.

    A change of body ends the open membership at once, even one a domain still proves:
    someone who says they now work elsewhere acts for neither body until the new one is
    proved or approved (asking for the old body again, if a domain proves it, is
    immediate). Asking again for the body of the open membership changes nothing.
    """
    if not permissions.can_request_public_body_for(actor, user):
        raise PermissionDenied("You can only say which public body you work for yourself.")
    if not permissions.can_choose_public_body(user):
        raise PermissionDenied("Only civil servants choose a public body.")
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        current = selectors.open_membership_of(locked)
        if current is not None and current.public_body_id == public_body.pk:
            return current
        if current is not None:
            _end_membership(
                current,
                status=PublicBodyMembership.Status.ENDED,
                reason=f"Changed public body to {public_body.name}",
            )
        evidence = selectors.verifying_email(locked, public_body)
        membership = PublicBodyMembership(user=locked, public_body=public_body)
        if evidence:
            membership.status = PublicBodyMembership.Status.ACTIVE
            membership.basis = PublicBodyMembership.Basis.DOMAIN
            membership.email = evidence
            membership.decided_at = timezone.now()
            membership._change_reason = f"Verified address {evidence} is on the body's domain"
        else:
            membership.email = next(iter(selectors.verified_emails(locked)), locked.email)
            membership._change_reason = "Asked to join; waiting for a moderator"
        membership.save()
        _set_user_body(
            locked,
            public_body if evidence else None,
            reason=(
                f"Public body set to {public_body.name} ({evidence})"
                if evidence
                else f"Asked to join {public_body.name}; no public body until approved"
            ),
        )
    user.public_body = locked.public_body
    return membership


def _membership_decision_reason(actor: User, reason: str) -> str:
    """The reason for a moderator's membership decision, checked: the actor is a moderator
    (else PermissionDenied) and a reason is given (else DomainError)."""
    if not permissions.can_decide_memberships(actor):
        raise PermissionDenied("Only moderators decide who works for a public body.")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError({"reason": "Give the reason for your decision"})
    return reason


def public_body_membership_decide(
    *, actor: User, membership: PublicBodyMembership, approve: bool, reason: str
) -> PublicBodyMembership:
    """A moderator approves or rejects a pending request to join a public body, with a reason.

    Before: ``actor`` is a moderator (else PermissionDenied); ``reason`` is given and the
    membership is PENDING (else DomainError); to approve, the user is still a civil
    servant. After: ACTIVE (basis APPROVAL; ``user.public_body`` is the body) or REJECTED,
    with who, when and why in the row and its history.
    """
    reason = _membership_decision_reason(actor, reason)
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=membership.user_id)
        locked = PublicBodyMembership.objects.select_for_update().get(pk=membership.pk)
        if locked.status != PublicBodyMembership.Status.PENDING:
            raise DomainError("Only a request that is waiting can be approved or rejected.")
        if not approve:
            _end_membership(
                locked, status=PublicBodyMembership.Status.REJECTED, reason=reason, actor=actor
            )
            return locked
        if not user.is_civil_servant or not user.is_active:
            raise DomainError("This person is no longer a civil servant.")
        locked.status = PublicBodyMembership.Status.ACTIVE
        locked.basis = PublicBodyMembership.Basis.APPROVAL
        locked.reason = reason
        locked.decided_by = actor
        locked.decided_at = timezone.now()
        locked._history_user = actor
        locked._change_reason = f"Approved: {reason}"
        locked.save()
        _set_user_body(
            user,
            locked.public_body,
            reason=f"Public body set to {locked.public_body.name}, approved: {reason}",
            actor=actor,
        )
    return locked


def public_body_membership_revoke(
    *, actor: User, membership: PublicBodyMembership, reason: str
) -> PublicBodyMembership:
    """A moderator ends an active membership (or withdraws a pending one), with a reason.

    Before: ``actor`` is a moderator, ``reason`` is given, the membership is open.
    After: it is ENDED with who, when and why; the user acts for no public body.
    """
    reason = _membership_decision_reason(actor, reason)
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=membership.user_id)
        locked = PublicBodyMembership.objects.select_for_update().get(pk=membership.pk)
        if locked.status not in PublicBodyMembership.OPEN_STATUSES:
            raise DomainError("This membership has already ended.")
        _end_membership(
            locked, status=PublicBodyMembership.Status.ENDED, reason=reason, actor=actor
        )
        _set_user_body(user, None, reason=f"Membership revoked: {reason}", actor=actor)
    return locked


def _end_everything(user: User, *, reason: str, actor: User | None = None) -> None:
    for membership in PublicBodyMembership.objects.select_for_update().filter(
        user=user, status__in=PublicBodyMembership.OPEN_STATUSES
    ):
        _end_membership(
            membership, status=PublicBodyMembership.Status.ENDED, reason=reason, actor=actor
        )
    user.civil_servant_since = None
    user.public_body = None
    user._change_reason = reason
    if actor is not None:
        user._history_user = actor
    user.save(update_fields=["civil_servant_since", "public_body", "civil_servant_revoked_at"])


def user_revoke_civil_servant(*, actor: User, user: User, reason: str) -> User:
    """A moderator takes away civil-servant status and every public-body membership, with a reason.

    Before: ``actor`` is a moderator, ``reason`` is given. After: ``user`` is no civil
    servant and acts for no body, from their next request; confirming an address does not
    give the status back until :func:`user_restore_civil_servant`. Recorded in the user's
    and the memberships' history (who, when, why).
    """
    if not permissions.can_revoke_civil_servant(actor):
        raise PermissionDenied("Only moderators revoke civil-servant status.")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError({"reason": "Give the reason for revoking civil-servant status"})
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        locked.civil_servant_revoked_at = timezone.now()
        _end_everything(locked, reason=f"Civil-servant status revoked: {reason}", actor=actor)
    return locked


def user_restore_civil_servant(*, actor: User, user: User, reason: str) -> User:
    """A moderator lifts a revocation; the status comes back only with a verified gov address.

    Before: ``actor`` is a moderator, ``reason`` is given. After: the revocation is lifted
    and, if one of the user's verified addresses is on a government domain, they are a
    civil servant again (with no public body: they ask again).
    """
    if not permissions.can_revoke_civil_servant(actor):
        raise PermissionDenied("Only moderators restore civil-servant status.")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError({"reason": "Give the reason for restoring civil-servant status"})
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        locked.civil_servant_revoked_at = None
        if locked.civil_servant_since is None and any(
            permissions.is_gov_email(e) for e in selectors.verified_emails(locked)
        ):
            locked.civil_servant_since = timezone.now()
        locked._history_user = actor
        locked._change_reason = f"Civil-servant status restored: {reason}"
        locked.save(update_fields=["civil_servant_revoked_at", "civil_servant_since"])
    return locked


def user_evidence_changed(*, user: User) -> User:
    """Status follows the evidence: re-check a user's roles against their verified addresses.

    Called whenever one of the user's addresses is added, changed, verified or removed
    (accounts.signals, whatever did it: allauth's pages, admin or code). After:
    - with no verified address on a government domain left, the user is no civil servant
      and every membership has ENDED;
    - otherwise an ACTIVE membership stays only while its evidence does: for DOMAIN, a
      verified address on the body's own domain; for APPROVAL (and PENDING), the verified
      address that was approved (or asked with);
    - a public body written straight to the row with no membership at all (fixtures,
      demo data) is left to the first rule.
    Powers are read from the user's row on every request, so they go on the next one.
    Running it twice changes nothing the second time.
    """
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        verified = selectors.verified_emails(locked)
        if not any(permissions.is_gov_email(e) for e in verified):
            if (
                locked.civil_servant_since
                or locked.public_body_id
                or selectors.open_membership_of(locked)
            ):
                _end_everything(locked, reason="No verified government address left")
        else:
            membership = selectors.open_membership_of(locked)
            if membership is not None:
                if membership.basis == PublicBodyMembership.Basis.DOMAIN:
                    holds = selectors.verifying_email(locked, membership.public_body) is not None
                else:
                    holds = membership.email.lower() in {e.lower() for e in verified}
                if not holds:
                    _end_membership(
                        membership,
                        status=PublicBodyMembership.Status.ENDED,
                        reason=f"The address {membership.email} is no longer verified",
                    )
                    membership = None
                    _set_user_body(
                        locked, None, reason="Public body cleared: the evidence for it has gone"
                    )
    user.civil_servant_since = locked.civil_servant_since
    user.public_body = locked.public_body
    return user


# --- Public bodies ---------------------------------------------------------------------

PUBLIC_BODY_FIELDS = {"name", "slug", "kind", "email_domains"}
_DOMAIN_RE = re.compile(r"^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,}$")


def _gov_domains() -> set[str]:
    return {d.strip().lower().strip(".") for d in settings.GOV_EMAIL_DOMAINS if d.strip()}


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
    if "email_domains" in cleaned:
        raw = cleaned["email_domains"] or []
        if isinstance(raw, str):
            raw = re.split(r"[\s,;]+", raw)
        domains: list[str] = []
        for value in raw:
            domain = (value or "").strip().lower().removeprefix("@").rstrip(".")
            if domain and domain not in domains:
                domains.append(domain)
        if any(not _DOMAIN_RE.match(domain) for domain in domains):
            errors["email_domains"] = "Enter domains such as cabinetoffice.gov.uk"
        elif _gov_domains() & set(domains):
            errors["email_domains"] = (
                "A domain every civil servant shares, such as gov.uk, cannot be one body's"
            )
        cleaned["email_domains"] = domains
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
    email_domains: list[str] | str = (),
    slug: str = "",
) -> PublicBody:
    """A moderator adds a public body to the list civil servants choose from.

    Before: ``actor`` is a moderator, else PermissionDenied; the name is new (whatever its
    case) and each email domain looks like one (a leading "@" is dropped) and is not a
    whole government domain such as gov.uk (every address would belong). After: the
    body exists, with a slug from its name unless one is given, and its history.
    """
    if not permissions.can_manage_public_bodies(actor):
        raise PermissionDenied("Only moderators manage public bodies.")
    body = PublicBody()
    fields = _clean_public_body(
        body, {"name": name, "kind": kind, "email_domains": email_domains, "slug": slug}
    )
    with transaction.atomic():
        for field, value in fields.items():
            setattr(body, field, value)
        body._history_user = actor
        body._change_reason = "Public body added"
        body.save()
    return body


def public_body_update(*, actor: User, public_body: PublicBody, **changes) -> PublicBody:
    """A moderator corrects a public body's name, slug, kind or email domains.

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


def _links_to_public_body() -> list:
    """Every relation that points at a public body, from the models themselves, so a link
    an app adds later moves in a merge too. History rows keep what they recorded."""
    return [r for r in PublicBody._meta.related_objects if not r.many_to_many]


def public_body_links(public_bodies) -> dict[str, int]:
    """How many rows of each kind point at ``public_bodies`` (what a merge would move)."""
    ids = [b.pk for b in public_bodies]
    counts = {}
    for relation in _links_to_public_body():
        model = relation.related_model
        count = model._base_manager.filter(**{f"{relation.field.name}__in": ids}).count()
        if count:
            counts[str(model._meta.verbose_name_plural)] = count
    return counts


def public_body_merge(*, actor: User, keep: PublicBody, duplicates) -> dict[str, int]:
    """A moderator merges duplicate public bodies into the one kept.

    Before: ``actor`` is a moderator (else PermissionDenied) and there is at least one
    duplicate other than ``keep`` (else DomainError). After, in one transaction: every
    row that pointed at a duplicate (contracts, award records, engagement requests and
    notices, den proposals, users, memberships, published identifiers: every relation
    to PublicBody) points at ``keep``; the duplicates' email domains are added to
    ``keep``'s; the duplicates are deleted, their history saying into which body. A body
    from the seeded list stays so when merged with one from public records. Returns the
    rows moved, by kind.
    """
    if not permissions.can_manage_public_bodies(actor):
        raise PermissionDenied("Only moderators merge public bodies.")
    ids = sorted({b.pk for b in duplicates} - {keep.pk})
    if not ids:
        raise DomainError("Choose at least one other public body to merge into the one kept.")
    with transaction.atomic():
        locked = list(PublicBody.objects.select_for_update().filter(pk__in=[keep.pk, *ids]))
        kept = next((b for b in locked if b.pk == keep.pk), None)
        gone = [b for b in locked if b.pk != keep.pk]
        if kept is None or len(gone) != len(ids):
            raise DomainError("A public body chosen has already been merged or removed.")
        moved: dict[str, int] = {}
        for relation in _links_to_public_body():
            model, name = relation.related_model, relation.field.name
            count = model._base_manager.filter(**{f"{name}__in": ids}).update(**{name: kept})
            if count:
                moved[str(model._meta.verbose_name_plural)] = count
        domains = list(
            dict.fromkeys([*kept.email_domains, *(d for b in gone for d in b.email_domains)])
        )
        kept.email_domains = domains
        kept.from_public_records = all(b.from_public_records for b in locked)
        kept._history_user = actor
        kept._change_reason = "Merged in: " + "; ".join(b.name for b in gone)
        kept.save()
        for body in gone:
            body._history_user = actor
            body._change_reason = f"Merged into {kept.name}"
            body.delete()
    return moved


FEEDBACK_SATISFACTION = {
    "very_satisfied": "Very satisfied",
    "satisfied": "Satisfied",
    "neither": "Neither satisfied nor dissatisfied",
    "dissatisfied": "Dissatisfied",
    "very_dissatisfied": "Very dissatisfied",
}
FEEDBACK_MAX_LENGTH = 1200


def feedback_send(
    *, actor, satisfaction: str, improve: str = "", page: str = ""
) -> list[OutboundEmail]:
    """Email the beta banner's feedback to ``settings.FEEDBACK_EMAIL``, through the outbox.

    Before: ``satisfaction`` is one of ``FEEDBACK_SATISFACTION``, ``improve`` at most
    ``FEEDBACK_MAX_LENGTH`` characters, else DomainError; ``page`` is the site path the
    banner was on (anything else is dropped). After: one outbox email per address, sent
    by Celery after commit. Nothing is stored about the sender beyond their address when
    signed in.
    """
    if not permissions.can_send_feedback(actor):
        raise PermissionDenied("You cannot send feedback.")
    if satisfaction not in FEEDBACK_SATISFACTION:
        raise DomainError({"satisfaction": "Select how you feel about the service"})
    improve = (improve or "").strip()
    if len(improve) > FEEDBACK_MAX_LENGTH:
        raise DomainError({"improve": too_long_message("Your answer", FEEDBACK_MAX_LENGTH)})
    page = page if re.fullmatch(r"/[\w\-./]{0,300}", page or "") and "//" not in page else ""
    who = actor.email if permissions.is_signed_in(actor) else "not signed in"
    body = (
        f"Satisfaction: {FEEDBACK_SATISFACTION[satisfaction]}\n"
        f"Page: {page or 'not given'}\n"
        f"From: {who}\n\n"
        f"How could we improve this service?\n{improve or '(no answer)'}\n"
    )
    with transaction.atomic():
        return [
            email_queue(
                to=address,
                subject=f"Feedback: {FEEDBACK_SATISFACTION[satisfaction]}",
                body=body,
            )
            for address in settings.FEEDBACK_EMAIL
        ]
