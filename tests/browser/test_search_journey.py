"""A civil servant finds a supplier by a misspelt capability, narrows to a region,
shortlists it with a note, compares it with another and downloads the shortlist as
CSV: in Chromium, without help from JavaScript for any step, with axe on every page."""

from __future__ import annotations

import csv
import io
import os
import re

from playwright.sync_api import expect

from suppliers.models import Shortlist
from tests.suppliers.test_selectors import make_supplier


def test_find_filter_shortlist_compare_and_download(
    page, assert_accessible, sign_in, civil_servant
):
    make_supplier(
        "Wren Secure",
        summary="Security testing for the NHS.",
        regions=["london"],
        capabilities=["penetration-testing", "security-operations-centre"],
        certifications=["cyber-essentials-plus"],
    )
    make_supplier(
        "Northgate Assurance",
        summary="Ethical hacking for councils.",
        size="large",
        regions=["scotland"],
        capabilities=["penetration-testing"],
    )
    make_supplier("Kestrel Ledger Systems", summary="Finance systems.", regions=["london"])

    sign_in(page, civil_servant)
    page.goto("/suppliers/")
    assert_accessible(page)

    # A misspelt capability still finds the suppliers that offer it.
    page.get_by_label("Search suppliers").fill("penetraton testing")
    page.get_by_role("button", name="Search", exact=True).click()
    results = page.locator("main ol")
    expect(results.get_by_role("link", name="Wren Secure", exact=True)).to_be_visible()
    expect(results.get_by_role("link", name="Northgate Assurance", exact=True)).to_be_visible()
    assert results.get_by_role("link", name="Kestrel Ledger Systems", exact=True).count() == 0
    assert "ordering" not in page.url  # a new search sorts by relevance
    expect(page.get_by_text("Capabilities: Penetration testing.").first).to_be_visible()
    if os.environ.get("TECHMAP_SCREENSHOTS"):
        page.screenshot(path=os.environ["TECHMAP_SCREENSHOTS"] + "/search.png", full_page=True)
    assert_accessible(page)

    # Narrow to London with the filter form.
    page.get_by_label("London").check()
    page.get_by_role("button", name="Apply filters").first.click()
    expect(page).to_have_url(re.compile(r"region=london"))
    expect(results.get_by_role("link", name="Wren Secure", exact=True)).to_be_visible()
    assert results.get_by_role("link", name="Northgate Assurance", exact=True).count() == 0
    expect(page.get_by_role("heading", name="Selected filters")).to_be_visible()
    assert_accessible(page)
    filtered_url = page.url

    # Shortlist it, with a note, into a new shortlist.
    page.get_by_role("link", name=re.compile(r"^Add to shortlist\s*:\s*Wren Secure")).click()
    expect(page.get_by_role("heading", name="Add to a shortlist")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("A new shortlist").check()
    page.get_by_label("Name of the new shortlist").fill("Penetration testing, London")
    page.get_by_label("Note (optional)").fill("Holds Cyber Essentials Plus; NHS work.")
    page.get_by_role("button", name="Add to shortlist").click()
    expect(page.get_by_role("heading", name="Penetration testing, London")).to_be_visible()
    expect(page.get_by_text("Holds Cyber Essentials Plus; NHS work.")).to_be_visible()
    assert_accessible(page)
    shortlist = Shortlist.objects.get(owner=civil_servant)
    assert "region=london" in shortlist.search_query
    assert "q=penetraton+testing" in shortlist.search_query

    # Compare it with another result, ticked on the results page.
    page.goto(filtered_url.replace("region=london", "region=scotland&region=london"))
    page.get_by_label("Compare Wren Secure").check()
    page.get_by_label("Compare Northgate Assurance").check()
    page.get_by_role("button", name="Compare selected suppliers").click()
    expect(page.get_by_role("heading", name="Compare suppliers")).to_be_visible()
    table = page.locator("table").first
    expect(table.get_by_role("link", name="Wren Secure")).to_be_visible()
    expect(table.get_by_role("link", name="Northgate Assurance")).to_be_visible()
    assert_accessible(page)

    # Download the shortlist for the record.
    page.goto(f"/suppliers/shortlists/{shortlist.pk}/")
    with page.expect_download() as info:
        page.get_by_role("link", name="Download this shortlist as CSV").click()
    download = info.value
    with open(download.path(), encoding="utf-8-sig") as file:
        rows = list(csv.DictReader(io.StringIO(file.read())))
    assert [(r["name"], r["note"]) for r in rows] == [
        ("Wren Secure", "Holds Cyber Essentials Plus; NHS work.")
    ]
    assert rows[0]["shortlist"] == "Penetration testing, London"
    assert "region=london" in rows[0]["found_by_search"]


def test_a_misspelt_search_says_what_it_searched_and_offers_the_words_as_typed(
    page, assert_accessible
):
    make_supplier("Kestrel Ledger Systems", summary="Finance systems.", regions=["london"])
    page.goto("/suppliers/")
    page.get_by_label("Search suppliers").fill("kestral leger")
    page.get_by_role("button", name="Search", exact=True).click()
    notice = page.locator("#spelling-correction")
    assert " ".join(notice.inner_text().split()) == (
        "Showing results for kestrel ledger. Search instead for kestral leger"
    )
    assert notice.locator("i").first.inner_text() == "kestrel ledger"
    results = page.locator("main ol")
    expect(results.get_by_role("link", name="Kestrel Ledger Systems", exact=True)).to_be_visible()
    expect(
        page.get_by_role("heading", name="1 supplier found for ‘kestrel ledger’")
    ).to_be_visible()
    assert_accessible(page)

    # The link searches the words exactly as typed.
    notice.get_by_role("link", name="Search instead for kestral leger").click()
    expect(page).to_have_url(re.compile(r"correct=false"))
    assert "q=kestral+leger" in page.url
    assert page.locator("#spelling-correction").count() == 0
    expect(page.get_by_text("No suppliers match your search.")).to_be_visible()
    assert page.get_by_label("Search suppliers").input_value() == "kestral leger"
    assert_accessible(page)
