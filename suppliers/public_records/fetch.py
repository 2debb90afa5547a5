"""Page through a publisher's public OCDS API and import each page.

Both UK publishers return release packages with ``links.next`` pointing at the next
page; this follows it until there is none. A page that fails (a 5xx or 429 answer, a
timeout, a dropped connection) is tried again after a growing pause (1 s, 2 s, 4 s, …,
or the server's ``Retry-After``); a page still failing after ``retries`` tries stops the
fetch, and a page's releases are committed before the next is asked for, so the next run
(idempotent by ocid and release id) picks up where this one stopped.

The base URLs come from ``settings.OCDS_SOURCES`` (tests point them at a local server),
falling back to :data:`DEFAULT_SOURCES`.
"""

from __future__ import annotations

import json
import logging
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db.models import Max
from django.utils import timezone

from suppliers.models import PublicRelease
from suppliers.public_records.ocds import OcdsReport, import_releases
from suppliers.public_records.reader import read_bytes

logger = logging.getLogger(__name__)

# name -> base URL, the query parameter that takes the start date, the publisher's name.
DEFAULT_SOURCES: dict[str, dict[str, str]] = {
    "find-a-tender": {
        "url": "https://www.find-tender.service.gov.uk/api/1.0/ocdsReleasePackages",
        "since_param": "updatedFrom",
        "publisher": "Find a Tender",
    },
    "contracts-finder": {
        "url": "https://www.contractsfinder.service.gov.uk/Published/Notices/OCDS/Search",
        "since_param": "publishedFrom",
        "publisher": "Contracts Finder",
    },
}
RETRY_STATUSES = {429, 500, 502, 503, 504}
USER_AGENT = "Techmap public contract import"


class FetchError(Exception):
    """A page could not be fetched (after retries), or the source is unknown."""


def sources() -> dict[str, dict[str, str]]:
    return getattr(settings, "OCDS_SOURCES", None) or DEFAULT_SOURCES


def first_url(source: str, since: date | datetime) -> str:
    config = sources().get(source)
    if config is None:
        raise FetchError(f"Unknown source {source!r}: choose from {', '.join(sources())}")
    stamp = (
        since.strftime("%Y-%m-%dT%H:%M:%S")
        if isinstance(since, datetime)
        else (f"{since.isoformat()}T00:00:00")
    )
    separator = "&" if "?" in config["url"] else "?"
    query = urllib.parse.urlencode({config["since_param"]: stamp, "limit": 100})
    return f"{config['url']}{separator}{query}"


def default_since(source: str) -> date:
    """The day before the newest release already loaded from ``source`` (a day's overlap
    costs nothing: loaded releases are skipped), or yesterday if none."""
    publisher = sources().get(source, {}).get("publisher", "")
    newest = PublicRelease.objects.filter(publisher=publisher).aggregate(Max("date"))["date__max"]
    base = newest.date() if newest else timezone.localdate()
    return base - timedelta(days=1)


def get_page(
    url: str,
    *,
    retries: int = 5,
    backoff: float = 1.0,
    timeout: float = 60,
    sleep: Callable[[float], None] = time.sleep,
) -> bytes:
    """The body of ``url``, retried with back-off on failures worth retrying."""
    attempt = 0
    while True:
        attempt += 1
        wait = backoff * 2 ** (attempt - 1)
        try:
            request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return response.read()
        except urllib.error.HTTPError as exc:
            if exc.code not in RETRY_STATUSES or attempt >= retries:
                raise FetchError(f"{url}: HTTP {exc.code} after {attempt} tries") from exc
            retry_after = exc.headers.get("Retry-After") if exc.headers else None
            if retry_after and retry_after.isdigit():
                wait = min(float(retry_after), 300.0)
            reason = f"HTTP {exc.code}"
        except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
            if attempt >= retries:
                raise FetchError(f"{url}: {exc} after {attempt} tries") from exc
            reason = str(exc)
        logger.warning("Fetching %s failed (%s); try %d in %.1f s", url, reason, attempt + 1, wait)
        sleep(wait)


def next_link(page: bytes) -> str | None:
    try:
        links = json.loads(page).get("links") or {}
    except (ValueError, AttributeError):
        return None
    link = links.get("next") if isinstance(links, dict) else None
    return link if isinstance(link, str) and link.strip() else None


def fetch_source(
    *,
    source: str,
    since: date | datetime | None = None,
    max_pages: int | None = None,
    retries: int = 5,
    backoff: float = 1.0,
    on_page: Callable[[int, OcdsReport], None] | None = None,
) -> OcdsReport:
    """Fetch every page of ``source`` published since ``since`` and import it.

    Before: nothing. After: every release on the pages fetched is loaded, passed over or
    refused (in the report); a re-run loads only what is new."""
    since = since or default_since(source)
    publisher = sources()[source].get("publisher", "") if source in sources() else ""
    url: str | None = first_url(source, since)
    report = OcdsReport()
    pages = 0
    seen: set[str] = set()
    while url and (max_pages is None or pages < max_pages):
        if url in seen:  # a publisher looping back on itself
            break
        seen.add(url)
        body = get_page(url, retries=retries, backoff=backoff)
        pages += 1
        import_releases(
            read_bytes(body, name=f"{source} page {pages}"), publisher=publisher, report=report
        )
        if on_page:
            on_page(pages, report)
        url = next_link(body)
    return report
