"""Supplier Celery tasks: thin entry points that call the public-records services."""

from __future__ import annotations

from celery import shared_task

from core.tasks import single_flight
from suppliers.public_records.fetch import fetch_source, sources
from suppliers.services.digest import moderation_digest_send


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


@shared_task(acks_late=True)
@single_flight("suppliers.send_moderation_digest")
def send_moderation_digest() -> int:
    """Email each moderator what waits for them (daily, from beat).

    Running it twice the same day queues nothing new: each moderator's email for the day has
    its own dedupe key in the outbox (``suppliers.services.digest``). Returns how many
    emails this run queued.
    """
    return moderation_digest_send()
