"""The supplier search benchmark.

1. Fills the bench database with ``args.suppliers`` generated suppliers (100,000; 10,000
   with ``--quick``) through the real CSV import (``suppliers.importer``, timed: the
   import rate) using the data engineer's generator (``suppliers.demo``), adds their
   case studies and refreshes the search vectors; reused when already there.
2. Picks searches that match about 50, 2,000 and 10,000 suppliers (and, for the
   record, the page with no search, and a misspelt capability).
3. Times each one ``args.runs`` times: the search selector alone (count, page, facets)
   and the whole page through Django's test client (middleware, view, template), taken
   in turn so both see the same machine, and counts the queries of one page request.
4. Runs the same word-only searches in tantivy, a Lucene-class engine, on the same
   suppliers (:mod:`bench.tantivy_reference`) and prints Techmap's selector time over
   tantivy's per class (issue 17's goal: within 20× at about 2,000 matches).

Targets (issue 17), for the five chosen searches: p95 ≤ 50 ms up to about 2,000 matches,
≤ 100 ms at about 10,000, and the page within 1.5× the selector (p50). The page with no search,
cached and not, and a misspelling are timed for the record.
"""

from __future__ import annotations

import csv
import math
import os
import random
import tempfile
import time
from typing import Any

from bench import tantivy_reference
from bench.timing import measure, measure_alternating, table

TARGETS = {"~50": 50, "~2,000": 2_000, "~10,000": 10_000}
SEED = 2026


# --- Data ---------------------------------------------------------------------------


def _meta(key: str, value: str | None = None) -> str | None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS bench_meta (key text PRIMARY KEY, value text)")
        if value is not None:
            cursor.execute(
                "INSERT INTO bench_meta VALUES (%s, %s) "
                "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
                [key, value],
            )
            return value
        cursor.execute("SELECT value FROM bench_meta WHERE key = %s", [key])
        row = cursor.fetchone()
        return row[0] if row else None


REFERENCE_MODELS = {"Region", "CapabilityGroup", "Capability", "Certification", "Framework"}


def _empty_register() -> None:
    """Delete every supplier and what hangs off it; keep the reference data."""
    from django.apps import apps
    from django.db import connection

    tables = [
        model._meta.db_table
        for model in apps.get_app_config("suppliers").get_models(include_auto_created=True)
        if model.__name__.removeprefix("Historical") not in REFERENCE_MODELS
    ]
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(tables)} CASCADE")


def ensure_suppliers(n: int, *, log=print) -> dict[str, Any]:
    """Make sure the register holds the ``n`` generated suppliers; import figures if made."""
    from django.db import connection, transaction

    from suppliers.demo import COLUMNS, generate_suppliers
    from suppliers.importer import import_suppliers_csv
    from suppliers.models import CaseStudy, Supplier
    from suppliers.services import refresh_search_vectors

    if _meta("suppliers") == str(n):
        log(f"Reusing the {n:,} suppliers already in the bench database.")
        # A migration may have rewritten every row since (new row versions, every old one
        # still in the indexes until a vacuum): time the search on a tidy table.
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM ANALYZE {Supplier._meta.db_table}")
        return {"reused": True}
    _empty_register()
    log(f"Generating {n:,} suppliers…")
    started = time.monotonic()
    rows = list(generate_suppliers(n, rng=random.Random(SEED)))
    generated = time.monotonic() - started
    with tempfile.NamedTemporaryFile("w", suffix=".csv", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(COLUMNS)
        writer.writerows([row[c] for c in COLUMNS] for row in rows)
        file.flush()
        log(f"Importing {n:,} rows with suppliers.importer…")
        started = time.monotonic()
        report = import_suppliers_csv(file.name, reason="Benchmark data")
        import_seconds = time.monotonic() - started
    log(f"  {report.summary()} in {import_seconds:.1f} s ({n / import_seconds:,.0f} rows/s)")
    started = time.monotonic()
    ids = dict(Supplier.objects.values_list("companies_house_number", "pk"))
    studies = [
        CaseStudy(supplier_id=ids[row["companies_house_number"]], **study)
        for row in rows
        if row["companies_house_number"] in ids
        for study in row["case_studies"]
    ]
    with transaction.atomic():
        CaseStudy.objects.bulk_create(studies, batch_size=5000)
        refresh_search_vectors(supplier_ids={s.supplier_id for s in studies})
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    log(f"  {len(studies):,} case studies and vectors in {time.monotonic() - started:.1f} s")
    _meta("suppliers", str(n))
    return {
        "reused": False,
        "rows": n,
        "generate_seconds": round(generated, 1),
        "import_seconds": round(import_seconds, 1),
        "import_rows_per_second": round(n / import_seconds),
        "import_created": report.created,
        "import_rejected": len(report.rejected),
        "case_studies": len(studies),
    }


# --- Choosing searches --------------------------------------------------------------


def _candidates() -> list[str]:
    """Query strings to try: capabilities, groups and name words, alone and narrowed."""
    from urllib.parse import urlencode

    from suppliers.models import Capability, CapabilityGroup, Region, Supplier

    words = set()
    for name in Supplier.objects.order_by("?").values_list("name", flat=True)[:80]:
        parts = name.split()
        words.add(parts[0])
        if len(parts) > 2:
            words.add(" ".join(parts[:2]))
    texts = sorted(words) + list(Capability.objects.values_list("name", flat=True))
    texts += list(CapabilityGroup.objects.values_list("name", flat=True))
    region = Region.objects.order_by("position").values_list("slug", flat=True)[6]
    queries = []
    for text in texts:
        queries.append(urlencode({"q": text}))
        queries.append(urlencode({"q": text, "region": region}))
        queries.append(urlencode({"q": text, "region": region, "sme": "true"}))
    return queries


def choose_searches(log=print) -> dict[str, tuple[str, int]]:
    """For each target, the search words alone whose matches are closest to it; then, for
    the record, the closest searches narrowed by a region (and SMEs): a facet count
    must read every supplier matching the words, so those cost by their words."""
    from django.http import QueryDict

    from suppliers.filters import SupplierFilterSet
    from suppliers.selectors import reference_data

    refdata = reference_data()
    counts = {}
    for query in _candidates():
        counts[query] = SupplierFilterSet(QueryDict(query), refdata=refdata).search.exact_count()

    def closest(target: int, *, filtered: bool) -> str:
        pool = [q for q, n in counts.items() if n and ("&" in q) == filtered]
        return min(pool, key=lambda q: (abs(math.log(counts[q] / target)), len(q)))

    chosen = {}
    for label, target in TARGETS.items():
        query = closest(target, filtered=False)
        chosen[label] = (query, counts[query])
    for label, target in (("~2,000 filtered", 2_000), ("~10,000 filtered", 10_000)):
        query = closest(target, filtered=True)
        chosen[label] = (query, counts[query])
    log(f"Chose searches from {len(counts):,} candidates.")
    return chosen


# --- Timing -------------------------------------------------------------------------


def _time_search(query: str, runs: int) -> dict[str, Any]:
    from django.db import connection
    from django.http import QueryDict
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from suppliers.filters import SupplierFilterSet

    def selector() -> None:
        found = SupplierFilterSet(QueryDict(query)).search
        found.page(1)
        found.facets()

    client = Client()
    url = "/suppliers/" + (f"?{query}" if query else "")

    def page() -> None:
        response = client.get(url)
        if response.status_code != 200:
            raise RuntimeError(f"{url} answered {response.status_code}")

    with CaptureQueriesContext(connection) as captured:
        page()
    count = SupplierFilterSet(QueryDict(query)).search.count()
    return {
        "query": query or "(no search)",
        "matches": count,
        "queries_per_request": len(captured),
        **measure_alternating({"selector": selector, "page": page}, runs=runs),
    }


def _time_extras(query: str, runs: int) -> dict[str, Any]:
    from django.test import Client

    from suppliers.selectors import market_map

    client = Client()

    def export() -> None:
        response = client.get(f"/suppliers/export.csv?{query}")
        for _ in response.streaming_content:
            pass

    return {
        "market_map_uncached": measure(lambda: market_map(use_cache=False), runs=max(3, runs // 5)),
        "market_map_page_cached": measure(lambda: client.get("/techmap/"), runs=runs),
        "csv_export": {"query": query, **measure(export, runs=max(3, runs // 5), warmup=1)},
    }


def run(args) -> dict[str, Any]:
    data = ensure_suppliers(args.suppliers)
    chosen = choose_searches()
    results = {}
    from django.core.cache import cache
    from django.test import override_settings

    searches = {**chosen, "no search": ("", None), "misspelt": ("q=cyber+secuirty", None)}
    with override_settings(SUPPLIER_SEARCH_CACHE_SECONDS=0):  # the real cost of each
        for label, (query, _) in searches.items():
            print(f"Timing {label}: {query or '(no search)'}")
            results[label] = _time_search(query, args.runs)
    # The landing page as visitors mostly get it: from the one-minute cache. (Only its
    # own key is dropped: the cache's Redis may also be Celery's broker.)
    from suppliers.selectors import SearchParams, SupplierSearch

    with override_settings(SUPPLIER_SEARCH_CACHE_SECONDS=60):
        cache.delete(SupplierSearch(SearchParams())._scan_cache_key(1, 20))
        print("Timing no search, cached")
        results["no search, cached"] = _time_search("", args.runs)
    extras = _time_extras(chosen["~2,000"][0], args.runs)
    print("Tantivy reference run on the same suppliers")
    reference_rows, reference = tantivy_reference.compare(chosen, results, args.runs)

    rows, checks = [], {}
    for label, r in results.items():
        ratio = r["page"]["p50_ms"] / r["selector"]["p50_ms"] if r["selector"]["p50_ms"] else 0
        row = [
            label,
            r["matches"],
            r["selector"]["p50_ms"],
            r["selector"]["p95_ms"],
            r["page"]["p50_ms"],
            r["page"]["p95_ms"],
            round(ratio, 2),
            r["queries_per_request"],
        ]
        if label not in chosen:
            # The targets are for searches matching about 50, 2,000 and 10,000
            # suppliers; the rest (every supplier, a misspelling matching 17,000, the
            # cached landing page) are timed for the record.
            rows.append([*row, "record", ""])
            continue
        limit = 100 if label.startswith("~10,000") else 50
        ok_time = r["page"]["p95_ms"] <= limit and r["selector"]["p95_ms"] <= limit
        ok_ratio = ratio <= 1.5
        checks[label] = {"p95_limit_ms": limit, "p95_ok": ok_time, "page_ratio_ok": ok_ratio}
        rows.append(
            [
                *row,
                f"≤{limit}: {'ok' if ok_time else 'MISSED'}",
                "ok" if ok_ratio else "MISSED",
            ]
        )
    print()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    print(
        f"Supplier search, {args.suppliers:,} suppliers, {args.runs} runs each (ms); "
        f"load average {load:.1f} on {os.cpu_count()} CPUs"
    )
    print(
        table(
            [
                "search",
                "matches",
                "sel p50",
                "sel p95",
                "page p50",
                "page p95",
                "page/sel",
                "queries",
                "p95 target",
                "≤1.5×",
            ],
            rows,
        )
    )
    for label, r in results.items():
        print(f"  {label}: /suppliers/?{r['query']}")
    if not data.get("reused"):
        print(
            f"Import: {data['rows']:,} rows in {data['import_seconds']} s = "
            f"{data['import_rows_per_second']:,} rows/s ({data['import_rejected']} rejected)"
        )
    print(
        f"Market map: {extras['market_map_uncached']['p50_ms']} ms uncached (p50), "
        f"{extras['market_map_page_cached']['p50_ms']} ms for the cached page. CSV export of "
        f"{results['~2,000']['matches']:,} rows: {extras['csv_export']['p50_ms']} ms (p50)."
    )
    if reference_rows:
        print(
            "\nTechmap's selector (count, facets, page) against tantivy (top 20, count, "
            "two facets), ms; the issue's goal: within 20× at ~2,000 matches"
        )
        print(table(tantivy_reference.HEADERS, reference_rows))
    return {
        "suppliers": args.suppliers,
        "runs": args.runs,
        "load_average": load,
        "cpus": os.cpu_count(),
        "data": data,
        "searches": results,
        "checks": checks,
        "extras": extras,
        "tantivy_reference": reference,
    }
