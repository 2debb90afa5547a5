"""The conventions of Techmap's public API (``/api/v1/``). Every app's endpoints follow them.

How to add an endpoint (engagement, reporting, den, …)
======================================================

1. **Where.** Views live in ``<app>/api.py``, serializers in ``<app>/serializers.py``. Register
   the routes in ``techmap/api_urls.py`` (one ``router.register(...)`` or ``path(...)`` line per
   resource, with a ``basename``). URLs are plural nouns with hyphens
   (``engagement-requests/``); detail URLs use a stable public key (slug, code, ocid), never a
   guessable sequence where a slug exists.

2. **Base classes.** Inherit from :class:`ApiViewSet`, :class:`ReadOnlyApiViewSet` or
   :class:`ApiView` below, never from DRF's classes directly. They bring the settings-wide
   authentication (session for the browser, ``Authorization: Bearer <token>``), throttling,
   the query-string guard (a NUL byte or a value longer than :data:`MAX_QUERY_VALUE_LENGTH`
   is a 400) and :class:`ActionPermission`.

3. **Permissions.** Set ``action_permissions`` on the view: a dict from the DRF action
   (``list``, ``retrieve``, ``create``, ``update``, ``partial_update``, ``destroy`` or a custom
   ``@action`` name) to a yes/no function from the app's ``permissions.py``:
   ``fn(user) -> bool``. Object-level rules go in ``object_permissions`` as
   ``fn(user, obj) -> bool``. An action that is not listed is refused (403, or 401 for an
   anonymous caller): nothing is public by accident. Use :data:`ALLOW_ANY` and
   :data:`AUTHENTICATED` for the two common cases. A token whose scope is ``read`` can never
   run an unsafe method, whatever the rule says. The service that the view calls checks the
   permission again (services are the single source of truth; the view check gives an early,
   well-coded 401/403 and documents the rule).

4. **Reads and writes.** Querysets come from the app's selectors (scoped to what the user may
   see, with ``select_related``/``prefetch_related`` done there); writes call the app's
   services with keyword arguments. Validate input with a serializer, then call the service
   with ``serializer.validated_data``; never ``serializer.save()`` onto a model. Services raise
   ``techmap.errors.DomainError`` (answered as 400 with field errors) and Django's
   ``PermissionDenied`` (answered as 403) — let both propagate, the exception handler below
   turns them into the error shape. A DomainError whose errors all have the code ``unique``
   or ``conflict`` is answered 409 (the request clashes with existing data).

5. **Errors.** Every error, from DRF, Django or a service, has ONE shape::

       {"error": {"status": 400, "code": "invalid", "message": "…",
                  "fields": {"name": [{"code": "required", "message": "…"}]}}}

   ``fields`` is present only for field errors; nested fields use dotted paths
   (``case_studies.0.title``). ``code`` is stable and machine-readable; ``message`` is for
   people. Raise DRF exceptions (``ValidationError``, ``NotFound``, …), ``DomainError`` or
   ``PermissionDenied``; never build an error ``Response`` by hand (use :func:`error_response`
   if you really must). Django's own 404/500 under ``/api/v…`` are answered in the same shape
   by :func:`django_error_response` (wired from ``techmap.views``).

6. **Lists** use :class:`CursorPagination` (set by default in settings): keyset pagination on
   the queryset's own ordering plus the primary key as a unique tie-breaker, no ``COUNT(*)``,
   no OFFSET, ``page_size`` from 1 to 100 (default 20; anything else is a 400). Give every
   list queryset an explicit ``order_by`` on columns or annotations (annotate an expression,
   then order by its name). A cursor that does not fit the list is a 404 ``invalid_cursor``.
   The page shape is ``{"next": url|null, "previous": url|null, "results": [...]}``.

7. **Query parameters** are declared with a query serializer (see ``SupplierQuerySerializer``)
   or a FilterSet and documented through ``@extend_schema(parameters=[...])``. The schema must
   say exactly what is accepted, both ways: a value of the wrong type is a 400 (never
   silently ignored), and every value the schema allows is answered 2xx/404. So parameters
   that take codes or ids of reference rows are documented as enums (choices read from the
   database when the schema is built), or accept unknown values. Text parameters get the
   NUL/length guard in the schema automatically.

8. **Schema.** drf-spectacular builds ``/api/v1/schema/`` (Swagger UI at ``/api/v1/docs/``,
   served from drf-spectacular-sidecar's static files). The ``AutoSchema`` below adds the
   400/401/403/404/429 error responses, with examples, to every operation (and 409 to every
   write), so only success responses (and extra ones, such as 304) need ``@extend_schema``.
   Give each operation a ``summary``. Two choice fields with the same name (``status``) need
   an entry in ``SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]``.

9. **Throttling** is on for every view: ``anon`` (by IP), ``user`` (browser session) and
   ``token`` (per API token) fixed-window rates from the settings ``API_THROTTLE_*``; the
   answer is a 429 with ``Retry-After``.

10. **Tests** live in ``tests/<app>/test_api.py``: the permission cast (anonymous, read token,
    write token of another organisation, member, owner, moderator) for every write, and a
    pinned query count (``django_assert_max_num_queries``) for every list and detail. The
    schemathesis contract test (``tests/api/test_contract.py``) fuzzes every operation of
    the schema by group: add your paths to a group there.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import decimal
import json
import logging
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlencode

from django.core.exceptions import NON_FIELD_ERRORS, FieldDoesNotExist
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Aggregate, F, Func, OrderBy, Q, QuerySet, Value
from django.db.models.expressions import Col
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from drf_spectacular.utils import OpenApiExample, OpenApiResponse
from rest_framework import exceptions, pagination, permissions, serializers, throttling
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.utils.urls import remove_query_param, replace_query_param

# Only modules that do not import rest_framework.views are imported at the top: the settings
# name classes of this module (permission, throttles, pagination) that rest_framework.views
# itself loads while it is being imported. The base views and the schema class, which need
# rest_framework.views, are built on first use (see __getattr__ at the end).

logger = logging.getLogger(__name__)

API_PREFIX = "/api/v"
MAX_QUERY_VALUE_LENGTH = 500
DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


# --- Errors -----------------------------------------------------------------------------------

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


# --- Query-string guard -----------------------------------------------------------------------


def check_query_params(request) -> None:
    """Refuse what no parameter can mean: NUL bytes and over-long values (a 400 naming them)."""
    fields: dict[str, list[dict[str, str]]] = {}
    for key, values in request.query_params.lists():
        name = key if "\x00" not in key else key.replace("\x00", "\\0")
        if "\x00" in key:
            fields.setdefault(name, []).append(
                {
                    "code": "null_characters_not_allowed",
                    "message": "Null characters are not allowed.",
                }
            )
        for value in values:
            if "\x00" in value:
                fields.setdefault(name, []).append(
                    {
                        "code": "null_characters_not_allowed",
                        "message": "Null characters are not allowed.",
                    }
                )
            elif len(value) > MAX_QUERY_VALUE_LENGTH:
                fields.setdefault(name, []).append(
                    {
                        "code": "max_length",
                        "message": f"Ensure this value has at most {MAX_QUERY_VALUE_LENGTH} "
                        "characters.",
                    }
                )
    if fields:
        raise exceptions.ValidationError(
            {k: [v["message"] for v in vs] for k, vs in fields.items()}
        )


# --- Permissions ------------------------------------------------------------------------------

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


# --- Throttling -------------------------------------------------------------------------------


class _LiveRateThrottle(throttling.SimpleRateThrottle):
    """A fixed-window request counter: one Redis round trip a request.

    The rate is read from the settings at request time (so tests and settings changes
    apply). With Redis as the cache, ``SET key 0 EX window NX`` and ``INCR key`` go in one
    pipeline; the answer is a 429 whose ``Retry-After`` is the time left in the window. With
    another cache backend it falls back to DRF's sliding window.
    """

    cache_format = "api-throttle:%(scope)s:%(ident)s"

    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        # Who is counted first: two of the three throttles skip every request (an anonymous
        # caller has no session user and no token), and need no Redis client for that.
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        client = _redis_client(self.cache)
        if client is None:
            return super().allow_request(request, view)
        key = self.cache.make_key(self.key)
        pipeline = client.pipeline(transaction=False)
        pipeline.set(key, 0, ex=self.duration, nx=True)
        pipeline.incr(key)
        count = pipeline.execute()[1]
        if count <= self.num_requests:
            return True
        self._wait = max(1, client.ttl(key))
        return False

    def wait(self):
        if hasattr(self, "_wait"):
            return self._wait
        return super().wait()


def _redis_client(cache):
    """The redis-py client behind Django's RedisCache, or None for another backend.

    Kept on the backend's client object: Django's ``get_client()`` builds a new
    ``redis.Redis`` (with its table of ~200 response callbacks) on every call, which was a
    visible part of a request's time. The client is thread-safe and shares Django's pool.
    """
    from django.core.cache import cache as default_cache
    from django.core.cache import caches
    from django.core.cache.backends.redis import RedisCache

    if cache is default_cache:  # a proxy: the real backend is the connection's
        cache = caches["default"]
    if not isinstance(cache, RedisCache):
        return None
    backend = cache._cache
    client = getattr(backend, "_techmap_write_client", None)
    if client is None:
        client = backend._techmap_write_client = backend.get_client(write=True)
    return client


class AnonThrottle(_LiveRateThrottle):
    scope = "anon"

    def get_cache_key(self, request, view):
        if request.user and request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class UserThrottle(_LiveRateThrottle):
    """Signed-in users on a browser session."""

    scope = "user"

    def get_cache_key(self, request, view):
        if not (request.user and request.user.is_authenticated) or token_scope(request):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}


class TokenThrottle(_LiveRateThrottle):
    """Each API token has its own budget."""

    scope = "token"

    def get_cache_key(self, request, view):
        if not token_scope(request):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.auth.pk}


# --- Pagination -------------------------------------------------------------------------------


def _encode_value(value: Any) -> Any:
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


class CursorPagination(pagination.CursorPagination):
    """Keyset pagination over the queryset's own ordering, with the primary key as tie-breaker.

    The cursor holds the ordering keys and the values of the last (or first) row shown, so a
    page is one indexed range query, stable while rows are added or removed, with no
    ``COUNT(*)`` and no OFFSET. ``page_size`` is 1–100 (default 20); anything else is a 400.
    A cursor that was not made for this list and ordering is a 404 (code ``invalid_cursor``).
    """

    page_size = DEFAULT_PAGE_SIZE
    max_page_size = MAX_PAGE_SIZE
    page_size_query_param = "page_size"
    page_size_query_description = (
        f"Rows per page, 1 to {MAX_PAGE_SIZE} (default {DEFAULT_PAGE_SIZE})."
    )
    cursor_query_description = "Opaque cursor from a previous page's `next` or `previous` link."
    ordering = ("pk",)
    invalid_cursor_message = "This cursor is not valid for this list: start again from page one."

    # -- request parsing --
    def get_page_size(self, request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None or raw == "":
            return self.page_size
        try:
            size = int(raw)
        except (TypeError, ValueError):
            size = 0
        if not (raw.isascii() and raw.isdigit()) or not 1 <= size <= self.max_page_size:
            raise exceptions.ValidationError(
                {
                    self.page_size_query_param: [
                        f"Enter a whole number from 1 to {self.max_page_size}."
                    ]
                }
            )
        return size

    def _invalid_cursor(self):
        # A 404, as DRF answers: the page the cursor points at does not exist (any more).
        return exceptions.NotFound(self.invalid_cursor_message, code="invalid_cursor")

    def _decode(self, request, keys: list[str]) -> tuple[list[Any], bool] | None:
        raw = request.query_params.get(self.cursor_query_param)
        if not raw:
            return None
        try:
            data = json.loads(base64.urlsafe_b64decode(raw.encode("ascii") + b"==="))
            keys_in_cursor, values, reverse = data["k"], data["v"], bool(data.get("r"))
        except (ValueError, TypeError, KeyError, binascii.Error, UnicodeError):
            raise self._invalid_cursor() from None
        if (
            keys_in_cursor != keys
            or not isinstance(values, list)
            or len(values) != len(keys)
            or any(isinstance(v, str) and "\x00" in v for v in values)
            or any(isinstance(v, (list, dict)) for v in values)
        ):
            raise self._invalid_cursor()
        return values, reverse

    def _encode(self, keys: list[str], values: list[Any], reverse: bool) -> str:
        payload = {"k": keys, "v": [_encode_value(v) for v in values]}
        if reverse:
            payload["r"] = 1
        data = json.dumps(payload, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")

    # -- ordering --
    def _order_keys(self, queryset: QuerySet, view) -> list[tuple[str, bool]]:
        """[(name, descending)] from the queryset's ordering, ending with the primary key."""
        order = list(queryset.query.order_by) or list(
            getattr(view, "ordering", None) or queryset.model._meta.ordering or self.ordering
        )
        keys: list[tuple[str, bool]] = []
        for item in order:
            if isinstance(item, str):
                name, desc = (item[1:], True) if item.startswith("-") else (item, False)
            elif isinstance(item, OrderBy) and isinstance(item.expression, F):
                name, desc = item.expression.name, item.descending
            elif isinstance(item, F):
                name, desc = item.name, False
            else:
                raise TypeError(
                    f"CursorPagination needs an ordering on names or F(); got {item!r}. "
                    "Annotate the expression and order by the annotation."
                )
            if name == "?":
                raise TypeError("CursorPagination cannot page a random ordering.")
            keys.append((name, desc))
        pk_name = queryset.model._meta.pk.name
        if not any(name in ("pk", pk_name) for name, _ in keys):
            keys.append(("pk", False))
        return keys

    @staticmethod
    def _value(obj: Any, name: str) -> Any:
        for part in name.split("__"):
            obj = obj.get(part) if isinstance(obj, dict) else getattr(obj, part)
        return obj

    @staticmethod
    def _nullable(queryset: QuerySet, name: str) -> bool:
        """Whether an ordering key may be NULL (True when in doubt)."""
        model = queryset.model
        if name == "pk":
            return False
        annotation = queryset.query.annotations.get(name)
        if annotation is None:
            try:
                field = model._meta.get_field(name)
            except FieldDoesNotExist:
                return True
            return bool(field.null)

        def nullable(expression) -> bool:
            if isinstance(expression, Col):
                join = queryset.query.alias_map.get(expression.alias)
                return bool(expression.target.null or getattr(join, "nullable", False))
            if isinstance(expression, F):
                try:
                    return bool(model._meta.get_field(expression.name).null)
                except FieldDoesNotExist:
                    return True
            if isinstance(expression, Value):
                return expression.value is None
            if isinstance(expression, Func) and not isinstance(expression, Aggregate):
                sources = expression.get_source_expressions()
                return not sources or any(nullable(source) for source in sources)
            return True

        return nullable(annotation)

    @staticmethod
    def _after(keys: list[tuple[str, bool, bool]], values: list[Any]) -> Q:
        """Rows strictly after ``values`` in the key order: [(name, descending, nullable)].

        Directions may be mixed. NULL sorts as the largest value, as PostgreSQL does by
        default (last ascending, first descending). The first key's bound is repeated on its
        own (``key >= v``) so that an index on the ordering serves it as a range scan.
        """
        result = Q(pk__in=[])
        equal = Q()
        for (name, desc, nullable), value in zip(keys, values, strict=True):
            if value is None:
                later = Q(**{f"{name}__isnull": False}) if desc else Q(pk__in=[])
                same = Q(**{f"{name}__isnull": True})
            else:
                later = Q(**{f"{name}__lt" if desc else f"{name}__gt": value})
                if nullable and not desc:
                    later |= Q(**{f"{name}__isnull": True})
                same = Q(**{name: value})
            result |= equal & later
            equal &= same
        (name, desc, nullable), value = keys[0], values[0]
        if value is not None and (desc or not nullable):
            result &= Q(**{f"{name}__lte" if desc else f"{name}__gte": value})
        return result

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        self.page_size = self.get_page_size(request)
        self.base_url = request.build_absolute_uri()
        keys = self._order_keys(queryset, view)
        names = [name for name, _ in keys]
        self._keys = keys
        decoded = self._decode(request, names)
        reverse = bool(decoded and decoded[1])
        order_by = [f"-{name}" if desc != reverse else name for name, desc in keys]
        queryset = queryset.order_by(*order_by)
        if decoded:
            walk = [(name, desc != reverse, self._nullable(queryset, name)) for name, desc in keys]
            try:
                queryset = queryset.filter(self._after(walk, decoded[0]))
            except (DjangoValidationError, ValueError, TypeError, FieldDoesNotExist):
                raise self._invalid_cursor() from None
        try:
            rows = list(queryset[: self.page_size + 1])
        except (DjangoValidationError, ValueError, TypeError) as error:
            logger.info("invalid cursor values: %s", error)
            raise self._invalid_cursor() from None
        more = len(rows) > self.page_size
        rows = rows[: self.page_size]
        if reverse:
            rows.reverse()
        self.page = rows
        # Going forwards there is a previous page whenever we came from a cursor; going
        # backwards there is always a next page (the one we came from).
        if reverse:
            self.has_next, self.has_previous = bool(decoded), more
        else:
            self.has_next, self.has_previous = more, bool(decoded)
        return rows

    def _link(self, obj: Any, reverse: bool) -> str:
        names = [name for name, _ in self._keys]
        values = [self._value(obj, name) for name in names]
        return replace_query_param(
            self.base_url, self.cursor_query_param, self._encode(names, values, reverse)
        )

    def get_next_link(self) -> str | None:
        if not self.has_next or not self.page:
            return None
        return self._link(self.page[-1], reverse=False)

    def get_previous_link(self) -> str | None:
        if not self.has_previous:
            return None
        if not self.page:
            return remove_query_param(self.base_url, self.cursor_query_param)
        return self._link(self.page[0], reverse=True)

    def get_paginated_response(self, data):
        return Response(
            {"next": self.get_next_link(), "previous": self.get_previous_link(), "results": data}
        )

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["next", "previous", "results"],
            "properties": {
                "next": {
                    "type": "string",
                    "nullable": True,
                    "format": "uri",
                    "description": "The next page, or null on the last page.",
                    "example": "https://techmap.example/api/v1/suppliers/?cursor=eyJrIjpbIm5hbWUiXX0",
                },
                "previous": {
                    "type": "string",
                    "nullable": True,
                    "format": "uri",
                    "description": "The previous page, or null on the first page.",
                    "example": None,
                },
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": self.cursor_query_description,
                "schema": {
                    "type": "string",
                    "maxLength": MAX_QUERY_VALUE_LENGTH,
                    "pattern": "^[A-Za-z0-9_-]*$",
                },
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": self.page_size_query_description,
                "schema": {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": self.max_page_size,
                    "default": self.page_size,
                },
            },
        ]


def page_link(request, **params: Any) -> str:
    """An absolute URL of the current path with ``params`` as its query string."""
    query = urlencode({k: v for k, v in params.items() if v is not None}, doseq=True)
    return request.build_absolute_uri(request.path + (f"?{query}" if query else ""))


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


# --- OpenAPI ----------------------------------------------------------------------------------


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


# --- Base views and the schema class (built on first use) ---------------------------------------


class _ApiMixin:
    permission_classes = [ActionPermission]
    action_permissions: dict[str, PermissionRule] = {}
    object_permissions: dict[str, ObjectRule] = {}

    def initial(self, request, *args, **kwargs):
        check_query_params(request)
        super().initial(request, *args, **kwargs)


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


def _build_lazy() -> dict[str, type]:
    from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
    from rest_framework import viewsets
    from rest_framework.views import APIView

    class ApiView(_ApiMixin, APIView):
        """A single-purpose endpoint (``get``/``post``…). ``action`` is the lower-case method."""

    class ApiViewSet(_ApiMixin, viewsets.GenericViewSet):
        """Mix in DRF's ``mixins.*`` you need, or write the actions to call services."""

    class ReadOnlyApiViewSet(_ApiMixin, viewsets.ReadOnlyModelViewSet):
        action_permissions = {"list": ALLOW_ANY, "retrieve": ALLOW_ANY}

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
            if operation and isinstance(self.view, _ApiMixin):
                # Document the query-string guard (check_query_params) on every text parameter.
                for parameter in operation.get("parameters", []):
                    if parameter.get("in") == "query":
                        _document_guard(parameter.get("schema", {}))
            return operation

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

    for cls in (ApiView, ApiViewSet, ReadOnlyApiViewSet, AutoSchema):
        cls.__module__ = __name__
        cls.__qualname__ = cls.__name__
    return {
        "ApiView": ApiView,
        "ApiViewSet": ApiViewSet,
        "ReadOnlyApiViewSet": ReadOnlyApiViewSet,
        "AutoSchema": AutoSchema,
    }


_LAZY_NAMES = ("ApiView", "ApiViewSet", "ReadOnlyApiViewSet", "AutoSchema")


def __getattr__(name: str):
    if name in _LAZY_NAMES:
        built = _build_lazy()
        globals().update(built)
        return built[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# --- The "API" page in the site ---------------------------------------------------------------


def api_examples(base: str, slug: str) -> list[dict[str, str]]:
    """The curl examples on the API page (tests run every one of them against a live server)."""
    token = '-H "Authorization: Bearer $TECHMAP_TOKEN"'
    return [
        {
            "title": "Search published suppliers",
            "text": "SMEs offering penetration testing in London, 5 a page, with the counts "
            "for each filter.",
            "command": f'curl "{base}/api/v1/suppliers/?q=penetration+testing&region=TLI'
            '&sme=true&page_size=5&facets=true"',
        },
        {
            "title": "Read one supplier",
            "text": "Send the ETag you were given back in If-None-Match: a 304 means nothing "
            "changed.",
            "command": f'curl -i "{base}/api/v1/suppliers/{slug}/"',
        },
        {
            "title": "List the capability codes",
            "text": "Use these codes in the capability filter; regions, certifications and "
            "frameworks work the same way.",
            "command": f'curl "{base}/api/v1/capabilities/?page_size=100"',
        },
        {
            "title": "Download every published supplier",
            "text": "As CSV, in the same format as the bulk import, or as JSON Lines.",
            "command": f'curl -o techmap-suppliers.csv "{base}/api/v1/suppliers/export.csv"',
        },
        {
            "title": "Your own organisations, with a token",
            "text": "Every profile you can edit, including drafts.",
            "command": f'curl {token} "{base}/api/v1/my/suppliers/"',
        },
        {
            "title": "Change a profile, with a read and write token",
            "text": "Changes go through the same checks as the website.",
            "command": f'curl -X PATCH {token} -H "Content-Type: application/json" '
            f'-d \'{{"summary": "Secure cloud hosting for the public sector."}}\' '
            f'"{base}/api/v1/my/suppliers/{slug}/"',
        },
    ]


def api_page(request: HttpRequest) -> HttpResponse:
    """/api/: how to get a token and call the API, with curl examples that work."""
    from suppliers.models import Supplier  # the one example slug; techmap holds no logic

    slug = (
        Supplier.objects.filter(status=Supplier.Status.PUBLISHED)
        .order_by("pk")
        .values_list("slug", flat=True)
        .first()
    ) or "kestrel-ledger-systems"
    base = f"{request.scheme}://{request.get_host()}"
    return render(
        request,
        "api/index.html",
        {"examples": api_examples(base, slug), "base": base, "slug": slug},
    )
