"""Small presentation helpers for the den's templates."""

from __future__ import annotations

from django import template

register = template.Library()

STATUS_COLOURS = {
    "draft": "govuk-tag--grey",
    "submitted": "govuk-tag--light-blue",
    "in_review": "govuk-tag--blue",
    "accepted": "govuk-tag--turquoise",
    "declined": "govuk-tag--orange",
    "running": "govuk-tag--purple",
    "evaluated": "govuk-tag--pink",
    "graduated": "govuk-tag--green",
    "closed": "govuk-tag--grey",
}
# Every outcome gets a tag of the same size and weight: a failure is as prominent as a success.
OUTCOME_COLOURS = {
    "met": "govuk-tag--green",
    "partly_met": "govuk-tag--yellow",
    "not_met": "govuk-tag--red",
}


@register.filter
def status_colour(status: str) -> str:
    return STATUS_COLOURS.get(status, "")


@register.filter
def outcome_colour(outcome: str) -> str:
    return OUTCOME_COLOURS.get(outcome, "")


@register.filter
def get_item(mapping: dict, key):
    return mapping.get(key) if mapping else None


@register.simple_tag
def pounds(value) -> str:
    if value is None:
        return ""
    value = float(value)
    return f"£{value:,.0f}" if value == int(value) else f"£{value:,.2f}"
