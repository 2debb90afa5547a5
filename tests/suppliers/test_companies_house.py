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
