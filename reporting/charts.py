"""Geometry for the inline SVG charts. Every chart is drawn beside a table of the
same numbers (the table is what screen readers and no-CSS users read), so the SVG
is decorative: ``aria-hidden`` with a text summary."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

WIDTH = 640
HEIGHT = 260
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 16, 40


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


def box_plot(benchmarks: Sequence, marker_values: dict | None = None) -> dict:
    """Boxes (min, quartiles, max, mean) for each benchmark in order; ``marker_values``
    maps a benchmark's period to a contract's value to draw as a diamond."""
    if not benchmarks:
        return {}
    marker_values = marker_values or {}
    numbers = [float(b.minimum) for b in benchmarks] + [float(b.maximum) for b in benchmarks]
    numbers += [float(v) for v in marker_values.values() if v is not None]
    y, low, high = _scale(min(numbers), max(numbers))
    slot = (WIDTH - LEFT - RIGHT) / len(benchmarks)
    width = min(48, slot * 0.6)
    boxes = []
    for index, b in enumerate(benchmarks):
        centre = LEFT + slot * (index + 0.5)
        marker = marker_values.get(b.period)
        boxes.append(
            Box(
                x=round(centre, 1),
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
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "left": LEFT,
        "right": WIDTH - RIGHT,
        "bottom": HEIGHT - BOTTOM,
        "label_y": HEIGHT - BOTTOM + 18,
        "boxes": boxes,
        "ticks": [{"y": y(t), "label": _label(t)} for t in _ticks(low, high)],
    }


def line_chart(points: Sequence[tuple[str, float | None]], low: float, high: float) -> dict:
    """A line through (label, value) points on a fixed scale; gaps where value is None."""
    if not points:
        return {}
    y, _, _ = _scale(low, high)
    slot = (WIDTH - LEFT - RIGHT) / len(points)
    drawn = []
    for index, (label, value) in enumerate(points):
        x = round(LEFT + slot * (index + 0.5), 1)
        drawn.append({"x": x, "y": y(value) if value is not None else None, "label": label})
    path = " ".join(
        f"{'M' if i == 0 or drawn[i - 1]['y'] is None else 'L'}{p['x']},{p['y']}"
        for i, p in enumerate(drawn)
        if p["y"] is not None
    )
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "left": LEFT,
        "right": WIDTH - RIGHT,
        "bottom": HEIGHT - BOTTOM,
        "label_y": HEIGHT - BOTTOM + 18,
        "points": drawn,
        "path": path,
        "ticks": [{"y": y(t), "label": _label(t)} for t in _ticks(low, high)],
    }


def rating_chart(ratings: Sequence[dict]) -> dict:
    """UK9 ratings over time on a 1 (Inadequate) – 4 (Good) scale."""
    chart = line_chart([(r["code"], r["value"]) for r in ratings], 1, 4)
    if chart:
        y, _, _ = _scale(1, 4)
        chart["ticks"] = [
            {"y": y(4), "label": "Good"},
            {"y": y(3), "label": "Approaching"},
            {"y": y(2), "label": "Requires impr."},
            {"y": y(1), "label": "Inadequate"},
        ]
        chart["left"] = 110
        slot = (WIDTH - 110 - RIGHT) / len(ratings)
        for index, point in enumerate(chart["points"]):
            point["x"] = round(110 + slot * (index + 0.5), 1)
        chart["path"] = " ".join(
            f"{'M' if i == 0 else 'L'}{p['x']},{p['y']}" for i, p in enumerate(chart["points"])
        )
    return chart


def percent(value: float | Decimal | None) -> int | None:
    return None if value is None else round(float(value) * 100)
