"""The search's spelling vocabulary kept current on every write path, and capability
synonyms edited in admin (through suppliers.services.reference_item_save)."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from suppliers import services
from suppliers.importer import import_suppliers_csv
from suppliers.models import Capability, CapabilityGroup, SearchWord, Supplier
from suppliers.selectors import SearchParams, SupplierSearch
from tests import factories
from tests.admin_forms import admin_errors, admin_form_data
from tests.suppliers.test_public_records_ocds import load, make_release
from tests.suppliers.test_selectors import make_supplier

pytestmark = pytest.mark.django_db


def known(word: str) -> bool:
    return SearchWord.objects.filter(word=word).exists()


def corrected(q: str) -> str | None:
    correction = SupplierSearch(SearchParams(q=q)).correction
    return correction.corrected if correction else None


# --- The vocabulary ----------------------------------------------------------------------


def test_a_new_supplier_s_words_and_its_capabilities_are_known(db):
    make_supplier(
        "Fenwick Quill",
        summary="Bespoke ledgers.",
        description="Reconciliation tooling.",
        capabilities=["penetration-testing"],
    )
    for word in ("fenwick", "quill", "bespoke", "reconciliation", "penetration", "pen", "cyber"):
        assert known(word), word
    assert SearchWord.objects.get(word="ledgers").lexeme == "ledger"
    assert corrected("Fenwik Quil") == "Fenwick Quill"


def test_words_of_drafts_are_not_known_until_published(db):
    draft = make_supplier("Hidden Larkspur", summary="Secret plans.", status="draft")
    assert not known("larkspur")
    services.supplier_update(actor=None, supplier=draft, status=Supplier.Status.PUBLISHED)
    assert known("larkspur")


def test_an_edited_description_and_a_new_case_study_add_their_words(db):
    supplier = make_supplier("Plain Co", summary="Plain.")
    services.supplier_update(actor=None, supplier=supplier, description="We fight ransomware.")
    assert corrected("ransomwear") == "ransomware"
    services.case_study_create(
        actor=None,
        supplier=supplier,
        title="Telemetry overhaul",
        client_type="public",
        summary="Dashboards.",
    )
    assert corrected("telemtry") == "telemetry"


def test_the_csv_import_adds_the_words_it_writes(db):
    csv = (
        "companies_house_number,name,website,summary,description,size,employees,year_founded,"
        "hq_region,regions,capabilities,certifications,frameworks\n"
        "12345678,Zephyrine Works,,Cloud work.,We wrangle hyperscalers.,small,,,London,London,"
        "Machine learning,,\n"
    )
    report = import_suppliers_csv(io.StringIO(csv))
    assert report.created == 1, report.rejected
    assert known("zephyrine") and known("hyperscalers") and known("predictive")
    # A changed row's new words too.
    csv = csv.replace("hyperscalers", "mainframes")
    import_suppliers_csv(io.StringIO(csv))
    assert known("mainframes")
    assert corrected("Zephyrene") == "Zephyrine"


def test_suppliers_from_public_records_add_their_words(db):
    party = {
        "id": "GB-UNKNOWN-1",
        "name": "Quillon Widgets Ltd",
        "address": {"streetAddress": "1 High St, Leeds, LS1 4AP"},
        "roles": ["supplier"],
    }
    load(make_release(suppliers=[party]))
    assert known("quillon")
    assert corrected("quillan widgets") == "quillon widgets"


def test_a_full_refresh_drops_words_no_longer_used(db):
    supplier = make_supplier("Gossamer Ltd", summary="Threads.")
    services.supplier_update(actor=None, supplier=supplier, summary="Ropes.")
    assert known("threads")  # a single change only adds words
    services.refresh_search_vectors()
    assert not known("threads") and known("ropes")


# --- Synonyms edited in admin --------------------------------------------------------------


def _change_url(capability: Capability) -> str:
    return reverse("admin:suppliers_capability_change", args=[capability.pk])


def _form(client, capability: Capability, synonyms: str) -> dict:
    return admin_form_data(client, _change_url(capability)) | {"synonyms": synonyms}


def test_a_moderator_edits_synonyms_in_admin_and_searches_follow(client, moderator):
    capability = Capability.objects.get(code="data-engineering")
    make_supplier("Plumbline Ltd", summary="Pipes.", capabilities=["data-engineering"])
    assert SupplierSearch(SearchParams(q="ETL")).count() == 0
    client.force_login(moderator)
    data = _form(client, capability, "ETL, data plumbing, etl")
    response = client.post(_change_url(capability), data)
    assert response.status_code == 302, admin_errors(response)
    capability.refresh_from_db()
    assert capability.synonyms == ["ETL", "data plumbing"]  # no blanks, no repeats
    assert capability.history.first().history_user == moderator
    page = SupplierSearch(SearchParams(q="ETL")).page()
    assert [r.supplier.name for r in page.results] == ["Plumbline Ltd"]
    assert page.results[0].capability_labels == ["Data engineering (also known as ‘ETL’)"]
    assert known("plumbing")
    # Removing a synonym takes it out of the search again.
    client.post(_change_url(capability), _form(client, capability, "data plumbing"))
    assert SupplierSearch(SearchParams(q="ETL")).count() == 0


def test_synonyms_are_stored_on_one_line_each(client, moderator):
    capability = Capability.objects.get(code="data-engineering")
    client.force_login(moderator)
    response = client.post(_change_url(capability), _form(client, capability, "one\ntwo,  three "))
    assert response.status_code == 302
    capability.refresh_from_db()
    assert capability.synonyms == ["one two", "three"]


@pytest.mark.parametrize("who", ["anonymous", "civil_servant", "owner"])
def test_only_moderators_edit_synonyms(client, who, request):
    capability = Capability.objects.get(code="data-engineering")
    if who != "anonymous":
        client.force_login(request.getfixturevalue(who))
    data = {"name": capability.name, "code": capability.code, "synonyms": "ETL"}
    response = client.post(_change_url(capability), data)
    assert response.status_code in (302, 403)
    capability.refresh_from_db()
    assert capability.synonyms == []
    capability.synonyms = ["ETL"]
    user = request.getfixturevalue(who) if who != "anonymous" else factories.UserFactory()
    with pytest.raises(PermissionDenied):
        services.reference_item_save(actor=user, item=capability)


def test_renaming_a_capability_group_refreshes_the_vectors_of_its_suppliers(moderator):
    make_supplier("Plain Guard", summary="Watching.", capabilities=["incident-response"])
    make_supplier("Plain Hosting", summary="Servers.", capabilities=["cloud-hosting"])
    group = CapabilityGroup.objects.get(code="cyber-security")
    group.name = "Infosec"
    services.reference_item_save(actor=moderator, item=group)
    page = SupplierSearch(SearchParams(q="infosec")).page()
    assert [r.supplier.name for r in page.results] == ["Plain Guard"]
    assert known("infosec")
