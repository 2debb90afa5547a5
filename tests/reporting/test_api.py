"""/api/v1/ contracts, reports, comparisons and the OCDS export (validated against the
OCDS 1.1 schema in ../shared/ocds wherever that folder exists)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from reporting import services
from reporting.comparison import run_comparison
from reporting.models import ContractReport
from reporting.periods import period_code
from tests.api.conftest import assert_error
from tests.reporting.factories import GOOD_VALUES, ContractFactory, last_quarter

# Persona fixtures are asked for by name (request.getfixturevalue), which pytest-django
# cannot see when it orders tests: the mark keeps these tests before the transactional ones.
pytestmark = pytest.mark.django_db

OCDS = Path(settings.BASE_DIR).parent / "shared" / "ocds"


@pytest.fixture
def api():
    return APIClient()


def body(contract, period=None, **values):
    return {
        "contract": contract.ocid,
        "period": period_code(period or last_quarter()),
        "values": {**GOOD_VALUES, "overall_rating": "Good", **values},
        "comments": {"milestones_on_time": "All on time"},
    }


# --- Reads -----------------------------------------------------------------------------------


def test_contracts_list_and_detail(api, db, django_assert_max_num_queries):
    contracts = ContractFactory.create_batch(12)
    with django_assert_max_num_queries(3):
        response = api.get("/api/v1/contracts/", {"page_size": 10})
    assert response.status_code == 200
    data = response.json()
    assert len(data["results"]) == 10 and data["next"]
    first = data["results"][0]
    assert first["ocid"] == contracts[0].ocid and first["category"] == contracts[0].category.code
    detail = api.get(f"/api/v1/contracts/{contracts[0].ocid}/").json()
    assert detail["companies_house_number"] == contracts[0].supplier.companies_house_number
    assert_error(api.get("/api/v1/contracts/ocds-test01-missing/"), 404)
    filtered = api.get("/api/v1/contracts/", {"ocid": contracts[3].ocid}).json()
    assert [c["ocid"] for c in filtered["results"]] == [contracts[3].ocid]


def test_reports_list_hides_queried_reports_from_the_public(
    api, contract, submit, civil_servant, owner, django_assert_max_num_queries
):
    reports = [submit(contract, period=last_quarter(back)) for back in (1, 2, 3)]
    services.report_query(actor=civil_servant, report=reports[0], reason="Check")
    with django_assert_max_num_queries(4):
        public = api.get("/api/v1/reports/").json()["results"]
    assert {r["id"] for r in public} == {reports[1].pk, reports[2].pk}
    assert public[0]["values"][0]["metric"] == "overall_rating"
    assert public[0]["values"][0]["display"] == "Good"
    api.force_authenticate(owner)
    mine = api.get("/api/v1/reports/").json()["results"]
    assert len(mine) == 3
    detail = api.get(f"/api/v1/reports/{reports[0].pk}/").json()
    assert detail["query_reason"] == "Check"
    api.force_authenticate(None)
    assert_error(api.get(f"/api/v1/reports/{reports[0].pk}/"), 404)
    assert api.get(f"/api/v1/reports/{reports[1].pk}/").json()["query_reason"] is None
    assert_error(api.get("/api/v1/reports/", {"period": "soon"}), 400)


def test_comparisons(api, contract, submit, django_assert_max_num_queries):
    submit(contract, milestones_on_time=40)
    for value in (50, 60, 70, 80):
        submit(ContractFactory(category=contract.category), milestones_on_time=value)
    run_comparison(full=True)
    with django_assert_max_num_queries(3):
        response = api.get(
            "/api/v1/comparisons/",
            {"metric": "milestones_on_time", "period": period_code(last_quarter())},
        )
    rows = response.json()["results"]
    assert len(rows) == 1
    assert rows[0]["median"] == 60 and rows[0]["contracts"] == 5 and rows[0]["enough_data"]
    with django_assert_max_num_queries(3):
        scores = api.get("/api/v1/comparisons/scores/", {"supplier": contract.supplier.slug})
    assert scores.json()["results"][0]["composite"] is not None
    runs = api.get("/api/v1/comparisons/runs/").json()["results"]
    assert runs[0]["status"] == "succeeded"
    assert_error(api.get("/api/v1/comparisons/", {"period": "2025-Q9"}), 400)
    assert_error(api.get("/api/v1/comparisons/", {"page_size": "1000"}), 400)


# --- Writes: the permission cast ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("owner", 201),
        ("member", 201),
        ("other_owner", 403),
        ("civil_servant", 403),
        ("moderator", 403),
        ("anonymous", 401),
    ],
)
def test_submit_a_report(client_for, request, contract, who, status):
    user = request.getfixturevalue(who)
    client = client_for(user if user.is_authenticated else None, "write")
    response = client.post("/api/v1/reports/", body(contract), format="json")
    if status == 201:
        assert response.status_code == 201, response.content
        data = response.json()
        assert data["status"] == "submitted" and len(data["values"]) == 8
        assert ContractReport.objects.count() == 1
    else:
        assert_error(response, status)
        assert not ContractReport.objects.exists()


def test_read_tokens_cannot_write(client_for, owner, contract):
    response = client_for(owner, "read").post("/api/v1/reports/", body(contract), format="json")
    assert_error(response, 403, "token_read_only")


def test_validation_errors_are_structured(client_for, owner, contract):
    client = client_for(owner, "write")
    response = client.post(
        "/api/v1/reports/",
        body(contract, milestones_on_time=150, overall_rating=4, mood="great"),
        format="json",
    )
    error = assert_error(response, 400)
    fields = error["fields"]
    assert "between 0 and 100" in fields["milestones_on_time"][0]["message"]
    assert "is a rating" in fields["overall_rating"][0]["message"]
    assert "not a metric" in fields["mood"][0]["message"]
    client.post("/api/v1/reports/", body(contract), format="json")
    again = assert_error(client.post("/api/v1/reports/", body(contract), format="json"), 400)
    assert "already been submitted" in again["fields"]["period"][0]["message"]
    missing = client.post("/api/v1/reports/", {"contract": "ocds-test01-none"}, format="json")
    assert_error(missing, 400)
    nowhere = client.post(
        "/api/v1/reports/", {**body(contract), "contract": "ocds-test01-none"}, format="json"
    )
    assert_error(nowhere, 404)


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("civil_servant", 200),
        ("other_civil_servant", 403),
        ("owner", 403),
        ("moderator", 403),
        ("anonymous", 401),
    ],
)
def test_accept_and_query(client_for, request, contract, submit, who, status):
    report = submit(contract)
    user = request.getfixturevalue(who)
    client = client_for(user if user.is_authenticated else None, "write")
    query = client.post(f"/api/v1/reports/{report.pk}/query/", {"reason": "Why?"}, format="json")
    accept = client.post(f"/api/v1/reports/{report.pk}/accept/", format="json")
    if status == 200:
        assert query.status_code == 200 and query.json()["status"] == "queried"
        assert accept.status_code == 200 and accept.json()["status"] == "accepted"
    else:
        assert_error(query, status)
        assert_error(accept, status)


def test_reply_and_correct(client_for, contract, submit, civil_servant, owner, other_owner):
    report = submit(contract)
    services.report_query(actor=civil_servant, report=report, reason="Why?")
    assert_error(
        client_for(other_owner).post(
            f"/api/v1/reports/{report.pk}/reply/", {"message": "x"}, format="json"
        ),
        404,  # a queried report is not visible to other suppliers at all
    )
    client = client_for(owner)
    reply = client.post(
        f"/api/v1/reports/{report.pk}/reply/", {"message": "Because"}, format="json"
    )
    assert reply.status_code == 200 and reply.json()["reply"] == "Because"
    fixed = client.post(
        f"/api/v1/reports/{report.pk}/correct/",
        {"values": {**GOOD_VALUES, "milestones_on_time": 70}},
        format="json",
    )
    assert fixed.status_code == 200 and fixed.json()["status"] == "submitted"


@pytest.mark.parametrize(
    ("who", "status"), [("civil_servant", 201), ("owner", 403), ("anonymous", 401)]
)
def test_record_a_contract(client_for, request, supplier, who, status):
    from tests import factories

    group = factories.CapabilityGroupFactory()
    user = request.getfixturevalue(who)
    client = client_for(user if user.is_authenticated else None, "write")
    data = {
        "ocid": "ocds-test01-api-1",
        "title": "Data platform",
        "supplier": supplier.slug,
        "category": group.code,
        "value": "1000.00",
    }
    response = client.post("/api/v1/contracts/", data, format="json")
    if status == 201:
        assert response.status_code == 201
        assert response.json()["buyer"] == user.public_body.name
        patch = client.patch(
            "/api/v1/contracts/ocds-test01-api-1/", {"title": "Data platform 2"}, format="json"
        )
        assert patch.status_code == 200 and patch.json()["title"] == "Data platform 2"
        assert_error(client.post("/api/v1/contracts/", data, format="json"), 400)
    else:
        assert_error(response, status)


# --- OCDS ----------------------------------------------------------------------------------------


def _validator():
    if not OCDS.exists():
        pytest.skip(f"the OCDS schema folder {OCDS} does not exist on this machine")
    from jsonschema import Draft4Validator, FormatChecker
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT4

    release_schema = json.loads((OCDS / "release-schema.json").read_text())
    package_schema = json.loads((OCDS / "release-package-schema.json").read_text())
    registry = Registry().with_resources(
        [
            (
                release_schema["id"],
                Resource.from_contents(release_schema, default_specification=DRAFT4),
            ),
            (
                package_schema["properties"]["releases"]["items"]["$ref"],
                Resource.from_contents(release_schema, default_specification=DRAFT4),
            ),
        ]
    )
    return Draft4Validator(package_schema, registry=registry, format_checker=FormatChecker())


def test_ocds_export_validates_against_the_schema(api, contract, submit, civil_servant):
    validator = _validator()
    accepted = submit(contract, period=last_quarter(2))
    services.report_accept(actor=civil_servant, report=accepted)
    submit(contract)
    queried = submit(contract, period=last_quarter(3))
    services.report_query(actor=civil_servant, report=queried, reason="Private")
    ContractFactory()  # a contract with no reports yet
    response = api.get("/api/v1/contracts/ocds/")
    assert response.status_code == 200
    package = response.json()
    errors = sorted(validator.iter_errors(package), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors[:10]]
    release = next(r for r in package["releases"] if r["ocid"] == contract.ocid)
    milestones = release["contracts"][0]["implementation"]["milestones"]
    assert [m["type"] for m in milestones] == ["reporting", "reporting"]  # queried one left out
    assert milestones[0]["id"] == f"report-{period_code(last_quarter(2))}"
    assert "Overall KPI rating: Good" in milestones[0]["description"]
    supplier_party = next(p for p in release["parties"] if "supplier" in p["roles"])
    assert supplier_party["identifier"] == {
        "scheme": "GB-COH",
        "id": contract.supplier.companies_house_number,
        "legalName": contract.supplier.name,
    }
    # Paged as core.ocds says: the next page in the Link header, no `links` in the package.
    first = api.get("/api/v1/contracts/ocds/", {"page_size": 1})
    one = first.json()
    assert len(one["releases"]) == 1 and "links" not in one
    assert 'rel="next"' in first["Link"]
    assert not list(validator.iter_errors(one))
