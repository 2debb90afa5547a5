"""How well the supplier search ranks: success@3 and nDCG@10 over judged queries.

A judged query is ``{"class": ..., "q": ..., "relevant": [supplier names], "need": n}``
(``tests/suppliers/relevance/queries.json`` holds the set over the demo data). A query
succeeds at 3 when its top 3 results hold at least ``min(need, len(relevant))`` relevant
suppliers: one for a known item, three for a capability (so "cyber security" fails when
suppliers without a cyber capability take the top places). nDCG@10 is the usual one with
binary relevance. ``make bench`` and the relevance test print :func:`evaluate`'s table.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections import defaultdict
from pathlib import Path
from typing import Any

from suppliers.selectors.search import SearchParams, SupplierSearch

# The tie-break's day is fixed, so a run's order does not depend on the date.
DAY = dt.date(2026, 1, 1)


def load_queries(path: Path) -> list[dict[str, Any]]:
    return json.loads(Path(path).read_text())


def top_names(q: str, k: int = 10) -> list[str]:
    """The names of the first ``k`` results for ``q``, as the search page orders them."""
    page = SupplierSearch(SearchParams(q=q, day=DAY)).page(1, size=k)
    return [r.supplier.name for r in page.results]


def judge(query: dict[str, Any], found: list[str]) -> tuple[bool, float]:
    """(success@3, nDCG@10) of one judged query given the names found, best first."""
    relevant = set(query["relevant"])
    need = min(query.get("need", 1), len(relevant))
    success = sum(name in relevant for name in found[:3]) >= need
    dcg = sum(1 / math.log2(i + 2) for i, name in enumerate(found[:10]) if name in relevant)
    ideal = sum(1 / math.log2(i + 2) for i in range(min(10, len(relevant))))
    return success, dcg / ideal if ideal else 0.0


def evaluate(queries: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per class (and "all"): queries, success@3, nDCG@10 and the queries that failed."""
    by_class: dict[str, list[tuple[bool, float, str]]] = defaultdict(list)
    for query in queries:
        success, ndcg = judge(query, top_names(query["q"]))
        by_class[query["class"]].append((success, ndcg, query["q"]))
        by_class["all"].append((success, ndcg, query["q"]))
    by_class["all"] = by_class.pop("all")  # last in the table
    return {
        kind: {
            "queries": len(rows),
            "success@3": round(sum(s for s, _, _ in rows) / len(rows), 3),
            "ndcg@10": round(sum(n for _, n, _ in rows) / len(rows), 3),
            "failed": [q for s, _, q in rows if not s],
        }
        for kind, rows in by_class.items()
    }


def table(results: dict[str, dict[str, Any]]) -> str:
    """The per-class figures as a plain-text table."""
    lines = [f"{'class':<18} {'queries':>7} {'success@3':>9} {'nDCG@10':>8}"]
    for kind, row in results.items():
        lines.append(
            f"{kind:<18} {row['queries']:>7} {row['success@3']:>9.3f} {row['ndcg@10']:>8.3f}"
        )
    return "\n".join(lines)
