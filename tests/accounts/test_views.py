"""Account pages: sign-up with email verification through the outbox, sign-in, the
public-body choice, password reset and change, email addresses and the profile."""

from __future__ import annotations

import re

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse

from accounts.models import OutboundEmail, PublicBody, User
from tests import factories

pytestmark = pytest.mark.django_db
PASSWORD = "correct-horse-battery"
LINK = re.compile(r"https?://\S+")


def link_in(email: OutboundEmail) -> str:
    links = LINK.findall(email.body)
    assert len(links) == 1, email.body
    return links[0]


def sign_up(client, email: str, password: str = PASSWORD, **extra):
    data = {"full_name": "Pat Doe", "email": email, "password1": password, "password2": password}
    return client.post(reverse("account_signup"), data | extra)


def test_sign_up_confirm_through_the_emailed_link_and_become_a_civil_servant(client):
    response = sign_up(client, "Pat.Doe@CabinetOffice.gov.uk")
    assert response.status_code == 302
    assert response.url == reverse("account_email_verification_sent")
    user = User.objects.get(email="pat.doe@cabinetoffice.gov.uk")
    assert user.full_name == "Pat Doe"
    assert not user.is_civil_servant

    # The email is in the outbox (sent by Celery after commit), with one link in it.
    email = OutboundEmail.objects.get(to="pat.doe@cabinetoffice.gov.uk")
    assert email.subject == "Techmap: Confirm your email address"
    url = link_in(email)
    assert "/account/confirm-email/" in url

    page = client.get(url)
    assert page.status_code == 200
    assert b"Confirm email address" in page.content
    assert b"pat.doe@cabinetoffice.gov.uk" in page.content
    confirmed = client.post(url)
    assert confirmed.status_code == 302
    user.refresh_from_db()
    assert user.is_civil_servant
    assert EmailAddress.objects.get(user=user).verified

    # Signing in sends a new civil servant to choose a public body first.
    response = client.post(
        reverse("account_login"), {"login": "pat.doe@cabinetoffice.gov.uk", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response.url == reverse("accounts:public_body")


def test_a_used_or_wrong_confirmation_link_explains_itself(client):
    response = client.get("/account/confirm-email/not-a-real-key/")
    assert response.status_code == 200
    assert b"This link has expired or does not work" in response.content


def test_a_supplier_sign_up_is_an_ordinary_user(client):
    sign_up(client, "sam@kestrel.example")
    url = link_in(OutboundEmail.objects.get(to="sam@kestrel.example"))
    client.post(url)
    user = User.objects.get(email="sam@kestrel.example")
    assert EmailAddress.objects.get(user=user).verified
    assert not user.is_civil_servant

    response = client.post(
        reverse("account_login"), {"login": "sam@kestrel.example", "password": PASSWORD}
    )
    assert response.url == reverse("user_home")
    home = client.get(response.url)
    assert b"/suppliers/register/" in home.content
    assert client.get(reverse("accounts:public_body")).status_code == 403


def test_a_lookalike_domain_is_not_a_civil_servant(client):
    sign_up(client, "someone@evilgov.uk")
    client.post(link_in(OutboundEmail.objects.get(to="someone@evilgov.uk")))
    assert not User.objects.get(email="someone@evilgov.uk").is_civil_servant


def test_sign_up_errors_are_summarised_and_shown_by_the_fields(client):
    response = sign_up(client, "not-an-email", password="short", password2="different")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<title>Error: Create an account" in html
    assert 'class="govuk-error-summary"' in html
    assert '<a href="#id_email">Enter an email address in the correct format' in html
    assert 'href="#id_password1"' in html
    assert "govuk-form-group--error" in html
    assert not User.objects.exists()
    assert not OutboundEmail.objects.exists()


def test_sign_up_with_missing_fields_says_what_to_enter(client):
    response = client.post(reverse("account_signup"), {})
    html = response.content.decode()
    for message in ("Enter your full name", "Enter your email address", "Enter a password"):
        assert message in html


def test_signing_up_twice_with_one_address_does_not_make_a_second_account(client):
    factories.UserFactory(email="taken@example.co.uk")
    response = sign_up(client, "TAKEN@example.co.uk")
    assert User.objects.filter(email__iexact="taken@example.co.uk").count() == 1
    # allauth does not reveal that the account exists: it emails its owner instead.
    assert response.status_code in (200, 302)


def test_sign_in_with_a_wrong_password_shows_an_error_summary(client):
    user = factories.UserFactory()
    response = client.post(reverse("account_login"), {"login": user.email, "password": "wrong"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "<title>Error: Sign in" in html
    assert 'class="govuk-error-summary"' in html
    assert '<a href="#id_login">' in html


def test_signing_in_with_an_unconfirmed_address_sends_a_new_link(client):
    user = factories.UserFactory(verified=False)
    EmailAddress.objects.create(user=user, email=user.email, verified=False, primary=True)
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response.url == reverse("account_email_verification_sent")
    assert OutboundEmail.objects.filter(to=user.email).count() == 1


def test_choosing_a_public_body(client):
    user = factories.CivilServantFactory(public_body=None, email="jo@cabinetoffice.gov.uk")
    cabinet_office = PublicBody.objects.get(slug="cabinet-office")
    client.force_login(user)

    page = client.get(reverse("accounts:public_body"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Which public body do you work for?" in html
    # The address suggests the body; the user still confirms it.
    assert f'<option value="{cabinet_office.pk}" selected>' in html

    response = client.post(reverse("accounts:public_body"), {"public_body": cabinet_office.pk})
    assert response.status_code == 302
    assert response.url == reverse("user_home")
    user.refresh_from_db()
    assert user.public_body == cabinet_office

    home = client.get(response.url).content.decode()
    assert "Your Techmap" in home
    assert "Cabinet Office" in home


def test_choosing_no_public_body_is_an_error_not_a_500(client):
    user = factories.CivilServantFactory(public_body=None)
    client.force_login(user)
    for data in ({}, {"public_body": "999999"}, {"public_body": "nonsense"}):
        response = client.post(reverse("accounts:public_body"), data)
        assert response.status_code == 200
        html = response.content.decode()
        assert 'class="govuk-error-summary"' in html
        assert "Choose" in html
    user.refresh_from_db()
    assert user.public_body is None


def test_public_body_page_keeps_next_only_when_it_is_on_this_site(client):
    body = factories.PublicBodyFactory()
    user = factories.CivilServantFactory(public_body=None, email=f"jo@{body.email_domains[0]}")
    client.force_login(user)
    url = reverse("accounts:public_body")
    response = client.post(url, {"public_body": body.pk, "next": "/engagement/"})
    assert response.url == "/engagement/"
    response = client.post(url, {"public_body": body.pk, "next": "https://evil.example/"})
    assert response.url == reverse("user_home")


def test_public_body_page_needs_sign_in(client):
    response = client.get(reverse("accounts:public_body"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_password_reset_through_the_emailed_link(client):
    user = factories.UserFactory(email="forgetful@example.co.uk")
    response = client.post(reverse("account_reset_password"), {"email": "Forgetful@example.co.uk"})
    assert response.status_code == 302
    email = OutboundEmail.objects.get(to="forgetful@example.co.uk")
    assert email.subject == "Techmap: Reset your password"

    page = client.get(link_in(email), follow=True)
    assert page.status_code == 200
    assert b"Choose a new password" in page.content
    form_url = page.redirect_chain[-1][0] if page.redirect_chain else link_in(email)
    response = client.post(
        form_url, {"password1": "a-brand-new-passphrase", "password2": "a-brand-new-passphrase"}
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("a-brand-new-passphrase")
    done = client.get(response.url)
    assert b"Your password has been reset" in done.content


def test_password_reset_for_an_unknown_address_reveals_nothing(client):
    response = client.post(reverse("account_reset_password"), {"email": "nobody@example.co.uk"})
    assert response.status_code == 302
    assert client.get(response.url).status_code == 200


def test_password_change(client):
    user = factories.UserFactory()
    client.force_login(user)
    response = client.post(
        reverse("account_change_password"),
        {"oldpassword": "wrong", "password1": "another-passphrase", "password2": "x"},
    )
    html = response.content.decode()
    assert "<title>Error: Change your password" in html
    assert 'href="#id_oldpassword"' in html
    assert "govuk-input--error" in html

    response = client.post(
        reverse("account_change_password"),
        {
            "oldpassword": PASSWORD,
            "password1": "another-passphrase",
            "password2": "another-passphrase",
        },
    )
    assert response.status_code == 302
    assert response.url == reverse("accounts:profile")
    user.refresh_from_db()
    assert user.check_password("another-passphrase")


def test_adding_a_gov_address_later_makes_a_civil_servant(client):
    user = factories.UserFactory(email="pat@supplier.example")
    client.force_login(user)
    page = client.get(reverse("account_email"))
    assert page.status_code == 200
    assert b"Your email addresses" in page.content
    client.post(reverse("account_email"), {"email": "pat@dwp.gov.uk", "action_add": ""})
    email = OutboundEmail.objects.get(to="pat@dwp.gov.uk")
    client.post(link_in(email))
    user.refresh_from_db()
    assert user.is_civil_servant


@pytest.mark.parametrize(
    ("cast", "shows", "hides"),
    [
        ("civil_servant", ["Civil servant, since", "Public body", "Search and compare"], []),
        # An owner's account links to their organisation, not to registering another.
        ("owner", ["Supplier user", "/manage/"], ["Public body", "/suppliers/register/"]),
        ("moderator", ["Moderator", "/admin/"], ["Public body", "/suppliers/register/"]),
    ],
)
def test_profile_shows_the_role(request, client, cast, shows, hides):
    user = request.getfixturevalue(cast)
    client.force_login(user)
    html = client.get(reverse("accounts:profile")).content.decode()
    assert user.email in html
    for text in shows:
        assert text in html
    for text in hides:
        assert text not in html


def test_sign_out_is_a_post(client):
    user = factories.UserFactory()
    client.force_login(user)
    page = client.get(reverse("account_logout"))
    assert page.status_code == 200
    assert b"Are you sure you want to sign out" in page.content
    client.post(reverse("account_logout"))
    assert "_auth_user_id" not in client.session
