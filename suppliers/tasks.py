"""Supplier Celery tasks: thin entry points that call the public-records services."""

from __future__ import annotations

from celery import shared_task

from core.tasks import single_flight
from suppliers.public_records.fetch import fetch_source, sources


@shared_task(acks_late=True)
@single_flight("suppliers.fetch_public_contracts")
def fetch_public_contracts() -> dict[str, int]:
    """Fetch and import what each OCDS publisher released since the last run (nightly).

    Running it twice is harmless: releases are loaded once by ocid and release id, so a
    second run only re-reads the overlap day. A source that fails is logged and the next
    source still runs; the next night resumes from the newest release loaded. Returns the
    releases loaded per source.
    """
    import logging

    from suppliers.public_records.fetch import FetchError

    loaded: dict[str, int] = {}
    for source in sources():
        try:
            loaded[source] = fetch_source(source=source).loaded
        except FetchError:
            logging.getLogger(__name__).exception("Fetching %s failed", source)
            loaded[source] = -1
    return loaded
