"""Claims: an organisation takes over its profile from public records.

A supplier from public records (``Supplier.from_public_records``) was made from contract
notices or Companies House, not by the organisation. Someone who may register an
organisation claims it (the registration journey, pre-filled with the record's name and
Companies House number); a moderator checks the claim against the Companies House
number and approves or rejects it. Approval turns the *same* supplier row into a
registered one, so its contract history (award records) stays with it.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.services import email_queue
from core.errors import DomainError
from core.forms import too_long_message
from suppliers import permissions
from suppliers.companies_house import normalise_company_number
from suppliers.models import Supplier, SupplierClaim, SupplierMembership
from suppliers.services._common import (
    _history_user,
    number_taken_message,
    record_supplier_history,
)
from suppliers.services.search_index import refresh_search_vectors

__all__ = [
    "supplier_claim_approve",
    "supplier_claim_check_number",
    "supplier_claim_reject",
    "supplier_claim_submit",
    "supplier_claim_withdraw",
]

NAME_MAX_LENGTH = 200
ANOTHER_APPROVED = "Another claim to this organisation was approved."


def supplier_claim_check_number(*, supplier: Supplier, companies_house_number: str) -> str:
    """The claimed Companies House number in its stored form, if it can be this supplier's.

    Raises DomainError (on ``companies_house_number``) when it is not a number, when the
    public record holds a different one, or when another supplier on Techmap holds it.
    """
    try:
        number = normalise_company_number(companies_house_number)
    except ValidationError as exc:
        raise DomainError({"companies_house_number": exc.messages}) from exc
    if supplier.companies_house_number and supplier.companies_house_number != number:
        raise DomainError(
            {
                "companies_house_number": (
                    f"The public record for {supplier.name} has a different Companies House "
                    "number. Check the number, or register your organisation instead"
                )
            }
        )
    other = Supplier.objects.filter(companies_house_number=number).exclude(pk=supplier.pk).first()
    if other is not None:
        raise DomainError({"companies_house_number": number_taken_message(other, number)})
    return number


def _clean_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise DomainError({"name": "Enter the organisation's name"})
    if len(name) > NAME_MAX_LENGTH or "\x00" in name:
        raise DomainError({"name": too_long_message("Organisation name", NAME_MAX_LENGTH)})
    return name


def supplier_claim_submit(
    *, actor, supplier: Supplier, companies_house_number: str, name: str
) -> SupplierClaim:
    """Claim a supplier from public records for ``actor``.

    Before: ``actor`` may claim it (``permissions.can_claim_supplier``: a signed-in
    supplier user, the supplier published and from public records), else
    PermissionDenied. After: one pending claim by ``actor`` with the number and name as
    answered; nothing about the supplier changes until a moderator approves. Claiming
    again while a claim waits raises DomainError.
    """
    if not permissions.can_claim_supplier(actor, supplier):
        raise PermissionDenied("Only a supplier user can claim a supplier from public records.")
    number = supplier_claim_check_number(
        supplier=supplier, companies_house_number=companies_house_number
    )
    name = _clean_name(name)
    with transaction.atomic():
        # Lock the supplier so two claims by the same person cannot both be written.
        Supplier.objects.select_for_update().filter(pk=supplier.pk).first()
        if SupplierClaim.objects.filter(
            supplier=supplier, claimant=actor, status=SupplierClaim.Status.PENDING
        ).exists():
            raise DomainError(
                f"You have already claimed {supplier.name}. A moderator will check it soon."
            )
        claim = SupplierClaim.objects.create(
            supplier=supplier,
            claimant=actor,
            companies_house_number=number,
            name=name,
            submitted_at=timezone.now(),
        )
    return claim


def _notify(claim: SupplierClaim) -> None:
    """Email the claimant the outcome (outbox; sent after commit, once per decision)."""
    user = claim.claimant
    if not user.is_active or not user.email:
        return
    supplier = claim.supplier
    if claim.status == SupplierClaim.Status.APPROVED:
        subject = f"{supplier.name}: your claim is approved"
        url = settings.SITE_URL + reverse("suppliers:register_tasks", args=[supplier.slug])
        body = (
            f"A moderator approved your claim to {supplier.name} on Techmap. You are now "
            f"an owner of its profile, and its public contracts stay on it.\n\n"
            f"Complete the profile: {url}\n"
        )
    else:
        subject = f"{supplier.name}: your claim was not approved"
        body = f"A moderator did not approve your claim to {supplier.name} on Techmap.\n\n"
        if claim.reason:
            body += f"Reason: {claim.reason}\n"
    email_queue(to=user.email, subject=subject, body=body, dedupe_key=f"supplier-claim:{claim.pk}")


def _require_decider(actor) -> None:
    if actor is not None and not permissions.can_decide_claim(actor):
        raise PermissionDenied("Only moderators can decide claims.")


def supplier_claim_approve(*, actor, claim: SupplierClaim) -> Supplier:
    """Approve a pending claim: the claimant now owns the supplier.

    Before: ``actor`` is a moderator (or None for system code), else PermissionDenied;
    the claim is pending and the supplier still from public records, and the claimed
    Companies House number is the supplier's (or the supplier has none and no one else
    holds it), else DomainError. After, in one transaction: the same supplier row has
    ``from_public_records`` False, ``claimed_at`` set, the claimed name, and the number
    if it had none; the claimant is an owner; other pending claims to it are rejected;
    one history row records it; the search index is current; the claimant is emailed.
    Approving again raises DomainError (the claim is no longer pending).
    """
    _require_decider(actor)
    with transaction.atomic():
        claim = (
            SupplierClaim.objects.select_for_update().select_related("claimant").get(pk=claim.pk)
        )
        if claim.status != SupplierClaim.Status.PENDING:
            raise DomainError(f"This claim is already {claim.get_status_display().lower()}.")
        supplier = Supplier.objects.select_for_update().get(pk=claim.supplier_id)
        if not supplier.from_public_records:
            raise DomainError(f"{supplier.name} is already registered, so it cannot be claimed.")
        number = supplier_claim_check_number(
            supplier=supplier, companies_house_number=claim.companies_house_number
        )
        now = timezone.now()
        supplier.name = claim.name
        supplier.companies_house_number = number
        supplier.from_public_records = False
        supplier.claimed_at = now
        supplier.skip_history_when_saving = True
        try:
            supplier.save(
                update_fields=[
                    "name",
                    "companies_house_number",
                    "from_public_records",
                    "claimed_at",
                    "updated_at",
                ]
            )
        finally:
            del supplier.skip_history_when_saving
        membership, _ = SupplierMembership.objects.get_or_create(
            supplier=supplier,
            user=claim.claimant,
            defaults={"role": SupplierMembership.Role.OWNER},
        )
        if membership.role != SupplierMembership.Role.OWNER:
            membership.role = SupplierMembership.Role.OWNER
            membership._history_user = _history_user(actor)
            membership.save()
        claim.status = SupplierClaim.Status.APPROVED
        claim.decided_by = _history_user(actor)
        claim.decided_at = now
        claim.save(update_fields=["status", "decided_by", "decided_at"])
        others = list(
            SupplierClaim.objects.select_related("claimant", "supplier").filter(
                supplier=supplier, status=SupplierClaim.Status.PENDING
            )
        )
        for other in others:
            other.status = SupplierClaim.Status.REJECTED
            other.decided_by = _history_user(actor)
            other.decided_at = now
            other.reason = ANOTHER_APPROVED
            other.save(update_fields=["status", "decided_by", "decided_at", "reason"])
        record_supplier_history(
            [supplier],
            history_type="~",
            actor=actor,
            reason=f"Claimed from public records (claim {claim.pk})",
        )
        refresh_search_vectors(supplier_ids=[supplier.pk])
        claim.supplier = supplier
        _notify(claim)
        for other in others:
            _notify(other)
    return supplier


def supplier_claim_reject(*, actor, claim: SupplierClaim, reason: str) -> SupplierClaim:
    """Reject a pending claim with a reason the claimant reads.

    Before: ``actor`` is a moderator (or None), else PermissionDenied; a reason is
    given and the claim is pending, else DomainError. After: the claim is rejected, the
    supplier unchanged (still from public records, claimable again), the claimant emailed.
    """
    _require_decider(actor)
    reason = (reason or "").strip()
    if not reason or "\x00" in reason:
        raise DomainError({"reason": "Enter the reason for this decision"})
    with transaction.atomic():
        claim = (
            SupplierClaim.objects.select_for_update()
            .select_related("claimant", "supplier")
            .get(pk=claim.pk)
        )
        if claim.status != SupplierClaim.Status.PENDING:
            raise DomainError(f"This claim is already {claim.get_status_display().lower()}.")
        claim.status = SupplierClaim.Status.REJECTED
        claim.decided_by = _history_user(actor)
        claim.decided_at = timezone.now()
        claim.reason = reason
        claim.save(update_fields=["status", "decided_by", "decided_at", "reason"])
        _notify(claim)
    return claim


def supplier_claim_withdraw(*, actor, claim: SupplierClaim) -> SupplierClaim:
    """The claimant withdraws a pending claim. Others get PermissionDenied; a claim no
    longer pending raises DomainError."""
    if not (actor is not None and actor.is_authenticated and actor.pk == claim.claimant_id):
        raise PermissionDenied("Only the person who made a claim can withdraw it.")
    with transaction.atomic():
        claim = SupplierClaim.objects.select_for_update().get(pk=claim.pk)
        if claim.status != SupplierClaim.Status.PENDING:
            raise DomainError(f"This claim is already {claim.get_status_display().lower()}.")
        claim.status = SupplierClaim.Status.WITHDRAWN
        claim.decided_at = timezone.now()
        claim.save(update_fields=["status", "decided_at"])
    return claim
