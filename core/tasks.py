"""Handing work to Celery without ever letting a broker outage fail the caller."""

from __future__ import annotations

import logging
from functools import partial

from celery import current_app
from django.db import transaction

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
