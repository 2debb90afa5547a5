"""Contract reporting in a real browser: a supplier reports a quarter by form and another
by CSV upload, the buyer queries one and accepts the other, a comparison runs, and the
supplier's scorecard shows the result. axe finds no WCAG 2.2 AA violation on any page."""

from __future__ import annotations

import importlib
import re

import pytest
from django.apps import apps
from playwright.sync_api import expect

from reporting import services
from reporting.comparison import run_comparison
from reporting.models import ContractReport
from reporting.periods import period_code, period_label
from tests import factories
from tests.reporting.factories import GOOD_VALUES, ContractFactory, last_quarter

FORM_QUARTER, CSV_QUARTER = last_quarter(1), last_quarter(2)


@pytest.fixture
def cast(transactional_db):
    # A flush after another transactional test removes what migrations seeded.
    importlib.import_module("reporting.migrations.0002_techmap_standard_v1").seed(apps, None)
    buyer = factories.CivilServantFactory(full_name="Bea Buyer")
    owner = factories.MembershipFactory(role="owner").user
    supplier = owner.supplier_memberships.get().supplier
    group = factories.CapabilityGroupFactory(name="Cloud hosting services")
    contract = ContractFactory(
        title="Tax platform hosting", supplier=supplier, buyer=buyer.public_body, category=group
    )
    # Five more contracts in the category, accepted, so the quarter has enough data.
    for value in (60, 70, 80, 90, 95):
        other = ContractFactory(category=group, buyer=buyer.public_body)
        member = factories.MembershipFactory(supplier=other.supplier, role="owner").user
        report = services.report_submit(
            actor=member,
            contract=other,
            period=CSV_QUARTER,
            values={**GOOD_VALUES, "milestones_on_time": str(value)},
        )
        services.report_accept(actor=buyer, report=report)
    return {"buyer": buyer, "owner": owner, "supplier": supplier, "contract": contract}


def test_report_query_accept_compare_scorecard(page, assert_accessible, sign_in, cast, tmp_path):
    contract, supplier = cast["contract"], cast["supplier"]
    sign_in(page, cast["owner"])

    page.goto("/reporting/")
    assert_accessible(page)
    page.get_by_role("button", name="Report on your contracts").click()
    assert_accessible(page)
    page.get_by_role("link", name=contract.title).click()
    assert_accessible(page)
    page.get_by_role("button", name="Submit a report").click()
    assert_accessible(page)

    # First with a mistake: the error summary lists it and the page stays accessible.
    page.get_by_label(period_label(FORM_QUARTER)).check()
    page.get_by_label("Good", exact=True).check()
    page.get_by_label("Milestones delivered on time", exact=True).fill("140")
    page.get_by_label("Spend against budget", exact=True).fill("98")
    page.get_by_label("User satisfaction", exact=True).fill("4")
    page.get_by_label("Priority 1 incidents", exact=True).fill("1")
    page.get_by_role("button", name="Submit report").click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    assert "between 0 and 100" in page.locator(".govuk-error-summary").inner_text()
    assert_accessible(page)
    page.get_by_label("Milestones delivered on time", exact=True).fill("55")
    page.get_by_role("button", name="Submit report").click()
    page.wait_for_url(re.compile(r"/reporting/reports/\d+/$"))
    assert "submitted" in page.locator(".govuk-notification-banner").inner_text()
    assert_accessible(page)

    # The other quarter by CSV upload.
    page.goto("/reporting/upload/")
    assert_accessible(page)
    header = ["ocid", "period", *GOOD_VALUES]
    row = [contract.ocid, period_code(CSV_QUARTER), *GOOD_VALUES.values()]
    csv_file = tmp_path / "reports.csv"
    csv_file.write_text(",".join(header) + "\n" + ",".join(row) + "\n")
    page.get_by_label("Upload a CSV file").set_input_files(str(csv_file))
    page.get_by_role("button", name="Upload reports").click()
    assert "1 report submitted" in page.locator(".govuk-panel").inner_text()
    assert_accessible(page)

    form_report = ContractReport.objects.get(contract=contract, period=FORM_QUARTER)
    csv_report = ContractReport.objects.get(contract=contract, period=CSV_QUARTER)

    # The buyer queries the form report and accepts the CSV one.
    page.context.clear_cookies()
    sign_in(page, cast["buyer"])
    page.goto(f"/reporting/reports/{form_report.pk}/")
    assert_accessible(page)
    page.get_by_label("What is wrong with the report?").fill(
        "Milestones at 55% do not match the delivery plan."
    )
    page.get_by_role("button", name="Query the report").click()
    assert "queried" in page.locator(".govuk-notification-banner").inner_text()
    assert_accessible(page)
    page.goto(f"/reporting/reports/{csv_report.pk}/")
    page.get_by_role("button", name="Accept the report").click()
    assert "accepted" in page.locator(".govuk-notification-banner").inner_text()
    assert_accessible(page)

    # The nightly comparison runs; the scorecard shows the accepted quarter.
    run = run_comparison(full=True)
    assert run.status == "succeeded"
    page.goto(f"/reporting/suppliers/{supplier.slug}/")
    assert_accessible(page)
    table = page.get_by_role("table", name="Composite score by quarter").inner_text()
    assert period_label(CSV_QUARTER) in table
    assert period_label(FORM_QUARTER) not in table  # the queried report is left out
    assert "Not enough data" not in table
    assert "Each metric against its category median" in page.content()

    page.get_by_role("link", name="Milestones delivered on time").first.click()
    assert "(this contract)" in page.content()
    assert_accessible(page)
    page.goto(f"/reporting/contracts/{contract.pk}/")
    assert "do not match the delivery plan" in page.content()
    assert_accessible(page)


def test_benchmark_page_fits_a_phone_and_draws_in_the_gov_uk_font(page, assert_accessible, cast):
    assert run_comparison(full=True).status == "succeeded"
    page.set_viewport_size({"width": 375, "height": 812})
    code = cast["contract"].category.code
    for metric in ("milestones_on_time", "overall_rating"):
        page.goto(f"/reporting/benchmarks/{code}/{metric}/")
        # No sideways scrolling of the page: the wide table scrolls in its own region,
        # which a keyboard can reach.
        assert page.evaluate("document.documentElement.scrollWidth") <= 375, metric
        region = page.get_by_role("region", name=re.compile(r"by quarter$"))
        assert region.evaluate("r => r.scrollWidth > r.clientWidth")
        region.focus()
        assert region.evaluate("r => r === document.activeElement")
        font = page.evaluate(
            "getComputedStyle(document.querySelector('svg[role=img] text')).fontFamily"
        )
        assert "GDS Transport" in font and "Times" not in font, font
        assert_accessible(page)
    axis = page.locator('svg[role=img] text[text-anchor="end"]').all_text_contents()
    assert axis == ["Good", "Approaching target", "Requires improvement", "Inadequate"]
