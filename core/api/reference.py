"""/api/v1/reference/: the API reference as a server-rendered GOV.UK page.

Built from the same OpenAPI schema as ``/api/v1/schema/`` (drf-spectacular's generator), so
it cannot drift from the API; readable without JavaScript, unlike Swagger UI (``docs/``),
which stays as an extra. Building the schema takes a second or two, so the page's content
is built once per process (the schema changes only with the code, that is on a deploy).
"""

from __future__ import annotations

import functools
import http
import re
from dataclasses import dataclass, field

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

METHODS = ("get", "post", "put", "patch", "delete")
# Section titles for tags that do not read well capitalised; the rest are capitalised.
TAG_TITLES = {"my": "Your suppliers", "den": "Innovation den", "": "Start here"}


# drf-spectacular adds each enum's choices to its description, one "* `code` - label" line
# each: the page says how many values there are instead (the schema lists them).
_CHOICE_LINE = re.compile(r"^\* `[^`]*` - .*$", re.MULTILINE)
_INLINE_CODE = re.compile(r"`([^`]+)`")


def _text(description: str) -> SafeString:
    """A schema description as HTML: without the enum choice lists, `code` in <code>."""
    text = _CHOICE_LINE.sub("", description or "").strip()
    html = _INLINE_CODE.sub(r"<code>\1</code>", escape(text))
    return mark_safe(re.sub(r"\s*\n\s*", " ", html))  # escaped just above


@dataclass(frozen=True)
class Parameter:
    name: str
    where: str  # path, query or header
    type: str
    required: bool
    description: SafeString


@dataclass(frozen=True)
class Response:
    code: str
    description: SafeString


@dataclass(frozen=True)
class Operation:
    id: str
    method: str
    path: str
    summary: str
    description: SafeString
    parameters: list[Parameter] = field(default_factory=list)
    body: str = ""  # the request body's media types and component, if it takes one
    responses: list[Response] = field(default_factory=list)


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    operations: list[Operation]


def _type(schema: dict) -> str:
    if schema.get("type") == "array":
        return f"list of {_type(schema.get('items', {}))}"
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    kind = schema.get("type", "string")
    if schema.get("format"):
        kind = f"{kind} ({schema['format']})"
    if "enum" in schema:
        values = [value for value in schema["enum"] if value not in ("", None)]
        kind = f"{kind}, one of {len(values)} values"
    return kind


def _body(request_body: dict | None) -> str:
    if not request_body:
        return ""
    parts = []
    for media_type, content in request_body.get("content", {}).items():
        component = _type(content.get("schema", {}))
        parts.append(f"{media_type} ({component})")
    return ", ".join(dict.fromkeys(parts))


def _response_description(code: str, response: dict) -> SafeString:
    if response.get("description"):
        return _text(response["description"])
    try:
        return _text(http.HTTPStatus(int(code)).phrase)
    except ValueError:
        return _text("")


def sections_from_schema(schema: dict) -> list[Section]:
    """Every operation of an OpenAPI 3 schema, grouped by (first) tag, in a stable order."""
    by_tag: dict[str, list[Operation]] = {}
    for path, item in schema.get("paths", {}).items():
        for method in METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            parameters = [*item.get("parameters", []), *operation.get("parameters", [])]
            by_tag.setdefault((operation.get("tags") or [""])[0], []).append(
                Operation(
                    id=operation.get("operationId") or f"{method}-{path}",
                    method=method.upper(),
                    path=path,
                    summary=operation.get("summary", ""),
                    description=_text(operation.get("description", "")),
                    parameters=[
                        Parameter(
                            name=parameter["name"],
                            where=parameter.get("in", ""),
                            type=_type(parameter.get("schema", {})),
                            required=bool(parameter.get("required")),
                            description=_text(parameter.get("description", "")),
                        )
                        for parameter in parameters
                    ],
                    body=_body(operation.get("requestBody")),
                    responses=[
                        Response(code, _response_description(code, response))
                        for code, response in sorted(operation.get("responses", {}).items())
                    ],
                )
            )
    return [
        Section(
            id=f"tag-{tag or 'start'}",
            title=TAG_TITLES.get(tag, tag.replace("-", " ").capitalize()),
            operations=by_tag[tag],
        )
        for tag in sorted(by_tag, key=lambda tag: (tag != "", tag))
    ]


@functools.cache
def reference() -> tuple[dict, list[Section]]:
    """The public schema's ``info`` and its sections, built once per process."""
    from drf_spectacular.settings import spectacular_settings

    generator = spectacular_settings.DEFAULT_GENERATOR_CLASS()
    schema = generator.get_schema(request=None, public=True)
    return schema.get("info", {}), sections_from_schema(schema)


def api_reference(request: HttpRequest) -> HttpResponse:
    info, sections = reference()
    return render(request, "api/reference.html", {"info": info, "sections": sections})
