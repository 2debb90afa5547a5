"""Every suppliers admin save, inline and action calls the suppliers services.

Each test posts the admin page as a moderator would (the form as the page shows it, with a
few values changed) and expects the service's refusal, with nothing saved. The admin
form leaves the model's rules to the service (``suppliers.admin.ServiceRulesForm``), so
these refusals can only come from the service the save calls.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from suppliers import companies_house
from suppliers.models import (
    Capability,
    CaseStudy,
    ModerationDecision,
    Supplier,
    SupplierMembership,
)
from tests import factories
from tests.admin_forms import admin_errors, admin_form_data, inline_prefix

pytestmark = pytest.mark.django_db


def _url(model, view: str, *args) -> str:
    return reverse(f"admin:suppliers_{model._meta.model_name}_{view}", args=args)


@pytest.fixture
def mod_client(client, moderator):
    client.force_login(moderator)
    return client


def _unchanged(supplier: Supplier) -> tuple:
    """What a refused save must leave as it was: the row and its history."""
    supplier.refresh_from_db()
    return (supplier.name, supplier.size, supplier.employees, supplier.companies_house_number), (
        supplier.history.count()
    )


# --- Changing a supplier: supplier_profile_update ---------------------------------------


def test_an_edit_whose_size_disagrees_with_employees_is_refused(mod_client, supplier):
    before = _unchanged(supplier)
    url = _url(Supplier, "change", supplier.pk)
    data = admin_form_data(mod_client, url)
    data |= {"name": "Renamed Ltd", "size": "small", "employees": "400"}

    got = mod_client.post(url, data)

    assert any("400 employees is not a small organisation" in e for e in admin_errors(got))
    assert _unchanged(supplier) == before


def test_an_edit_to_a_companies_house_number_in_use_is_refused(mod_client, supplier):
    other = factories.SupplierFactory()
    before = _unchanged(supplier)
    url = _url(Supplier, "change", supplier.pk)
    data = admin_form_data(mod_client, url)
    data |= {"name": "Renamed Ltd", "companies_house_number": other.companies_house_number}

    got = mod_client.post(url, data)

    assert any("already exists" in e for e in admin_errors(got))
    assert _unchanged(supplier) == before


def test_the_number_is_read_by_the_one_rule(mod_client, supplier):
    url = _url(Supplier, "change", supplier.pk)
    data = admin_form_data(mod_client, url)
    before = _unchanged(supplier)

    refused = mod_client.post(url, data | {"companies_house_number": "00000000"})
    assert companies_house.INVALID_MESSAGE in admin_errors(refused)
    assert _unchanged(supplier) == before

    saved = mod_client.post(url, data | {"companies_house_number": "sc 12345"})
    assert saved.status_code == 302, admin_errors(saved)
    supplier.refresh_from_db()
    assert supplier.companies_house_number == "SC012345"
    assert supplier.history.first().history_change_reason == (
        "Changed in admin: companies_house_number"
    )


def test_an_edit_that_changes_nothing_writes_nothing(mod_client, supplier):
    url = _url(Supplier, "change", supplier.pk)
    before = _unchanged(supplier)

    got = mod_client.post(url, admin_form_data(mod_client, url))

    assert got.status_code == 302, admin_errors(got)
    assert _unchanged(supplier) == before


SERVICE_ONLY = [
    "status",
    "slug",
    "published_at",
    "created_by",
    "submitted_at",
    "status_reason",
    "suspended_at",
    "from_public_records",
    "claimed_at",
    "companies_house_status",
    "incorporated_on",
    "dissolved_on",
    "sic_codes",
    "companies_house_checked_at",
    "companies_house_flagged_on",
    "search_vector",
    "region_ids",
    "capability_ids",
]


def test_fields_only_a_service_writes_are_read_only(mod_client, supplier):
    url = _url(Supplier, "change", supplier.pk)
    page = mod_client.get(url)
    assert not set(SERVICE_ONLY) & set(page.context["adminform"].form.fields)
    slug, published_at = supplier.slug, supplier.published_at
    data = admin_form_data(mod_client, url)
    data |= {
        "summary": "A new summary",
        "status": "suspended",
        "slug": "somewhere-else",
        "published_at": "2001-01-01T00:00:00",
        "from_public_records": "on",
        "status_reason": "Made up",
        "companies_house_status": "dissolved",
        "search_vector": "'hijack':1A",
    }

    got = mod_client.post(url, data)

    assert got.status_code == 302, admin_errors(got)
    supplier.refresh_from_db()
    assert supplier.summary == "A new summary"
    assert (supplier.status, supplier.slug, supplier.published_at) == (
        "published",
        slug,
        published_at,
    )
    assert not supplier.from_public_records
    assert (supplier.status_reason, supplier.companies_house_status) == ("", "")
    assert "hijack" not in str(supplier.search_vector)


# --- Adding a supplier: supplier_create -------------------------------------------------


@pytest.mark.parametrize(
    ("values", "refusal"),
    [
        ({"size": "micro", "employees": "400"}, "400 employees is not a micro organisation"),
        ({"companies_house_number": "IN_USE"}, "already exists"),
        ({"companies_house_number": "XX123456"}, companies_house.INVALID_MESSAGE),
        ({"year_founded": "1700"}, "greater than or equal to 1800"),
    ],
    ids=["size", "number-in-use", "number-invalid", "year"],
)
def test_adding_a_supplier_is_refused_by_the_service(mod_client, supplier, values, refusal):
    url = _url(Supplier, "add")
    data = admin_form_data(mod_client, url)
    for name in ("regions", "capabilities", "certifications", "frameworks"):
        data[name] = []  # an empty add page reads its sets as None, which posts as ""
    data |= {"name": "Kestrel Ledger Systems", "companies_house_number": "09876543"}
    data |= {"status": "published", "size": "small", "employees": "20"}
    data |= values
    if data["companies_house_number"] == "IN_USE":
        data["companies_house_number"] = supplier.companies_house_number

    got = mod_client.post(url, data)

    assert any(refusal in e for e in admin_errors(got)), admin_errors(got)
    assert list(Supplier.objects.all()) == [supplier]


# --- Inlines and the case-study and membership pages ------------------------------------


def test_a_case_study_added_inline_is_refused_by_the_service(mod_client, supplier):
    before = _unchanged(supplier)
    url = _url(Supplier, "change", supplier.pk)
    prefix = inline_prefix(mod_client, url, "casestudy")
    data = admin_form_data(mod_client, url)
    data |= {
        "name": "Renamed Ltd",
        f"{prefix}-TOTAL_FORMS": "1",
        f"{prefix}-0-title": "Payroll for Leeds",
        f"{prefix}-0-client_type": "public",
        f"{prefix}-0-summary": "Payroll",
        f"{prefix}-0-year": "1500",
    }

    got = mod_client.post(url, data)

    refusal = "Ensure this value is greater than or equal to 1900."
    assert f"Case study “Payroll for Leeds” (year): {refusal}" in admin_errors(got)
    assert not CaseStudy.objects.exists()
    assert _unchanged(supplier) == before  # the supplier's own change went with it


def test_a_case_study_page_edit_is_refused_by_the_service(mod_client, supplier):
    case_study = factories.CaseStudyFactory(supplier=supplier, title="Payroll", year=2020)
    url = _url(CaseStudy, "change", case_study.pk)
    data = admin_form_data(mod_client, url) | {"title": "Renamed", "year": "2500"}

    got = mod_client.post(url, data)

    assert "Ensure this value is less than or equal to 2100." in admin_errors(got)
    case_study.refresh_from_db()
    assert (case_study.title, case_study.year) == ("Payroll", 2020)
    assert case_study.history.count() == 1


def test_the_membership_page_cannot_demote_the_last_owner(mod_client, supplier, owner):
    membership = SupplierMembership.objects.get(user=owner)
    url = _url(SupplierMembership, "change", membership.pk)
    data = admin_form_data(mod_client, url) | {"role": "member"}

    got = mod_client.post(url, data)

    assert "A supplier must keep at least one owner." in admin_errors(got)
    membership.refresh_from_db()
    assert membership.role == "owner"


def test_a_membership_inline_cannot_demote_the_last_owner(mod_client, supplier, owner):
    url = _url(Supplier, "change", supplier.pk)
    prefix = inline_prefix(mod_client, url, "suppliermembership")
    data = admin_form_data(mod_client, url) | {f"{prefix}-0-role": "member"}

    got = mod_client.post(url, data)

    assert any("A supplier must keep at least one owner." in e for e in admin_errors(got))
    assert SupplierMembership.objects.get(user=owner).role == "owner"


# --- Moderation actions: the moderation services ---------------------------------------


@pytest.mark.parametrize(
    ("action", "status", "refusal"),
    [
        ("suspend_selected", "draft", "Only a published supplier can be suspended."),
        ("reinstate_selected", "published", "Only a suspended supplier can be reinstated."),
    ],
)
def test_a_status_change_the_service_refuses_changes_nothing(mod_client, action, status, refusal):
    supplier = factories.SupplierFactory(status=status)
    got = mod_client.post(
        _url(Supplier, "changelist"),
        {"action": action, "_selected_action": [supplier.pk], "reason": "Because"},
        follow=True,
    )

    assert f"{supplier.name}: {refusal}" in [str(m) for m in got.context["messages"]]
    supplier.refresh_from_db()
    assert supplier.status == status
    assert not ModerationDecision.objects.exists()


def test_approving_when_nothing_waits_for_review_is_refused(mod_client, supplier):
    url = reverse("admin:suppliers_supplierforreview_review", kwargs={"pk": supplier.pk})

    got = mod_client.post(url, {"decision": "approve"}, follow=True)

    messages = [str(m) for m in got.context["messages"]]
    assert f"Nothing from {supplier.name} is waiting for review." in messages
    assert not ModerationDecision.objects.exists()


# --- The taxonomy: reference_item_save -----------------------------------------------------


def test_a_capability_code_in_use_is_refused_by_the_service(mod_client):
    existing = Capability.objects.get(name="Blockchain")
    url = _url(Capability, "add")
    data = admin_form_data(mod_client, url)
    data |= {"group": existing.group_id, "code": existing.code, "name": "Ledgers", "position": 1}

    got = mod_client.post(url, data)

    assert any("already exists" in e for e in admin_errors(got)), admin_errors(got)
    assert not Capability.objects.filter(name="Ledgers").exists()
