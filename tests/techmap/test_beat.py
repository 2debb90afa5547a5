"""The nightly schedule: a moderator's edit in admin survives a restart of a real ``celery beat``.

Settings give the defaults (``CELERY_BEAT_SCHEDULE``); once an entry is in the database,
beat's start-up leaves it as it is (techmap.beat.DefaultsOnlyScheduler), and an entry the
database lacks is still created.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from tests.helpers import wait_until

pytestmark = [pytest.mark.broker, pytest.mark.django_db(transaction=True)]

BASE_DIR = Path(__file__).resolve().parents[2]
NIGHTLY = "reporting-nightly-comparison"
REMINDERS = "den-remind-overdue-trials"


def database_url() -> str:
    """The URL of the test database this test runs against (beat must use the same)."""
    params = connection.settings_dict
    password = f":{params['PASSWORD']}" if params.get("PASSWORD") else ""
    port = params.get("PORT") or 5432
    return (
        f"postgres://{params['USER']}{password}@{params['HOST'] or '127.0.0.1'}:{port}"
        f"/{params['NAME']}"
    )


class Beat:
    """``celery -A techmap beat`` as a subprocess, with the scheduler settings name."""

    def __init__(self, broker_url: str, log: Path, scheduler: str | None = None) -> None:
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url(),
            "CELERY_BROKER_URL": broker_url,
            "DJANGO_SETTINGS_MODULE": "techmap.settings",
        }
        self.log = log
        self.scheduler = scheduler
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        command = [sys.executable, "-m", "celery", "-A", "techmap", "beat", "--pidfile", ""]
        command += ["--loglevel", "INFO", "--max-interval", "1"]
        if self.scheduler:
            command += ["--scheduler", self.scheduler]
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                command,
                cwd=BASE_DIR,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def stop(self) -> None:
        if self.process is None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=5)
        self.process = None

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None


def entry_names() -> set[str]:
    return set(PeriodicTask.objects.values_list("name", flat=True))


@pytest.fixture
def beat(private_broker, tmp_path):
    beats: list[Beat] = []

    def make(scheduler: str | None = None) -> Beat:
        beats.append(Beat(private_broker.url, tmp_path / "beat.log", scheduler))
        return beats[-1]

    yield make
    for each in beats:
        each.stop()


def started(beat_process: Beat, name: str) -> bool:
    """True once beat has set its schedule up (the entry ``name`` exists)."""
    if not beat_process.running():
        raise AssertionError(f"beat exited:\n{beat_process.log.read_text()[-3000:]}")
    return PeriodicTask.objects.filter(name=name).exists()


def test_a_moderators_nightly_time_survives_a_restart_of_beat(beat):
    assert settings.CELERY_BEAT_SCHEDULER == "techmap.beat:DefaultsOnlyScheduler"
    PeriodicTask.objects.all().delete()
    process = beat()

    # First start: every settings entry is created from the defaults.
    process.start()
    wait_until(lambda: started(process, REMINDERS), timeout=60)
    wait_until(lambda: entry_names() >= set(settings.CELERY_BEAT_SCHEDULE), timeout=30)
    process.stop()
    nightly = PeriodicTask.objects.get(name=NIGHTLY)
    assert (nightly.crontab.hour, nightly.crontab.minute) == (str(settings.NIGHTLY_HOUR), "0")

    # A moderator moves the nightly comparison to 04:15 and pauses the weekly digests, as
    # the admin's change form saves them; and the reminders entry is new in this release
    # (not yet in the database).
    later, _ = CrontabSchedule.objects.get_or_create(
        minute="15",
        hour="4",
        day_of_week="*",
        day_of_month="*",
        month_of_year="*",
        timezone=settings.CELERY_TIMEZONE,
    )
    nightly.crontab = later
    nightly.save()
    PeriodicTask.objects.filter(name="engagement-weekly-alert-digests").update(enabled=False)
    PeriodicTask.objects.filter(name=REMINDERS).delete()

    process.start()
    wait_until(lambda: started(process, REMINDERS), timeout=60)
    process.stop()

    nightly.refresh_from_db()
    assert (nightly.crontab.hour, nightly.crontab.minute) == ("4", "15")
    assert not PeriodicTask.objects.get(name="engagement-weekly-alert-digests").enabled
    reminders = PeriodicTask.objects.get(name=REMINDERS)
    assert reminders.task == "innovation_den.tasks.remind_overdue_trials"
    assert (reminders.crontab.hour, reminders.crontab.minute) == (str(settings.NIGHTLY_HOUR), "0")
    assert entry_names() >= set(settings.CELERY_BEAT_SCHEDULE)


def test_django_celery_beats_own_scheduler_would_undo_the_edit(beat):
    """The defect this replaces, kept visible: the stock scheduler rewrites the entry."""
    PeriodicTask.objects.all().delete()
    process = beat("django_celery_beat.schedulers:DatabaseScheduler")
    process.start()
    wait_until(lambda: started(process, REMINDERS), timeout=60)
    process.stop()
    later, _ = CrontabSchedule.objects.get_or_create(
        minute="15",
        hour="4",
        day_of_week="*",
        day_of_month="*",
        month_of_year="*",
        timezone=settings.CELERY_TIMEZONE,
    )
    PeriodicTask.objects.filter(name=NIGHTLY).update(crontab=later)
    PeriodicTask.objects.filter(name=REMINDERS).delete()

    process.start()
    wait_until(lambda: started(process, REMINDERS), timeout=60)
    process.stop()
    nightly = PeriodicTask.objects.get(name=NIGHTLY)
    assert (nightly.crontab.hour, nightly.crontab.minute) == (str(settings.NIGHTLY_HOUR), "0")
