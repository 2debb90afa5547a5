"""The shape each app's ``home_items(user)`` selector returns for the user's home page.

Every app says what waits for a user in its own part of Techmap; ``techmap/home.py``
puts the apps' lists together. A ``HomeItem`` is one kind of work ("questions to
answer") with its count, the page where it is done, and the oldest few entries.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

#: Entries listed under each item; the count says how many there are in all.
HOME_ENTRIES_SHOWN = 5


@dataclass(frozen=True)
class HomeEntry:
    title: str
    url: str
    since: datetime | date | None = None  # oldest first: the date that orders the entries
    note: str = ""


@dataclass(frozen=True)
class HomeItem:
    key: str  # a stable name for tests and templates: "questions_to_answer"
    label: str  # read as "3 questions to answer"
    count: int
    url: str  # where the work is done (a list, filtered when it can be)
    entries: list[HomeEntry] = field(default_factory=list)
    group: str = ""  # the heading it is shown under ("Early engagement")
    one: str = ""  # the label for a count of 1 ("question to answer"); label when empty
    # False for what is there to look at rather than act on (alert settings, shortlists).
    needs_action: bool = True


def first_and_count(queryset, limit: int = HOME_ENTRIES_SHOWN) -> tuple[list, int]:
    """The first ``limit`` rows of an ordered queryset and how many there are, in one query.

    The count is a window over the whole filtered set, computed before the LIMIT.
    """
    from django.db.models import Count, Window

    rows = list(queryset.annotate(home_total=Window(Count("pk")))[:limit])
    return rows, (rows[0].home_total if rows else 0)
