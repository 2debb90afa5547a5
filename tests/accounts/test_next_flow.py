"""Someone who starts from "Register your organisation" ends up registering it.

``next`` is carried from the sign-in page to sign-up, into the confirmation email's link
and through the confirmation page, so after confirming their address and signing in the
new user is on the registration page, not on a home with nothing in it.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import OutboundEmail

pytestmark = pytest.mark.django_db
PASSWORD = "correct-horse-battery"
REGISTER = "/suppliers/register/"


def sign_up(client, email: str, next_url: str | None):
    data = {"full_name": "Sam Supplier", "email": email, "password1": PASSWORD}
    data["password2"] = PASSWORD
    if next_url is not None:
        data["next"] = next_url
    return client.post(reverse("account_signup"), data)


def confirmation_link(email: str) -> str:
    body = OutboundEmail.objects.get(to=email).body
    (link,) = re.findall(r"https?://\S+/account/confirm-email/\S+", body)
    return link


def test_register_your_organisation_continues_after_confirming_the_email(client):
    # Anonymous: "Register your organisation" asks them to sign in first.
    start = client.get(REGISTER)
    assert start.status_code == 302
    login_url = start.url
    assert parse_qs(urlsplit(login_url).query)["next"] == [REGISTER]
    # The sign-in page's "create an account" link carries next on.
    login_page = client.get(login_url).content.decode()
    signup_href = re.search(r'href="(/account/signup/[^"]*)"', login_page).group(1)
    assert parse_qs(urlsplit(signup_href.replace("&amp;", "&")).query)["next"] == [REGISTER]
    signup_page = client.get(signup_href.replace("&amp;", "&")).content.decode()
    assert f'<input type="hidden" name="next" value="{REGISTER}">' in signup_page

    response = sign_up(client, "sam@kestrel.example", REGISTER)
    assert response.status_code == 302
    link = confirmation_link("sam@kestrel.example")
    assert parse_qs(urlsplit(link).query)["next"] == [REGISTER]

    # Opened in another browser (no session): the page still knows where to go next.
    browser = Client()
    page = browser.get(link).content.decode()
    assert f'<input type="hidden" name="next" value="{REGISTER}">' in page
    confirmed = browser.post(urlsplit(link).path, {"next": REGISTER})
    assert confirmed.status_code == 302
    assert confirmed.url == REGISTER
    # Not signed in yet: registration asks for sign-in, keeping next, then continues.
    to_login = browser.get(confirmed.url)
    assert to_login.status_code == 302
    assert parse_qs(urlsplit(to_login.url).query)["next"] == [REGISTER]
    signed_in = browser.post(
        reverse("account_login"),
        {"login": "sam@kestrel.example", "password": PASSWORD, "next": REGISTER},
    )
    assert signed_in.status_code == 302
    assert signed_in.url == REGISTER
    registration = browser.get(REGISTER)
    assert registration.status_code == 200
    assert "Register your organisation" in registration.content.decode()


def test_without_next_the_link_is_plain_and_confirming_leads_to_sign_in(client):
    sign_up(client, "pat@kestrel.example", None)
    link = confirmation_link("pat@kestrel.example")
    assert "?" not in link
    confirmed = Client().post(link)
    assert confirmed.status_code == 302
    assert confirmed.url == reverse("account_login")


@pytest.mark.parametrize("unsafe", ["https://evil.example/", "//evil.example/x"])
def test_an_unsafe_next_is_not_carried_into_the_email(client, unsafe):
    sign_up(client, "jo@kestrel.example", unsafe)
    link = confirmation_link("jo@kestrel.example")
    assert "evil" not in link
    confirmed = Client().post(link, {"next": unsafe})
    assert "evil" not in confirmed.url
