"""CSV downloads: a whole search (every matching row, streamed) and a shortlist."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from suppliers import exports, services
from suppliers.exports import RESULT_COLUMNS, SHORTLIST_COLUMNS
from tests.suppliers.test_selectors import make_supplier


def read_csv(response) -> list[dict]:
    assert response.streaming
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(body.removeprefix("\ufeff"))))


@pytest.fixture
def many(db):
    return [
        make_supplier(
            f"Agile Firm {n:02d}",
            summary="Agile delivery.",
            regions=["london", "wales"],
            capabilities=["agile-coaching"],
            frameworks=["g-cloud"],
            size="large" if n == 0 else "small",
        )
        for n in range(23)
    ]


def test_a_search_downloads_every_matching_row_in_page_order(client, many):
    make_supplier("Waterfall Ltd", summary="Gantt charts.")
    response = client.get(reverse("suppliers:export"), {"q": "agile", "page": "2"})
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="techmap-suppliers-')
    rows = read_csv(response)
    assert len(rows) == 23  # all of them, not the 20 of a page
    assert list(rows[0]) == RESULT_COLUMNS
    assert [r["position"] for r in rows] == [str(n) for n in range(1, 24)]
    page = client.get("/suppliers/", {"q": "agile"}).content.decode()
    assert page.index(rows[0]["name"]) < page.index(rows[1]["name"])
    first = next(r for r in rows if r["name"] == "Agile Firm 00")
    assert first["regions"] == "London;Wales"
    assert first["capabilities"] == "Agile coaching"
    assert first["frameworks"] == "G-Cloud"
    assert first["sme"] == "no"
    assert first["search"] == "q=agile"
    assert first["profile_url"].endswith("/suppliers/agile-firm-00/")


def test_filters_apply_to_the_download(client, many):
    rows = read_csv(client.get(reverse("suppliers:export"), {"sme": "false"}))
    assert [r["name"] for r in rows] == ["Agile Firm 00"]


def test_bad_parameters_still_download(client, many):
    response = client.get(reverse("suppliers:export"), {"q": "\x00", "region": "nowhere"})
    assert response.status_code == 200
    assert len(read_csv(response)) == 23


def test_cells_that_a_spreadsheet_would_run_are_defused(client, db):
    make_supplier("=HYPERLINK(1)", summary="+44 cloud", description="@SUM(A1)")
    rows = read_csv(client.get(reverse("suppliers:export")))
    assert rows[0]["name"] == "'=HYPERLINK(1)"
    assert rows[0]["summary"] == "'+44 cloud"
    assert rows[0]["description"] == "'@SUM(A1)"
    assert exports.safe_cell("-1") == "'-1" and exports.safe_cell(None) == ""


def test_the_stream_comes_in_chunks(db):
    lines = list(exports.csv_lines(["a"], (["x" * 1000] for _ in range(200))))  # about 200 KB
    assert len(lines) > 2
    assert "".join(lines).count("\n") == 201


def test_shortlist_download(client, civil_servant, many):
    shortlist = services.shortlist_create(actor=civil_servant, name="Agile, for Q3")
    for supplier, note in ((many[3], "Call first"), (many[1], "=cmd")):
        services.shortlist_add_supplier(
            actor=civil_servant,
            shortlist=shortlist,
            supplier=supplier,
            note=note,
            search_query="q=agile",
        )
    client.force_login(civil_servant)
    rows = read_csv(client.get(reverse("suppliers:shortlist_export", args=[shortlist.pk])))
    assert list(rows[0]) == SHORTLIST_COLUMNS
    assert [(r["name"], r["note"]) for r in rows] == [
        ("Agile Firm 03", "Call first"),
        ("Agile Firm 01", "'=cmd"),
    ]
    assert rows[0]["shortlist"] == "Agile, for Q3"
    assert rows[0]["found_by_search"] == "q=agile"
    assert rows[0]["status"] == "Published"


@pytest.mark.django_db
def test_api_exports_give_public_record_status_and_contract_totals(client):
    """/api/v1/suppliers/export.csv and export.jsonl: whether a supplier is from public
    records, and its public contracts (count, total in pounds, latest award)."""
    import json

    from tests.factories import SupplierFactory
    from tests.suppliers.test_public_records_views import award, public_supplier

    heron = public_supplier("Heron Data Ltd", number="07654321")
    kestrel = SupplierFactory(name="Kestrel Ledger Systems")
    award(heron, value="1000.50")
    award(heron, kestrel, value="250")
    award(heron, value="99", currency="EUR")  # counted, not added to a total in pounds
    rows = {r["slug"]: r for r in read_csv(client.get("/api/v1/suppliers/export.csv"))}
    assert rows[heron.slug]["from_public_records"] == "yes"
    assert rows[heron.slug]["public_contract_count"] == "3"
    assert rows[heron.slug]["public_contract_total_gbp"] == "1250.50"
    assert rows[heron.slug]["latest_award_date"]
    assert (
        rows[kestrel.slug]["from_public_records"],
        rows[kestrel.slug]["public_contract_count"],
    ) == (
        "no",
        "1",
    )
    response = client.get("/api/v1/suppliers/export.jsonl")
    lines = [json.loads(line) for line in b"".join(response.streaming_content).splitlines()]
    by_slug = {line["slug"]: line for line in lines}
    assert by_slug[heron.slug]["from_public_records"] is True
    assert by_slug[heron.slug]["public_contract_count"] == 3
    assert by_slug[heron.slug]["public_contract_total"] == "1250.50"
    assert by_slug[kestrel.slug]["public_contract_total"] == "250.00"


@pytest.mark.django_db
def test_search_csv_gives_public_record_status_and_contract_totals(client):
    from tests.suppliers.test_public_records_views import award, public_supplier

    heron = public_supplier("Heron Data Ltd", number="07654321")
    award(heron, value="1000.50")
    rows = read_csv(client.get(reverse("suppliers:export")))
    row = next(r for r in rows if r["name"] == "Heron Data Ltd")
    assert (row["from_public_records"], row["public_contracts"]) == ("yes", "1")
    assert row["public_contract_total_gbp"] == "1000.50"
