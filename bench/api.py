"""The API benchmark (issue 5): requests per second of /api/v1/suppliers/ under gunicorn.

``run(args)`` serves the bench database with gunicorn (2 workers, threads, keep-alive) on a
free loopback port and drives it with a small asyncio HTTP/1.1 load generator written here
(no extra dependency), in the same run, for:

- ``/api/v1/suppliers/`` — the first page of the list, 20 rows;
- ``/api/v1/suppliers/?q=…`` — a search on it, 20 rows;
- the same two through a bare Django view that reads the same rows with raw SQL and
  returns them with ``JsonResponse`` (the floor: no DRF, FilterSet, selector, pagination,
  serializer or throttling).

The raw views exist only inside this benchmark: gunicorn loads ``bench.api:application()``,
which serves the project's own URLs plus ``/bench/raw/…`` from a URLconf built here; the
production URLconf never has them.

Targets (issue 5): the list at ≥ 0.30 of the raw-SQL view and more than 700 requests/s.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from bench.timing import table

ROOT = Path(__file__).resolve().parent.parent
SEARCH = "cloud hosting"
PAGE_SIZE = 20
CONNECTIONS = int(os.environ.get("TECHMAP_BENCH_CONNECTIONS", "8"))
WARMUP_SECONDS = 2.0
SECONDS = 8.0
QUICK_SECONDS = 4.0
WORKERS = int(os.environ.get("TECHMAP_BENCH_WORKERS", "2"))
THREADS = int(os.environ.get("TECHMAP_BENCH_THREADS", "2"))
TARGET_RATIO = 0.30
TARGET_RPS = 700


# --- The bench-only raw-SQL views (run inside the gunicorn workers) ---------------------------

_CODES = """
    ARRAY(SELECT r.code FROM suppliers_supplier_regions x JOIN suppliers_region r
          ON r.id = x.region_id WHERE x.supplier_id = s.id ORDER BY r.code),
    ARRAY(SELECT c.code FROM suppliers_supplier_capabilities x JOIN suppliers_capability c
          ON c.id = x.capability_id WHERE x.supplier_id = s.id ORDER BY c.code),
    ARRAY(SELECT c.code FROM suppliers_supplier_certifications x JOIN suppliers_certification c
          ON c.id = x.certification_id WHERE x.supplier_id = s.id ORDER BY c.code),
    ARRAY(SELECT f.code FROM suppliers_supplier_frameworks x JOIN suppliers_framework f
          ON f.id = x.framework_id WHERE x.supplier_id = s.id ORDER BY f.code)
"""
RAW_LIST_SQL = f"""
    SELECT s.slug, s.name, s.summary, s.website, s.size, h.code, {_CODES},
           s.published_at, s.updated_at
    FROM suppliers_supplier s LEFT JOIN suppliers_region h ON h.id = s.hq_region_id
    WHERE s.status = 'published'
    ORDER BY upper(s.name), s.id
    LIMIT %s
"""
RAW_SEARCH_SQL = f"""
    SELECT s.slug, s.name, s.summary, s.website, s.size, h.code, {_CODES},
           s.published_at, s.updated_at
    FROM suppliers_supplier s LEFT JOIN suppliers_region h ON h.id = s.hq_region_id,
         websearch_to_tsquery('english', %s) query
    WHERE s.status = 'published' AND s.search_vector @@ query
    ORDER BY ts_rank(s.search_vector, query) DESC, s.id
    LIMIT %s
"""
SME = {"micro", "small", "medium"}


def _raw_rows(sql: str, params: list) -> list[dict[str, Any]]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return [
        {
            "slug": slug,
            "name": name,
            "summary": summary,
            "website": website,
            "size": size,
            "is_sme": size in SME,
            "hq_region": hq,
            "regions": regions,
            "capabilities": capabilities,
            "certifications": certifications,
            "frameworks": frameworks,
            "published_at": published_at,
            "updated_at": updated_at,
            "url": f"/api/v1/suppliers/{slug}/",
        }
        for (
            slug,
            name,
            summary,
            website,
            size,
            hq,
            regions,
            capabilities,
            certifications,
            frameworks,
            published_at,
            updated_at,
        ) in rows
    ]


def raw_list(request):
    from django.http import JsonResponse

    return JsonResponse({"results": _raw_rows(RAW_LIST_SQL, [PAGE_SIZE])})


def raw_search(request):
    from django.http import JsonResponse

    query = request.GET.get("q", "")
    return JsonResponse({"results": _raw_rows(RAW_SEARCH_SQL, [query, PAGE_SIZE])})


class _BenchUrls:
    """A URLconf object (Django accepts a module or any object with ``urlpatterns``)."""

    @property
    def urlpatterns(self):
        from django.urls import path

        from techmap import urls

        return [
            path("bench/raw/list/", raw_list),
            path("bench/raw/search/", raw_search),
            *urls.urlpatterns,
        ]


def application():
    """gunicorn's app factory (``bench.api:application()``): the site plus the raw views."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "techmap.settings")
    from django.conf import settings
    from django.core.wsgi import get_wsgi_application

    wsgi = get_wsgi_application()
    settings.ROOT_URLCONF = _BenchUrls()
    return wsgi


# --- The load generator -----------------------------------------------------------------------


async def _client(host: str, port: int, request: bytes, deadline: float, counts: dict) -> None:
    """One keep-alive connection sending requests back to back until the deadline."""
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while time.perf_counter() < deadline:
            writer.write(request)
            await writer.drain()
            status_line = await reader.readline()
            if not status_line:  # the server closed the connection: reopen it
                writer.close()
                reader, writer = await asyncio.open_connection(host, port)
                continue
            status = int(status_line.split()[1])
            length, close = 0, False
            while True:
                line = await reader.readline()
                if line in (b"\r\n", b"\n", b""):
                    break
                name, _, value = line.partition(b":")
                name = name.strip().lower()
                if name == b"content-length":
                    length = int(value.strip())
                elif name == b"connection" and value.strip().lower() == b"close":
                    close = True
            await reader.readexactly(length)
            counts[status] = counts.get(status, 0) + 1
            if close:
                writer.close()
                reader, writer = await asyncio.open_connection(host, port)
    finally:
        writer.close()


async def _load(host: str, port: int, path: str, seconds: float, connections: int) -> dict:
    request = (
        f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAccept: application/json\r\n"
        "Connection: keep-alive\r\n\r\n"
    ).encode()
    counts: dict[int, int] = {}
    started = time.perf_counter()
    deadline = started + seconds
    await asyncio.gather(
        *(_client(host, port, request, deadline, counts) for _ in range(connections))
    )
    elapsed = time.perf_counter() - started
    ok = counts.get(200, 0)
    return {
        "requests": sum(counts.values()),
        "ok": ok,
        "errors": {str(k): v for k, v in counts.items() if k != 200},
        "seconds": round(elapsed, 2),
        "rps": round(ok / elapsed, 1),
    }


def load(host: str, port: int, path: str, seconds: float, connections: int = CONNECTIONS):
    """Requests per second of ``path`` (only 200 answers count), bounded by ``seconds``."""
    return asyncio.run(_load(host, port, path, seconds, connections))


# --- Serving ----------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(database_url: str, port: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DEBUG": "0",
        "DJANGO_SETTINGS_MODULE": "techmap.settings",
        # The benchmark measures the API, not the throttle limits (the throttle still runs).
        "API_THROTTLE_ANON": "100000000/minute",
        "LOG_LEVEL": "WARNING",
    }
    command = [
        str(Path(sys.executable).with_name("gunicorn")),
        "bench.api:application()",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(WORKERS),
        "--worker-class",
        "gthread",
        "--threads",
        str(THREADS),
        "--keep-alive",
        "30",
        "--log-level",
        "warning",
    ]
    process = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                return process
        except OSError:
            if process.poll() is not None:
                raise RuntimeError("gunicorn exited during start-up") from None
            time.sleep(0.3)
    stop(process)
    raise RuntimeError("gunicorn did not answer within 60 s")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def _check_same_rows(port: int) -> None:
    """The API and the raw view must answer with the same suppliers, or the ratio means nothing."""
    import json

    def slugs(path: str) -> list[str]:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=30) as answer:
            return [row["slug"] for row in json.load(answer)["results"]]

    api, raw = slugs("/api/v1/suppliers/"), slugs("/bench/raw/list/")
    if api != raw:
        raise RuntimeError(f"the API and the raw view disagree: {api[:3]} vs {raw[:3]}")
    if len(api) != PAGE_SIZE:
        raise RuntimeError(f"expected {PAGE_SIZE} rows, got {len(api)}")


def _name_index() -> str | None:
    """The index that serves the default ordering (UPPER(name), id) of published suppliers."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'suppliers_supplier' "
            "AND indexdef ILIKE %s",
            ["%upper((name)::text), id%"],
        )
        row = cursor.fetchone()
    return row[0] if row else None


def run(args) -> dict:
    from bench.suppliers import ensure_suppliers

    ensure_suppliers(args.suppliers)
    index = _name_index()
    if index is None:
        print(
            "Note: no index on (UPPER(name), id) for published suppliers: every list request "
            "sorts the whole register (see the README's performance section)."
        )
    seconds = QUICK_SECONDS if getattr(args, "quick", False) else SECONDS
    port = _free_port()
    process = start_gunicorn(args.database_url, port)
    query = SEARCH.replace(" ", "+")
    scenarios = [
        ("list", "/api/v1/suppliers/", "/bench/raw/list/"),
        ("search", f"/api/v1/suppliers/?q={query}", f"/bench/raw/search/?q={query}"),
    ]
    results: dict[str, Any] = {
        "suppliers": args.suppliers,
        "gunicorn": f"{WORKERS} workers × {THREADS} threads (gthread), keep-alive",
        "load": f"{CONNECTIONS} keep-alive connections, {seconds:g} s a measurement",
        "cores": os.cpu_count(),
        "load_average_before": [round(x, 2) for x in os.getloadavg()],
        "name_index": index,
    }
    try:
        _check_same_rows(port)
        rows = []
        for name, api_path, raw_path in scenarios:
            for path in (api_path, raw_path):  # warm both (connections, caches, plans)
                load("127.0.0.1", port, path, WARMUP_SECONDS)
            api = load("127.0.0.1", port, api_path, seconds)
            raw = load("127.0.0.1", port, raw_path, seconds)
            ratio = round(api["rps"] / raw["rps"], 2) if raw["rps"] else None
            results[name] = {"api": api, "raw_sql": raw, "ratio": ratio, "path": api_path}
            rows.append([name, api["rps"], raw["rps"], ratio, sum(api["errors"].values())])
    finally:
        stop(process)
    print(table(["scenario", "API req/s", "raw SQL req/s", "ratio", "API errors"], rows))
    listing = results["list"]
    results["targets"] = {
        "ratio_at_least": TARGET_RATIO,
        "rps_more_than": TARGET_RPS,
        "ratio_met": bool(listing["ratio"] and listing["ratio"] >= TARGET_RATIO),
        "rps_met": listing["api"]["rps"] > TARGET_RPS,
    }
    print(
        f"List: {listing['api']['rps']:,.0f} req/s, {listing['ratio']} of raw SQL "
        f"(targets: > {TARGET_RPS} req/s, ≥ {TARGET_RATIO}); "
        f"load average before the run {results['load_average_before']}."
    )
    return results
