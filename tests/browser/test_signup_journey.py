"""A civil servant signs up, confirms their address from the email, signs in, chooses
a public body and lands on their Techmap home: in Chromium, with axe on every page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from accounts.models import PublicBody, User
from tests import factories

EMAIL = "robin.example@cabinetoffice.gov.uk"
PASSWORD = "a-long-and-memorable-passphrase"


def test_civil_servant_signs_up_confirms_signs_in_and_sees_their_home(
    page, assert_accessible, sent_emails
):
    page.goto("/")
    assert_accessible(page)
    page.get_by_role("button", name="Create an account").click()

    page.wait_for_url("**/account/signup/")
    assert_accessible(page)

    # A mistake first: the error summary and field errors must be accessible too.
    page.get_by_label("Full name").fill("Robin Example")
    page.get_by_label("Email address").fill(EMAIL)
    page.get_by_label("Create a password").fill(PASSWORD)
    page.get_by_label("Confirm password").fill("something else")
    page.get_by_role("button", name="Create account").click()
    expect(page).to_have_title(re.compile(r"^Error: "))
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_visible()
    assert_accessible(page)

    page.get_by_label("Create a password").fill(PASSWORD)
    page.get_by_label("Confirm password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url("**/account/confirm-email/")
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    assert_accessible(page)

    # Follow the link in the email the outbox sent.
    (email,) = [e for e in sent_emails() if e.to == EMAIL]
    assert email.subject == "Techmap: Confirm your email address"
    link = re.search(r"https?://\S+/account/confirm-email/\S+", email.body).group(0)
    page.goto(link)
    expect(page.get_by_role("heading", name="Confirm your email address")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Confirm email address").click()

    page.wait_for_url("**/account/login/")
    expect(page.get_by_text(f"You have confirmed {EMAIL}.")).to_be_visible()
    assert_accessible(page)
    assert User.objects.get(email=EMAIL).is_civil_servant

    page.get_by_label("Email address").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    page.wait_for_url("**/account/public-body/")
    assert_accessible(page)
    # The address suggests Cabinet Office; the civil servant confirms it.
    select = page.get_by_label("Which public body do you work for?")
    assert select.input_value() == str(PublicBody.objects.get(slug="cabinet-office").pk)
    page.get_by_role("button", name="Continue").click()

    page.wait_for_url("**/home/")
    expect(page.get_by_role("heading", name="Your Techmap", level=1)).to_be_visible()
    expect(page.get_by_text("Cabinet Office").first).to_be_visible()
    main = page.locator("main")
    for name in ("Search suppliers", "Your shortlists", "Early engagement", "Innovation den"):
        expect(main.get_by_role("link", name=name)).to_be_visible()
    assert_accessible(page)
    assert User.objects.get(email=EMAIL).public_body.slug == "cabinet-office"


def test_sign_in_fixture_and_the_account_pages(page, assert_accessible, sign_in):
    user = factories.CivilServantFactory()
    sign_in(page, user)
    for path in ("/account/", "/account/email/", "/account/password/change/"):
        page.goto(path)
        expect(page.locator("h1")).to_be_visible()
        assert_accessible(page)


@pytest.mark.parametrize("path", ["/accessibility/", "/cookies/", "/privacy/", "/no-such-page/"])
def test_shell_pages_are_accessible(page, assert_accessible, path):
    page.goto(path)
    expect(page.locator("h1")).to_be_visible()
    assert_accessible(page)


def test_signing_in_and_out_works_without_javascript(new_page):
    user = factories.UserFactory()
    page = new_page(java_script_enabled=False)
    page.goto("/account/login/")
    page.get_by_label("Email address").fill(user.email)
    page.get_by_label("Password").fill("correct-horse-battery")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/$"))
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r"/$"))
    expect(page.get_by_role("link", name="Sign in").first).to_be_visible()
