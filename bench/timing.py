"""Timing and reporting helpers shared by the bench scenarios."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from typing import Any


def measure(
    fn: Callable[[], Any], *, runs: int, warmup: int = 2, digits: int = 1
) -> dict[str, float]:
    """Call ``fn`` ``warmup`` times untimed, then ``runs`` times; milliseconds per call
    (rounded to ``digits`` decimals)."""
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return summarise(samples, digits=digits)


def measure_alternating(
    fns: dict[str, Callable[[], Any]], *, runs: int, warmup: int = 2
) -> dict[str, dict[str, float]]:
    """Like :func:`measure` for several functions called in turn, one run of each per
    round, so that they are compared under the same machine load."""
    for _ in range(warmup):
        for fn in fns.values():
            fn()
    samples: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(runs):
        for name, fn in fns.items():
            started = time.perf_counter()
            fn()
            samples[name].append((time.perf_counter() - started) * 1000)
    return {name: summarise(values) for name, values in samples.items()}


def summarise(samples: Sequence[float], *, digits: int = 1) -> dict[str, float]:
    ordered = sorted(samples)
    if len(ordered) >= 2:
        cuts = statistics.quantiles(ordered, n=100, method="inclusive")
        p50, p95 = cuts[49], cuts[94]
    else:
        p50 = p95 = ordered[0]
    return {
        "runs": len(ordered),
        "p50_ms": round(p50, digits),
        "p95_ms": round(p95, digits),
        "mean_ms": round(statistics.fmean(ordered), digits),
        "min_ms": round(ordered[0], digits),
        "max_ms": round(ordered[-1], digits),
    }


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A plain-text table with right-aligned numbers."""
    cells = [[str(h) for h in headers]] + [[_fmt(v) for v in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]

    def line(row: Sequence[str]) -> str:
        return "  ".join(
            value.rjust(width) if _numeric(value) else value.ljust(width)
            for value, width in zip(row, widths, strict=True)
        )

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(cells[0]), rule, *(line(row) for row in cells[1:])])


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.1f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def _numeric(value: str) -> bool:
    return value.replace(",", "").replace(".", "", 1).replace("-", "", 1).isdigit()
