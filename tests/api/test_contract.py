"""The API keeps its own contract: schemathesis fuzzes every operation of the live schema.

``schemathesis run`` (the real CLI) against pytest-django's live server, with every check
(no 5xx, documented status codes, content types and headers, bodies matching the schema,
schema-valid input accepted, schema-invalid input — NUL bytes, over-long strings, wrong
types — rejected with a 4xx), a fixed seed and a bounded number of examples per operation.

One run for the whole API: a new endpoint routed under /api/v1/ is fuzzed as soon as it is in
the schema, and the test fails unless every operation of the schema was exercised. Failures
name the operation (method and path), so they still name its owner.

CI time: the run has the examples, fuzzing (positive and negative cases) and stateful phases.
The coverage phase (boundary values of every keyword and every undocumented method, one
operation at a time) took four fifths of the test's time for little more than fuzzing finds;
run it by hand with ``TECHMAP_CONTRACT_PHASES=examples,coverage,fuzzing,stateful``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from accounts import tokens
from suppliers import services
from suppliers.models import Capability, Region, Supplier
from tests import factories

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
SEED = 20260101
MAX_EXAMPLES = 8
PHASES = os.environ.get("TECHMAP_CONTRACT_PHASES", "examples,fuzzing,stateful")
METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


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


def _operations(schema_url: str) -> set[str]:
    """Every operation of the live schema, as ``"GET /api/v1/regions/"``."""
    with urllib.request.urlopen(f"{schema_url}?format=json", timeout=30) as response:
        schema = json.load(response)
    return {
        f"{method.upper()} {path}"
        for path, item in schema["paths"].items()
        for method in item
        if method in METHODS
    }


def _exercised(junit: Path) -> set[str]:
    """The operations the run tested: its JUnit cases named ``"<METHOD> <path>"`` (one per
    operation; the stateful phase has a case of its own) that were neither skipped nor errored.
    """
    exercised = set()
    for case in ET.parse(junit).getroot().iter("testcase"):
        method, _, path = case.get("name", "").partition(" ")
        if method.lower() not in METHODS or not path.startswith("/"):
            continue
        if case.find("skipped") is None and case.find("error") is None:
            exercised.add(case.get("name"))
    return exercised


@pytest.mark.skipif(not SCHEMATHESIS.exists(), reason="schemathesis is not installed")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_every_operation_of_the_api_keeps_its_contract(live_server, tmp_path):
    token = _data()
    schema_url = f"{live_server.url}/api/v1/schema/"
    junit = tmp_path / "junit.xml"
    command = [
        str(SCHEMATHESIS),
        "run",
        schema_url,
        "--checks",
        "all",
        "--phases",
        PHASES,
        "--seed",
        str(SEED),
        "--max-examples",
        str(MAX_EXAMPLES),
        "--workers",
        "1",
        "--request-timeout",
        "20",
        "--header",
        f"Authorization: Bearer {token}",
        "--output-truncate",
        "true",
        "--report",
        "junit",
        "--report-junit-path",
        str(junit),
    ]
    result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=600)
    output = result.stdout + result.stderr
    (tmp_path / "schemathesis.txt").write_text(output)
    summary = output[output.find("=== FAILURES") :] if "=== FAILURES" in output else output
    assert result.returncode == 0, summary[-12000:]
    assert "Tested:" in output
    operations = _operations(schema_url)
    assert len(operations) > 30  # the schema was read whole
    assert _exercised(junit) == operations
