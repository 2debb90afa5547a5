"""Supplier registry reads. Nothing here writes.

One module per kind of read; every public name is re-exported here, so callers write
``from suppliers import selectors; selectors.market_map()``:

- ``reference``: regions, capabilities, certifications, frameworks (cached);
- ``search``: the supplier search and its facets (how it works is in its docstring);
- ``profiles``: a profile's queryset, grouped capabilities, comparisons;
- ``market_map``: suppliers per region and capability group;
- ``revisions``: a profile as its people are editing it, a pending revision field by field;
- ``duplicates``: possible duplicates of a supplier (the moderation queue).
"""

from __future__ import annotations

from suppliers.selectors.duplicates import (
    DUPLICATE_NAME_SIMILARITY,
    possible_duplicates,
)
from suppliers.selectors.market_map import (
    MARKET_MAP_CACHE_SECONDS,
    MarketMap,
    MarketMapCell,
    market_map,
)
from suppliers.selectors.profiles import (
    MAX_COMPARE,
    MIN_COMPARE,
    PUBLIC_CONTRACTS_SHOWN,
    PublicContracts,
    grouped_capabilities,
    pending_claim,
    public_contracts_for,
    supplier_for_profile,
    supplier_profile_queryset,
    suppliers_to_compare,
)
from suppliers.selectors.reference import (
    Option,
    ReferenceData,
    reference_data,
)
from suppliers.selectors.revisions import (
    FIELD_LABELS,
    effective_values,
    revision_rows,
)
from suppliers.selectors.search import (
    CAPABILITY_BOOST,
    EXACT_BOOST,
    FACETS,
    FIELD_WEIGHTS,
    FILTERS,
    MARK_START,
    MARK_STOP,
    MAX_CORRECTIONS,
    MAX_PAGE,
    MAX_QUERY_LENGTH,
    NAME_CONFIG,
    ORDERING_NAME,
    ORDERING_RELEVANCE,
    ORDERING_UPDATED,
    ORDERINGS,
    PAGE_SIZE,
    REGION_BOOST,
    SEARCH_CONFIG,
    SOURCE_PUBLIC_RECORDS,
    SOURCE_REGISTERED,
    SOURCES,
    Correction,
    FacetOption,
    Facets,
    QueryText,
    SearchPage,
    SearchParams,
    SearchResult,
    SupplierCapability,
    SupplierCertification,
    SupplierFramework,
    SupplierRegion,
    SupplierSearch,
    public_contract_count_expression,
    search_cache_seconds,
    with_export_columns,
)

__all__ = [
    "DUPLICATE_NAME_SIMILARITY",
    "FACETS",
    "FIELD_LABELS",
    "FILTERS",
    "CAPABILITY_BOOST",
    "EXACT_BOOST",
    "FIELD_WEIGHTS",
    "MAX_CORRECTIONS",
    "REGION_BOOST",
    "FacetOption",
    "Facets",
    "Correction",
    "MARKET_MAP_CACHE_SECONDS",
    "MARK_START",
    "MARK_STOP",
    "MAX_COMPARE",
    "MAX_PAGE",
    "MAX_QUERY_LENGTH",
    "MIN_COMPARE",
    "MarketMap",
    "MarketMapCell",
    "NAME_CONFIG",
    "ORDERINGS",
    "ORDERING_NAME",
    "ORDERING_RELEVANCE",
    "ORDERING_UPDATED",
    "Option",
    "PAGE_SIZE",
    "PUBLIC_CONTRACTS_SHOWN",
    "PublicContracts",
    "QueryText",
    "ReferenceData",
    "SEARCH_CONFIG",
    "SOURCES",
    "SOURCE_PUBLIC_RECORDS",
    "SOURCE_REGISTERED",
    "SearchPage",
    "SearchParams",
    "SearchResult",
    "SupplierCapability",
    "SupplierCertification",
    "SupplierFramework",
    "SupplierRegion",
    "SupplierSearch",
    "effective_values",
    "grouped_capabilities",
    "market_map",
    "pending_claim",
    "possible_duplicates",
    "public_contract_count_expression",
    "public_contracts_for",
    "reference_data",
    "revision_rows",
    "search_cache_seconds",
    "supplier_for_profile",
    "supplier_profile_queryset",
    "suppliers_to_compare",
    "with_export_columns",
]
