"""Who belongs to a supplier: members and owners, invitations, leaving."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.services import email_queue
from core.errors import DomainError
from core.templatetags.govuk_time import format_govuk_datetime
from suppliers import permissions
from suppliers.models import (
    Supplier,
    SupplierInvitation,
    SupplierMembership,
)
from suppliers.services._common import (
    _history_user,
)

INVITATION_LIFETIME = timedelta(days=7)

# --- Members -------------------------------------------------------------------


def supplier_member_add(
    *, actor, supplier: Supplier, user, role: str = SupplierMembership.Role.MEMBER
) -> SupplierMembership:
    """Make ``user`` an owner or member of ``supplier`` (moderators, or system code).

    ``invitation_accept`` calls it once an owner's invitation is accepted. Adding someone
    already there changes their role.
    """
    if actor is not None and not permissions.can_manage_members(actor, supplier):
        raise PermissionDenied("Only owners and moderators can add people to a supplier.")
    if role not in SupplierMembership.Role.values:
        raise DomainError({"role": "Choose owner or member."})
    with transaction.atomic():
        membership = SupplierMembership.objects.filter(supplier=supplier, user=user).first()
        if membership is None:
            membership = SupplierMembership(supplier=supplier, user=user, role=role)
        elif membership.role == role:
            return membership
        elif role == SupplierMembership.Role.MEMBER and _is_last_owner(membership):
            raise DomainError({"role": "A supplier must keep at least one owner."})
        membership.role = role
        membership._history_user = _history_user(actor)
        membership.save()
    return membership


def _is_last_owner(membership: SupplierMembership) -> bool:
    """True when ``membership`` is the supplier's only owner (locks the owners' rows)."""
    owners = list(
        SupplierMembership.objects.select_for_update()
        .filter(supplier_id=membership.supplier_id, role=SupplierMembership.Role.OWNER)
        .values_list("pk", flat=True)
    )
    return owners == [membership.pk]


def supplier_member_remove(*, actor, membership: SupplierMembership) -> None:
    """Remove someone from a supplier. The last owner cannot be removed (DomainError)."""
    if actor is not None and not permissions.can_manage_members(actor, membership.supplier):
        raise PermissionDenied("Only owners and moderators can remove people from a supplier.")
    with transaction.atomic():
        owners = list(
            SupplierMembership.objects.select_for_update()
            .filter(supplier_id=membership.supplier_id, role=SupplierMembership.Role.OWNER)
            .values_list("pk", flat=True)
        )
        if owners == [membership.pk]:
            raise DomainError("A supplier must keep at least one owner.")
        membership._history_user = _history_user(actor)
        membership.delete()


# --- Invitations and leaving --------------------------------------------------------


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invitation_create(
    *, actor, supplier: Supplier, email: str, role: str = SupplierMembership.Role.MEMBER
) -> tuple[SupplierInvitation, str]:
    """An owner invites someone by email; returns the invitation and its one-time token.

    Before: ``actor`` may manage the supplier's members (owners, moderators).
    After: one open invitation for that address (an earlier open one is revoked),
    expiring after ``INVITATION_LIFETIME``; only the token's SHA-256 is stored; the
    email with the link is in the outbox, sent after commit. DomainError when the
    address is invalid or already a member's.
    """
    if not permissions.can_manage_members(actor, supplier):
        raise PermissionDenied("Only the supplier's owners can invite people.")
    if role not in SupplierMembership.Role.values:
        raise DomainError({"role": "Choose owner or member"})
    email = (email or "").strip()

    try:
        validate_email(email)
    except ValidationError as exc:
        raise DomainError(
            {"email": "Enter an email address in the correct format, like name@example.com"}
        ) from exc
    if SupplierMembership.objects.filter(supplier=supplier, user__email__iexact=email).exists():
        raise DomainError({"email": f"{email} already belongs to {supplier.name}"})
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    with transaction.atomic():
        for old in SupplierInvitation.objects.select_for_update().filter(
            supplier=supplier, email__iexact=email, accepted_at=None, revoked_at=None
        ):
            old.revoked_at = now
            old._history_user = _history_user(actor)
            old.save()
        invitation = SupplierInvitation(
            supplier=supplier,
            email=email,
            role=role,
            token_hash=_token_hash(token),
            invited_by=_history_user(actor),
            expires_at=now + INVITATION_LIFETIME,
        )
        invitation._history_user = _history_user(actor)
        invitation.save()
        link = settings.SITE_URL + reverse("suppliers:invitation_accept", args=[token])
        inviter = getattr(actor, "full_name", "") or getattr(actor, "email", "") or "Techmap"
        email_queue(
            to=email,
            subject=f"Join {supplier.name} on Techmap",
            body=(
                f"{inviter} has invited you to join {supplier.name} on Techmap as "
                f"{'an owner' if role == 'owner' else 'a member'}.\n\n"
                f"Accept the invitation: {link}\n\n"
                f"The link works once and expires at "
                f"{format_govuk_datetime(invitation.expires_at)}. "
                f"You need a Techmap account with this email address ({email}).\n"
            ),
            dedupe_key=f"invitation:{invitation.pk}",
        )
    return invitation, token


def invitation_for_token(token: str) -> SupplierInvitation | None:
    """The invitation a link's token belongs to (open, expired or used), or None."""
    if not token or len(token) > 200:
        return None
    return (
        SupplierInvitation.objects.select_related("supplier")
        .filter(token_hash=_token_hash(token))
        .first()
    )


def invitation_accept(*, actor, token: str) -> SupplierMembership:
    """Accept an invitation: ``actor`` joins the supplier with the invited role.

    Before: the token matches an invitation that is open and not expired (else
    DomainError), and ``actor`` is signed in with the invited email address (else
    PermissionDenied). After: the membership exists and the invitation is used
    (single use). Accepting twice fails the second time.
    """
    with transaction.atomic():
        found = invitation_for_token(token)
        invitation = (
            SupplierInvitation.objects.select_for_update().get(pk=found.pk) if found else None
        )
        _check_open(invitation)
        if not permissions.can_accept_invitation(actor, invitation):
            raise PermissionDenied(
                f"This invitation is for {invitation.email}. Sign in with that email address."
            )
        return _join(actor, invitation)


def invitation_accept_signed_in(*, actor, invitation: SupplierInvitation) -> SupplierMembership:
    """Accept an invitation from one's home, without the emailed link.

    Before: ``actor`` may answer it (``permissions.can_answer_invitation``: signed in with
    the invited address, verified; else PermissionDenied) and it is open and not expired
    (else DomainError). After: as ``invitation_accept``.
    """
    if not permissions.can_answer_invitation(actor, invitation):
        raise PermissionDenied("This invitation is not for you.")
    with transaction.atomic():
        locked = SupplierInvitation.objects.select_for_update().get(pk=invitation.pk)
        _check_open(locked)
        return _join(actor, locked)


def invitation_decline(*, actor, invitation: SupplierInvitation) -> None:
    """The invited person says no: the invitation closes and its link stops working.

    Before: as ``invitation_accept_signed_in``. After: the invitation is withdrawn, in its
    history by ``actor``, and whoever sent it is told by email.
    """
    if not permissions.can_answer_invitation(actor, invitation):
        raise PermissionDenied("This invitation is not for you.")
    with transaction.atomic():
        locked = (
            SupplierInvitation.objects.select_for_update(of=("self",))
            .select_related("supplier", "invited_by")
            .get(pk=invitation.pk)
        )
        _check_open(locked)
        locked.revoked_at = timezone.now()
        locked._history_user = actor
        locked.save()
        if locked.invited_by is not None and locked.invited_by.email:
            email_queue(
                to=locked.invited_by.email,
                subject=f"{locked.email} declined your invitation to {locked.supplier.name}",
                body=(
                    f"{locked.email} has declined your invitation to join "
                    f"{locked.supplier.name} on Techmap. You can invite them again from "
                    f"{settings.SITE_URL}"
                    f"{reverse('suppliers:manage', args=[locked.supplier.slug])}"
                ),
            )


def _check_open(invitation: SupplierInvitation | None) -> None:
    """DomainError unless the (locked) invitation can still be accepted."""
    if invitation is None or invitation.revoked_at is not None:
        raise DomainError("This invitation link is not valid. Ask for a new invitation.")
    if invitation.accepted_at is not None:
        raise DomainError("This invitation has already been used.")
    if invitation.expires_at <= timezone.now():
        raise DomainError("This invitation has expired. Ask an owner for a new invitation.")


def _join(actor, invitation: SupplierInvitation) -> SupplierMembership:
    """``actor`` joins with the invited role; the (locked) invitation is used."""
    membership = supplier_member_add(
        actor=None, supplier=invitation.supplier, user=actor, role=invitation.role
    )
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = actor
    invitation._history_user = actor
    invitation.save()
    return membership


def invitation_revoke(*, actor, invitation: SupplierInvitation) -> None:
    """An owner withdraws an open invitation (its link stops working). Twice is harmless."""
    if not permissions.can_manage_members(actor, invitation.supplier):
        raise PermissionDenied("Only the supplier's owners can withdraw invitations.")
    with transaction.atomic():
        locked = SupplierInvitation.objects.select_for_update().get(pk=invitation.pk)
        if locked.is_open:
            locked.revoked_at = timezone.now()
            locked._history_user = _history_user(actor)
            locked.save()


def supplier_leave(*, actor, supplier: Supplier) -> None:
    """``actor`` stops belonging to the supplier. The last owner cannot leave (DomainError)."""
    if not permissions.can_leave_supplier(actor, supplier):
        raise PermissionDenied("You do not belong to this supplier.")
    with transaction.atomic():
        membership = SupplierMembership.objects.get(supplier=supplier, user=actor)
        if membership.role == SupplierMembership.Role.OWNER and _is_last_owner(membership):
            raise DomainError(
                "You are the only owner. Make someone else an owner before you leave."
            )
        membership._history_user = _history_user(actor)
        membership.delete()
