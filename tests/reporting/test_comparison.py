"""The nightly comparison: statistics, ranks with direction, outliers, "not enough data",
composites and their change, idempotence, incremental runs, the lock and failures."""

from __future__ import annotations

import os
import signal
import statistics
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.db import connection

from reporting import comparison, services
from reporting.comparison import ADVISORY_LOCK_KEY, run_comparison
from reporting.models import (
    ComparisonRun,
    ContractResult,
    MetricBenchmark,
    PeriodChange,
    SupplierScore,
)
from reporting.periods import period_code
from tests import factories
from tests.reporting.factories import GOOD_VALUES, ContractFactory, last_quarter

ROOT = Path(__file__).resolve().parents[2]
P1, P2 = last_quarter(2), last_quarter(1)


def build_category(submit, *, milestones, spend=None, period=P1, group=None, suppliers=None):
    """One contract per value in ``milestones`` (each its own supplier unless given)."""
    group = group or factories.CapabilityGroupFactory()
    contracts = []
    for index, value in enumerate(milestones):
        supplier = suppliers[index] if suppliers else factories.SupplierFactory()
        contract = ContractFactory(category=group, supplier=supplier)
        extra = {"spend_against_budget": spend[index]} if spend else {}
        submit(contract, period=period, milestones_on_time=value, **extra)
        contracts.append(contract)
    return group, contracts


def metric(scheme, code):
    return scheme.metrics.get(code=code)


def snapshot() -> dict:
    return {
        "benchmarks": sorted(
            MetricBenchmark.objects.values_list(
                "period", "category_id", "metric_id", "contracts", "enough_data",
                "minimum", "q1", "median", "q3", "maximum", "mean", "outliers",
            )
        ),
        "results": sorted(
            ContractResult.objects.values_list(
                "period", "contract_id", "composite", "metric_ids", "ranks", "outliers"
            )
        ),
        "scores": sorted(
            SupplierScore.objects.values_list(
                "period", "supplier_id", "composite", "change", "contracts", "ranked_values",
                "outliers",
            )
        ),
    }  # fmt: skip


def test_statistics_ranks_and_outliers(scheme, submit):
    values = [50, 60, 70, 80, 90, 10]
    spend = [100, 100, 100, 100, 100, 200]
    group, contracts = build_category(submit, milestones=values, spend=spend)
    run = run_comparison(full=True)
    assert run.status == "succeeded" and run.periods == [period_code(P1)]
    assert run.reports_counted == 6 and run.values_counted == 48

    milestones = metric(scheme, "milestones_on_time")
    bench = MetricBenchmark.objects.get(period=P1, category=group, metric=milestones)
    q1, median, q3 = statistics.quantiles(values, n=4, method="inclusive")
    assert (bench.q1, bench.median, bench.q3) == (
        Decimal(str(q1)),
        Decimal(str(median)),
        Decimal(str(q3)),
    )
    assert (bench.minimum, bench.maximum, bench.contracts) == (10, 90, 6)
    assert bench.mean == Decimal(str(round(statistics.fmean(values), 4)))
    assert bench.enough_data and bench.outliers == 1  # 10 is below q1 - 1.5 × IQR

    results = {r.contract_id: r for r in ContractResult.objects.filter(period=P1)}
    ranks = [results[c.pk].rank_of(milestones.pk) for c in contracts]
    assert ranks == [0.2, 0.4, 0.6, 0.8, 1.0, 0.0]  # higher is better: 90 ranks top
    assert results[contracts[5].pk].is_outlier(milestones.pk)

    # Lower is better: the one contract that spent 200% of budget ranks bottom, and is
    # the outlier (on the bad side, above q3 + 1.5 × IQR).
    spend_metric = metric(scheme, "spend_against_budget")
    spend_ranks = [results[c.pk].rank_of(spend_metric.pk) for c in contracts]
    assert spend_ranks == [0.2] * 5 + [0.0]
    assert results[contracts[5].pk].is_outlier(spend_metric.pk)
    assert not results[contracts[0].pk].is_outlier(spend_metric.pk)

    # Composite: weighted mean of the contract's ranks (overall rating weighs 2).
    weights = {m.pk: float(m.weight) for m in scheme.metrics.all()}
    best = results[contracts[4].pk]
    expected = sum(weights[m] * r for m, r in best.rank_by_metric.items()) / sum(weights.values())
    assert best.composite == pytest.approx(round(expected, 6))
    score = SupplierScore.objects.get(period=P1, supplier=contracts[4].supplier)
    assert score.composite == pytest.approx(best.composite)
    assert score.contracts == 1 and score.ranked_values == 8 and score.change is None
    assert SupplierScore.objects.get(period=P1, supplier=contracts[5].supplier).outliers == 2


def test_bad_side_only(scheme, submit):
    # A very high milestones figure is good news, never an outlier.
    build_category(submit, milestones=[10, 12, 11, 13, 12, 100])
    run_comparison(full=True)
    bench = MetricBenchmark.objects.get(metric__code="milestones_on_time", period=P1)
    assert bench.outliers == 0


def test_not_enough_data_below_five_contracts(scheme, submit):
    group, contracts = build_category(submit, milestones=[50, 60, 70, 80])
    run_comparison(full=True)
    benchmarks = MetricBenchmark.objects.filter(period=P1, category=group)
    assert benchmarks.count() == 8
    assert not any(b.enough_data for b in benchmarks)
    assert all(b.outliers == 0 for b in benchmarks)
    for result in ContractResult.objects.filter(period=P1):
        assert result.ranks == [] and result.composite is None
    assert all(s.composite is None for s in SupplierScore.objects.filter(period=P1))


def test_change_since_previous_quarter(scheme, submit):
    supplier = factories.SupplierFactory()
    suppliers = [supplier] + [factories.SupplierFactory() for _ in range(4)]
    group, contracts = build_category(submit, milestones=[10, 20, 30, 40, 50], suppliers=suppliers)
    # Next quarter the supplier's contract is the best of the five.
    for contract, value in zip(contracts, [99, 20, 30, 40, 50], strict=True):
        submit(contract, period=P2, milestones_on_time=value)
    run_comparison(full=True)
    before = SupplierScore.objects.get(period=P1, supplier=supplier)
    after = SupplierScore.objects.get(period=P2, supplier=supplier)
    assert after.composite > before.composite
    assert after.change == pytest.approx(round(after.composite - before.composite, 6))
    assert before.change is None


def test_queried_reports_are_left_out(scheme, submit, civil_servant):
    group, contracts = build_category(submit, milestones=[10, 20, 30, 40, 50])
    contract = contracts[0]
    contract.buyer = civil_servant.public_body
    contract.save()
    report = contract.reports.get()
    services.report_query(actor=civil_servant, report=report, reason="Check this")
    run_comparison(full=True)
    bench = MetricBenchmark.objects.get(
        period=P1, category=group, metric__code="milestones_on_time"
    )
    assert bench.contracts == 4 and not bench.enough_data
    assert not ContractResult.objects.filter(contract=contract).exists()


def test_rerun_gives_identical_results(scheme, submit):
    build_category(submit, milestones=[50, 60, 70, 80, 90, 10], spend=[100, 90, 120, 100, 80, 300])
    build_category(submit, milestones=[55, 65, 75, 85, 95], period=P2)
    run_comparison(full=True)
    first, versions = snapshot(), row_versions()
    run_comparison(full=True)
    assert snapshot() == first
    assert first["results"] and first["scores"] and first["benchmarks"]
    assert row_versions() == versions  # nothing rewritten: no dead rows, no WAL


def row_versions() -> list:
    """Where each contract result and supplier score is stored, and by which transaction."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 'r', xmin::text, ctid::text FROM reporting_contractresult "
            "UNION ALL SELECT 's', xmin::text, ctid::text FROM reporting_supplierscore "
            "ORDER BY 1, 3"
        )
        return cursor.fetchall()


def test_only_changed_periods_are_recomputed(scheme, submit):
    group, contracts = build_category(submit, milestones=[50, 60, 70, 80, 90])
    build_category(submit, milestones=[50, 60, 70, 80, 90], period=P2)
    first = run_comparison()
    assert sorted(first.periods) == [period_code(P1), period_code(P2)]
    assert not PeriodChange.objects.exists()
    nothing = run_comparison()
    assert nothing.status == "succeeded" and nothing.periods == []
    assert "Nothing to compute" in nothing.message
    submit(ContractFactory(category=group), period=P2, milestones_on_time=5)
    second = run_comparison()
    assert second.periods == [period_code(P2)]
    full = run_comparison(full=True)
    assert len(full.periods) == 2


def test_a_period_whose_reports_went_away_is_emptied(scheme, submit):
    group, contracts = build_category(submit, milestones=[50, 60, 70, 80, 90])
    run_comparison(full=True)
    for contract in contracts:
        contract.reports.all().delete()
    run_comparison(full=True)
    assert not MetricBenchmark.objects.exists()
    assert not ContractResult.objects.exists()


def test_a_second_run_is_skipped_while_one_holds_the_lock(scheme, submit):
    build_category(submit, milestones=[50, 60, 70, 80, 90])
    with psycopg.connect(**_db_params(), autocommit=True) as other:
        other.execute("SELECT pg_advisory_lock(%s)", [ADVISORY_LOCK_KEY])
        run = run_comparison(full=True)
        other.execute("SELECT pg_advisory_unlock(%s)", [ADVISORY_LOCK_KEY])
    assert run.status == "skipped" and run.finished_at is not None
    assert not MetricBenchmark.objects.exists()
    assert run_comparison(full=True).status == "succeeded"


def test_a_failed_run_keeps_previous_results_and_the_next_completes(scheme, submit, monkeypatch):
    group1, _ = build_category(submit, milestones=[50, 60, 70, 80, 90])
    group2, contracts2 = build_category(submit, milestones=[50, 60, 70, 80, 90], period=P2)
    run_comparison(full=True)
    before = snapshot()
    for contract in contracts2:
        contract.reports.get(period=P2).values.filter(metric__code="milestones_on_time").update(
            value=1
        )
    comparison.mark_periods_changed([P1, P2])
    real = comparison._update_changes

    def fail_inside_p2(cursor, period):
        # Called inside the period's transaction, after its results were written.
        if period == P2:
            raise RuntimeError("worker killed")
        real(cursor, period)

    monkeypatch.setattr(comparison, "_update_changes", fail_inside_p2)
    with pytest.raises(RuntimeError):
        run_comparison()
    failed = ComparisonRun.objects.first()
    assert failed.status == "failed" and "worker killed" in failed.message
    assert snapshot() == before  # P2 rolled back; P1 was recomputed on unchanged data
    assert list(PeriodChange.objects.values_list("period", flat=True)) == [P2]
    monkeypatch.setattr(comparison, "_update_changes", real)
    done = run_comparison()
    assert done.status == "succeeded" and done.periods == [period_code(P2)]
    assert (
        MetricBenchmark.objects.get(
            period=P2, category=group2, metric__code="milestones_on_time"
        ).median
        == 1
    )


def test_command_shows_progress_and_summary(scheme, submit):
    from io import StringIO

    from django.core.management import call_command

    build_category(submit, milestones=[50, 60, 70, 80, 90])
    out = StringIO()
    call_command("run_comparison", "--full", stdout=out)
    text = out.getvalue()
    assert f"[1/1] {period_code(P1)}: 5 reports, 40 values" in text
    assert "Computed 1 period(s)" in text and "finished in" in text


# --- Real processes: parallel periods, and a worker killed mid-run -------------------------


def _db_params() -> dict:
    """Connection parameters of the test database, for a second, independent connection."""
    db = connection.settings_dict
    params = {"dbname": db["NAME"], "user": db["USER"], "host": db["HOST"] or "127.0.0.1"}
    if db.get("PORT"):
        params["port"] = db["PORT"]
    if db.get("PASSWORD"):
        params["password"] = db["PASSWORD"]
    return params


def _make_two_periods():
    group = factories.CapabilityGroupFactory()
    for index in range(6):
        contract = ContractFactory(category=group)
        user = factories.MembershipFactory(supplier=contract.supplier, role="owner").user
        for period, value in ((P1, 40 + index * 10), (P2, 45 + index * 9)):
            services.report_submit(
                actor=user,
                contract=contract,
                period=period,
                values={**GOOD_VALUES, "milestones_on_time": str(value)},
            )


def test_parallel_and_sequential_runs_agree(standard_scheme, settings):
    _make_two_periods()
    settings.REPORTING_COMPARISON_WORKERS = 1
    run_comparison(full=True)
    sequential = snapshot()
    settings.REPORTING_COMPARISON_WORKERS = 2
    run = run_comparison(full=True)
    assert run.status == "succeeded" and len(run.periods) == 2
    assert snapshot() == sequential


def test_killing_the_worker_mid_run_leaves_previous_results(standard_scheme):
    _make_two_periods()
    run_comparison(full=True)
    before = snapshot()
    comparison.mark_periods_changed([P1, P2])
    params = _db_params()
    database = params["dbname"]
    password = f":{params['password']}" if "password" in params else ""
    url = f"postgres://{params['user']}{password}@{params['host']}:{params.get('port', 5432)}/"
    env = {**os.environ, "DATABASE_URL": url + database, "DJANGO_ENV": "development"}
    with (
        psycopg.connect(**params) as blocker,
        psycopg.connect(**params, autocommit=True) as watcher,
    ):
        # Hold P2's benchmarks (every run replaces them): the run finishes P1, then waits
        # inside P2's transaction.
        blocker.execute(
            "SELECT * FROM reporting_metricbenchmark WHERE period = %s FOR UPDATE", [P2]
        )
        child = subprocess.Popen(
            [sys.executable, "manage.py", "run_comparison", "--skip-checks"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            # Watched from an autocommit connection: a transaction caches pg_stat_activity.
            waiting = _wait_for_lock_waiter(watcher, database)
            if not waiting:
                child.kill()
                pytest.fail(f"the run never reached the blocked period: {child.stdout.read()}")
            os.kill(child.pid, signal.SIGKILL)
            child.wait(timeout=30)
            # The killed client's backends would only notice at their next write to it.
            watcher.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid NOT IN (pg_backend_pid(), %s, %s)",
                [database, connection.connection.info.backend_pid, blocker.info.backend_pid],
            )
        finally:
            if child.poll() is None:
                child.kill()
        blocker.rollback()
    _wait_until_no_other_backends(database)
    killed = ComparisonRun.objects.order_by("-pk").first()
    assert killed.status == "running"  # it never got to say otherwise
    after_kill = snapshot()
    p2 = lambda snap: {k: [row for row in v if row[0] == P2] for k, v in snap.items()}  # noqa: E731
    assert p2(after_kill) == p2(before)  # P2 untouched: its transaction died with the worker
    assert PeriodChange.objects.filter(period=P2).exists()
    run = run_comparison()
    assert run.status == "succeeded" and period_code(P2) in run.periods
    killed.refresh_from_db()
    assert killed.status == "failed" and "Interrupted" in killed.message
    assert snapshot() == before  # same data, same results


def _wait_for_lock_waiter(watcher, database: str, timeout: float = 60) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        row = watcher.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND wait_event_type = 'Lock'",
            [database],
        ).fetchone()
        if row[0]:
            return True
        time.sleep(0.2)
    return False


def _wait_until_no_other_backends(database: str, timeout: float = 30) -> None:
    own = connection.connection.info.backend_pid if connection.connection else None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid <> %s "
                "AND backend_type = 'client backend'",
                [database, own or 0],
            )
            if cursor.fetchone()[0] == 0:
                return
        time.sleep(0.2)


def test_settings_have_the_nightly_beat_entry():
    entry = settings.CELERY_BEAT_SCHEDULE["reporting-nightly-comparison"]
    assert entry["task"] == "reporting.tasks.run_nightly_comparison"
    assert entry["schedule"] == settings.NIGHTLY_CRONTAB


# --- The statement against PostgreSQL's own functions ----------------------------------------


REFERENCE_SQL = """
SELECT category_id, metric_id, n, round(q[1]::numeric, 4), round(q[2]::numeric, 4),
       round(q[3]::numeric, 4), minimum, maximum, round(mean, 4)
  FROM (SELECT c.category_id, v.metric_id, count(*) AS n,
               percentile_cont(ARRAY[0.25, 0.5, 0.75]) WITHIN GROUP (ORDER BY v.value::float8)
                   AS q,
               min(v.value) AS minimum, max(v.value) AS maximum, avg(v.value) AS mean
          FROM reporting_reportvalue v
          JOIN reporting_contractreport r ON r.id = v.report_id
          JOIN reporting_contract c ON c.id = r.contract_id
         WHERE v.period = %(period)s AND r.status IN ('submitted', 'accepted')
         GROUP BY c.category_id, v.metric_id) s
"""

REFERENCE_RANKS_SQL = """
SELECT r.contract_id, v.metric_id,
       round(percent_rank() OVER (
           PARTITION BY c.category_id, v.metric_id
           ORDER BY CASE WHEN m.direction = 'lower' THEN -v.value ELSE v.value END
       ) * 1000000) / 1000000
  FROM reporting_reportvalue v
  JOIN reporting_contractreport r ON r.id = v.report_id
  JOIN reporting_contract c ON c.id = r.contract_id
  JOIN reporting_metricdefinition m ON m.id = v.metric_id
 WHERE v.period = %(period)s AND r.status IN ('submitted', 'accepted')
"""


def test_statistics_and_ranks_equal_postgresqls_own(scheme, submit):
    # Ties, both directions, decimals, and group sizes whose quartiles fall between two
    # values at a quarter, a half and three quarters of the way.
    milestones = [50, 60.5, 60.5, 70, 99.9, 10, 60.5, 33.3, 81, 82.25]
    spend = [100, 100, 130.7, 90, 90, 250, 101.1, 100, 99.9, 120]
    for size in (5, 6, 7, 8, 10):
        build_category(submit, milestones=milestones[:size], spend=spend[:size])
    run_comparison(full=True)

    with connection.cursor() as cursor:
        cursor.execute(REFERENCE_SQL, {"period": P1})
        reference = cursor.fetchall()
        cursor.execute(REFERENCE_RANKS_SQL, {"period": P1})
        ranks = cursor.fetchall()
    assert len(reference) == 5 * 8
    for category, metric_id, n, q1, median, q3, minimum, maximum, mean in reference:
        bench = MetricBenchmark.objects.get(period=P1, category=category, metric=metric_id)
        assert (bench.q1, bench.median, bench.q3) == (q1, median, q3)
        assert (bench.contracts, bench.minimum, bench.maximum) == (n, minimum, maximum)
        assert bench.mean == mean
    results = {r.contract_id: r.rank_by_metric for r in ContractResult.objects.filter(period=P1)}
    assert len(ranks) == 36 * 8
    for contract_id, metric_id, rank in ranks:
        assert results[contract_id][metric_id] == rank  # exactly, not approximately


def test_composites_are_exact_and_ties_round_half_to_even(scheme, submit):
    # Eight contracts; the supplier holds the two worst on milestones (ranks 0 and 1/7,
    # 142857 millionths) and every other metric ties at rank 0. Its mean rank is
    # 142857 / 18 = 7936.5 millionths exactly: summed as integers, the tie is seen as
    # a tie and rounds to even on every run, never by floating-point noise.
    supplier = factories.SupplierFactory()
    suppliers = [supplier] * 2 + [factories.SupplierFactory() for _ in range(6)]
    build_category(submit, milestones=list(range(10, 90, 10)), suppliers=suppliers)
    run_comparison(full=True)
    score = SupplierScore.objects.get(period=P1, supplier=supplier)
    assert score.composite == 0.007936
    assert score.contracts == 2 and score.ranked_values == 16
    composites = sorted(
        ContractResult.objects.filter(period=P1, supplier=supplier).values_list(
            "composite", flat=True
        )
    )
    assert composites == [0.0, round(142857 / 9) / 1000000]


def test_change_follows_a_recomputed_previous_quarter(scheme, submit):
    supplier = factories.SupplierFactory()
    suppliers = [supplier] + [factories.SupplierFactory() for _ in range(4)]
    group, contracts = build_category(submit, milestones=[10, 20, 30, 40, 50], suppliers=suppliers)
    for contract, value in zip(contracts, [10, 20, 30, 40, 50], strict=True):
        submit(contract, period=P2, milestones_on_time=value)
    run_comparison()
    assert SupplierScore.objects.get(period=P2, supplier=supplier).change == 0
    # Only P1 changes (the supplier's contract becomes the best): P2 is not recomputed,
    # but its change since P1 is.
    contracts[0].reports.get(period=P1).values.filter(metric__code="milestones_on_time").update(
        value=99
    )
    comparison.mark_periods_changed([P1])
    run = run_comparison()
    assert run.periods == [period_code(P1)]
    before = SupplierScore.objects.get(period=P1, supplier=supplier)
    after = SupplierScore.objects.get(period=P2, supplier=supplier)
    assert after.change == pytest.approx(round(after.composite - before.composite, 6))
    assert after.change < 0
