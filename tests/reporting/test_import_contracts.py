"""import_contracts FILE.json: an OCDS release package, idempotent by ocid; bad releases
are reported and the rest load; never a traceback."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from reporting.models import Contract
from tests import factories


def release(ocid, supplier_number, *, buyer="Department for Test 0", group="cloud", **extra):
    body = {
        "ocid": ocid,
        "id": f"{ocid}-1",
        "date": "2025-01-10T00:00:00Z",
        "tag": ["contract"],
        "initiationType": "tender",
        "parties": [
            {"id": "B1", "name": buyer, "roles": ["buyer"]},
            {
                "id": "S1",
                "name": "Supplier",
                "identifier": {"scheme": "GB-COH", "id": supplier_number},
                "roles": ["supplier"],
            },
        ],
        "buyer": {"id": "B1", "name": buyer},
        "tender": {"title": "Tender title", "classification": {"id": group}},
        "awards": [{"id": "A1", "suppliers": [{"id": "S1"}]}],
        "contracts": [
            {
                "id": "C1",
                "awardID": "A1",
                "title": "Cloud hosting",
                "status": "active",
                "value": {"amount": 125000.5, "currency": "GBP"},
                "period": {"startDate": "2025-01-01T00:00:00Z", "endDate": "2027-12-31T00:00:00Z"},
            }
        ],
    }
    body.update(extra)
    return body


@pytest.fixture
def package_file(tmp_path, db):
    body = factories.PublicBodyFactory(name="Department for Test 0")
    supplier = factories.SupplierFactory(companies_house_number="01234567")
    group = factories.CapabilityGroupFactory(code="cloud-test", name="Cloud test")
    releases = [
        release("ocds-test01-imp-1", "1234567", group="cloud-test"),  # leading zero dropped
        release("ocds-test01-imp-2", "99999999", group="cloud-test"),  # unknown supplier
        release("ocds-test01-imp-3", "01234567", buyer="Nobody", group="cloud-test"),
        release("ocds-test01-imp-4", "01234567", group="nothing"),
        {"ocid": "ocds-test01-imp-5", "contracts": "oops", "parties": []},
        "not an object",
        release("bad id", "01234567", group="cloud-test"),
    ]
    path = tmp_path / "package.json"
    path.write_text(json.dumps({"uri": "x", "releases": releases}))
    return path, body, supplier, group


def test_import_creates_reports_and_is_idempotent(package_file):
    path, body, supplier, group = package_file
    out, err = StringIO(), StringIO()
    with pytest.raises(SystemExit) as exited:
        call_command("import_contracts", str(path), stdout=out, stderr=err)
    assert exited.value.code == 1  # some releases were bad
    assert "Created 1, updated 0, unchanged 0, bad 6." in out.getvalue()
    errors = err.getvalue()
    assert "99999999 is not in the registry" in errors
    assert "“Nobody” is not a public body" in errors
    assert "no classification names a capability group" in errors
    assert "Release 6 (no ocid)" in errors
    assert "bad id" in errors
    contract = Contract.objects.get()
    assert (contract.ocid, contract.buyer, contract.supplier, contract.category) == (
        "ocds-test01-imp-1",
        body,
        supplier,
        group,
    )
    assert str(contract.value) == "125000.50"
    assert contract.start_date.isoformat() == "2025-01-01"
    out = StringIO()
    with pytest.raises(SystemExit):
        call_command("import_contracts", str(path), stdout=out, stderr=StringIO())
    assert "Created 0, updated 0, unchanged 1" in out.getvalue()
    assert Contract.objects.count() == 1


def test_import_updates_a_changed_contract(package_file, tmp_path):
    path, *_ = package_file
    with pytest.raises(SystemExit):
        call_command("import_contracts", str(path), stdout=StringIO(), stderr=StringIO())
    changed = release("ocds-test01-imp-1", "01234567", group="cloud-test")
    changed["contracts"][0]["title"] = "Cloud hosting, extended"
    newer = tmp_path / "newer.json"
    newer.write_text(json.dumps({"releases": [changed]}))
    out = StringIO()
    call_command("import_contracts", str(newer), stdout=out)
    assert "updated 1" in out.getvalue()
    assert Contract.objects.get().title == "Cloud hosting, extended"


@pytest.mark.parametrize(
    ("content", "words"), [("{not json", "is not a JSON file"), (None, "No file at")]
)
def test_unreadable_files_are_explained(tmp_path, db, content, words):
    path = tmp_path / "file.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(CommandError, match=words):
        call_command("import_contracts", str(path))


def test_a_file_that_is_not_a_package(tmp_path, db):
    path = tmp_path / "file.json"
    path.write_text("[1, 2]")
    err = StringIO()
    with pytest.raises(SystemExit):
        call_command("import_contracts", str(path), stdout=StringIO(), stderr=err)
    assert "not an OCDS release package" in err.getvalue()


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"period": {"startDate": "2025-01-01", "endDate": "2024-01-01"}}, "The end date must"),
        ({"value": {"amount": -5, "currency": "GBP"}}, "The value cannot be negative."),
    ],
)
def test_new_and_updated_contracts_keep_the_contract_rules(package_file, tmp_path, change, words):
    """The import asks the one contract check (_check_contract) that the form, the API
    and admin ask, for a new contract and for an update."""
    path, *_ = package_file
    with pytest.raises(SystemExit):
        call_command("import_contracts", str(path), stdout=StringIO(), stderr=StringIO())
    updated = release("ocds-test01-imp-1", "01234567", group="cloud-test")
    updated["contracts"][0].update(change)
    new = release("ocds-test01-imp-9", "01234567", group="cloud-test")
    new["contracts"][0].update(change)
    newer = tmp_path / "newer.json"
    newer.write_text(json.dumps({"releases": [updated, new]}))
    out, err = StringIO(), StringIO()
    with pytest.raises(SystemExit):
        call_command("import_contracts", str(newer), stdout=out, stderr=err)
    assert "Created 0, updated 0, unchanged 0, bad 2." in out.getvalue()
    assert err.getvalue().count(words) == 2
    contract = Contract.objects.get()
    assert (contract.end_date.isoformat(), str(contract.value)) == ("2027-12-31", "125000.50")
