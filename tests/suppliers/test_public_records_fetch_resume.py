"""Fetching pages from a real HTTP server on loopback (links.next, a page that fails once),
and resuming an import after a real SIGKILL of a real ``manage.py import_ocds``."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import psycopg
import pytest
from django.core.management import call_command
from django.db import connection

from suppliers.models import AwardRecord, AwardSupplier, PublicRelease, Supplier, SupplierRefresh
from suppliers.public_records.capabilities import link_cpv_capabilities
from tests.suppliers.test_public_records_ocds import make_release

ROOT = Path(__file__).resolve().parents[2]


def release_number(n: int, *, suppliers: int = 40) -> dict:
    """Release n of a generated run: its own process, one of ``suppliers`` companies."""
    company = n % suppliers
    party = {
        "id": f"GB-COH-{1000 + company}",
        "name": f"Generated Supplier {company} Ltd",
        "identifier": {"scheme": "GB-COH", "id": str(1000 + company)},
        "roles": ["supplier"],
    }
    return make_release(
        ocid=f"ocds-b5fd17-gen-{n:06d}", release_id=f"gen-{n}", suppliers=[party], amount=n + 1
    )


class _Pages(BaseHTTPRequestHandler):
    """Three pages shaped like Contracts Finder's: releases plus links.next. Page 2 answers
    503 the first time it is asked for."""

    failures: dict[str, int] = {}
    requests: list[str] = []

    def do_GET(self) -> None:
        query = parse_qs(urlparse(self.path).query)
        page = int(query.get("page", ["1"])[0])
        type(self).requests.append(self.path)
        if page == 2 and not type(self).failures.get("2"):
            type(self).failures["2"] = 1
            self.send_response(503)
            self.end_headers()
            return
        base = f"http://127.0.0.1:{self.server.server_address[1]}/search"
        body = {
            "publisher": {"name": "Contracts Finder"},
            "releases": [release_number(page * 10 + i) for i in range(3)],
            "links": {"next": f"{base}?page={page + 1}"} if page < 3 else {},
        }
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def page_server(settings):
    _Pages.failures, _Pages.requests = {}, []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Pages)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.OCDS_SOURCES = {
        "contracts-finder": {
            "url": f"http://127.0.0.1:{server.server_address[1]}/search",
            "since_param": "publishedFrom",
            "publisher": "Contracts Finder",
        }
    }
    yield server
    server.shutdown()
    server.server_close()


@pytest.mark.django_db
def test_fetch_follows_next_links_and_retries_a_failed_page(page_server, capsys):
    call_command("fetch_ocds", "--source", "contracts-finder", "--since", "2025-01-01")
    paths = _Pages.requests
    assert "publishedFrom=2025-01-01T00%3A00%3A00" in paths[0]
    assert [p.split("?")[-1] for p in paths[1:]] == ["page=2", "page=2", "page=3"]
    assert AwardRecord.objects.count() == 9
    assert set(AwardRecord.objects.values_list("publisher", flat=True)) == {"Contracts Finder"}
    assert "9 loaded" in capsys.readouterr().out
    call_command("fetch_ocds", "--source", "contracts-finder", "--since", "2025-01-01")
    assert AwardRecord.objects.count() == 9  # the same pages again change nothing


@pytest.mark.django_db
def test_fetch_refuses_an_unknown_source(page_server):
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="--source must be one of"):
        call_command("fetch_ocds", "--source", "ted", "--since", "2025-01-01")


def _db_url() -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    host = db["HOST"] or "127.0.0.1"
    return f"postgres://{db['USER']}{password}@{host}:{db.get('PORT') or 5432}/{db['NAME']}"


def _loaded(url: str) -> int:
    with psycopg.connect(url, autocommit=True) as conn:
        return conn.execute("SELECT count(*) FROM suppliers_publicrelease").fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_resume_after_sigkill_mid_import_matches_a_clean_run(tmp_path):
    total = 600
    path = tmp_path / "bulk.jsonl"
    path.write_text("\n".join(json.dumps(release_number(n)) for n in range(total)) + "\n")
    url = _db_url()
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_ENV": "development"}
    command = [sys.executable, "manage.py", "import_ocds", str(path), "--batch-size", "25"]
    child = subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while _loaded(url) < 50 and time.monotonic() < deadline and child.poll() is None:
            time.sleep(0.05)
        assert child.poll() is None, "the import finished before it could be killed"
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
    killed_at = _loaded(url)
    assert 50 <= killed_at < total  # whole batches kept, the rest not yet loaded
    assert AwardRecord.objects.count() == killed_at  # nothing half-written
    # The suppliers the killed run touched wait to be brought up to date, by the next run.
    assert SupplierRefresh.objects.exists()
    call_command("import_ocds", str(path), "--batch-size", "200")
    # The same result as a clean run: every release once, one award each, 40 suppliers.
    assert PublicRelease.objects.count() == total
    assert AwardRecord.objects.count() == total == AwardSupplier.objects.count()
    assert Supplier.objects.filter(from_public_records=True).count() == 40
    assert sorted(AwardRecord.objects.values_list("value_amount", flat=True)) == list(
        range(1, total + 1)
    )
    # Each supplier holds the capabilities its awards' CPV codes give (so a fresh link
    # changes nothing), with its search data and its one creation entry in history.
    assert not SupplierRefresh.objects.exists()
    assert link_cpv_capabilities() == set()
    made = Supplier.objects.filter(from_public_records=True)
    assert all(s.capability_ids and s.search_vector for s in made)
    assert Supplier.history.filter(history_type="+").count() == 40
