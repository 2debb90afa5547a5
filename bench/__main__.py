"""``python -m bench``: run the benchmark scenarios against a separate database.

See bench/__init__.py for the options and the contract a scenario module keeps.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from bench import SCENARIOS

BENCH_DIR = Path(__file__).resolve().parent
DEFAULT_DB = "techmap_bench"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="10,000 suppliers, fewer runs")
    parser.add_argument("names", nargs="*", metavar="SCENARIO", help="run just these (as --only)")
    parser.add_argument("--only", action="append", choices=SCENARIOS, help="run just these")
    parser.add_argument("--suppliers", type=int, help="suppliers to generate (100,000)")
    parser.add_argument("--runs", type=int, help="timed runs per measurement (30; quick 10)")
    parser.add_argument("--rebuild", action="store_true", help="recreate the bench database")
    args = parser.parse_args(argv)
    unknown = [name for name in args.names if name not in SCENARIOS]
    if unknown:
        parser.error(f"no scenario {unknown[0]!r} (choose from {', '.join(SCENARIOS)})")
    if args.names:
        args.only = [*(args.only or []), *args.names]
    if args.suppliers is None:
        args.suppliers = 10_000 if args.quick else 100_000
    if args.runs is None:
        args.runs = 10 if args.quick else 30
    if args.suppliers < 100 or args.runs < 1:
        parser.error("--suppliers must be at least 100 and --runs at least 1")
    args.results_dir = BENCH_DIR / "results"
    return args


def bench_database_url(url: str, name: str) -> str:
    """``url`` with its database name replaced by ``name``."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


def prepare_database(args: argparse.Namespace) -> None:
    """Point DATABASE_URL at the bench database (created, migrated) and set Django up."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "techmap.settings")
    # Timings must not include Django's debug query log.
    os.environ["DEBUG"] = "0"
    from techmap.startup import prepare_environment

    prepare_environment()  # starts the embedded PostgreSQL/Redis when no URLs are set
    server_url = os.environ["DATABASE_URL"]
    name = os.environ.get("TECHMAP_BENCH_DB", DEFAULT_DB)
    args.database_url = bench_database_url(server_url, name)

    import psycopg

    admin_url = bench_database_url(server_url, "postgres")
    with psycopg.connect(admin_url, autocommit=True) as connection:
        query = "SELECT 1 FROM pg_database WHERE datname = %s"
        exists = connection.execute(query, [name]).fetchone()
        if exists and args.rebuild:
            connection.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            exists = None
        if not exists:
            connection.execute(f'CREATE DATABASE "{name}"')
            print(f"Created database {name}")
    os.environ["DATABASE_URL"] = args.database_url

    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, skip_checks=True)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    prepare_database(args)
    args.results_dir.mkdir(parents=True, exist_ok=True)
    failures = 0
    for name in args.only or SCENARIOS:
        try:
            module = importlib.import_module(f"bench.{name}")
        except ModuleNotFoundError as error:
            if error.name != f"bench.{name}":
                raise
            print(f"\n== {name}: no bench/{name}.py yet, skipped")
            continue
        print(f"\n== {name}")
        started = time.monotonic()
        try:
            result = module.run(args)
        except Exception as error:  # noqa: BLE001 - one failing scenario must not stop the rest
            failures += 1
            print(f"{name} failed: {type(error).__name__}: {error}", file=sys.stderr)
            continue
        result = dict(result or {})
        result.setdefault("seconds", round(time.monotonic() - started, 1))
        path = args.results_dir / f"{name}.json"
        path.write_text(json.dumps(result, indent=2, default=str) + "\n")
        print(f"(written to {path.relative_to(BENCH_DIR.parent)})")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
