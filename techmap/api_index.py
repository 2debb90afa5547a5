"""GET /api/v1/: where to start: the schema, its docs and a link to each endpoint."""

from __future__ import annotations

import re
from collections.abc import Iterator

from django.urls import URLPattern, URLResolver, reverse
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from core.api.permissions import ALLOW_ANY
from core.api.views import ApiView

# A regex route with any of these takes a parameter (a detail URL): not listed.
_PARAMETER = re.compile(r"[(\[?*+\\{]")


def _route(pattern) -> str | None:
    """The literal route of a URL pattern, or None when it takes a parameter."""
    regex = getattr(pattern, "_regex", None)
    if regex is not None:
        route = regex.removeprefix("^").removesuffix("$").removesuffix("\\Z")
        return None if _PARAMETER.search(route) else route
    route = str(pattern)
    return None if "<" in route else route


def endpoints(patterns, prefix: str = "") -> Iterator[tuple[str, str]]:
    """(name, route below /api/v1/) for every named route without a parameter."""
    for entry in patterns:
        route = _route(entry.pattern)
        if route is None:
            continue
        if isinstance(entry, URLResolver):
            yield from endpoints(entry.url_patterns, prefix + route)
        elif isinstance(entry, URLPattern) and entry.name and prefix + route:
            yield entry.name, prefix + route


@extend_schema(
    summary="Where to start: the schema, its docs and a link to each endpoint",
    responses=inline_serializer(
        "ApiIndex",
        {
            "schema": serializers.URLField(help_text="The OpenAPI 3 schema."),
            "reference": serializers.URLField(
                help_text="The API reference: every operation, as a web page."
            ),
            "docs": serializers.URLField(help_text="The schema as browsable docs."),
            "endpoints": serializers.DictField(
                child=serializers.URLField(),
                help_text="Each endpoint without a parameter, by name.",
            ),
        },
    ),
)
class ApiIndex(ApiView):
    """The API's front door, so ``/api/v1/`` is never a 404."""

    action_permissions = {"get": ALLOW_ANY}

    def get(self, request: Request) -> Response:
        from techmap import api_urls

        base = reverse("api-root")
        links = {
            name: request.build_absolute_uri(base + route)
            for name, route in endpoints(api_urls.urlpatterns)
            if name not in {"api-schema", "api-reference", "api-docs"}
        }
        return Response(
            {
                "schema": request.build_absolute_uri(reverse("api-schema")),
                "reference": request.build_absolute_uri(reverse("api-reference")),
                "docs": request.build_absolute_uri(reverse("api-docs")),
                "endpoints": dict(sorted(links.items())),
            }
        )
