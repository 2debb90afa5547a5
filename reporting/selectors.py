"""Reads for contract reporting: what a user may see, benchmarks, scorecards.

Every function returns querysets or plain data and runs a fixed number of
queries whatever the size of the result.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import (
    BooleanField,
    Case,
    Exists,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Value,
    When,
)
from django.urls import reverse
from django.utils import timezone

from core.db import read_connection
from core.home import HomeEntry, HomeItem, first_and_count
from reporting import permissions
from reporting.models import (
    ComparisonRun,
    Contract,
    ContractReport,
    ContractResult,
    MetricBenchmark,
    MetricDefinition,
    Rating,
    ReportEvent,
    ReportingScheme,
    ReportValue,
    SupplierScore,
)
from reporting.periods import (
    add_quarters,
    by_quarter,
    current_quarter,
    period_code,
    period_label,
    quarters_between,
    report_due_by,
)
from reporting.validation import display_value
from suppliers.models import AwardRecord, CapabilityGroup, Supplier

RATING_METRIC = "overall_rating"
RATING_COLOURS = {
    Rating.GOOD: "#00703c",
    Rating.APPROACHING_TARGET: "#85994b",
    Rating.REQUIRES_IMPROVEMENT: "#f47738",
    Rating.INADEQUATE: "#d4351c",
}


def contracts_base() -> QuerySet[Contract]:
    return Contract.objects.select_related("buyer", "supplier", "category")


def reports_visible_to(user) -> QuerySet[ContractReport]:
    """The reports ``user`` may see (the rule: ``permissions.visible_reports_q``)."""
    return ContractReport.objects.filter(permissions.visible_reports_q(user))


def reports_with_related(reports: QuerySet[ContractReport]) -> QuerySet[ContractReport]:
    return reports.select_related(
        "contract__buyer", "contract__supplier", "contract__category", "scheme"
    ).prefetch_related(
        Prefetch("values", queryset=ReportValue.objects.select_related("metric")),
    )


def scheme_metrics(scheme: ReportingScheme) -> list[MetricDefinition]:
    return list(scheme.metrics.all())


# --- Contract page ---------------------------------------------------------------


@dataclass
class ReportRow:
    report: ContractReport
    cells: list[tuple[MetricDefinition, ReportValue | None, str]]
    events: list[ReportEvent] = field(default_factory=list)
    result: ContractResult | None = None


def contract_page(contract: Contract, user) -> dict:
    """Everything the contract page shows, in a fixed number of queries."""
    trail = permissions.can_see_report_trail(user, contract)
    reports = reports_visible_to(user).filter(contract=contract).order_by("-period")
    prefetch = [
        Prefetch("values", queryset=ReportValue.objects.select_related("metric")),
        "scheme__metrics",
    ]
    if trail:
        prefetch.append(Prefetch("events", queryset=ReportEvent.objects.select_related("actor")))
    reports = list(reports.select_related("scheme", "submitted_by").prefetch_related(*prefetch))
    # By (period, contract): the results table's key, so no scan however large it grows.
    results = {
        r.period: r
        for r in ContractResult.objects.filter(
            period__in=[report.period for report in reports], contract=contract
        )
    }
    rows = []
    for report in reports:
        by_metric = {value.metric_id: value for value in report.values.all()}
        cells = [
            (
                metric,
                by_metric.get(metric.pk),
                display_value(metric, by_metric[metric.pk].value) if metric.pk in by_metric else "",
            )
            for metric in report.scheme.metrics.all()
        ]
        rows.append(
            ReportRow(
                report=report,
                cells=cells,
                events=list(report.events.all()) if trail else [],
                result=results.get(report.period),
            )
        )
    rated = {
        row.report.period: (int(cell[1].value), cell[2])
        for row in rows
        for cell in row.cells
        if cell[0].code == RATING_METRIC and cell[1] is not None
    }
    # Every quarter from the first rated to the last: one without a rating is a gap.
    ratings = [
        {
            "period": period,
            "label": period_label(period),
            "code": period_code(period),
            "value": rated[period][0] if period in rated else None,
            "text": rated[period][1] if period in rated else "No report",
        }
        for period in (quarters_between(min(rated), max(rated)) if rated else [])
    ]
    return {"rows": rows, "ratings": ratings, "trail": trail}


# --- The user's own contracts -----------------------------------------------------


def yours(user) -> dict:
    """The contracts a supplier reports on or a buyer reviews, with what needs doing."""
    party = permissions.party_contracts_q(user)
    body = permissions.buyer_body_id(user)
    to_review = ContractReport.objects.none()
    if body is not None:
        to_review = (
            ContractReport.objects.filter(
                contract__buyer_id=body, status=ContractReport.Status.SUBMITTED
            )
            .select_related("contract__supplier")
            .order_by("period", "contract__title")[:50]
        )
    supplier_ids = permissions.supplier_ids_of(user)
    queried = []
    if supplier_ids:
        queried = (
            ContractReport.objects.filter(
                contract__supplier_id__in=supplier_ids, status=ContractReport.Status.QUERIED
            )
            .select_related("contract__buyer")
            .order_by("period")[:50]
        )
    return {
        "contracts": contracts_base().filter(party).order_by("title")[:200],
        "to_review": to_review,
        "queried": queried,
    }


# --- Overview --------------------------------------------------------------------


def latest_period() -> date | None:
    return MetricBenchmark.objects.order_by("-period").values_list("period", flat=True).first()


def rating_shares(period: date) -> list[dict]:
    """For each category, how many compared reports of ``period`` had each UK9 rating."""
    with read_connection().cursor() as cursor:
        cursor.execute(
            """
            SELECT c.category_id, v.value::int, count(*)
              FROM reporting_reportvalue v
              JOIN reporting_metricdefinition m ON m.id = v.metric_id AND m.code = %s
              JOIN reporting_contractreport r ON r.id = v.report_id
              JOIN reporting_contract c ON c.id = r.contract_id
             WHERE v.period = %s AND r.period = %s AND r.status IN ('submitted', 'accepted')
             GROUP BY 1, 2
            """,
            [RATING_METRIC, period, period],
        )
        counts = cursor.fetchall()
    by_category: dict[int, dict[int, int]] = defaultdict(dict)
    for category_id, rating, count in counts:
        by_category[category_id][rating] = count
    categories = CapabilityGroup.objects.filter(pk__in=by_category).order_by("position", "name")
    shares = []
    for category in categories:
        ratings = by_category[category.pk]
        total = sum(ratings.values())
        parts, offset = [], 0.0
        for rating in sorted(Rating, key=lambda r: -r.value):
            count = ratings.get(rating.value, 0)
            percent = round(100 * count / total, 1) if total else 0
            parts.append(
                {
                    "rating": rating,
                    "label": rating.label,
                    "colour": RATING_COLOURS[rating],
                    "count": count,
                    "percent": percent,
                    "offset": round(offset, 1),
                }
            )
            offset += percent
        shares.append({"category": category, "total": total, "parts": parts})
    return shares


def overview() -> dict:
    period = latest_period()
    data: dict = {
        "period": period,
        "period_label": period_label(period) if period else "",
        "last_run": ComparisonRun.objects.filter(status=ComparisonRun.Status.SUCCEEDED).first(),
        "contracts": Contract.objects.count(),
    }
    if period:
        data["reporting"] = ContractReport.objects.filter(
            period=period, status__in=ContractReport.COMPARED
        ).count()
        data["shares"] = rating_shares(period)
        data["categories"] = list(
            CapabilityGroup.objects.filter(
                pk__in=MetricBenchmark.objects.filter(period=period).values("category_id")
            ).order_by("position", "name")
        )
    return data


# --- Benchmarks ------------------------------------------------------------------


@dataclass
class ContractPosition:
    contract: Contract
    value: Decimal
    display: str
    rank: float | None
    outlier: bool


def benchmark_series(category: CapabilityGroup, metric_code: str) -> list[MetricBenchmark]:
    """The metric's distribution in the category, one row per period, oldest first."""
    return list(
        MetricBenchmark.objects.filter(category=category, metric__code=metric_code)
        .select_related("metric", "scheme")
        .order_by("period", "scheme__version")
    )


def benchmark_positions(benchmark: MetricBenchmark) -> list[ContractPosition]:
    """Where each compared contract sits for one benchmark, best first."""
    metric = benchmark.metric
    values = (
        ReportValue.objects.filter(
            period=benchmark.period,
            metric=metric,
            report__period=benchmark.period,
            report__status__in=ContractReport.COMPARED,
            report__contract__category_id=benchmark.category_id,
        )
        .select_related("report__contract__supplier", "report__contract__buyer")
        .order_by("report__contract__title", "report__contract_id")
    )
    results = {
        r.contract_id: r
        for r in ContractResult.objects.filter(
            period=benchmark.period, category_id=benchmark.category_id
        ).only("contract_id", "metric_ids", "ranks", "outliers")
    }
    positions = []
    for value in values:
        contract = value.report.contract
        result = results.get(contract.pk)
        positions.append(
            ContractPosition(
                contract=contract,
                value=value.value,
                display=display_value(metric, value.value),
                rank=result.rank_of(metric.pk) if result else None,
                outlier=bool(result and result.is_outlier(metric.pk)),
            )
        )
    positions.sort(key=lambda p: (-(p.rank if p.rank is not None else -1), p.contract.title))
    return positions


def benchmark_index() -> list[dict]:
    """Categories with benchmarks in the latest period, and the metrics of each."""
    period = latest_period()
    if not period:
        return []
    rows = (
        MetricBenchmark.objects.filter(period=period)
        .select_related("category", "metric")
        .order_by("category__position", "category__name", "metric__position")
    )
    grouped: dict[int, dict] = {}
    for row in rows:
        entry = grouped.setdefault(row.category_id, {"category": row.category, "benchmarks": []})
        row.median_display = display_value(row.metric, row.median)
        entry["benchmarks"].append(row)
    return list(grouped.values())


# --- Supplier scorecard ----------------------------------------------------------


@dataclass
class MetricComparison:
    contract: Contract
    metric: MetricDefinition
    value: Decimal
    display: str
    median: Decimal | None
    median_display: str
    rank: float | None
    outlier: bool
    enough_data: bool
    better_than_median: bool | None


def supplier_scores(supplier: Supplier) -> list[SupplierScore]:
    return list(
        SupplierScore.objects.filter(supplier=supplier)
        .select_related("scheme")
        .order_by("period", "scheme__version")
    )


def supplier_metric_comparisons(supplier: Supplier, period: date) -> list[MetricComparison]:
    """Each metric of each of the supplier's compared contracts in ``period`` beside the
    category median, with its percentile rank and outlier flag."""
    values = list(
        ReportValue.objects.filter(
            period=period,
            report__period=period,
            report__status__in=ContractReport.COMPARED,
            report__contract__supplier=supplier,
        )
        .select_related("metric", "report__contract__category")
        .order_by("report__contract__title", "report__contract_id", "metric__position")
    )
    contract_ids = {v.report.contract_id for v in values}
    category_ids = {v.report.contract.category_id for v in values}
    medians = {
        (b.category_id, b.metric_id): b
        for b in MetricBenchmark.objects.filter(period=period, category_id__in=category_ids)
    }
    results = {
        r.contract_id: r
        for r in ContractResult.objects.filter(period=period, contract_id__in=contract_ids)
    }
    rows = []
    for value in values:
        contract, metric = value.report.contract, value.metric
        benchmark = medians.get((contract.category_id, metric.pk))
        result = results.get(contract.pk)
        median = benchmark.median if benchmark else None
        better = None
        if median is not None and value.value != median:
            better = (value.value > median) != metric.lower_is_better
        rows.append(
            MetricComparison(
                contract=contract,
                metric=metric,
                value=value.value,
                display=display_value(metric, value.value),
                median=median,
                median_display=display_value(metric, median) if median is not None else "",
                rank=result.rank_of(metric.pk) if result else None,
                outlier=bool(result and result.is_outlier(metric.pk)),
                enough_data=bool(benchmark and benchmark.enough_data),
                better_than_median=better,
            )
        )
    return rows


@dataclass
class QuarterGap:
    """A quarter with nothing to show between quarters with something: shown, not skipped."""

    period: date
    gap = True
    composite = None

    @property
    def period_code(self) -> str:
        return period_code(self.period)

    @property
    def period_label(self) -> str:
        return period_label(self.period)


def scorecard(supplier: Supplier) -> dict:
    scores = supplier_scores(supplier)
    score_rows = [
        row
        for period, found in by_quarter(scores, lambda s: s.period)
        for row in found or [QuarterGap(period)]
    ]
    latest = scores[-1].period if scores else None
    comparisons = supplier_metric_comparisons(supplier, latest) if latest else []
    return {
        "scores": scores,
        "score_rows": score_rows,
        "latest": latest,
        "latest_label": period_label(latest) if latest else "",
        "latest_code": period_code(latest) if latest else "",
        "comparisons": comparisons,
        "outliers": [row for row in comparisons if row.outlier],
        "contracts": contracts_base().filter(supplier=supplier).order_by("title"),
    }


def contract_metric_values(contract: Contract, metric_code: str) -> dict[date, Decimal]:
    """The contract's compared values of one metric by period (for the benchmark marker)."""
    return dict(
        ReportValue.objects.filter(
            report__contract=contract,
            report__status__in=ContractReport.COMPARED,
            metric__code=metric_code,
        ).values_list("period", "value")
    )


def awards_to_record(user, *, limit: int = 10) -> list:
    """The newest award notices of the civil servant's public body that no reporting
    contract was recorded from yet: where "Record a contract" can start."""
    body = permissions.buyer_body_id(user)
    if body is None:
        return []
    return list(
        AwardRecord.objects.filter(buyer_id=body, contract=None)
        .exclude(ocid__in=Contract.objects.values("ocid"))
        .order_by("-award_date", "pk")[:limit]
    )


def award_for_contract(user, pk: str | None):
    """The award notice a contract record starts from (``?award=``), if it is one the
    user may record: their own body's, or any for a moderator."""
    if not (pk or "").isdigit():
        return None
    award = AwardRecord.objects.filter(pk=int(pk)).first()
    if award is None:
        return None
    if permissions.is_moderator(user) or award.buyer_id == permissions.buyer_body_id(user):
        return award
    return None


# --- The user's home page ------------------------------------------------------------

HOME_GROUP = "Contract reporting"


def _covers(period: date) -> Q:
    """Contracts whose dates include ``period`` (the rule of ``contract_period_problem``)."""
    return (Q(start_date__isnull=True) | Q(start_date__lt=add_quarters(period, 1))) & (
        Q(end_date__isnull=True) | Q(end_date__gte=period)
    )


def _reported(period: date) -> Exists:
    return Exists(ContractReport.objects.filter(contract=OuterRef("pk"), period=period))


def _owes(condition: Q) -> Case:
    return Case(When(condition, then=Value(True)), default=Value(False))


def home_items(user, *, today: date | None = None) -> list[HomeItem]:
    """What waits for ``user`` in contract reporting, oldest first.

    A supplier's people: reports due (the last quarter, within ``REPORT_DUE_DAYS`` of its
    end), overdue (the last quarter after that, or the quarter before it) and queried by
    the buyer and not yet replied to. A buyer (a civil servant acting for a public body):
    reports to review, submitted or replied to. One query per item.
    """
    today = today or timezone.localdate()
    items: list[HomeItem] = []
    supplier_ids = permissions.supplier_ids_of(user)
    if supplier_ids:
        last = add_quarters(current_quarter(today), -1)
        before = add_quarters(last, -1)
        late = today > report_due_by(last)
        contracts = (
            # Active, or ended on its end date: its last quarters are still owed (the dates
            # say which, ``_covers``); one terminated with no end date owes nothing more.
            Contract.objects.filter(
                Q(status=Contract.Status.ACTIVE)
                | Q(status=Contract.Status.TERMINATED, end_date__isnull=False),
                supplier_id__in=sorted(supplier_ids),
            )
            .annotate(has_last=_reported(last), has_before=_reported(before))
            .annotate(
                owes_last=_owes(_covers(last) & Q(has_last=False)),
                owes_before=_owes(_covers(before) & Q(has_before=False)),
            )
        )
        # Both items ask the database whatever the date, so the page's queries are fixed.
        contracts = contracts.annotate(late=Value(late, output_field=BooleanField()))
        due, due_count = first_and_count(
            contracts.filter(owes_last=True, late=False).order_by("title", "pk")
        )
        overdue, overdue_count = first_and_count(
            contracts.filter(Q(owes_before=True) | Q(owes_last=True, late=True)).order_by(
                "title", "pk"
            )
        )
        items.append(
            HomeItem(
                "reports_due",
                "reports due",
                due_count,
                reverse("reporting:yours"),
                [
                    HomeEntry(
                        f"{c.title}, {period_label(last)}",
                        reverse("reporting:report_new", args=[c.pk]),
                        report_due_by(last),
                        note="due by",
                    )
                    for c in due
                ],
                group=HOME_GROUP,
                one="report due",
            )
        )
        items.append(
            HomeItem(
                "reports_overdue",
                "reports overdue",
                overdue_count,
                reverse("reporting:yours"),
                [
                    HomeEntry(
                        f"{c.title}, {period_label(before if c.owes_before else last)}",
                        reverse("reporting:report_new", args=[c.pk]),
                        report_due_by(before if c.owes_before else last),
                        note="was due by",
                    )
                    for c in overdue
                ],
                group=HOME_GROUP,
                one="report overdue",
            )
        )
        queried, count = first_and_count(
            ContractReport.objects.filter(
                contract__supplier_id__in=sorted(supplier_ids),
                status=ContractReport.Status.QUERIED,
                reply="",
            )
            .select_related("contract__buyer")
            .order_by("decided_at", "pk")
        )
        items.append(
            HomeItem(
                "reports_queried",
                "reports the buyer queried",
                count,
                reverse("reporting:yours"),
                [
                    HomeEntry(
                        f"{r.contract.title}, {r.period_label}",
                        reverse("reporting:report", args=[r.pk]),
                        r.decided_at,
                        note=f"queried by {r.contract.buyer.name}",
                    )
                    for r in queried
                ],
                group=HOME_GROUP,
                one="report the buyer queried",
            )
        )
    body = permissions.buyer_body_id(user)
    if body is not None:
        to_review, count = first_and_count(
            ContractReport.objects.filter(contract__buyer_id=body)
            .filter(
                Q(status=ContractReport.Status.SUBMITTED)
                | (Q(status=ContractReport.Status.QUERIED) & ~Q(reply=""))
            )
            .select_related("contract__supplier")
            .order_by("submitted_at", "pk")
        )
        items.append(
            HomeItem(
                "reports_to_review",
                "reports to review",
                count,
                reverse("reporting:yours"),
                [
                    HomeEntry(
                        f"{r.contract.title}, {r.period_label}",
                        reverse("reporting:report", args=[r.pk]),
                        r.submitted_at,
                        note=(
                            f"{r.contract.supplier.name} replied to the query; first submitted"
                            if r.status == ContractReport.Status.QUERIED
                            else f"submitted by {r.contract.supplier.name}"
                        ),
                    )
                    for r in to_review
                ],
                group=HOME_GROUP,
                one="report to review",
            )
        )
    return items
