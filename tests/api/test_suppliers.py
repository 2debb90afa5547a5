"""/api/v1/suppliers/, its exports, the reference data and /api/v1/my/suppliers/."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.http import http_date

from suppliers import services
from suppliers.filters import SupplierFilterSet
from suppliers.models import Capability, Certification, Framework, Supplier
from tests import factories
from tests.api.conftest import assert_error, make, slugs

pytestmark = pytest.mark.django_db


# --- list and search --------------------------------------------------------------------------


def test_lists_published_suppliers_only_in_the_fair_order_or_by_name(api, registry):
    published = ["heron-research", "kestrel-ledger-systems", "osprey-security"]
    assert sorted(slugs(api.get("/api/v1/suppliers/"))) == published  # the daily order
    assert slugs(api.get("/api/v1/suppliers/", {"ordering": "name"})) == published


def test_a_misspelt_search_returns_the_corrected_query(api, registry):
    body = api.get("/api/v1/suppliers/", {"q": "kestral penetraton"}).json()
    assert body["corrected_query"] == "kestrel penetration"
    assert [row["slug"] for row in body["results"]] == ["kestrel-ledger-systems"]
    # As typed: no correction, nothing found.
    body = api.get("/api/v1/suppliers/", {"q": "kestral penetraton", "correct": "false"}).json()
    assert (body["corrected_query"], body["results"]) == (None, [])
    body = api.get("/api/v1/suppliers/", {"q": "kestrel"}).json()
    assert body["corrected_query"] is None


def test_a_bad_correct_value_is_a_400(api, registry):
    error = assert_error(api.get("/api/v1/suppliers/", {"q": "x", "correct": "maybe"}), 400)
    assert "correct" in json.dumps(error)


def test_a_row_has_codes_for_related_data(api, registry):
    row = api.get("/api/v1/suppliers/", {"ordering": "name"}).json()["results"][1]
    certification = Certification.objects.order_by("pk").first()
    assert row == {
        "slug": "kestrel-ledger-systems",
        "name": "Kestrel Ledger Systems",
        "summary": "Penetration testing and secure design.",
        "website": "",
        "size": "small",
        "is_sme": True,
        "hq_region": "TLI",
        "regions": ["TLI"],
        "capabilities": ["penetration-testing"],
        "certifications": [certification.code],
        "frameworks": [Framework.objects.order_by("pk").first().code],
        "published_at": row["published_at"],
        "updated_at": row["updated_at"],
        "url": "http://testserver/api/v1/suppliers/kestrel-ledger-systems/",
        # Public contract data: registered, no awards yet.
        "from_public_records": False,
        "public_contract_count": 0,
        "public_contract_total": None,
        "latest_award_date": None,
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"q": "penetration"}, {"kestrel-ledger-systems", "osprey-security"}),
        ({"region": "TLL"}, {"heron-research", "osprey-security"}),
        ({"region": "wales"}, {"heron-research", "osprey-security"}),
        ({"capability": "user-research"}, {"heron-research"}),
        ({"sme": "true"}, {"kestrel-ledger-systems", "osprey-security"}),
        ({"sme": "false"}, {"heron-research"}),
        ({"q": "penetration", "region": "TLL"}, {"osprey-security"}),
    ],
)
def test_filters_match_the_web_filterset(api, registry, query, expected):
    assert set(slugs(api.get("/api/v1/suppliers/", query))) == expected
    web = SupplierFilterSet(_qd(query))
    assert {s.slug for s in web.qs} == expected


def _qd(params):
    from django.http import QueryDict

    data = QueryDict(mutable=True)
    for key, value in params.items():
        data[key] = value
    return data


def test_repeated_parameters_are_or_within_a_filter(api, registry):
    response = api.get("/api/v1/suppliers/?capability=user-research&capability=penetration-testing")
    assert len(slugs(response)) == 3


def test_ordering_by_updated_and_relevance(api, registry):
    Supplier.objects.filter(slug="heron-research").update(updated_at=timezone.now() + timedelta(1))
    assert slugs(api.get("/api/v1/suppliers/", {"ordering": "updated"}))[0] == "heron-research"
    ranked = slugs(
        api.get("/api/v1/suppliers/", {"q": "kestrel penetration", "ordering": "relevance"})
    )
    assert ranked[0] == "kestrel-ledger-systems"


def test_search_pages_with_a_cursor_through_every_result(api, registry):
    for i in range(5):
        make(
            f"Pentest Partner {i}",
            capabilities=[Capability.objects.get(code="penetration-testing")],
        )
    seen = []
    response = api.get("/api/v1/suppliers/", {"q": "penetration", "page_size": 2})
    while True:
        body = response.json()
        seen += [row["slug"] for row in body["results"]]
        if not body["next"]:
            break
        response = api.get(body["next"])
    everything = slugs(api.get("/api/v1/suppliers/", {"q": "penetration", "page_size": 100}))
    assert seen == everything
    assert len(seen) == len(set(seen)) == 7


def test_facets_are_the_web_pages_counts(api, registry):
    body = api.get("/api/v1/suppliers/", {"q": "penetration", "facets": "true"}).json()
    facets = body["facets"]
    web = SupplierFilterSet(_qd({"q": "penetration"})).search.facets()
    assert {r["code"]: r["count"] for r in facets["region"]} == {
        o.option.itl_code: o.count for o in web.regions
    }
    assert {r["code"]: r["count"] for r in facets["region"]}["TLI"] == 2
    groups = {
        g["code"]: {c["code"]: c["count"] for c in g["capabilities"]} for g in facets["capability"]
    }
    assert groups["cyber-security"]["penetration-testing"] == 2
    assert facets["sme"] == [
        {"code": "true", "name": "SMEs", "count": 2, "selected": False},
        {"code": "false", "name": "Large suppliers", "count": 0, "selected": False},
    ]
    assert "facets" not in api.get("/api/v1/suppliers/").json()


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"region": "Atlantis"}, "region.0"),
        ({"capability": "time-travel"}, "capability.0"),
        ({"sme": "maybe"}, "sme"),
        ({"ordering": "price"}, "ordering"),
        ({"facets": "yes please"}, "facets"),
        ({"q": "x" * 201}, "q"),
        ({"q": "pen\x00test"}, "q"),
        ({"region": "TLI\x00"}, "region"),
        ({"page_size": "lots"}, "page_size"),
    ],
)
def test_bad_parameters_are_a_400_naming_them(api, registry, query, field):
    error = assert_error(api.get("/api/v1/suppliers/", query), 400, "invalid")
    assert field in error["fields"], error


def test_a_parameter_given_twice_that_takes_one_value_is_a_400(api, registry):
    error = assert_error(api.get("/api/v1/suppliers/?q=a&q=b"), 400)
    assert "q" in error["fields"]


def test_list_runs_a_fixed_number_of_queries(api, registry, django_assert_max_num_queries):
    for i in range(25):
        make(f"Bulk {i}", regions=[registry["london"]])
    # reference data, the page (codes in subqueries), nothing per row
    with django_assert_max_num_queries(2):
        assert len(slugs(api.get("/api/v1/suppliers/", {"page_size": 25, "ordering": "name"})))
    # the default, the fair daily order: reference data, the page's ids in order, its rows
    with django_assert_max_num_queries(3):
        assert len(slugs(api.get("/api/v1/suppliers/", {"page_size": 25}))) == 25
    # with a search: + the spelling check and the taxonomy match; no COUNT (the caller
    # asked for no count, and spelling is decided from the vocabulary, not by counting)
    with django_assert_max_num_queries(5) as queries:
        api.get("/api/v1/suppliers/", {"q": "bulk", "page_size": 25})
    with django_assert_max_num_queries(5) as corrected:
        body = api.get("/api/v1/suppliers/", {"q": "bulkk", "page_size": 25}).json()
    assert body["corrected_query"] == "bulk" and len(body["results"]) == 25
    for query in [*queries.captured_queries, *corrected.captured_queries]:
        assert not query["sql"].upper().startswith("SELECT COUNT("), query["sql"]
    # facets: + five grouped counts
    with django_assert_max_num_queries(7):
        api.get("/api/v1/suppliers/", {"facets": "true", "page_size": 25})


def _counts_every_match(sql: str) -> bool:
    """A query whose answer is a COUNT over the matches (Django's .count(), or any
    statement that opens with COUNT); correlated per-row counts in a page do not."""
    return '"__count"' in sql or bool(re.match(r"\s*SELECT\s+COUNT\(", sql, re.IGNORECASE))


@pytest.mark.parametrize(
    "query",
    [
        {"q": "bulk"},  # many exact matches
        {"q": "bulk", "region": "TLI"},
        {"q": "bulkk"},  # too few exact matches: typo tolerance joins in
        {"q": "bulk", "ordering": "name"},
        {},
    ],
)
def test_the_list_runs_no_count_of_the_matches_when_no_count_is_asked_for(api, registry, query):
    london = registry["kestrel"].regions.get()
    for i in range(25):
        make(f"Bulk {i}", regions=[london])
    with CaptureQueriesContext(connection) as queries:
        assert slugs(api.get("/api/v1/suppliers/", query))
    counting = [q["sql"] for q in queries.captured_queries if _counts_every_match(q["sql"])]
    assert counting == []
    # The check above does catch a count of the matches: the search's exact_count() is one.
    with CaptureQueriesContext(connection) as queries:
        SupplierFilterSet({"q": "bulk"}).search.exact_count()
    assert [q for q in queries.captured_queries if _counts_every_match(q["sql"])]


def test_a_search_pages_in_relevance_order_through_its_cursor(api, registry):
    """The cursor carries each page's last rank: a real (ts_rank's type) read back as a
    float was not the value compared, and `next` gave the same page again."""
    for i in range(25):
        make(f"Bulk {i}", summary="Bulk bulk data." if i % 3 else "Bulk data.")
    expected = [s.slug for s in SupplierFilterSet({"q": "bulk"}).qs]
    seen, url, params = [], "/api/v1/suppliers/", {"q": "bulk", "page_size": 10}
    for _ in range(4):  # three pages, and a fourth in case the cursor repeats itself
        if not url:
            break
        body = api.get(url, params).json()
        seen += [row["slug"] for row in body["results"]]
        url, params = body["next"], None
    assert seen == expected and len(seen) == 25


def test_the_first_search_page_is_the_cursors_page_with_ties_hashed_only(api, registry):
    """The first page with words comes from SupplierSearch.first_keys (the daily tie-break
    hashed for tied rows only); it must be the page the cursors lead back to, with the
    same `next` cursor."""
    for i in range(25):
        make(f"Bulk {i}", summary="Bulk bulk data." if i % 3 else "Bulk data.")
    params = {"q": "bulk", "page_size": 10}
    with CaptureQueriesContext(connection) as queries:
        first = api.get("/api/v1/suppliers/", params).json()
    assert any("WITH TIES" in q["sql"] for q in queries.captured_queries)
    second = api.get(first["next"]).json()
    back = api.get(second["previous"]).json()
    assert [r["slug"] for r in back["results"]] == [r["slug"] for r in first["results"]]
    assert back["next"] == first["next"] and len(first["results"]) == 10


def test_list_query_counts_are_pinned(api, registry, django_assert_num_queries):
    for i in range(25):
        make(f"Bulk {i}")
    # name order: reference data, the page (codes and award totals in subqueries)
    for size in (5, 25):
        with django_assert_num_queries(2):
            response = api.get("/api/v1/suppliers/", {"page_size": size, "ordering": "name"})
            assert len(slugs(response)) == size
    # relevance: reference data, the spelling check against the vocabulary (with the
    # words' lexemes), the taxonomy's lexemes (both kept in production: see the test of
    # three statements), the page's ids in order, then its rows; whatever the page size
    for size in (5, 25):
        with django_assert_num_queries(5):
            response = api.get("/api/v1/suppliers/", {"q": "bulk", "page_size": size})
            assert len(slugs(response)) == size
    with django_assert_num_queries(3):  # no words, relevance: no spelling or taxonomy
        api.get("/api/v1/suppliers/", {"ordering": "relevance"})
    # facets: + the scan (total, every facet and a page, one statement)
    with django_assert_num_queries(6):
        api.get("/api/v1/suppliers/", {"q": "bulk", "facets": "true"})


# --- detail and conditional requests ---------------------------------------------------------


def test_detail_is_the_public_profile(api, registry):
    factories.CaseStudyFactory(supplier=registry["kestrel"], title="Border systems", year=2023)
    body = api.get("/api/v1/suppliers/kestrel-ledger-systems/").json()
    assert body["companies_house_number"] == registry["kestrel"].companies_house_number
    assert [c["title"] for c in body["case_studies"]] == ["Border systems"]
    assert "contact_email" not in body and "status" not in body


@pytest.mark.parametrize("slug", ["draft-penetration-co", "suspended-pentest-ltd", "nobody"])
def test_unpublished_or_unknown_suppliers_are_404(api, registry, slug):
    assert_error(api.get(f"/api/v1/suppliers/{slug}/"), 404, "not_found")


def test_detail_runs_a_fixed_number_of_queries(api, registry, django_assert_max_num_queries):
    factories.CaseStudyFactory.create_batch(3, supplier=registry["kestrel"])
    with django_assert_max_num_queries(2):
        api.get("/api/v1/suppliers/kestrel-ledger-systems/")


def test_etag_and_last_modified_give_304_until_something_changes(api, registry):
    url = "/api/v1/suppliers/kestrel-ledger-systems/"
    first = api.get(url)
    etag, modified = first["ETag"], first["Last-Modified"]
    assert etag.startswith('"') and modified
    again = api.get(url, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again.content == b""
    assert again["ETag"] == etag
    assert api.get(url, HTTP_IF_MODIFIED_SINCE=modified).status_code == 304
    assert api.get(url, HTTP_IF_NONE_MATCH='"something-else"').status_code == 200
    # A new case study changes the body and the date, not the supplier row.
    later = timezone.now() + timedelta(seconds=2)
    case = factories.CaseStudyFactory(supplier=registry["kestrel"])
    type(case).history.filter(id=case.pk).update(history_date=later)
    changed = api.get(url, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag
    assert api.get(url, HTTP_IF_MODIFIED_SINCE=modified).status_code == 200
    assert api.get(url, HTTP_IF_MODIFIED_SINCE=http_date(later.timestamp() + 5)).status_code == 304


# --- exports ----------------------------------------------------------------------------------


def _streamed(response) -> bytes:
    assert response.status_code == 200
    assert response.streaming
    return b"".join(response.streaming_content)


def test_csv_export_is_every_published_supplier_in_the_import_format(api, registry):
    response = api.get("/api/v1/suppliers/export.csv")
    assert response["Content-Type"].startswith("text/csv")
    text = _streamed(response).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["name"] for r in rows] == [
        "Kestrel Ledger Systems",
        "Heron Research",
        "Osprey Security",
    ]
    assert rows[2]["regions"] == "TLI;TLL"
    assert rows[0]["hq_region"] == "TLI"
    # The import reads the export back, and it changes nothing (same data, same format).
    from suppliers.importer import import_suppliers_csv

    report = import_suppliers_csv(io.BytesIO(text.encode("utf-8")))
    assert (report.created, report.updated, report.unchanged, report.rejected) == (0, 0, 3, [])


def test_csv_export_defuses_spreadsheet_formulas(api):
    make("=HYPERLINK(1)", summary="+cmd|calc")
    text = _streamed(api.get("/api/v1/suppliers/export.csv")).decode("utf-8-sig")
    row = next(csv.DictReader(io.StringIO(text)))
    assert row["name"] == "'=HYPERLINK(1)" and row["summary"] == "'+cmd|calc"


def test_jsonl_export_is_one_object_a_line(api, registry):
    response = api.get("/api/v1/suppliers/export.jsonl")
    assert response["Content-Type"].startswith("application/jsonl")
    lines = _streamed(response).decode().splitlines()
    objects = [json.loads(line) for line in lines]
    assert [o["slug"] for o in objects] == [
        "kestrel-ledger-systems",
        "heron-research",
        "osprey-security",
    ]
    assert objects[2]["regions"] == ["TLI", "TLL"] and objects[1]["is_sme"] is False


def test_exports_stream_from_a_server_side_cursor_in_chunks(api, monkeypatch):
    """Memory stays flat: rows come from .iterator(chunk_size) and leave as they are read."""
    from suppliers import api as suppliers_api

    monkeypatch.setattr(suppliers_api, "EXPORT_CHUNK_SIZE", 2)
    for i in range(5):
        make(f"Stream {i}")
    fetched = []
    real_iterator = type(Supplier.objects.all()).iterator

    def spy(self, chunk_size=None):
        fetched.append(chunk_size)
        return real_iterator(self, chunk_size=chunk_size)

    monkeypatch.setattr(type(Supplier.objects.all()), "iterator", spy)
    response = api.get("/api/v1/suppliers/export.jsonl")
    stream = iter(response.streaming_content)
    first = next(stream)  # the first row is out before the rest is read
    assert json.loads(first)["name"] == "Stream 0"
    assert fetched == [2]
    assert len(list(stream)) == 4


# --- reference data ---------------------------------------------------------------------------


def test_capabilities_are_grouped(api):
    body = api.get("/api/v1/capabilities/", {"page_size": 100}).json()
    groups = {g["code"]: [c["code"] for c in g["capabilities"]] for g in body["results"]}
    assert "penetration-testing" in groups["cyber-security"]
    one = api.get("/api/v1/capabilities/cyber-security/").json()
    assert one["name"] == "Cyber security"


def test_reference_lists_run_a_fixed_number_of_queries(api, django_assert_max_num_queries):
    with django_assert_max_num_queries(2):
        api.get("/api/v1/capabilities/", {"page_size": 100})
    for url in ("/api/v1/regions/", "/api/v1/certifications/", "/api/v1/frameworks/"):
        with django_assert_max_num_queries(1):
            assert api.get(url).status_code == 200


def test_region_detail_by_itl_code(api):
    assert api.get("/api/v1/regions/TLM/").json() == {
        "code": "TLM",
        "name": "Scotland",
        "slug": "scotland",
    }


def test_reference_data_is_kept_briefly_and_forgotten_when_it_changes(
    api, registry, monkeypatch, django_assert_max_num_queries
):
    from suppliers import api as suppliers_api

    monkeypatch.setattr(suppliers_api, "REFDATA_SECONDS", 60)
    suppliers_api._refdata_cache.clear()
    api.get("/api/v1/suppliers/")
    with django_assert_max_num_queries(1):  # the page only
        api.get("/api/v1/suppliers/", {"ordering": "name"})
    new = factories.CertificationFactory(code="iso-42001", name="ISO 42001")
    registry["heron"].certifications.add(new)
    # As the services do after changing a supplier's links (the search reads id arrays).
    services.refresh_search_vectors(supplier_ids=[registry["heron"].pk])
    assert slugs(api.get("/api/v1/suppliers/", {"certification": "iso-42001"})) == [
        "heron-research"
    ]
    suppliers_api._refdata_cache.clear()


def test_a_search_with_the_reference_data_kept_runs_three_statements(
    api, registry, monkeypatch, django_assert_num_queries
):
    """The kept reference data holds the taxonomy's lexemes (the capability boost is
    matched in Python) and the words' lexemes come with the spelling check: a search is
    the spelling check, the page's keys and its rows. Same answer as without it."""
    from suppliers import api as suppliers_api

    for i in range(3):
        make(f"Bulk {i}", summary="Penetration testing, in bulk." if i == 1 else "Bulk data.")
    params = {"q": "bulk penetration", "page_size": 2}
    fresh = api.get("/api/v1/suppliers/", params).json()
    monkeypatch.setattr(suppliers_api, "REFDATA_SECONDS", 60)
    suppliers_api._refdata_cache.clear()
    api.get("/api/v1/suppliers/", params)
    with django_assert_num_queries(3):
        kept = api.get("/api/v1/suppliers/", params).json()
    with django_assert_num_queries(3):  # a correction's words were read with it too
        corrected = api.get("/api/v1/suppliers/", {**params, "q": "bulk penetraton"}).json()
    suppliers_api._refdata_cache.clear()
    assert kept == fresh and kept["results"][0]["slug"] == "bulk-1", kept
    assert corrected["corrected_query"] == "bulk penetration"
    assert corrected["results"] == kept["results"]


@pytest.mark.parametrize(
    "query",
    [
        "region=TLI&region=wales&sme=true&q=cloud&ordering=name&facets=false",
        "region=XX&region=TLI&region=YY",
        "q=a&q=b",
        "sme=maybe&ordering=price&facets=1",
        "q=" + "x" * 201,
        "capability=" + "&capability=".join(["devops"] * 101),
        "certification=nope&framework=nope",
    ],
)
def test_the_fast_query_check_agrees_with_the_serializer(registry, query):
    """The view's check() and the serializer documented in the schema accept and refuse alike."""
    from django.http import QueryDict
    from rest_framework.exceptions import ValidationError

    from suppliers.selectors import reference_data
    from suppliers.serializers import SupplierQuerySerializer

    data = QueryDict(query)
    refdata = reference_data()
    serializer = SupplierQuerySerializer(data=data, context={"refdata": refdata})
    valid = serializer.is_valid()
    try:
        cleaned = SupplierQuerySerializer.check(data, refdata)
    except ValidationError as error:
        assert not valid
        assert _paths(error.detail) == _paths(serializer.errors)
    else:
        assert valid, serializer.errors
        assert cleaned == dict(serializer.validated_data)


def _paths(detail, prefix=""):
    if isinstance(detail, dict):
        return {p for key, value in detail.items() for p in _paths(value, f"{prefix}{key}.")}
    return {(prefix.rstrip("."), item.code) for item in detail}
