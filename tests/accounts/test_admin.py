"""Django admin for accounts: the pages load, the outbox is read-only and "send now" sends."""

from __future__ import annotations

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import ApiToken, OutboundEmail, User
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(factories.ModeratorFactory(is_superuser=True))
    return client


def test_admin_pages_load(admin_client, civil_servant):
    token = ApiToken.objects.create(user=civil_servant, name="CI", prefix="tm_abc", key_hash="x")
    email = OutboundEmail.objects.create(to="a@example.co.uk", subject="S", body="B")
    for url in [
        reverse("admin:accounts_user_changelist"),
        reverse("admin:accounts_user_changelist") + "?civil_servant=yes",
        reverse("admin:accounts_user_change", args=[civil_servant.pk]),
        reverse("admin:accounts_user_history", args=[civil_servant.pk]),
        reverse("admin:accounts_user_add"),
        reverse("admin:accounts_publicbody_changelist"),
        reverse("admin:accounts_outboundemail_changelist"),
        reverse("admin:accounts_outboundemail_change", args=[email.pk]),
        reverse("admin:accounts_apitoken_changelist"),
        reverse("admin:accounts_apitoken_change", args=[token.pk]),
    ]:
        assert admin_client.get(url).status_code == 200, url


def test_user_list_runs_a_fixed_number_of_queries(admin_client):
    url = reverse("admin:accounts_user_changelist")
    factories.CivilServantFactory()
    with CaptureQueriesContext(connection) as few:
        admin_client.get(url)
    factories.CivilServantFactory.create_batch(6)
    with CaptureQueriesContext(connection) as many:
        admin_client.get(url)
    assert len(many) == len(few)


def test_the_civil_servant_filter(admin_client, civil_servant, owner):
    html = admin_client.get(
        reverse("admin:accounts_user_changelist") + "?civil_servant=yes"
    ).content.decode()
    assert civil_servant.email in html
    assert owner.email not in html


def test_adding_a_user_in_admin(admin_client):
    response = admin_client.post(
        reverse("admin:accounts_user_add"),
        {
            "email": "new.moderator@techmap.example",
            "full_name": "New Moderator",
            "usable_password": "true",
            "password1": "a-long-enough-passphrase",
            "password2": "a-long-enough-passphrase",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert User.objects.get(email="new.moderator@techmap.example").check_password(
        "a-long-enough-passphrase"
    )


def test_outbox_is_read_only(admin_client):
    email = OutboundEmail.objects.create(to="a@example.co.uk", subject="S", body="B")
    html = admin_client.get(
        reverse("admin:accounts_outboundemail_change", args=[email.pk])
    ).content.decode()
    assert 'name="subject"' not in html
    assert admin_client.get(reverse("admin:accounts_outboundemail_add")).status_code == 403


def test_send_now_action_sends_pending_and_failed_emails_once(admin_client):
    pending = OutboundEmail.objects.create(to="a@example.co.uk", subject="Pending", body="B")
    failed = OutboundEmail.objects.create(
        to="b@example.co.uk", subject="Failed", body="B", status="failed", attempts=10
    )
    sent = OutboundEmail.objects.create(
        to="c@example.co.uk", subject="Sent", body="B", status="sent"
    )
    url = reverse("admin:accounts_outboundemail_changelist")
    response = admin_client.post(
        url,
        {"action": "send_now", "_selected_action": [pending.pk, failed.pk, sent.pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert sorted(m.subject for m in mail.outbox) == ["Failed", "Pending"]
    assert set(OutboundEmail.objects.values_list("status", flat=True)) == {"sent"}
    html = response.content.decode()
    assert "Sent 2 email(s)." in html
    assert "1 email(s) had already been sent." in html


def test_revoke_token_action(admin_client, civil_servant):
    token = ApiToken.objects.create(user=civil_servant, name="CI", prefix="tm_abc", key_hash="x")
    admin_client.post(
        reverse("admin:accounts_apitoken_changelist"),
        {"action": "revoke", "_selected_action": [token.pk]},
    )
    token.refresh_from_db()
    assert token.revoked_at is not None
