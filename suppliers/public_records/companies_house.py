"""Companies House's Free Company Data Product ("BasicCompanyData…csv", or its .zip).

Read exactly as published: some header names start with a space (``" CompanyNumber"``,
``" RegAddress.AddressLine2"``), dates are ``dd/mm/yyyy``, each SIC code is given as
``"62020 - Information technology consultancy activities"``. Rows are streamed and
written in batches, so five million rows take bounded memory.

By default only companies Techmap already knows (registered suppliers and suppliers
from public records) are updated: status, incorporation and dissolution dates, SIC
codes, and, for suppliers from public records, the region of the registered office.
A registered supplier's own profile is never changed; one that Companies House shows
dissolved, in liquidation or proposed for strike-off is flagged to moderators with the
date (``Supplier.companies_house_flagged_on``), and the flag clears if that changes.

``sic_divisions`` (``--sic 62,63``) also adds active companies in those SIC divisions
(the first two digits) as suppliers from public records.
"""

from __future__ import annotations

import csv
import io
import time
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from django.db import transaction
from django.utils import timezone

from suppliers.companies_house import parse_company_number
from suppliers.models import Region, Supplier
from suppliers.public_records.bulk import copy_update
from suppliers.public_records.regions import region_code_for_postcode
from suppliers.public_records.text import display_name, name_key, parse_uk_date

BATCH_SIZE = 2000
REQUIRED_COLUMNS = ("CompanyName", "CompanyNumber", "CompanyStatus")
SIC_COLUMNS = tuple(f"SICCode.SicText_{n}" for n in range(1, 5))
FACT_FIELDS = (
    "companies_house_status",
    "incorporated_on",
    "dissolved_on",
    "sic_codes",
    "companies_house_flagged_on",
)

Progress = Callable[[int], None]


class CompaniesHouseFileError(Exception):
    """The file cannot be read as BasicCompanyData; nothing was written."""


def is_flagged_status(status: str) -> bool:
    """Dissolved, in liquidation, or proposed for strike-off."""
    lowered = status.lower()
    return any(word in lowered for word in ("dissolved", "liquidation", "strike off", "strike-off"))


def sic_codes(row: dict[str, str]) -> list[str]:
    """The 5-digit codes of ``"62020 - Information technology consultancy activities"``
    cells (``"None Supplied"`` and blanks are left out)."""
    codes = []
    for column in SIC_COLUMNS:
        code = (row.get(column) or "").split("-", 1)[0].strip()
        if code.isdigit() and code not in codes:
            codes.append(code[:5])
    return codes


@dataclass
class CompaniesHouseReport:
    rows: int = 0
    updated: int = 0
    unchanged: int = 0
    created: int = 0
    flagged: int = 0
    unreadable: int = 0
    seconds: float = 0.0

    def summary(self) -> str:
        return (
            f"{self.rows:,} rows read: {self.updated:,} known companies updated, "
            f"{self.unchanged:,} unchanged, {self.created:,} added from public records, "
            f"{self.flagged:,} registered suppliers flagged, {self.unreadable:,} rows without "
            "a company number"
        )


@contextmanager
def _open_text(path: Path) -> Iterator[IO[str]]:
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            members = [m for m in archive.namelist() if m.lower().endswith(".csv")]
            if not members:
                raise CompaniesHouseFileError(f"{path.name}: the ZIP holds no .csv file")
            with archive.open(members[0]) as raw:
                yield io.TextIOWrapper(raw, encoding="utf-8-sig", errors="replace", newline="")
        return
    with open(path, "rb") as raw:
        # TextIOWrapper decodes in C; a codecs StreamReader reads lines in Python.
        yield io.TextIOWrapper(raw, encoding="utf-8-sig", errors="replace", newline="")


def read_rows(path: str | Path) -> Iterator[dict[str, str]]:
    """Each row as a dict keyed by the header names with their stray spaces removed."""
    rows = iter_cells(path)
    header = next(rows)
    for cells in rows:
        yield dict(zip(header, cells, strict=False))


def iter_cells(path: str | Path) -> Iterator[list[str]]:
    """The header (stray spaces removed), then each row as a list of cells, streamed.
    Building a dict for each of five million rows costs more than reading them, so the
    importer looks at the number cell first and builds a dict only for rows it keeps.
    Raises CompaniesHouseFileError (on the first ``next``) if the file is not
    BasicCompanyData."""
    path = Path(path)
    if not path.exists():
        raise CompaniesHouseFileError(f"{path}: no such file")
    with _open_text(path) as text:
        reader = csv.reader(text)
        header = [name.strip() for name in next(reader, [])]
        missing = [c for c in REQUIRED_COLUMNS if c not in header]
        if missing:
            raise CompaniesHouseFileError(
                f"{path.name}: not a BasicCompanyData file (no {', '.join(missing)} column)"
            )
        yield header
        yield from reader


class _Importer:
    def __init__(self, report: CompaniesHouseReport, sic_divisions: set[str]) -> None:
        self.report = report
        self.sic_divisions = sic_divisions
        self.regions = dict(Region.objects.values_list("code", "pk"))
        self.known: dict[str, tuple[int, bool]] = {
            number: (pk, public)
            for pk, number, public in Supplier.objects.filter(
                companies_house_number__isnull=False
            ).values_list("pk", "companies_house_number", "from_public_records")
        }
        self.unnumbered: dict[str, int] = {}
        self.slugs: set[str] = set()
        if sic_divisions:
            for pk, name in Supplier.objects.filter(
                from_public_records=True, companies_house_number__isnull=True
            ).values_list("pk", "name"):
                self.unnumbered.setdefault(name_key(name), pk)
            self.slugs = set(Supplier.objects.values_list("slug", flat=True))

    def facts(self, row: dict[str, str]) -> dict:
        status = (row.get("CompanyStatus") or "").strip()[:60]
        return {
            "companies_house_status": status,
            "incorporated_on": parse_uk_date(row.get("IncorporationDate")),
            "dissolved_on": parse_uk_date(row.get("DissolutionDate")),
            "sic_codes": sic_codes(row),
        }

    def region_id(self, row: dict[str, str]) -> int | None:
        code = region_code_for_postcode(row.get("RegAddress.PostCode"))
        return self.regions.get(code) if code else None

    def wanted_new(self, row: dict[str, str], facts: dict) -> bool:
        if not self.sic_divisions:
            return False
        status = facts["companies_house_status"].lower()
        if not status.startswith("active") or is_flagged_status(status):
            return False
        return any(code[:2] in self.sic_divisions for code in facts["sic_codes"])

    def run_batch(self, rows: list[tuple[str, dict[str, str]]]) -> None:
        from suppliers.services import (
            first_free_slug,
            record_supplier_history,
            refresh_search_vectors,
            slug_base,
        )

        today = timezone.localdate()
        updates: dict[int, tuple[dict, dict[str, str]]] = {}
        new: list[Supplier] = []
        for number, row in rows:
            facts = self.facts(row)
            if number in self.known:
                updates[self.known[number][0]] = (facts, row)
            elif self.wanted_new(row, facts):
                key = name_key(row.get("CompanyName"))
                if key in self.unnumbered:
                    pk = self.unnumbered.pop(key)
                    self.known[number] = (pk, True)
                    facts["companies_house_number"] = number
                    updates[pk] = (facts, row)
                    continue
                name = display_name(row.get("CompanyName"))[:200] or f"Company {number}"
                slug = first_free_slug(slug_base(name), self.slugs)
                self.slugs.add(slug)
                new.append(
                    Supplier(
                        name=name,
                        slug=slug,
                        companies_house_number=number,
                        status=Supplier.Status.PUBLISHED,
                        published_at=timezone.now(),
                        from_public_records=True,
                        hq_region_id=self.region_id(row),
                        companies_house_checked_at=timezone.now(),
                        **facts,
                    )
                )
                self.known[number] = (0, True)
        fields = [*FACT_FIELDS, "hq_region_id", "companies_house_number"]
        with transaction.atomic():
            changed: list[Supplier] = []
            # Only the columns compared and written: a supplier's row is wide (text, vectors).
            current = Supplier.objects.only("from_public_records", *fields).in_bulk(list(updates))
            for pk, (facts, row) in updates.items():
                supplier = current.get(pk)
                if supplier is None:
                    continue
                values = dict(facts)
                if supplier.from_public_records:
                    values["hq_region_id"] = self.region_id(row) or supplier.hq_region_id
                    values["companies_house_flagged_on"] = None
                elif is_flagged_status(facts["companies_house_status"]):
                    values["companies_house_flagged_on"] = (
                        supplier.companies_house_flagged_on or facts["dissolved_on"] or today
                    )
                else:
                    values["companies_house_flagged_on"] = None
                if all(getattr(supplier, k) == v for k, v in values.items()):
                    self.report.unchanged += 1
                    continue
                if values["companies_house_flagged_on"] and not supplier.companies_house_flagged_on:
                    self.report.flagged += 1
                for k, v in values.items():
                    setattr(supplier, k, v)
                supplier.companies_house_checked_at = timezone.now()
                changed.append(supplier)
            # COPY and one UPDATE … FROM: bulk_update's CASE per row and column cost over a
            # millisecond a supplier in Python (3 minutes for 100,000 known companies).
            written = [*fields, "companies_house_checked_at"]
            copy_update(
                Supplier,
                [{"id": c.pk, **{f: getattr(c, f) for f in written}} for c in changed],
                written,
            )
            self.report.updated += len(changed)
            if new:
                Supplier.objects.bulk_create(new, batch_size=500)
                ids = [s.pk for s in new]
                for supplier in new:
                    self.known[supplier.companies_house_number] = (supplier.pk, True)
                refresh_search_vectors(supplier_ids=ids)
                record_supplier_history(
                    ids, history_type="+", reason="From Companies House (SIC codes)"
                )
                self.report.created += len(new)
            refreshed = [s.pk for s in changed if s.from_public_records]
            if refreshed:
                refresh_search_vectors(supplier_ids=refreshed)


def import_companies_house(
    path: str | Path,
    *,
    sic_divisions: set[str] | frozenset[str] = frozenset(),
    batch_size: int = BATCH_SIZE,
    progress: Progress | None = None,
) -> CompaniesHouseReport:
    """Update known companies (and with ``sic_divisions``, add new ones) from the file.

    Before: nothing. After: each known supplier's Companies House facts match the file;
    a re-run of the same file changes nothing. Each batch commits as it goes. Raises
    CompaniesHouseFileError if the file is not BasicCompanyData (nothing written)."""
    report = CompaniesHouseReport()
    started = time.monotonic()
    importer = _Importer(report, {d.strip().zfill(2)[:2] for d in sic_divisions if d.strip()})
    wanted_all = bool(importer.sic_divisions)
    rows = iter_cells(path)
    header = next(rows)
    at_number = header.index("CompanyNumber")
    at_sic = [header.index(c) for c in SIC_COLUMNS if c in header]
    known = importer.known
    batch: list[tuple[str, dict[str, str]]] = []
    for cells in rows:
        report.rows += 1
        raw = cells[at_number] if len(cells) > at_number else ""
        # Most numbers are published in the stored form: only the others are parsed.
        number = raw if raw in known else parse_company_number(raw)
        if number is None:
            report.unreadable += 1
            continue
        # Most of five million rows are neither known nor wanted: drop them here.
        if number in known or (
            wanted_all
            and any(cells[i][:2] in importer.sic_divisions for i in at_sic if i < len(cells))
        ):
            batch.append((number, dict(zip(header, cells, strict=False))))
        if len(batch) >= batch_size:
            importer.run_batch(batch)
            batch = []
        if progress and report.rows % 100_000 == 0:
            progress(report.rows)
    if batch:
        importer.run_batch(batch)
    report.seconds = time.monotonic() - started
    return report
