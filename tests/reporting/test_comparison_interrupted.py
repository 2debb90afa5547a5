"""An interrupted nightly comparison leaves no wrong number behind.

A real ``manage.py run_comparison`` (incremental) is killed with SIGKILL after some of
its periods were recorded. Whatever it had committed, every supplier's change since the
previous quarter agrees with the composites as they stand, the change markers of the
periods it did not finish are still there, and the next incremental run gives exactly
what a clean ``--full`` run gives: every benchmark, contract result and supplier score.

Where the run stops is made certain, not left to timing: another connection holds one
period's benchmark rows, so the run finishes every period it can and then waits inside
that period's transaction; the test waits for both, then kills it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from django.db import connection
from django.db.models import F

from reporting import services
from reporting.comparison import run_comparison
from reporting.models import ComparisonRun, PeriodChange, ReportValue
from tests import factories
from tests.helpers import wait_until
from tests.reporting.factories import GOOD_VALUES, ContractFactory, last_quarter

ROOT = Path(__file__).resolve().parents[2]
# Four consecutive quarters, oldest first.
Q1, Q2, Q3, Q4 = (last_quarter(back) for back in (4, 3, 2, 1))
RESULT_TABLES = ("reporting_metricbenchmark", "reporting_contractresult", "reporting_supplierscore")


def _db_params() -> dict:
    """Connection parameters of the test database, for connections of the test's own."""
    db = connection.settings_dict
    params = {"dbname": db["NAME"], "user": db["USER"], "host": db["HOST"] or "127.0.0.1"}
    if db.get("PORT"):
        params["port"] = db["PORT"]
    if db.get("PASSWORD"):
        params["password"] = db["PASSWORD"]
    return params


def _database_url(params: dict) -> str:
    password = f":{params['password']}" if "password" in params else ""
    return (
        f"postgres://{params['user']}{password}@{params['host']}:{params.get('port', 5432)}"
        f"/{params['dbname']}"
    )


def results() -> dict[str, list[tuple]]:
    """Every row of every result table, every column but the row id and the run that wrote
    it, in a stable order."""
    snapshot = {}
    with connection.cursor() as cursor:
        for table in RESULT_TABLES:
            cursor.execute(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_name = %s AND column_name NOT IN ('id', 'run_id') "
                "ORDER BY ordinal_position",
                [table],
            )
            columns = ", ".join(row[0] for row in cursor.fetchall())
            cursor.execute(f"SELECT {columns} FROM {table} ORDER BY {columns}")
            snapshot[table] = cursor.fetchall()
    return snapshot


def wrong_changes() -> list[tuple]:
    """Supplier scores whose change is not their composite minus the previous quarter's."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT cur.period, cur.supplier_id, cur.change,
                   round((cur.composite - prev.composite) * 1000000) / 1000000
              FROM reporting_supplierscore cur
              LEFT JOIN reporting_supplierscore prev
                     ON prev.period = (cur.period - interval '3 months')::date
                    AND prev.scheme_id = cur.scheme_id
                    AND prev.supplier_id = cur.supplier_id
             WHERE cur.change IS DISTINCT FROM
                   round((cur.composite - prev.composite) * 1000000) / 1000000
            """
        )
        return cursor.fetchall()


def _build_four_quarters() -> None:
    """Two categories of eight contracts, each its own supplier, reporting every quarter
    with values that move the suppliers' ranks from one quarter to the next."""
    for category in range(2):
        group = factories.CapabilityGroupFactory()
        for index in range(8):
            contract = ContractFactory(category=group)
            user = factories.MembershipFactory(supplier=contract.supplier, role="owner").user
            for quarter, period in enumerate((Q1, Q2, Q3, Q4)):
                services.report_submit(
                    actor=user,
                    contract=contract,
                    period=period,
                    values={
                        **GOOD_VALUES,
                        "milestones_on_time": str(10 + (index * 7 + quarter * 13 + category) % 90),
                        "spend_against_budget": str(90 + (index * 5 + quarter * 3) % 40),
                        "user_satisfaction": str(1 + (index + quarter) % 5),
                    },
                )


def _change_reports(periods) -> None:
    """Reverse every supplier's milestones in ``periods`` (so the best become the worst),
    the way a service changes reports: with the periods' change markers."""
    from reporting.comparison import mark_periods_changed

    ReportValue.objects.filter(period__in=periods, metric__code="milestones_on_time").update(
        value=100 - F("value")
    )
    mark_periods_changed(periods)


def _kill_the_run_while_it_waits_for(blocked, changed) -> ComparisonRun:
    """Start ``manage.py run_comparison`` (incremental) and SIGKILL it once every changed
    period but ``blocked`` is recorded and it waits inside ``blocked``'s transaction."""
    params = _db_params()
    database = params["dbname"]
    env = {**os.environ, "DATABASE_URL": _database_url(params), "DJANGO_ENV": "development"}
    env.pop("REPORTING_COMPARISON_WORKERS", None)
    with (
        psycopg.connect(**params) as blocker,
        psycopg.connect(**params, autocommit=True) as watcher,
    ):
        # Every run starts a period by deleting its benchmarks: held here, the run waits.
        blocker.execute(
            "SELECT * FROM reporting_metricbenchmark WHERE period = %s FOR UPDATE", [blocked]
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

            def recorded() -> int:
                # An autocommit connection: a transaction would cache what it reads.
                row = watcher.execute(
                    "SELECT jsonb_array_length(periods) FROM reporting_comparisonrun "
                    "WHERE status = 'running' ORDER BY id DESC LIMIT 1"
                ).fetchone()
                return row[0] if row else 0

            def waiting() -> bool:
                return bool(
                    watcher.execute(
                        "SELECT count(*) FROM pg_stat_activity "
                        "WHERE datname = %s AND wait_event_type = 'Lock'",
                        [database],
                    ).fetchone()[0]
                )

            try:
                wait_until(lambda: recorded() == len(changed) - 1 and waiting(), timeout=90)
            except AssertionError:
                child.kill()
                pytest.fail(f"the run never stopped where expected: {child.stdout.read()}")
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
            child.stdout.close()
        blocker.rollback()

        def alone() -> bool:
            return not watcher.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = %s "
                "AND pid NOT IN (pg_backend_pid(), %s, %s) AND backend_type = 'client backend'",
                [database, connection.connection.info.backend_pid, blocker.info.backend_pid],
            ).fetchone()[0]

        wait_until(alone)
    return ComparisonRun.objects.order_by("-pk").first()


@pytest.mark.parametrize(
    ("changed", "blocked"),
    [
        # Q1 is recorded, Q3 is not: Q2 follows Q1 but was not to be recomputed itself.
        ((Q1, Q3), Q3),
        # Every quarter changed; the last one is the one left unfinished.
        ((Q1, Q2, Q3, Q4), Q4),
        # Every quarter changed; one in the middle is left unfinished.
        ((Q1, Q2, Q3, Q4), Q2),
    ],
    ids=["alternate-quarters", "all-but-the-last", "all-but-one-in-the-middle"],
)
def test_a_killed_incremental_run_leaves_no_wrong_numbers(standard_scheme, changed, blocked):
    _build_four_quarters()
    run_comparison(full=True)
    PeriodChange.objects.all().delete()
    assert not wrong_changes()
    _change_reports(changed)

    killed = _kill_the_run_while_it_waits_for(blocked, changed)
    assert killed.status == "running"  # it never got to say otherwise
    assert len(killed.periods) == len(changed) - 1  # every other period was recorded
    # Whatever was committed is consistent, and what was not finished is still marked.
    assert wrong_changes() == []
    assert PeriodChange.objects.filter(period=blocked).exists()
    assert set(PeriodChange.objects.values_list("period", flat=True)) == {blocked}

    run = run_comparison()
    assert run.status == "succeeded"
    incremental = results()
    assert wrong_changes() == []
    assert run_comparison(full=True).status == "succeeded"
    assert incremental == results()  # every row, as a clean full run computes it
    assert not PeriodChange.objects.exists()


def test_the_check_sees_a_wrong_change(standard_scheme):
    """``wrong_changes`` and ``results`` can fail: a change left as it was before the
    previous quarter was recomputed is found, and differs from a full run."""
    _build_four_quarters()
    run_comparison(full=True)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE reporting_supplierscore SET change = change + 0.1 "
            "WHERE period = %s AND change IS NOT NULL",
            [Q2],
        )
    assert len(wrong_changes()) == 16
    stale = results()
    run_comparison(full=True)
    assert stale != results() and not wrong_changes()
