"""Times in GOV.UK style: "3pm", "9:30am", "midday", "midnight" (the GOV.UK style guide).

``{% load govuk_time %}`` then ``{{ value|govuk_time }}`` for a ``time`` or a ``datetime``
(an aware one is shown in UK time), or ``{{ moment|govuk_datetime }}`` for "5pm on 27 March
2027". Python code calls :func:`format_govuk_time` and :func:`format_govuk_datetime`.
"""

from __future__ import annotations

from datetime import datetime, time

from django import template
from django.utils import timezone

register = template.Library()


def format_govuk_time(value: time | datetime | None) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, datetime):
        value = (timezone.localtime(value) if timezone.is_aware(value) else value).time()
    if (value.hour, value.minute) == (0, 0):
        return "midnight"
    if (value.hour, value.minute) == (12, 0):
        return "midday"
    hour = value.hour % 12 or 12
    suffix = "am" if value.hour < 12 else "pm"
    return f"{hour}{suffix}" if value.minute == 0 else f"{hour}:{value.minute:02d}{suffix}"


def format_govuk_datetime(value: datetime | None) -> str:
    """A moment in UK time as GOV.UK writes it: "5pm on 27 March 2027"."""
    if not value:
        return ""
    local = timezone.localtime(value) if timezone.is_aware(value) else value
    return f"{format_govuk_time(local)} on {local.day} {local:%B %Y}"


register.filter("govuk_time", format_govuk_time)
register.filter("govuk_datetime", format_govuk_datetime)
