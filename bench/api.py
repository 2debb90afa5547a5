"""The API benchmark: requests per second of /api/v1/suppliers/ under gunicorn.

``run(args)`` serves the bench database with gunicorn (2 workers × 2 threads, gthread,
keep-alive) on a free loopback port and measures, in the same run:

- ``/api/v1/suppliers/`` — the first page of the list, 20 rows;
- ``/api/v1/suppliers/?q=…`` — a search on it, 20 rows (the words the supplier benchmark
  chooses for about 2,000 matches);
- the same two through a bare Django view that reads the same rows with raw SQL and
  returns them with ``JsonResponse`` (the floor: no DRF, FilterSet, selector, pagination,
  serializer or throttling).

Each is measured twice, on two gunicorn servers: as deployed (pages of the list are cached
whole until the register changes — ``suppliers.registry_version`` — so after the warm-up
this measures answers from the cache), then with ``API_LIST_CACHE_SECONDS=0``, where
every request runs the search, the page query and the serializer ("…, no cache").

The load comes from ``wrk`` (Debian's package; ``make bench`` installs it when it can) with
one client thread, so the client takes as little as possible of the machine's two cores:
the benchmark measures the server. Without ``wrk`` (or with ``TECHMAP_BENCH_CLIENT=python``) a
small asyncio HTTP/1.1 load generator written here is used instead; it is much heavier on
the CPU, so its figures are lower. The results say which client ran. Each figure is the
median of ``TECHMAP_BENCH_ROUNDS`` measurements (3; 1 with ``--quick``), the API and the raw
view taking turns, so that noise from other work on the machine hits both alike.

The raw views exist only inside this benchmark: gunicorn loads ``bench.api:application()``,
which serves the project's own URLs plus ``/bench/raw/…`` from a URLconf built here; the
production URLconf never has them.

Targets: the list at ≥ 0.30 of the raw-SQL view and more than 700 requests/s; the search
without the caches at ≥ 150 requests/s (issue 17).
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import signal
import socket
import statistics
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
ROUNDS = int(os.environ.get("TECHMAP_BENCH_ROUNDS", "3"))
# auto: wrk when it is installed, else the Python load generator; or force one of them.
CLIENT = os.environ.get("TECHMAP_BENCH_CLIENT", "auto")
# The second server: no page of the list kept, and no search without words either.
NO_CACHE = {"SUPPLIER_SEARCH_CACHE_SECONDS": "0", "API_LIST_CACHE_SECONDS": "0"}
TARGET_RATIO = 0.30
TARGET_RPS = 700
# Issue 17: the search without the caches, at about 2,000 matches.
TARGET_SEARCH_RPS = 150


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
    ORDER BY md5(s.id::text || %s), s.id
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
    from django.utils import timezone

    # The API's default order without words: the fair daily order (suppliers.selectors.search).
    day = f":{timezone.localdate().isoformat()}"
    return JsonResponse({"results": _raw_rows(RAW_LIST_SQL, [day, PAGE_SIZE])})


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


def load_python(host: str, port: int, path: str, seconds: float, connections: int = CONNECTIONS):
    """Requests per second of ``path`` (only 200 answers count), bounded by ``seconds``."""
    return asyncio.run(_load(host, port, path, seconds, connections))


def wrk_path() -> str | None:
    """The ``wrk`` to drive the load with, or None for the Python load generator."""
    if CLIENT == "python":
        return None
    found = shutil.which("wrk")
    if found is None and CLIENT == "wrk":
        raise RuntimeError("TECHMAP_BENCH_CLIENT=wrk but wrk is not installed")
    return found


_UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def load_wrk(
    wrk: str, host: str, port: int, path: str, seconds: float, connections: int = CONNECTIONS
) -> dict:
    """The same figures as :func:`load_python`, measured by wrk (one thread, keep-alive)."""
    command = [
        wrk,
        "--threads",
        "1",
        "--connections",
        str(connections),
        "--duration",
        f"{max(1, round(seconds))}s",
        "--timeout",
        "10s",
        "--header",
        "Accept: application/json",
        f"http://{host}:{port}{path}",
    ]
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=seconds + 60, check=False
    )
    output = result.stdout
    done = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m|h)\b", output)
    if result.returncode != 0 or done is None:
        raise RuntimeError(f"wrk failed: {result.stderr.strip() or output.strip()}")
    requests = int(done.group(1))
    elapsed = float(done.group(2)) * _UNITS[done.group(3)]
    not_ok = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    bad = int(not_ok.group(1)) if not_ok else 0
    errors = {"non_2xx": bad} if bad else {}
    sockets = re.search(r"Socket errors: (.*)", output)
    if sockets:
        errors["socket"] = sockets.group(1).strip()
    latency = re.search(r"Latency\s+([\d.]+)(us|ms|s)", output)
    ok = requests - bad
    return {
        "requests": requests,
        "ok": ok,
        "errors": errors,
        "seconds": round(elapsed, 2),
        "rps": round(ok / elapsed, 1) if elapsed else 0.0,
        "latency_avg_ms": (
            round(float(latency.group(1)) * _UNITS[latency.group(2)] * 1000, 2) if latency else None
        ),
    }


def load(host: str, port: int, path: str, seconds: float, connections: int = CONNECTIONS):
    """Requests per second of ``path`` under keep-alive load: wrk, or the Python generator."""
    wrk = wrk_path()
    if wrk is None:
        return load_python(host, port, path, seconds, connections)
    return load_wrk(wrk, host, port, path, seconds, connections)


def client_name() -> str:
    wrk = wrk_path()
    if wrk is None:
        return "python asyncio load generator (bench/api.py; wrk not installed or not chosen)"
    version = subprocess.run([wrk, "--version"], capture_output=True, text=True, check=False)
    first = (version.stdout or version.stderr).strip().splitlines()
    return f"{first[0].split(' Copyright')[0] if first else 'wrk'} (1 thread)"


# --- Serving ----------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(database_url: str, port: int, **extra_env: str) -> subprocess.Popen:
    env = {
        **os.environ,
        **extra_env,
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


def _median_run(samples: list[dict]) -> dict:
    """The sample with the median requests per second (all samples kept beside it)."""
    ordered = sorted(samples, key=lambda sample: sample["rps"])
    median = dict(ordered[(len(ordered) - 1) // 2])
    median["rps"] = round(statistics.median(sample["rps"] for sample in samples), 1)
    median["rounds"] = [sample["rps"] for sample in samples]
    return median


def _measure(port: int, scenarios, rounds: int, seconds: float, results: dict, rows: list):
    """Each scenario's API path and raw path, taking turns ``rounds`` times (medians kept)."""
    for name, api_path, raw_path in scenarios:
        for path in (api_path, raw_path):  # warm both (connections, caches, plans)
            load("127.0.0.1", port, path, WARMUP_SECONDS)
        api_runs, raw_runs = [], []
        for _ in range(rounds):  # taking turns: noise on the machine hits both alike
            api_runs.append(load("127.0.0.1", port, api_path, seconds))
            raw_runs.append(load("127.0.0.1", port, raw_path, seconds))
        api, raw = _median_run(api_runs), _median_run(raw_runs)
        ratio = round(api["rps"] / raw["rps"], 2) if raw["rps"] else None
        results[name] = {"api": api, "raw_sql": raw, "ratio": ratio, "path": api_path}
        errors = sum(len(run["errors"]) for run in api_runs)
        rows.append([name, api["rps"], raw["rps"], ratio, errors])


def _targets(listing: dict) -> dict:
    return {
        "ratio_at_least": TARGET_RATIO,
        "rps_more_than": TARGET_RPS,
        "ratio_met": bool(listing["ratio"] and listing["ratio"] >= TARGET_RATIO),
        "rps_met": listing["api"]["rps"] > TARGET_RPS,
    }


def run(args) -> dict:
    from bench.suppliers import ensure_suppliers

    ensure_suppliers(args.suppliers)
    quick = getattr(args, "quick", False)
    seconds = QUICK_SECONDS if quick else SECONDS
    rounds = 1 if quick else max(1, ROUNDS)
    client = client_name()
    print(f"Load from {client}; {CONNECTIONS} connections, {rounds} × {seconds:g} s each.")
    # The words the supplier benchmark chose for about 2,000 matches (issue 17's target),
    # falling back to SEARCH.
    from bench.suppliers import choose_searches

    chosen, matches = choose_searches(log=lambda _: None).get("~2,000", (None, None))
    query = chosen.removeprefix("q=") if chosen and "&" not in chosen else SEARCH.replace(" ", "+")
    print(f"Search: q={query} ({matches or '?'} matches)")
    scenarios = [
        ("list", "/api/v1/suppliers/", "/bench/raw/list/"),
        ("search", f"/api/v1/suppliers/?q={query}", f"/bench/raw/search/?q={query}"),
    ]
    results: dict[str, Any] = {
        "suppliers": args.suppliers,
        "gunicorn": f"{WORKERS} workers × {THREADS} threads (gthread), keep-alive",
        "client": client,
        "load": f"{CONNECTIONS} keep-alive connections, median of {rounds} × {seconds:g} s",
        "cores": os.cpu_count(),
        "load_average_before": [round(x, 2) for x in os.getloadavg()],
    }
    rows: list[list[Any]] = []
    # As deployed: pages of the list are cached whole until the register changes (the cache
    # is filled by the warm-up, so this measures answers from it). Then the same with the
    # caches off (NO_CACHE): every request runs the search, the page
    # query and the serializer.
    for label, extra_env in (("", {}), (", no cache", NO_CACHE)):
        port = _free_port()
        process = start_gunicorn(args.database_url, port, **extra_env)
        try:
            _check_same_rows(port)
            labelled = [(name + label, api, raw) for name, api, raw in scenarios]
            _measure(port, labelled, rounds, seconds, results, rows)
        finally:
            stop(process)
    results["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    print(table(["scenario", "API req/s", "raw SQL req/s", "ratio", "API errors"], rows))
    listing, uncached = results["list"], results["list, no cache"]
    results["targets"] = _targets(listing)
    results["targets_without_cache"] = _targets(uncached)
    searched = results["search, no cache"]["api"]["rps"]
    results["search_matches"] = matches
    results["search_target_without_cache"] = {
        "rps_at_least": TARGET_SEARCH_RPS,
        "met": searched >= TARGET_SEARCH_RPS,
    }
    print(
        f"List: {listing['api']['rps']:,.0f} req/s, {listing['ratio']} of raw SQL; "
        f"without the cache {uncached['api']['rps']:,.0f} req/s, {uncached['ratio']} "
        f"(targets: > {TARGET_RPS} req/s, ≥ {TARGET_RATIO}); "
        f"load average before the run {results['load_average_before']}, "
        f"after {results['load_average_after']}."
    )
    print(
        f"Search q={query} ({matches or '?'} matches) without the caches: {searched:,.0f} req/s "
        f"(target ≥ {TARGET_SEARCH_RPS}: {'met' if searched >= TARGET_SEARCH_RPS else 'MISSED'})."
    )
    return results
