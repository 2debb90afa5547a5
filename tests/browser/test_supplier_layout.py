"""What a person sees of a supplier's profile and the market map, measured in Chromium: the
description in the GOV.UK font, the market map whole at 1280 px (Northern Ireland included)
and a stacked table at 375 px, with axe on each page."""

from __future__ import annotations

import os

from playwright.sync_api import expect

from suppliers.models import Region
from tests.helpers import assert_no_raw_codes
from tests.suppliers.test_selectors import make_supplier


def _screenshot(page, name: str) -> None:
    if os.environ.get("TECHMAP_SCREENSHOTS"):
        page.screenshot(path=os.environ["TECHMAP_SCREENSHOTS"] + f"/{name}.png", full_page=True)


def test_a_suppliers_description_is_in_the_govuk_font(page, assert_accessible):
    supplier = make_supplier(
        "Kestrel Ledger Systems",
        summary="Finance systems for councils.",
        description="We move finance systems to the cloud.\n\nWe work in the open.",
        regions=["london"],
        capabilities=["cloud-hosting"],
    )
    page.goto(f"/suppliers/{supplier.slug}/")
    paragraphs = page.locator("#supplier-description p")
    assert paragraphs.count() == 2
    for n in range(2):
        font = paragraphs.nth(n).evaluate("p => getComputedStyle(p).fontFamily")
        body_font = page.locator("p.govuk-body").first.evaluate(
            "p => getComputedStyle(p).fontFamily"
        )
        assert font == body_font and "arial" in font.lower(), font
    assert_no_raw_codes(page.content())
    assert_accessible(page)


def _market(page) -> None:
    for n, region in enumerate(Region.objects.order_by("position")):
        make_supplier(
            f"Supplier {n}",
            regions=[region.slug, "northern-ireland"],
            capabilities=["cloud-hosting", "penetration-testing", "user-research"],
        )


def test_the_market_map_fits_1280_px_with_northern_ireland(page, assert_accessible):
    _market(page)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto("/techmap/")
    _screenshot(page, "market-map-1280")
    # Nothing scrolls sideways: not the page, not the chart, not the table.
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    for box in page.locator(".app-market-map__scroll").all():
        widths = box.evaluate("e => [e.scrollWidth, e.clientWidth]")
        assert widths[0] <= widths[1], f"scrolls sideways: {widths}"
    # The last region's slanted label is inside the chart, not cut off at its edge.
    label = page.locator("svg text", has_text="Northern Ireland")
    inside = label.evaluate(
        """t => {
            const l = t.getBoundingClientRect(), s = t.ownerSVGElement.getBoundingClientRect();
            return l.right <= s.right && l.top >= s.top && l.left >= s.left;
        }"""
    )
    assert inside, "the Northern Ireland label is cut off"
    header = page.locator("#market-map-table thead th", has_text="Northern Ireland")
    expect(header).to_be_visible()
    assert header.evaluate("h => h.getBoundingClientRect().right") <= 1280
    assert_accessible(page)


def test_the_market_map_is_a_stacked_table_at_375_px(page, assert_accessible):
    _market(page)
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto("/techmap/")
    _screenshot(page, "market-map-375")
    if os.environ.get("TECHMAP_SCREENSHOTS"):
        page.locator("#market-map-table").scroll_into_view_if_needed()
        page.screenshot(path=os.environ["TECHMAP_SCREENSHOTS"] + "/market-map-375-table.png")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert not page.locator("svg").first.is_visible()  # its numbers are all in the table
    cell = page.locator("#market-map-table td[data-label='Northern Ireland']").first
    expect(cell).to_be_visible()
    label = cell.evaluate("td => getComputedStyle(td, '::before').content")
    assert label == '"Northern Ireland"'
    box = cell.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 375
    # Each region's count reads beside its name, and still links to the search.
    assert cell.get_by_role("link").count() == 1
    assert_accessible(page)
