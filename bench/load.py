"""The load test: the search page and the API under wrk, on 2 gunicorn workers and then 4.

``run(args)`` serves the bench database with **two gunicorn instances on one port**
(``--reuse-port``: the kernel spreads connections between them), against the same
database and Redis, which is what "web is stateless" asks to prove: nothing a request
needs lives in one process. Each instance has half the workers (1 + 1, then 2 + 2; gthread,
one thread each, so a worker serves one request at a time as in production).

For each worker count and each path (``/suppliers/?q=…``, the search page, and
``/api/v1/suppliers/?q=…``) wrk drives keep-alive load for a bounded time and reports
requests per second, p95 latency (from wrk's own histogram, through a Lua ``done`` hook)
and errors (socket errors and non-2xx answers); the database connections held are sampled
from ``pg_stat_activity`` during the load (the most seen). Both instances must have served
(each used CPU). Caches that would answer without work (``API_LIST_CACHE_SECONDS``,
``SUPPLIER_SEARCH_CACHE_SECONDS``) are off, so each request searches.

``python -m bench load`` (``make bench BENCH_ARGS=load``, or ``--only load``) runs it alone;
``--suppliers N`` sizes the register (the other scenarios use 100,000). Loopback only.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from urllib.parse import quote_plus

from bench.timing import table

ROOT = Path(__file__).resolve().parent.parent
SEARCH = "cloud hosting"
PATHS = {
    "search page": f"/suppliers/?q={quote_plus(SEARCH)}",
    "API": f"/api/v1/suppliers/?q={quote_plus(SEARCH)}",
}
WORKER_COUNTS = (2, 4)
INSTANCES = 2
CONNECTIONS = int(os.environ.get("TECHMAP_BENCH_CONNECTIONS", "8"))
SECONDS = 10
QUICK_SECONDS = 5
WARMUP_SECONDS = 2

# wrk's summary in figures a script can read: p95 in microseconds and every kind of error.
WRK_SCRIPT = """
wrk.headers["Accept"] = "text/html,application/json"
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("TECHMAP p50_us=%d p95_us=%d requests=%d connect=%d read=%d "
    .. "write=%d status=%d timeout=%d\\n", latency:percentile(50), latency:percentile(95),
    summary.requests, e.connect, e.read, e.write, e.status, e.timeout))
end
"""


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_instance(database_url: str, port: int, workers: int, log: Path) -> subprocess.Popen:
    """One gunicorn (``workers`` × 1 thread) sharing ``port`` with the others (SO_REUSEPORT)."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DEBUG": "0",
        "DJANGO_SETTINGS_MODULE": "techmap.settings",
        "API_THROTTLE_ANON": "100000000/minute",
        "API_LIST_CACHE_SECONDS": "0",
        "SUPPLIER_SEARCH_CACHE_SECONDS": "0",
        "LOG_LEVEL": "WARNING",
    }
    command = [
        *(str(Path(sys.executable).with_name("gunicorn")), "techmap.wsgi:application"),
        *("--bind", f"127.0.0.1:{port}", "--reuse-port", "--workers", str(workers)),
        *("--worker-class", "gthread", "--threads", "1", "--keep-alive", "30"),
        *("--log-level", "warning"),
    ]
    with open(log, "ab") as output:
        return subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=output, stderr=output, start_new_session=True
        )


def wait_ready(port: int, processes: list[subprocess.Popen]) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if any(process.poll() is not None for process in processes):
            raise RuntimeError("gunicorn exited during start-up (see its log)")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError("gunicorn did not answer within 90 s")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def cpu_seconds(process: subprocess.Popen) -> float:
    """CPU time used so far by a gunicorn master's workers (read from /proc)."""
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    try:
        children = Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()
    except OSError:
        return 0.0
    for pid in children:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick  # utime + stime
    return total


class ConnectionSampler(threading.Thread):
    """The most client connections to the bench database seen in pg_stat_activity."""

    def __init__(self, database_url: str) -> None:
        super().__init__(daemon=True)
        self.database_url = database_url
        self.most = 0
        self.stopping = threading.Event()

    def run(self) -> None:
        import psycopg

        with psycopg.connect(self.database_url, autocommit=True) as conn:
            while not self.stopping.is_set():
                (count,) = conn.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND backend_type = 'client backend' AND pid <> pg_backend_pid()"
                ).fetchone()
                self.most = max(self.most, count)
                self.stopping.wait(0.25)

    def stop(self) -> int:
        self.stopping.set()
        self.join(timeout=5)
        return self.most


def wrk(port: int, path: str, seconds: int, script: Path) -> dict:
    binary = shutil.which("wrk")
    if binary is None:
        raise RuntimeError("the load test needs wrk (make bench installs Debian's when it can)")
    result = subprocess.run(
        [
            *(binary, "--threads", "1", "--connections", str(CONNECTIONS)),
            *("--duration", f"{seconds}s", "--timeout", "10s", "--script", str(script)),
            f"http://127.0.0.1:{port}{path}",
        ],
        capture_output=True,
        text=True,
        timeout=seconds + 60,
        check=False,
    )
    figures = re.search(r"TECHMAP (.*)", result.stdout)
    elapsed = re.search(r"requests in ([\d.]+)(us|ms|s|m)\b", result.stdout)
    if result.returncode != 0 or figures is None or elapsed is None:
        raise RuntimeError(f"wrk failed: {result.stderr.strip() or result.stdout.strip()}")
    values = {k: int(v) for k, v in (item.split("=") for item in figures.group(1).split())}
    unit = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}[elapsed.group(2)]
    duration = float(elapsed.group(1)) * unit
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", result.stdout)
    errors = {
        name: values[name] for name in ("connect", "read", "write", "timeout") if values[name]
    }
    if non_2xx:
        errors["non_2xx"] = int(non_2xx.group(1))
    ok = values["requests"] - errors.get("non_2xx", 0)
    return {
        "requests": values["requests"],
        "rps": round(ok / duration, 1),
        "p50_ms": round(values["p50_us"] / 1000, 1),
        "p95_ms": round(values["p95_us"] / 1000, 1),
        "errors": errors,
    }


def measure(database_url: str, total_workers: int, seconds: int, script: Path) -> dict:
    """Both paths against two instances with ``total_workers`` between them.

    The instances' own output (errors, request lines) goes to gunicorn.log beside the script.
    """
    port = _free_port()
    per_instance = total_workers // INSTANCES
    log = script.with_name("gunicorn.log")
    processes = [start_instance(database_url, port, per_instance, log) for _ in range(INSTANCES)]
    try:
        wait_ready(port, processes)
        results: dict[str, dict] = {}
        for name, path in PATHS.items():
            wrk(port, path, WARMUP_SECONDS, script)
            before = [cpu_seconds(process) for process in processes]
            sampler = ConnectionSampler(database_url)
            sampler.start()
            figures = wrk(port, path, seconds, script)
            figures["db_connections"] = sampler.stop()
            used = [cpu_seconds(p) - b for p, b in zip(processes, before, strict=True)]
            figures["instance_cpu_seconds"] = [round(u, 1) for u in used]
            if not all(u > 0.05 for u in used):
                raise RuntimeError(f"{name}: one gunicorn instance served nothing ({used})")
            results[name] = figures
        return results
    finally:
        for process in processes:
            stop(process)


def machine() -> str:
    cores = os.cpu_count()
    try:
        load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        load = "?"
    return f"{cores} cores, load average {load} at the start"


def run(args) -> dict:
    from bench.suppliers import ensure_suppliers

    ensure_suppliers(args.suppliers)
    from django.db import connections

    connections.close_all()  # pg_stat_activity then counts the web workers' connections only
    seconds = QUICK_SECONDS if args.quick else SECONDS
    started_on = machine()
    with tempfile.TemporaryDirectory() as directory:
        script = Path(directory) / "techmap.lua"
        script.write_text(WRK_SCRIPT)
        by_workers = {
            workers: measure(args.database_url, workers, seconds, script)
            for workers in WORKER_COUNTS
        }
    low, high = WORKER_COUNTS
    rows = []
    for name in PATHS:
        for workers in WORKER_COUNTS:
            figures = by_workers[workers][name]
            rows.append(
                [
                    name,
                    f"{workers} ({INSTANCES} × {workers // INSTANCES})",
                    figures["rps"],
                    figures["p50_ms"],
                    figures["p95_ms"],
                    sum(figures["errors"].values()),
                    figures["db_connections"],
                ]
            )
    ratios = {
        name: round(by_workers[high][name]["rps"] / by_workers[low][name]["rps"], 2)
        for name in PATHS
    }
    print(f"{args.suppliers:,} suppliers; wrk, 1 thread, {CONNECTIONS} connections, {seconds} s")
    print(f"machine: {started_on}")
    print(
        table(
            ["path", "workers", "requests/s", "p50 ms", "p95 ms", "errors", "DB connections"],
            rows,
        )
    )
    for name, ratio in ratios.items():
        print(f"{name}: {high} workers give {ratio}× the requests/s of {low}")
    errors = sum(sum(f["errors"].values()) for r in by_workers.values() for f in r.values())
    if errors:
        raise RuntimeError(f"{errors} errors under load")
    return {
        "suppliers": args.suppliers,
        "seconds_per_measurement": seconds,
        "connections": CONNECTIONS,
        "instances_on_one_port": INSTANCES,
        "machine": started_on,
        "results": {str(workers): results for workers, results in by_workers.items()},
        "ratio": ratios,
        "errors": errors,
    }
