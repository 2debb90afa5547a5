"""/api/v1/reference/: the API reference, server-rendered from the OpenAPI schema.

Swagger UI (/api/v1/docs/) shows nothing without JavaScript and fails axe, so this page is
the primary docs: every operation of the schema with its method, path, summary, parameters
and answers. Its accessibility is checked in a real browser (tests/browser/test_api_docs.py).
"""

from __future__ import annotations

import html
import re

import pytest
from django.urls import reverse

from core.api import reference
from tests.helpers import assert_no_raw_codes

pytestmark = pytest.mark.django_db

METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture
def schema(client):
    response = client.get("/api/v1/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


def _blocks(page: str) -> dict[str, str]:
    """Each operation's part of the page, by "METHOD /path"."""
    parts = re.split(r'(?=<div class="app-api-operation)', page)
    blocks = {}
    for part in parts[1:]:
        key = html.unescape(re.search(r'data-operation="([^"]+)"', part).group(1))
        assert key not in blocks, f"{key} is on the page twice"
        blocks[key] = part
    return blocks


def test_every_operation_in_the_schema_is_on_the_page(client, schema):
    response = client.get("/api/v1/reference/")
    assert response.status_code == 200
    blocks = _blocks(response.content.decode())
    expected = {
        f"{method.upper()} {path}"
        for path, item in schema["paths"].items()
        for method in item
        if method in METHODS
    }
    assert len(expected) > 40
    assert set(blocks) == expected
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method not in METHODS:
                continue
            block = html.unescape(blocks[f"{method.upper()} {path}"])
            assert f'<code class="app-api-path">{path}</code>' in block
            assert operation["summary"] in block, (method, path)
            for parameter in operation.get("parameters", []):
                assert f"<code>{parameter['name']}</code>" in block, (method, path, parameter)
            for code in operation["responses"]:
                assert f'<th scope="row" class="govuk-table__header">{code}</th>' in block
            if "requestBody" in operation:
                assert "Request body: application/json" in block, (method, path)


def test_operations_are_grouped_by_tag_with_a_contents_list(client, schema):
    page = html.unescape(client.get("/api/v1/reference/").content.decode())
    tags = {
        (operation.get("tags") or [""])[0]
        for item in schema["paths"].values()
        for method, operation in item.items()
        if method in METHODS
    }
    for tag in tags:
        anchor = f"tag-{tag or 'start'}"
        assert f'<h2 class="govuk-heading-l govuk-!-margin-top-8" id="{anchor}">' in page
        assert f'href="#{anchor}"' in page
    suppliers = page.split('id="tag-suppliers"')[1].split("<h2 ")[0]
    assert 'data-operation="GET /api/v1/suppliers/"' in suppliers
    assert "Search published suppliers" in suppliers


def test_descriptions_show_code_as_code_and_no_enum_dumps(client):
    page = client.get("/api/v1/reference/").content.decode()
    # drf-spectacular's "* `code` - label" choice lists are left to the schema...
    assert "* `" not in html.unescape(page)
    assert "one of 12 values" in page  # ...the page counts them (the 12 ITL1 regions)
    assert "<code>/api/v1/suppliers/?capability=penetration-testing</code>" in page
    assert_no_raw_codes(page)  # codes appear only as code, as on every page of the site


def test_a_description_is_escaped_before_it_becomes_html():
    assert reference._text("Use `<b>` & <i>x</i>\n\n* `a` - A") == (
        "Use <code>&lt;b&gt;</code> &amp; &lt;i&gt;x&lt;/i&gt;"
    )


def test_the_schema_is_built_once_per_process(client, django_assert_num_queries):
    reference.reference.cache_clear()
    first = reference.reference()
    assert reference.reference() is first
    client.get("/api/v1/reference/")  # warm the session and anything else per request
    # Building the schema reads reference data (the enum filters); the cached page does not.
    with django_assert_num_queries(0):
        assert client.get("/api/v1/reference/").status_code == 200


def test_the_reference_is_linked_from_the_api_page_the_api_root_and_swagger(client):
    url = reverse("api-reference")
    assert url == "/api/v1/reference/"
    assert f'href="{url}"' in client.get("/api/").content.decode()
    assert f'href="{url}"' in client.get("/api/v1/docs/").content.decode()
    assert client.get("/api/v1/").json()["reference"] == "http://testserver" + url
