"""Journey: a supplier user reads the API page, creates a token, uses it, and revokes it.

axe reports no WCAG 2.2 AA violation on any page of the journey.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request

from playwright.sync_api import expect

from tests import factories


def _call(url: str, token: str) -> int:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            json.load(response)
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_create_use_and_revoke_an_api_token(page, live_server, sign_in, assert_accessible):
    user = factories.MembershipFactory(role="owner").user

    page.goto("/api/")
    assert page.get_by_role("heading", level=1).inner_text() == "The Techmap API"
    assert_accessible(page)

    sign_in(page, user)
    page.goto("/account/api-tokens/")
    assert_accessible(page)
    page.get_by_role("button", name="Create a token").click()

    # One error corrected on the way: no name.
    page.get_by_role("button", name="Create token").click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    expect(page).to_have_title(re.compile(r"^Error: "))
    assert_accessible(page)
    page.get_by_label("Name").fill("Nightly CRM sync")
    page.get_by_label("Read only").check()
    page.get_by_role("button", name="Create token").click()

    expect(page.get_by_role("heading", name="Token created")).to_be_visible()
    assert_accessible(page)
    token = page.locator("#api-token").inner_text().strip()
    assert token.startswith("tm_")
    assert _call(f"{live_server.url}/api/v1/my/suppliers/", token) == 200

    page.get_by_role("link", name="Back to API access").click()
    row = page.get_by_role("row", name="Nightly CRM sync")
    assert token[:11] in row.inner_text() and token not in page.content()
    row.get_by_role("link", name="Revoke").click()
    assert_accessible(page)
    page.get_by_role("button", name="Revoke token").click()
    expect(page.get_by_text("Revoked", exact=True)).to_be_visible()
    assert_accessible(page)
    assert _call(f"{live_server.url}/api/v1/my/suppliers/", token) == 401
