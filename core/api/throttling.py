"""Fixed-window API throttles counted in Redis."""

from __future__ import annotations

import logging

from redis.exceptions import RedisError
from rest_framework import throttling
from rest_framework.settings import api_settings

from core.api.permissions import token_scope
from core.cache import cache_failed, cache_skipped

logger = logging.getLogger(__name__)


class _LiveRateThrottle(throttling.SimpleRateThrottle):
    """A fixed-window request counter: one Redis round trip a request.

    The rate is read from the settings at request time (so tests and settings changes
    apply). With Redis as the cache, ``SET key 0 EX window NX`` and ``INCR key`` go in one
    pipeline; the answer is a 429 whose ``Retry-After`` is the time left in the window. With
    another cache backend it falls back to DRF's sliding window.

    When Redis cannot be reached the request is let through and a warning logged: an outage
    of the counter must not take the API's reads down with it.

    The caller's address is ``REMOTE_ADDR``, or the ``X-Forwarded-For`` entry that the
    ``NUM_PROXIES`` trusted proxies in front of the site added (DRF's rule): a client cannot
    pick a new identity per request by sending a header of its own.
    """

    cache_format = "api-throttle:%(scope)s:%(ident)s"

    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        # Who is counted first: two of the three throttles skip every request (an anonymous
        # caller has no session user and no token), and need no Redis client for that.
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        try:
            return self._count(request, view)
        except (RedisError, OSError) as error:
            logger.warning("throttle %s not counted: Redis unavailable", self.scope, exc_info=True)
            # A frozen Redis: the next requests count in the (fail-open) cache instead of
            # each waiting for the socket timeout (core/cache.py).
            cache_failed(_backend(self.cache), f"throttle {self.scope}", error)
            return True

    def _count(self, request, view) -> bool:
        client = redis_client(self.cache)
        if client is None:
            return super().allow_request(request, view)
        key = self.cache.make_key(self.key)
        pipeline = client.pipeline(transaction=False)
        pipeline.set(key, 0, ex=self.duration, nx=True)
        pipeline.incr(key)
        count = pipeline.execute()[1]
        if count <= self.num_requests:
            return True
        self._wait = max(1, client.ttl(key))
        return False

    def wait(self):
        if hasattr(self, "_wait"):
            return self._wait
        return super().wait()


def redis_client(cache):
    """The redis-py client behind Django's RedisCache, or None for another backend (and while
    the cache leaves a frozen Redis alone: see core/cache.py). Callers then use the cache.

    Kept on the backend's client object: Django's ``get_client()`` builds a new
    ``redis.Redis`` (with its table of ~200 response callbacks) on every call, which was a
    visible part of a request's time. The client is thread-safe and shares Django's pool.
    """
    from django.core.cache.backends.redis import RedisCache

    cache = _backend(cache)
    if not isinstance(cache, RedisCache) or cache_skipped(cache):
        return None  # another backend, or a frozen Redis that the cache is leaving alone
    backend = cache._cache
    client = getattr(backend, "_techmap_write_client", None)
    if client is None:
        client = backend._techmap_write_client = backend.get_client(write=True)
    return client


def _backend(cache):
    from django.core.cache import cache as default_cache
    from django.core.cache import caches

    if cache is default_cache:  # a proxy: the real backend is the connection's
        return caches["default"]
    return cache


class AnonThrottle(_LiveRateThrottle):
    scope = "anon"

    def get_cache_key(self, request, view):
        if request.user and request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class UserThrottle(_LiveRateThrottle):
    """Signed-in users on a browser session."""

    scope = "user"

    def get_cache_key(self, request, view):
        if not (request.user and request.user.is_authenticated) or token_scope(request):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}


class TokenThrottle(_LiveRateThrottle):
    """Each API token has its own budget."""

    scope = "token"

    def get_cache_key(self, request, view):
        if not token_scope(request):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.auth.pk}
