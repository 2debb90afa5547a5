"""Django admin for accounts: the pages load, the outbox is read-only and "send now" sends."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts import services
from accounts.models import ApiToken, OutboundEmail, PublicBody, User
from tests import factories
from tests.admin_forms import admin_errors, admin_form_data

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


# --- Public bodies go through accounts.services ---------------------------------------


def test_admin_adds_a_public_body_through_the_service(admin_client):
    data = {
        "name": "  Office  for Tests ",
        "slug": "Office-for-Tests",  # the page fills it in from the name
        "kind": "agency",
        "email_domains": "@Tests.GOV.uk,tests-agency.gov.uk",
    }

    got = admin_client.post(reverse("admin:accounts_publicbody_add"), data)

    assert got.status_code == 302, admin_errors(got)
    body = PublicBody.objects.get(name="Office for Tests")
    assert body.slug == "office-for-tests"
    assert body.email_domains == ["tests.gov.uk", "tests-agency.gov.uk"]
    assert body.history.first().history_change_reason == "Public body added"


def test_admin_edit_of_a_public_body_is_refused_by_the_service(admin_client):
    factories.PublicBodyFactory(name="Cabinet Office")
    body = factories.PublicBodyFactory(name="Home Office")
    url = reverse("admin:accounts_publicbody_change", args=[body.pk])
    data = admin_form_data(admin_client, url) | {
        "name": "cabinet office",  # the same name in another case
        "email_domains": "not a domain",
        "from_public_records": "on",  # read-only: ignored
    }

    errors = admin_errors(admin_client.post(url, data))

    assert "A public body with that name already exists" in errors
    assert "Enter domains such as cabinetoffice.gov.uk" in errors
    body.refresh_from_db()
    assert (body.name, body.from_public_records) == ("Home Office", False)


def test_admin_corrects_a_public_body_with_history(admin_client):
    body = factories.PublicBodyFactory(name="Home Office")
    url = reverse("admin:accounts_publicbody_change", args=[body.pk])
    data = admin_form_data(admin_client, url) | {"email_domains": "homeoffice.gov.uk"}

    assert admin_client.post(url, data).status_code == 302
    body.refresh_from_db()
    assert body.email_domains == ["homeoffice.gov.uk"]
    assert body.history.first().history_change_reason == "Public body changed"


@pytest.mark.parametrize("persona", ["owner", "member", "civil_servant", "anonymous"])
def test_only_moderators_manage_public_bodies(request, persona):
    actor = request.getfixturevalue(persona)
    body = factories.PublicBodyFactory(name="Home Office")
    with pytest.raises(PermissionDenied):
        services.public_body_create(actor=actor, name="Shadow Office")
    with pytest.raises(PermissionDenied):
        services.public_body_update(actor=actor, public_body=body, name="Renamed")
    assert not PublicBody.objects.filter(name__in=["Shadow Office", "Renamed"]).exists()


def test_moderator_manages_public_bodies(moderator):
    body = services.public_body_create(actor=moderator, name="Office for Tests")
    services.public_body_update(actor=moderator, public_body=body, kind="agency")
    body.refresh_from_db()
    assert (body.slug, body.kind) == ("office-for-tests", "agency")
