"""/api/v1/awards/ (public contract data) and the public-record fields of
/api/v1/suppliers/: open to anyone, read-only, cursor pages, filters, a pinned query count."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from suppliers.models import Supplier
from tests import factories
from tests.api.conftest import assert_error
from tests.suppliers.test_public_records_views import award, public_supplier

pytestmark = pytest.mark.django_db

URL = "/api/v1/awards/"


def when(day: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime(2025, 3, day, 12))


@pytest.fixture
def data():
    maps = factories.PublicBodyFactory(name="Ministry of Maps", slug="ministry-of-maps")
    borough = factories.PublicBodyFactory(name="Borough of Testing", slug="borough-of-testing")
    registered = factories.SupplierFactory(name="Kestrel Ledger Systems")
    heron = public_supplier("Heron Data Ltd", number="07654321")
    draft = factories.SupplierFactory(name="Draft Co", status=Supplier.Status.DRAFT)
    first = award(heron, buyer=maps, title="Mapping", value="1000.50", when=when(1))
    second = award(heron, registered, buyer=borough, title="Ledgers", value=None, when=when(5))
    third = award(draft, buyer=maps, title="Drafting", value="20", currency="EUR", when=when(9))
    return {
        "maps": maps,
        "borough": borough,
        "registered": registered,
        "heron": heron,
        "draft": draft,
        "awards": (first, second, third),
    }


def titles(response) -> list[str]:
    assert response.status_code == 200, response.content[:500]
    return [a["title"] for a in response.json()["results"]]


def test_anyone_reads_awards_newest_first_with_every_field(api, data):
    response = api.get(URL)
    assert titles(response) == ["Drafting", "Ledgers", "Mapping"]
    mapping = response.json()["results"][2]
    first = data["awards"][0]
    assert mapping["ocid"] == first.ocid and mapping["award_id"] == first.award_id
    assert mapping["buyer"] == {
        "slug": "ministry-of-maps",
        "name": "Ministry of Maps",
        "from_public_records": False,
    }
    assert mapping["suppliers"] == [
        {
            "slug": data["heron"].slug,
            "name": "Heron Data Ltd",
            "name_as_published": "X",
            "from_public_records": True,
        }
    ]
    assert mapping["value"] == {"amount": "1000.50", "currency": "GBP"}
    assert mapping["award_date"] == "2025-03-01T12:00:00Z"
    assert mapping["cpv"] == {"code": "72000000", "description": "", "additional": []}
    assert mapping["notice_url"].endswith("/Notice/abc")
    assert mapping["publisher"] == "Contracts Finder"
    # A supplier that is not published is named, never linked.
    drafting = response.json()["results"][0]
    assert drafting["suppliers"][0]["slug"] is None
    assert drafting["value"] == {"amount": "20.00", "currency": "EUR"}


def test_filters_by_supplier_buyer_dates_and_ocid(api, data):
    assert titles(api.get(URL, {"supplier": data["heron"].slug})) == ["Ledgers", "Mapping"]
    assert titles(api.get(URL, {"supplier": data["registered"].slug})) == ["Ledgers"]
    assert titles(api.get(URL, {"supplier": data["draft"].slug})) == []  # not published
    assert titles(api.get(URL, {"buyer": "ministry-of-maps"})) == ["Drafting", "Mapping"]
    dates = {"awarded_from": "2025-03-02", "awarded_to": "2025-03-09"}
    assert titles(api.get(URL, dates)) == ["Drafting", "Ledgers"]
    assert titles(api.get(URL, {"ocid": data["awards"][1].ocid})) == ["Ledgers"]
    assert titles(api.get(URL, {"buyer": "nobody"})) == []
    backwards = {"awarded_from": "2025-03-09", "awarded_to": "2025-03-01"}
    assert titles(api.get(URL, backwards)) == []


@pytest.mark.parametrize(
    "query",
    [
        {"awarded_from": "yesterday"},
        {"supplier": "not a slug!"},
        {"page_size": "1000"},
    ],
)
def test_bad_filters_are_400_in_the_error_shape(api, data, query):
    assert_error(api.get(URL, query), 400)


def test_cursor_pages_cover_every_award_once(api, data):
    seen = []
    response = api.get(URL, {"page_size": 2})
    while True:
        body = response.json()
        assert set(body) == {"next", "previous", "results"}
        seen += [a["title"] for a in body["results"]]
        if not body["next"]:
            break
        response = api.get(body["next"])
    assert seen == ["Drafting", "Ledgers", "Mapping"]


def test_read_only_for_everyone(api, client_for, data):
    moderator = factories.ModeratorFactory()  # staff alone is no longer one
    for client in (api, client_for(moderator, "write")):
        response = client.post(URL, {"title": "Mine"}, format="json")
        assert response.status_code in (403, 405), response.content[:300]
    assert_error(api.get(f"{URL}{data['awards'][0].pk}/"), 404)


def test_a_page_is_two_queries_whatever_its_size(api, data, django_assert_max_num_queries):
    for n in range(20):
        award(data["heron"], data["registered"], buyer=data["maps"], when=when(10 + n % 10))
    with django_assert_max_num_queries(2):
        response = api.get(URL, {"page_size": 20})
    assert len(response.json()["results"]) == 20


def test_suppliers_api_gives_public_record_status_and_contract_totals(api, data):
    rows = {s["slug"]: s for s in api.get("/api/v1/suppliers/").json()["results"]}
    heron = rows[data["heron"].slug]
    assert heron["from_public_records"] is True
    assert heron["public_contract_count"] == 2
    assert heron["public_contract_total"] == "1000.50"  # the award without a value adds nothing
    assert heron["latest_award_date"] == "2025-03-05T12:00:00Z"
    kestrel = rows[data["registered"].slug]
    assert (kestrel["from_public_records"], kestrel["public_contract_count"]) == (False, 1)
    assert kestrel["public_contract_total"] is None
    detail = api.get(f"/api/v1/suppliers/{data['heron'].slug}/").json()
    assert (detail["public_contract_count"], detail["from_public_records"]) == (2, True)


def test_suppliers_api_filters_by_source_and_contracts(api, data):
    def slugs(query):
        response = api.get("/api/v1/suppliers/", query)
        assert response.status_code == 200, response.content[:300]
        return {s["slug"] for s in response.json()["results"]}

    assert slugs({"source": "public_records"}) == {data["heron"].slug}
    assert slugs({"source": "registered"}) == {data["registered"].slug}
    assert slugs({"won_from": "borough-of-testing"}) == {
        data["heron"].slug,
        data["registered"].slug,
    }


def test_schema_documents_awards_and_the_supplier_fields(api):
    schema = api.get("/api/v1/schema/", {"format": "json"}).json()
    operation = schema["paths"]["/api/v1/awards/"]["get"]
    names = {p["name"] for p in operation["parameters"]}
    assert {"supplier", "buyer", "awarded_from", "awarded_to", "ocid", "cursor"} <= names
    assert "post" not in schema["paths"]["/api/v1/awards/"]
    fields = schema["components"]["schemas"]["SupplierList"]["properties"]
    assert {"from_public_records", "public_contract_count", "public_contract_total"} <= set(fields)
    supplier_params = {
        p["name"] for p in schema["paths"]["/api/v1/suppliers/"]["get"]["parameters"]
    }
    assert {"source", "won_from", "has_contracts"} <= supplier_params
