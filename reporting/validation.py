"""Turning what people type (form, CSV cell, API value) into a metric's value.

Every rule comes from the metric definition: its unit, its allowed range and
whether it is required. Messages say what is wrong and what to enter instead.
The same functions serve the web form, the CSV upload and the API.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

from core.forms import too_long_message
from reporting.models import MetricDefinition, Rating, ReportValue, Unit

# What the value column (numeric(max_digits, decimal_places)) can store, read from the model
# so the check cannot drift from it: values are rounded to its places, and must have fewer
# whole digits than it allows. Decimal("1e9999999") is finite but fits no column.
_COLUMN = ReportValue._meta.get_field("value")
FOUR_PLACES = Decimal(1).scaleb(-_COLUMN.decimal_places)
WHOLE_DIGITS = _COLUMN.max_digits - _COLUMN.decimal_places
LIMIT = Decimal(10) ** WHOLE_DIGITS  # 10,000,000,000 for numeric(14, 4)

RATING_WORDS = {
    "good": Rating.GOOD,
    "approaching target": Rating.APPROACHING_TARGET,
    "requires improvement": Rating.REQUIRES_IMPROVEMENT,
    "inadequate": Rating.INADEQUATE,
}
RATING_LIST = "Good, Approaching target, Requires improvement or Inadequate"
UNIT_EXAMPLES = {
    Unit.PERCENT: "a percentage, like 95",
    Unit.POUNDS: "an amount in pounds, like 1250.50",
    Unit.COUNT: "a whole number, like 3",
    Unit.DAYS: "a number of days, like 12",
    Unit.SCORE: "a whole number from 1 to 5",
}


@dataclass(frozen=True)
class Problem:
    """Why a value was refused: ``code`` is one of unknown_metric, wrong_unit,
    invalid, out_of_range, required, duplicate_period."""

    code: str
    message: str


class MetricValueError(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def rating_key(rating: int) -> str:
    """Rating.GOOD → ``good``: the value a form or a client sends."""
    return Rating(rating).label.lower().replace(" ", "_")


def fmt(number: Decimal | None) -> str:
    if number is None:
        return ""
    text = format(number.normalize(), "f")
    return text


def parse_value(metric: MetricDefinition, raw: object) -> Decimal:
    """The value of ``raw`` for ``metric``, or MetricValueError saying why not."""
    if metric.unit == Unit.RATING:
        return _parse_rating(metric, raw)
    number = _parse_number(metric, raw)
    if metric.unit in (Unit.COUNT, Unit.SCORE) and number != number.to_integral_value():
        raise MetricValueError(
            "wrong_unit", f"{metric.name} must be a whole number, not {fmt(number)}."
        )
    nonnegative = metric.min_value is None or metric.min_value >= 0
    if nonnegative and number < 0 and metric.unit != Unit.SCORE:
        raise MetricValueError("out_of_range", f"{metric.name} cannot be negative.")
    _check_range(metric, number)
    return number


def _parse_rating(metric: MetricDefinition, raw: object) -> Decimal:
    text = str(raw).strip().lower().replace("_", " ").replace("-", " ") if raw is not None else ""
    text = re.sub(r"\s+", " ", text)
    if text in RATING_WORDS:
        return Decimal(int(RATING_WORDS[text]))
    if isinstance(raw, int | float | Decimal) or _looks_numeric(text):
        raise MetricValueError(
            "wrong_unit", f"{metric.name} is a rating, not a number: enter {RATING_LIST}."
        )
    raise MetricValueError("invalid", f"{metric.name} must be one of {RATING_LIST}.")


def _looks_numeric(text: str) -> bool:
    return bool(re.fullmatch(r"[£$€]?\s*-?[\d,]*\.?\d+\s*%?", text))


def _parse_number(metric: MetricDefinition, raw: object) -> Decimal:
    example = UNIT_EXAMPLES.get(metric.unit, "a number")
    if isinstance(raw, bool):
        raise MetricValueError("invalid", f"Enter {metric.name} as {example}.")
    if isinstance(raw, int | Decimal):
        number = Decimal(raw)
    elif isinstance(raw, float):
        number = Decimal(str(raw))
    else:
        text = str(raw or "").strip()
        if text.lower().replace("_", " ") in RATING_WORDS:
            raise MetricValueError(
                "wrong_unit", f"{metric.name} is {example}, not a rating like “{text}”."
            )
        if "%" in text and metric.unit != Unit.PERCENT:
            raise MetricValueError("wrong_unit", f"{metric.name} is {example}, not a percentage.")
        if any(symbol in text for symbol in "£$€") and metric.unit != Unit.POUNDS:
            raise MetricValueError("wrong_unit", f"{metric.name} is {example}, not money.")
        if any(symbol in text for symbol in "$€"):
            raise MetricValueError("wrong_unit", f"{metric.name} is in pounds (£), not {text}.")
        cleaned = text.replace(",", "").replace("£", "").rstrip("%").strip()
        if metric.unit == Unit.DAYS:
            cleaned = re.sub(r"\s*days?$", "", cleaned, flags=re.IGNORECASE)
        try:
            number = Decimal(cleaned)
        except InvalidOperation:
            raise MetricValueError("invalid", f"Enter {metric.name} as {example}.") from None
    if not number.is_finite():  # inf, nan: not numbers to the people who typed them
        raise MetricValueError("invalid", f"Enter {metric.name} as {example}.")
    # Compare by exponent, not arithmetic: abs() or quantize() of 1e9999999 raise Overflow.
    if number.is_zero() or number.adjusted() < WHOLE_DIGITS:
        number = number.quantize(FOUR_PLACES, rounding=ROUND_HALF_EVEN)
        if number.is_zero() or number.adjusted() < WHOLE_DIGITS:  # 9999999999.99999 rounds up
            return number
    _check_range(metric, number)  # the metric's own range says it best, when it has one
    raise MetricValueError(
        "out_of_range", f"{metric.name} must be less than {LIMIT:,} and more than -{LIMIT:,}."
    )


def _check_range(metric: MetricDefinition, number: Decimal) -> None:
    low, high = metric.min_value, metric.max_value
    if low is not None and high is not None and not low <= number <= high:
        raise MetricValueError(
            "out_of_range", f"{metric.name} must be between {fmt(low)} and {fmt(high)}."
        )
    if low is not None and number < low:
        raise MetricValueError("out_of_range", f"{metric.name} must be {fmt(low)} or more.")
    if high is not None and number > high:
        raise MetricValueError("out_of_range", f"{metric.name} must be {fmt(high)} or less.")


def is_blank(raw: object) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip())


@dataclass
class CleanValues:
    values: dict[int, tuple[Decimal, str]]  # metric id → (value, comment)
    errors: dict[str, Problem]  # metric code (or field) → why


def clean_values(
    metrics: Iterable[MetricDefinition],
    values: Mapping[str, object],
    comments: Mapping[str, object] | None = None,
    *,
    scheme_label: str = "this scheme",
) -> CleanValues:
    """Check every value against the scheme: unknown metrics, wrong units, ranges,
    missing required values. A blank optional value is simply not reported."""
    comments = comments or {}
    by_code = {metric.code: metric for metric in metrics}
    result = CleanValues(values={}, errors={})
    for code in list(values) + [c for c in comments if c not in values]:
        if code not in by_code:
            result.errors[code] = Problem(
                "unknown_metric", f"“{code}” is not a metric of {scheme_label}."
            )
    for code, metric in by_code.items():
        raw = values.get(code)
        comment = str(comments.get(code) or "").strip()
        if is_blank(raw):
            if metric.required:
                result.errors[code] = Problem("required", f"Enter {lower_first(metric.name)}.")
            elif comment:
                result.errors[code] = Problem(
                    "required", f"Enter {lower_first(metric.name)}, or remove its comment."
                )
            continue
        if "\x00" in comment:  # PostgreSQL stores no NUL character
            result.errors[code] = Problem(
                "invalid", f"The comment on {metric.name} contains a NUL character: remove it."
            )
            continue
        if len(comment) > 2000:
            result.errors[code] = Problem(
                "invalid", too_long_message(f"Comment on {lower_first(metric.name)}", 2000)
            )
            continue
        try:
            result.values[metric.pk] = (parse_value(metric, raw), comment)
        except MetricValueError as error:
            result.errors[code] = Problem(error.code, error.message)
    return result


def lower_first(text: str) -> str:
    """A name to use mid-sentence: “Overall KPI rating” → “overall KPI rating”. Only the
    first letter changes, and not when the first word is an abbreviation (“SME spend”)."""
    first = text.split(" ", 1)[0]
    if len(first) > 1 and first.isupper():
        return text
    return text[:1].lower() + text[1:]


def display_value(metric: MetricDefinition, value: Decimal | float | None) -> str:
    """A value as people read it: “Good”, “95%”, “£1,250.50”, “3”."""
    if value is None:
        return ""
    value = Decimal(str(value))
    if metric.unit == Unit.RATING:
        # A median or quartile can fall between two ratings: show the number then.
        if value == value.to_integral_value() and 1 <= value <= 4:
            return Rating(int(value)).label
        return f"{value:.2f}".rstrip("0").rstrip(".")
    if metric.unit == Unit.PERCENT:
        return f"{_trim(value)}%"
    if metric.unit == Unit.POUNDS:
        return f"£{value:,.2f}"
    if metric.unit == Unit.DAYS:
        return f"{_trim(value)} days"
    return _trim(value)


def _trim(value: Decimal) -> str:
    rounded = value.quantize(Decimal("0.01"))
    text = f"{rounded:,.2f}"
    return text.rstrip("0").rstrip(".") if "." in text else text
