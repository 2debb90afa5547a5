"""Repeated failed sign-ins are refused per account and per IP (django-axes), with a GOV.UK
page, and moderators see the attempts and lockouts in admin.

The rest of the suite runs with AXES_ENABLED off (its many sign-ins share 127.0.0.1);
these tests turn it on with a small limit.
"""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.test import override_settings
from django.urls import reverse

from tests import factories

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("_axes_on"),
]

PASSWORD = "correct-horse-battery"
LIMIT = 3


@pytest.fixture
def _axes_on():
    with override_settings(AXES_ENABLED=True, AXES_FAILURE_LIMIT=LIMIT):
        yield


def sign_in(client, email: str, password: str, ip: str = "198.51.100.7"):
    return client.post(
        reverse("account_login"), {"login": email, "password": password}, REMOTE_ADDR=ip
    )


def test_an_account_is_locked_after_repeated_failures_whatever_the_address(client):
    user = factories.UserFactory(email="target@example.co.uk")
    for n in range(LIMIT - 1):
        got = sign_in(client, user.email, "wrong-password", ip=f"198.51.100.{n + 1}")
        assert got.status_code == 200  # the form's own error, not yet a lockout
        assert "govuk-error-summary" in got.content.decode()
    got = sign_in(client, user.email, "wrong-password", ip="198.51.100.50")
    assert got.status_code == 429

    # Now even the right password, from yet another address, is refused: the account is locked.
    got = sign_in(client, "Target@Example.co.uk", PASSWORD, ip="203.0.113.9")
    assert got.status_code == 429
    html = got.content.decode()
    assert "Sorry, you have tried to sign in too many times" in html
    assert "govuk-heading-l" in html
    assert "Wait 15 minutes" in html
    assert "_auth_user_id" not in client.session


def test_one_address_is_locked_after_failures_on_many_accounts(client):
    victim = factories.UserFactory(email="victim@example.co.uk")
    for n in range(LIMIT):
        sign_in(client, f"guess{n}@example.co.uk", "wrong-password", ip="192.0.2.66")
    assert sign_in(client, victim.email, PASSWORD, ip="192.0.2.66").status_code == 429
    # The same account from another address is fine: only that address is locked.
    got = sign_in(client, victim.email, PASSWORD, ip="192.0.2.67")
    assert got.status_code == 302
    assert client.session["_auth_user_id"] == str(victim.pk)


def test_a_forged_forwarded_for_header_does_not_dodge_the_ip_limit(client):
    user = factories.UserFactory(email="someone@example.co.uk")
    for n in range(LIMIT):
        client.post(
            reverse("account_login"),
            {"login": f"guess{n}@example.co.uk", "password": "wrong"},
            REMOTE_ADDR="192.0.2.80",
            HTTP_X_FORWARDED_FOR=f"10.0.0.{n}",
        )
    got = client.post(
        reverse("account_login"),
        {"login": user.email, "password": PASSWORD},
        REMOTE_ADDR="192.0.2.80",
        HTTP_X_FORWARDED_FOR="10.9.9.9",
    )
    assert got.status_code == 429


def test_a_good_sign_in_before_the_limit_clears_the_count(client):
    user = factories.UserFactory(email="forgetful@example.co.uk")
    for _ in range(LIMIT - 1):
        sign_in(client, user.email, "wrong-password")
    assert sign_in(client, user.email, PASSWORD).status_code == 302
    client.logout()
    for _ in range(LIMIT - 1):
        sign_in(client, user.email, "wrong-password")
    assert sign_in(client, user.email, PASSWORD).status_code == 302


def test_admin_sign_in_is_throttled_too(client):
    factories.ModeratorFactory(email="mod@techmap.example")
    for _ in range(LIMIT):
        client.post(
            reverse("admin:login"),
            {"username": "mod@techmap.example", "password": "wrong"},
            REMOTE_ADDR="198.51.100.200",
        )
    got = client.post(
        reverse("admin:login"),
        {"username": "mod@techmap.example", "password": PASSWORD},
        REMOTE_ADDR="198.51.100.201",
    )
    assert got.status_code == 429


def test_moderators_see_attempts_and_lockouts_in_admin(client, admin_client):
    for _ in range(LIMIT):
        sign_in(client, "target@example.co.uk", "wrong-password", ip="198.51.100.99")
    attempt = AccessAttempt.objects.get(username="target@example.co.uk")
    assert attempt.failures_since_start >= LIMIT
    page = admin_client.get(reverse("admin:axes_accessattempt_changelist")).content.decode()
    assert "target@example.co.uk" in page
    assert "198.51.100.99" in page
