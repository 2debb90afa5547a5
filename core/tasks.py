"""Handing work to Celery without ever letting a broker outage fail the caller, and running
periodic work once however many workers and beats there are (:func:`single_flight`)."""

from __future__ import annotations

import functools
import hashlib
import logging
from collections.abc import Callable
from functools import partial
from typing import Any

from celery import current_app, current_task
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, transaction

logger = logging.getLogger(__name__)


def enqueue(task, *args, **kwargs) -> bool:
    """Queue ``task`` with these arguments; False (and a warning) when the broker is down.

    ``task`` is a task or its registered name (``"engagement.tasks.send_request_alerts"``):
    a service names its task, so it need not import the tasks module that imports it. Work
    that must not be lost is in the database already (the outbox, a pending row), and the
    task's periodic sweep picks it up when the broker is back, so a failure here delays the
    work and loses none.
    """
    if isinstance(task, str):
        if task not in current_app.tasks:
            # Outside a worker (manage.py seed_demo) no tasks module may be imported yet:
            # autodiscovery imports every app's tasks.py.
            current_app.loader.import_default_modules()
        task = current_app.tasks[task]
    try:
        task.apply_async(args=args, kwargs=kwargs)
    except Exception:
        logger.warning("broker unavailable; %s left for the sweep", task.name, exc_info=True)
        return False
    return True


def enqueue_on_commit(task, *args, **kwargs) -> None:
    """:func:`enqueue` once the current transaction commits (at once outside one)."""
    transaction.on_commit(partial(enqueue, task, *args, **kwargs))


#: The header techmap.beat.DefaultsOnlyScheduler puts on each message it sends.
BEAT_SLOT_HEADER = "techmap_beat_slot"
#: How long a finished beat slot is remembered (longer than any entry's period).
BEAT_SLOT_TTL = 2 * 24 * 3600


def advisory_lock_key(name: str) -> int:
    """A stable signed 64-bit key for ``pg_try_advisory_lock`` from a readable name."""
    digest = hashlib.blake2b(f"single-flight:{name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def _beat_slot() -> str | None:
    task = current_task
    request = getattr(task, "request", None) if task else None
    if request is None:
        return None
    slot = getattr(request, BEAT_SLOT_HEADER, None)
    if slot is None and isinstance(getattr(request, "headers", None), dict):
        slot = request.headers.get(BEAT_SLOT_HEADER)
    return slot


def single_flight(name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Run the decorated task body at most once at a time, and once per beat slot.

    Put it under ``@shared_task`` on every task a beat entry names. Before: any number of
    workers and beats may send or run the task. The body runs only while this process holds
    the PostgreSQL advisory lock named ``name`` on the primary (``pg_try_advisory_lock``);
    a second run that finds the lock taken returns None at once, logging that it skipped.
    A message from beat carries its slot (``techmap.beat``): once a run of that slot has
    finished, a second message for it (a second beat) returns None too. After: the lock is
    released (it also goes with the connection if the worker dies); a run that raised
    leaves its slot open, so a redelivered message does the work.

    A slot is remembered in the cache, which fails open: with Redis down the advisory lock
    still keeps two runs apart, and every task it guards is idempotent besides.
    """

    key = advisory_lock_key(name)

    def decorator(func: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            connection = connections[DEFAULT_DB_ALIAS]
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
                (acquired,) = cursor.fetchone()
            if not acquired:
                logger.info("%s is running elsewhere; this run skipped", name)
                return None
            try:
                slot = _beat_slot()
                done_key = f"single-flight:{name}:{slot}"
                if slot and cache.get(done_key):
                    logger.info("%s already ran for %s; this run skipped", name, slot)
                    return None
                result = func(*args, **kwargs)
                if slot:
                    cache.set(done_key, 1, BEAT_SLOT_TTL)
                return result
            finally:
                try:
                    with connection.cursor() as cursor:
                        cursor.execute("SELECT pg_advisory_unlock(%s)", [key])
                except DatabaseError:
                    # An aborted transaction: closing the session is what releases the lock.
                    logger.warning("%s: could not release its lock; closing", name)
                    if not connection.in_atomic_block:
                        connection.close()

        wrapper.single_flight = name  # type: ignore[attr-defined]
        return wrapper

    return decorator
