"""Real-browser tests: Playwright driving Debian's Chromium against pytest-django's live server.

Every test in tests/browser/ is marked ``browser``. Fixtures:

- ``page``: a Playwright sync ``Page`` whose relative URLs (``page.goto("/")``) go to
  ``live_server``. Using it brings in ``live_server`` and so ``transactional_db``, with
  the migrations' reference data (public bodies, regions, taxonomy) restored first.
- ``new_page(**context_options)``: another such page in a browser context of its own
  (another person, or ``java_script_enabled=False``); closed at the end of the test.
- Site-wide checks on every page load of those pages, failing the test at teardown: no
  element id used twice, no error summary link to a missing id, no raw code (size band,
  region code, capability slug) shown where its name belongs
  (``tests.helpers.assert_no_raw_codes``).
- ``assert_accessible(page)``: runs axe-core on the current page and fails listing
  every violation tagged wcag2a, wcag2aa, wcag21aa or wcag22aa.
- ``assert_accessible_at_widths(page)``: the same at 375 and 1280 px wide (``WIDTHS``),
  resizing the page in place.
- ``sign_in(page, user)``: signs a user in through the real sign-in form (factory
  users have the password ``correct-horse-battery`` and a verified email).
- ``sent_emails()``: delivers the pending outbox emails, then returns every
  ``OutboundEmail`` sent so far in this test, oldest first (read links from ``.body``).

Playwright's browser download cannot work here, so Chromium is found on the
machine (``TECHMAP_CHROMIUM``, ``/usr/bin/chromium``, or ``chromium`` /
``chromium-browser`` on PATH). Without it the browser tests are skipped with a
notice naming what is missing, unless ``TECHMAP_REQUIRE_BROWSER=1``, which fails them.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

# Playwright's sync API runs an asyncio event loop in this thread; without this,
# Django would refuse database access from the test thread as "async unsafe".
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

BROWSER_DIR = Path(__file__).resolve().parent
PASSWORD = "correct-horse-battery"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21aa", "wcag22aa"]
# The widths assert_accessible_at_widths checks: a small phone's and a desktop's, in CSS px.
WIDTHS = (375, 1280)
VIEWPORT_HEIGHT = 900
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def find_chromium() -> str | None:
    """The Chromium executable to drive, or None when the machine has none.

    ``TECHMAP_CHROMIUM``, when set, is the only candidate (so a run can pin one).
    """
    if os.environ.get("TECHMAP_CHROMIUM"):
        candidates = [os.environ["TECHMAP_CHROMIUM"]]
    else:
        candidates = ["/usr/bin/chromium"]
        candidates += [shutil.which(name) for name in ("chromium", "chromium-browser")]
    for candidate in candidates:
        if candidate and os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None


def missing_requirements() -> list[str]:
    """What the browser tests need and this machine lacks (empty when all is there)."""
    missing = []
    if find_chromium() is None:
        missing.append(
            "Chromium (not at TECHMAP_CHROMIUM or /usr/bin/chromium, no chromium or "
            "chromium-browser on PATH; install Debian's 'chromium' package)"
        )
    for module, package in (("playwright", "playwright"), ("axe_playwright_python", "axe")):
        try:
            __import__(module)
        except ImportError:
            missing.append(f"the Python package {package} (pip install -e '.[dev]')")
    return missing


def browser_required() -> bool:
    return os.environ.get("TECHMAP_REQUIRE_BROWSER", "") in {"1", "true", "yes"}


def _is_browser_test(item: pytest.Item) -> bool:
    return BROWSER_DIR in Path(str(item.path)).resolve().parents


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    missing = missing_requirements()
    for item in items:
        if not _is_browser_test(item):
            continue
        item.add_marker(pytest.mark.browser)
        if missing and not browser_required():
            item.add_marker(pytest.mark.skip(reason="browser tests need " + "; ".join(missing)))


def pytest_report_header(config: pytest.Config) -> str | None:
    missing = missing_requirements()
    if not missing:
        return f"browser tests: Chromium at {find_chromium()}"
    action = "FAILING (TECHMAP_REQUIRE_BROWSER=1)" if browser_required() else "skipping"
    return f"browser tests: {action}; missing " + "; ".join(missing)


@pytest.fixture(scope="session")
def _browser(django_db_setup, django_db_blocker) -> Iterator[object]:
    missing = missing_requirements()
    if missing:
        # Only reached with TECHMAP_REQUIRE_BROWSER=1: otherwise the tests were skipped.
        pytest.fail("TECHMAP_REQUIRE_BROWSER=1 but missing " + "; ".join(missing), pytrace=False)
    from django.db import connections
    from playwright.sync_api import sync_playwright

    # While Playwright's sync API is active, asyncio sees a running loop in this
    # thread, so Django hands the test code a second set of (async-context)
    # connections. Give them what the test database set-up left on the first
    # set: the serialized data that serialized rollback restores.
    serialized = {
        alias: getattr(connections[alias], "_test_serialized_contents", None)
        for alias in connections
    }
    with sync_playwright() as playwright:
        for alias, contents in serialized.items():
            if contents is not None:
                connections[alias]._test_serialized_contents = contents
        browser = playwright.chromium.launch(
            executable_path=find_chromium(), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()
            # Close the async-context connections too, or the test database
            # could not be dropped at the end of the run.
            with django_db_blocker.unblock():
                connections.close_all()


# Every element id on a page, once: a label's for=, an error summary's link and aria-* all
# find their element by id, and a repeated one points them at the wrong element; and every
# error summary link goes to an element (a set of radios: its first radio). One call
# returns the repeated ids, the broken links and the page's HTML, from the same document.
PAGE_STATE_JS = """() => {
  const counts = new Map();
  for (const element of document.querySelectorAll("[id]")) {
    counts.set(element.id, (counts.get(element.id) || 0) + 1);
  }
  const broken = [...document.querySelectorAll(".govuk-error-summary a[href^='#']")]
    .map((link) => link.getAttribute("href").slice(1))
    .filter((id) => !document.getElementById(id));
  return [
    [...counts].filter(([, count]) => count > 1), broken, document.documentElement.outerHTML,
  ];
}"""


def page_problems(page) -> list[str]:
    """What the site-wide checks find on the page as it is: repeated element ids, error
    summary links to no element, and raw
    codes shown where a name belongs (``tests.helpers.assert_no_raw_codes``)."""
    from tests.helpers import assert_no_raw_codes

    repeated, broken, html = page.evaluate(PAGE_STATE_JS)
    problems = [f"id {element_id!r} is on {count} elements" for element_id, count in repeated]
    problems += [f"the error summary links to #{target}, which no element has" for target in broken]
    try:
        assert_no_raw_codes(html)
    except AssertionError as error:
        problems.append(str(error))
    return problems


def _check_on_load(problems: dict[str, list[str]]) -> Callable[[object], None]:
    """A page "load" handler recording ``page_problems`` with the URLs they were seen on.

    Playwright runs it beside the test's own calls, so the test may have moved on: when the
    page is already navigating away (a script's redirect) the next load is checked instead.
    """

    def check(page) -> None:
        from playwright.sync_api import Error as PlaywrightError

        try:
            url, found = page.url, page_problems(page)
        except PlaywrightError:
            return
        for problem in found:
            problems.setdefault(problem, []).append(url)

    return check


@pytest.fixture
def new_page(_browser, django_db_serialized_rollback, live_server) -> Iterator[Callable]:
    """Call for a page in a fresh browser context (no cookies) pointed at the live server:
    another person in the same journey. Keyword arguments go to ``Browser.new_context``
    (``java_script_enabled=False``…). Contexts close at the end of the test.

    Every page load in it runs the site-wide checks (``page_problems``: unique element ids,
    no raw codes where a name belongs); the test fails at teardown listing what they found,
    with the URLs where they found it.

    live_server makes the test transactional, and the flush after each such test
    empties every table, including the reference data that migrations seed (public
    bodies, regions, capabilities…). Serialized rollback puts that data back first.
    """
    contexts = []
    problems: dict[str, list[str]] = {}

    def make(**options) -> object:
        options = {"base_url": live_server.url, "locale": "en-GB", **options}
        context = _browser.new_context(**options)
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        page.on("load", _check_on_load(problems))
        return page

    try:
        yield make
    finally:
        for context in contexts:
            for open_page in context.pages:
                with contextlib.suppress(Exception):
                    open_page.evaluate("0")  # lets a last load's check finish first
            context.close()
    if problems:
        listing = "\n".join(
            f"- {problem}\n  on {', '.join(dict.fromkeys(urls))}"
            for problem, urls in problems.items()
        )
        pytest.fail(f"site-wide page checks failed:\n{listing}", pytrace=False)


@pytest.fixture
def page(new_page) -> object:
    """A Playwright page in a fresh browser context, at the live server (see ``new_page``)."""
    return new_page()


def _describe(violation: dict) -> str:
    nodes = violation.get("nodes", [])
    targets = ", ".join(" ".join(map(str, node.get("target", []))) for node in nodes[:5])
    more = f" (+{len(nodes) - 5} more)" if len(nodes) > 5 else ""
    return (
        f"- {violation['id']} [{violation.get('impact')}] {violation.get('help')}: "
        f"{targets}{more}\n  {violation.get('helpUrl', '')}"
    )


@pytest.fixture
def assert_accessible() -> Callable[[object], None]:
    """Call with a page: fails listing every WCAG 2.x A/AA violation axe-core finds."""
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()

    def check(page) -> None:
        page.wait_for_load_state("load")
        results = axe.run(
            page,
            options={
                "runOnly": {"type": "tag", "values": WCAG_TAGS},
                "resultTypes": ["violations"],
            },
        )
        violations = [
            v for v in results.response["violations"] if set(v.get("tags", [])) & set(WCAG_TAGS)
        ]
        if violations:
            listing = "\n".join(_describe(v) for v in violations)
            width = (page.viewport_size or {}).get("width")
            pytest.fail(
                f"{len(violations)} accessibility violation(s) on {page.url} "
                f"at {width} px wide:\n{listing}",
                pytrace=False,
            )

    return check


@pytest.fixture
def assert_accessible_at_widths(assert_accessible) -> Callable[[object], None]:
    """Call with a page: runs ``assert_accessible`` at each of ``WIDTHS`` (a phone's, a
    desk's) on the page as it is, resizing in place (no reload, so a form's state stays),
    then puts the page back at its own size."""

    def check(page) -> None:
        original = page.viewport_size
        try:
            for width in WIDTHS:
                page.set_viewport_size({"width": width, "height": VIEWPORT_HEIGHT})
                # Let the page's media-query listeners (GOV.UK Frontend's menu) react.
                page.evaluate("() => new Promise(r => requestAnimationFrame(() => r()))")
                assert_accessible(page)
        finally:
            if original:
                page.set_viewport_size(original)

    return check


@pytest.fixture
def sign_in() -> Callable[[object, object], None]:
    """Call with (page, user): signs in through the sign-in form and checks it worked."""

    def do_sign_in(page, user, password: str = PASSWORD) -> None:
        page.goto("/account/login/")
        page.locator("input[name=login]").fill(user.email)
        page.locator("input[name=password]").fill(password)
        page.locator("main form button[type=submit]").first.click()
        page.wait_for_load_state("load")
        signed_in = page.locator("header, .govuk-service-navigation").get_by_role(
            "button", name="Sign out"
        )
        if signed_in.count() == 0:
            errors = page.locator(".govuk-error-summary").all_inner_texts()
            pytest.fail(f"could not sign in as {user.email} at {page.url}: {errors}")

    return do_sign_in


@pytest.fixture
def sent_emails(transactional_db) -> Callable[[], list]:
    """Call to deliver pending outbox emails; returns every email sent so far, oldest first."""
    from accounts.models import OutboundEmail
    from accounts.tasks import send_pending_emails

    def deliver() -> list:
        send_pending_emails()
        return list(
            OutboundEmail.objects.filter(status=OutboundEmail.Status.SENT).order_by(
                "created_at", "pk"
            )
        )

    return deliver


# Something waiting on each role's home (/home/), for tests/browser/test_home_journeys.py.
from tests.home_world import world  # noqa: E402, F401
