"""Bench scenario: the nightly comparison at scale, and the CSV upload.

1,000,000 reports (50,000 contracts × 20 quarters, 8 metrics each: 8,000,000 values)
are generated with set-based SQL into their own database on the ``DATABASE_URL``
server, ``techmap_bench_reporting`` (``<TECHMAP_BENCH_DB>_reporting`` when that is set;
created and migrated here). Then, each step in a fresh child process so its peak memory
is its own:

- a single ``percent_rank()`` pass in SQL over the same rows (the floor to compare with);
- the full comparison (``run_comparison --full``): wall time and the worker's peak RSS;
- the comparison again on unchanged data (incremental: nothing to recompute);
- a CSV upload of 10,000 report rows through ``reports_import_csv``.

Targets: comparison < 30 s and < 300 MB, re-run < 5 s, CSV < 30 s. ``--quick``
uses 2,000 contracts × 8 quarters and 1,000 CSV rows. Run it with ``make bench``
(``python -m bench --only reporting``) or ``python -m bench.reporting [--quick]``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

# Its own database beside the harness's (``techmap_bench`` or ``TECHMAP_BENCH_DB``).
BENCH_DB = os.environ.get("TECHMAP_BENCH_DB", "techmap_bench") + "_reporting"
ROOT = Path(__file__).resolve().parent.parent
PREFIX = "ocds-bench0-"
CSV_PREFIX = "ocds-benchc-"
TARGETS = {"comparison_s": 30.0, "comparison_mb": 300.0, "rerun_s": 5.0, "csv_s": 30.0}


def sizes(quick: bool) -> dict[str, int]:
    if quick:
        return {"contracts": 2_000, "quarters": 8, "suppliers": 400, "csv_rows": 1_000}
    return {"contracts": 50_000, "quarters": 20, "suppliers": 5_000, "csv_rows": 10_000}


# --- Parent: orchestration ----------------------------------------------------------------


def _with_db(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path="/" + name))


def _server_url(args) -> str:
    url = getattr(args, "database_url", None) or os.environ.get("DATABASE_URL")
    if not url:
        from techmap.startup import prepare_environment

        prepare_environment()
        url = os.environ["DATABASE_URL"]
    return url


def _ensure_database(server_url: str, rebuild: bool) -> str:
    import psycopg

    with psycopg.connect(_with_db(server_url, "postgres"), autocommit=True) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [BENCH_DB]
        ).fetchone()
        if exists and rebuild:
            connection.execute(f'DROP DATABASE "{BENCH_DB}" WITH (FORCE)')
            exists = None
        if not exists:
            connection.execute(f'CREATE DATABASE "{BENCH_DB}"')
            print(f"Created database {BENCH_DB}")
    return _with_db(server_url, BENCH_DB)


def _child(url: str, step: str, *extra: str) -> dict:
    """Run one step in a fresh Python process against the bench database."""
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "techmap.settings",
        "DEBUG": "0",
        "DJANGO_ENV": os.environ.get("DJANGO_ENV", "development"),
    }
    started = time.monotonic()
    completed = subprocess.run(
        [sys.executable, "-m", "bench.reporting", "--child", step, *extra],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.monotonic() - started
    if completed.returncode != 0:
        raise RuntimeError(f"step {step} failed:\n{completed.stderr[-3000:]}")
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    result["process_wall_s"] = round(wall, 2)
    return result


def run(args) -> dict:
    """Generate (or reuse) the data, time each step, print a table, return the figures."""
    from bench.timing import table

    quick = bool(getattr(args, "quick", False))
    size = sizes(quick)
    url = _ensure_database(_server_url(args), bool(getattr(args, "rebuild", False)))
    migrate = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input", "--skip-checks", "-v", "0"],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": url, "DEBUG": "0"},
        capture_output=True,
        text=True,
        check=False,
    )
    if migrate.returncode != 0:
        raise RuntimeError(f"migrate failed:\n{migrate.stderr[-3000:]}")
    shape = [str(size[k]) for k in ("contracts", "quarters", "suppliers")]
    generated = _child(url, "generate", *shape)
    print(
        f"Data: {generated['reports']:,} reports, {generated['values']:,} values "
        f"({'generated in ' + str(generated['seconds']) + ' s' if generated['made'] else 'reused'})"
    )
    baseline = _child(url, "baseline")
    full = _child(url, "compare", "--full")
    rerun = _child(url, "compare")
    csv = _child(url, "csv", str(size["csv_rows"]))

    rows = [
        ["single percent_rank() pass (SQL)", baseline["seconds"], "", "", ""],
        [
            "full comparison (run_comparison --full)",
            full["seconds"],
            full["peak_rss_mb"],
            f"< {TARGETS['comparison_s']:.0f} s, < {TARGETS['comparison_mb']:.0f} MB",
            _ok(
                full["seconds"] < TARGETS["comparison_s"]
                and full["peak_rss_mb"] < TARGETS["comparison_mb"]
            ),
        ],
        [
            "re-run on unchanged data",
            rerun["seconds"],
            rerun["peak_rss_mb"],
            f"< {TARGETS['rerun_s']:.0f} s",
            _ok(rerun["seconds"] < TARGETS["rerun_s"]),
        ],
        [
            f"CSV upload of {csv['rows']:,} rows",
            csv["seconds"],
            csv["peak_rss_mb"],
            f"< {TARGETS['csv_s']:.0f} s",
            _ok(csv["seconds"] < TARGETS["csv_s"] and csv["created"] == csv["rows"]),
        ],
    ]
    load = os.getloadavg()[0]
    print(
        f"Contract reporting, {generated['reports']:,} reports, {generated['values']:,} values; "
        f"load average {load:.1f} on {os.cpu_count()} CPUs (other work on the machine slows "
        "every step)"
    )
    print(table(["step", "seconds", "peak MB", "target", "met"], rows))
    if full.get("postgres_cpu_s") is not None:
        print(
            f"PostgreSQL CPU time of the full run: {full['postgres_cpu_s']} s, so about "
            f"{full['idle_estimate_s']} s on an idle machine ({full['workers']} periods at "
            f"once). The percent_rank() pass is the floor for any comparison."
        )
    print(
        f"Full run: {full['periods']} periods, {full['reports']:,} reports, "
        f"{full['values']:,} values, {full['benchmarks']:,} benchmarks, "
        f"{full['supplier_scores']:,} supplier scores. The PostgreSQL backend's memory is "
        f"bounded by work_mem ({full['work_mem']}) and is not in the worker's figure."
    )
    return {
        "quick": quick,
        "sizes": size,
        "reports": generated["reports"],
        "values": generated["values"],
        "generate_s": generated["seconds"] if generated["made"] else None,
        "percent_rank_pass_s": baseline["seconds"],
        "comparison_s": full["seconds"],
        "comparison_process_s": full["process_wall_s"],
        "comparison_peak_rss_mb": full["peak_rss_mb"],
        "comparison_postgres_cpu_s": full.get("postgres_cpu_s"),
        "comparison_idle_estimate_s": full.get("idle_estimate_s"),
        "rerun_s": rerun["seconds"],
        "rerun_peak_rss_mb": rerun["peak_rss_mb"],
        "csv_rows": csv["rows"],
        "csv_created": csv["created"],
        "csv_s": csv["seconds"],
        "csv_peak_rss_mb": csv["peak_rss_mb"],
        "load_average": round(load, 1),
        "targets": TARGETS,
        "targets_met": all(row[4] == "yes" for row in rows[1:]),
    }


def _ok(flag: bool) -> str:
    return "yes" if flag else "NO"


# --- Child steps (Django set up against the bench database) --------------------------------


def _peak_mb() -> float:
    """This process's peak resident memory. Linux carries ``ru_maxrss`` across exec, so a
    child started by a big ``python -m bench`` would report the parent's peak: the kernel's
    high-water mark of this process's own memory (VmHWM) is read instead where it exists."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _generate(contracts: int, quarters: int, suppliers: int) -> dict:
    """Set-based generation; reused when the same shape is already there."""
    from django.db import connection, transaction

    from reporting.models import Contract, ContractReport
    from reporting.periods import add_quarters, current_quarter
    from reporting.services import scheme_current
    from suppliers.models import Supplier

    existing_contracts = Contract.objects.filter(ocid__startswith=PREFIX).count()
    existing_reports = ContractReport.objects.filter(contract__ocid__startswith=PREFIX).count()
    started = time.monotonic()
    if existing_contracts == contracts and existing_reports == contracts * quarters:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM reporting_reportvalue")
            values = cursor.fetchone()[0]
        return {"made": False, "reports": existing_reports, "values": values, "seconds": 0}

    scheme = scheme_current()
    first = add_quarters(current_quarter(), -quarters)
    with connection.cursor() as cursor:
        for table in (
            "reporting_metricbenchmark",
            "reporting_contractresult",
            "reporting_supplierscore",
            "reporting_periodchange",
            "reporting_reportevent",
            "reporting_reportvalue",
            "reporting_historicalcontractreport",
            "reporting_contractreport",
            "reporting_historicalcontract",
            "reporting_contract",
        ):
            cursor.execute(f"TRUNCATE {table} CASCADE")
    have = Supplier.objects.filter(slug__startswith="bench-reporting-").count()
    Supplier.objects.bulk_create(
        (
            Supplier(
                name=f"Bench reporting supplier {n}",
                slug=f"bench-reporting-{n}",
                companies_house_number=f"SC{n:06d}",
                size=Supplier.Size.SMALL,
                status=Supplier.Status.PUBLISHED,
            )
            for n in range(have, suppliers)
        ),
        batch_size=2000,
    )
    params = {
        "n": contracts,
        "quarters": quarters,
        "first": first,
        "scheme": scheme.pk,
        "prefix": PREFIX,
    }
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        cursor.execute("SELECT setseed(0.2026)")
        cursor.execute(
            """
            INSERT INTO reporting_contract
                   (ocid, title, description, buyer_id, supplier_id, category_id, value,
                    start_date, end_date, status, created_at, updated_at)
            SELECT %(prefix)s || g, 'Bench contract ' || g, '',
                   b.ids[1 + g %% array_length(b.ids, 1)],
                   s.ids[1 + (g * 7919) %% array_length(s.ids, 1)],
                   cg.ids[1 + (g * 31) %% array_length(cg.ids, 1)],
                   (10000 + g)::numeric, %(first)s::date - 30, NULL, 'active', now(), now()
              FROM generate_series(1, %(n)s) AS g,
                   (SELECT array_agg(id ORDER BY id) AS ids FROM accounts_publicbody) b,
                   (SELECT array_agg(id ORDER BY id) AS ids FROM suppliers_supplier
                     WHERE slug LIKE 'bench-reporting-%%') s,
                   (SELECT array_agg(id ORDER BY id) AS ids FROM suppliers_capabilitygroup) cg
            """,
            params,
        )
        # Ordered by period, so each period's values sit together on disk (as they do
        # in life: a quarter's reports arrive together) and its BRIN range is narrow.
        cursor.execute(
            """
            INSERT INTO reporting_contractreport
                   (contract_id, period, scheme_id, status, submitted_at, query_reason, reply,
                    updated_at)
            SELECT c.id, (%(first)s::date + make_interval(months => 3 * q))::date, %(scheme)s,
                   CASE WHEN random() < 0.03 THEN 'queried'
                        WHEN random() < 0.2 THEN 'submitted' ELSE 'accepted' END,
                   now(), '', '', now()
              FROM generate_series(0, %(quarters)s - 1) AS q
             CROSS JOIN reporting_contract c
             WHERE c.ocid LIKE %(prefix)s || '%%'
             ORDER BY q, c.id
            """,
            params,
        )
        cursor.execute(
            """
            INSERT INTO reporting_reportvalue (report_id, metric_id, period, value, comment)
            SELECT r.id, m.id, r.period,
                   CASE
                     WHEN m.unit = 'rating' THEN 1 + floor(random() * 4)
                     WHEN m.unit = 'score' THEN 1 + floor(random() * 5)
                     WHEN m.unit = 'count' THEN
                          CASE WHEN random() < 0.01 THEN 40 ELSE floor(random() * 6) END
                     WHEN m.direction = 'lower' THEN
                          round((85 + random() * 30 + CASE WHEN random() < 0.01 THEN 80 ELSE 0
                                END)::numeric, 1)
                     ELSE round((55 + random() * 45 - CASE WHEN random() < 0.01 THEN 50 ELSE 0
                                END)::numeric, 1)
                   END,
                   ''
              FROM reporting_contractreport r
             CROSS JOIN reporting_metricdefinition m
             WHERE m.scheme_id = %(scheme)s
             ORDER BY r.id, m.id
            """,
            params,
        )
        cursor.execute(
            "INSERT INTO reporting_periodchange (period, version, changed_at) "
            "SELECT DISTINCT period, 1, now() FROM reporting_contractreport"
        )
    with connection.cursor() as cursor:
        for table in ("reporting_contract", "reporting_contractreport", "reporting_reportvalue"):
            cursor.execute(f"VACUUM ANALYZE {table}")
        cursor.execute("SELECT count(*) FROM reporting_reportvalue")
        values = cursor.fetchone()[0]
    reports = ContractReport.objects.count()
    return {
        "made": True,
        "reports": reports,
        "values": values,
        "seconds": round(time.monotonic() - started, 1),
    }


def _baseline() -> dict:
    """One percent_rank() window pass over every compared value: the floor for a comparison.

    Like for like with the comparison: the same compared reports, the same groups (period,
    category, metric), the same direction-adjusted order and the same session settings
    (work_mem, no JIT, no merge joins); one statement over all periods, so one sort.
    """
    from django.db import connection, transaction

    from reporting.comparison import WORK_MEM

    started = time.monotonic()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL work_mem = '{WORK_MEM}'")
        cursor.execute("SET LOCAL jit = off")
        cursor.execute("SET LOCAL enable_mergejoin = off")
        cursor.execute(
            """
            SELECT count(*), round(sum(pr)::numeric, 3) FROM (
                SELECT percent_rank() OVER (
                           PARTITION BY v.period, c.category_id, v.metric_id
                           ORDER BY CASE WHEN m.direction = 'lower' THEN -v.value
                                         ELSE v.value END) AS pr
                  FROM reporting_reportvalue v
                  JOIN reporting_contractreport r ON r.id = v.report_id
                  JOIN reporting_contract c ON c.id = r.contract_id
                  JOIN reporting_metricdefinition m ON m.id = v.metric_id
                 WHERE r.period = v.period
                   AND r.status IN ('submitted', 'accepted')) ranked
            """
        )
        count, _ = cursor.fetchone()
    return {"seconds": round(time.monotonic() - started, 2), "rows": count}


def _backend_cpu(pid: int) -> float | None:
    """CPU seconds a PostgreSQL backend has used (when the server runs on this machine)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _compare(full: bool) -> dict:
    from django.db import connection

    from reporting import comparison
    from reporting.comparison import WORK_MEM, run_comparison
    from reporting.models import ComparisonRun

    # Count the CPU time PostgreSQL spends on each period: with other work on the
    # machine, wall time says little, and CPU time / cores estimates an idle machine.
    spent: list[float] = []
    real = comparison.compute_period

    def measured(period, **kwargs):
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            pid = cursor.fetchone()[0]
        before = _backend_cpu(pid)
        counts = real(period, **kwargs)
        after = _backend_cpu(pid)
        if before is not None and after is not None:
            spent.append(after - before)
        return counts

    comparison.compute_period = measured
    if full:
        # The state a nightly run starts from: last run's results, vacuumed (autovacuum
        # does it between runs; a server with autovacuum off would otherwise carry every
        # earlier run's dead rows into this one).
        with connection.cursor() as cursor:
            cursor.execute(
                "VACUUM (ANALYZE) reporting_contractresult, reporting_supplierscore, "
                "reporting_metricbenchmark"
            )
    started = time.monotonic()
    run = run_comparison(full=full, trigger=ComparisonRun.Trigger.COMMAND)
    seconds = time.monotonic() - started
    connection.close()
    workers = min(comparison.WORKERS, os.cpu_count() or 1)
    return {
        "workers": workers,
        "postgres_cpu_s": round(sum(spent), 1) if spent else None,
        "idle_estimate_s": round(sum(spent) / workers, 1) if spent else None,
        "seconds": round(seconds, 2),
        "peak_rss_mb": _peak_mb(),
        "status": run.status,
        "periods": len(run.periods),
        "reports": int(run.reports_counted),
        "values": int(run.values_counted),
        "benchmarks": run.benchmarks_written,
        "supplier_scores": run.supplier_scores_written,
        "work_mem": WORK_MEM,
    }


def _csv(rows: int) -> dict:
    """10,000 report rows for new contracts of one supplier, uploaded as its member."""
    import csv
    import io

    from accounts.models import PublicBody, User
    from reporting.models import Contract, ContractReport
    from reporting.periods import add_quarters, current_quarter, period_code
    from reporting.services import csv_columns, reports_import_csv, scheme_current
    from suppliers.models import CapabilityGroup, Supplier, SupplierMembership

    supplier, _ = Supplier.objects.get_or_create(
        slug="bench-reporting-csv",
        defaults={
            "name": "Bench CSV supplier",
            "companies_house_number": "RC000001",
            "size": Supplier.Size.SMALL,
            "status": Supplier.Status.PUBLISHED,
        },
    )
    user, _ = User.objects.get_or_create(email="bench.csv@bench.example")
    SupplierMembership.objects.get_or_create(
        supplier=supplier, user=user, defaults={"role": "owner"}
    )
    ContractReport.objects.filter(contract__ocid__startswith=CSV_PREFIX).delete()
    Contract.objects.filter(ocid__startswith=CSV_PREFIX).delete()
    period = add_quarters(current_quarter(), -1)
    body = PublicBody.objects.order_by("pk").first()
    groups = list(CapabilityGroup.objects.order_by("pk"))
    Contract.objects.bulk_create(
        (
            Contract(
                ocid=f"{CSV_PREFIX}{n}",
                title=f"CSV bench contract {n}",
                buyer=body,
                supplier=supplier,
                category=groups[n % len(groups)],
                start_date=add_quarters(period, -4),
            )
            for n in range(rows)
        ),
        batch_size=5000,
    )
    scheme = scheme_current()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(csv_columns(scheme))
    samples = {
        "rating": "Good",
        "percent": "92.5",
        "count": "1",
        "score": "4",
        "pounds": "100",
        "days": "3",
    }
    metrics = list(scheme.metrics.all())
    for n in range(rows):
        row = [f"{CSV_PREFIX}{n}", period_code(period)]
        for metric in metrics:
            row += [samples[metric.unit], "On track" if n % 10 == 0 else ""]
        writer.writerow(row)
    content = out.getvalue().encode()
    started = time.monotonic()
    result = reports_import_csv(actor=user, content=content)
    seconds = time.monotonic() - started
    return {
        "seconds": round(seconds, 2),
        "rows": rows,
        "created": len(result.created),
        "problems": len(result.problems),
        "peak_rss_mb": _peak_mb(),
    }


def _child_main(argv: list[str]) -> None:
    import django

    django.setup()
    step, rest = argv[0], argv[1:]
    if step == "generate":
        result = _generate(*(int(x) for x in rest))
    elif step == "baseline":
        result = _baseline()
    elif step == "compare":
        result = _compare(full="--full" in rest)
    elif step == "csv":
        result = _csv(int(rest[0]))
    else:
        raise SystemExit(f"unknown step {step}")
    print(json.dumps(result, default=str))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.reporting", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="2,000 contracts × 8 quarters")
    parser.add_argument("--rebuild", action="store_true", help="recreate the bench database")
    parser.add_argument("--child", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child_main(args.child)
        return 0
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "techmap.settings")
    result = run(args)
    return 0 if result["targets_met"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
