"""Reporting periods are calendar quarters, stored as the date of their first day.

Written ``2025-Q1`` in files and URLs (January to March 2025) so nobody has to
guess whether a "Q1" is a calendar or a financial-year quarter.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import date
from typing import TypeVar

T = TypeVar("T")

QUARTER_RE = re.compile(r"^\s*(\d{4})\s*[-/ ]?\s*[Qq]([1-4])\s*$")
# The form a period takes in the API (OpenAPI pattern).
PERIOD_PATTERN = r"^(19|2[0-9])[0-9]{2}-Q[1-4]$"
# As a query parameter an empty value means "any period".
PERIOD_FILTER_PATTERN = r"^((19|2[0-9])[0-9]{2}-Q[1-4])?$"
MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


class PeriodError(ValueError):
    """The text is not a quarter written as 2025-Q1."""


def quarter_start(day: date) -> date:
    """The first day of the quarter that ``day`` falls in."""
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def parse_period(text: str) -> date:
    """``2025-Q1`` (or ``2025 Q1``, ``2025Q1``, or an ISO date that starts a quarter) → date."""
    text = (text or "").strip()
    match = QUARTER_RE.match(text)
    if match and int(match.group(1)) >= 1900:
        return date(int(match.group(1)), 3 * (int(match.group(2)) - 1) + 1, 1)
    if match:
        raise PeriodError(f"Enter a year from 1900, not {match.group(1)}.")
    try:
        day = date.fromisoformat(text)
        if day.year < 1900:
            raise ValueError
    except ValueError:
        raise PeriodError(
            f"Enter the period as a year and quarter, like 2025-Q1, not “{text[:20]}”."
        ) from None
    if day != quarter_start(day):
        raise PeriodError("A period date must be the first day of a quarter, like 2025-04-01.")
    return day


def period_code(period: date) -> str:
    """2025-01-01 → ``2025-Q1``."""
    return f"{period.year}-Q{(period.month - 1) // 3 + 1}"


def period_label(period: date) -> str:
    """2025-01-01 → ``January to March 2025``."""
    return f"{MONTHS[period.month - 1]} to {MONTHS[period.month + 1]} {period.year}"


def add_quarters(period: date, count: int) -> date:
    index = period.year * 4 + (period.month - 1) // 3 + count
    return date(index // 4, 3 * (index % 4) + 1, 1)


def quarters_between(first: date, last: date) -> list[date]:
    """Every quarter from the one holding ``first`` to the one holding ``last``, in order."""
    current, end = quarter_start(first), quarter_start(last)
    result = []
    while current <= end:
        result.append(current)
        current = add_quarters(current, 1)
    return result


def by_quarter(items: Iterable[T], period_of: Callable[[T], date]) -> list[tuple[date, list[T]]]:
    """``items`` (in period order) grouped by quarter, with every quarter from the first to
    the last: a quarter with nothing has an empty list, so it shows as a gap rather than
    being skipped."""
    items = list(items)
    if not items:
        return []
    grouped: dict[date, list[T]] = {}
    for item in items:
        grouped.setdefault(period_of(item), []).append(item)
    return [(q, grouped.get(q, [])) for q in quarters_between(min(grouped), max(grouped))]


def current_quarter(today: date | None = None) -> date:
    """The quarter we are in now (Europe/London)."""
    from django.utils import timezone

    return quarter_start(today or timezone.localdate())


def contract_period_problem(contract, period: date) -> str | None:
    """Why ``period`` cannot be reported on for ``contract``, or None when it can: the
    quarter has begun and falls within the contract's dates. The submission check and
    the report form's choices both ask this."""
    if period > current_quarter():
        return f"{period_label(period)} has not started yet."
    if contract.start_date and period < quarter_start(contract.start_date):
        return f"The contract started on {contract.start_date:%-d %B %Y}, after that quarter."
    if contract.end_date and period > contract.end_date:
        return f"The contract ended on {contract.end_date:%-d %B %Y}, before that quarter."
    return None


def open_periods(contract, reported: set[date], *, limit: int = 12) -> list[date]:
    """The quarters a supplier can still report on for ``contract``, newest first (at most
    ``limit``; without a start date, the last two years)."""
    today = current_quarter()
    first = contract.start_date or add_quarters(today, -8)
    return [
        period
        for period in reversed(quarters_between(first, today))
        if period not in reported and contract_period_problem(contract, period) is None
    ][:limit]


#: A quarter's report is due in the days after the quarter ends; after them it is overdue.
REPORT_DUE_DAYS = 30


def report_due_by(period: date) -> date:
    """The last day to report on ``period`` before the report is overdue."""
    from datetime import timedelta

    return add_quarters(period, 1) + timedelta(days=REPORT_DUE_DAYS - 1)
