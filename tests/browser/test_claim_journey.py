"""A supplier from public records is found in search with its public contracts; a visitor
opens its profile, follows "Is this your organisation? Claim it", signs in, answers the
pre-filled registration questions (correcting the name's capitals) and sends the claim;
a moderator approves it in Django admin against the Companies House number; the claimant
then owns the same profile, contract history and all. Engagement notices published
elsewhere are listed beside Techmap's own. axe runs on every page that is not Django admin."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from django.utils import timezone
from playwright.sync_api import expect

from suppliers.models import (
    AwardRecord,
    AwardSupplier,
    ExternalEngagementNotice,
    Supplier,
    SupplierClaim,
    SupplierMembership,
)
from tests import factories

NUMBER_LABEL = "What is the organisation's Companies House number?"
NAME_LABEL = "What is the organisation's name?"
LABEL = "From public records: this organisation has not registered."


def _continue(page) -> None:
    page.get_by_role("button", name="Save and continue").click()
    page.wait_for_load_state("load")


def test_claim_a_profile_from_public_records(
    page, new_page, assert_accessible, sign_in, sent_emails
):
    buyer = factories.PublicBodyFactory(name="Ministry of Maps", slug="ministry-of-maps")
    supplier = factories.SupplierFactory(
        name="HERON DATA LIMITED",
        slug="heron-data-limited",
        companies_house_number="07654321",
        from_public_records=True,
        size="",
        employees=None,
        year_founded=None,
        summary="",
        description="",
        website="",
    )
    award = AwardRecord.objects.create(
        ocid="ocds-b5fd17-000001",
        award_id="1-1",
        release_id="1-r",
        buyer=buyer,
        title="Mapping data platform",
        value_amount=Decimal("1200000"),
        currency="GBP",
        award_date=timezone.now() - dt.timedelta(days=30),
        cpv_code="72000000",
        notice_url="https://www.contractsfinder.service.gov.uk/Notice/heron",
        publisher="Contracts Finder",
    )
    AwardSupplier.objects.create(award=award, supplier=supplier, name_as_published="HERON")
    ExternalEngagementNotice.objects.create(
        ocid="ocds-b5fd17-notice-1",
        release_id="n1",
        buyer=buyer,
        title="Market sounding: national mapping",
        notice_url="https://www.contractsfinder.service.gov.uk/Notice/sounding",
        published_at=timezone.now(),
        closes_at=timezone.now() + dt.timedelta(days=14),
        publisher="Contracts Finder",
    )
    claimant = factories.UserFactory(email="founder@heron.example.co.uk")
    moderator = factories.ModeratorFactory()

    # Search finds it, marked as from public records, with its contracts.
    page.goto("/suppliers/?source=public_records&has_contracts=true")
    results = page.locator("main ol")
    expect(results.get_by_role("link", name="HERON DATA LIMITED", exact=True)).to_be_visible()
    expect(results.get_by_text("From public records")).to_be_visible()
    expect(
        results.get_by_role("link", name="1 public contract won by HERON DATA LIMITED")
    ).to_be_visible()
    assert page.get_by_label("Has won public contracts").is_checked()
    assert_accessible(page)

    # The profile says plainly where it came from, lists the contract and offers the claim.
    results.get_by_role("link", name="HERON DATA LIMITED", exact=True).click()
    expect(page.get_by_text(LABEL)).to_be_visible()
    contracts = page.locator("#public-contract-list")
    expect(contracts.get_by_role("link", name="Mapping data platform")).to_be_visible()
    expect(contracts.get_by_text("£1,200,000")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Is this your organisation? Claim it").click()
    expect(page.get_by_role("heading", name="Claim this organisation")).to_be_visible()
    assert_accessible(page)

    # Starting asks a visitor to sign in; then the questions come pre-filled.
    page.get_by_role("button", name="Start now").click()
    expect(page).to_have_url(re.compile(r"/login/"))
    sign_in(page, claimant)
    page.goto(f"/suppliers/{supplier.slug}/claim/")
    page.get_by_role("button", name="Start now").click()
    assert page.get_by_label(NUMBER_LABEL).input_value() == "07654321"
    assert_accessible(page)
    # A number that is not the record's is refused, with the error summary.
    page.get_by_label(NUMBER_LABEL).fill("01234567")
    _continue(page)
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    assert_accessible(page)
    page.get_by_label(NUMBER_LABEL).fill("7654321")
    _continue(page)
    assert page.get_by_label(NAME_LABEL).input_value() == "HERON DATA LIMITED"
    assert_accessible(page)
    page.get_by_label(NAME_LABEL).fill("Heron Data Ltd")
    _continue(page)

    # Check answers, then send.
    expect(page.get_by_role("heading", name="Check your answers")).to_be_visible()
    expect(page.get_by_text("Heron Data Ltd")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Send claim").click()
    expect(page.get_by_role("heading", name="Claim sent")).to_be_visible()
    assert_accessible(page)
    claim = SupplierClaim.objects.get(supplier=supplier)
    assert (claim.claimant, claim.status) == (claimant, SupplierClaim.Status.PENDING)
    page.goto(f"/suppliers/{supplier.slug}/")
    expect(page.get_by_text("A moderator is checking your claim")).to_be_visible()
    assert_accessible(page)

    # A moderator approves it in Django admin, seeing both numbers side by side.
    mod_page = new_page()
    sign_in(mod_page, moderator)
    mod_page.goto("/admin/suppliers/supplierclaim/")
    row = mod_page.locator("#result_list tbody tr", has_text="Heron Data Ltd")
    assert row.get_by_text("07654321").count() == 2  # claimed, and in the public record
    row.locator("input[name=_selected_action]").check()
    mod_page.locator("select[name=action]").select_option("approve_claims")
    mod_page.get_by_role("button", name="Go").click()
    # Wait for the answer page: is_visible() alone reads the page before the POST returns.
    expect(mod_page.get_by_text("Approved 1 claim(s).")).to_be_visible()
    mod_page.context.close()

    supplier.refresh_from_db()
    assert supplier.from_public_records is False and supplier.claimed_at is not None
    assert supplier.name == "Heron Data Ltd"
    assert SupplierMembership.objects.get(supplier=supplier).user == claimant
    assert any("your claim is approved" in e.subject for e in sent_emails())

    # The claimant owns the same profile; its contract history stayed.
    page.goto(f"/suppliers/{supplier.slug}/")
    expect(page.get_by_role("heading", name="Heron Data Ltd")).to_be_visible()
    assert page.get_by_text(LABEL).count() == 0
    expect(
        page.locator("#public-contract-list").get_by_text("Mapping data platform")
    ).to_be_visible()
    expect(page.get_by_role("link", name="Manage this profile")).to_be_visible()
    assert_accessible(page)
    page.goto(f"/suppliers/{supplier.slug}/register/")
    assert_accessible(page)
    assert Supplier.objects.filter(companies_house_number="07654321").count() == 1

    # Early engagement: Techmap's requests and notices published elsewhere, in one place.
    page.goto("/engagement/")
    notice = page.locator(".app-external-notice", has_text="Market sounding: national mapping")
    expect(notice.get_by_text("Published on Contracts Finder")).to_be_visible()
    href = notice.get_by_role("link").get_attribute("href")
    assert href == "https://www.contractsfinder.service.gov.uk/Notice/sounding"
    assert_accessible(page)
