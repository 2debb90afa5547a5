"""A version of the published register, so that caches of what it shows know when to let go.

``changed()`` is called after every write that may change what a published supplier shows
(its row, its links, its case studies, the reference data): it schedules a new version for
when the transaction commits (at once outside one), so a reader that sees the new version
also sees the new data. Caches store the version they were filled under beside each entry
and read both in one round trip (:func:`cached`); an entry from another version is a miss.

The version is a random token in the cache, not a counter: if the cache loses it, a new one
is made, and no entry filled before can match it by chance. Keys carry the database name, so
two sites (or two test workers) sharing a Redis never read each other's entries.

Writes through the ORM call ``changed()`` through the model signals wired below (``save()``,
``delete()``, the link tables' ``m2m_changed``), in every process that imports this module.
Writes that go around the ORM must call it themselves (the CSV import's bulk SQL does, and
``refresh_search_vectors``); a write that did not would show when the entries expire (their
time-to-live), as the search's own cache of searches without words does.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.core.cache import cache
from django.db import connection, transaction
from django.db.models.signals import m2m_changed, post_delete, post_save


def _version_key() -> str:
    return f"suppliers:registry-version:{connection.settings_dict['NAME']}"


def cache_key(*parts: Any) -> str:
    """A key for an entry that depends on the register (namespaced by the database)."""
    return ":".join(["suppliers:registry", str(connection.settings_dict["NAME"]), *map(str, parts)])


def _client():
    """The redis-py client behind the cache (one per process), or None for another backend.

    Entries are then plain bytes (``version|value``) read with one ``MGET``: no pickling, and
    no new redis-py client per call as Django's cache methods make.
    """
    from core.api.throttling import redis_client

    return redis_client(cache)


def _bump() -> None:
    try:
        client = _client()
        if client is not None:
            client.set(cache.make_key(_version_key()), uuid.uuid4().hex)
        else:
            cache.set(_version_key(), uuid.uuid4().hex, None)
    except Exception:  # noqa: BLE001 - a cache outage must not fail a committed write
        # Entries then live out their time-to-live; nothing better can be done without Redis.
        return


def changed() -> None:
    """The register changed (or will, when the current transaction commits)."""
    transaction.on_commit(_bump)


def cached(key: str) -> tuple[bytes | None, str | None]:
    """(the entry under ``key`` if it was filled under the current version, the version).

    One round trip. The version is None only when the cache cannot be reached; then the
    caller must not store anything.
    """
    try:
        client = _client()
        if client is None:
            return _cached_generic(key)
        version_key = cache.make_key(_version_key())
        version, entry = client.mget([version_key, cache.make_key(key)])
        if not _is_token(version):  # none yet (or not one of ours): start a new version
            fresh = uuid.uuid4().hex.encode()
            if version is None and not client.set(version_key, fresh, nx=True):
                return None, None  # another process just made one: fill nothing this time
            if version is not None:
                client.set(version_key, fresh)
            return None, fresh.decode()
        if entry is not None:
            stored, _, value = entry.partition(b"|")
            if stored == version:
                return value, version.decode()
        return None, version.decode()
    except Exception:  # noqa: BLE001 - a cache outage must not break the API
        return None, None


def _is_token(value: bytes | None) -> bool:
    return value is not None and len(value) == 32 and value.isalnum() and value.isascii()


def _cached_generic(key: str) -> tuple[bytes | None, str | None]:
    version_key = _version_key()
    found = cache.get_many([version_key, key])
    version = found.get(version_key)
    if version is None:
        version = uuid.uuid4().hex
        if not cache.add(version_key, version, None):
            version = cache.get(version_key)
        return None, version
    entry = found.get(key)
    if isinstance(entry, tuple) and len(entry) == 2 and entry[0] == version:
        return entry[1], version
    return None, version


def store(key: str, version: str | None, value: bytes, seconds: int) -> None:
    """Keep ``value`` under ``key`` for ``seconds``, as filled under ``version``."""
    if version is None or seconds <= 0:
        return
    try:
        client = _client()
        if client is None:
            cache.set(key, (version, value), seconds)
        else:
            client.set(cache.make_key(key), version.encode() + b"|" + value, ex=seconds)
    except Exception:  # noqa: BLE001 - a cache outage must not break the API
        return


# --- Writes through the ORM ---------------------------------------------------------------------


def _on_write(**kwargs) -> None:
    changed()


def _connect() -> None:
    from suppliers.models import (
        Capability,
        CapabilityGroup,
        CaseStudy,
        Certification,
        Framework,
        Region,
        Supplier,
    )

    for model in (
        Supplier,
        CaseStudy,
        Region,
        CapabilityGroup,
        Capability,
        Certification,
        Framework,
    ):
        uid = f"registry-version-{model.__name__}"
        post_save.connect(_on_write, sender=model, dispatch_uid=f"{uid}-save")
        post_delete.connect(_on_write, sender=model, dispatch_uid=f"{uid}-delete")
    for field in ("regions", "capabilities", "certifications", "frameworks"):
        through = getattr(Supplier, field).through
        m2m_changed.connect(_on_write, sender=through, dispatch_uid=f"registry-version-{field}")


_connect()
