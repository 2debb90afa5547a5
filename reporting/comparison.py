"""The nightly comparison: set-based statistics in PostgreSQL.

For each period (a quarter), scheme version, category and metric the database
computes the count, quartiles, median and mean, each contract's percentile rank
with the metric's direction taken into account, outlier flags beyond 1.5 × IQR on
the bad side, and each supplier's composite score (weighted mean of its percentile
ranks) with its change since the previous quarter — all in one statement per
period. Python only loops over periods.

How, for speed (a period is 400,000 values at benchmark scale): a group's values
take a few hundred distinct values, so the statement hashes the values into their
distribution (distinct value, count) and sorts only that. The rank of a value is the
number of values below it over n - 1 — exactly ``percent_rank()`` — and the
quartiles are read off the same cumulative counts with ``percentile_cont``'s own
interpolation, so the numbers are the ones those functions give (a test holds them
to it). Each value then looks its rank up by hash, and the contracts' results are
grouped from values that arrive report by report. Results are brought to the new
ones by updating what differs, inserting what is new and deleting what is gone.

Guarantees:

- one run at a time: a session-level ``pg_try_advisory_lock``; a second run
  records itself as skipped and returns at once;
- a period's results are replaced in one transaction, so readers see the old
  results or the new ones, never half of each; killing the process rolls back the
  period in progress and leaves every other period as it was;
- no wrong number survives an interrupted run: the transaction that recomputes a
  period also sets the change since the previous quarter of that period and of the
  quarter after it (whose "previous" it is), and clears the period's change marker.
  So every committed change agrees with the composites as they stand, and a marker
  lives until everything that depends on its period is recomputed. Periods computed
  side by side are never neighbours (one quarter in two at a time), so no two
  transactions write, or read what the other writes, the same quarter's scores;
- identical results on unchanged data: ranks are rounded to 6 places, the mean is
  exact (``numeric``) and composites are summed as integers (weight in thousandths
  × rank in millionths), so no floating-point summation order leaks in; a re-run
  on unchanged data writes nothing;
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
WITH metrics AS (
    SELECT id AS metric_id,
           scheme_id,
           direction = 'lower' AS lower,
           (weight * 1000)::int8 AS weight_milli  -- weights have 3 decimal places
      FROM reporting_metricdefinition
),
vals AS MATERIALIZED (
    -- Every compared value of the period, narrow and as stored (converting 400,000
    -- decimals to float8 costs more than hashing them). A metric belongs to one scheme
    -- version, so (category, metric) identifies a comparison group. Read in storage
    -- order, that is report by report.
    SELECT v.report_id,
           r.contract_id,
           c.supplier_id,
           c.category_id,
           v.metric_id,
           v.value
      FROM reporting_reportvalue v
      JOIN reporting_contractreport r ON r.id = v.report_id
      JOIN reporting_contract c ON c.id = r.contract_id
     WHERE v.period = %(period)s
       AND r.period = %(period)s
       AND r.status IN ('submitted', 'accepted')
),
placed AS MATERIALIZED (
    -- The distribution of each group: its distinct values (a few hundred, where the
    -- group has thousands of values) with their counts, hashed rather than sorted, then
    -- in order of a float8 "key" that sorts best last (-value when lower is better, so
    -- that a rank of 1 is always best), with the number of values ranked below each
    -- ("below") and the group's size. percent_rank() of a value is below / (n - 1):
    -- ranks and statistics both come from this one small sort.
    SELECT category_id,
           metric_id,
           exact,
           key,
           c,
           sum(c) OVER (PARTITION BY category_id, metric_id ORDER BY key
                        ROWS UNBOUNDED PRECEDING) - c AS below,
           sum(c) OVER (PARTITION BY category_id, metric_id) AS n
      FROM (SELECT d.category_id, d.metric_id, d.exact, d.c,
                   CASE WHEN m.lower THEN -d.exact::float8 ELSE d.exact::float8 END AS key
              FROM (SELECT category_id, metric_id, value AS exact, count(*)::int AS c
                      FROM vals
                     GROUP BY category_id, metric_id, value) d
              JOIN metrics m USING (metric_id)) k
),
located AS (
    -- Each distinct value covers the 0-based positions [first, first + c) of the
    -- group's values in ascending order (the order of the key reversed when lower is
    -- better). The quartiles sit at positions 0.25, 0.5 and 0.75 × (n - 1).
    SELECT p.category_id,
           p.metric_id,
           p.c,
           p.n,
           m.scheme_id,
           m.weight_milli,
           m.lower,
           p.exact,
           CASE WHEN m.lower THEN -p.key ELSE p.key END AS value,
           CASE WHEN m.lower THEN p.n - p.below - p.c ELSE p.below END AS first,
           0.25::float8 * (p.n - 1) AS pos1,
           0.5::float8 * (p.n - 1) AS pos2,
           0.75::float8 * (p.n - 1) AS pos3
      FROM placed p
      JOIN metrics m USING (metric_id)
),
ends AS (
    SELECT category_id, metric_id, scheme_id, weight_milli, lower, n, pos1, pos2, pos3,
           min(value) AS minimum,
           max(value) AS maximum,
           sum(exact * c) / n AS mean,
           min(value) FILTER (WHERE floor(pos1) >= first AND floor(pos1) < first + c) AS lo1,
           min(value) FILTER (WHERE ceil(pos1) >= first AND ceil(pos1) < first + c) AS hi1,
           min(value) FILTER (WHERE floor(pos2) >= first AND floor(pos2) < first + c) AS lo2,
           min(value) FILTER (WHERE ceil(pos2) >= first AND ceil(pos2) < first + c) AS hi2,
           min(value) FILTER (WHERE floor(pos3) >= first AND floor(pos3) < first + c) AS lo3,
           min(value) FILTER (WHERE ceil(pos3) >= first AND ceil(pos3) < first + c) AS hi3
      FROM located
     GROUP BY category_id, metric_id, scheme_id, weight_milli, lower, n, pos1, pos2, pos3
),
stats AS MATERIALIZED (
    -- percentile_cont's interpolation, in the same float8 operations, so the same
    -- numbers: lo + (fraction × (hi - lo)) between the two positions around the quartile.
    SELECT category_id, metric_id, scheme_id, weight_milli, lower, n, minimum, maximum, mean,
           CASE WHEN ceil(pos1) > floor(pos1)
                THEN lo1 + ((pos1 - floor(pos1)) * (hi1 - lo1)) ELSE lo1 END AS q1,
           CASE WHEN ceil(pos2) > floor(pos2)
                THEN lo2 + ((pos2 - floor(pos2)) * (hi2 - lo2)) ELSE lo2 END AS q2,
           CASE WHEN ceil(pos3) > floor(pos3)
                THEN lo3 + ((pos3 - floor(pos3)) * (hi3 - lo3)) ELSE lo3 END AS q3
      FROM ends
),
graded AS MATERIALIZED (
    -- Each distinct value's rank in millionths ("pm", percent_rank() rounded to 6
    -- places, so a re-run stores exactly the same numbers) and whether it is an
    -- outlier: beyond 1.5 × IQR on the bad side. No rank where fewer than
    -- MIN_CONTRACTS report the metric in the category.
    SELECT p.category_id,
           p.metric_id,
           p.exact,
           p.c,
           s.scheme_id,
           s.weight_milli,
           CASE WHEN s.n >= %(min_contracts)s THEN
                round(CASE WHEN s.n > 1 THEN p.below::float8 / (s.n - 1)::float8 ELSE 0 END
                      * 1000000)::int8 END AS pm,
           s.n >= %(min_contracts)s AND CASE
               WHEN s.lower THEN -p.key > s.q3 + 1.5 * (s.q3 - s.q1)
               ELSE p.key < s.q1 - 1.5 * (s.q3 - s.q1) END AS outlier
      FROM placed p
      JOIN stats s USING (category_id, metric_id)
),
per_contract AS MATERIALIZED (
    -- Each value looks its rank up by (category, metric, value). The weighted sum is
    -- of integers (weight in thousandths × rank in millionths), so it is exact and no
    -- floating-point summation order leaks in. Grouped by report (a contract has one
    -- per period) from values in (report, metric) order: the order they are stored in,
    -- so the sort finds them in order, and the arrays list metrics in id order on every
    -- run whatever plan the server picks.
    SELECT min(contract_id) AS contract_id,
           min(supplier_id) AS supplier_id,
           min(category_id) AS category_id,
           min(scheme_id) AS scheme_id,
           sum(weight_milli * pm) AS weighted,
           sum(weight_milli) FILTER (WHERE pm IS NOT NULL) AS weights,
           count(pm) AS ranked_values,
           coalesce(array_agg(metric_id) FILTER (WHERE pm IS NOT NULL), '{}') AS metric_ids,
           coalesce(array_agg(pm / 1000000.0::float8) FILTER (WHERE pm IS NOT NULL), '{}')
               AS ranks,
           coalesce(array_agg(metric_id) FILTER (WHERE outlier), '{}') AS outlier_ids
      FROM (SELECT v.report_id, v.contract_id, v.supplier_id, v.category_id, v.metric_id,
                   g.scheme_id, g.weight_milli, g.pm, g.outlier
              FROM vals v
              JOIN graded g
                ON g.category_id = v.category_id
               AND g.metric_id = v.metric_id
               AND g.exact = v.value
             ORDER BY v.report_id, v.metric_id) ordered
     GROUP BY report_id
),
benchmarks AS (
    INSERT INTO reporting_metricbenchmark
           (period, scheme_id, category_id, metric_id, run_id, contracts, enough_data,
            minimum, q1, median, q3, maximum, mean, outliers)
    SELECT %(period)s, s.scheme_id, s.category_id, s.metric_id, %(run_id)s, s.n,
           s.n >= %(min_contracts)s, round(s.minimum::numeric, 4), round(s.q1::numeric, 4),
           round(s.q2::numeric, 4), round(s.q3::numeric, 4), round(s.maximum::numeric, 4),
           round(s.mean, 4), coalesce(o.outliers, 0)
      FROM stats s
      LEFT JOIN (SELECT category_id, metric_id, sum(c) AS outliers
                   FROM graded
                  WHERE outlier
                  GROUP BY category_id, metric_id) o
             USING (category_id, metric_id)
    RETURNING 1
),
new_results AS MATERIALIZED (
    -- The composite rounded to 6 places: weighted / weights is the mean rank in
    -- millionths (rounded half to even, exactly, as float8's round does).
    SELECT contract_id, scheme_id, supplier_id, category_id,
           round(weighted::float8 / nullif(weights, 0)::float8) / 1000000 AS composite,
           metric_ids, ranks, outlier_ids AS outliers
      FROM per_contract
),
new_scores AS MATERIALIZED (
    -- The weighted mean of all the supplier's ranks: its contracts' weighted sums added
    -- up; its change since the previous quarter as that quarter's results stand now
    -- (set again once a run has computed both, see CHANGE_SQL).
    SELECT t.scheme_id, t.supplier_id, t.composite,
           round((t.composite - p.composite) * 1000000) / 1000000 AS change,
           t.contracts, t.ranked_values, t.outliers
      FROM (SELECT scheme_id,
                   supplier_id,
                   round(sum(weighted)::float8 / nullif(sum(weights), 0)::float8) / 1000000
                       AS composite,
                   count(*) AS contracts,
                   sum(ranked_values) AS ranked_values,
                   sum(cardinality(outlier_ids)) AS outliers
              FROM per_contract
             GROUP BY scheme_id, supplier_id) t
      LEFT JOIN reporting_supplierscore p
             ON p.period = %(previous)s
            AND p.scheme_id = t.scheme_id
            AND p.supplier_id = t.supplier_id
),
-- The period's contract results and supplier scores are brought to the new ones: rows
-- that differ are updated, new ones inserted, gone ones deleted (disjoint sets of rows,
-- in this one statement; PostgreSQL runs every data-modifying WITH to completion). On
-- unchanged data nothing is written, so a nightly full run leaves no dead rows behind
-- and writes no WAL for what did not move.
results_updated AS (
    UPDATE reporting_contractresult t
       SET scheme_id = n.scheme_id, supplier_id = n.supplier_id,
           category_id = n.category_id, composite = n.composite,
           metric_ids = n.metric_ids, ranks = n.ranks, outliers = n.outliers
      FROM new_results n
     WHERE t.period = %(period)s
       AND t.contract_id = n.contract_id
       AND (t.scheme_id, t.supplier_id, t.category_id, t.composite, t.metric_ids, t.ranks,
            t.outliers)
           IS DISTINCT FROM (n.scheme_id, n.supplier_id, n.category_id, n.composite,
                             n.metric_ids, n.ranks, n.outliers)
    RETURNING 1
),
results_inserted AS (
    INSERT INTO reporting_contractresult
           (period, scheme_id, contract_id, supplier_id, category_id, composite, metric_ids,
            ranks, outliers)
    SELECT %(period)s, n.scheme_id, n.contract_id, n.supplier_id, n.category_id,
           n.composite, n.metric_ids, n.ranks, n.outliers
      FROM new_results n
     WHERE NOT EXISTS (SELECT FROM reporting_contractresult t
                        WHERE t.period = %(period)s AND t.contract_id = n.contract_id)
    RETURNING 1
),
results_deleted AS (
    DELETE FROM reporting_contractresult t
     WHERE t.period = %(period)s
       AND NOT EXISTS (SELECT FROM new_results n WHERE n.contract_id = t.contract_id)
    RETURNING 1
),
scores_updated AS (
    UPDATE reporting_supplierscore t
       SET composite = n.composite, change = n.change, contracts = n.contracts,
           ranked_values = n.ranked_values, outliers = n.outliers
      FROM new_scores n
     WHERE t.period = %(period)s
       AND t.scheme_id = n.scheme_id
       AND t.supplier_id = n.supplier_id
       AND (t.composite, t.change, t.contracts, t.ranked_values, t.outliers)
           IS DISTINCT FROM (n.composite, n.change, n.contracts, n.ranked_values, n.outliers)
    RETURNING 1
),
scores_inserted AS (
    INSERT INTO reporting_supplierscore
           (period, scheme_id, supplier_id, composite, change, contracts, ranked_values,
            outliers)
    SELECT %(period)s, n.scheme_id, n.supplier_id, n.composite, n.change, n.contracts,
           n.ranked_values, n.outliers
      FROM new_scores n
     WHERE NOT EXISTS (SELECT FROM reporting_supplierscore t
                        WHERE t.period = %(period)s
                          AND t.scheme_id = n.scheme_id
                          AND t.supplier_id = n.supplier_id)
    RETURNING 1
),
scores_deleted AS (
    DELETE FROM reporting_supplierscore t
     WHERE t.period = %(period)s
       AND NOT EXISTS (SELECT FROM new_scores n
                        WHERE n.scheme_id = t.scheme_id AND n.supplier_id = t.supplier_id)
    RETURNING 1
)
SELECT (SELECT count(*) FROM per_contract),
       (SELECT coalesce(sum(n), 0)::bigint FROM stats),
       (SELECT count(*) FROM benchmarks),
       (SELECT count(*) FROM new_results),
       (SELECT count(*) FROM new_scores)
"""

# The change since the previous quarter, set for every score of ``periods`` where it is
# not already right (so a re-run on unchanged data writes nothing). A missing side gives
# NULL.
CHANGE_SQL = """
UPDATE reporting_supplierscore s
   SET change = x.change
  FROM (SELECT cur.id,
               round((cur.composite - prev.composite) * 1000000) / 1000000 AS change
          FROM reporting_supplierscore cur
          LEFT JOIN reporting_supplierscore prev
                 ON prev.period = (cur.period - interval '3 months')::date
                AND prev.scheme_id = cur.scheme_id
                AND prev.supplier_id = cur.supplier_id
         WHERE cur.period = ANY (%(periods)s::date[])) x
 WHERE s.id = x.id
   AND s.change IS DISTINCT FROM x.change
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


def compute_period(
    period: date, *, run_id: int | None, changes: bool = True, version: int | None = None
) -> PeriodCounts:
    """Replace every result of ``period`` in one transaction and return its counts.

    With ``changes`` the supplier scores' change since the previous quarter is set in
    the same transaction, for this period and the next. With ``version`` (and
    ``changes``) the period's change marker is cleared in that transaction too, if it
    is still at that version: so the marker goes exactly when everything that depends
    on the period is recomputed, and a change made meanwhile keeps it.
    """
    params = {
        "period": period,
        "previous": add_quarters(period, -1),
        "run_id": run_id,
        "min_contracts": MIN_CONTRACTS,
    }
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL work_mem = '{WORK_MEM}'")
        # Compiling this statement with LLVM costs more than it saves (seconds per period).
        cursor.execute("SET LOCAL jit = off")
        # Row estimates through the CTEs are poor (a CTE of 400,000 values is planned as
        # a few hundred rows): every join here is an equality on a whole set, which a hash
        # join does in one pass where a merge join would sort again and a nested loop
        # would probe an index once per contract result (measured: 12% of a period).
        cursor.execute("SET LOCAL enable_mergejoin = off")
        cursor.execute("SET LOCAL enable_nestloop = off")
        # Results are derived data: no need to wait for the WAL flush at commit. The
        # change marker is cleared in this same transaction, so a period lost by a crash
        # of the server keeps its marker.
        cursor.execute("SET LOCAL synchronous_commit = off")
        cursor.execute("DELETE FROM reporting_metricbenchmark WHERE period = %s", [period])
        cursor.execute(COMPUTE_PERIOD_SQL, params)
        reports, values, benchmarks, results, scores = cursor.fetchone()
        if changes:
            _update_changes(cursor, period)
            if version is not None:
                # Only if nobody changed the period again while we computed it.
                cursor.execute(
                    "DELETE FROM reporting_periodchange WHERE period = %s AND version = %s",
                    [period, version],
                )
    return PeriodCounts(reports, values, benchmarks, results, scores)


def _update_changes(cursor, period: date) -> None:
    """The change since the previous quarter, for ``period`` and the quarter after it
    (whose "previous" just changed)."""
    _set_changes(cursor, [period])


def _set_changes(cursor, periods) -> None:
    """Set the change of every score in ``periods`` and in the quarters after them."""
    around = sorted({p for period in periods for p in (period, add_quarters(period, 1))})
    cursor.execute(CHANGE_SQL, {"periods": around})


def _compute_in_thread(period: date, run_id: int, version: int | None) -> PeriodCounts:
    try:
        return compute_period(period, run_id=run_id, version=version)
    finally:
        connection.close()  # this thread's own connection


def _waves(periods: list[date]) -> list[list[date]]:
    """``periods`` in at most two waves, one quarter in two each (the wave holding the
    earliest period first): no two periods of a wave are neighbours, so the ones computed
    side by side never write the same quarter's changes nor read each other's composites.
    """
    by_parity: dict[int, list[date]] = {}
    for period in sorted(periods):
        index = period.year * 4 + (period.month - 1) // 3
        by_parity.setdefault(index % 2, []).append(period)
    return sorted(by_parity.values(), key=lambda wave: wave[0])


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
    # Each period is one transaction: its results, the change since the previous quarter
    # of it and of the quarter after it, and clearing its change marker.
    if workers == 1 or total < 2 or connection.in_atomic_block:
        for index, period in enumerate(plan.periods, start=1):
            counts = compute_period(period, run_id=run.pk, version=plan.versions.get(period))
            _record(run, period, counts, index, total, say)
    else:
        index = 0
        with ThreadPoolExecutor(max_workers=workers) as pool:
            for wave in _waves(plan.periods):
                futures = {
                    pool.submit(_compute_in_thread, p, run.pk, plan.versions.get(p)): p
                    for p in wave
                }
                try:
                    for future in as_completed(futures):
                        index += 1
                        _record(run, futures[future], future.result(), index, total, say)
                except BaseException:
                    pool.shutdown(wait=True, cancel_futures=True)
                    raise
    run.periods = sorted(run.periods)
    run.status = ComparisonRun.Status.SUCCEEDED
    run.finished_at = timezone.now()
    run.message = summary(run)
    run.save(update_fields=["periods", "status", "finished_at", "message"])
    say(run.message)


def _record(
    run: ComparisonRun,
    period: date,
    counts: PeriodCounts,
    index: int,
    total: int,
    say: Callable[[str], None],
) -> None:
    """Count a finished (committed) period on the run."""
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
