"""The supplier CSV import: good rows, every kind of bad row, idempotency, bad files."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError

from suppliers import importer
from suppliers.importer import COLUMNS, ImportFileError, import_suppliers_csv
from suppliers.models import Supplier
from tests import factories
from tests.suppliers.id_arrays import assert_id_arrays_match_links

pytestmark = pytest.mark.django_db

GOOD = {
    "companies_house_number": "09876543",
    "name": "Kestrel Ledger Systems",
    "website": "https://www.kestrel-ledger.example",
    "summary": "Finance platforms for councils",
    "description": "We modernise legacy ledgers.",
    "size": "small",
    "employees": "42",
    "year_founded": "2012",
    "hq_region": "Yorkshire and The Humber",
    "regions": "London;TLE; north west ",
    "capabilities": "Cloud migration;data-engineering;PAYMENTS",
    "certifications": "cyber essentials plus;ISO-27001",
    "frameworks": "G-Cloud;tepas",
}


def row(**overrides) -> dict:
    data = dict(GOOD)
    data.update(overrides)
    return data


def csv_text(*rows: dict, header=COLUMNS) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for data in rows:
        writer.writerow([data.get(column, "") for column in header])
    return buffer.getvalue()


def run(text: str, **kwargs):
    return import_suppliers_csv(io.StringIO(text), **kwargs)


# --- good rows -----------------------------------------------------------------------


def test_a_good_row_creates_a_published_supplier():
    report = run(csv_text(row()))
    assert (report.created, report.updated, report.unchanged, report.rejected) == (1, 0, 0, [])
    supplier = Supplier.objects.get(companies_house_number="09876543")
    assert supplier.slug == "kestrel-ledger-systems"
    assert supplier.status == Supplier.Status.PUBLISHED
    assert supplier.published_at is not None
    assert (supplier.size, supplier.employees, supplier.year_founded) == ("small", 42, 2012)
    assert supplier.hq_region.code == "TLE"
    # Names and codes, any case, spaces around values ignored.
    assert sorted(supplier.regions.values_list("code", flat=True)) == ["TLD", "TLE", "TLI"]
    assert sorted(supplier.capabilities.values_list("code", flat=True)) == [
        "cloud-migration",
        "data-engineering",
        "payments",
    ]
    assert sorted(supplier.certifications.values_list("code", flat=True)) == [
        "cyber-essentials-plus",
        "iso-27001",
    ]
    assert sorted(supplier.frameworks.values_list("code", flat=True)) == ["g-cloud", "tepas"]
    assert report.created_ids == [supplier.pk]


def test_history_and_search_vector_are_written():
    run(csv_text(row()))
    supplier = Supplier.objects.get()
    record = supplier.history.get()
    assert record.history_type == "+"
    assert record.history_change_reason == "Imported from the file"
    assert record.capabilities.count() == 3
    vector = str(supplier.search_vector)
    assert "'kestrel':" in vector and "A" in vector.split("'kestrel':")[1].split(" ")[0]
    assert "'migrat':" in vector  # capability names are searchable


def test_the_vector_written_on_insert_equals_a_refresh():
    from suppliers.services import refresh_search_vectors

    run(csv_text(row(), row(companies_house_number="SC123456", name="Northgate Data Works")))
    derived = ("pk", *Supplier.DERIVED_FIELDS)
    before = list(Supplier.objects.order_by("pk").values_list(*derived))
    assert assert_id_arrays_match_links() == 2
    refresh_search_vectors()
    assert list(Supplier.objects.order_by("pk").values_list(*derived)) == before


def test_empty_multi_valued_cells_and_optional_cells_are_allowed():
    report = run(
        csv_text(
            row(
                website="",
                summary="",
                description="",
                employees="",
                year_founded="",
                hq_region="",
                regions="",
                capabilities=" ; ",
                certifications="",
                frameworks="",
            )
        )
    )
    assert report.created == 1, report.rejected
    supplier = Supplier.objects.get()
    assert supplier.employees is None and supplier.hq_region is None
    assert not supplier.regions.exists() and not supplier.capabilities.exists()


def test_header_is_forgiving_and_a_byte_order_mark_is_fine(tmp_path):
    header = [c.upper().replace("_", " ") for c in COLUMNS]
    text = csv_text(header=header)
    text += ",".join(f'"{GOOD[c]}"' for c in COLUMNS) + "\n"
    path = tmp_path / "suppliers.csv"
    path.write_bytes("\ufeff".encode() + text.encode())
    report = import_suppliers_csv(path)
    assert report.created == 1, report.rejected


def test_extra_columns_are_ignored_and_reported():
    text = csv_text(row(), header=(*COLUMNS, "notes"))
    report = run(text)
    assert report.created == 1
    assert report.ignored_columns == ["notes"]


def test_slugs_are_unique_within_a_file_and_against_the_database():
    factories.SupplierFactory(slug="kestrel-ledger-systems", companies_house_number="00000001")
    report = run(
        csv_text(row(), row(companies_house_number="SC123456"), row(companies_house_number="NI1")),
        batch_size=1,
    )
    # "NI1" is zero-padded to NI000001 by the one Companies House rule, so all three import.
    assert report.created == 3
    assert Supplier.objects.filter(companies_house_number="NI000001").exists()
    assert sorted(Supplier.objects.values_list("slug", flat=True)) == [
        "kestrel-ledger-systems",
        "kestrel-ledger-systems-2",
        "kestrel-ledger-systems-3",
        "kestrel-ledger-systems-4",
    ]


# --- bad rows -------------------------------------------------------------------------

BAD_ROWS = [
    # A number a spreadsheet shortened ("1234567") is zero-padded now, not refused.
    (
        {"companies_house_number": "123456789"},
        "companies_house_number '123456789' is not 8 digits or 2 letters and 6 digits",
    ),
    ({"companies_house_number": ""}, "companies_house_number is empty"),
    ({"companies_house_number": "ABC12345"}, "is not 8 digits or 2 letters and 6 digits"),
    ({"name": "  "}, "name is empty"),
    ({"name": "N" * 201}, "name is 201 characters long; the most is 200"),
    ({"website": "kestrel dot com"}, "website 'kestrel dot com' is not a web address"),
    ({"summary": "s" * 251}, "summary is 251 characters long; the most is 250"),
    ({"size": "huge"}, "size 'huge' is not micro, small, medium or large"),
    ({"size": ""}, "size is empty"),
    ({"employees": "lots"}, "employees must be a whole number, not 'lots'"),
    ({"employees": "-3"}, "employees must be between 0 and"),
    ({"year_founded": "1066"}, "year_founded must be between 1800 and 2100, not 1066"),
    ({"hq_region": "Narnia"}, "hq_region 'Narnia' is not a UK region name or ITL1 code"),
    ({"regions": "London;Narnia;Mordor"}, "regions: unknown region 'Narnia', 'Mordor'"),
    ({"capabilities": "Telepathy"}, "capabilities: unknown capability 'Telepathy'"),
    ({"certifications": "ISO 99999"}, "certifications: unknown certification 'ISO 99999'"),
    ({"frameworks": "Framework X"}, "frameworks: unknown framework 'Framework X'"),
    ({"description": "nul\x00byte"}, "contains a NUL character"),
]


@pytest.mark.parametrize(("overrides", "reason"), BAD_ROWS)
def test_each_bad_row_is_rejected_with_its_line_and_reason(overrides, reason):
    text = csv_text(
        row(companies_house_number="SC000001", name="First Good"),
        row(**overrides),
        row(companies_house_number="SC000003", name="Third Good"),
    )
    report = run(text)
    assert report.created == 2
    assert len(report.rejected) == 1
    rejected = report.rejected[0]
    assert rejected.line == 3  # header is line 1
    assert reason in rejected.reason


def test_all_the_problems_of_a_row_are_given_together():
    report = run(csv_text(row(size="huge", year_founded="soon", regions="Atlantis")))
    reason = report.rejected[0].reason
    assert "size" in reason and "year_founded" in reason and "Atlantis" in reason


def test_line_numbers_count_multi_line_cells_and_skip_blank_lines():
    text = csv_text(
        row(companies_house_number="SC000001", description="line one\nline two\nline three"),
    )
    text += "\n,,,,,,,,,,,,\n"
    text += csv_text(row(companies_house_number="SC000002", size="huge")).split("\n", 1)[1]
    report = run(text)
    # header 1, first row lines 2-4, blank 5, commas 6, bad row 7
    assert [(r.line, r.reason.split(" ")[0]) for r in report.rejected] == [(7, "size")]
    assert report.created == 1


def test_wrong_number_of_values():
    text = csv_text(row()) + "SC000002,Short Row,https://x.example\n"
    text += csv_text(row(companies_house_number="SC000003")).split("\n", 1)[1].rstrip("\n")
    text += ",surplus\n"
    report = run(text)
    assert [(r.line, r.reason) for r in report.rejected] == [
        (3, "has 3 values but the header has 13 columns"),
        (4, "has 14 values but the header has 13 columns"),
    ]


def test_a_second_row_for_the_same_company_is_rejected():
    report = run(csv_text(row(), row(name="Kestrel Again")))
    assert report.created == 1
    assert report.rejected[0].line == 3
    assert "already on line 2" in report.rejected[0].reason
    assert Supplier.objects.get().name == "Kestrel Ledger Systems"


def test_suspended_and_rejected_suppliers_are_left_to_moderators():
    factories.SupplierFactory(companies_house_number="09876543", status="suspended")
    factories.SupplierFactory(companies_house_number="SC123456", status="rejected")
    report = run(csv_text(row(), row(companies_house_number="SC123456")))
    assert [r.line for r in report.rejected] == [2, 3]
    assert "is suspended: a moderator must reinstate it" in report.rejected[0].reason
    assert Supplier.objects.get(companies_house_number="09876543").status == "suspended"


def test_a_database_failure_in_a_batch_only_rejects_the_row_that_caused_it(monkeypatch):
    real_write = importer._Importer._write

    def failing_write(self, rows):
        if any(r.companies_house_number == "SC000002" for r in rows):
            raise IntegrityError('duplicate key value violates unique constraint "x"')
        return real_write(self, rows)

    monkeypatch.setattr(importer._Importer, "_write", failing_write)
    text = csv_text(
        *(row(companies_house_number=f"SC00000{i}", name=f"Supplier {i}") for i in range(1, 5))
    )
    report = run(text, batch_size=10)
    assert report.created == 3
    assert [(r.line, r.reason.split(":")[0]) for r in report.rejected] == [
        (3, "could not be saved")
    ]
    assert sorted(Supplier.objects.values_list("slug", flat=True)) == [
        "supplier-1",
        "supplier-3",
        "supplier-4",
    ]


# --- updates and idempotency -----------------------------------------------------------


def test_a_second_run_changes_nothing(tmp_path):
    path = tmp_path / "suppliers.csv"
    path.write_text(
        csv_text(row(), row(companies_house_number="SC123456", name="Northgate Data Works"))
    )
    first = import_suppliers_csv(path)
    assert first.created == 2
    before = list(Supplier.objects.order_by("pk").values_list("pk", "updated_at", "search_vector"))
    history = Supplier.history.count()
    second = import_suppliers_csv(path)
    assert (second.created, second.updated, second.unchanged) == (0, 0, 2)
    after = list(Supplier.objects.order_by("pk").values_list("pk", "updated_at", "search_vector"))
    assert after == before
    assert Supplier.history.count() == history


def test_changed_rows_update_the_supplier_and_keep_the_slug():
    run(csv_text(row()))
    supplier = Supplier.objects.get()
    report = run(csv_text(row(name="Kestrel Ledger Group", regions="", capabilities="Payments")))
    assert (report.created, report.updated, report.unchanged) == (0, 1, 0)
    supplier.refresh_from_db()
    assert supplier.name == "Kestrel Ledger Group"
    assert supplier.slug == "kestrel-ledger-systems"
    assert not supplier.regions.exists()
    assert list(supplier.capabilities.values_list("code", flat=True)) == ["payments"]
    latest = supplier.history.first()
    assert latest.history_type == "~"
    assert latest.capabilities.count() == 1
    assert "'group':" in str(supplier.search_vector)
    assert supplier.region_ids == [] and len(supplier.capability_ids) == 1
    assert_id_arrays_match_links()


def test_an_updated_vector_has_the_new_values_links_and_case_studies():
    from suppliers.services import refresh_search_vectors

    run(csv_text(row()))
    supplier = Supplier.objects.get()
    factories.CaseStudyFactory(supplier=supplier, title="Telescope scheduling")
    run(csv_text(row(summary="Orchestras and choirs", capabilities="Quantum computing")))
    vector = str(Supplier.objects.get().search_vector)
    assert "'orchestra':" in vector and "'quantum':" in vector and "'telescop':" in vector
    assert "'migrat':" not in vector
    refresh_search_vectors()
    assert str(Supplier.objects.get().search_vector) == vector


def test_an_import_publishes_a_draft_and_keeps_contact_details():
    factories.SupplierFactory(
        companies_house_number="09876543",
        status="draft",
        published_at=None,
        contact_email="sam@kestrel.example",
    )
    report = run(csv_text(row()))
    assert report.updated == 1
    supplier = Supplier.objects.get()
    assert supplier.status == "published" and supplier.published_at is not None
    assert supplier.contact_email == "sam@kestrel.example"


def test_the_actor_is_recorded(moderator):
    run(csv_text(row()), actor=moderator)
    assert Supplier.history.get().history_user == moderator


# --- bad files and the command ------------------------------------------------------


def test_command_reports_counts_and_rejected_lines(tmp_path):
    path = tmp_path / "suppliers.csv"
    path.write_text(csv_text(row(), row(companies_house_number="SC123456", size="vast")))
    out, err = io.StringIO(), io.StringIO()
    call_command("import_suppliers", str(path), stdout=out, stderr=err)
    output = out.getvalue()
    assert "Line 3: size 'vast' is not micro, small, medium or large" in output
    assert "1 created, 0 updated, 0 unchanged, 1 rejected" in output
    assert err.getvalue() == ""  # no progress when stderr is not a terminal


def test_command_shows_progress_on_a_terminal(tmp_path):
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    path = tmp_path / "suppliers.csv"
    path.write_text(csv_text(row(), row(companies_house_number="SC123456")))
    err = Terminal()
    call_command(
        "import_suppliers", str(path), "--batch-size", "1", stdout=io.StringIO(), stderr=err
    )
    assert "rows/s" in err.getvalue()
    assert "of 2 rows" in err.getvalue()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "There is no file at"),
        (b"", "is empty: expected a header row"),
        (
            csv_text(header=("companies_house_number", "name")).encode(),
            "is missing the column(s): website, summary",
        ),
        (
            csv_text(header=(*COLUMNS, "Name")).encode(),
            "has these columns more than once: name",
        ),
        (
            csv_text(row()).encode() + "SC000002,Caf\u00e9 Ltd\n".encode("latin-1"),
            "is not UTF-8 text (the first bad character is on line 3)",
        ),
    ],
)
def test_bad_files_are_a_clear_command_error(tmp_path, content, message):
    path = tmp_path / "suppliers.csv"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(CommandError, match=None) as error:
        call_command("import_suppliers", str(path), stdout=io.StringIO())
    assert message in str(error.value)
    assert not Supplier.objects.exists()


def test_a_folder_is_not_a_file(tmp_path):
    with pytest.raises(ImportFileError, match="is a folder"):
        import_suppliers_csv(tmp_path)


def test_binary_file_objects_are_read_too(tmp_path):
    report = import_suppliers_csv(io.BytesIO(csv_text(row()).encode()))
    assert report.created == 1
    with pytest.raises(ImportFileError, match="not UTF-8"):
        import_suppliers_csv(io.BytesIO(b"\xff\xfe" + csv_text(row()).encode("utf-16-le")))
