"""The market map: published suppliers per region and capability group."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.cache import cache

from core.db import read_connection
from suppliers.models import (
    Capability,
    Supplier,
)
from suppliers.selectors.reference import Option, ReferenceData, reference_data
from suppliers.selectors.search import SupplierCapability, SupplierRegion

MARKET_MAP_CACHE_SECONDS = 300


@dataclass
class MarketMapCell:
    group: Option | None  # None: the region's total over all capability groups
    region: Option | None  # None: the group's total over all regions
    suppliers: int
    smes: int

    @property
    def sme_share(self) -> int | None:
        """Whole per cent of the cell's suppliers that are SMEs (None for an empty cell)."""
        return round(100 * self.smes / self.suppliers) if self.suppliers else None


@dataclass
class MarketMap:
    regions: list[Option]
    rows: list[tuple[Option, list[MarketMapCell], MarketMapCell]]
    region_totals: list[MarketMapCell]
    total: int
    max_cell: int


_MARKET_MAP_SQL = f"""
    WITH supplier_groups AS (
        SELECT DISTINCT sc.supplier_id, c.group_id
        FROM {SupplierCapability._meta.db_table} sc
        JOIN {Capability._meta.db_table} c ON c.id = sc.capability_id
    )
    SELECT sg.group_id, sr.region_id,
           COUNT(DISTINCT s.id),
           COUNT(DISTINCT s.id) FILTER (WHERE s.size = ANY(%(sme)s))
    FROM {Supplier._meta.db_table} s
    JOIN supplier_groups sg ON sg.supplier_id = s.id
    JOIN {SupplierRegion._meta.db_table} sr ON sr.supplier_id = s.id
    WHERE s.status = %(published)s
    GROUP BY GROUPING SETS ((sg.group_id, sr.region_id), (sg.group_id), (sr.region_id), ())
"""


def market_map(*, refdata: ReferenceData | None = None, use_cache: bool = True) -> MarketMap:
    """Published suppliers by capability group × region served, with the SME share.

    One grouped query (grouping sets give the cells, the row and column totals and
    the grand total), cached for five minutes: it summarises the whole register.
    A supplier counts in a cell when it offers any capability of the group and
    serves the region; totals count each supplier once.
    """
    refdata = refdata or reference_data()
    key = "suppliers:market-map:v1"
    counts = cache.get(key) if use_cache else None
    if counts is None:
        with read_connection().cursor() as cursor:
            cursor.execute(
                _MARKET_MAP_SQL,
                {"sme": list(Supplier.SME_SIZES), "published": Supplier.Status.PUBLISHED},
            )
            counts = [tuple(row) for row in cursor.fetchall()]
        if use_cache:
            cache.set(key, counts, MARKET_MAP_CACHE_SECONDS)
    cells = {(g, r): (n, sme) for g, r, n, sme in counts}
    regions = list(refdata.regions)
    rows = []
    max_cell = 0
    for group in refdata.groups:
        row = []
        for region in regions:
            n, sme = cells.get((group.id, region.id), (0, 0))
            max_cell = max(max_cell, n)
            row.append(MarketMapCell(group, region, n, sme))
        n, sme = cells.get((group.id, None), (0, 0))
        rows.append((group, row, MarketMapCell(group, None, n, sme)))
    region_totals = [
        MarketMapCell(None, region, *cells.get((None, region.id), (0, 0))) for region in regions
    ]
    return MarketMap(
        regions=regions,
        rows=rows,
        region_totals=region_totals,
        total=cells.get((None, None), (0, 0))[0],
        max_cell=max_cell,
    )
