"""API tokens: the services, Bearer authentication and the "API access" pages."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from accounts import tokens
from accounts.models import ApiToken
from core.errors import DomainError
from tests.api.conftest import assert_error

pytestmark = pytest.mark.django_db


# --- services ---------------------------------------------------------------------------------


def test_token_create_stores_only_a_hash_and_returns_the_value_once(owner):
    token, raw = tokens.token_create(actor=owner, name="CRM sync", scope="write")
    assert raw.startswith("tm_") and len(raw) > 40
    stored = ApiToken.objects.get(pk=token.pk)
    assert stored.key_hash == tokens.hash_token(raw) != raw
    assert raw not in {stored.key_hash, stored.name}
    assert raw.startswith(stored.prefix) and len(stored.prefix) == tokens.SHOWN_PREFIX_LENGTH
    assert (stored.user, stored.name, stored.scope) == (owner, "CRM sync", "write")


def test_token_create_refuses_anonymous(anonymous):
    with pytest.raises(PermissionDenied):
        tokens.token_create(actor=anonymous, name="x", scope="read")


@pytest.mark.parametrize(
    ("name", "scope", "field"),
    [
        ("", "read", "name"),
        ("   ", "read", "name"),
        ("x" * 101, "read", "name"),
        ("ok", "admin", "scope"),
    ],
)
def test_token_create_rejects_bad_input_with_field_errors(owner, name, scope, field):
    with pytest.raises(DomainError) as error:
        tokens.token_create(actor=owner, name=name, scope=scope)
    assert field in error.value.message_dict
    assert not ApiToken.objects.exists()


def test_token_names_are_unique_per_user_among_active_tokens(owner, member):
    first, _ = tokens.token_create(actor=owner, name="Sync", scope="read")
    with pytest.raises(DomainError):
        tokens.token_create(actor=owner, name="sync", scope="read")
    tokens.token_create(actor=member, name="Sync", scope="read")  # another user: fine
    tokens.token_revoke(actor=owner, token=first)
    tokens.token_create(actor=owner, name="Sync", scope="read")  # the old one is revoked


def test_token_revoke_by_owner_and_moderator_but_not_by_others(owner, member, moderator, anonymous):
    token, _ = tokens.token_create(actor=owner, name="a", scope="read")
    for outsider in (member, anonymous):
        with pytest.raises(PermissionDenied):
            tokens.token_revoke(actor=outsider, token=token)
    token.refresh_from_db()
    assert token.revoked_at is None
    tokens.token_revoke(actor=moderator, token=token)
    token.refresh_from_db()
    first = token.revoked_at
    assert first is not None
    tokens.token_revoke(actor=owner, token=token)  # twice: the first time is kept
    token.refresh_from_db()
    assert token.revoked_at == first


# --- Bearer authentication --------------------------------------------------------------------


def test_a_valid_token_authenticates_and_records_last_use(api, owner, make_token):
    raw = make_token(owner, "read")
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    response = api.get("/api/v1/regions/")
    assert response.status_code == 200
    token = ApiToken.objects.get(key_hash=tokens.hash_token(raw))
    assert token.last_used_at is not None
    assert timezone.now() - token.last_used_at < tokens.LAST_USED_RESOLUTION


@pytest.mark.parametrize(
    "header",
    ["Bearer tm_not-a-real-token", "Bearer", "Bearer a b", "Bearer \u00e9t\u00e9", "bearer tm_x"],
)
def test_unknown_or_malformed_tokens_are_401_in_the_error_shape(api, header):
    api.credentials(HTTP_AUTHORIZATION=header)
    response = api.get("/api/v1/regions/")
    error = assert_error(response, 401, "authentication_failed")
    assert "Bearer" in response["WWW-Authenticate"]
    assert error["message"]


def test_a_revoked_token_is_401(api, owner, make_token):
    raw = make_token(owner, "write")
    token = ApiToken.objects.get(key_hash=tokens.hash_token(raw))
    tokens.token_revoke(actor=owner, token=token)
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert_error(api.get("/api/v1/regions/"), 401, "authentication_failed")


def test_a_token_of_an_inactive_user_is_401(api, owner, make_token):
    raw = make_token(owner, "read")
    owner.is_active = False
    owner.save(update_fields=["is_active"])
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert_error(api.get("/api/v1/regions/"), 401)


# --- the API access pages ---------------------------------------------------------------------


def test_the_pages_need_a_signed_in_user(client):
    for url in (
        reverse("accounts:api_tokens"),
        reverse("accounts:api_token_create"),
        reverse("accounts:api_token_revoke", args=[1]),
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert "/account/login/" in response["Location"]


def test_create_shows_the_token_once_then_lists_only_its_prefix(client, owner):
    client.force_login(owner)
    page = client.get(reverse("accounts:api_token_create"))
    assert page.status_code == 200
    assert b"govuk-radios" in page.content
    response = client.post(
        reverse("accounts:api_token_create"), {"name": "Nightly sync", "scope": "read"}
    )
    assert response.status_code == 200
    assert (
        response["Cache-Control"].startswith("no-store") or "no-store" in response["Cache-Control"]
    )
    raw = response.context["raw_token"]
    assert raw.encode() in response.content
    token = ApiToken.objects.get(user=owner)
    assert token.key_hash == tokens.hash_token(raw)
    listing = client.get(reverse("accounts:api_tokens"))
    assert b"Nightly sync" in listing.content
    assert token.prefix.encode() in listing.content
    assert raw.encode() not in listing.content


def test_create_with_errors_shows_the_error_summary(client, owner):
    client.force_login(owner)
    response = client.post(reverse("accounts:api_token_create"), {"name": "", "scope": "root"})
    assert response.status_code == 200
    assert b"govuk-error-summary" in response.content
    assert b"Enter a name for the token" in response.content
    assert response.context["form"].errors.keys() == {"name", "scope"}
    assert b"<title>Error: " in response.content
    assert not ApiToken.objects.exists()


def test_a_duplicate_name_is_a_form_error(client, owner):
    tokens.token_create(actor=owner, name="Sync", scope="read")
    client.force_login(owner)
    response = client.post(reverse("accounts:api_token_create"), {"name": "Sync", "scope": "read"})
    assert response.status_code == 200
    assert b"already have a token with this name" in response.content
    assert ApiToken.objects.count() == 1


def test_the_list_shows_only_your_own_tokens(client, owner, member):
    tokens.token_create(actor=member, name="Colleague's token", scope="read")
    client.force_login(owner)
    response = client.get(reverse("accounts:api_tokens"))
    assert b"Colleague" not in response.content
    assert b"You have no API tokens" in response.content


@pytest.mark.parametrize(
    ("who", "allowed"),
    [("owner", True), ("member", False), ("other_owner", False), ("moderator", True)],
)
def test_revoke_page_permissions(client, request, owner, who, allowed):
    token, raw = tokens.token_create(actor=owner, name="Sync", scope="read")
    client.force_login(request.getfixturevalue(who))
    url = reverse("accounts:api_token_revoke", args=[token.pk])
    assert client.get(url).status_code == (200 if allowed else 404)
    response = client.post(url)
    token.refresh_from_db()
    if allowed:
        assert response.status_code == 302
        assert token.revoked_at is not None
    else:
        assert response.status_code == 404
        assert token.revoked_at is None


def test_revoke_by_anonymous_is_sent_to_sign_in(client, owner):
    token, _ = tokens.token_create(actor=owner, name="Sync", scope="read")
    response = client.post(reverse("accounts:api_token_revoke", args=[token.pk]))
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is None


def test_revoked_tokens_stay_listed_as_revoked(client, owner):
    token, _ = tokens.token_create(actor=owner, name="Old", scope="read")
    tokens.token_revoke(actor=owner, token=token)
    client.force_login(owner)
    response = client.get(reverse("accounts:api_tokens"))
    assert b"Revoked" in response.content
