"""What waits for a moderator: one count per kind of work, with where to do it.

The one selector behind the admin index, the moderator home page (``/moderation/``) and
the daily digest email. It lives in suppliers, the lowest app that sees every model
counted (suppliers and their revisions and claims here, public-body memberships in
accounts).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse

from accounts.models import PublicBodyMembership
from suppliers.models import Supplier, SupplierClaim, SupplierRevision
from suppliers.permissions import LIVE_STATUSES


@dataclass(frozen=True)
class Waiting:
    key: str
    label: str  # "new registrations": read as "3 new registrations"
    count: int
    url: str  # the admin changelist, filtered to what waits


def moderation_waiting() -> list[Waiting]:
    """New registrations, pending revisions of live profiles, claims to public-record
    profiles and public-body membership requests waiting for a moderator (four counts)."""
    registrations = Supplier.objects.filter(status=Supplier.Status.PENDING_REVIEW).count()
    revisions = SupplierRevision.objects.filter(
        status=SupplierRevision.Status.PENDING, supplier__status__in=LIVE_STATUSES
    ).count()
    claims = SupplierClaim.objects.filter(status=SupplierClaim.Status.PENDING).count()
    memberships = PublicBodyMembership.objects.filter(
        status=PublicBodyMembership.Status.PENDING
    ).count()
    return [
        Waiting(
            "registrations",
            "new registrations",
            registrations,
            reverse("admin:suppliers_supplier_changelist") + "?status__exact=pending_review",
        ),
        Waiting(
            "revisions",
            "changes to live profiles",
            revisions,
            reverse("admin:suppliers_supplierrevision_changelist") + "?status__exact=pending",
        ),
        Waiting(
            "claims",
            "claims to public-record profiles",
            claims,
            reverse("admin:suppliers_supplierclaim_changelist") + "?status__exact=pending",
        ),
        Waiting(
            "memberships",
            "public-body membership requests",
            memberships,
            reverse("admin:accounts_publicbodymembership_changelist") + "?status__exact=pending",
        ),
    ]


def moderation_waiting_total(waiting: list[Waiting] | None = None) -> int:
    return sum(item.count for item in (waiting if waiting is not None else moderation_waiting()))
