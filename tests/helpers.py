"""Helpers the whole suite shares: waiting on a real worker, and keeping tests apart.

- ``wait_until``: poll a condition (a real Celery worker runs in a thread beside the test).
- ``FinishedTasks`` / ``record_finished_tasks``: the tasks a worker has finished, from
  Celery's ``task_postrun`` signal, so a test waits for "the sweep ran" rather than sleeping.
- ``unique_ip`` and ``fresh_throttle_keys``: API throttles count per IP (or token) in the
  shared cache, so a test that counts requests calls from an address no other test uses,
  or takes a key space of its own.

Each test run (and each xdist worker in it) also has its own cache key prefix, set by the
pytest plugin in ``techmap/testing.py`` before any test runs: see ``cache_key_prefix`` there.
"""

from __future__ import annotations

import contextlib
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator

import pytest


def wait_until(
    condition: Callable[[], object], *, timeout: float = 30.0, interval: float = 0.05
) -> None:
    """Return as soon as ``condition()`` is true; fail the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {timeout}s: {condition}")
        time.sleep(interval)


class FinishedTasks(list):
    """``(task name, return value)`` of each task a worker finished, in order (thread-safe)."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()

    def record(self, sender=None, retval=None, **kwargs) -> None:
        with self._lock:
            self.append((sender.name, retval))

    def times(self, name: str) -> int:
        """How many times the task called ``name`` has finished."""
        with self._lock:
            return Counter(task for task, _ in self)[name]

    def wait_for(self, name: str, times: int = 1, *, timeout: float = 30.0) -> None:
        """Wait until the task ``name`` has finished ``times`` times in all."""
        wait_until(lambda: self.times(name) >= times, timeout=timeout)


@contextlib.contextmanager
def record_finished_tasks() -> Iterator[FinishedTasks]:
    """``with record_finished_tasks() as finished:`` listens to ``task_postrun`` meanwhile."""
    from celery.signals import task_postrun

    finished = FinishedTasks()
    task_postrun.connect(finished.record, weak=False)
    try:
        yield finished
    finally:
        task_postrun.disconnect(finished.record)


def unique_ip() -> str:
    """A private IPv4 address no other test is likely to use (its own throttle budget)."""
    number = uuid.uuid4().int
    return f"10.{number % 250}.{(number >> 8) % 250}.{(number >> 16) % 250 + 1}"


def fresh_throttle_keys(monkeypatch: pytest.MonkeyPatch) -> str:
    """Give the API throttles a key space of this test's own (undone after the test).

    Returns the new ``cache_format``; counters from other tests (or earlier runs) are
    then never counted against this one's requests, whatever address or token it uses.
    """
    from core.api import throttling

    cache_format = f"api-throttle-test:{uuid.uuid4().hex}:%(scope)s:%(ident)s"
    monkeypatch.setattr(throttling._LiveRateThrottle, "cache_format", cache_format)
    return cache_format
