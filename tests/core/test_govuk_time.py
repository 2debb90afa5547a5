"""Times as people write them in, and in GOV.UK style out ("3pm", "9:30am", "midday")."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest
from django.template import Context, Template

from core.forms import GovukTimeField, parse_time
from core.templatetags.govuk_time import format_govuk_time


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2pm", time(14, 0)),
        ("2PM", time(14, 0)),
        ("2 pm", time(14, 0)),
        ("2:00pm", time(14, 0)),
        ("2.30pm", time(14, 30)),
        ("2:30 p.m.", time(14, 30)),
        ("14:00", time(14, 0)),
        ("14.00", time(14, 0)),
        ("09:30", time(9, 30)),
        ("12am", time(0, 0)),
        ("12pm", time(12, 0)),
        ("12:30am", time(0, 30)),
        ("midday", time(12, 0)),
        ("Midnight", time(0, 0)),
    ],
)
def test_times_people_write_are_read(text, expected):
    assert parse_time(text) == expected


@pytest.mark.parametrize("text", ["", "2", "14", "13pm", "0am", "25:00", "14:60", "2:3pm", "tea"])
def test_what_is_not_a_time_is_refused(text):
    assert parse_time(text) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (time(15, 0), "3pm"),
        (time(9, 30), "9:30am"),
        (time(12, 0), "midday"),
        (time(0, 0), "midnight"),
        (time(0, 15), "12:15am"),
        (time(12, 45), "12:45pm"),
        (None, ""),
    ],
)
def test_times_read_in_govuk_style(value, expected):
    assert format_govuk_time(value) == expected


def test_an_aware_datetime_is_shown_in_uk_time():
    summer = datetime(2026, 7, 1, 14, 0, tzinfo=UTC)  # 3pm in London (BST)
    assert format_govuk_time(summer) == "3pm"
    html = Template("{% load govuk_time %}{{ when|govuk_time }}").render(Context({"when": summer}))
    assert html == "3pm"


def test_the_field_reads_back_what_its_widget_shows():
    field = GovukTimeField(error_messages={"invalid": "Start time must be a real time"})
    shown = field.widget.format_value(time(14, 30))
    assert shown == "2:30pm"
    assert field.clean(shown) == time(14, 30)
    with pytest.raises(Exception, match="Start time must be a real time"):
        field.clean("teatime")
