"""The search stays on its indexes: EXPLAIN every statement a search runs.

Four thousand suppliers are inserted with set-based SQL (no per-row Python), their
vectors written by the production service, and the tables ANALYZEd so the planner
chooses honestly (nothing like ``enable_seqscan = off``). A search with words must
never read the whole supplier table, and never build a vector on the fly
(``to_tsvector(COALESCE(…``, which is what ``SearchVector("field")`` would produce).
"""

from __future__ import annotations

import re

import pytest
from django.contrib.postgres.fields import ArrayField
from django.db import connection
from django.db.models import BooleanField
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext

from suppliers.filters import SupplierFilterSet
from suppliers.models import Supplier
from suppliers.services import refresh_search_vectors
from tests.suppliers.test_selectors import make_supplier

ROWS = 4000
SEQ_SCAN_ON_SUPPLIERS = re.compile(r"Seq Scan on suppliers_supplier(?![_\w])")


@pytest.fixture
def big_register(db):
    columns = {
        "name": "'Bulk ' || md5(g::text)",
        "slug": "'bulk-' || g",
        "companies_house_number": "lpad((50000000 + g)::text, 8, '0')",
        "summary": "'We deliver ' || md5((g * 3)::text) || ' for councils'",
        # As wide as real profiles (about 450 characters of distinct words), so the
        # planner weighs reading the table as it would in production.
        "description": """'Description ' || regexp_replace(
            md5(g::text) || md5((g + 1)::text) || md5((g + 2)::text)
            || md5((g + 3)::text) || md5((g + 4)::text) || md5((g + 5)::text)
            || md5((g + 6)::text) || md5((g + 7)::text) || md5((g + 8)::text)
            || md5((g + 9)::text) || md5((g + 10)::text) || md5((g + 11)::text),
            '(.{6})', '\\1 ', 'g'
        ) || ' with agile delivery teams.'""",
        "size": "CASE WHEN g %% 9 = 0 THEN 'large' ELSE 'small' END",
        "employees": "20",
        "year_founded": "2010",
        "status": "CASE WHEN g %% 17 = 0 THEN 'draft' ELSE 'published' END",
        "created_at": "now()",
        "updated_at": "now()",
        "published_at": "now()",
    }
    # Any other column: empty text, an empty array, or NULL (so the test follows the
    # model as it grows). The id arrays are written from the links below.
    for field in Supplier._meta.concrete_fields:
        if field.column not in columns and not field.primary_key:
            empty = "'{}'" if isinstance(field, ArrayField) else "''"
            if isinstance(field, BooleanField):
                empty = "false"
            columns[field.column] = "NULL" if field.null else empty
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO suppliers_supplier ({', '.join(columns)}) "
            f"SELECT {', '.join(columns.values())} FROM generate_series(1, %s) AS g",
            [ROWS],
        )
        for table, column, other, modulo in (
            ("suppliers_supplier_capabilities", "capability_id", "suppliers_capability", 13),
            ("suppliers_supplier_regions", "region_id", "suppliers_region", 4),
            ("suppliers_supplier_certifications", "certification_id", "suppliers_certification", 5),
            ("suppliers_supplier_frameworks", "framework_id", "suppliers_framework", 4),
        ):
            cursor.execute(
                f"""
                INSERT INTO {table} (supplier_id, {column})
                SELECT s.id, o.id FROM suppliers_supplier s JOIN {other} o
                  ON (s.id + o.id) % {modulo} = 0
                """
            )
    refresh_search_vectors()
    make_supplier(
        "Kestrel Ledger Systems",
        summary="Zephyrine ledgers for finance teams.",
        regions=["london"],
        capabilities=["machine-learning"],
        certifications=["iso-27001"],
    )
    make_supplier("Zephyrine Works", summary="Zephyrine dashboards.", regions=["wales"])
    with connection.cursor() as cursor:
        # What autovacuum does after a bulk load (VACUUM cannot run inside the test's
        # transaction): merge the GIN indexes' pending lists, whose size the planner
        # counts against a GIN scan, and refresh the statistics.
        for index in (
            "supplier_search_vector_gin",
            "supplier_name_trgm_gin",
            "supplier_region_ids_gin",
            "supplier_capability_ids_gin",
            "supplier_certification_ids_gin",
            "supplier_framework_ids_gin",
        ):
            cursor.execute("SELECT gin_clean_pending_list(%s::regclass)", [index])
        cursor.execute(
            "ANALYZE suppliers_supplier, suppliers_supplier_capabilities, "
            "suppliers_supplier_regions, suppliers_supplier_certifications, "
            "suppliers_supplier_frameworks"
        )


SEARCHES = [
    "q=zephyrine",
    "q=zephyrine&region=london&ordering=name",
    "q=Kestral+Ledger",  # a misspelt name (corrected from the vocabulary)
    "q=machin+lerning&sme=true",  # a misspelt capability
    'q="zephyrine+ledgers"+-dashboards&certification=iso-27001&ordering=updated',
    "q=kestrel+or+zephyrine&page=1",
]


@pytest.mark.parametrize("query", SEARCHES)
def test_searches_with_words_use_the_indexes(big_register, query):
    filterset = SupplierFilterSet(QueryDict(query))
    found = filterset.search
    with CaptureQueriesContext(connection) as captured:
        page = found.page(1)
        found.facets()
    assert page.count >= 1
    statements = [q["sql"] for q in captured.captured_queries]
    touching = [sql for sql in statements if "suppliers_supplier" in sql]
    assert touching
    for sql in statements:
        assert "to_tsvector(COALESCE(" not in sql
        assert not re.search(r"ts_rank\(\s*to_tsvector", sql)
    if found.params.effective_ordering == "relevance":
        # Ranked on the stored column: ts_rank(<weights>, <table alias>."search_vector", …).
        ranks = [sql for sql in touching if "ts_rank(" in sql]
        assert ranks
        stored = r'ts_rank\((\S+::float4\[\],\s*)?"?\w+"?\."search_vector"'
        assert all(re.search(stored, sql) for sql in ranks)
    with connection.cursor() as cursor:
        for sql in touching:
            cursor.execute("EXPLAIN " + sql)
            plan = "\n".join(row[0] for row in cursor.fetchall())
            assert not SEQ_SCAN_ON_SUPPLIERS.search(plan), f"{sql}\n\n{plan}"


def test_ranking_and_the_limit_come_before_headlines(big_register):
    found = SupplierFilterSet(QueryDict("q=zephyrine+or+agile")).search
    with CaptureQueriesContext(connection) as captured:
        page = found.page(2)
    statements = [q["sql"] for q in captured.captured_queries if "suppliers_supplier" in q["sql"]]
    scan, rows = statements[0], statements[-1]
    # The scan ranks the matches on the stored vector and cuts the page…
    assert "ts_rank(" in scan and "LIMIT 20" in scan and "OFFSET" in scan
    assert "ts_headline(" not in scan
    # … and only then are headlines built, for those 20 rows by primary key.
    assert "ts_headline(" in rows and "ts_rank(" not in rows
    pks = re.search(r'"suppliers_supplier"\."id" IN \(([^)]*)\)', rows).group(1).split(",")
    assert len(pks) == len(page.results) == 20
