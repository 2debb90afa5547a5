"""The base views every API endpoint inherits from."""

from __future__ import annotations

from rest_framework import exceptions, viewsets
from rest_framework.views import APIView

from core.api.permissions import ALLOW_ANY, ActionPermission, ObjectRule, PermissionRule
from core.querystring import NUL, check_query_params


class ApiMixin:
    """What every API view shares: action permissions and the query-string guard."""

    permission_classes = [ActionPermission]
    action_permissions: dict[str, PermissionRule] = {}
    object_permissions: dict[str, ObjectRule] = {}

    def initial(self, request, *args, **kwargs):
        # No slug, code or ocid holds a NUL byte (PostgreSQL cannot even compare one).
        if any(NUL in str(value) for value in kwargs.values()):
            raise exceptions.NotFound()
        check_query_params(request)
        super().initial(request, *args, **kwargs)


class ApiView(ApiMixin, APIView):
    """A single-purpose endpoint (``get``/``post``…). ``action`` is the lower-case method."""


class ApiViewSet(ApiMixin, viewsets.GenericViewSet):
    """Mix in DRF's ``mixins.*`` you need, or write the actions to call services."""


class ReadOnlyApiViewSet(ApiMixin, viewsets.ReadOnlyModelViewSet):
    action_permissions = {"list": ALLOW_ANY, "retrieve": ALLOW_ANY}
