"""Keyset (cursor) pagination for every API list."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import decimal
import json
import logging
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from django.core.exceptions import FieldDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Aggregate, F, Func, OrderBy, Q, QuerySet, Value
from django.db.models.expressions import Col
from rest_framework import exceptions, pagination
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from core.querystring import MAX_QUERY_VALUE_LENGTH

if TYPE_CHECKING:
    from core.search import Correction


def _encode_value(value: Any) -> Any:
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


logger = logging.getLogger(__name__)

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


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
        if raw is None:
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

    def paginate_queryset(self, queryset, request, view=None, *, first_page=None):
        """One page of ``queryset``. ``first_page(limit)``, when given, returns the first
        ``limit`` rows in the queryset's order without a cursor (a caller that can read
        them more cheaply than the ORM can: the supplier search); cursors use the
        queryset."""
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
            if first_page is not None and not decoded:
                rows = list(first_page(self.page_size + 1))
            else:
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


CORRECTED_QUERY_DESCRIPTION = (
    'The words searched when some of `q` were misspelt ("kestrel ledger" for "kestral '
    'leger"), else null. Send `correct=false` to search `q` as typed.'
)


def corrected_query(correction: Correction | None) -> str | None:
    """A search list's ``corrected_query``: the words searched when ``q`` was corrected."""
    return correction.corrected if correction else None


class SearchCursorPagination(CursorPagination):
    """The pages of a list whose ``q`` searches through the shared engine (core.search):
    each page also says what the search corrected, in ``corrected_query``, as
    /api/v1/suppliers/ does. The view's FilterSet keeps its search as ``text_search``
    (a :class:`core.search.TextSearch`), read from the view where
    :class:`core.api.filters.FilterBackend` put the FilterSet."""

    def paginate_queryset(self, queryset, request, view=None):
        search = getattr(getattr(view, "filterset", None), "text_search", None)
        # Already worked out when the rows were filtered: no query of its own.
        self.correction = search.correction if search is not None else None
        return super().paginate_queryset(queryset, request, view)

    def get_paginated_response(self, data):
        response = super().get_paginated_response(data)
        response.data["corrected_query"] = corrected_query(self.correction)
        return response

    def get_paginated_response_schema(self, schema):
        page = super().get_paginated_response_schema(schema)
        page["required"].append("corrected_query")
        page["properties"]["corrected_query"] = {
            "type": "string",
            "nullable": True,
            "description": CORRECTED_QUERY_DESCRIPTION,
            "example": None,
        }
        return page


def page_link(request, **params: Any) -> str:
    """An absolute URL of the current path with ``params`` as its query string."""
    query = urlencode({k: v for k, v in params.items() if v is not None}, doseq=True)
    return request.build_absolute_uri(request.path + (f"?{query}" if query else ""))
