"""Supplier profiles and side-by-side comparisons."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import (
    Count,
    F,
    Max,
    Prefetch,
    Q,
    QuerySet,
    Sum,
)
from django.db.models.functions import Coalesce

from suppliers.models import (
    AwardRecord,
    AwardSupplier,
    Capability,
    CapabilityGroup,
    Supplier,
    SupplierClaim,
)


def supplier_profile_queryset() -> QuerySet[Supplier]:
    """Suppliers with everything a profile shows (six queries for one profile)."""
    return Supplier.objects.select_related("hq_region").prefetch_related(
        "regions",
        Prefetch("capabilities", queryset=Capability.objects.select_related("group")),
        "certifications",
        "frameworks",
        "case_studies",
    )


def supplier_for_profile(slug: str) -> Supplier | None:
    """The supplier with this slug, whatever its status (the view decides who sees it)."""
    return supplier_profile_queryset().filter(slug=slug).first()


def grouped_capabilities(supplier: Supplier) -> list[tuple[CapabilityGroup, list[Capability]]]:
    """A supplier's (prefetched) capabilities under their groups, in taxonomy order."""
    groups: dict[int, tuple[CapabilityGroup, list[Capability]]] = {}
    capabilities = sorted(
        supplier.capabilities.all(),
        key=lambda c: (c.group.position, c.group.name, c.position, c.name),
    )
    for capability in capabilities:
        groups.setdefault(capability.group_id, (capability.group, []))[1].append(capability)
    return list(groups.values())


# --- Public contracts (award records from public contract data) ------------------------

# A profile lists this many awards, most recent first; the totals count every award.
PUBLIC_CONTRACTS_SHOWN = 50
# Totals add up values in pounds only: a sum across currencies would mean nothing.
TOTAL_CURRENCY = "GBP"


@dataclass(frozen=True)
class PublicContracts:
    """A supplier's awards from public contract data, and their totals."""

    awards: list[AwardRecord]  # the most recent PUBLIC_CONTRACTS_SHOWN, buyer loaded
    count: int  # every award
    total_value: Decimal | None  # in pounds, of the awards that published a value in pounds
    valued: int  # how many awards that total covers
    buyers: int  # distinct public bodies
    latest: dt.datetime | None  # the latest award (or, without an award date, publication)

    @property
    def more(self) -> int:
        """Awards not listed on the page."""
        return max(0, self.count - len(self.awards))


def award_date_expression():
    """When an award was made: its award date, else when its notice was published."""
    return Coalesce(F("award_date"), F("date_published"))


def public_contracts_for(supplier: Supplier | int) -> PublicContracts:
    """The supplier's public contracts: two queries whatever their number (the totals,
    then the most recent awards with their buyers)."""
    supplier_id = supplier if isinstance(supplier, int) else supplier.pk
    links = AwardSupplier.objects.filter(supplier_id=supplier_id)
    in_pounds = Q(award__currency=TOTAL_CURRENCY, award__value_amount__isnull=False)
    totals = links.aggregate(
        count=Count("award_id", distinct=True),
        total_value=Sum("award__value_amount", filter=in_pounds),
        valued=Count("award_id", filter=in_pounds, distinct=True),
        buyers=Count("award__buyer_id", distinct=True),
        latest=Max(Coalesce(F("award__award_date"), F("award__date_published"))),
    )
    awards = []
    if totals["count"]:
        awards = list(
            AwardRecord.objects.filter(award_suppliers__supplier_id=supplier_id)
            .select_related("buyer")
            .annotate(awarded_on=award_date_expression())
            .order_by(F("awarded_on").desc(nulls_last=True), "-pk")[:PUBLIC_CONTRACTS_SHOWN]
        )
    return PublicContracts(awards=awards, **totals)


def pending_claim(supplier: Supplier, user) -> SupplierClaim | None:
    """The user's claim to this supplier that waits for a moderator (no query for visitors)."""
    if not (user and user.is_authenticated):
        return None
    return SupplierClaim.objects.filter(
        supplier=supplier, claimant_id=user.pk, status=SupplierClaim.Status.PENDING
    ).first()


MIN_COMPARE = 2
MAX_COMPARE = 4


def suppliers_to_compare(slugs: Sequence[str]) -> tuple[list[Supplier], list[str]]:
    """The published suppliers with these slugs, in the order given, and the slugs not found.

    Five queries whatever the number (suppliers with case-study counts, then four
    prefetches).
    """
    wanted = list(dict.fromkeys(s.strip() for s in slugs if s and s.strip()))
    found = {
        s.slug: s
        for s in Supplier.objects.filter(slug__in=wanted, status=Supplier.Status.PUBLISHED)
        .select_related("hq_region")
        .annotate(case_study_count=Count("case_studies"))
        .prefetch_related(
            "regions",
            Prefetch("capabilities", queryset=Capability.objects.select_related("group")),
            "certifications",
            "frameworks",
        )
    }
    return [found[s] for s in wanted if s in found], [s for s in wanted if s not in found]


# --- The market map ------------------------------------------------------------------
