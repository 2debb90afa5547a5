"""pytest plugin (loaded with ``-p techmap.testing``) that runs before pytest-django.

It starts the embedded PostgreSQL and Redis when ``DATABASE_URL`` / ``REDIS_URL``
are unset, so ``pytest`` alone works on a fresh checkout, and stops at the end
whatever it started. ``TECHMAP_TEST_DB`` names the test database, so two test
runs can share one server.
"""

from __future__ import annotations

import os

import pytest

_started: set[str] = set()


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config, parser, args) -> None:
    os.environ.setdefault("DJANGO_ENV", "test")
    from techmap import embedded

    _started.update(embedded.ensure_services())


def pytest_unconfigure(config) -> None:
    if _started:
        from techmap import embedded

        embedded.stop_services(set(_started))
        _started.clear()
