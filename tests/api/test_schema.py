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


# --- What the schema allows is what the server accepts (schemathesis' ST201/ST202) ----------


def _company_number_schema(schema):
    body = _resolve(
        schema,
        schema["paths"]["/api/v1/my/suppliers/"]["post"]["requestBody"]["content"][
            "application/json"
        ]["schema"],
    )
    return body["properties"]["companies_house_number"]


COMPANY_NUMBERS = [
    "01234567", "1234567", "sc 12345", "SC012345", "Sc-1.2", " ni 000 001 ", "R1234567",
    "oc\u20031", "\u017fc1", "\u0131p 1", "1\x1c2", "99999999",
    # refused
    "0", "00000000", "SC000000", "R12345678", "SC1234567", "123456789", "XX123", "GB1", "sc",
    " ", "1\x002", "\uff11", "SC\u200b1", "SC_1",
]  # fmt: skip


def test_the_company_number_pattern_is_the_rule(schema):
    """The documented pattern accepts exactly the spellings the one rule accepts."""
    from suppliers.companies_house import parse_company_number

    field = _company_number_schema(schema)
    assert field["maxLength"] == 20
    pattern = re.compile(field["pattern"])
    for value in COMPANY_NUMBERS:
        expected = parse_company_number(value) is not None
        assert bool(pattern.search(value)) == expected, repr(value)


def test_the_company_number_pattern_agrees_with_the_rule_on_fuzzed_input(schema):
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from suppliers.companies_house import parse_company_number

    pattern = _company_number_schema(schema)["pattern"]
    compiled = re.compile(pattern)
    alphabet = st.sampled_from("0123456789 .-_scSCnNiIrRoOxX\t\n\x1c\xa0\u3000\u017f\u0131\u00df")

    @settings(max_examples=400, deadline=None, database=None)
    @given(st.from_regex(pattern) | st.text(alphabet, max_size=14))
    def agree(value):
        assert bool(compiled.search(value)) == (parse_company_number(value) is not None)

    agree()


def test_the_company_number_length_limit_is_on_what_is_sent(client_for):
    """maxLength is the raw text's: 21 characters that would normalise are still refused."""
    from tests import factories

    client = client_for(factories.UserFactory(), "write")
    body = {
        "name": "Length Ltd",
        "size": "large",
        "companies_house_number": "1 2 3 4 5 6 7 8 . . .",
    }
    response = client.post("/api/v1/my/suppliers/", body, format="json")
    assert response.status_code == 400, response.content
    assert "companies_house_number" in response.json()["error"]["fields"]


def test_text_fields_document_that_a_nul_byte_is_refused(schema, client_for):
    from tests import factories

    body = _resolve(
        schema,
        schema["paths"]["/api/v1/reports/"]["post"]["requestBody"]["content"]["application/json"][
            "schema"
        ],
    )
    contract = body["properties"]["contract"]
    assert not re.search(contract["pattern"], "ocds-abcdef-1\x00")
    assert re.search(contract["pattern"], "ocds-abcdef-1")
    write = _resolve(schema, schema["components"]["schemas"]["SupplierWriteRequest"])
    # A field with a pattern of its own keeps it.
    website = write["properties"]["website"]["oneOf"][0]  # or blank
    assert website["pattern"].startswith("^https?://")
    assert write["properties"]["summary"]["pattern"] == "^[^\\u0000]*$"
    # A name reaches email subjects: the schema says it is one line, as the server checks.
    for name in (write["properties"]["name"], _contract_title(schema)):
        assert re.search(name["pattern"], "Kestrel Ledger")
        for text in ("Kestrel\nLedger", "Kestrel\r\nLedger", "Kestrel\x1eLedger", "K\u2028L"):
            assert not re.search(name["pattern"], text)
    assert re.search(write["properties"]["summary"]["pattern"], "")  # blank allowed
    client = client_for(factories.UserFactory(), "write")
    response = client.post(
        "/api/v1/reports/", {"contract": "ocds-\x00", "period": "2025-Q1"}, format="json"
    )
    assert response.status_code == 400


def _contract_title(schema):
    body = schema["paths"]["/api/v1/contracts/"]["post"]["requestBody"]["content"]
    return _resolve(schema, body["application/json"]["schema"])["properties"]["title"]


def test_a_blank_page_size_is_refused_as_documented(api):
    """The schema says an integer from 1 to 100: an empty value is not one."""
    response = api.get("/api/v1/frameworks/", {"page_size": ""})
    assert response.status_code == 400
    assert "page_size" in response.json()["error"]["fields"]
    assert api.get("/api/v1/frameworks/").status_code == 200


def test_responses_filter_by_any_request_id(schema, client_for):
    """Every integer is a valid filter: one that is not your request gives an empty list (a
    400 would be a schema-valid request refused, and would say which ids exist)."""
    from engagement.models import EngagementRequest
    from tests import factories

    parameter = next(
        p
        for p in schema["paths"]["/api/v1/engagement-responses/"]["get"]["parameters"]
        if p["name"] == "engagement_request"
    )
    assert parameter["schema"]["type"] == "integer"
    client = client_for(factories.UserFactory(), "read")
    missing = (
        EngagementRequest.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    ) + 1
    for value in (missing, 0, -5, 10**30):
        response = client.get("/api/v1/engagement-responses/", {"engagement_request": value})
        assert response.status_code == 200, (value, response.content)
        assert response.json()["results"] == []
    assert (
        client.get("/api/v1/engagement-responses/", {"engagement_request": "1.5"}).status_code
        == 400
    )


def test_only_lists_that_page_are_documented_as_pages(schema):
    """A supplier's case studies are answered whole: an array, with no page parameters."""
    path = "/api/v1/my/suppliers/{slug}/case-studies/"
    for method in ("get", "post"):
        operation = schema["paths"][path][method]
        names = {p["name"] for p in operation.get("parameters", [])}
        assert not {"cursor", "page_size"} & names, method
        code = "200" if method == "get" else "201"
        body = operation["responses"][code]["content"]["application/json"]["schema"]
        assert body["type"] == "array", (method, body)
    for path, method, operation in _operations(schema):
        names = {p["name"] for p in operation.get("parameters", [])}
        ok = operation["responses"].get("200", {}).get("content", {}).get("application/json")
        if (
            ok
            and "$ref" in ok["schema"]
            and ok["schema"]["$ref"].split("/")[-1].startswith("Paginated")
        ):
            assert "cursor" in names, (method, path)


def test_every_list_that_corrects_spelling_documents_what_it_corrected(schema):
    """A list whose search corrects spelling (it takes `correct`) says what it corrected in
    `corrected_query`, documented as the suppliers list does."""
    correcting = []
    for path, method, operation in _operations(schema):
        names = {p["name"] for p in operation.get("parameters", [])}
        if method != "get" or "correct" not in names:
            continue
        assert "q" in names, path
        page = _resolve(
            schema, operation["responses"]["200"]["content"]["application/json"]["schema"]
        )
        field = _resolve(schema, page["properties"].get("corrected_query", {}))
        assert field.get("type") == "string" and field.get("nullable"), path
        assert "misspelt" in field["description"], path
        correcting.append(path)
    assert {
        "/api/v1/suppliers/",
        "/api/v1/engagement-requests/",
        "/api/v1/den/lessons/",
    } <= set(correcting)
