"""CSV downloads of public reporting data, streamed so a large table never sits in memory."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from django.db.models import OuterRef, Subquery
from django.http import HttpResponse, StreamingHttpResponse

from core.csv import csv_lines
from core.csv import csv_response as streaming_csv
from reporting import selectors
from reporting.models import Contract, ContractResult, MetricBenchmark, ReportValue, SupplierScore
from reporting.periods import period_code


def csv_response(content: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def streaming_csv_response(rows: Iterable[list], filename: str) -> StreamingHttpResponse:
    """A download whose first row is the header, written by the one CSV rule (core.csv)."""
    rows = iter(rows)
    return streaming_csv(csv_lines(next(rows), rows), filename)


def _num(value) -> str:
    return "" if value is None else str(value)


def benchmarks_csv(user=None) -> Iterator[list]:
    yield [
        "period", "scheme_version", "category", "metric", "contracts", "enough_data",
        "minimum", "q1", "median", "q3", "maximum", "mean", "outliers",
    ]  # fmt: skip
    rows = (
        MetricBenchmark.objects.select_related("scheme", "category", "metric")
        .order_by("period", "category__position", "metric__position")
        .iterator(chunk_size=2000)
    )
    for b in rows:
        yield [
            period_code(b.period), b.scheme.version, b.category.code, b.metric.code, b.contracts,
            "yes" if b.enough_data else "no", b.minimum, b.q1, b.median, b.q3, b.maximum,
            b.mean, b.outliers,
        ]  # fmt: skip


def scores_csv(user=None) -> Iterator[list]:
    yield ["period", "scheme_version", "supplier", "companies_house_number", "composite",
           "change", "contracts", "ranked_values", "outliers"]  # fmt: skip
    rows = (
        SupplierScore.objects.select_related("scheme", "supplier")
        .order_by("period", "supplier__name")
        .iterator(chunk_size=2000)
    )
    for s in rows:
        yield [
            period_code(s.period), s.scheme.version, s.supplier.name,
            s.supplier.companies_house_number, _num(s.composite), _num(s.change), s.contracts,
            s.ranked_values, s.outliers,
        ]  # fmt: skip


def reports_csv(user=None) -> Iterator[list]:
    """One row per reported value the user may see, with its percentile rank."""
    yield ["ocid", "period", "status", "scheme_version", "metric", "value", "comment",
           "percentile_rank", "outlier"]  # fmt: skip
    visible = selectors.reports_visible_to(user)
    results = ContractResult.objects.filter(
        contract_id=OuterRef("report__contract_id"), period=OuterRef("period")
    )
    values = (
        ReportValue.objects.filter(report__in=visible)
        .select_related("report__contract", "report__scheme", "metric")
        .annotate(
            result_metrics=Subquery(results.values("metric_ids")[:1]),
            result_ranks=Subquery(results.values("ranks")[:1]),
            result_outliers=Subquery(results.values("outliers")[:1]),
        )
        .order_by("report__contract__ocid", "period", "metric__position")
        .iterator(chunk_size=5000)
    )
    for value in values:
        report, metric_id = value.report, value.metric_id
        ranks = dict(zip(value.result_metrics or [], value.result_ranks or [], strict=False))
        yield [
            report.contract.ocid, period_code(report.period), report.status,
            report.scheme.version, value.metric.code, value.value, value.comment,
            _num(ranks.get(metric_id)),
            "yes" if metric_id in (value.result_outliers or []) else "no",
        ]  # fmt: skip


def contracts_csv(user=None) -> Iterator[list]:
    yield ["ocid", "title", "buyer", "supplier", "companies_house_number", "category",
           "value", "start_date", "end_date", "status"]  # fmt: skip
    rows = (
        Contract.objects.select_related("buyer", "supplier", "category")
        .order_by("ocid")
        .iterator(chunk_size=2000)
    )
    for c in rows:
        yield [
            c.ocid, c.title, c.buyer.name, c.supplier.name, c.supplier.companies_house_number,
            c.category.code, _num(c.value), _num(c.start_date), _num(c.end_date), c.status,
        ]  # fmt: skip
