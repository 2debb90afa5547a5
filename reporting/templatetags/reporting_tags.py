"""Small display helpers for the reporting pages."""

from __future__ import annotations

from django import template

from reporting.periods import period_code as _period_code
from reporting.periods import period_label as _period_label

register = template.Library()


@register.filter
def rank(value) -> str:
    """A percentile rank 0–1 as a whole number out of 100 (“–” when there is none)."""
    if value is None or value == "":
        return "–"
    return str(round(float(value) * 100))


@register.filter
def score(value) -> str:
    """A composite 0–1 as a score out of 100 with one decimal."""
    if value is None or value == "":
        return "Not enough data"
    return f"{float(value) * 100:.1f}"


@register.filter
def change(value) -> str:
    """Change in composite (0–1 scale) as signed points out of 100."""
    if value is None or value == "":
        return "–"
    points = float(value) * 100
    if abs(points) < 0.05:
        return "No change"
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
