"""The /api/ page: how to get a token, and curl examples that really work."""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
import urllib.request

import pytest

from accounts import tokens
from suppliers import services
from suppliers.models import Region, Supplier
from tests import factories

CURL = shutil.which("curl")


@pytest.mark.django_db
def test_the_page_explains_how_to_get_a_token(client):
    response = client.get("/api/")
    assert response.status_code == 200
    page = response.content.decode()
    assert '<h1 class="govuk-heading-xl">The Techmap API</h1>' in page
    assert "/account/api-tokens/" in page
    assert "Authorization: Bearer $TECHMAP_TOKEN" in html.unescape(page)
    assert "/api/v1/docs/" in page and "/api/v1/schema/" in page


def _examples(page: str) -> list[str]:
    blocks = re.findall(r'app-curl-example"[^>]*><code>(.*?)</code>', page, re.S)
    return [html.unescape(block) for block in blocks]


@pytest.mark.skipif(CURL is None, reason="curl is not installed")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_every_curl_example_works_against_a_live_server(live_server, tmp_path):
    london = Region.objects.get(code="TLI")
    supplier = services.supplier_create(
        actor=None,
        name="Kestrel Ledger Systems",
        companies_house_number="12345678",
        size="small",
        status=Supplier.Status.PUBLISHED,
        summary="Penetration testing for government.",
        regions=[london],
    )
    moderator = factories.ModeratorFactory()
    _, raw = tokens.token_create(actor=moderator, name="curl examples", scope="write")

    with urllib.request.urlopen(f"{live_server.url}/api/") as response:
        page = response.read().decode()
    examples = _examples(page)
    assert len(examples) >= 5
    for command in examples:
        assert command.startswith("curl ")
        assert live_server.url in command
        result = subprocess.run(
            ["bash", "-c", "curl --fail-with-body -sS --max-time 20 " + command[len("curl ") :]],
            cwd=tmp_path,
            env={**os.environ, "TECHMAP_TOKEN": raw},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, (command, result.stdout[:500], result.stderr[:500])
    assert (tmp_path / "techmap-suppliers.csv").read_text(encoding="utf-8-sig").count("\n") == 2
    supplier.refresh_from_db()
    assert supplier.summary == "Secure cloud hosting for the public sector."
