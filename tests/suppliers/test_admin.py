"""Django admin for suppliers and the taxonomy, used by moderators."""

from __future__ import annotations

import pytest
from django.urls import reverse

from suppliers import services
from suppliers.models import (
    Capability,
    CapabilityGroup,
    CaseStudy,
    Certification,
    Framework,
    Region,
    Shortlist,
    ShortlistEntry,
    Supplier,
    SupplierMembership,
)
from tests import factories

pytestmark = pytest.mark.django_db

MODELS = [
    Supplier,
    CaseStudy,
    SupplierMembership,
    Region,
    CapabilityGroup,
    Capability,
    Certification,
    Framework,
]


def _url(model, view: str, *args) -> str:
    return reverse(f"admin:suppliers_{model._meta.model_name}_{view}", args=args)


@pytest.fixture
def mod_client(client, moderator):
    client.force_login(moderator)
    return client


def _supplier(**fields) -> Supplier:
    data = {
        "name": "Kestrel Ledger Systems",
        "companies_house_number": "09876543",
        "size": "small",
        "status": "published",
    }
    data.update(fields)
    return services.supplier_create(actor=None, **data)


def _post_data(supplier: Supplier | None = None, **overrides) -> dict:
    data = {
        "name": "Kestrel Ledger Systems",
        "companies_house_number": "09876543",
        "status": "published",
        "website": "",
        "summary": "Ledgers for councils",
        "description": "",
        "size": "small",
        "employees": "",
        "year_founded": "",
        "hq_region": "",
        "regions": [],
        "capabilities": [],
        "certifications": [],
        "frameworks": [],
        "contact_name": "",
        "contact_email": "",
        "contact_phone": "",
        "case_studies-TOTAL_FORMS": "0",
        "case_studies-INITIAL_FORMS": "0",
        "memberships-TOTAL_FORMS": "0",
        "memberships-INITIAL_FORMS": "0",
    }
    if supplier is not None:
        for name in ("name", "companies_house_number", "status", "summary", "size"):
            data[name] = getattr(supplier, name)
    data.update(overrides)
    return data


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_every_model_has_a_changelist_for_moderators(mod_client, model):
    assert mod_client.get(_url(model, "changelist")).status_code == 200


def test_supplier_changelist_runs_a_fixed_number_of_queries(
    mod_client, django_assert_max_num_queries
):
    london = Region.objects.get(code="TLI")
    for i in range(3):  # from SC000001: an all-zero number is not a company's
        _supplier(companies_house_number=f"SC00000{i + 1}", name=f"Few {i}", hq_region=london)
    # 8: the moderator's permissions (the Moderators group's) are one of them.
    with django_assert_max_num_queries(8) as few:
        assert mod_client.get(_url(Supplier, "changelist")).status_code == 200
    for i in range(3, 30):
        _supplier(companies_house_number=f"SC0000{i + 1:02d}", name=f"Many {i}", hq_region=london)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = mod_client.get(_url(Supplier, "changelist"))
    assert "Many 29" in response.content.decode()


def test_change_form_and_history_render(mod_client):
    supplier = _supplier()
    factories.CaseStudyFactory(supplier=supplier)
    assert mod_client.get(_url(Supplier, "change", supplier.pk)).status_code == 200
    services.supplier_update(actor=None, supplier=supplier, summary="Changed")
    response = mod_client.get(_url(Supplier, "history", supplier.pk))
    assert response.status_code == 200
    assert "Changed" in response.content.decode()
    assert mod_client.get(_url(Supplier, "add")).status_code == 200


@pytest.mark.parametrize(
    "model", [CapabilityGroup, Capability, Certification, Framework], ids=lambda m: m.__name__
)
def test_taxonomy_change_and_history_pages(mod_client, model):
    item = model.objects.first()
    assert mod_client.get(_url(model, "change", item.pk)).status_code == 200
    assert mod_client.get(_url(model, "history", item.pk)).status_code == 200


@pytest.mark.parametrize("who", ["owner", "member", "civil_servant"])
def test_admin_is_closed_to_everyone_else(client, request, who):
    client.force_login(request.getfixturevalue(who))
    response = client.get(_url(Supplier, "changelist"))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_staff_is_moderator_but_deleting_is_for_superusers(mod_client, moderator):
    supplier = _supplier()
    assert mod_client.get(_url(Supplier, "delete", supplier.pk)).status_code == 403


def test_adding_a_supplier_goes_through_the_service(mod_client, moderator):
    cloud = Capability.objects.get(name="Cloud migration")
    response = mod_client.post(
        _url(Supplier, "add"), _post_data(capabilities=[cloud.pk], regions=[1, 2])
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    supplier = Supplier.objects.get()
    assert supplier.slug == "kestrel-ledger-systems"
    assert "'migrat':" in str(supplier.search_vector)
    record = supplier.history.get()
    assert (record.history_type, record.history_user) == ("+", moderator)
    assert record.capabilities.count() == 1 and record.regions.count() == 2


def test_changing_a_supplier_keeps_the_slug_and_records_why(mod_client, moderator):
    supplier = _supplier()
    data = _post_data(supplier, name="Kestrel Ledger Group", summary="New summary")
    data.update(
        {
            "case_studies-TOTAL_FORMS": "1",
            "case_studies-0-title": "Payroll for Leeds",
            "case_studies-0-client_type": "public",
            "case_studies-0-client_name": "Leeds City Council",
            "case_studies-0-summary": "Payroll",
            "case_studies-0-outcome": "",
            "case_studies-0-year": "2024",
        }
    )
    response = mod_client.post(_url(Supplier, "change", supplier.pk), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    supplier.refresh_from_db()
    assert supplier.name == "Kestrel Ledger Group"
    assert supplier.slug == "kestrel-ledger-systems"
    latest = supplier.history.first()
    assert latest.history_user == moderator
    assert latest.history_change_reason == "Changed in admin: name, summary"
    study = supplier.case_studies.get()
    assert study.history.get().history_user == moderator
    assert "'payrol':" in str(supplier.search_vector)
    assert "'group':" in str(supplier.search_vector)


def test_removing_the_last_owner_in_admin_is_refused(mod_client, supplier, owner):
    membership = SupplierMembership.objects.get(user=owner)
    data = _post_data(supplier)
    data.update(
        {
            "memberships-TOTAL_FORMS": "1",
            "memberships-INITIAL_FORMS": "1",
            "memberships-0-id": str(membership.pk),
            "memberships-0-supplier": str(supplier.pk),
            "memberships-0-user": str(owner.pk),
            "memberships-0-role": "owner",
            "memberships-0-DELETE": "on",
        }
    )
    response = mod_client.post(_url(Supplier, "change", supplier.pk), data, follow=True)
    assert "A supplier must keep at least one owner." in response.content.decode()
    assert SupplierMembership.objects.filter(pk=membership.pk).exists()


def test_renaming_a_capability_in_admin_refreshes_search(mod_client):
    capability = Capability.objects.get(name="Blockchain")
    supplier = _supplier(capabilities=[capability])
    response = mod_client.post(
        _url(Capability, "change", capability.pk),
        {
            "group": capability.group_id,
            "code": capability.code,
            "name": "Distributed ledgers",
            "description": "",
            "position": capability.position,
        },
    )
    assert response.status_code == 302
    supplier.refresh_from_db()
    assert "'distribut':" in str(supplier.search_vector)
    assert capability.history.first().history_change_reason == "Changed in admin: name"


def test_deleting_a_capability_is_for_superusers_and_refreshes_search(client, mod_client):
    capability = Capability.objects.get(name="Blockchain")
    supplier = _supplier(capabilities=[capability])
    delete_url = _url(Capability, "delete", capability.pk)
    assert mod_client.post(delete_url, {"post": "yes"}).status_code == 403
    superuser = factories.ModeratorFactory(is_superuser=True)
    client.force_login(superuser)
    assert client.post(delete_url, {"post": "yes"}).status_code == 302
    assert not Capability.objects.filter(pk=capability.pk).exists()
    supplier.refresh_from_db()
    assert "'blockchain':" not in str(supplier.search_vector)
    deleted = Capability.history.filter(id=capability.pk, history_type="-").get()
    assert deleted.history_user == superuser


def test_regions_are_read_only(mod_client):
    region = Region.objects.first()
    response = mod_client.post(
        _url(Region, "change", region.pk), {"name": "Elsewhere", "code": "TLX"}
    )
    assert response.status_code == 403


def test_shortlists_and_their_notes_are_not_in_admin(client, moderator, civil_servant):
    """Private to their owner: no admin page shows them, to moderators or to operators."""
    shortlist = Shortlist.objects.create(owner=civil_servant, name="Cloud partners")
    ShortlistEntry.objects.create(shortlist=shortlist, supplier=_supplier(), note="Too dear?")
    for user in (moderator, factories.ModeratorFactory(is_superuser=True)):
        client.force_login(user)
        for url in (
            f"/admin/suppliers/shortlist/{shortlist.pk}/change/",
            "/admin/suppliers/shortlistentry/",
        ):
            assert client.get(url).status_code == 404, url
        html = client.get(reverse("admin:index")).content.decode()
        assert "Shortlist" not in html and "Too dear?" not in html
    # The privacy notice says the same.
    assert (
        "shortlists and the notes on them are private" in client.get("/privacy/").content.decode()
    )
