"""import_companies_house: BasicCompanyData as published (header quirks, dd/mm/yyyy dates,
SIC text), known companies only by default, --sic to add, and the flag to moderators."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date

import pytest
from django.core.management import CommandError, call_command

from suppliers.models import Supplier
from tests.factories import SupplierFactory

pytestmark = pytest.mark.django_db

# The real header's first columns, with its stray leading spaces.
HEADER = [
    "CompanyName", " CompanyNumber", "RegAddress.CareOf", "RegAddress.POBox",
    "RegAddress.AddressLine1", " RegAddress.AddressLine2", "RegAddress.PostTown",
    "RegAddress.County", "RegAddress.Country", "RegAddress.PostCode", "CompanyCategory",
    "CompanyStatus", "CountryOfOrigin", "DissolutionDate", "IncorporationDate",
    "SICCode.SicText_1", "SICCode.SicText_2", "SICCode.SicText_3", "SICCode.SicText_4", "URI",
]  # fmt: skip


def row(name, number, status="Active", postcode="LS1 4AP", sic1="", dissolved="", sic2=""):
    return [
        name, number, "", "", "1 High St", "", "Leeds", "", "United Kingdom", postcode,
        "Private Limited Company", status, "United Kingdom", dissolved, "05/03/2009",
        sic1, sic2, "", "", f"http://business.data.gov.uk/id/company/{number}",
    ]  # fmt: skip


def write_csv(path, rows):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    writer.writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


def test_known_companies_updated_registered_profile_untouched_others_ignored(tmp_path):
    registered = SupplierFactory(companies_house_number="04142000", name="Acme", hq_region=None)
    path = write_csv(
        tmp_path / "BasicCompanyData.csv",
        [
            row(
                "ACME LTD",
                "04142000",
                sic1="62020 - Information technology consultancy activities",
                sic2="None Supplied",
            ),
            row("STRANGER LTD", "07654321", sic1="62012 - Business and domestic software"),
        ],
    )
    call_command("import_companies_house", str(path))
    registered.refresh_from_db()
    assert registered.companies_house_status == "Active"
    assert registered.incorporated_on == date(2009, 3, 5)
    assert registered.sic_codes == ["62020"]
    assert (registered.name, registered.hq_region) == ("Acme", None)  # its own values kept
    assert registered.companies_house_flagged_on is None
    assert not Supplier.objects.filter(companies_house_number="07654321").exists()


def test_sic_adds_active_companies_in_those_divisions_from_a_zip(tmp_path):
    csv_path = write_csv(
        tmp_path / "BasicCompanyData-2025-01-01-part1_7.csv",
        [
            row("NORTHERN CODE LTD", "7654321", sic1="62012 - Business and domestic software"),
            row("GONE CODE LTD", "07654322", status="Dissolved", sic1="62012 - Software",
                dissolved="01/02/2024"),
            row("BAKERY LTD", "07654323", sic1="10710 - Manufacture of bread"),
            row("SCOTS DATA LTD", "SC123456", postcode="EH1 1AA", sic1="63110 - Data processing"),
        ],
    )  # fmt: skip
    zip_path = tmp_path / "BasicCompanyData.zip"
    with zipfile.ZipFile(zip_path, "w") as archive:
        archive.write(csv_path, csv_path.name)
    call_command("import_companies_house", str(zip_path), "--sic", "62,63")
    added = Supplier.objects.filter(from_public_records=True).order_by("name")
    assert [(s.name, s.companies_house_number, s.hq_region.code) for s in added] == [
        ("Northern Code Ltd", "07654321", "TLE"),
        ("Scots Data Ltd", "SC123456", "TLM"),
    ]
    assert added[0].sic_codes == ["62012"] and added[0].search_vector is not None
    before = list(Supplier.objects.values_list("pk", "companies_house_checked_at"))
    call_command("import_companies_house", str(zip_path), "--sic", "62,63")
    assert list(Supplier.objects.values_list("pk", "companies_house_checked_at")) == before


@pytest.mark.parametrize(
    ("status", "dissolved", "flag"),
    [
        ("Dissolved", "14/02/2024", date(2024, 2, 14)),
        ("Liquidation", "", "today"),
        ("Active - Proposal to Strike off", "", "today"),
        ("Active", "", None),
    ],
)
def test_registered_supplier_in_trouble_flagged_with_the_date(tmp_path, status, dissolved, flag):
    from django.utils import timezone

    supplier = SupplierFactory(companies_house_number="SC012345")
    path = write_csv(tmp_path / "c.csv", [row("X", "SC012345", status=status, dissolved=dissolved)])
    call_command("import_companies_house", str(path))
    supplier.refresh_from_db()
    expected = timezone.localdate() if flag == "today" else flag
    assert supplier.companies_house_flagged_on == expected
    assert supplier.companies_house_status == status


def test_flag_clears_when_the_company_is_active_again(tmp_path):
    supplier = SupplierFactory(companies_house_number="01234567")
    call_command("import_companies_house", str(write_csv(
        tmp_path / "a.csv", [row("X", "01234567", status="Liquidation")])))  # fmt: skip
    call_command("import_companies_house", str(write_csv(
        tmp_path / "b.csv", [row("X", "01234567", status="Active")])))  # fmt: skip
    supplier.refresh_from_db()
    assert supplier.companies_house_flagged_on is None


def test_not_a_basic_company_data_file_refused(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("name,number\nA,1\n")
    with pytest.raises(CommandError, match="not a BasicCompanyData file"):
        call_command("import_companies_house", str(path))
    with pytest.raises(CommandError, match="2-digit SIC divisions"):
        call_command("import_companies_house", str(path), "--sic", "620x")
