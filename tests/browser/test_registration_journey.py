"""A new supplier user registers through every question page (correcting one error),
invites a colleague who accepts, submits; a moderator approves it in Django admin; it
appears in search; the owner edits the summary and the old summary stays live until the
moderator approves the revision. axe runs on every page that is not Django admin."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from suppliers.models import Capability, Region, Supplier, SupplierMembership
from tests import factories


def _link(emails, to: str, pattern: str) -> str:
    body = next(e.body for e in reversed(emails) if e.to == to)
    url = re.search(pattern, body).group(0)
    return "/" + url.split("/", 3)[3]


def _continue(page) -> None:
    page.get_by_role("button", name="Save and continue").click()
    page.wait_for_load_state("load")


def test_register_invite_submit_approve_search_and_revise(
    page, new_page, assert_accessible, sign_in, sent_emails
):
    owner = factories.UserFactory(email="founder@heron-data.example.co.uk")
    colleague = factories.UserFactory(email="colleague@heron-data.example.co.uk")
    moderator = factories.ModeratorFactory()
    region = Region.objects.order_by("position").first()
    capability = Capability.objects.order_by("pk").first()

    sign_in(page, owner)
    page.goto("/suppliers/register/")
    assert_accessible(page)
    page.get_by_role("button", name="Start now").click()

    # Companies House number, with one validation error corrected on the way.
    label = "What is the organisation's Companies House number?"
    page.get_by_label(label).fill("XY123456")  # not a Companies House prefix
    _continue(page)
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    assert_accessible(page)
    page.get_by_label(label).fill("SC123456")
    _continue(page)

    assert_accessible(page)
    page.get_by_label("What is the organisation's name?").fill("Heron Data Co")
    _continue(page)
    supplier = Supplier.objects.get(companies_house_number="SC123456")

    answers = [
        ("What is the organisation's website? (optional)", "https://heron-data.example.co.uk"),
        ("Summarise what the organisation does", "Data pipelines for government"),
        ("Describe the organisation (optional)", "We build data platforms."),
    ]
    for label, value in answers:
        assert_accessible(page)
        page.get_by_label(label).fill(value)
        _continue(page)
    assert_accessible(page)  # size
    page.get_by_label("Small (10 to 49 employees)").check()
    _continue(page)
    assert_accessible(page)
    page.get_by_label("How many people does the organisation employ? (optional)").fill("12")
    _continue(page)
    assert_accessible(page)
    page.get_by_label("In what year was the organisation founded? (optional)").fill("2016")
    _continue(page)
    assert_accessible(page)  # head office
    page.locator(f"input[name=hq_region][value='{region.code}']").check()
    _continue(page)
    assert_accessible(page)  # regions served
    page.locator(f"input[name=regions][value='{region.code}']").check()
    _continue(page)
    assert_accessible(page)  # grouped capabilities
    page.locator(f"input[name=capabilities][value='{capability.code}']").check()
    _continue(page)
    assert_accessible(page)  # certifications
    _continue(page)
    assert_accessible(page)  # frameworks
    _continue(page)
    assert_accessible(page)  # contact
    page.get_by_label("Email address").fill("hello@heron-data.example.co.uk")
    _continue(page)

    # Case studies: add one, change it, remove another.
    assert_accessible(page)
    for title in ("Pipelines for a council", "Spare study"):
        page.get_by_role("link", name="Add a case study").click()
        assert_accessible(page)
        page.get_by_label("Title").fill(title)
        page.get_by_label("Public sector").check()
        page.get_by_label("What did you do?").fill("Built data pipelines.")
        page.get_by_role("button", name="Save case study").click()
    page.get_by_role("link", name="Change Pipelines for a council").click()
    page.get_by_label("Title").fill("Pipelines for a county council")
    page.get_by_role("button", name="Save case study").click()
    page.get_by_role("link", name="Remove Spare study").click()
    assert_accessible(page)
    page.get_by_role("button", name="Remove case study").click()
    assert list(supplier.case_studies.values_list("title", flat=True)) == [
        "Pipelines for a county council"
    ]

    # The task list shows every section done.
    page.goto(f"/suppliers/{supplier.slug}/register/")
    assert_accessible(page)
    assert page.get_by_text("Incomplete").count() == 0

    # Invite a colleague, who accepts.
    page.goto(f"/suppliers/{supplier.slug}/manage/")
    assert_accessible(page)
    page.get_by_role("link", name="Invite a colleague").click()
    assert_accessible(page)
    page.get_by_label("Email address").fill(colleague.email)
    page.get_by_role("button", name="Send invitation").click()
    assert_accessible(page)
    link = _link(sent_emails(), colleague.email, r"https?://\S+/suppliers/invitations/\S+/")
    colleague_page = new_page()
    sign_in(colleague_page, colleague)
    colleague_page.goto(link)
    assert_accessible(colleague_page)
    colleague_page.get_by_role("button", name="Accept the invitation").click()
    assert SupplierMembership.objects.get(supplier=supplier, user=colleague).role == "member"
    assert_accessible(colleague_page)
    colleague_page.context.close()

    # Check answers and submit.
    page.goto(f"/suppliers/{supplier.slug}/register/check/")
    assert_accessible(page)
    page.get_by_role("button", name="Send for review").click()
    expect(page.get_by_role("heading", name="Profile sent for review")).to_be_visible()
    assert_accessible(page)
    supplier.refresh_from_db()
    assert supplier.status == Supplier.Status.PENDING_REVIEW

    # A moderator approves it in Django admin (axe is not run on admin pages).
    mod_page = new_page()
    sign_in(mod_page, moderator)
    mod_page.goto("/admin/suppliers/supplierforreview/")
    mod_page.get_by_role("link", name="Heron Data Co").click()
    expect(mod_page.get_by_text("Data pipelines for government").first).to_be_visible()
    mod_page.get_by_role("button", name="Approve").click()
    supplier.refresh_from_db()
    assert supplier.status == Supplier.Status.PUBLISHED
    emails = sent_emails()
    assert {e.to for e in emails if "approved" in e.subject} == {owner.email, colleague.email}

    # It appears in search.
    page.goto("/suppliers/?q=heron")
    expect(page.locator("main ol").get_by_role("link", name="Heron Data Co")).to_be_visible()
    assert_accessible(page)

    # The owner edits the summary: it waits for review, the old one stays live.
    page.goto(f"/suppliers/{supplier.slug}/register/summary/")
    assert_accessible(page)
    page.get_by_label("Summarise what the organisation does").fill("Data and AI for government")
    _continue(page)
    page.goto(f"/suppliers/{supplier.slug}/manage/")
    expect(
        page.locator("#pending-changes").get_by_text("Data and AI for government")
    ).to_be_visible()
    assert_accessible(page)
    page.goto(f"/suppliers/{supplier.slug}/")
    expect(page.get_by_text("Data pipelines for government").first).to_be_visible()
    assert page.get_by_text("Data and AI for government").count() == 0
    assert_accessible(page)

    # The moderator approves the revision; now the new summary is live.
    mod_page.goto("/admin/suppliers/supplierforreview/")
    mod_page.get_by_role("link", name="Heron Data Co").click()
    expect(
        mod_page.locator("#differences").get_by_text("Data and AI for government")
    ).to_be_visible()
    mod_page.get_by_role("button", name="Approve").click()
    mod_page.context.close()
    page.goto(f"/suppliers/{supplier.slug}/")
    expect(page.get_by_text("Data and AI for government").first).to_be_visible()
    assert_accessible(page)
