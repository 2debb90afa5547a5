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
