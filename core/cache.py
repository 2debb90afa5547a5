"""A Redis cache that fails open: when Redis is down or frozen, the site carries on without it.

Everything Techmap keeps in the cache can be recomputed (search results, API pages, the
registry version, allauth's sign-in counters), so an outage of the cache must cost time,
never a 500. :class:`FailOpenRedisCache` is Django's own ``RedisCache`` (so
``core.api.throttling.redis_client`` still finds its redis-py client) whose every call, when
Redis cannot be reached in time, answers as an empty cache would and logs a warning:

- a read finds nothing (``get`` gives the default, ``get_many`` ``{}``, ``has_key`` False);
- a write is dropped, and ``add`` says it stored the value, so a caller that takes a lock
  with ``add`` (allauth's rate limits do) goes ahead instead of waiting for a lock that will
  never come;
- ``incr`` of a key says the key is missing (``ValueError``), as for any missing key.

A frozen Redis (SIGSTOP, a dead network path) is bounded by the socket timeouts in
``CACHES["default"]["OPTIONS"]``. After a call times out, the process leaves Redis alone for
``RETRY_AFTER`` seconds (the cache answers as empty at once, and ``redis_client`` in
``core.api.throttling`` hands out no client, so the throttle and the registry version take
their cache paths), so a request waits for one timeout at most. A refused connection is
quick, and is simply tried again next time. Either way an outage logs one warning per
process every ``RETRY_AFTER`` seconds, not one a call.
"""

from __future__ import annotations

import logging
import threading
import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

#: Seconds a process leaves a frozen Redis alone, and between two warnings of an outage.
RETRY_AFTER = 5.0
_ERRORS = (RedisError, OSError)
_TIMEOUTS = (RedisTimeoutError, TimeoutError)
# Django makes a cache backend per thread: what one learns of an outage is the process's, per
# Redis location.
_skip_until: dict[str, float] = {}
_quiet_until: dict[str, float] = {}
_lock = threading.Lock()


def _location(cache) -> str | None:
    return getattr(cache, "_techmap_location", None)


def cache_skipped(cache) -> bool:
    """True while ``cache`` (a FailOpenRedisCache) is leaving a frozen Redis alone."""
    location = _location(cache)
    return location is not None and time.monotonic() < _skip_until.get(location, 0.0)


def cache_failed(cache, operation: str, error: BaseException) -> None:
    """Record that a call to ``cache``'s Redis failed: log (at most every RETRY_AFTER
    seconds), and after a timeout leave that Redis alone for RETRY_AFTER seconds."""
    location = _location(cache)
    if location is None:
        return
    now = time.monotonic()
    with _lock:
        if isinstance(error, _TIMEOUTS):
            _skip_until[location] = now + RETRY_AFTER
        speak = now >= _quiet_until.get(location, 0.0)
        if speak:
            _quiet_until[location] = now + RETRY_AFTER
    if speak:
        logger.warning(
            "cache unavailable (%s: %s: %s); carrying on without it",
            operation,
            type(error).__name__,
            error,
        )


def forget_failures() -> None:
    """Forget every outage seen so far (tests that restart their Redis)."""
    with _lock:
        _skip_until.clear()
        _quiet_until.clear()


class FailOpenRedisCache(RedisCache):
    """Django's RedisCache, answering as an empty cache while Redis cannot be reached."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._techmap_location = ",".join(self._servers)

    def _call(self, operation: str, fallback, function, *args, **kwargs):
        if cache_skipped(self):
            return fallback
        try:
            return function(*args, **kwargs)
        except _ERRORS as error:
            cache_failed(self, operation, error)
            return fallback

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("add", True, super().add, key, value, timeout, version)

    def get(self, key, default=None, version=None):
        return self._call("get", default, super().get, key, default, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("set", None, super().set, key, value, timeout, version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("touch", False, super().touch, key, timeout, version)

    def delete(self, key, version=None):
        return self._call("delete", False, super().delete, key, version)

    def get_many(self, keys, version=None):
        return self._call("get_many", {}, super().get_many, keys, version)

    def has_key(self, key, version=None):
        return self._call("has_key", False, super().has_key, key, version)

    def incr(self, key, delta=1, version=None):
        missing = object()
        value = self._call("incr", missing, super().incr, key, delta, version)
        if value is missing:
            raise ValueError(f"Key '{key}' not found (the cache is unavailable).")
        return value

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("set_many", list(data), super().set_many, data, timeout, version)

    def delete_many(self, keys, version=None):
        return self._call("delete_many", None, super().delete_many, keys, version)

    def clear(self):
        return self._call("clear", False, super().clear)
