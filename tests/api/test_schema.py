"""The OpenAPI schema at /api/v1/schema/ is valid and complete; the docs need no CDN."""

from __future__ import annotations

import re

import pytest
from drf_spectacular.validation import validate_schema

pytestmark = pytest.mark.django_db

ERRORS = {"400", "401", "403", "404", "429"}


@pytest.fixture
def schema(client):
    response = client.get("/api/v1/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


def _operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in {"get", "post", "put", "patch", "delete"}:
                yield path, method, operation


def _resolve(schema, node):
    while "$ref" in node:
        name = node["$ref"].split("/")[-1]
        node = schema["components"]["schemas"][name]
    return node


def test_the_schema_is_valid_openapi_3(schema):
    assert schema["openapi"].startswith("3.")
    validate_schema(schema)


def test_every_operation_documents_every_error_with_an_example(schema):
    for path, method, operation in _operations(schema):
        responses = operation["responses"]
        expected = ERRORS | ({"409"} if method != "get" else set())
        assert expected <= set(responses), (method, path, sorted(responses))
        for code in expected:
            content = responses[code]["content"]["application/json"]
            assert content["schema"] == {"$ref": "#/components/schemas/Error"}, (method, path)
            example = next(iter(content["examples"].values()))["value"]
            assert example["error"]["status"] == int(code)
        assert "Retry-After" in responses["429"]["headers"]
        assert operation.get("summary") or operation.get("description"), (method, path)


def test_the_error_component_is_the_one_shape(schema):
    error = _resolve(schema, schema["components"]["schemas"]["Error"])
    detail = _resolve(schema, error["properties"]["error"])
    assert set(detail["required"]) == {"status", "code", "message"}
    assert "fields" in detail["properties"]


def test_lists_document_cursor_pagination(schema):
    registry = [
        "/api/v1/suppliers/",
        "/api/v1/my/suppliers/",
        "/api/v1/capabilities/",
        "/api/v1/regions/",
        "/api/v1/certifications/",
        "/api/v1/frameworks/",
    ]
    for path in registry:
        operation = schema["paths"][path]["get"]
        parameters = {p["name"]: p["schema"] for p in operation["parameters"]}
        assert parameters["page_size"]["maximum"] == 100, path
        assert parameters["cursor"]["pattern"], path
        page = _resolve(
            schema, operation["responses"]["200"]["content"]["application/json"]["schema"]
        )
        assert {"next", "previous", "results"} <= set(page["properties"]), path


def test_supplier_search_parameters_are_the_web_pages(schema):
    operation = schema["paths"]["/api/v1/suppliers/"]["get"]
    names = {p["name"] for p in operation["parameters"]}
    assert {"q", "capability", "region", "sme", "certification", "framework", "ordering"} <= names
    region = next(p for p in operation["parameters"] if p["name"] == "region")
    assert "TLI" in region["schema"]["items"]["enum"]
    q = next(p for p in operation["parameters"] if p["name"] == "q")
    assert q["schema"]["maxLength"] == 200 and q["schema"]["pattern"]


def test_public_reads_need_no_credentials_and_writes_do(schema):
    assert {} in schema["paths"]["/api/v1/suppliers/"]["get"]["security"]
    assert {} not in schema["paths"]["/api/v1/my/suppliers/"]["post"]["security"]
    assert schema["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


def test_swagger_ui_is_served_from_local_static_files(client):
    page = client.get("/api/v1/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets and not [a for a in assets if a.startswith(("http:", "https:", "//"))]
    assert any("drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in a for a in assets)
    script = next(a for a in assets if a.endswith("swagger-ui-bundle.js"))
    assert client.get(script).status_code == 200


def test_an_edit_held_for_review_is_documented_as_a_202(schema):
    operation = schema["paths"]["/api/v1/my/suppliers/{slug}/"]["patch"]
    assert {"200", "202"} <= set(operation["responses"])
    accepted = operation["responses"]["202"]
    assert "review" in accepted["description"]
    body = _resolve(schema, accepted["content"]["application/json"]["schema"])
    assert "pending_revision" in body["properties"]


@pytest.mark.parametrize(
    ("path", "name", "value"),
    [
        ("/api/v1/engagement-requests/", "capability", "penetration-testing"),
        ("/api/v1/engagement-requests/", "region", "london"),
        ("/api/v1/engagement-requests/", "public_body", None),
        ("/api/v1/den/proposals/", "capability", "penetration-testing"),
        ("/api/v1/den/proposals/", "public_body", None),
        ("/api/v1/den/lessons/", "public_body", None),
    ],
)
def test_reference_filters_list_the_values_they_accept(schema, api, path, name, value):
    """Every value the schema allows is answered 200; anything else is the documented 400."""
    parameter = next(p for p in schema["paths"][path]["get"]["parameters"] if p["name"] == name)
    enum = parameter["schema"].get("items", parameter["schema"])["enum"]
    value = value or enum[0]
    assert value in enum
    assert api.get(path, {name: value}).status_code == 200
    assert api.get(path, {name: "no-such-code"}).status_code == 400


def test_lessons_do_not_offer_a_status_filter(schema):
    names = {p["name"] for p in schema["paths"]["/api/v1/den/lessons/"]["get"]["parameters"]}
    assert "status" not in names and {"outcome", "public_body", "capability"} <= names


def test_the_schema_builds_without_warnings(tmp_path):
    from django.core.management import call_command

    # --fail-on-warn raises on any warning (duplicate enum names, unresolvable fields, …).
    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml")
    )
    assert (tmp_path / "schema.yaml").stat().st_size > 10_000
