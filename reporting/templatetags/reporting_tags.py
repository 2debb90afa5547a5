"""Small display helpers for the reporting pages."""

from __future__ import annotations

from decimal import Decimal

from django import template

from reporting.periods import period_code as _period_code
from reporting.periods import period_label as _period_label

register = template.Library()


def share_beaten(rank) -> Decimal | None:
    """The percentage of comparable contracts (the others in the category that reported
    the metric that quarter) a contract did strictly better than. The stored rank is
    ``percent_rank()``: the number of contracts with a worse value over the number of
    others, so a tie beats nobody it is tied with."""
    if rank is None or rank == "":
        return None
    return Decimal(str(rank)) * 100  # str: 0.29 * 100 is 28.999… in floating point


@register.filter
def better_than(rank) -> str:
    """A rank as the share of comparable contracts beaten, rounded down so it is never
    overstated: “97%”; “<1%” when some but under 1%; “–” when not ranked."""
    share = share_beaten(rank)
    if share is None:
        return "–"
    if 0 < share < 1:
        return "<1%"
    return f"{int(share)}%"


@register.filter
def better_than_sentence(rank) -> str:
    """“Better than 97% of comparable contracts”, in words at the ends."""
    share = share_beaten(rank)
    if share is None:
        return "Not ranked"
    if share >= 100:
        return "Better than every other comparable contract"
    if share <= 0:
        return "Not better than any other comparable contract"
    if share < 1:
        return "Better than fewer than 1% of comparable contracts"
    return f"Better than {int(share)}% of comparable contracts"


@register.filter
def score(value) -> str:
    """A composite 0–1 as a score out of 100 with one decimal."""
    if value is None or value == "":
        return "–"
    return f"{float(value) * 100:.1f}"


@register.filter
def change(value) -> str:
    """Change in composite (0–1 scale) as signed points out of 100."""
    if value is None or value == "":
        return "–"
    points = float(value) * 100
    if abs(points) < 0.05:
        return "0.0"
    return f"{points:+.1f}"


@register.filter
def period_label(value) -> str:
    return _period_label(value) if value else ""


@register.filter
def period_code(value) -> str:
    return _period_code(value) if value else ""


@register.filter
def get(mapping, key):
    try:
        return mapping.get(key)
    except AttributeError:
        return None


@register.filter
def rank_of(result, metric_id):
    """A ContractResult's percentile rank for one metric (None when not ranked)."""
    return result.rank_of(metric_id) if result else None
