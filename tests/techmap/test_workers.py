"""Workers scale on the broker: two real ``celery worker`` processes, and the work is done once.

Every task a beat entry names runs under ``core.tasks.single_flight`` (a PostgreSQL
advisory lock on the primary, plus the beat slot as an idempotence key), so a second
worker, or a second beat firing the same entry, does no harm.
"""

from __future__ import annotations

import importlib
import os
import re
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.conf import settings

from accounts.models import OutboundEmail
from core.tasks import BEAT_SLOT_HEADER
from reporting.models import ComparisonRun
from tests.helpers import wait_until
from tests.techmap.test_beat import database_url

pytestmark = [pytest.mark.broker, pytest.mark.django_db(transaction=True)]

BASE_DIR = Path(__file__).resolve().parents[2]


class Worker:
    """``celery -A techmap worker`` as a subprocess: one process, one task at a time."""

    def __init__(self, name: str, broker_url: str, log: Path) -> None:
        self.name = name
        self.log = log
        self.process = subprocess.Popen(
            [
                *(sys.executable, "-m", "celery", "-A", "techmap", "worker"),
                *("-n", f"{name}@%h", "--pool", "solo", "--loglevel", "INFO"),
                *("--without-gossip", "--without-mingle", "--without-heartbeat"),
            ],
            cwd=BASE_DIR,
            env={
                **os.environ,
                "DATABASE_URL": database_url(),
                "CELERY_BROKER_URL": broker_url,
                "DJANGO_SETTINGS_MODULE": "techmap.settings",
            },
            stdout=open(log, "wb"),  # noqa: SIM115 - closed with the process
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def ready(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"worker {self.name} exited:\n{self.text()[-3000:]}")
        return " ready." in self.text()

    def results(self, task: str) -> list[str]:
        """What each run of ``task`` in this worker returned, as logged."""
        pattern = rf"Task {re.escape(task)}\[[^\]]+\] succeeded in [^:]+: (.*)"
        return re.findall(pattern, self.text())

    def stop(self) -> None:
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=5)


@pytest.fixture
def two_workers(settings, private_broker, tmp_path):
    settings.CELERY_BROKER_URL = private_broker.url
    workers = [Worker(name, private_broker.url, tmp_path / f"{name}.log") for name in ("a", "b")]
    try:
        wait_until(lambda: all(worker.ready() for worker in workers), timeout=90)
        yield workers
    finally:
        for worker in workers:
            worker.stop()


def results(workers: list[Worker], task: str) -> list[str]:
    return sorted(result for worker in workers for result in worker.results(task))


def test_every_beat_entry_names_a_single_flight_task():
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        module, _, function = entry["task"].rpartition(".")
        task = getattr(importlib.import_module(module), function)
        assert getattr(task.run, "single_flight", None), f"{name}: {entry['task']} is unguarded"


def test_two_workers_sweep_the_outbox_once(two_workers):
    from accounts.tasks import send_pending_emails

    emails = [
        OutboundEmail.objects.create(to=f"person{n}@example.co.uk", subject="Hi", body="Hello")
        for n in range(60)
    ]
    # The same sweep sent twice at once, as a second worker's beat (or a retry) would.
    send_pending_emails.delay()
    send_pending_emails.delay()
    wait_until(lambda: len(results(two_workers, send_pending_emails.name)) == 2, timeout=60)

    # Each email was sent once: one attempt each, whichever worker sent it.
    rows = OutboundEmail.objects.filter(pk__in=[email.pk for email in emails])
    assert set(rows.values_list("status", "attempts")) == {(OutboundEmail.Status.SENT, 1)}
    # One sweep sent all of them; the other found the lock held (None) or nothing left (0).
    sent = results(two_workers, send_pending_emails.name)
    assert "60" in sent
    assert sorted(sent) in (["0", "60"], ["60", "None"])
    # Both workers took part.
    assert all(worker.results(send_pending_emails.name) for worker in two_workers)


def test_a_double_fired_nightly_comparison_runs_once(two_workers):
    from reporting.tasks import run_nightly_comparison

    slot = f"reporting-nightly-comparison@{uuid.uuid4().hex}"
    before = ComparisonRun.objects.count()
    # Two beats fire the same entry for the same night: two messages, one slot.
    for _ in range(2):
        run_nightly_comparison.apply_async(headers={BEAT_SLOT_HEADER: slot})
    wait_until(lambda: len(results(two_workers, run_nightly_comparison.name)) == 2, timeout=60)
    assert ComparisonRun.objects.count() == before + 1
    assert all(worker.results(run_nightly_comparison.name) for worker in two_workers)

    # A late duplicate of that slot does nothing either; the next night's slot runs.
    run_nightly_comparison.apply_async(headers={BEAT_SLOT_HEADER: slot})
    wait_until(lambda: len(results(two_workers, run_nightly_comparison.name)) == 3, timeout=60)
    assert ComparisonRun.objects.count() == before + 1
    run_nightly_comparison.apply_async(headers={BEAT_SLOT_HEADER: f"{slot}-next"})
    wait_until(lambda: len(results(two_workers, run_nightly_comparison.name)) == 4, timeout=60)
    assert ComparisonRun.objects.count() == before + 2
    assert results(two_workers, run_nightly_comparison.name).count("None") == 2
