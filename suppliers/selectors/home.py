"""The registry's part of a user's home page: their organisations, the invitations waiting
for them, and their shortlists."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone

from accounts.permissions import is_civil_servant, is_signed_in
from accounts.selectors import verified_addresses
from core.home import HomeEntry, HomeItem, first_and_count
from suppliers.models import (
    Shortlist,
    Supplier,
    SupplierInvitation,
    SupplierMembership,
    SupplierRevision,
)
from suppliers.permissions import LIVE_STATUSES

#: What a profile's state means to the people of its organisation.
STATE_TEXT = {
    Supplier.Status.DRAFT: "Not sent for review yet",
    Supplier.Status.PENDING_REVIEW: "Waiting for a moderator to review it",
    Supplier.Status.PUBLISHED: "Live: buyers can find it",
    Supplier.Status.REJECTED: "Rejected by a moderator",
    Supplier.Status.SUSPENDED: "Suspended by a moderator",
}
STATE_TAG = {
    Supplier.Status.DRAFT: "govuk-tag--grey",
    Supplier.Status.PENDING_REVIEW: "govuk-tag--yellow",
    Supplier.Status.PUBLISHED: "govuk-tag--green",
    Supplier.Status.REJECTED: "govuk-tag--red",
    Supplier.Status.SUSPENDED: "govuk-tag--red",
}


@dataclass(frozen=True)
class Organisation:
    """One organisation the user belongs to, as their home page shows it."""

    supplier: Supplier
    role: str
    is_owner: bool
    state: str
    state_tag: str
    reason: str  # the moderator's reason, when rejected or suspended
    change_pending: bool  # a change to the live profile waits for a moderator
    open_invitations: int  # invitations not yet accepted (owners only; 0 otherwise)
    dashboard_url: str


def organisations(user) -> list[Organisation]:
    """Every organisation ``user`` belongs to, by name, with its profile's state: one query."""
    if not (user and user.is_authenticated):
        return []
    now = timezone.now()
    memberships = (
        SupplierMembership.objects.filter(user=user)
        .select_related("supplier")
        .annotate(
            change_pending=Exists(
                SupplierRevision.objects.filter(
                    supplier=OuterRef("supplier"), status=SupplierRevision.Status.PENDING
                )
            ),
            open_invitations=Count(
                "supplier__invitations",
                filter=Q(
                    supplier__invitations__accepted_at__isnull=True,
                    supplier__invitations__revoked_at__isnull=True,
                    supplier__invitations__expires_at__gt=now,
                ),
            ),
        )
        .order_by("supplier__name", "supplier_id")
    )
    result = []
    for membership in memberships:
        supplier = membership.supplier
        is_owner = membership.role == SupplierMembership.Role.OWNER
        result.append(
            Organisation(
                supplier=supplier,
                role=membership.get_role_display(),
                is_owner=is_owner,
                state=STATE_TEXT.get(supplier.status, supplier.get_status_display()),
                state_tag=STATE_TAG.get(supplier.status, "govuk-tag--grey"),
                reason=supplier.status_reason
                if supplier.status in (Supplier.Status.REJECTED, Supplier.Status.SUSPENDED)
                else "",
                change_pending=membership.change_pending and supplier.status in LIVE_STATUSES,
                open_invitations=membership.open_invitations if is_owner else 0,
                dashboard_url=reverse("suppliers:manage", args=[supplier.slug]),
            )
        )
    return result


def invitations(user) -> list[SupplierInvitation]:
    """Open invitations addressed to ``user``, soonest to expire first: one query.

    Those the user may answer from their home (``permissions.can_answer_invitation``): to
    their own email address, verified, not yet accepted, withdrawn or expired, from an
    organisation they do not already belong to.
    """
    if not is_signed_in(user) or not user.email:
        return []
    return list(
        SupplierInvitation.objects.filter(
            email__iexact=user.email.strip(),
            accepted_at__isnull=True,
            revoked_at__isnull=True,
            expires_at__gt=timezone.now(),
        )
        .filter(Exists(verified_addresses(user).filter(email__iexact=OuterRef("email"))))
        .exclude(supplier__memberships__user_id=user.pk)
        .select_related("supplier")
        .order_by("expires_at", "pk")
    )


def home_items(user) -> list[HomeItem]:
    """A civil servant's shortlists, oldest first, each with how many suppliers it holds."""
    if not is_civil_servant(user):
        return []
    shortlists, count = first_and_count(
        Shortlist.objects.filter(owner=user)
        .annotate(size=Count("entries"))
        .order_by("created_at", "pk")
    )
    return [
        HomeItem(
            "shortlists",
            "shortlists",
            count,
            reverse("suppliers:shortlists"),
            [
                HomeEntry(
                    s.name,
                    reverse("suppliers:shortlist", args=[s.pk]),
                    s.created_at,
                    note=f"{s.size} supplier{'' if s.size == 1 else 's'}; made",
                )
                for s in shortlists
            ],
            group="Suppliers",
            one="shortlist",
            needs_action=False,
        )
    ]
