"""CSV upload: many contracts and periods at once; every bad cell reported with row,
column and reason; good rows kept; nothing half-saved within a row."""

from __future__ import annotations

import csv
import io
import time

import pytest
from django.core.exceptions import PermissionDenied

from core.errors import DomainError
from reporting import services
from reporting.models import ContractReport, PeriodChange, ReportEvent, ReportValue
from reporting.periods import period_code
from tests.reporting.factories import GOOD_VALUES, ContractFactory, last_quarter


def make_csv(rows: list[dict], header: list[str] | None = None) -> bytes:
    header = header or ["ocid", "period", *GOOD_VALUES, "milestones_on_time_comment"]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow(row)
    return out.getvalue().encode("utf-8-sig")


def good_row(contract, period=None, **overrides) -> dict:
    return {
        "ocid": contract.ocid,
        "period": period if isinstance(period, str) else period_code(period or last_quarter()),
        **GOOD_VALUES,
        **overrides,
    }


def test_good_rows_are_kept_and_every_bad_cell_is_reported(owner, supplier):
    mine = [ContractFactory(supplier=supplier) for _ in range(3)]
    theirs = ContractFactory()
    content = make_csv(
        [
            good_row(mine[0], milestones_on_time_comment="Two late, agreed with the buyer"),
            good_row(mine[0], period=last_quarter(2)),
            good_row(mine[1], milestones_on_time="120", overall_rating="Great"),  # row 4
            good_row(theirs),  # row 5: not theirs
            good_row(mine[2], period="2025-Q7", priority_1_incidents="1.5"),  # row 6
            good_row(mine[0]),  # row 7: same contract and period as row 2
            good_row(mine[2], user_satisfaction=""),  # row 8: required value missing
            {"ocid": "ocds-test01-nothing", "period": "2025-Q1"},  # row 9
        ]
    )
    result = services.reports_import_csv(actor=owner, content=content)
    assert result.rows == 8 and len(result.created) == 2
    problems = {(p.row, p.column): p.message for p in result.problems}
    assert "between 0 and 100" in problems[(4, "milestones_on_time")]
    assert "must be one of Good" in problems[(4, "overall_rating")]
    assert "not your contract" in problems[(5, "ocid")]
    assert "like 2025-Q1" in problems[(6, "period")]
    assert "whole number" in problems[(6, "priority_1_incidents")]
    assert "Row 2 already reports" in problems[(7, "period")]
    assert problems[(8, "user_satisfaction")] == "Enter user satisfaction."
    assert "No contract has the id" in problems[(9, "ocid")]
    assert result.rejected_rows == 6
    # Nothing half-saved: the rejected rows left no report and no value behind.
    assert ContractReport.objects.count() == 2
    assert ReportValue.objects.count() == 16
    assert set(ContractReport.objects.values_list("contract_id", flat=True)) == {mine[0].pk}
    report = ContractReport.objects.get(period=last_quarter())
    assert report.values.get(metric__code="milestones_on_time").comment.startswith("Two late")
    assert report.history.get().history_change_reason == "Submitted by CSV upload"
    assert ReportEvent.objects.filter(kind="submitted").count() == 2
    assert set(PeriodChange.objects.values_list("period", flat=True)) == {
        last_quarter(),
        last_quarter(2),
    }


def test_already_submitted_periods_are_refused(owner, supplier, submit):
    contract = ContractFactory(supplier=supplier)
    submit(contract, user=owner)
    result = services.reports_import_csv(actor=owner, content=make_csv([good_row(contract)]))
    assert not result.created
    assert "already been submitted" in result.problems[0].message
    assert (result.problems[0].row, result.problems[0].column) == (2, "period")


def test_unknown_columns_are_reported_and_ignored(owner, supplier):
    contract = ContractFactory(supplier=supplier)
    header = ["ocid", "period", *GOOD_VALUES, "happiness"]
    result = services.reports_import_csv(
        actor=owner, content=make_csv([{**good_row(contract), "happiness": "9"}], header)
    )
    assert len(result.created) == 1
    assert (result.problems[0].row, result.problems[0].column) == (1, "happiness")
    assert "not a metric" in result.problems[0].message


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"", "empty"),
        (b"\xff\xfe\x00bad", "UTF-8"),
        (b"name,value\nx,1\n", "missing: ocid, period"),
        (b"ocid,period,ocid\n", "appears twice"),
    ],
)
def test_unreadable_files_are_explained(owner, content, words):
    with pytest.raises(DomainError, match=words):
        services.reports_import_csv(actor=owner, content=content)


def test_anonymous_cannot_upload(anonymous):
    with pytest.raises(PermissionDenied):
        services.reports_import_csv(actor=anonymous, content=b"ocid,period\n")


def test_a_thousand_rows_in_bulk(owner, supplier, django_assert_max_num_queries):
    contracts = ContractFactory.create_batch(250, supplier=supplier)
    rows = [good_row(c, period=last_quarter(back)) for c in contracts for back in (1, 2, 3, 4)]
    content = make_csv(rows)
    started = time.monotonic()
    # A fixed number of queries whatever the size: no per-row work in the database.
    with django_assert_max_num_queries(40):
        result = services.reports_import_csv(actor=owner, content=content)
    assert len(result.created) == 1000 and not result.problems
    assert ReportValue.objects.count() == 8000
    assert time.monotonic() - started < 20
