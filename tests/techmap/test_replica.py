"""Reads to a replica, against a real streaming standby (techmap/db_router.py).

A primary and a standby (``pg_basebackup -R``) are started from the embedded PostgreSQL
binaries, both logging every statement; gunicorn serves the site with ``DATABASE_URL`` on
the primary and ``DATABASE_REPLICA_URL`` on the standby. Which server answered a request is
read from their statement logs, and replay on the standby is paused so that a read from it
cannot see a new write.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import psycopg
import pytest
from django.db import connection

from techmap import db_router, embedded

pytestmark = pytest.mark.replica

BASE_DIR = Path(__file__).resolve().parents[2]
PIN_SECONDS = 4


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(condition, timeout: float = 30.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not true within {timeout}s")
        time.sleep(0.05)


class Cluster:
    """One PostgreSQL server of this test's own, logging every statement."""

    def __init__(self, directory: Path, user: str | None) -> None:
        self.directory = directory
        self.user = user
        self.port = free_port()
        self.log = directory.parent / f"{directory.name}.log"

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/techmap"

    def run(self, *command: str) -> None:
        subprocess.run(
            [embedded._pg_bin(command[0]), *command[1:]],
            check=True,
            user=self.user,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )

    def start(self, *settings: str) -> None:
        options = [f"-h 127.0.0.1 -p {self.port} -c unix_socket_directories=''"]
        options += ["-c log_statement=all -c fsync=off", *settings]
        self.run(
            "pg_ctl",
            *("-D", str(self.directory), "-l", str(self.log), "-o", " ".join(options)),
            *("-w", "-t", "60", "start"),
        )

    def stop(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self.run("pg_ctl", "-D", str(self.directory), "-m", "immediate", "-w", "stop")

    def execute(self, sql: str, dbname: str = "techmap"):
        with psycopg.connect(
            host="127.0.0.1", port=self.port, user="postgres", dbname=dbname, autocommit=True
        ) as conn:
            cursor = conn.execute(sql)
            return cursor.fetchall() if cursor.description else None

    def log_size(self) -> int:
        return self.log.stat().st_size

    def log_since(self, offset: int) -> str:
        with open(self.log, "rb") as handle:
            handle.seek(offset)
            return handle.read().decode(errors="replace")


def statements(log_text: str) -> list[str]:
    """The statements of a log excerpt ("LOG:  statement: ...")."""
    return re.findall(r"statement: (.*)", log_text)


@pytest.fixture
def clusters(django_db_setup, django_db_blocker) -> Iterator[tuple[Cluster, Cluster]]:
    """A primary holding a copy of the test database, and a streaming standby of it."""
    base = Path(tempfile.mkdtemp(prefix="techmap-replica-"))
    base.chmod(0o755)
    (base / "primary").mkdir()
    user = embedded._pg_user(base / "primary")
    if user:
        shutil.chown(base, user=user, group=user)
    primary = Cluster(base / "primary", user)
    standby = Cluster(base / "standby", user)
    try:
        primary.run(
            "initdb",
            *("-D", str(primary.directory), "-U", "postgres", "--auth=trust"),
            *("--encoding=UTF8", "--locale=C.UTF-8"),
        )
        primary.start("-c wal_level=replica -c max_wal_senders=4")
        primary.execute('CREATE DATABASE "techmap"', dbname="postgres")
        # The migrated test database, copied (migrating from scratch takes over a minute).
        with django_db_blocker.unblock():
            source = dict(connection.settings_dict)
        dump = subprocess.run(
            [
                embedded._pg_bin("pg_dump"),
                "--no-owner",
                "--no-privileges",
                "--no-statistics",
                *("-h", source["HOST"] or "127.0.0.1", "-p", str(source["PORT"] or 5432)),
                *("-U", source["USER"], "-d", source["NAME"]),
            ],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PGPASSWORD": source.get("PASSWORD") or ""},
        ).stdout
        # Column options some server builds add (pg_attver) that a stock server refuses.
        dump = re.sub(r"(?m)^ALTER TABLE .* SET \(pg_\w+=[^)]*\);$", "", dump)
        subprocess.run(
            [embedded._pg_bin("psql"), "-q", "-v", "ON_ERROR_STOP=1", primary.url],
            input=dump,
            text=True,
            stdout=subprocess.DEVNULL,
            check=True,
        )
        primary.run(
            "pg_basebackup",
            *("-h", "127.0.0.1", "-p", str(primary.port), "-U", "postgres"),
            *("-D", str(standby.directory), "-R", "-X", "stream", "-c", "fast"),
        )
        standby.start("-c hot_standby=on")
        assert standby.execute("SELECT pg_is_in_recovery()") == [(True,)]
        yield primary, standby
    finally:
        standby.stop()
        primary.stop()
        shutil.rmtree(base, ignore_errors=True)


def site_environment(primary: Cluster, standby: Cluster) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "techmap.settings",
        "DJANGO_ENV": "test",
        "DATABASE_URL": primary.url,
        "DATABASE_REPLICA_URL": standby.url,
        "DATABASE_REPLICA_PIN_SECONDS": str(PIN_SECONDS),
    }


SETUP = """
import json
import django
django.setup()
from django.core.management import call_command
from django.db import router
from django.contrib.sessions.backends.db import SessionStore
from suppliers.models import Supplier
from tests import factories

# Migrations with the replica configured: sessions unapplied and applied again (DDL that
# the standby would refuse).
call_command("migrate", "sessions", "zero", verbosity=0)
call_command("migrate", "sessions", verbosity=0)
user = factories.CivilServantFactory()
session = SessionStore()
session["_auth_user_id"] = str(user.pk)
session["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
session["_auth_user_hash"] = user.get_session_auth_hash()
session.create()
print(json.dumps({
    "session": session.session_key,
    "read_outside_a_request": router.db_for_read(Supplier),
    "migrate_on_replica": router.allow_migrate("replica", "suppliers"),
}))
"""


@pytest.fixture
def site(clusters) -> Iterator[dict]:
    primary, standby = clusters
    environment = site_environment(primary, standby)
    offsets = (primary.log_size(), standby.log_size())
    setup = subprocess.run(
        [sys.executable, "-c", SETUP],
        cwd=BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    assert setup.returncode == 0, setup.stderr[-3000:]
    facts = json.loads(setup.stdout.strip().splitlines()[-1])
    facts["setup_logs"] = (primary.log_since(offsets[0]), standby.log_since(offsets[1]))
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            *("-m", "gunicorn", "techmap.wsgi:application"),
            *("--bind", f"127.0.0.1:{port}", "--workers", "1", "--log-level", "warning"),
        ],
        cwd=BASE_DIR,
        env=environment,
        start_new_session=True,
    )
    try:
        wait_for(lambda: embedded._port_is_open(port), what="gunicorn listening")
        yield {"port": port, "primary": primary, "standby": standby, **facts}
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


class Browser:
    """Just enough of a browser: cookies kept, one request at a time."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict | None = None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {"Host": "127.0.0.1"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Referer"] = f"http://127.0.0.1:{self.port}{path}"
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        content = response.read().decode(errors="replace")
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        conn.close()
        return response, content


def served(site: dict, send) -> tuple[object, list[str], list[str]]:
    """Send one request; the statements the primary and the standby ran for it."""
    primary, standby = site["primary"], site["standby"]
    offsets = (primary.log_size(), standby.log_size())
    result = send()
    time.sleep(0.3)  # the servers' log writes
    return (
        result,
        statements(primary.log_since(offsets[0])),
        statements(standby.log_since(offsets[1])),
    )


@pytest.mark.django_db  # the test database is set up, and copied to the primary
def test_reads_go_to_the_replica_and_a_writer_reads_its_own_writes(site):
    standby = site["standby"]
    # Outside a request (tasks, commands) reads go to the primary; the standby is never
    # migrated, and migrate ran its DDL on the primary only.
    assert site["read_outside_a_request"] == "default"
    assert site["migrate_on_replica"] is False
    primary_setup, standby_setup = site["setup_logs"]
    assert 'DROP TABLE "django_session"' in primary_setup
    assert 'CREATE TABLE "django_session"' in primary_setup
    assert statements(standby_setup) == []

    # An anonymous search reads from the standby, and nothing of it runs on the primary.
    (response, _), on_primary, on_standby = served(
        site, lambda: Browser(site["port"]).request("GET", "/suppliers/?q=replicamarker")
    )
    assert response.status == 200
    assert any("replicamarker" in s for s in on_standby)
    assert not any("replicamarker" in s for s in on_primary), on_primary
    assert standby.execute("SELECT pg_is_in_recovery()") == [(True,)]

    # So does the API.
    (response, _), on_primary, on_standby = served(
        site, lambda: Browser(site["port"]).request("GET", "/api/v1/suppliers/?q=apimarker")
    )
    assert response.status == 200, _
    assert any("apimarker" in s for s in on_standby)
    assert not any("apimarker" in s for s in on_primary)

    # From now on the standby holds back what the primary writes.
    standby.execute("SELECT pg_wal_replay_pause()")
    browser = Browser(site["port"])
    browser.cookies["sessionid"] = site["session"]
    response, page = browser.request("GET", "/suppliers/shortlists/")
    assert response.status == 200
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)

    # A POST that writes reads only from the primary, its own write included.
    (response, _), on_primary, on_standby = served(
        site,
        lambda: browser.request(
            "POST",
            "/suppliers/shortlists/",
            {"csrfmiddlewaretoken": token, "name": "Pinned list", "description": ""},
        ),
    )
    assert response.status == 302, _
    assert any("INSERT INTO" in s and "Pinned list" in s for s in on_primary)
    assert on_standby == []
    assert db_router.PIN_COOKIE in browser.cookies
    shortlist_path = response.getheader("Location")

    # The same user's next request reads from the primary: it finds the new shortlist,
    # which the paused standby does not have yet.
    (response, page), on_primary, on_standby = served(
        site, lambda: browser.request("GET", shortlist_path)
    )
    assert response.status == 200
    assert "Pinned list" in page
    assert on_standby == []
    assert standby.execute("SELECT count(*) FROM suppliers_shortlist") == [(0,)]

    # Without the pin the same page reads the standby, which has not seen the write.
    unpinned = Browser(site["port"])
    unpinned.cookies["sessionid"] = site["session"]
    (response, _), _, on_standby = served(site, lambda: unpinned.request("GET", shortlist_path))
    assert response.status == 404
    assert on_standby

    # Once the pin has run out, the user reads from the standby again; resumed replay
    # brings the write there.
    time.sleep(PIN_SECONDS + 0.5)
    standby.execute("SELECT pg_wal_replay_resume()")
    wait_for(
        lambda: standby.execute("SELECT count(*) FROM suppliers_shortlist") == [(1,)],
        what="standby replays the shortlist",
    )
    (response, page), on_primary, on_standby = served(
        site, lambda: browser.request("GET", shortlist_path)
    )
    assert response.status == 200
    assert "Pinned list" in page
    assert any("suppliers_shortlist" in s for s in on_standby)
    assert not any("suppliers_shortlist" in s for s in on_primary)


def test_a_write_pins_the_rest_of_the_request_to_the_primary():
    route = db_router.Route(replica=True)
    token = db_router._route.set(route)
    try:
        assert db_router.PrimaryReplicaRouter().db_for_write(None) == "default"
        assert (route.replica, route.wrote) == (False, True)
    finally:
        db_router._route.reset(token)
    # Outside a request nothing is routed to a replica, whatever is configured.
    assert db_router._route.get() is None
    assert not db_router.reading_from_replica()
