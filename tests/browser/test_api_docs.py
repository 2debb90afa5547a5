"""The API reference passes axe at a phone's and a desk's width; Swagger UI points to it."""

from __future__ import annotations

import re

from playwright.sync_api import expect


def test_the_api_reference_is_accessible(page, assert_accessible_at_widths):
    page.goto("/api/v1/reference/")
    expect(page.get_by_role("heading", name="API reference", level=1)).to_be_visible()
    expect(page.get_by_role("heading", name="Search published suppliers")).to_be_visible()
    assert_accessible_at_widths(page)
    page.get_by_role("link", name="Suppliers", exact=True).last.click()
    expect(page).to_have_url(re.compile(r"#tag-suppliers$"))


def test_swagger_ui_links_to_the_reference(page):
    page.goto("/api/v1/docs/")
    page.get_by_role("link", name="API reference").click()
    page.wait_for_url("**/api/v1/reference/")
    heading = page.get_by_role("heading", name="API reference", level=1)
    heading.wait_for()  # the reference is built on its first request: wait, then check
    expect(heading).to_be_visible()


def test_swagger_ui_is_accessible(page, assert_accessible_at_widths):
    """The interactive view passes axe too: closed, and with operations opened and tried."""
    page.goto("/api/v1/docs/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator(".swagger-ui .opblock").first).to_be_visible()
    assert_accessible_at_widths(page)
    for operation in (
        "#operations-suppliers-suppliers_list",
        "#operations-reporting-contracts_create",
    ):
        page.locator(f"{operation} .opblock-summary-control").click()
        page.locator(operation).get_by_role("button", name="Try it out").click()
        expect(page.locator(operation).get_by_role("button", name="Execute")).to_be_visible()
    expect(page.get_by_label("Examples of response 400").first).to_be_visible()
    assert_accessible_at_widths(page)
    # A request sent, and its answer shown.
    listing = page.locator("#operations-suppliers-suppliers_list")
    listing.get_by_role("button", name="Execute").click()
    expect(listing.locator(".live-responses-table tbody .response-col_status").first).to_have_text(
        "200"
    )
    assert_accessible_at_widths(page)
