"""CSV downloads for the procurement audit trail: any search's results, and a shortlist.

Both are streamed (a server-side cursor feeds the response, so memory stays flat
whatever the number of rows) and hold every matching row, not only the page shown.

The supplier columns are those of ``import_suppliers`` (DESIGN.md "supplier CSV"),
so a download can be read back in, followed by what a buyer needs for the record.
Multi-valued cells are separated by ``;``. A cell that a spreadsheet would run as a
formula (starting ``=``, ``+``, ``-``, ``@``, tab or carriage return) is prefixed with
``'`` so opening the file cannot execute anything. The file starts with a UTF-8 byte
order mark so Excel reads accented names correctly.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.urls import reverse
from django.utils import timezone

from core.csv import csv_lines, csv_response, safe_cell  # noqa: F401 - safe_cell re-exported
from suppliers.importer import COLUMNS as IMPORT_COLUMNS
from suppliers.models import Shortlist, ShortlistEntry, Supplier
from suppliers.selectors import SupplierSearch, with_export_columns
from suppliers.selectors.awards import with_award_totals

SUPPLIER_COLUMNS = [
    *IMPORT_COLUMNS,
    "sme",
    "profile_url",
    "updated_at",
    # Public contract data: not registered on Techmap, and what it has won.
    "from_public_records",
    "public_contracts",
    "public_contract_total_gbp",
    "latest_award_date",
]
RESULT_COLUMNS = ["position", *SUPPLIER_COLUMNS, "search", "exported_at"]
SHORTLIST_COLUMNS = [
    "shortlist",
    "added_at",
    "note",
    "found_by_search",
    "status",
    *SUPPLIER_COLUMNS,
    "exported_at",
]
CHUNK_ROWS = 1000


def _supplier_cells(row: dict, profile_base: str) -> list[Any]:
    return [
        row["companies_house_number"],
        row["name"],
        row["website"],
        row["summary"],
        row["description"],
        row["size"],
        row["employees"],
        row["year_founded"],
        row["hq_region_name"] or "",
        ";".join(row["region_names"] or ()),
        ";".join(row["capability_names"] or ()),
        ";".join(row["certification_names"] or ()),
        ";".join(row["framework_names"] or ()),
        "yes" if row["size"] in Supplier.SME_SIZES else "no",
        profile_base.replace("__slug__", row["slug"]),
        timezone.localtime(row["updated_at"]).isoformat(timespec="seconds"),
        "yes" if row["is_public_record"] else "no",
        row["public_contract_count"] or 0,
        "" if row["public_contract_total"] is None else f"{row['public_contract_total']:.2f}",
        ""
        if row["latest_award_date"] is None
        else timezone.localtime(row["latest_award_date"]).isoformat(timespec="seconds"),
    ]


def _profile_base(request) -> str:
    return request.build_absolute_uri(reverse("suppliers:detail", args=["__slug__"]))


def _stamp() -> tuple[str, str]:
    now = timezone.localtime()
    return now.isoformat(timespec="seconds"), now.strftime("%Y-%m-%d-%H%M")


def search_results_csv(request, search: SupplierSearch, *, search_query: str):
    """Every supplier the search matches, in the order the page shows them."""
    profile_base = _profile_base(request)
    exported_at, stamp = _stamp()

    def rows() -> Iterator[list[Any]]:
        queryset = with_award_totals(search.export_queryset())
        for position, row in enumerate(queryset.iterator(chunk_size=CHUNK_ROWS), start=1):
            yield [position, *_supplier_cells(row, profile_base), search_query, exported_at]

    return csv_response(csv_lines(RESULT_COLUMNS, rows()), f"techmap-suppliers-{stamp}.csv")


def shortlist_csv(request, shortlist: Shortlist):
    """The shortlist's suppliers in the order they were added, with notes (two queries)."""
    profile_base = _profile_base(request)
    exported_at, stamp = _stamp()
    entries = list(
        ShortlistEntry.objects.filter(shortlist=shortlist)
        .order_by("added_at", "pk")
        .values("supplier_id", "note", "search_query", "added_at")
    )
    suppliers = {
        row["pk"]: row
        for row in with_award_totals(
            with_export_columns(
                Supplier.objects.filter(pk__in=[e["supplier_id"] for e in entries]), "status"
            )
        )
    }

    def rows() -> Iterator[list[Any]]:
        for entry in entries:
            row = suppliers.get(entry["supplier_id"])
            if row is None:
                continue
            yield [
                shortlist.name,
                timezone.localtime(entry["added_at"]).isoformat(timespec="seconds"),
                entry["note"],
                entry["search_query"],
                Supplier.Status(row["status"]).label,
                *_supplier_cells(row, profile_base),
                exported_at,
            ]

    filename = f"techmap-shortlist-{shortlist.pk}-{stamp}.csv"
    return csv_response(csv_lines(SHORTLIST_COLUMNS, rows()), filename)
