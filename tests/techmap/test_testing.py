"""The suite's own isolation: a cache key space per run and worker, and the shared helpers."""

from __future__ import annotations

import ipaddress
import os

import pytest
from django.core.cache import cache, caches

from techmap.testing import cache_key_prefix
from tests.helpers import unique_ip, wait_until


def test_every_cache_key_carries_this_runs_and_workers_prefix():
    run, worker = os.environ["TECHMAP_TEST_RUN_ID"], os.environ.get("PYTEST_XDIST_WORKER", "main")
    assert cache_key_prefix() == f"techmap-test:{run}:{worker}"
    for alias in caches:
        assert caches[alias].make_key("entry").startswith(f"{cache_key_prefix()}:")
    cache.set("isolation-probe", "mine", 30)
    client = caches["default"]._cache.get_client(write=False)
    assert client.get(f"{cache_key_prefix()}:1:isolation-probe") is not None
    cache.delete("isolation-probe")


def test_unique_ips_are_private_addresses_that_do_not_repeat():
    ips = [unique_ip() for _ in range(200)]
    assert all(ipaddress.ip_address(ip).is_private for ip in ips)
    assert len(set(ips)) > 190


def test_wait_until_returns_at_once_or_fails_after_the_timeout():
    wait_until(lambda: True, timeout=0)
    with pytest.raises(AssertionError, match="not true within"):
        wait_until(lambda: False, timeout=0.05)
