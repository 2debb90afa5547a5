"""``Authorization: Bearer <token>`` for the API (tokens from accounts.tokens)."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from accounts import tokens


class BearerTokenAuthentication(authentication.BaseAuthentication):
    """A personal API token. Unknown, malformed or revoked tokens get a 401.

    A request with no ``Authorization: Bearer`` header is left to the next class (session).
    """

    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request)
        if not header:
            return None
        parts = header.split()
        if not parts or parts[0].lower() != self.keyword.lower().encode():
            return None  # another scheme (Basic, …): not ours
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(
                "Send the token as `Authorization: Bearer <token>`.", code="authentication_failed"
            )
        try:
            raw = parts[1].decode("ascii")
        except UnicodeError:
            raw = ""
        token = tokens.token_for_key(raw) if raw else None
        if token is None:
            raise exceptions.AuthenticationFailed(
                "This token is not valid or was revoked.", code="authentication_failed"
            )
        return token.user, token

    def authenticate_header(self, request) -> str:
        return f'{self.keyword} realm="api"'


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.authentication.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A personal API token from the API access page of your account "
            "(`Authorization: Bearer tm_…`). Read-scoped tokens cannot write.",
        }
