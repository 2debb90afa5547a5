"""The Content Security Policy: sent on every page, and nothing the site itself serves breaks it.

A real Chromium visits GOV.UK Frontend pages and the API docs (Swagger UI) and records every
``securitypolicyviolation`` event and every console error; there must be none. A script the
page did not nonce is refused (so the listener does hear violations).
"""

from __future__ import annotations

import pytest

from tests import factories

pytestmark = pytest.mark.django_db

LISTEN = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__violations.push(
    `${event.effectiveDirective} blocked ${event.blockedURI || "inline"} in ${event.sourceFile}`
  );
});
"""


def test_every_page_sends_the_policy(client):
    for path in ("/", "/account/login/", "/api/v1/docs/", "/api/v1/regions/"):
        response = client.get(path)
        policy = response.headers["Content-Security-Policy"]
        assert "default-src 'self'" in policy, path
        assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
        scripts = next(d for d in policy.split(";") if d.strip().startswith("script-src "))
        assert "'unsafe-inline'" not in scripts and "'unsafe-eval'" not in scripts


def test_the_inline_snippet_carries_the_nonce_the_header_names(client):
    response = client.get("/")
    policy = response.headers["Content-Security-Policy"]
    nonce = policy.split("'nonce-")[1].split("'")[0]
    assert f'<script nonce="{nonce}">document.body.className' in response.content.decode()
    assert client.get("/").headers["Content-Security-Policy"] != policy  # one per response


@pytest.fixture
def watched(page):
    """The page, recording policy violations and console errors from each navigation on."""
    page.add_init_script(LISTEN)
    errors: list[str] = []
    page.on(
        "console",
        lambda message: errors.append(message.text) if message.type == "error" else None,
    )
    page.on("pageerror", lambda error: errors.append(str(error)))
    return page, errors


def _violations(page) -> list[str]:
    return page.evaluate("window.__violations")


def test_govuk_pages_and_the_api_docs_work_under_the_policy(watched, sign_in):
    page, errors = watched
    factories.SupplierFactory(name="Cloud Widgets Ltd")
    seen: dict[str, list[str]] = {}

    for path in ("/", "/suppliers/?q=cloud", "/account/login/", "/account/signup/"):
        page.goto(path)
        page.wait_for_load_state("load")
        # The nonced GOV.UK Frontend snippet ran, and so did its module script.
        assert page.evaluate("document.body.className").split() >= [
            "govuk-template__body",
            "js-enabled",
            "govuk-frontend-supported",
        ], path
        seen[path] = _violations(page)

    # A form page with a working GOV.UK component after signing in.
    sign_in(page, factories.CivilServantFactory())
    seen["signed in"] = _violations(page)

    page.goto("/api/v1/docs/")
    page.locator(".swagger-ui .info .title").wait_for()
    page.locator(".opblock").first.wait_for()  # the schema was fetched and rendered
    seen["/api/v1/docs/"] = _violations(page)

    assert {where: found for where, found in seen.items() if found} == {}
    assert errors == []


def test_a_script_without_the_nonce_is_refused(watched):
    page, _ = watched
    page.goto("/")
    page.evaluate(
        """() => {
          const script = document.createElement("script");
          script.textContent = "window.__ran = true";
          document.body.appendChild(script);
        }"""
    )
    page.wait_for_function("window.__violations.length > 0")
    assert page.evaluate("window.__ran") is None
    assert any(v.startswith("script-src") for v in _violations(page))
