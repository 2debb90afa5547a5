"""import_contracts PATH…: public contract data through the public-records importer, each
process's awards made into one reporting contract; idempotent by ocid; a process that is
not a Techmap contract is passed over with its reason; never a traceback."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from reporting.models import Contract
from suppliers.models import AwardRecord, Supplier
from tests import factories
from tests.reporting.factories import ContractFactory

pytestmark = pytest.mark.django_db

FIXTURE = Path(__file__).resolve().parents[3] / "shared/data/contracts-finder-2025/package.json"


def release(ocid, supplier_number, *, buyer="Department for Test 0", cpv="72262000", **extra):
    """A Contracts Finder-shaped award release (CPV 72262000: software development)."""
    body = {
        "ocid": ocid,
        "id": f"{ocid}-award",
        "date": "2025-01-10T00:00:00Z",
        "tag": ["award"],
        "parties": [
            {"id": "B1", "name": buyer, "roles": ["buyer"]},
            {
                "id": "S1",
                "name": "Supplier Ltd",
                "identifier": {"scheme": "GB-COH", "id": supplier_number},
                "roles": ["supplier"],
            },
        ],
        "buyer": {"id": "B1", "name": buyer},
        "tender": {"title": "Tender title", "classification": {"scheme": "CPV", "id": cpv}},
        "awards": [
            {
                "id": f"{ocid}-1",
                "title": "Case management system",
                "status": "active",
                "date": "2025-01-05T00:00:00Z",
                "value": {"amount": 125000.5, "currency": "GBP"},
                "suppliers": [{"id": "S1"}],
                "contractPeriod": {
                    "startDate": "2025-01-01T00:00:00Z",
                    "endDate": "2099-12-31T00:00:00Z",
                },
            }
        ],
    }
    body.update(extra)
    return body


def run(path, *paths) -> tuple[int, str, str]:
    out, err = StringIO(), StringIO()
    try:
        call_command("import_contracts", str(path), *map(str, paths), stdout=out, stderr=err)
    except SystemExit as exited:
        return exited.code, out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def write(tmp_path, *releases, name="package.json"):
    path = tmp_path / name
    path.write_text(json.dumps({"uri": "x", "releases": list(releases)}))
    return path


@pytest.fixture
def registered():
    body = factories.PublicBodyFactory(name="Department for Test 0")
    supplier = factories.SupplierFactory(companies_house_number="01234567")
    return body, supplier


def test_awards_become_contracts_and_a_second_run_changes_nothing(tmp_path, registered):
    body, supplier = registered
    path = write(
        tmp_path,
        release("ocds-test01-imp-1", "1234567"),  # leading zero dropped: still the same company
        release("ocds-test01-imp-2", "99999999", buyer="Nobody Council"),  # neither known
        release("ocds-test01-imp-3", "01234567", cpv="45000000"),  # construction
        "not an object",
    )
    code, out, _ = run(path)
    assert code == 1  # the string was refused
    assert "Contracts: created 2, updated 0, unchanged 0, passed over 1, refused 0." in out
    assert "No contract for ocds-test01-imp-3: CPV code 45000000 maps to no capability" in out
    assert "Refused: test" not in out and "not a release" in out
    contract = Contract.objects.get(ocid="ocds-test01-imp-1")
    assert (contract.buyer, contract.supplier, contract.category.code) == (
        body,
        supplier,
        "software-development",
    )
    assert (contract.title, str(contract.value), contract.status) == (
        "Case management system",
        "125000.50",
        "active",
    )
    assert (contract.start_date.isoformat(), contract.end_date.isoformat()) == (
        "2025-01-01",
        "2099-12-31",
    )
    assert AwardRecord.objects.get(ocid="ocds-test01-imp-1").contract == contract
    # The unknown buyer and supplier came from the public record, and so did their contract.
    unknown = Contract.objects.get(ocid="ocds-test01-imp-2")
    assert unknown.supplier.from_public_records and unknown.buyer.name == "Nobody Council"
    code, out, _ = run(path)
    assert "Contracts: created 0, updated 0, unchanged 2, passed over 1, refused 0." in out
    assert Contract.objects.count() == 2 and Supplier.objects.count() == 2


def test_a_later_release_updates_the_contract(tmp_path, registered):
    run(write(tmp_path, release("ocds-test01-imp-1", "01234567")))
    later = release("ocds-test01-imp-1", "01234567", id="amended", date="2025-03-01T00:00:00Z")
    later["awards"][0]["title"] = "Case management system, extended"
    later["awards"][0]["contractPeriod"]["endDate"] = "2025-02-01T00:00:00Z"  # now ended
    code, out, _ = run(write(tmp_path, later, name="later.json"))
    assert code == 0, out
    assert "Contracts: created 0, updated 1," in out
    contract = Contract.objects.get()
    assert contract.title == "Case management system, extended"
    assert contract.status == "terminated"  # the OCDS word for a contract no longer in force


def test_a_contract_recorded_by_hand_is_linked_not_duplicated(tmp_path, registered):
    body, supplier = registered
    by_hand = ContractFactory(ocid="ocds-test01-imp-1", buyer=body, supplier=supplier)
    run(write(tmp_path, release("ocds-test01-imp-1", "01234567")))
    assert Contract.objects.get() == by_hand
    assert AwardRecord.objects.get().contract == by_hand


def test_awards_to_several_suppliers_are_passed_over(tmp_path, registered):
    two = release("ocds-test01-imp-4", "01234567")
    two["parties"].append(
        {
            "id": "S2",
            "name": "Other Ltd",
            "identifier": {"scheme": "GB-COH", "id": "07654321"},
            "roles": ["supplier"],
        }
    )
    two["awards"][0]["suppliers"].append({"id": "S2"})
    code, out, _ = run(write(tmp_path, two))
    assert code == 0
    assert "its awards name 2 suppliers and a Techmap contract has one" in out
    assert not Contract.objects.exists() and AwardRecord.objects.count() == 1


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"contractPeriod": {"startDate": "2025-01-01", "endDate": "2024-01-01"}}, "end date"),
        ({"value": {"amount": 125000, "currency": "EUR"}}, "value is in EUR"),
        ({"value": {"amount": 1e15, "currency": "GBP"}}, "digits"),
    ],
)
def test_a_contract_that_breaks_the_contract_rules_is_refused_alone(
    tmp_path, registered, change, words
):
    """The import asks the one contract check (_check_contract) that the form, the API
    and admin ask; the award itself stays loaded."""
    bad = release("ocds-test01-imp-8", "01234567")
    bad["awards"][0].update(change)
    code, out, _ = run(write(tmp_path, bad, release("ocds-test01-imp-9", "01234567")))
    assert code == 1
    assert "refused 1." in out and "Contract refused for ocds-test01-imp-8:" in out
    assert words in out.split("Contract refused for ocds-test01-imp-8:")[1].splitlines()[0]
    assert list(Contract.objects.values_list("ocid", flat=True)) == ["ocds-test01-imp-9"]
    assert AwardRecord.objects.count() == 2


@pytest.mark.parametrize(
    ("content", "words"), [("{not json", "not JSON"), (None, "No such file or folder")]
)
def test_unreadable_files_are_explained(tmp_path, content, words):
    path = tmp_path / "file.json"
    if content is not None:
        path.write_text(content)
        code, out, _ = run(path)
        assert code == 1 and words in out
    else:
        with pytest.raises(CommandError, match=words):
            call_command("import_contracts", str(path))


@pytest.mark.skipif(not FIXTURE.exists(), reason="the shared Contracts Finder fixture")
def test_the_real_contracts_finder_fixture(tmp_path):
    code, out, _ = run(FIXTURE)
    assert code == 1  # release 164 names a supplier with no name and no number
    assert "Contracts: created 37, updated 0, unchanged 0, passed over 103, refused 0." in out
    assert "Traceback" not in out
    code, out, _ = run(FIXTURE)
    assert "Contracts: created 0, updated 0, unchanged 37, passed over 103, refused 0." in out


# --- Recording a contract from its award notice (the web form) ---------------------------------


def test_a_civil_servant_starts_a_contract_from_their_bodys_award(tmp_path, registered, client):
    body, supplier = registered
    code, _, _ = run(
        write(tmp_path, release("ocds-test01-web-1", "01234567", cpv="45000000"))  # no category
    )
    award = AwardRecord.objects.get()
    buyer = factories.CivilServantFactory(public_body=body)
    client.force_login(buyer)
    page = client.get(reverse("reporting:contract_new")).content.decode()
    assert f"?award={award.pk}" in page  # offered: not recorded yet
    page = client.get(reverse("reporting:contract_new"), {"award": award.pk}).content.decode()
    assert "Filled in from the award notice" in page
    assert 'value="ocds-test01-web-1"' in page and 'value="Case management system"' in page
    assert f'<option value="{supplier.pk}" selected>' in page
    group = factories.CapabilityGroupFactory()
    response = client.post(
        reverse("reporting:contract_new"),
        {
            "ocid": "ocds-test01-web-1",
            "title": "Case management system",
            "supplier": supplier.pk,
            "category": group.pk,
            "status": "active",
        },
    )
    assert response.status_code == 302
    contract = Contract.objects.get()
    assert AwardRecord.objects.get().contract == contract  # the notice now points at it
    page = client.get(reverse("reporting:contract_new")).content.decode()
    assert f"?award={award.pk}" not in page


@pytest.mark.parametrize("who", ["other_body", "owner", "moderator"])
def test_only_the_buyer_or_a_moderator_starts_from_an_award(
    tmp_path, registered, client, request, who
):
    run(write(tmp_path, release("ocds-test01-web-2", "01234567")))
    award = AwardRecord.objects.get()
    users = {
        "other_body": lambda: factories.CivilServantFactory(),
        "owner": lambda: request.getfixturevalue("owner"),
        "moderator": lambda: factories.ModeratorFactory(),
    }
    client.force_login(users[who]())
    response = client.get(reverse("reporting:contract_new"), {"award": award.pk})
    filled = "Filled in from the award notice" in response.content.decode()
    assert filled == (who == "moderator")
