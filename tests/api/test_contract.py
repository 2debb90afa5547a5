"""The API keeps its own contract: schemathesis fuzzes every operation of the live schema.

``schemathesis run`` (the real CLI) against pytest-django's live server, with every check
(no 5xx, documented status codes, content types and headers, bodies matching the schema,
schema-valid input accepted, schema-invalid input — NUL bytes, over-long strings, wrong
types — rejected with a 4xx), a fixed seed and a bounded number of examples per operation.

One case per group of endpoints, so a failure names its owner. A new endpoint routed under
/api/v1/ is fuzzed as soon as its group's pattern matches it.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from accounts import tokens
from suppliers import services
from suppliers.models import Capability, Region, Supplier
from tests import factories

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
SEED = 20260101
MAX_EXAMPLES = 5

GROUPS = {
    # The registry: suppliers, their reference data and "my" suppliers.
    "registry": r"^/api/v1/(suppliers|capabilities|regions|certifications|frameworks|my)/",
    "engagement": r"^/api/v1/engagement-requests/",
    "reporting": r"^/api/v1/(contracts|reports|comparisons)/",
    "den": r"^/api/v1/den/",
}


def _data() -> str:
    """A small registry and a moderator's write token (so the writes are exercised too)."""
    london = Region.objects.get(code="TLI")
    capability = Capability.objects.get(code="penetration-testing")
    for number, name in enumerate(("Kestrel Ledger Systems", "Heron Research", "Osprey Ltd")):
        services.supplier_create(
            actor=None,
            name=name,
            companies_house_number=f"{31000000 + number:08d}",
            size="small",
            status=Supplier.Status.PUBLISHED,
            summary=f"{name}: penetration testing for government.",
            regions=[london],
            capabilities=[capability],
        )
    moderator = factories.ModeratorFactory()
    factories.MembershipFactory(user=moderator, role="owner")
    _, raw = tokens.token_create(actor=moderator, name="contract test", scope="write")
    return raw


@pytest.mark.skipif(not SCHEMATHESIS.exists(), reason="schemathesis is not installed")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("group", list(GROUPS))
def test_the_api_keeps_its_contract(live_server, tmp_path, group):
    token = _data()
    command = [
        str(SCHEMATHESIS),
        "run",
        f"{live_server.url}/api/v1/schema/",
        "--checks",
        "all",
        "--seed",
        str(SEED),
        "--max-examples",
        str(MAX_EXAMPLES),
        "--workers",
        "1",
        "--request-timeout",
        "20",
        "--include-path-regex",
        GROUPS[group],
        "--header",
        f"Authorization: Bearer {token}",
        "--output-truncate",
        "true",
    ]
    result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=280)
    output = result.stdout + result.stderr
    (tmp_path / "schemathesis.txt").write_text(output)
    summary = output[output.find("=== FAILURES") :] if "=== FAILURES" in output else output
    assert result.returncode == 0, summary[-12000:]
    assert "Tested:" in output and "0 failures" not in output.replace("no failures", "")
