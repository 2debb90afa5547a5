"""The one Companies House number rule (suppliers/companies_house.py)."""

import pytest
from django.core.exceptions import ValidationError

from suppliers.companies_house import normalise_company_number, parse_company_number


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("01234567", "01234567"),
        ("1234567", "01234567"),  # a spreadsheet dropped the leading zero
        (1234567, "01234567"),
        (" 0123 4567 ", "01234567"),
        ("sc123456", "SC123456"),
        ("SC 12345", "SC012345"),
        ("ni-000123", "NI000123"),
        ("OC301234", "OC301234"),
        ("so300001", "SO300001"),
        ("NC000123", "NC000123"),
        ("R0000123", "R0000123"),
        ("r123", "R0000123"),
        ("IP29361", "IP029361"),
        ("SP002345", "SP002345"),
        ("RC000001", "RC000001"),
        ("SL012345", "SL012345"),
    ],
)
def test_every_spelling_becomes_the_one_stored_form(raw, stored):
    assert parse_company_number(raw) == stored
    assert normalise_company_number(raw) == stored


@pytest.mark.parametrize(
    "raw",
    ["", None, "   ", "123456789", "SC1234567", "XX123456", "ABC12345", "00000000", "12-AB", "SC"],
)
def test_what_is_not_a_number_is_refused_with_a_message(raw):
    assert parse_company_number(raw) is None
    with pytest.raises(ValidationError) as refused:
        normalise_company_number(raw)
    assert refused.value.code == "invalid_companies_house_number"
    assert "SC123456" in refused.value.messages[0]


# --- Every caller uses the rule -------------------------------------------------------------
# Each of these spelled the rule its own way before; each must now store "sc 12345" as
# SC012345 and refuse "XX123456" (not a Companies House prefix) with the rule's message.


def test_the_registration_form_uses_the_rule():
    from suppliers.forms_registration import CompaniesHouseNumberForm, build_step_form

    form = CompaniesHouseNumberForm({"companies_house_number": "sc 12345"})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["companies_house_number"] == "SC012345"
    refused = CompaniesHouseNumberForm({"companies_house_number": "XX123456"})
    assert not refused.is_valid()
    assert "SC123456" in refused.errors["companies_house_number"][0]
    step = build_step_form("companies-house-number", {"companies_house_number": "r 123"})
    assert step.is_valid(), step.errors
    assert step.cleaned_data["companies_house_number"] == "R0000123"


@pytest.mark.django_db
def test_the_api_serializer_uses_the_rule():
    from suppliers.serializers import SupplierWriteSerializer

    data = {"name": "Lapwing", "size": "small"}
    ok = SupplierWriteSerializer(data={**data, "companies_house_number": "sc 12345"})
    assert ok.is_valid(), ok.errors
    assert ok.validated_data["companies_house_number"] == "SC012345"
    refused = SupplierWriteSerializer(data={**data, "companies_house_number": "XX123456"})
    assert not refused.is_valid()
    assert refused.errors["companies_house_number"][0].code == "invalid_companies_house_number"


@pytest.mark.django_db
def test_the_services_use_the_rule(owner, moderator):
    from core.errors import DomainError
    from suppliers import services

    registered = services.supplier_register(
        actor=owner, companies_house_number="ni 1", name="Lapwing"
    )
    assert registered.companies_house_number == "NI000001"
    created = services.supplier_create(actor=moderator, name="Curlew", companies_house_number="1")
    assert created.companies_house_number == "00000001"
    updated = services.supplier_update(
        actor=moderator, supplier=created, companies_house_number="oc-301234"
    )
    assert updated.companies_house_number == "OC301234"
    with pytest.raises(DomainError) as refused:
        services.supplier_register(actor=owner, companies_house_number="XX123456", name="X")
    assert "SC123456" in refused.value.message_dict["companies_house_number"][0]


@pytest.mark.django_db
def test_the_csv_import_uses_the_rule():
    from tests.suppliers.test_import import csv_text, row, run

    report = run(
        csv_text(
            row(companies_house_number="sc 12345"),
            row(name="Other", companies_house_number="XX123456"),
        )
    )
    assert report.created == 1
    from suppliers.models import Supplier

    assert Supplier.objects.filter(companies_house_number="SC012345").exists()
    assert "XX123456" in report.rejected[0].reason


@pytest.mark.django_db
def test_the_engagement_attendance_form_uses_the_rule():
    from engagement.forms import AttendanceForm
    from tests import factories

    supplier = factories.SupplierFactory(companies_house_number="SC012345")
    form = AttendanceForm({"companies_house_number": "sc 12345"})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["supplier"] == supplier


def test_the_ocds_reader_uses_the_rule():
    """The public-records importer (which import_contracts now goes through as well)."""
    from suppliers.public_records.matching import party_company_number as number

    assert number({"identifier": {"scheme": "GB-COH", "id": "sc 12345"}}) == "SC012345"
    assert number({"identifier": {"scheme": "GB-COH", "id": "1234567"}}) == "01234567"
    assert number({"identifier": {"scheme": "GB-COH", "id": "not a number"}}) is None
