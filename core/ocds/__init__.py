"""What every OCDS export of Techmap shares: the Techmap extension, packages, pruning, paging.

- :func:`extension_url`: the absolute URL of Techmap's OCDS extension (``extension/`` beside
  this file, served by :mod:`core.ocds.views` at ``/ocds/extension/``). Every package lists
  it in ``extensions``, so any OCDS tool (the Data Review Tool, libcoveocds, Kingfisher) reads
  the ``techmapReport`` milestones and the CPV ``tender.classification`` as declared fields.
- :func:`prune`: OCDS asks publishers to omit a field rather than publish it empty, so every
  export drops null, blank strings, empty arrays and empty objects, at any depth.
- :func:`release_package`: an OCDS 1.1 release package (the 1.1 release package schema, and
  nothing it does not define).
- :func:`link_header`: pages of a package. OCDS's guidance for paged packages is the
  Pagination extension (``links.next`` / ``links.prev`` in the package). The OCDS 1.1
  release package schema has no ``links``, and the review tools validate a package against
  that core package schema only (an extension patches releases, not packages), so a
  package-level ``links`` is reported as an undeclared additional field whatever
  ``extensions`` says. Techmap therefore gives the same two links, with the same names and
  meaning (the HTML link types ``next`` and ``prev`` that the Pagination extension follows),
  in an RFC 8288 ``Link`` header, and keeps each package valid OCDS 1.1 with no additional
  field. The pages are keyset pages, as that guidance recommends over page numbers: a page
  returns the same rows over time and paging never skips or repeats one.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

EXTENSION_DIR = Path(__file__).resolve().parent / "extension"
VERSION = "1.1"
LICENSE = "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"
PUBLISHER_NAME = "Techmap"


def extension_file_url(name: str) -> str:
    """The absolute URL of one file of the Techmap extension (``extension.json``,
    ``release-schema.json``, ``README.md``, ``codelists/<name>.csv``)."""
    return settings.SITE_URL + reverse("ocds-extension", args=[name])


def extension_url() -> str:
    """The URL to list in a package's ``extensions``: the extension's ``extension.json``."""
    return extension_file_url("extension.json")


def iso(value: datetime | date | None) -> str | None:
    """A date or time as OCDS wants it (RFC 3339, UTC); a date is midnight UTC that day."""
    if value is None:
        return None
    if not isinstance(value, datetime):
        value = datetime.combine(value, time.min, tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _empty(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    return isinstance(value, (list, tuple, dict)) and not value


def prune(value: Any) -> Any:
    """``value`` with every null, blank string (empty or only whitespace), empty array and
    empty object left out, at any depth; an object or array left empty by that goes too.
    Numbers (0 included) and booleans are kept."""
    if isinstance(value, Mapping):
        pruned = {key: prune(item) for key, item in value.items()}
        return {key: item for key, item in pruned.items() if not _empty(item)}
    if isinstance(value, (list, tuple)):
        pruned_items = [prune(item) for item in value]
        return [item for item in pruned_items if not _empty(item)]
    return value


def release_package(releases: list[dict], *, uri: str, published: datetime | None = None) -> dict:
    """An OCDS 1.1 release package of ``releases`` (pruned), published by Techmap under the
    Open Government Licence, listing the Techmap extension."""
    return prune(
        {
            "uri": uri,
            "version": VERSION,
            "extensions": [extension_url()],
            "publishedDate": iso(published or timezone.now()),
            "publisher": {"name": PUBLISHER_NAME, "uri": settings.SITE_URL},
            "license": LICENSE,
            "releases": releases,
        }
    )


def link_header(*, next_url: str | None, prev_url: str | None) -> str:
    """An RFC 8288 ``Link`` header with the ``next`` and ``prev`` pages (see the module
    docstring for why the links are not in the package); "" when there is neither."""
    links = [(next_url, "next"), (prev_url, "prev")]
    return ", ".join(f'<{url}>; rel="{rel}"' for url, rel in links if url)
