"""Which of a page of suppliers are already on the user's shortlists (the search results'
"Shortlisted" tag). Its own module: the search itself is ``selectors.search``."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from suppliers.models import ShortlistEntry
from suppliers.permissions import can_use_shortlists


@dataclass(frozen=True)
class OnShortlist:
    pk: int
    name: str


def shortlists_holding(user, supplier_ids: Iterable[int]) -> dict[int, list[OnShortlist]]:
    """supplier id → the user's shortlists that hold it, by name; one query (none for a
    user without shortlists or an empty page)."""
    supplier_ids = list(supplier_ids)
    if not supplier_ids or not can_use_shortlists(user):
        return {}
    rows = (
        ShortlistEntry.objects.filter(shortlist__owner=user, supplier_id__in=supplier_ids)
        .order_by("shortlist__name", "shortlist_id")
        .values_list("supplier_id", "shortlist_id", "shortlist__name")
    )
    held: dict[int, list[OnShortlist]] = {}
    for supplier_id, shortlist_id, name in rows:
        held.setdefault(supplier_id, []).append(OnShortlist(shortlist_id, name))
    return held
