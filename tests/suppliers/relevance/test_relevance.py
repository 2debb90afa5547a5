"""The relevance set: judged queries over the demo suppliers (``queries.json``, made by
``make_queries.py`` from the suppliers' recorded facts), scored by suppliers.relevance.

Fails when success@3 of any class drops below the committed ``baseline.json``, or below
the targets (known-item and typo classes 95%, capability and synonym classes 90%)."""

from __future__ import annotations

import json
import random
from collections import Counter
from pathlib import Path

import pytest

from suppliers import demo, relevance

HERE = Path(__file__).parent
QUERIES = relevance.load_queries(HERE / "queries.json")
BASELINE = json.loads((HERE / "baseline.json").read_text())
TARGETS = {
    "known-item": 0.95,
    "one-typo": 0.95,
    "two-typo": 0.95,
    "capability": 0.9,
    "synonym": 0.9,
}
CLASSES = {
    "known-item",
    "capability",
    "synonym",
    "one-typo",
    "two-typo",
    "description-word",
    "region-qualified",
}


def test_the_set_is_big_enough_and_covers_every_class():
    assert len(QUERIES) >= 60
    counts = Counter(q["class"] for q in QUERIES)
    assert set(counts) == CLASSES and min(counts.values()) >= 8, counts
    assert set(BASELINE["success@3"]) == CLASSES | {"all"}


def test_success_at_3_holds_the_baseline_and_the_targets(db, capsys):
    # The demo suppliers exactly as `seed_demo` makes them (its default seed and size).
    demo.seed(rng=random.Random(2026), options={"suppliers": 300}, log=lambda message: None)
    results = relevance.evaluate(QUERIES)
    with capsys.disabled():
        print("\n" + relevance.table(results))
    below = {
        kind: (row["success@3"], row["failed"])
        for kind, row in results.items()
        if row["success@3"] < BASELINE["success@3"][kind] or row["success@3"] < TARGETS.get(kind, 0)
    }
    assert not below, below


@pytest.mark.parametrize(
    ("found", "expected"),
    [
        (["a", "x", "y"], (True, 1.0)),  # a known item first
        (["x", "y", "z", "a"], (False, 1 / 2.321928)),  # fourth: log2(5)
        ([], (False, 0.0)),
    ],
)
def test_the_measures(found, expected):
    success, ndcg = relevance.judge({"relevant": ["a"], "need": 1}, found)
    assert (success, round(ndcg, 5)) == (expected[0], round(expected[1], 5))


def test_a_capability_query_needs_three_relevant_in_the_top_three():
    query = {"relevant": ["a", "b", "c", "d"], "need": 3}
    assert relevance.judge(query, ["a", "b", "c"])[0]
    assert not relevance.judge(query, ["a", "x", "b", "c"])[0]
