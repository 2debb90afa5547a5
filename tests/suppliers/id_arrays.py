"""Checks that ``Supplier.region_ids`` and the other facet id arrays copy the link tables."""

from __future__ import annotations

from suppliers.models import Supplier

LINKS = {
    "region_ids": "regions",
    "capability_ids": "capabilities",
    "certification_ids": "certifications",
    "framework_ids": "frameworks",
}


def assert_id_arrays_match_links() -> int:
    """Every supplier's id arrays hold exactly its linked ids, in ascending order.

    Read through the ORM's many-to-many managers (not the SQL that writes the
    arrays), so a mistake there cannot hide. Returns how many suppliers it checked.
    """
    suppliers = Supplier.objects.prefetch_related(*LINKS.values()).order_by("pk")
    for supplier in suppliers:
        for array, link in LINKS.items():
            linked = sorted(item.pk for item in getattr(supplier, link).all())
            assert getattr(supplier, array) == linked, (supplier.name, array)
    return len(suppliers)
