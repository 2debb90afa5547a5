"""The site-wide checks every browser test gets (conftest.py's ``new_page``): on each page
load, repeated element ids and raw codes shown where a name belongs are recorded, and the
test fails at teardown. Here the recording is checked on pages made to fail."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import _check_on_load

BAD = (
    '<html lang="en"><body><input id="None" name="a"><input id="None" name="b">'
    '<p id="ok">Size: <span>small</span></p><a href="?region=TLI">London</a></body></html>'
)


def test_each_page_load_records_repeated_ids_and_raw_codes(_browser, live_server):
    problems: dict[str, list[str]] = {}
    context = _browser.new_context(base_url=live_server.url)
    try:
        page = context.new_page()
        page.on("load", _check_on_load(problems))
        page.route("**/bad/", lambda route: route.fulfill(body=BAD, content_type="text/html"))
        page.goto("/bad/")
        page.evaluate("0")  # lets this load's check finish before the page moves on
        page.goto("/")  # a real page: nothing to record
        page.evaluate("0")  # lets the last load's check finish
    finally:
        context.close()
    assert len(problems) == 2, problems
    assert "id 'None' is on 2 elements" in problems
    (codes,) = (problem for problem in problems if problem.startswith("raw codes shown"))
    assert "'small' → 'Small" in codes and "TLI" not in codes  # a URL's code is fine


def test_the_home_page_passes_them(page):
    # The page fixture's own checks run at teardown; this makes sure a real page passes.
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
