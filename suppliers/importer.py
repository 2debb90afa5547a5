"""Bulk create or update published suppliers from a CSV file (``import_suppliers``).

The file format is a contract (DESIGN.md, "supplier CSV")::

    companies_house_number, name, website, summary, description, size, employees,
    year_founded, hq_region, regions, capabilities, certifications, frameworks

UTF-8 (a byte-order mark is fine), one header row, ``;`` between the values of
the multi-valued columns (regions, capabilities, certifications, frameworks),
which are given by name or code in any case and may be empty. Rows are keyed
by Companies House number: a new number creates a published supplier, a known
one is brought in line with the row (empty cells clear the value). A row that
would change nothing writes nothing (not even ``updated_at`` or history), so
importing the same file twice changes nothing the second time.

A bad row never stops the others: it is reported with its line number and
reason. Suppliers a moderator has suspended or rejected are not changed by an
import (reported as rejected rows). A file that cannot be read at all (missing,
not UTF-8, header columns missing) raises :class:`ImportFileError` before
anything is written.

Speed: rows are validated in Python against lookup dicts loaded once, then
written in batches (one transaction each): one ``INSERT … SELECT FROM unnest(…)``
for new suppliers and one ``UPDATE … FROM unnest(…)`` for changed ones, each
writing the search vector in the same pass (a row is written once, not
rewritten by a refresh); set-based link inserts; history copied in PostgreSQL
(``services.record_supplier_history``). About 2,000 rows a second here.
"""

from __future__ import annotations

import codecs
import csv
import io
import logging
import os
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import DatabaseError, DataError, IntegrityError, connection, transaction
from django.utils import timezone

from suppliers import registry_version, rules
from suppliers.companies_house import parse_company_number
from suppliers.models import (
    Capability,
    Certification,
    Framework,
    Region,
    Supplier,
)
from suppliers.services import (
    LINK_ID_FIELDS,
    SUPPLIER_M2M_FIELDS,
    capability_texts,
    first_free_slug,
    record_supplier_history,
    refresh_vocabulary,
    search_vector_sql,
    search_vector_update_sql,
    slug_base,
)

logger = logging.getLogger(__name__)

COLUMNS = (
    "companies_house_number",
    "name",
    "website",
    "summary",
    "description",
    "size",
    "employees",
    "year_founded",
    "hq_region",
    "regions",
    "capabilities",
    "certifications",
    "frameworks",
)
MULTI_SEPARATOR = ";"
BATCH_SIZE = 2000

# The supplier columns an import owns; contact details and the slug are left alone.
IMPORTED_FIELDS = (
    "name",
    "website",
    "summary",
    "description",
    "size",
    "employees",
    "year_founded",
    "hq_region_id",
    "status",
    "published_at",
)

_SPACES_RE = re.compile(r"\s+")
_url_validator = URLValidator(schemes=["http", "https"])

Progress = Callable[[int, "int | None"], None]


class ImportFileError(Exception):
    """The file as a whole cannot be imported; nothing was written."""


@dataclass(frozen=True)
class RejectedRow:
    line: int
    reason: str


@dataclass
class ImportReport:
    """What an import did. ``rejected`` lists each bad row's line number and reason."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[RejectedRow] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    created_ids: list[int] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def rows(self) -> int:
        return self.created + self.updated + self.unchanged + len(self.rejected)

    def summary(self) -> str:
        return (
            f"{self.created:,} created, {self.updated:,} updated, "
            f"{self.unchanged:,} unchanged, {len(self.rejected):,} rejected"
        )


@dataclass
class _Row:
    line: int
    companies_house_number: str
    values: dict[str, Any]  # attname -> value, for IMPORTED_FIELDS minus status/published_at
    links: dict[str, frozenset[int]]  # m2m field name -> target ids


def _key(text: str) -> str:
    return _SPACES_RE.sub(" ", text).strip().casefold()


class _Lookup:
    """Name, code (and slug) of one reference table, any case, to its primary key."""

    def __init__(self, label: str, rows: Iterable[tuple]) -> None:
        self.label = label
        self.ids: dict[str, int] = {}
        for pk, *keys in rows:
            for key in keys:
                if key:
                    self.ids.setdefault(_key(key), pk)

    def get(self, text: str) -> int | None:
        return self.ids.get(_key(text))


class _Lookups:
    def __init__(self) -> None:
        self.regions = _Lookup("region", Region.objects.values_list("pk", "name", "code", "slug"))
        self.by_field = {
            "regions": self.regions,
            "capabilities": _Lookup(
                "capability", Capability.objects.values_list("pk", "name", "code")
            ),
            "certifications": _Lookup(
                "certification", Certification.objects.values_list("pk", "name", "code")
            ),
            "frameworks": _Lookup("framework", Framework.objects.values_list("pk", "name", "code")),
        }
        self.sizes = {value: value for value in Supplier.Size.values}
        # What each capability adds to a vector: name, group and synonyms.
        self.capability_names = capability_texts()


# --- Reading the file --------------------------------------------------------


def _check_utf8(raw: IO[bytes], name: str) -> int:
    """Read the whole file once: fail clearly if it is not UTF-8; return its line count."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    lines = 0
    while chunk := raw.read(1 << 20):
        try:
            decoder.decode(chunk)
        except UnicodeDecodeError as exc:
            line = lines + exc.object[: exc.start].count(b"\n") + 1
            raise ImportFileError(
                f"{name} is not UTF-8 text (the first bad character is on line {line}). "
                "Save it as 'CSV UTF-8' and try again."
            ) from exc
        lines += chunk.count(b"\n")
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError as exc:
        raise ImportFileError(
            f"{name} is not UTF-8 text (it ends part-way through a character)."
        ) from exc
    return lines


def _open(path_or_file: str | os.PathLike | IO) -> tuple[IO[str], int | None, str, bool]:
    """(text stream, estimated data rows or None, display name, whether we must close it)."""
    if isinstance(path_or_file, str | os.PathLike):
        path = Path(path_or_file)
        name = path.name
        try:
            raw = path.open("rb")
        except FileNotFoundError as exc:
            raise ImportFileError(f"There is no file at {path}.") from exc
        except IsADirectoryError as exc:
            raise ImportFileError(f"{path} is a folder, not a CSV file.") from exc
        except OSError as exc:
            raise ImportFileError(f"{path} cannot be read: {exc.strerror}.") from exc
        try:
            lines = _check_utf8(raw, name)
            raw.seek(0)
        except BaseException:
            raw.close()
            raise
        text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
        return text, max(lines - 1, 0), name, True
    name = getattr(path_or_file, "name", None) or "the file"
    if isinstance(path_or_file, io.TextIOBase):
        return path_or_file, None, str(name), False
    # A binary file object: check it when we can rewind it, otherwise decode as we go.
    total = None
    if path_or_file.seekable():
        start = path_or_file.tell()
        total = max(_check_utf8(path_or_file, str(name)) - 1, 0)
        path_or_file.seek(start)
    return io.TextIOWrapper(path_or_file, encoding="utf-8-sig", newline=""), total, str(name), False


def _header(reader, name: str) -> tuple[dict[str, int], list[str], int]:
    try:
        header = next(reader)
    except StopIteration:
        raise ImportFileError(f"{name} is empty: expected a header row.") from None
    except csv.Error as exc:
        raise ImportFileError(f"{name} has an unreadable header row: {exc}.") from exc
    names = [_key(cell).lstrip("\ufeff").replace(" ", "_") for cell in header]
    duplicates = sorted({n for n in names if n and names.count(n) > 1})
    if duplicates:
        raise ImportFileError(f"{name} has these columns more than once: {', '.join(duplicates)}.")
    missing = [column for column in COLUMNS if column not in names]
    if missing:
        raise ImportFileError(
            f"{name} is missing the column(s): {', '.join(missing)}. The header row must "
            f"name these columns: {', '.join(COLUMNS)}."
        )
    ignored = [n for n in names if n not in COLUMNS]
    return {n: i for i, n in enumerate(names) if n in COLUMNS}, ignored, len(names)


# --- Validating a row --------------------------------------------------------


def _parse_int(text: str, label: str, low: int, high: int, errors: list[str]) -> int | None:
    text = text.replace(",", "").strip()
    if not text:
        return None
    try:
        value = int(text)
    except ValueError:
        errors.append(f"{label} must be a whole number, not '{text}'")
        return None
    if not low <= value <= high:
        errors.append(f"{label} must be between {low} and {high}, not {value}")
        return None
    return value


def _parse_row(line: int, cells: dict[str, str], lookups: _Lookups) -> tuple[_Row | None, str]:
    """A valid row, or None and the reasons it was rejected (all of them, '; '-joined)."""
    errors: list[str] = []
    nul = [column for column, value in cells.items() if "\x00" in value]
    if nul:
        return None, f"{', '.join(nul)} contains a NUL character (is it really a CSV file?)"
    raw_number = cells["companies_house_number"].strip()
    number = parse_company_number(raw_number)
    if not raw_number:
        errors.append("companies_house_number is empty")
    elif number is None:
        errors.append(
            f"companies_house_number '{raw_number}' is not 8 digits or 2 letters and 6 digits "
            "(or a prefix such as SC, NI, OC or R followed by fewer digits, which are "
            "zero-padded)"
        )
    name = _SPACES_RE.sub(" ", cells["name"]).strip()
    if not name:
        errors.append("name is empty")
    elif len(name) > 200:
        errors.append(f"name is {len(name)} characters long; the most is 200")
    website = cells["website"].strip()
    if website:
        if len(website) > 300:
            errors.append("website is longer than 300 characters")
        else:
            try:
                _url_validator(website)
            except ValidationError:
                errors.append(f"website '{website}' is not a web address starting https://")
    summary = _SPACES_RE.sub(" ", cells["summary"]).strip()
    if len(summary) > 250:
        errors.append(f"summary is {len(summary)} characters long; the most is 250")
    description = cells["description"].strip()
    size_text = cells["size"].strip().lower()
    size = lookups.sizes.get(size_text)
    if not size_text:
        errors.append("size is empty (micro, small, medium or large)")
    elif size is None:
        errors.append(f"size '{cells['size'].strip()}' is not micro, small, medium or large")
    employees = _parse_int(cells["employees"], "employees", 0, rules.EMPLOYEES_MAX, errors)
    year_founded = _parse_int(
        cells["year_founded"],
        "year_founded",
        rules.YEAR_FOUNDED_MIN,
        rules.YEAR_FOUNDED_MAX,
        errors,
    )
    mismatch = rules.size_employees_error(size, employees)
    if mismatch:
        errors.append(f"size: {mismatch}")
    hq_region_id = None
    hq_text = cells["hq_region"].strip()
    if hq_text:
        hq_region_id = lookups.regions.get(hq_text)
        if hq_region_id is None:
            errors.append(f"hq_region '{hq_text}' is not a UK region name or ITL1 code")
    links: dict[str, frozenset[int]] = {}
    for field_name in SUPPLIER_M2M_FIELDS:
        lookup = lookups.by_field[field_name]
        ids = set()
        unknown = []
        for part in cells[field_name].split(MULTI_SEPARATOR):
            if not part.strip():
                continue
            pk = lookup.get(part)
            if pk is None:
                unknown.append(part.strip())
            else:
                ids.add(pk)
        if unknown:
            errors.append(
                f"{field_name}: unknown {lookup.label} " + ", ".join(f"'{u}'" for u in unknown)
            )
        links[field_name] = frozenset(ids)
    if errors:
        return None, "; ".join(errors)
    values = {
        "name": name,
        "website": website,
        "summary": summary,
        "description": description,
        "size": size,
        "employees": employees,
        "year_founded": year_founded,
        "hq_region_id": hq_region_id,
    }
    return _Row(line, number, values, links), ""


# --- Writing a batch -----------------------------------------------------------


def _sql_param(value: Any) -> Any:
    """A value for the INSERT's unnest(): a list (an array column) as an array literal."""
    if isinstance(value, list):
        quoted = ('"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"' for v in value)
        return "{" + ",".join(quoted) + "}"
    return value


def _array_cast(model_field) -> str:
    target = model_field.target_field if model_field.is_relation else model_field
    return f"%s::{target.db_type(connection)}[]"


def _update_sql() -> tuple[str, list[str]]:
    """One UPDATE … FROM unnest(…) for a batch of changed suppliers, search vector included.

    The vector is built from the new values and the links as already rewritten,
    so each changed row is written once.
    """
    fields = [Supplier._meta.get_field(c.removesuffix("_id")) for c in IMPORTED_FIELDS]
    fields.append(Supplier._meta.get_field("updated_at"))
    casts = ", ".join(_array_cast(f) for f in fields)
    names = ", ".join(f.column for f in fields)
    sql = search_vector_update_sql(
        target=f"SELECT * FROM unnest(%s::bigint[], {casts}) AS v(id, {names})",
        source="target",
        assignments=", ".join(f"{f.column} = target.{f.column}" for f in fields),
    )
    return sql, [f.attname for f in fields]


def _insert_sql() -> tuple[str, list[str]]:
    """INSERT … SELECT FROM unnest(…) that writes the search vector in the same pass.

    A new supplier has no case studies yet, and its capability names come from
    the batch, so inserting the final row once is cheaper than inserting it and
    then rewriting it (and every index entry) with a search-vector refresh.
    """
    fields = [
        f
        for f in Supplier._meta.concrete_fields
        if not f.primary_key and f.name not in Supplier.DERIVED_FIELDS
    ]
    # Array columns (Supplier.sic_codes …) travel as array literals like the id arrays
    # below: unnest() of a two-dimensional array would flatten them.
    fields.sort(key=lambda f: isinstance(f, ArrayField))
    casts = ", ".join("%s::text[]" if isinstance(f, ArrayField) else _array_cast(f) for f in fields)
    names = ", ".join(f.column for f in fields)
    values = ", ".join(
        f"v.{f.column}::{f.db_type(connection)}" if isinstance(f, ArrayField) else f"v.{f.column}"
        for f in fields
    )
    vector = search_vector_sql(
        name="v.name",
        summary="v.summary",
        capabilities="v.capability_text",
        description="v.description",
        case_studies="''",
    )
    # The facet id arrays travel as array literals ('{3,7}'): unnest() cannot take a
    # ragged two-dimensional array.
    arrays = [LINK_ID_FIELDS[name] for name in SUPPLIER_M2M_FIELDS]
    literals = ", ".join("%s::text[]" for _ in arrays)
    sql = (
        f"INSERT INTO {Supplier._meta.db_table} ({names}, {', '.join(arrays)}, search_vector) "
        f"SELECT {values}, {', '.join(f'v.{a}::bigint[]' for a in arrays)}, {vector} "
        f"FROM unnest({casts}, {literals}, %s::text[]) "
        f"AS v({names}, {', '.join(arrays)}, capability_text) "
        "RETURNING id, companies_house_number"
    )
    return sql, [f.attname for f in fields]


def _link_tables() -> dict[str, tuple[str, str]]:
    tables = {}
    for field_name in SUPPLIER_M2M_FIELDS:
        model_field = Supplier._meta.get_field(field_name)
        tables[field_name] = (
            model_field.remote_field.through._meta.db_table,
            model_field.m2m_reverse_name(),
        )
    return tables


class _Importer:
    def __init__(
        self, *, actor, reason: str, report: ImportReport, capability_names: dict[int, str]
    ) -> None:
        self.capability_names = capability_names
        self.actor = actor
        self.reason = reason
        self.report = report
        self.allocated_slugs: set[str] = set()
        self.suffixed: dict[str, set[str]] = {}
        self.update_sql, self.update_attnames = _update_sql()
        self.insert_sql, self.insert_attnames = _insert_sql()
        self.link_tables = _link_tables()

    # Slugs are chosen for a whole batch with one query; only names whose plain
    # slug is taken need a second look for the next free -N suffix.
    def _slugs(self, names: list[str]) -> list[str]:
        bases = [slug_base(n) for n in names]
        taken = set(Supplier.objects.filter(slug__in=set(bases)).values_list("slug", flat=True))
        slugs = []
        for base in bases:
            if base in taken or base in self.allocated_slugs:
                if base not in self.suffixed:
                    self.suffixed[base] = set(
                        Supplier.objects.filter(
                            slug__startswith=base, slug__regex=rf"^{base}(-[0-9]+)?$"
                        ).values_list("slug", flat=True)
                    )
                slug = first_free_slug(base, self.suffixed[base] | self.allocated_slugs)
            else:
                slug = base
            self.allocated_slugs.add(slug)
            slugs.append(slug)
        return slugs

    def _current_links(self, supplier_ids: list[int]) -> dict[str, dict[int, set[int]]]:
        current: dict[str, dict[int, set[int]]] = {}
        with connection.cursor() as cursor:
            for field_name, (table, column) in self.link_tables.items():
                by_supplier: dict[int, set[int]] = {pk: set() for pk in supplier_ids}
                cursor.execute(
                    f"SELECT supplier_id, {column} FROM {table} WHERE supplier_id = ANY(%s)",
                    [supplier_ids],
                )
                for supplier_id, target_id in cursor.fetchall():
                    by_supplier[supplier_id].add(target_id)
                current[field_name] = by_supplier
        return current

    def write(self, rows: list[_Row]) -> None:
        """Write one batch in one transaction; on a database error, retry row by row."""
        slugs_before = set(self.allocated_slugs)
        try:
            with transaction.atomic():
                outcome = self._write(rows)
        except (IntegrityError, DataError) as exc:
            self.allocated_slugs = slugs_before
            self.suffixed.clear()
            if len(rows) == 1:
                self.report.rejected.append(
                    RejectedRow(rows[0].line, f"could not be saved: {str(exc).splitlines()[0]}")
                )
                return
            for row in rows:
                self.write([row])
            return
        created, updated, unchanged, rejected = outcome
        self.report.created += len(created)
        self.report.created_ids.extend(created)
        self.report.updated += updated
        self.report.unchanged += unchanged
        self.report.rejected.extend(rejected)

    def _write(self, rows: list[_Row]) -> tuple[list[int], int, int, list[RejectedRow]]:
        now = timezone.now()
        existing = {
            s.companies_house_number: s
            for s in Supplier.objects.select_for_update()
            .filter(companies_house_number__in=[r.companies_house_number for r in rows])
            .defer(*Supplier.DERIVED_FIELDS)
        }
        current = self._current_links([s.pk for s in existing.values()])
        new_rows: list[_Row] = []
        changed: list[Supplier] = []
        relink: dict[str, dict[int, frozenset[int]]] = {name: {} for name in SUPPLIER_M2M_FIELDS}
        unchanged = 0
        rejected: list[RejectedRow] = []
        for row in rows:
            supplier = existing.get(row.companies_house_number)
            if supplier is None:
                new_rows.append(row)
                continue
            if supplier.status in (Supplier.Status.SUSPENDED, Supplier.Status.REJECTED):
                rejected.append(
                    RejectedRow(
                        row.line,
                        f"{supplier.name} ({row.companies_house_number}) is "
                        f"{supplier.get_status_display().lower()}: a moderator must reinstate "
                        "it before an import can change it",
                    )
                )
                continue
            is_changed = False
            for attname, value in row.values.items():
                if getattr(supplier, attname) != value:
                    setattr(supplier, attname, value)
                    is_changed = True
            if supplier.status != Supplier.Status.PUBLISHED:
                supplier.status = Supplier.Status.PUBLISHED
                is_changed = True
            if supplier.published_at is None:
                supplier.published_at = now
                is_changed = True
            for field_name, wanted in row.links.items():
                if current[field_name][supplier.pk] != wanted:
                    relink[field_name][supplier.pk] = wanted
                    is_changed = True
            if is_changed:
                supplier.updated_at = now
                changed.append(supplier)
            else:
                unchanged += 1

        created_ids: list[int] = []
        with connection.cursor() as cursor:
            if new_rows:
                slugs = self._slugs([r.values["name"] for r in new_rows])
                new = [
                    Supplier(
                        **row.values,
                        companies_house_number=row.companies_house_number,
                        slug=slug,
                        status=Supplier.Status.PUBLISHED,
                        created_at=now,
                        updated_at=now,
                        published_at=now,
                    )
                    for row, slug in zip(new_rows, slugs, strict=True)
                ]
                capability_text = [
                    " ".join(self.capability_names[pk] for pk in sorted(row.links["capabilities"]))
                    for row in new_rows
                ]
                id_arrays = [
                    ["{" + ",".join(map(str, sorted(row.links[name]))) + "}" for row in new_rows]
                    for name in SUPPLIER_M2M_FIELDS
                ]
                cursor.execute(
                    self.insert_sql,
                    [[_sql_param(getattr(s, a)) for s in new] for a in self.insert_attnames]
                    + id_arrays
                    + [capability_text],
                )
                id_by_number = {number: pk for pk, number in cursor.fetchall()}
                for row in new_rows:
                    pk = id_by_number[row.companies_house_number]
                    created_ids.append(pk)
                    for field_name, wanted in row.links.items():
                        relink[field_name][pk] = wanted
            new_ids = set(created_ids)
            for field_name, wanted_by_supplier in relink.items():
                if not wanted_by_supplier:
                    continue
                table, column = self.link_tables[field_name]
                stale = [pk for pk in wanted_by_supplier if pk not in new_ids]
                if stale:
                    cursor.execute(f"DELETE FROM {table} WHERE supplier_id = ANY(%s)", [stale])
                pairs = [(pk, t) for pk, targets in wanted_by_supplier.items() for t in targets]
                if pairs:
                    cursor.execute(
                        f"INSERT INTO {table} (supplier_id, {column}) "
                        "SELECT * FROM unnest(%s::bigint[], %s::bigint[])",
                        [[p[0] for p in pairs], [p[1] for p in pairs]],
                    )
            if changed:
                # After the links, so the vector sees the new capabilities.
                cursor.execute(
                    self.update_sql,
                    [[s.pk for s in changed]]
                    + [[getattr(s, a) for s in changed] for a in self.update_attnames],
                )
            # The vocabulary of spelling correction, where every vector is written.
            refresh_vocabulary(supplier_ids=[*created_ids, *(s.pk for s in changed)])
        # New and changed rows were written with their search vector already.
        record_supplier_history(created_ids, history_type="+", actor=self.actor, reason=self.reason)
        record_supplier_history(changed, history_type="~", actor=self.actor, reason=self.reason)
        if created_ids or changed:
            registry_version.changed()  # bulk SQL: no model signal says so
        return created_ids, len(changed), unchanged, rejected


# --- The import ------------------------------------------------------------------

# New index entries of the supplier table's six GIN indexes (search vector, name trigrams,
# id arrays) go to each index's pending list; at PostgreSQL's default 4 MB limit a batch
# keeps merging it into the index. An import lets it grow, then merges it once at the end.
GIN_PENDING_LIST_LIMIT = "64MB"


def _gin_bulk_load(*, start: bool) -> None:
    with connection.cursor() as cursor:
        if start:
            cursor.execute(f"SET gin_pending_list_limit = '{GIN_PENDING_LIST_LIMIT}'")
            return
        if connection.needs_rollback:
            return  # an outer transaction failed: it undoes the SET too
        cursor.execute("RESET gin_pending_list_limit")
        try:
            with transaction.atomic():
                cursor.execute(
                    "SELECT gin_clean_pending_list(i.indexrelid) FROM pg_index i "
                    "JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am a ON a.oid = c.relam "
                    "WHERE i.indrelid = %s::regclass AND a.amname = 'gin'",
                    [Supplier._meta.db_table],
                )
        except DatabaseError:  # not the indexes' owner: autovacuum merges them instead
            logger.warning("could not merge the supplier GIN indexes' pending lists", exc_info=True)


def import_suppliers_csv(
    path_or_file: str | os.PathLike | IO,
    *,
    actor=None,
    progress: Progress | None = None,
    batch_size: int = BATCH_SIZE,
    reason: str | None = None,
) -> ImportReport:
    """Import suppliers from a CSV file (a path, or an open text or binary file).

    Before: the reference data (regions, capabilities, certifications,
    frameworks) is loaded. ``actor`` is recorded in history (None: the system).
    After: every valid row's supplier exists, published, matching the row, with
    history ("+" created, "~" changed; reason "Imported from <file>") and a
    current search vector. Rows that failed are in ``report.rejected`` with their
    line number. Running it again with the same file changes nothing.
    ``progress(rows_done, rows_expected_or_None)`` is called after each batch.
    Raises ImportFileError (nothing written) if the file cannot be read, is not
    UTF-8 or lacks header columns.
    """
    started = time.monotonic()
    stream, total, name, must_close = _open(path_or_file)
    report = ImportReport()
    try:
        _gin_bulk_load(start=True)
        reader = csv.reader(stream)
        columns, report.ignored_columns, width = _header(reader, name)
        lookups = _Lookups()
        importer = _Importer(
            actor=actor,
            reason=reason or f"Imported from {name}",
            report=report,
            capability_names=lookups.capability_names,
        )
        seen: dict[str, int] = {}
        batch: list[_Row] = []
        done = 0
        previous_line = reader.line_num
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                report.rejected.append(RejectedRow(previous_line + 1, f"is not valid CSV: {exc}"))
                previous_line = reader.line_num
                continue
            except UnicodeDecodeError as exc:  # only for unseekable binary streams
                raise ImportFileError(
                    f"{name} is not UTF-8 text (after line {previous_line})."
                ) from exc
            line = previous_line + 1
            previous_line = reader.line_num
            if not any(cell.strip() for cell in cells):
                continue  # blank lines, and the ",,,,," rows spreadsheets leave behind
            done += 1
            if len(cells) < width or any(cell.strip() for cell in cells[width:]):
                report.rejected.append(
                    RejectedRow(line, f"has {len(cells)} values but the header has {width} columns")
                )
                continue
            row, reason_rejected = _parse_row(
                line, {column: cells[i] for column, i in columns.items()}, lookups
            )
            if row is None:
                report.rejected.append(RejectedRow(line, reason_rejected))
                continue
            first = seen.setdefault(row.companies_house_number, line)
            if first != line:
                report.rejected.append(
                    RejectedRow(
                        line,
                        f"Companies House number {row.companies_house_number} is already on "
                        f"line {first}; only the first row for a company is imported",
                    )
                )
                continue
            batch.append(row)
            if len(batch) >= batch_size:
                importer.write(batch)
                batch = []
                if progress:
                    progress(done, total)
        if batch:
            importer.write(batch)
        if progress:
            progress(done, done)
    finally:
        _gin_bulk_load(start=False)
        if must_close:
            stream.close()
    report.rejected.sort(key=lambda r: r.line)
    report.seconds = time.monotonic() - started
    return report
