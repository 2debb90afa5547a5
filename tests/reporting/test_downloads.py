"""Reporting downloads written by the one CSV rule (core.csv)."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from core.csv import BOM, FORMULA_STARTS
from reporting.comparison import run_comparison
from tests import factories
from tests.reporting.factories import ContractFactory


@pytest.mark.django_db
def test_every_reporting_download_defuses_what_people_typed(client, civil_servant, submit):
    supplier = factories.SupplierFactory(name="@SUM(A1) Consulting")
    contract = ContractFactory(
        supplier=supplier, buyer=civil_servant.public_body, title='=HYPERLINK("http://evil")'
    )
    submit(contract)
    run_comparison(full=True)
    for name in ("benchmarks", "scores", "reports", "contracts"):
        response = client.get(reverse("reporting:download", args=[name]))
        body = b"".join(response.streaming_content).decode("utf-8")
        assert body.startswith(BOM), name
        rows = list(csv.reader(io.StringIO(body.removeprefix(BOM))))
        cells = [cell for row in rows[1:] for cell in row]
        assert cells, name
        assert not [cell for cell in cells if cell.startswith(FORMULA_STARTS)], name
    contracts = b"".join(
        client.get(reverse("reporting:download", args=["contracts"])).streaming_content
    ).decode()
    assert "'=HYPERLINK" in contracts and "'@SUM(A1) Consulting" in contracts
