"""Demo data for contract reporting (called by seed_demo after suppliers are seeded).

A few hundred contracts across the capability groups, eight quarters of reports
each (mostly accepted, a few awaiting review or queried), with some outliers and
some thin categories (fewer than 5 contracts), then a comparison, so a new site
shows real-looking benchmarks. Works with however many suppliers exist.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from accounts.models import PublicBody, User
from reporting.comparison import mark_periods_changed, run_comparison
from reporting.models import (
    ComparisonRun,
    Contract,
    ContractReport,
    ReportEvent,
    ReportValue,
)
from reporting.periods import add_quarters, current_quarter
from reporting.services import scheme_current
from suppliers.models import CapabilityGroup, Supplier, SupplierMembership

PREFIX = "ocds-tchmap-demo-"
QUARTERS = 8
THIN_CATEGORIES = 2  # categories given only 3 contracts: "not enough data"

TITLES = {
    "cloud": ["Cloud hosting platform", "Cloud migration programme", "Managed cloud service"],
    "data-and-ai": ["Data platform", "Analytics service", "Machine learning pilot"],
    "cyber-security": ["Security operations centre", "Penetration testing", "Identity service"],
    "software-development": ["Case management system", "Digital service build", "API platform"],
    "user-centred-design": ["Service design support", "User research programme"],
}
QUERY_REASONS = [
    "The milestones figure does not match the delivery plan we agreed in the last review.",
    "Spend against budget looks too low given the invoices we have received this quarter.",
    "Please explain the priority 1 incidents: our service desk recorded more.",
]


def _clamp(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))


def _values(rng: random.Random, quality: float, outlier: bool) -> dict[str, Decimal | None]:
    """Realistic values for one report from the contract's quality for the quarter."""

    def noise(scale: float = 1.0) -> float:
        return rng.gauss(0, scale)

    q = quality
    rating = 4 if q > 0.5 else 3 if q > -0.3 else 2 if q > -1.2 else 1
    values: dict[str, float | None] = {
        "overall_rating": rating,
        "milestones_on_time": _clamp(86 + 7 * q + noise(4), 0, 100),
        "spend_against_budget": _clamp(100 - 4 * q + noise(5), 60, 200),
        "service_availability": _clamp(99.4 + 0.3 * q + noise(0.2), 90, 100)
        if rng.random() < 0.8
        else None,
        "user_satisfaction": _clamp(round(3.7 + 0.6 * q + noise(0.5)), 1, 5),
        "priority_1_incidents": max(0, round(2 - q + noise(1))),
        "sme_subcontract_spend": _clamp(25 + 8 * q + noise(8), 0, 100)
        if rng.random() < 0.7
        else None,
        "social_value_met": _clamp(80 + 8 * q + noise(6), 0, 100) if rng.random() < 0.6 else None,
    }
    if outlier:  # one metric far out on the bad side
        code = rng.choice(["milestones_on_time", "spend_against_budget", "priority_1_incidents"])
        values[code] = {"milestones_on_time": 22, "spend_against_budget": 185}.get(code, 18)
        values["overall_rating"] = 1
    return {
        code: None if value is None else Decimal(str(round(value, 1)))
        for code, value in values.items()
    }


def seed(*, rng: random.Random, options: dict, log: Callable[[str], None]) -> None:
    if Contract.objects.filter(ocid__startswith=PREFIX).exists():
        log("Reporting demo: contracts already there; not seeding again.")
        return
    suppliers = list(Supplier.objects.filter(status=Supplier.Status.PUBLISHED).order_by("pk"))
    bodies = list(PublicBody.objects.order_by("pk")[:40])
    groups = list(CapabilityGroup.objects.order_by("position", "pk"))
    if not (suppliers and bodies and groups):
        log("Reporting demo: no published suppliers, public bodies or categories; skipped.")
        return
    scheme = scheme_current()
    metrics = {m.code: m for m in scheme.metrics.all()}
    civil_servant = User.objects.filter(
        civil_servant_since__isnull=False, public_body__isnull=False
    )
    buyer_user = civil_servant.order_by("pk").first()
    demo_suppliers = list(
        Supplier.objects.filter(
            memberships__role=SupplierMembership.Role.OWNER, status=Supplier.Status.PUBLISHED
        ).distinct()[:3]
    )

    first_period = add_quarters(current_quarter(), -QUARTERS)
    periods = [add_quarters(first_period, i) for i in range(QUARTERS)]
    count = min(300, max(40, len(suppliers) * 2))
    thin = groups[-THIN_CATEGORIES:] if len(groups) > THIN_CATEGORIES + 1 else []
    main = [g for g in groups if g not in thin]
    plan: list[CapabilityGroup] = [g for g in thin for _ in range(3)]
    plan += [rng.choice(main) for _ in range(count - len(plan))]

    contracts = []
    for index, category in enumerate(plan, start=1):
        demo_pick = index <= 2 * len(demo_suppliers)
        supplier = demo_suppliers[(index - 1) % len(demo_suppliers)] if demo_pick else None
        supplier = supplier or rng.choice(suppliers)
        buyer = buyer_user.public_body if (demo_pick and buyer_user) else rng.choice(bodies)
        titles = TITLES.get(category.code, [f"{category.name} services"])
        start = first_period - timedelta(days=rng.randint(30, 400))
        contracts.append(
            Contract(
                ocid=f"{PREFIX}{index:04d}",
                title=f"{rng.choice(titles)} for {buyer.name}"[:300],
                buyer=buyer,
                supplier=supplier,
                category=category,
                value=Decimal(rng.randrange(200, 25000) * 1000),
                start_date=start,
                # 4 to 6 years from a start at most 3 years ago: every demo contract is
                # still running, so "Active" is true and each reported quarter is in it.
                end_date=start + timedelta(days=365 * rng.randint(4, 6)),
                status=Contract.Status.ACTIVE,
                created_by=buyer_user if demo_pick else None,
            )
        )
    contracts = bulk_create_with_history(
        contracts, Contract, batch_size=500, default_change_reason="Demo data"
    )

    now = timezone.now()
    reports, rows, queried = [], [], []
    for contract in contracts:
        base = rng.gauss(0, 1)
        for period in periods:
            roll = rng.random()
            status = (
                ContractReport.Status.QUERIED
                if roll < 0.04
                else ContractReport.Status.SUBMITTED
                if roll < 0.15 or period == periods[-1] and roll < 0.5
                else ContractReport.Status.ACCEPTED
            )
            report = ContractReport(
                contract=contract,
                period=period,
                scheme=scheme,
                status=status,
                submitted_at=now,
                decided_at=now if status != ContractReport.Status.SUBMITTED else None,
                query_reason=rng.choice(QUERY_REASONS) if status == "queried" else "",
            )
            reports.append(report)
            rows.append(_values(rng, base + rng.gauss(0, 0.4), outlier=rng.random() < 0.03))
    reports = bulk_create_with_history(
        reports, ContractReport, batch_size=1000, default_change_reason="Demo data"
    )
    ReportValue.objects.bulk_create(
        (
            ReportValue(report=report, metric=metrics[code], period=report.period, value=value)
            for report, values in zip(reports, rows, strict=True)
            for code, value in values.items()
            if value is not None and code in metrics
        ),
        batch_size=5000,
    )
    events = [ReportEvent(report=r, kind=ReportEvent.Kind.SUBMITTED) for r in reports]
    for report in reports:
        if report.status == ContractReport.Status.ACCEPTED:
            events.append(ReportEvent(report=report, kind=ReportEvent.Kind.ACCEPTED))
        elif report.status == ContractReport.Status.QUERIED:
            queried.append(report)
            events.append(
                ReportEvent(
                    report=report, kind=ReportEvent.Kind.QUERIED, message=report.query_reason
                )
            )
    ReportEvent.objects.bulk_create(events, batch_size=5000)
    mark_periods_changed(periods)
    run = run_comparison(full=True, trigger=ComparisonRun.Trigger.DEMO)
    log(
        f"Reporting demo: {len(contracts)} contracts, {len(reports)} reports over "
        f"{QUARTERS} quarters ({len(queried)} queried); comparison run {run.pk} {run.status}."
    )
