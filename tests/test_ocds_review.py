"""The OCDS review in the suite: every OCDS export through libcoveocds, the library behind the
OCDS Data Review Tool, offline.

The standard comes from ../shared/ocds (the tests skip where that folder does not exist):
its release and package schemas and codelists make the "standard zip" libcoveocds reads in
place of downloading one. That folder holds a few codelists only, so the closed codelists
it lacks are written from the release schema's own ``enum`` lists (otherwise libcoveocds
silently skips the check of a closed codelist it does not have), and the versioned release
schema is derived from the release schema as ocdsextensionregistry does. Extensions are
fetched over HTTP by libcoveocds: a transport adapter answers Techmap's own URLs through the
Django test client (so the extension is read from where Techmap serves it) and refuses any
other address.

Each export must show 0 validation errors, 0 additional checks (empty fields), 0 additional
(undeclared) fields, no closed-codelist extras and no extension that failed to load.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
import requests
from django.conf import settings
from django.test import Client
from requests.structures import CaseInsensitiveDict

from core import ocds as core_ocds
from core.ocds import EXTENSION_DIR
from core.ocds.views import extension_files
from engagement import services as engagement_services
from engagement.exports import notice_package
from reporting import services as reporting_services
from reporting.models import MetricDefinition, Rating, ReportingScheme
from suppliers.models import AwardRecord, Capability, CpvCapability, Region
from suppliers.public_records.ocds import import_releases
from suppliers.public_records.reader import SourcedRelease
from tests import factories
from tests.engagement.factories import EngagementRequestFactory
from tests.reporting.factories import ContractFactory, last_quarter, values

pytestmark = pytest.mark.django_db

SHARED = Path(settings.BASE_DIR).parent / "shared"
OCDS_DIR = SHARED / "ocds"
CONTRACTS_FINDER = SHARED / "data" / "contracts-finder-2025" / "package.json"
TAG = "1__1__5"


# --- The offline review ------------------------------------------------------------------------


def _closed_codelists(schema: dict) -> dict[str, list[str]]:
    """Each closed codelist of the release schema with the codes its ``enum`` allows."""
    found: dict[str, list[str]] = {}

    def walk(node):
        if isinstance(node, dict):
            if "codelist" in node and node.get("openCodelist") is False:
                enum = node.get("enum") or (node.get("items") or {}).get("enum") or []
                found[node["codelist"]] = [c for c in enum if c is not None]
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(schema)
    return found


def standard_zip() -> bytes:
    """The OCDS 1.1.5 schema folder, zipped as libcoveocds expects the standard."""
    from ocdsextensionregistry.versioned_release_schema import get_versioned_release_schema

    release_schema = json.loads((OCDS_DIR / "release-schema.json").read_text())
    root = f"standard-{TAG}/"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(root, "")
        for name in ("release-schema.json", "release-package-schema.json"):
            archive.writestr(f"{root}schema/{name}", (OCDS_DIR / name).read_text())
        archive.writestr(
            f"{root}schema/versioned-release-validation-schema.json",
            json.dumps(get_versioned_release_schema(release_schema, TAG)),
        )
        have = set()
        for path in sorted((OCDS_DIR / "codelists").glob("*.csv")):
            have.add(path.name)
            archive.writestr(f"{root}schema/codelists/{path.name}", path.read_text())
        for name, codes in _closed_codelists(release_schema).items():
            if name not in have:
                rows = "".join(f"{code},{code},\n" for code in codes)
                archive.writestr(
                    f"{root}schema/codelists/{name}", "Code,Title,Description\n" + rows
                )
    return buffer.getvalue()


class TechmapOnly(requests.adapters.BaseAdapter):
    """Answers requests for Techmap's own URLs (SITE_URL) through the Django test client;
    refuses every other address, as the machine has no internet."""

    def __init__(self):
        super().__init__()
        self.client = Client()
        self.fetched: list[str] = []

    def send(self, request, **kwargs):
        if not request.url.startswith(settings.SITE_URL + "/"):
            raise requests.ConnectionError(f"offline: {request.url}")
        self.fetched.append(request.url)
        answer = self.client.get(request.url[len(settings.SITE_URL) :])
        response = requests.Response()
        response.status_code = answer.status_code
        response.reason = answer.reason_phrase
        response._content = answer.content
        response.headers = CaseInsensitiveDict(dict(answer.items()))
        response.url = request.url
        response.request = request
        return response

    def close(self):
        pass


@dataclass
class Review:
    result: dict

    @property
    def counts(self) -> dict[str, int]:
        r = self.result
        return {
            "validation_errors": len(r["validation_errors"]),
            "additional_checks": sum(len(v) for v in (r.get("additional_checks") or {}).values()),
            "additional_fields": len(r["additional_fields"]),
            "closed_codelist_extras": sum(
                len(v["values"]) for v in r["additional_closed_codelist_values"].values()
            ),
            "invalid_extensions": len((r.get("extensions") or {}).get("invalid_extensions", [])),
        }

    @property
    def open_codelist_values(self) -> dict[str, list[str]]:
        """Codes outside an open codelist: allowed, and shown as notes by the review tool."""
        return {
            path: info["values"]
            for path, info in self.result["additional_open_codelist_values"].items()
        }

    def assert_clean(self) -> None:
        print("OCDS review:", self.counts, "open codelist notes:", self.open_codelist_values)
        assert self.counts == dict.fromkeys(self.counts, 0), json.dumps(
            {
                key: self.result.get(key)
                for key in (
                    "validation_errors",
                    "additional_checks",
                    "additional_fields",
                    "additional_closed_codelist_values",
                    "extensions",
                )
            },
            indent=1,
            default=str,
        )[:4000]


@pytest.fixture(scope="module")
def standard() -> bytes:
    if not OCDS_DIR.exists():
        pytest.skip(f"the OCDS 1.1 schema folder {OCDS_DIR} does not exist on this machine")
    return standard_zip()  # libcoveocds is a dev dependency: no skip when it is missing


@pytest.fixture
def review(standard, tmp_path):
    """``review(package) -> Review``: libcoveocds on ``package``, offline."""
    from libcoveocds.api import ocds_json_output
    from libcoveocds.config import LibCoveOCDSConfig
    from ocdsextensionregistry import util

    adapter = TechmapOnly()
    saved = dict(util.session.adapters)
    util.session.mount("http://", adapter)
    util.session.mount("https://", adapter)

    def run(package: dict) -> Review:
        config = LibCoveOCDSConfig({"standard_zip": standard, "context": "api"})
        # Fetched afresh each time: the adapter answers from this test's database.
        with util.session.cache_disabled():
            result = ocds_json_output(
                str(tmp_path),
                json_data=json.loads(json.dumps(package)),
                lib_cove_ocds_config=config,
            )
        return Review(result)

    run.adapter = adapter
    yield run
    util.session.adapters.clear()
    util.session.adapters.update(saved)


def test_the_review_finds_what_it_should(review):
    """The harness is not toothless: an empty field, an undeclared field, a code outside a
    closed codelist, a schema error and an extension that cannot be read are all counted."""
    package = core_ocds.release_package([], uri="http://example.test/")
    package["extensions"].append("https://elsewhere.example/ext/extension.json")
    package["releases"] = [
        {
            "ocid": "ocds-abcdef-1",
            "id": "1",
            "date": "2025-01-01T00:00:00Z",
            "tag": ["award"],
            "initiationType": "tender",
            "language": " ",
            "undeclared": "x",
            "awards": [{"id": "a", "status": "granted"}],
            "tender": {"id": 7.5},
        }
    ]
    counts = review(package).counts
    assert counts["additional_checks"] == 1
    assert counts["additional_fields"] == 1
    assert counts["closed_codelist_extras"] == 1
    assert counts["validation_errors"] >= 1
    assert counts["invalid_extensions"] == 1
    assert review.adapter.fetched  # the Techmap extension came from Techmap's own URL


# --- The extension -----------------------------------------------------------------------------


def test_the_extension_is_served_at_a_stable_url(client):
    response = client.get("/ocds/extension/extension.json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Access-Control-Allow-Origin"] == "*"
    metadata = response.json()
    assert core_ocds.extension_url() == f"{settings.SITE_URL}/ocds/extension/extension.json"
    assert metadata["name"]["en"] and metadata["description"]["en"]
    assert metadata["compatibility"] == ["1.1"]
    assert metadata["documentationUrl"]["en"] == f"{settings.SITE_URL}/ocds/extension/README.md"
    readme = client.get("/ocds/extension/README.md")
    assert readme.status_code == 200 and b"techmapReport" in readme.content
    patch = client.get("/ocds/extension/release-schema.json").json()
    assert patch == json.loads((EXTENSION_DIR / "release-schema.json").read_text())
    for name in metadata["codelists"]:
        served = client.get(f"/ocds/extension/codelists/{name}")
        assert served.status_code == 200 and served.content.startswith(b"Code,")
    assert sorted(f"codelists/{n}" for n in metadata["codelists"]) == sorted(
        n for n in extension_files() if n.startswith("codelists/")
    )


@pytest.mark.parametrize(
    "name", ["../__init__.py", "views.py", "codelists/none.csv", "codelists/../extension.json"]
)
def test_only_the_extensions_files_are_served(client, name):
    assert client.get(f"/ocds/extension/{name}").status_code == 404


def _codelist(name: str) -> list[dict]:
    with (EXTENSION_DIR / "codelists" / name).open(newline="") as handle:
        return list(csv.DictReader(handle))


def test_the_metric_codelist_has_every_published_metric():
    published = MetricDefinition.objects.filter(scheme__status=ReportingScheme.Status.PUBLISHED)
    codes = {row["Code"]: row for row in _codelist("techmapMetric.csv")}
    assert published.exists()
    for metric in published:
        assert metric.code in codes, f"{metric.code} is missing from techmapMetric.csv"
        assert codes[metric.code]["Unit"] == metric.unit
        assert codes[metric.code]["Direction"] == metric.direction


def test_the_rating_codelist_is_the_uk9_scale():
    from reporting.ocds import RATING_CODES

    rows = _codelist("techmapRating.csv")
    assert {int(r["Value"]): r["Code"] for r in rows} == {
        int(k): v for k, v in RATING_CODES.items()
    }
    assert {r["Title"] for r in rows} == {label for _, label in Rating.choices}


def test_prune_leaves_out_everything_empty():
    assert core_ocds.prune(
        {
            "a": "",
            "b": " ",
            "c": None,
            "d": [],
            "e": {},
            "f": [{"x": ""}, {"y": 0}],
            "g": {"h": {"i": None}},
            "j": False,
            "k": "text",
        }
    ) == {"f": [{"y": 0}], "j": False, "k": "text"}


# --- The notice --------------------------------------------------------------------------------


@pytest.fixture
def notice_request(db):
    capabilities = list(Capability.objects.order_by("pk")[:2])
    CpvCapability.objects.all().delete()  # this test's table, not the seeded one
    CpvCapability.objects.create(cpv_prefix="7222", capability=capabilities[0])
    CpvCapability.objects.create(cpv_prefix="72", capability=capabilities[0])
    CpvCapability.objects.create(cpv_prefix="48000000", capability=capabilities[1])
    CpvCapability.objects.create(cpv_prefix="72", capability=capabilities[1])  # once only
    author = factories.CivilServantFactory()
    draft = EngagementRequestFactory(
        author=author, capabilities=capabilities, regions=[Region.objects.get(code="TLI")]
    )
    return engagement_services.engagement_request_publish(actor=author, engagement_request=draft)


def test_the_notice_carries_cpv_from_the_capability_table(client, notice_request):
    release = client.get(f"/engagement/{notice_request.pk}/notice.json").json()
    assert release["tender"]["classification"] == {"scheme": "CPV", "id": "72000000"}
    assert release["tender"]["additionalClassifications"] == [
        {"scheme": "CPV", "id": "72220000"},
        {"scheme": "CPV", "id": "48000000"},
    ]


def test_a_notice_without_cpv_mapping_has_no_empty_classification(notice_request):
    CpvCapability.objects.all().delete()
    tender = notice_package(notice_request)["releases"][0]["tender"]
    assert "classification" not in tender and "additionalClassifications" not in tender


def test_the_notice_passes_the_review(review, notice_request):
    notice_request.session_place = ""
    notice_request.procurement_timing = ""
    package = notice_package(notice_request)
    assert package["extensions"] == [core_ocds.extension_url()]
    review(package).assert_clean()


# --- The reporting package ----------------------------------------------------------------------


@pytest.fixture
def reported(supplier, civil_servant):
    """Two contracts: one with an accepted and a submitted report (a comment on one value
    only, as most suppliers leave them blank), one with no report, description or dates."""
    contract = ContractFactory(supplier=supplier, buyer=civil_servant.public_body)
    ContractFactory(description="", start_date=None, end_date=None, value=None)
    user = factories.MembershipFactory(supplier=supplier, role="owner").user
    accepted = reporting_services.report_submit(
        actor=user,
        contract=contract,
        period=last_quarter(2),
        values={**values(), "overall_rating": "Good"},
        comments={"milestones_on_time": "All on time"},
    )
    reporting_services.report_accept(actor=civil_servant, report=accepted)
    reporting_services.report_submit(
        actor=user, contract=contract, period=last_quarter(), values=values()
    )
    return contract


def _links(response) -> dict[str, str]:
    return {
        rel: url for url, rel in re.findall(r'<([^>]+)>; rel="(\w+)"', response.get("Link", ""))
    }


def test_the_reporting_package_passes_the_review(review, reported, client):
    response = client.get("/api/v1/contracts/ocds/")
    assert response.status_code == 200
    package = response.json()
    assert package["extensions"] == [core_ocds.extension_url()]
    review(package).assert_clean()
    release = next(r for r in package["releases"] if r["ocid"] == reported.ocid)
    milestones = release["contracts"][0]["implementation"]["milestones"]
    report = milestones[0]["techmapReport"]
    assert report["status"] == "accepted" and report["schemeVersion"] == 1
    by_metric = {v["metric"]: v for v in report["values"]}
    assert by_metric["overall_rating"]["rating"] == "good"
    assert by_metric["overall_rating"]["value"] == 4
    assert by_metric["milestones_on_time"]["comment"] == "All on time"
    assert "comment" not in by_metric["user_satisfaction"]


def test_the_reporting_package_pages_in_the_link_header(review, reported, client):
    first = client.get("/api/v1/contracts/ocds/", {"page_size": 1})
    assert "links" not in first.json()
    review(first.json()).assert_clean()
    assert set(_links(first)) == {"next"}
    second = client.get(_links(first)["next"])
    assert second.json()["releases"][0]["ocid"] != first.json()["releases"][0]["ocid"]
    assert set(_links(second)) == {"prev"}
    assert client.get(_links(second)["prev"]).json()["releases"] == first.json()["releases"]


def test_a_contract_from_an_imported_award_keeps_the_publishers_ids(review, reported, client):
    AwardRecord.objects.create(
        ocid=reported.ocid,
        award_id="CF-AWARD-1",
        release_id="CF-REL-1",
        notice_url="https://www.contractsfinder.service.gov.uk/Notice/abc",
        publisher="Contracts Finder",
        contract=reported,
    )
    package = client.get("/api/v1/contracts/ocds/").json()
    review(package).assert_clean()
    release = next(r for r in package["releases"] if r["ocid"] == reported.ocid)
    [award] = release["awards"]
    assert award["id"] == release["contracts"][0]["awardID"] == "CF-AWARD-1"
    assert award["documents"][0]["url"] == "https://www.contractsfinder.service.gov.uk/Notice/abc"


# --- The awards re-published from imported OCDS ---------------------------------------------------


def _release(ocid: str, release_id: str, award_id: str, **award) -> dict:
    return {
        "ocid": ocid,
        "id": release_id,
        "date": "2025-01-23T10:00:00Z",
        "tag": ["award"],
        "tender": {
            "title": "Cloud hosting",
            "classification": {"scheme": "CPV", "id": "72000000", "description": "IT services"},
            "additionalClassifications": [{"scheme": "CPV", "id": "48000000"}],
            "procurementMethod": "Other",
        },
        "parties": [
            {"id": "GB-CFS-18525", "name": "London Borough of Merton", "roles": ["buyer"]},
            {
                "id": "GB-COH-04142000",
                "name": "Acme Digital Ltd",
                "identifier": {"scheme": "GB-COH", "id": "04142000"},
                "roles": ["supplier"],
            },
        ],
        "buyer": {"id": "GB-CFS-18525", "name": "London Borough of Merton"},
        "awards": [
            {
                "id": award_id,
                "status": award.get("status", "active"),
                "date": "2024-12-22T00:00:00Z",
                "value": {"amount": award.get("amount", 1000), "currency": "GBP"},
                "suppliers": [{"id": "GB-COH-04142000", "name": "Acme Digital Ltd"}],
                "documents": [
                    {
                        "id": "1",
                        "documentType": "awardNotice",
                        "url": f"https://www.contractsfinder.service.gov.uk/Notice/{award_id}",
                    }
                ],
            }
        ],
    }


def _load(*releases: dict) -> None:
    import_releases([SourcedRelease(r, f"test {i}") for i, r in enumerate(releases)])


def _all_pages(client, url: str, review) -> list[dict]:
    packages = []
    while url:
        response = client.get(url)
        assert response.status_code == 200
        package = response.json()
        review(package).assert_clean()
        packages.append(package)
        url = _links(response).get("next")
    return packages


def test_republished_awards_keep_the_publishers_identifiers(review, client):
    ocid = "ocds-b5fd17-00000000-0000-0000-0000-00000000000a"
    _load(
        _release(ocid, "r1", "award-1"),
        # The same process: a second award in a later release, with a status outside the
        # closed codelist as published (left out, not published against the schema).
        _release(ocid, "r2", "award-2", status="Awarded", amount=0),
        _release("ocds-h6vhtk-0000aa", "fts-1", "fts-award"),
    )
    packages = _all_pages(client, "/api/v1/awards/ocds/?page_size=1", review)
    assert len(packages) == 2  # a page holds whole processes: both releases of ocid together
    releases = [r for p in packages for r in p["releases"]]
    assert [(r["ocid"], r["id"]) for r in releases] == [
        (ocid, "r1"),
        (ocid, "r2"),
        ("ocds-h6vhtk-0000aa", "fts-1"),
    ]
    first = releases[0]
    [award] = first["awards"]
    assert award["id"] == "award-1"
    assert award["suppliers"] == [{"id": "GB-COH-04142000", "name": "Acme Digital Ltd"}]
    assert award["documents"][0]["url"].endswith("/Notice/award-1")
    assert award["items"][0]["classification"]["id"] == "72000000"
    assert award["items"][0]["additionalClassifications"] == [{"scheme": "CPV", "id": "48000000"}]
    assert "status" not in releases[1]["awards"][0]
    assert "tender" not in first  # "Other" is not a procurement method of the codelist


def test_the_contracts_finder_sample_republishes_cleanly(review, client):
    if not CONTRACTS_FINDER.exists():
        pytest.skip(f"the Contracts Finder sample {CONTRACTS_FINDER} is not on this machine")
    source = json.loads(CONTRACTS_FINDER.read_text())
    _load(*source["releases"])
    records = {(a.ocid, a.award_id): a for a in AwardRecord.objects.all()}
    assert records
    packages = _all_pages(client, "/api/v1/awards/ocds/?page_size=100", review)
    published = {
        (r["ocid"], a["id"]): (r["id"], a)
        for p in packages
        for r in p["releases"]
        for a in r["awards"]
    }
    assert set(published) == set(records)
    source_ids = {(r["ocid"], r["id"]) for r in source["releases"]}
    for key, record in records.items():
        release_id, award = published[key]
        assert (key[0], release_id) in source_ids  # ocid and release id as published
        assert key[0].startswith(("ocds-b5fd17-", "ocds-h6vhtk-"))
        if record.notice_url:
            assert award["documents"][0]["url"] == record.notice_url
        if record.value_amount is not None and record.currency:
            assert Decimal(str(award["value"]["amount"])) == record.value_amount
