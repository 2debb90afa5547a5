"""Geometry for the inline SVG charts. Every chart is drawn beside a table of the
same numbers (the table is what screen readers and no-CSS users read), so the SVG
is decorative: ``aria-hidden`` with a text summary."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from reporting.models import Rating
from reporting.periods import period_code

WIDTH = 640
HEIGHT = 260
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 16, 40
RATING_LEFT = 150  # room for "Requires improvement" at the axis
# The GOV.UK font stack: SVG text does not inherit it from the page's classes, and
# without it a browser draws chart labels in its default serif.
FONT_FAMILY = '"GDS Transport", arial, sans-serif'


def _scale(low: float, high: float):
    if high <= low:
        high = low + 1
    pad = (high - low) * 0.05
    low, high = low - pad, high + pad
    plot = HEIGHT - TOP - BOTTOM

    def y(value: float) -> float:
        return round(TOP + plot * (1 - (float(value) - low) / (high - low)), 1)

    return y, low, high


def _ticks(low: float, high: float, count: int = 5) -> list[float]:
    step = (high - low) / (count - 1)
    return [low + step * i for i in range(count)]


def _label(value: float) -> str:
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.1f}".rstrip("0").rstrip(".")


@dataclass
class Box:
    x: float
    width: float
    label: str
    min_y: float
    q1_y: float
    median_y: float
    q3_y: float
    max_y: float
    mean_y: float
    marker_y: float | None
    enough: bool

    @property
    def left(self) -> float:
        return round(self.x - self.width / 2, 1)

    @property
    def right(self) -> float:
        return round(self.x + self.width / 2, 1)

    @property
    def box_height(self) -> float:
        return round(max(self.q1_y - self.q3_y, 1), 1)


def _rating_ticks(y) -> list[dict]:
    """The four UK9 levels by name, best at the top, in place of numbered ticks."""
    return [{"y": y(r.value), "label": r.label} for r in sorted(Rating, key=lambda r: -r.value)]


def _frame(left: int, y, low: float, high: float, rating: bool) -> dict:
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "left": left,
        "right": WIDTH - RIGHT,
        "bottom": HEIGHT - BOTTOM,
        "label_y": HEIGHT - BOTTOM + 18,
        "font": FONT_FAMILY,
        "gap_y": round((TOP + HEIGHT - BOTTOM) / 2, 1),
        "ticks": _rating_ticks(y)
        if rating
        else [{"y": y(t), "label": _label(t)} for t in _ticks(low, high)],
    }


def box_plot(
    slots: Sequence[tuple[date, object | None]],
    marker_values: dict | None = None,
    *,
    rating: bool = False,
) -> dict:
    """Boxes (min, quartiles, max, mean) for each (quarter, benchmark) in order; a quarter
    whose benchmark is None is a gap, labelled "No report". ``marker_values`` maps a
    period to a contract's value to draw as a diamond. ``rating``: a UK9 rating metric,
    drawn on the four named levels."""
    benchmarks = [b for _, b in slots if b is not None]
    if not benchmarks:
        return {}
    marker_values = marker_values or {}
    if rating:
        low, high = Rating.INADEQUATE.value, Rating.GOOD.value
    else:
        numbers = [float(b.minimum) for b in benchmarks] + [float(b.maximum) for b in benchmarks]
        numbers += [float(v) for v in marker_values.values() if v is not None]
        low, high = min(numbers), max(numbers)
    y, low, high = _scale(low, high)
    left = RATING_LEFT if rating else LEFT
    slot = (WIDTH - left - RIGHT) / len(slots)
    width = min(48, slot * 0.6)
    boxes, gaps = [], []
    for index, (period, b) in enumerate(slots):
        centre = round(left + slot * (index + 0.5), 1)
        if b is None:
            gaps.append({"x": centre, "label": period_code(period)})
            continue
        marker = marker_values.get(b.period)
        boxes.append(
            Box(
                x=centre,
                width=round(width, 1),
                label=b.period_code,
                min_y=y(b.minimum),
                q1_y=y(b.q1),
                median_y=y(b.median),
                q3_y=y(b.q3),
                max_y=y(b.maximum),
                mean_y=y(b.mean),
                marker_y=y(marker) if marker is not None else None,
                enough=b.enough_data,
            )
        )
    return {**_frame(left, y, low, high, rating), "boxes": boxes, "gaps": gaps}


def line_chart(
    points: Sequence[tuple[str, float | None]], low: float, high: float, *, rating: bool = False
) -> dict:
    """A line through (label, value) points on a fixed scale; a value of None is a gap
    (the line breaks and the quarter is labelled "No report")."""
    if not points:
        return {}
    y, low, high = _scale(low, high)
    left = RATING_LEFT if rating else LEFT
    slot = (WIDTH - left - RIGHT) / len(points)
    drawn = []
    for index, (label, value) in enumerate(points):
        x = round(left + slot * (index + 0.5), 1)
        drawn.append({"x": x, "y": y(value) if value is not None else None, "label": label})
    path = " ".join(
        f"{'M' if i == 0 or drawn[i - 1]['y'] is None else 'L'}{p['x']},{p['y']}"
        for i, p in enumerate(drawn)
        if p["y"] is not None
    )
    return {**_frame(left, y, low, high, rating), "points": drawn, "path": path}


def rating_chart(ratings: Sequence[dict]) -> dict:
    """UK9 ratings over time on the four named levels, Inadequate (1) to Good (4)."""
    return line_chart([(r["code"], r["value"]) for r in ratings], 1, 4, rating=True)


def percent(value: float | Decimal | None) -> int | None:
    return None if value is None else round(float(value) * 100)
