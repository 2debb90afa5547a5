"""Action-to-rule permissions for every API view (see the conventions in core.api)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rest_framework import exceptions, permissions

PermissionRule = Callable[[Any], bool]
ObjectRule = Callable[[Any, Any], bool]


def ALLOW_ANY(user) -> bool:
    return True


def AUTHENTICATED(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active)


def token_scope(request) -> str | None:
    """The scope of the API token the request was made with, or None for session / anonymous."""
    return getattr(request.auth, "scope", None) if request.auth is not None else None


class ActionPermission(permissions.BasePermission):
    """Maps the view's action to a yes/no function of the app's ``permissions.py``.

    ``view.action_permissions = {"list": ALLOW_ANY, "create": can_register_supplier}`` and,
    for object-level rules, ``view.object_permissions = {"update": can_edit_supplier}``.
    Unlisted actions are refused. A read-scoped token never passes an unsafe method.
    """

    message = "You do not have permission to perform this action."

    def _action(self, request, view) -> str:
        action = getattr(view, "action", None)
        return action or request.method.lower()

    def has_permission(self, request, view) -> bool:
        if not hasattr(view, request.method.lower()):
            return True  # no such operation here: let the view answer 405
        if request.method not in permissions.SAFE_METHODS and token_scope(request) == "read":
            raise exceptions.PermissionDenied(
                "This token is read-only: create a token with write scope to make changes.",
                code="token_read_only",
            )
        action = self._action(request, view)
        if action == "metadata":  # OPTIONS
            return True
        # Anonymous callers who are refused get a 401 (DRF's permission_denied decides).
        rule = getattr(view, "action_permissions", {}).get(action)
        return rule is not None and bool(rule(request.user))

    def has_object_permission(self, request, view, obj) -> bool:
        rule = getattr(view, "object_permissions", {}).get(self._action(request, view))
        return rule is None or bool(rule(request.user, obj))
