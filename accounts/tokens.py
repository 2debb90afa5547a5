"""API tokens: create, revoke and look up personal tokens (the service module for tokens).

A token is ``tm_`` followed by 43 URL-safe random characters. Only its SHA-256 hash is
stored; the full value is returned once, by :func:`token_create`, and never again. A token
acts for its user, limited to reads when its scope is ``read``.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from accounts import permissions
from accounts.models import ApiToken, User
from core.errors import DomainError
from core.forms import too_long_message

TOKEN_PREFIX = "tm_"
# How many leading characters of a token are kept in clear, to tell tokens apart in lists.
SHOWN_PREFIX_LENGTH = 11
# last_used_at is written at most this often per token, so reads do not each cost a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)
MAX_ACTIVE_TOKENS = 20


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


@transaction.atomic
def token_create(
    *, actor: User, name: str, scope: str = ApiToken.Scope.READ
) -> tuple[ApiToken, str]:
    """Create a token for ``actor`` and return it with its full value (shown once).

    Before: ``actor`` is an active, signed-in user (anyone with an account may use the API;
    what a token may do is whatever its user may do). After: one more active token whose hash,
    prefix, name and scope are stored. Raises DomainError for a blank or duplicate name, an
    unknown scope or too many active tokens.
    """
    if not permissions.can_manage_api_tokens(actor, actor):
        raise PermissionDenied("Sign in to create an API token.")
    name = (name or "").strip()
    if not name:
        raise DomainError({"name": "Enter a name for the token."}, code="required")
    limit = ApiToken._meta.get_field("name").max_length
    if len(name) > limit:
        raise DomainError({"name": too_long_message("Name", limit)}, code="max_length")
    if scope not in ApiToken.Scope.values:
        raise DomainError({"scope": "Choose read only, or read and write."}, code="invalid_choice")
    # Lock the user's row so two concurrent creations cannot both pass the checks below.
    User.objects.select_for_update().filter(pk=actor.pk).first()
    active = ApiToken.objects.filter(user=actor, revoked_at__isnull=True)
    if active.filter(name__iexact=name).exists():
        raise DomainError({"name": "You already have a token with this name."}, code="unique")
    if active.count() >= MAX_ACTIVE_TOKENS:
        raise DomainError(
            f"You can have up to {MAX_ACTIVE_TOKENS} tokens. Revoke one you no longer use.",
            code="too_many_tokens",
        )
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=actor,
        name=name,
        scope=scope,
        prefix=raw[:SHOWN_PREFIX_LENGTH],
        key_hash=hash_token(raw),
    )
    return token, raw


@transaction.atomic
def token_revoke(*, actor: User, token: ApiToken) -> ApiToken:
    """Revoke ``token``: from now on it is refused with a 401.

    Before: ``actor`` is the token's user or a moderator. After: ``revoked_at`` is set.
    Revoking a revoked token changes nothing (the first time is kept).
    """
    if not permissions.can_revoke_api_token(actor, token):
        raise PermissionDenied("You can only revoke your own tokens.")
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def token_for_key(raw: str) -> ApiToken | None:
    """The active token with this full value, with its user, or None. Marks it used."""
    if not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=hash_token(raw), revoked_at__isnull=True)
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


def tokens_for_user(user: User):
    """The user's tokens, active first, newest first."""
    return ApiToken.objects.filter(user=user).order_by("revoked_at", "-created_at", "-pk")
