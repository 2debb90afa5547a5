"""Reads to a replica: read-only pages on ``DATABASE_REPLICA_URL``, everything else on the primary.

With ``DATABASE_REPLICA_URL`` set, settings add a ``replica`` database alias (a streaming
standby of the primary). :class:`ReplicaRoutingMiddleware` decides per request, and
:class:`PrimaryReplicaRouter` follows that decision:

- A GET or HEAD under one of ``settings.DATABASE_REPLICA_PATHS`` (search, supplier
  profiles, the market map, API reads, exports) reads from the replica.
- Everything else reads from the primary: other pages, every POST, PUT, PATCH and DELETE,
  and everything outside a request (Celery tasks, management commands, ``migrate``).
- Reads inside a transaction on the primary read the primary.
- A request that writes (the router is asked where to write) reads from the primary for
  the rest of it, and the response pins that browser to the primary for
  ``DATABASE_REPLICA_PIN_SECONDS`` (a signed cookie holding the time it ends), longer
  than the standby takes to replay: users read their own writes.
- Writes always go to the primary, and only the primary is migrated.

Without ``DATABASE_REPLICA_URL`` there is no ``replica`` alias and everything is the primary's.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.db import DEFAULT_DB_ALIAS, connections
from django.http import HttpRequest, HttpResponse

REPLICA = "replica"
PIN_COOKIE = "techmap_primary_until"
PIN_SALT = "techmap.db_router.pin"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass
class Route:
    """Where this request reads: the replica until it writes."""

    replica: bool
    wrote: bool = False


_route: ContextVar[Route | None] = ContextVar("techmap_db_route", default=None)


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


def reading_from_replica() -> bool:
    """True when a read made now would go to the replica."""
    route = _route.get()
    return (
        route is not None
        and route.replica
        and replica_configured()
        and not connections[DEFAULT_DB_ALIAS].in_atomic_block
    )


def pin_to_primary() -> None:
    """From now on this request reads from the primary (and its browser, for a while)."""
    route = _route.get()
    if route is not None:
        route.replica = False
        route.wrote = True


class PrimaryReplicaRouter:
    """The database router named in ``settings.DATABASE_ROUTERS``."""

    def db_for_read(self, model, **hints) -> str:
        return REPLICA if reading_from_replica() else DEFAULT_DB_ALIAS

    def db_for_write(self, model, **hints) -> str:
        pin_to_primary()
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints) -> bool:
        # One database seen through two connections: every relation is allowed.
        return True

    def allow_migrate(self, db: str, app_label: str, model_name=None, **hints) -> bool:
        return db == DEFAULT_DB_ALIAS


def pinned(request: HttpRequest) -> bool:
    """True while this browser's last write is younger than DATABASE_REPLICA_PIN_SECONDS."""
    try:
        until = float(
            request.get_signed_cookie(
                PIN_COOKIE, salt=PIN_SALT, max_age=settings.DATABASE_REPLICA_PIN_SECONDS
            )
        )
    except (KeyError, ValueError, signing.BadSignature):
        return False
    return until > time.time()


def replica_path(path: str) -> bool:
    return any(path.startswith(prefix) for prefix in settings.DATABASE_REPLICA_PATHS)


class ReplicaRoutingMiddleware:
    """Choose the database this request reads from; pin the browser after a write.

    Goes before SessionMiddleware, so a session saved at the end of the request counts as a
    write and the pin cookie is set after it.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not replica_configured():
            return self.get_response(request)
        route = Route(
            replica=request.method in SAFE_METHODS
            and replica_path(request.path_info)
            and not pinned(request)
        )
        token = _route.set(route)
        try:
            response = self.get_response(request)
        finally:
            _route.reset(token)
        if response.streaming and not response.is_async:
            # A streamed export reads as its rows are sent, after this method returned.
            response.streaming_content = _routed(response.streaming_content, route)
        if route.wrote or request.method not in SAFE_METHODS:
            seconds = settings.DATABASE_REPLICA_PIN_SECONDS
            response.set_signed_cookie(
                PIN_COOKIE,
                str(time.time() + seconds),
                salt=PIN_SALT,
                max_age=seconds,
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
        return response


def _routed(chunks: Iterable[bytes], route: Route) -> Iterator[bytes]:
    """``chunks``, each produced while this request's route is the current one."""
    iterator = iter(chunks)
    while True:
        token = _route.set(route)
        try:
            chunk = next(iterator)
        except StopIteration:
            return
        finally:
            _route.reset(token)
        yield chunk
