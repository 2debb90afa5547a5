"""The OpenAPI schema: documented errors on every operation, enum filters, the guard."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.utils import OpenApiExample, OpenApiResponse
from rest_framework import serializers

from core.api.errors import error_body
from core.api.permissions import ALLOW_ANY
from core.api.views import ApiMixin
from core.querystring import MAX_QUERY_VALUE_LENGTH
from core.validators import SINGLE_LINE_PATTERN, NoLineBreaksValidator


def documented_codes(filter_field, queryset: Callable[[], QuerySet], to_field: str):
    """Document a FilterSet's reference-row filter as an enum of the rows' codes.

    ``queryset`` is called when the schema is built (never at import), so the enum is what
    the database holds then: every value the schema allows is a row the filter knows, and
    anything else is the FilterSet's 400. A single-value filter also lists the empty string,
    which (as django-filter does) means "any". Returns ``filter_field`` for a class body::

        region = documented_codes(ModelMultipleChoiceFilter(...), Region.objects.all, "slug")
    """
    from django_filters import MultipleChoiceFilter
    from drf_spectacular.utils import extend_schema_field

    blank_means_any = not isinstance(filter_field, MultipleChoiceFilter)

    class ReferenceCodes(serializers.ChoiceField):
        def __init__(self, **kwargs: Any) -> None:
            codes = queryset().order_by(to_field).values_list(to_field, flat=True)
            choices = [code for code in codes if code]
            super().__init__(
                choices=([""] if blank_means_any else []) + choices,
                allow_blank=blank_means_any,
                **kwargs,
            )

    return extend_schema_field(ReferenceCodes)(filter_field)


class FieldErrorSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable, machine-readable, such as `required`.")
    message = serializers.CharField()


class ErrorDetailSerializer(serializers.Serializer):
    status = serializers.IntegerField(help_text="The HTTP status code, repeated.")
    code = serializers.CharField(
        help_text="Stable, machine-readable: invalid, not_authenticated, authentication_failed, "
        "permission_denied, token_read_only, not_found, method_not_allowed, throttled, …"
    )
    message = serializers.CharField(help_text="For people.")
    fields = serializers.DictField(
        child=FieldErrorSerializer(many=True),
        required=False,
        help_text="Only for field errors: each field (dotted path) with its errors.",
    )


class ErrorSerializer(serializers.Serializer):
    error = ErrorDetailSerializer()


def _example(status: int, code: str, message: str, fields: dict | None = None) -> OpenApiExample:
    return OpenApiExample(
        code, value=error_body(status, code, message, fields), status_codes=[str(status)]
    )


ERROR_RESPONSES: dict[int, OpenApiResponse] = {
    400: OpenApiResponse(
        ErrorSerializer,
        description="The request is not valid: a parameter or field is wrong.",
        examples=[
            _example(
                400,
                "invalid",
                "The request has errors; see fields.",
                {
                    "page_size": [
                        {"code": "invalid", "message": "Enter a whole number from 1 to 100."}
                    ]
                },
            )
        ],
    ),
    401: OpenApiResponse(
        ErrorSerializer,
        description="No credentials, or the token is unknown or revoked.",
        examples=[
            _example(401, "authentication_failed", "This token is not valid or was revoked.")
        ],
    ),
    403: OpenApiResponse(
        ErrorSerializer,
        description="Signed in, but not allowed to do this (or the token is read-only).",
        examples=[
            _example(403, "permission_denied", "You do not have permission to perform this action.")
        ],
    ),
    404: OpenApiResponse(
        ErrorSerializer,
        description="Nothing here, or not visible to you.",
        examples=[_example(404, "not_found", "Not found.")],
    ),
    409: OpenApiResponse(
        ErrorSerializer,
        description="The request clashes with existing data (such as a number already in use).",
        examples=[
            _example(
                409,
                "conflict",
                "The request has errors; see fields.",
                {
                    "companies_house_number": [
                        {"code": "unique", "message": "A supplier with this number already exists."}
                    ]
                },
            )
        ],
    ),
    429: OpenApiResponse(
        ErrorSerializer,
        description="Too many requests: wait for the number of seconds in `Retry-After`.",
        examples=[
            _example(429, "throttled", "Request was throttled. Expected available in 7 seconds.")
        ],
    ),
}


NO_NUL_PATTERN = "^[^\\u0000]*$"


def _document_guard(schema: dict) -> None:
    """A text query parameter: no NUL byte and at most MAX_QUERY_VALUE_LENGTH characters."""
    if schema.get("type") == "array":
        schema = schema.get("items", {})
    if schema.get("type") != "string" or "enum" in schema:
        return
    schema.setdefault("pattern", NO_NUL_PATTERN)
    schema["maxLength"] = min(
        schema.get("maxLength", MAX_QUERY_VALUE_LENGTH), MAX_QUERY_VALUE_LENGTH
    )


class AutoSchema(SpectacularAutoSchema):
    """Adds the error responses (with examples) to every operation of the API."""

    error_codes = (400, 401, 403, 404, 429)

    def get_auth(self):
        # An action open to everyone accepts no credentials too ({} in OpenAPI terms).
        auth = super().get_auth()
        action = getattr(self.view, "action", None) or self.method.lower()
        rule = getattr(self.view, "action_permissions", {}).get(action)
        if rule is ALLOW_ANY and {} not in auth:
            auth.append({})
        return auth

    def get_operation(self, *args, **kwargs):
        operation = super().get_operation(*args, **kwargs)
        if operation and isinstance(self.view, ApiMixin):
            # Document the query-string guard (check_query_params) on every text parameter.
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "query":
                    _document_guard(parameter.get("schema", {}))
        return operation

    def _get_paginator(self):
        # Only a viewset's list action pages its answer: another action that answers a list
        # (a supplier's case studies) answers it whole, without page links or parameters.
        action = getattr(self.view, "action", None)
        if action is not None and action != "list":
            return None
        return super()._get_paginator()

    def _insert_field_validators(self, field, schema):
        super()._insert_field_validators(field, schema)
        if isinstance(field, serializers.CharField) and any(
            isinstance(validator, NoLineBreaksValidator) for validator in field.validators
        ):
            schema["pattern"] = SINGLE_LINE_PATTERN  # one line: it may reach an email subject
        # Every text field refuses a NUL byte (DRF's CharField does, and PostgreSQL could not
        # store it): say so where no pattern, choice or format says more.
        if (
            isinstance(field, serializers.CharField)
            and schema.get("type") == "string"
            and not {"pattern", "enum", "format"} & set(schema)
        ):
            schema["pattern"] = NO_NUL_PATTERN

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        codes = self.error_codes
        if self.method not in ("GET", "HEAD", "OPTIONS"):
            codes = (*codes, 409)  # a write may clash with the current state
        for code in codes:
            key = str(code)
            if key not in responses:
                responses[key] = self._get_response_for_code(ERROR_RESPONSES[code], key)
        responses["429"].setdefault("headers", {})["Retry-After"] = {
            "schema": {"type": "integer"},
            "description": "Seconds to wait before trying again.",
        }
        return responses
