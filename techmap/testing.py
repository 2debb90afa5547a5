"""pytest plugin (loaded with ``-p techmap.testing``) that runs before pytest-django.

It starts the embedded PostgreSQL and Redis when ``DATABASE_URL`` / ``REDIS_URL``
are unset, so ``pytest`` alone works on a fresh checkout, and stops at the end
whatever it started. ``TECHMAP_TEST_DB`` names the test database, so two test
runs can share one server. Each run, and each xdist worker in it, has a cache key prefix
of its own (``cache_key_prefix``), so runs and workers sharing one Redis never read each
other's cache entries or throttle counters.
"""

from __future__ import annotations

import os
import uuid

import pytest

_started: set[str] = set()


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config, parser, args) -> None:
    os.environ.setdefault("DJANGO_ENV", "test")
    # One id per run, inherited by its xdist workers (they start after this hook).
    os.environ.setdefault("TECHMAP_TEST_RUN_ID", uuid.uuid4().hex[:12])
    from techmap import embedded

    _started.update(embedded.ensure_services())
    # Tasks that tests queue (and no worker consumes) go to a broker database of
    # their own, emptied at the start of each run, never to the one make run uses.
    # (Not exported as CELERY_BROKER_URL: Celery would let that variable override
    # the settings, and tests that point Celery at a private broker need to win.)
    if not os.environ.get("CELERY_BROKER_URL"):
        os.environ["TECHMAP_TEST_BROKER_URL"] = _with_db(os.environ["REDIS_URL"], 15)
        if not os.environ.get("PYTEST_XDIST_WORKER"):
            _flush(os.environ["TECHMAP_TEST_BROKER_URL"])


def cache_key_prefix() -> str:
    """The cache key prefix of this test process: the run's id and the xdist worker's."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    return f"techmap-test:{os.environ['TECHMAP_TEST_RUN_ID']}:{worker}"


@pytest.hookimpl(trylast=True)
def pytest_configure(config) -> None:
    """Point every cache at this process's key prefix (after pytest-django set Django up)."""
    from django.conf import settings

    if not settings.configured:
        return
    import django.test.signals  # noqa: F401 - its receiver rebuilds the cache handlers
    from django.core.signals import setting_changed

    caches = {
        alias: {**options, "KEY_PREFIX": cache_key_prefix()}
        for alias, options in settings.CACHES.items()
    }
    settings.CACHES = caches
    setting_changed.send(sender=type(settings), setting="CACHES", value=caches, enter=True)


def _with_db(url: str, db: int) -> str:
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{db}"))


def _flush(url: str) -> None:
    import contextlib

    import redis

    with contextlib.suppress(redis.RedisError):  # the tests that need Redis will say so
        redis.Redis.from_url(url, socket_connect_timeout=2).flushdb()


def pytest_unconfigure(config) -> None:
    if _started:
        from techmap import embedded

        embedded.stop_services(set(_started))
        _started.clear()
