"""The nightly comparison: set-based statistics in PostgreSQL.

For each period (a quarter), scheme version, category and metric the database
computes the count, quartiles, median and mean (``percentile_cont``), each
contract's percentile rank with the metric's direction taken into account
(``percent_rank()`` over a window), outlier flags beyond 1.5 × IQR on the bad
side, and each supplier's composite score (weighted mean of its percentile
ranks) with its change since the previous quarter — all in one
``INSERT … SELECT`` statement per period. Python only loops over periods.

Guarantees:

- one run at a time: a session-level ``pg_try_advisory_lock``; a second run
  records itself as skipped and returns at once;
- a period's results are deleted and re-inserted in one transaction, so readers
  see the old results or the new ones, never half of each; killing the process
  rolls back the period in progress and leaves every other period as it was;
- identical results on unchanged data: ranks and composites are rounded and
  summed as ``numeric``, so no floating-point summation order leaks in;
- incremental: only periods marked in ``PeriodChange`` (by the services that
  change reports and contracts) are recomputed, unless ``full`` is asked for.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import date

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from reporting.models import ComparisonRun, ContractReport, MetricBenchmark, PeriodChange
from reporting.periods import add_quarters, period_code

logger = logging.getLogger(__name__)

# Any fixed 64-bit number, unique to this job within the database.
ADVISORY_LOCK_KEY = 7_420_260_007
# Fewer contracts than this in a category and the metric gets no ranks.
MIN_CONTRACTS = 5
# Sorting a period's values in memory rather than on disk.
WORK_MEM = "128MB"
# Periods computed at once, each on its own connection (settings.REPORTING_COMPARISON_WORKERS).
WORKERS = 2

COMPUTE_PERIOD_SQL = """
WITH ranked AS MATERIALIZED (
    -- Every compared value of the period with its percentile rank in its category:
    -- one sort, by value (by -value when lower is better, so that 1 is always best).
    -- Narrow rows in float8 (no numeric arithmetic on the hot path; the metric's own
    -- attributes are joined back later). A metric belongs to one scheme version, so
    -- (category, metric) identifies a comparison group.
    SELECT r.contract_id,
           c.supplier_id,
           c.category_id,
           v.metric_id,
           v.value::float8 AS value,
           round(percent_rank() OVER (
               PARTITION BY c.category_id, v.metric_id
               ORDER BY CASE WHEN m.direction = 'lower' THEN -v.value ELSE v.value END
           ) * 1000000) / 1000000 AS pr
      FROM reporting_reportvalue v
      JOIN reporting_contractreport r ON r.id = v.report_id
      JOIN reporting_contract c ON c.id = r.contract_id
      JOIN reporting_metricdefinition m ON m.id = v.metric_id
     WHERE v.period = %(period)s
       AND r.period = %(period)s
       AND r.status IN ('submitted', 'accepted')
),
stats AS MATERIALIZED (
    SELECT category_id,
           metric_id,
           count(*) AS n,
           min(value) AS minimum,
           max(value) AS maximum,
           avg(value) AS mean,
           percentile_cont(ARRAY[0.25, 0.5, 0.75]) WITHIN GROUP (ORDER BY value) AS q
      FROM ranked
     GROUP BY category_id, metric_id
),
flagged AS (
    -- No rank where fewer than MIN_CONTRACTS report the metric in the category; an
    -- outlier lies beyond 1.5 × IQR on the bad side. Ranks were rounded to 6 places
    -- above, so a re-run stores exactly the same numbers.
    SELECT k.contract_id,
           k.supplier_id,
           k.category_id,
           k.metric_id,
           m.scheme_id,
           m.weight::float8 AS weight,
           CASE WHEN s.n >= %(min_contracts)s THEN k.pr END AS pr,
           s.n >= %(min_contracts)s AND CASE
               WHEN m.direction = 'lower' THEN k.value > s.q[3] + 1.5 * (s.q[3] - s.q[1])
               ELSE k.value < s.q[1] - 1.5 * (s.q[3] - s.q[1]) END AS outlier
      FROM ranked k
      JOIN stats s USING (category_id, metric_id)
      JOIN reporting_metricdefinition m ON m.id = k.metric_id
),
per_contract AS MATERIALIZED (
    SELECT contract_id,
           supplier_id,
           category_id,
           scheme_id,
           sum(weight * pr) AS weighted,
           sum(weight) FILTER (WHERE pr IS NOT NULL) AS weights,
           count(pr) AS ranked_values,
           coalesce(array_agg(metric_id) FILTER (WHERE pr IS NOT NULL), '{}') AS metric_ids,
           coalesce(array_agg(pr) FILTER (WHERE pr IS NOT NULL), '{}') AS ranks,
           coalesce(array_agg(metric_id) FILTER (WHERE outlier), '{}') AS outlier_ids
      FROM flagged
     GROUP BY contract_id, supplier_id, category_id, scheme_id
),
outliers AS (
    SELECT category_id, unnest(outlier_ids) AS metric_id
      FROM per_contract
     WHERE cardinality(outlier_ids) > 0
),
benchmarks AS (
    INSERT INTO reporting_metricbenchmark
           (period, scheme_id, category_id, metric_id, run_id, contracts, enough_data,
            minimum, q1, median, q3, maximum, mean, outliers)
    SELECT %(period)s, m.scheme_id, s.category_id, s.metric_id, %(run_id)s, s.n,
           s.n >= %(min_contracts)s, round(s.minimum::numeric, 4), round(s.q[1]::numeric, 4),
           round(s.q[2]::numeric, 4), round(s.q[3]::numeric, 4), round(s.maximum::numeric, 4),
           round(s.mean::numeric, 4), coalesce(o.outliers, 0)
      FROM stats s
      JOIN reporting_metricdefinition m ON m.id = s.metric_id
      LEFT JOIN (SELECT category_id, metric_id, count(*) AS outliers
                   FROM outliers GROUP BY category_id, metric_id) o
             USING (category_id, metric_id)
    RETURNING 1
),
results AS (
    INSERT INTO reporting_contractresult
           (period, scheme_id, contract_id, supplier_id, category_id, composite, metric_ids,
            ranks, outliers)
    SELECT %(period)s, scheme_id, contract_id, supplier_id, category_id,
           round(weighted / nullif(weights, 0) * 1000000) / 1000000,
           metric_ids, ranks, outlier_ids
      FROM per_contract
    RETURNING 1
),
scores AS (
    -- The weighted mean of all the supplier's ranks: its contracts' weighted sums added up.
    INSERT INTO reporting_supplierscore
           (period, scheme_id, supplier_id, composite, change, contracts, ranked_values,
            outliers)
    SELECT %(period)s, scheme_id, supplier_id,
           round(sum(weighted) / nullif(sum(weights), 0) * 1000000) / 1000000,
           NULL, count(*), sum(ranked_values), sum(cardinality(outlier_ids))
      FROM per_contract
     GROUP BY scheme_id, supplier_id
    RETURNING 1
)
SELECT (SELECT count(*) FROM per_contract),
       (SELECT coalesce(sum(n), 0)::bigint FROM stats),
       (SELECT count(*) FROM benchmarks),
       (SELECT count(*) FROM results),
       (SELECT count(*) FROM scores)
"""

# The change since the previous quarter, for ``period`` (from the one before) and for
# the quarter after it (whose "previous" just changed). A missing side gives NULL.
CHANGE_SQL = """
UPDATE reporting_supplierscore s
   SET change = (SELECT round((s.composite - p.composite) * 1000000) / 1000000
                   FROM reporting_supplierscore p
                  WHERE p.period = %(previous)s
                    AND p.scheme_id = s.scheme_id
                    AND p.supplier_id = s.supplier_id)
 WHERE s.period = %(period)s
"""


@dataclass
class PeriodCounts:
    reports: int = 0
    values: int = 0
    benchmarks: int = 0
    contract_results: int = 0
    supplier_scores: int = 0


@dataclass
class Plan:
    """Which periods a run will compute, with the change version each was read at."""

    periods: list[date]
    versions: dict[date, int] = field(default_factory=dict)


def plan_periods(*, full: bool) -> Plan:
    """The periods to compute: the changed ones, or with ``full`` every period that has
    reports or results (a period whose reports all went away is emptied)."""
    versions = dict(PeriodChange.objects.values_list("period", "version"))
    if not full:
        return Plan(periods=sorted(versions), versions=versions)
    # order_by(): without it the models' default ordering joins the DISTINCT.
    with_reports = set(
        ContractReport.objects.order_by().values_list("period", flat=True).distinct()
    )
    with_results = set(
        MetricBenchmark.objects.order_by().values_list("period", flat=True).distinct()
    )
    return Plan(periods=sorted(with_reports | with_results | set(versions)), versions=versions)


def compute_period(period: date, *, run_id: int | None, changes: bool = True) -> PeriodCounts:
    """Replace every result of ``period`` in one transaction and return what it wrote.

    With ``changes`` the supplier scores' change since the previous quarter is set in
    the same transaction, for this period and the next.
    """
    params = {"period": period, "run_id": run_id, "min_contracts": MIN_CONTRACTS}
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL work_mem = '{WORK_MEM}'")
        # Compiling this statement with LLVM costs more than it saves (seconds per period).
        cursor.execute("SET LOCAL jit = off")
        # Row estimates through the CTEs are poor; a merge join would sort every value
        # again where a hash join on the few (category, metric) groups is what is wanted.
        cursor.execute("SET LOCAL enable_mergejoin = off")
        # Results are derived data: no need to wait for the WAL flush at commit. WAL is
        # written in order, so the change marker (cleared in a later transaction) can
        # never outlive a lost period.
        cursor.execute("SET LOCAL synchronous_commit = off")
        for table in ("metricbenchmark", "contractresult", "supplierscore"):
            cursor.execute(f"DELETE FROM reporting_{table} WHERE period = %s", [period])
        cursor.execute(COMPUTE_PERIOD_SQL, params)
        reports, values, benchmarks, results, scores = cursor.fetchone()
        if changes:
            _update_changes(cursor, period)
    return PeriodCounts(reports, values, benchmarks, results, scores)


def _update_changes(cursor, period: date) -> None:
    cursor.execute(CHANGE_SQL, {"period": period, "previous": add_quarters(period, -1)})
    cursor.execute(CHANGE_SQL, {"period": add_quarters(period, 1), "previous": period})


def _compute_in_thread(period: date, run_id: int) -> PeriodCounts:
    try:
        return compute_period(period, run_id=run_id, changes=False)
    finally:
        connection.close()  # this thread's own connection


def _try_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [ADVISORY_LOCK_KEY])
        return bool(cursor.fetchone()[0])


def _unlock() -> None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [ADVISORY_LOCK_KEY])
    except Exception:
        logger.warning("could not release the comparison lock", exc_info=True)


def run_comparison(
    *,
    full: bool = False,
    trigger: str = ComparisonRun.Trigger.COMMAND,
    requested_by=None,
    progress: Callable[[str], None] | None = None,
) -> ComparisonRun:
    """Compute the comparison for changed periods (every period with ``full``).

    Before: nothing. After: a ``ComparisonRun`` row says what happened. When
    another run holds the lock this one is recorded as skipped and returns at
    once. A run that fails is recorded as failed and the error re-raised; the
    periods it finished keep their new results, the others their old ones, and
    their change markers stay so the next run computes them. Running it twice on
    unchanged data gives identical results (the second run has nothing to do
    unless ``full``).
    """
    say = progress or (lambda message: None)
    if not _try_lock():
        run = ComparisonRun.objects.create(
            status=ComparisonRun.Status.SKIPPED,
            trigger=trigger,
            full=full,
            requested_by=requested_by,
            finished_at=timezone.now(),
            message="Another comparison run was in progress, so this one did nothing.",
        )
        say(run.message)
        return run
    try:
        # Holding the lock, no other run is alive: a "running" row is one that was killed.
        ComparisonRun.objects.filter(status=ComparisonRun.Status.RUNNING).update(
            status=ComparisonRun.Status.FAILED,
            finished_at=timezone.now(),
            message="Interrupted: the process stopped before the run finished.",
        )
        run = ComparisonRun.objects.create(
            status=ComparisonRun.Status.RUNNING,
            trigger=trigger,
            full=full,
            requested_by=requested_by,
        )
        try:
            _run_periods(run, full=full, say=say)
        except BaseException as error:
            run.status = ComparisonRun.Status.FAILED
            run.finished_at = timezone.now()
            run.message = f"{type(error).__name__}: {error}"[:2000]
            run.save(update_fields=["status", "finished_at", "message"])
            raise
        return run
    finally:
        _unlock()


def _run_periods(run: ComparisonRun, *, full: bool, say: Callable[[str], None]) -> None:
    plan = plan_periods(full=full)
    total = len(plan.periods)
    say(
        f"Comparison run {run.pk}: {total} period(s) to compute"
        + (" (full rebuild)." if full else " (changed since the last run).")
    )
    workers = max(1, int(getattr(settings, "REPORTING_COMPARISON_WORKERS", WORKERS)))
    # Periods are independent, so with several database connections they are computed
    # side by side (one transaction each). Inside an outer transaction (tests, seed_demo)
    # other connections could not see its data: compute in this one, in order.
    if workers == 1 or total < 2 or connection.in_atomic_block:
        for index, period in enumerate(plan.periods, start=1):
            _record(run, plan, period, compute_period(period, run_id=run.pk), index, total, say)
    else:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            futures = {pool.submit(_compute_in_thread, p, run.pk): p for p in plan.periods}
            try:
                for index, future in enumerate(as_completed(futures), start=1):
                    period = futures[future]
                    _record(run, plan, period, future.result(), index, total, say)
            except BaseException:
                pool.shutdown(wait=True, cancel_futures=True)
                raise
        # Each period's change since the previous quarter needs its neighbour's final
        # composite: set them once every period is in, in one transaction.
        with transaction.atomic(), connection.cursor() as cursor:
            for period in plan.periods:
                _update_changes(cursor, period)
    run.periods = sorted(run.periods)
    run.status = ComparisonRun.Status.SUCCEEDED
    run.finished_at = timezone.now()
    run.message = summary(run)
    run.save(update_fields=["periods", "status", "finished_at", "message"])
    say(run.message)


def _record(
    run: ComparisonRun,
    plan: Plan,
    period: date,
    counts: PeriodCounts,
    index: int,
    total: int,
    say: Callable[[str], None],
) -> None:
    """Count a finished period on the run and clear its change marker."""
    if period in plan.versions:
        # Only if nobody changed the period again while we computed it.
        PeriodChange.objects.filter(period=period, version=plan.versions[period]).delete()
    run.periods = [*run.periods, period_code(period)]
    run.reports_counted += counts.reports
    run.values_counted += counts.values
    run.benchmarks_written += counts.benchmarks
    run.contract_results_written += counts.contract_results
    run.supplier_scores_written += counts.supplier_scores
    run.save(
        update_fields=[
            "periods",
            "reports_counted",
            "values_counted",
            "benchmarks_written",
            "contract_results_written",
            "supplier_scores_written",
        ]
    )
    say(
        f"[{index}/{total}] {period_code(period)}: {counts.reports} reports, "
        f"{counts.values} values, {counts.benchmarks} benchmarks, "
        f"{counts.supplier_scores} supplier scores"
    )


def summary(run: ComparisonRun) -> str:
    if not run.periods:
        return "Nothing to compute: no reports changed since the last run."
    return (
        f"Computed {len(run.periods)} period(s) ({', '.join(run.periods[:8])}"
        f"{', …' if len(run.periods) > 8 else ''}): {run.reports_counted} reports, "
        f"{run.values_counted} values, {run.benchmarks_written} benchmarks, "
        f"{run.contract_results_written} contract results, "
        f"{run.supplier_scores_written} supplier scores."
    )


def mark_periods_changed(periods) -> None:
    """Record that these periods need recomputing (call inside the changing transaction)."""
    periods = sorted(set(periods))
    if not periods:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO reporting_periodchange (period, version, changed_at)
            SELECT p, 1, now() FROM unnest(%s::date[]) AS p
            ON CONFLICT (period) DO UPDATE
               SET version = reporting_periodchange.version + 1, changed_at = now()
            """,
            [periods],
        )
