"""The database a read goes to, for raw SQL.

The ORM asks the database routers (``settings.DATABASE_ROUTERS``) where each query goes; a
selector that runs raw SQL asks the same question with :func:`read_connection`, so a
read-only page reads from the replica when one is configured (see the README's
"Performance"), and from the primary in a transaction, after a write, or without a replica.
Writes keep using ``django.db.connection`` (the primary).
"""

from __future__ import annotations

from django.db import connections, router
from django.db.backends.base.base import BaseDatabaseWrapper


def read_connection(model: type | None = None) -> BaseDatabaseWrapper:
    """The connection a read of ``model`` (any model when None) goes to now."""
    return connections[router.db_for_read(model)]
