"""The tantivy reference run: the same suppliers and searches in a Lucene-class engine.

Part of the supplier search benchmark (:mod:`bench.suppliers` calls :func:`compare`), not
a scenario of its own. It reads the published suppliers back from the bench database
(the text the stored search vector is built from: name, summary and capability names,
description and case studies; and the region and capability ids), indexes them in an
in-memory tantivy index with an English analyser (lower case, English stop words, the
English Snowball stemmer, like PostgreSQL's ``english`` configuration), and times, for
each chosen search, what Techmap's selector is timed doing: the top 20 with the count,
plus two facets (regions and capabilities, terms aggregations over multi-valued fast
fields). Words are AND-ed across fields (as ``websearch_to_tsquery``); name and
summary are boosted like the vector's A and B weights. Match counts are printed beside
Techmap's: the analysers differ a little, so they are close, not equal.

``tantivy`` is a bench-only dependency (the ``bench`` extra in pyproject.toml, which
``make bench`` installs); without it the comparison is skipped with a notice.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import parse_qs

from bench.timing import measure

PAGE = 20
FIELDS = ("name", "summary", "capabilities", "description", "case_studies")
BOOSTS = {"name": 4.0, "summary": 2.0, "capabilities": 2.0}
FACETS = {
    "region": {"terms": {"field": "region", "size": 100}},
    "capability": {"terms": {"field": "capability", "size": 200}},
}

_ROWS_SQL = """
    SELECT s.id, s.name, s.summary, s.description,
           coalesce((SELECT string_agg(c.name, ' ') FROM suppliers_capability c
                     WHERE c.id = ANY(s.capability_ids)), ''),
           coalesce((SELECT string_agg(concat_ws(' ', cs.title, cs.client_name, cs.summary,
                                                 cs.outcome), ' ')
                     FROM suppliers_casestudy cs WHERE cs.supplier_id = s.id), ''),
           s.region_ids, s.capability_ids
    FROM suppliers_supplier s
    WHERE s.status = 'published'
"""


def build_index(log=print):
    """An in-memory tantivy index of the bench database's published suppliers."""
    import tantivy
    from django.db import connection

    analyser = (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.stopword("english"))
        .filter(tantivy.Filter.stemmer("english"))
        .build()
    )
    builder = tantivy.SchemaBuilder()
    builder.add_unsigned_field("id", stored=True, fast=True)
    for name in FIELDS:
        builder.add_text_field(name, tokenizer_name="en_bench")
    builder.add_unsigned_field("region", fast=True)
    builder.add_unsigned_field("capability", fast=True)
    index = tantivy.Index(builder.build())
    index.register_tokenizer("en_bench", analyser)
    started = time.monotonic()
    writer = index.writer(heap_size=200_000_000, num_threads=1)
    n = 0
    with connection.cursor() as cursor:
        cursor.execute(_ROWS_SQL)
        while rows := cursor.fetchmany(5000):
            for pk, name, summary, description, caps, cases, regions, capabilities in rows:
                doc = tantivy.Document()
                doc.add_unsigned("id", pk)
                doc.add_text("name", name)
                doc.add_text("summary", summary)
                doc.add_text("capabilities", caps)
                doc.add_text("description", description)
                doc.add_text("case_studies", cases)
                for region in regions or ():
                    doc.add_unsigned("region", region)
                for capability in capabilities or ():
                    doc.add_unsigned("capability", capability)
                writer.add_document(doc)
                n += 1
    writer.commit()
    writer.wait_merging_threads()
    index.reload()
    seconds = time.monotonic() - started
    log(f"tantivy: indexed {n:,} suppliers in {seconds:.1f} s")
    return index, {"documents": n, "index_seconds": round(seconds, 1)}


def search_words(query: str) -> str | None:
    """The words of a bench search, or None when it has filters (not compared)."""
    params = parse_qs(query)
    if set(params) != {"q"}:
        return None
    return params["q"][0]


def compare(chosen: dict[str, tuple[str, int]], results: dict[str, Any], runs: int, log=print):
    """Time tantivy on the chosen word-only searches; rows of (class, Techmap's selector
    p50 and p95, tantivy's, the ratio of the p50s) and the figures for the results file."""
    try:
        import tantivy
    except ImportError:
        log("tantivy is not installed (pip install -e '.[bench]'): reference run skipped")
        return [], {"skipped": "tantivy not installed"}
    index, info = build_index(log)
    searcher = index.searcher()
    rows, figures = [], {**info, "searches": {}}
    for label, (query, _) in chosen.items():
        words = search_words(query)
        if words is None:
            continue

        def run_one(words=words) -> tuple[int, dict]:
            parsed = index.parse_query(
                words, list(FIELDS), field_boosts=BOOSTS, conjunction_by_default=True
            )
            found = searcher.search(parsed, PAGE, count=True)
            ids = [searcher.doc(address)["id"][0] for _, address in found.hits]
            facets = searcher.aggregate(parsed, FACETS)
            return found.count, {"ids": ids, "facets": facets}

        count, _ = run_one()
        timing = measure(run_one, runs=max(runs, 50), warmup=5, digits=3)
        techmap = results[label]["selector"]
        ratio = techmap["p50_ms"] / timing["p50_ms"] if timing["p50_ms"] else float("inf")
        figures["searches"][label] = {"query": words, "matches": count, **timing}
        rows.append(
            [
                label,
                words,
                results[label]["matches"],
                count,
                techmap["p50_ms"],
                techmap["p95_ms"],
                f"{timing['p50_ms']:.2f}",
                f"{timing['p95_ms']:.2f}",
                f"{ratio:.0f}",
            ]
        )
    figures["tantivy_version"] = getattr(tantivy, "__version__", "")
    return rows, figures


HEADERS = [
    "search",
    "words",
    "Techmap matches",
    "tantivy matches",
    "sel p50",
    "sel p95",
    "tantivy p50",
    "tantivy p95",
    "sel/tantivy",
]
