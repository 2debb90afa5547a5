"""The API's one error shape, and the exception handler that gives every error that shape."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.settings import api_settings

API_PREFIX = "/api/v"


# A DomainError whose every error has one of these codes is a 409 Conflict (the request is
# well formed but clashes with the current state, such as a Companies House number in use).
CONFLICT_CODES = {"unique", "conflict"}

# Human messages for the status codes whose DRF message is not already one.
STATUS_CODES = {
    400: "invalid",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    415: "unsupported_media_type",
    429: "throttled",
    500: "server_error",
}


def error_body(
    status: int,
    code: str,
    message: str,
    fields: dict[str, list[dict[str, str]]] | None = None,
) -> dict[str, Any]:
    """The one error shape of the API."""
    error: dict[str, Any] = {"status": status, "code": code, "message": message}
    if fields:
        error["fields"] = fields
    return {"error": error}


def error_response(
    status: int,
    code: str,
    message: str,
    fields: dict[str, list[dict[str, str]]] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    return Response(error_body(status, code, message, fields), status=status, headers=headers)


def _flatten_drf(detail: Any, path: str = "") -> Iterable[tuple[str, str, str]]:
    """Yield (field path, code, message) for a DRF ValidationError detail of any nesting."""
    if isinstance(detail, dict):
        for key, value in detail.items():
            key = str(key)
            yield from _flatten_drf(value, f"{path}.{key}" if path else key)
    elif isinstance(detail, list):
        if all(isinstance(item, (str, exceptions.ErrorDetail)) for item in detail):
            for item in detail:
                yield path, getattr(item, "code", None) or "invalid", str(item)
        else:  # a list serializer: one entry per item, empty dicts for valid items
            for index, item in enumerate(detail):
                yield from _flatten_drf(item, f"{path}.{index}" if path else str(index))
    else:
        yield path, getattr(detail, "code", None) or "invalid", str(detail)


def _fields_and_message(items: Iterable[tuple[str, str, str]]) -> tuple[dict, str]:
    fields: dict[str, list[dict[str, str]]] = {}
    general: list[str] = []
    for field, code, message in items:
        if field in ("", NON_FIELD_ERRORS, api_settings.NON_FIELD_ERRORS_KEY):
            general.append(message)
        else:
            fields.setdefault(field, []).append({"code": code, "message": message})
    if general:
        message = " ".join(general)
    elif fields:
        message = "The request has errors; see fields."
    else:
        message = "The request is not valid."
    return fields, message


def _django_validation_items(error: DjangoValidationError) -> Iterable[tuple[str, str, str]]:
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            for item in errors:
                for message in item.messages:
                    yield field, item.code or "invalid", message
    else:
        for item in error.error_list:
            for message in item.messages:
                yield "", item.code or "invalid", message


def exception_handler(exc: Exception, context: dict) -> Response | None:
    """DRF's EXCEPTION_HANDLER: every error as the one shape (see the module docstring)."""
    from rest_framework.views import set_rollback

    headers: dict[str, str] = {}
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(*(exc.args or ("Not found.",)))
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(*(exc.args or ()))
    elif isinstance(exc, DjangoValidationError):  # DomainError and model validation
        items = list(_django_validation_items(exc))
        fields, message = _fields_and_message(items)
        set_rollback()
        codes = {code for _, code, _ in items}
        if codes and codes <= CONFLICT_CODES:  # it clashes with what is already there
            return error_response(409, "conflict", message, fields)
        code = "invalid"
        if not fields and getattr(exc, "error_list", None) and exc.error_list[0].code:
            code = exc.error_list[0].code
        return error_response(400, code, message, fields)

    if not isinstance(exc, exceptions.APIException):
        return None  # a real bug: Django's handler500 answers (in the shape, under /api/)

    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None) is not None:
        headers["Retry-After"] = str(max(1, int(exc.wait + 0.999)))
    status = exc.status_code
    set_rollback()
    if isinstance(exc, exceptions.ValidationError):
        fields, message = _fields_and_message(_flatten_drf(exc.detail))
        return error_response(status, "invalid", message, fields, headers)
    detail = exc.detail
    if isinstance(detail, (list, dict)):
        fields, message = _fields_and_message(_flatten_drf(detail))
        return error_response(status, exc.default_code, message, fields, headers)
    code = getattr(detail, "code", None) or exc.default_code or STATUS_CODES.get(status, "error")
    return error_response(status, str(code), str(detail), None, headers)


def is_api_request(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIX)


def django_error_response(request: HttpRequest, status: int) -> HttpResponse:
    """Django's handler400/403/404/500 answer for ``/api/v…`` paths (called by techmap.views)."""
    messages = {
        400: "The request could not be understood.",
        403: "You do not have permission to perform this action.",
        404: "Not found.",
        500: "Something went wrong on our side. Try again later.",
    }
    return JsonResponse(
        error_body(status, STATUS_CODES.get(status, "error"), messages.get(status, "Error.")),
        status=status,
    )
