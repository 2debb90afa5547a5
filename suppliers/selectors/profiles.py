"""Supplier profiles and side-by-side comparisons."""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import (
    Count,
    Prefetch,
    QuerySet,
)

from suppliers.models import (
    Capability,
    CapabilityGroup,
    Supplier,
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
