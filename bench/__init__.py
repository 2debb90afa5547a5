"""Techmap's benchmark harness: ``make bench`` (``python -m bench``).

``python -m bench`` points Django at a separate database on the same server as
``DATABASE_URL`` (``techmap_bench``, or ``TECHMAP_BENCH_DB``), creates and migrates it,
then runs every scenario module in :data:`SCENARIOS` that exists. Options:
``--quick`` (10,000 suppliers and fewer runs: a smoke test), ``--only NAME``,
``--suppliers N``, ``--runs N``, ``--rebuild`` (drop and recreate the bench database).
Scenario names may also be given bare: ``python -m bench public_records`` (so
``make bench BENCH_ARGS=public_records``) runs only that one.

A scenario is a module ``bench/<name>.py`` with ``run(args) -> dict``: it prepares its
own data (or reuses what is there), prints a readable table and returns the figures;
``python -m bench`` writes them to ``bench/results/<name>.json``. ``args`` is the
``argparse.Namespace`` built in ``bench/__main__.py`` (``quick``, ``suppliers``,
``runs``, ``rebuild``, ``results_dir``, ``database_url``). Helpers for timing and
tables are in :mod:`bench.timing`; :func:`bench.suppliers.ensure_suppliers` fills the
register for scenarios that need suppliers.
"""

SCENARIOS = ["suppliers", "api", "reporting", "public_records", "load"]
