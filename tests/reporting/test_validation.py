"""Validation from the scheme: units, ranges, required values, unknown metrics, periods."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from reporting.periods import (
    PeriodError,
    add_quarters,
    parse_period,
    period_code,
    period_label,
    quarters_between,
)
from reporting.validation import MetricValueError, clean_values, display_value, parse_value


def metric(scheme, code):
    return scheme.metrics.get(code=code)


@pytest.mark.parametrize(
    ("code", "raw", "expected"),
    [
        ("overall_rating", "Good", Decimal("4")),
        ("overall_rating", "requires improvement", Decimal("2")),
        ("overall_rating", "APPROACHING_TARGET", Decimal("3")),
        ("milestones_on_time", "95%", Decimal("95")),
        ("milestones_on_time", " 87.25 ", Decimal("87.25")),
        ("spend_against_budget", "120", Decimal("120")),
        ("user_satisfaction", "5", Decimal("5")),
        ("priority_1_incidents", "0", Decimal("0")),
        ("priority_1_incidents", 3, Decimal("3")),
        ("service_availability", 99.95, Decimal("99.95")),
    ],
)
def test_values_in_each_unit_are_read(scheme, code, raw, expected):
    assert parse_value(metric(scheme, code), raw) == expected


@pytest.mark.parametrize(
    ("code", "raw", "reason", "words"),
    [
        ("overall_rating", "3", "wrong_unit", "is a rating, not a number"),
        ("overall_rating", 4, "wrong_unit", "is a rating"),
        ("overall_rating", "Excellent", "invalid", "must be one of Good"),
        ("milestones_on_time", "£95", "wrong_unit", "not money"),
        ("milestones_on_time", "Good", "wrong_unit", "not a rating"),
        ("priority_1_incidents", "2.5", "wrong_unit", "whole number"),
        ("priority_1_incidents", "5%", "wrong_unit", "not a percentage"),
        ("user_satisfaction", "3.5", "wrong_unit", "whole number"),
        ("milestones_on_time", "101", "out_of_range", "between 0 and 100"),
        ("user_satisfaction", "6", "out_of_range", "between 1 and 5"),
        ("priority_1_incidents", "-1", "out_of_range", "cannot be negative"),
        ("milestones_on_time", "lots", "invalid", "as a percentage"),
        ("milestones_on_time", "NaN", "invalid", "as a percentage"),
        ("milestones_on_time", True, "invalid", "as a percentage"),
    ],
)
def test_bad_values_say_why(scheme, code, raw, reason, words):
    with pytest.raises(MetricValueError) as caught:
        parse_value(metric(scheme, code), raw)
    assert caught.value.code == reason
    assert words in caught.value.message


def test_clean_values_reports_unknown_and_missing_metrics(scheme):
    result = clean_values(
        scheme.metrics.all(),
        {"overall_rating": "Good", "happiness": "7", "milestones_on_time": ""},
        {"social_value_met": "a comment without a value"},
    )
    assert result.errors["happiness"].code == "unknown_metric"
    assert result.errors["milestones_on_time"].code == "required"
    assert result.errors["spend_against_budget"].code == "required"
    assert result.errors["social_value_met"].code == "required"  # a comment needs its value
    # Blank optional metrics are simply not reported.
    assert "service_availability" not in result.errors
    assert list(result.values) == [metric(scheme, "overall_rating").pk]


def test_display_values(scheme):
    assert display_value(metric(scheme, "overall_rating"), Decimal("4")) == "Good"
    assert display_value(metric(scheme, "overall_rating"), Decimal("2.5")) == "2.5"
    assert display_value(metric(scheme, "milestones_on_time"), Decimal("95.5000")) == "95.5%"
    assert display_value(metric(scheme, "priority_1_incidents"), Decimal("3")) == "3"


def test_periods():
    assert parse_period("2025-Q1") == date(2025, 1, 1)
    assert parse_period("2025 q4") == date(2025, 10, 1)
    assert parse_period("2025-07-01") == date(2025, 7, 1)
    for bad in ["2025-Q5", "Q1 2025", "2025-02-01", "", "2025-13-01"]:
        with pytest.raises(PeriodError):
            parse_period(bad)
    assert period_code(date(2024, 10, 1)) == "2024-Q4"
    assert period_label(date(2024, 10, 1)) == "October to December 2024"
    assert add_quarters(date(2024, 10, 1), 1) == date(2025, 1, 1)
    assert add_quarters(date(2025, 1, 1), -5) == date(2023, 10, 1)
    assert quarters_between(date(2024, 11, 5), date(2025, 4, 2)) == [
        date(2024, 10, 1),
        date(2025, 1, 1),
        date(2025, 4, 1),
    ]
