"""Search index upkeep: each supplier's weighted search vector and its facet id arrays.

Every write that changes what a supplier shows calls ``refresh_search_vectors`` in its
transaction; the CSV import writes the same SQL while inserting."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection

from core.search import VOCABULARY_WORD_SQL
from suppliers import registry_version
from suppliers.models import (
    Capability,
    CapabilityGroup,
    CaseStudy,
    SearchWord,
    Supplier,
)
from suppliers.services._common import LINK_ID_FIELDS, SUPPLIER_M2M_FIELDS

# The name is indexed with the 'simple' configuration too (unstemmed, stop words
# kept), so a search with websearch_to_tsquery('simple', q) finds names made of
# English stop words ("Tay IT", "The Works"). Measured on 100,000 generated
# suppliers: searching a name that ends in "IT" ranked that supplier strictly
# first in 20 of 20 names with the query english||simple, against 3 of 20 with
# the English query alone (the rest tie with every "Tay …" supplier). For
# ordinary names both rank the exact supplier first (40 of 40).
SEARCH_NAME_SIMPLE_CONFIG = True

# --- Search vector -----------------------------------------------------------


def capability_text_sql(capability: str, group: str) -> str:
    """What one capability adds to the vector of each supplier offering it: its name, its
    group's name and its synonyms ("also known as"), from the aliases of the
    capability and group tables. So "pen testing" and "cyber" find the suppliers that
    offer penetration testing."""
    return (
        f"concat_ws(' ', {capability}.name, {group}.name, "
        f"array_to_string({capability}.synonyms, ' '))"
    )


def capability_texts() -> dict[int, str]:
    """Each capability's searchable text (see ``capability_text_sql``), by id: for the
    CSV import, which writes vectors while inserting."""
    sql = (
        f"SELECT c.id, {capability_text_sql('c', 'g')} FROM {Capability._meta.db_table} c "
        f"JOIN {CapabilityGroup._meta.db_table} g ON g.id = c.group_id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return dict(cursor.fetchall())


def search_vector_sql(
    *, name: str, summary: str, capabilities: str, description: str, case_studies: str
) -> str:
    """The SQL expression of a supplier's weighted search vector, from SQL text expressions.

    The one place the weights are defined: ``refresh_search_vectors`` and the
    CSV import (which writes the vector while inserting) both use it.
    """
    name_simple = (
        f"setweight(to_tsvector('simple', {name}), 'A') || " if SEARCH_NAME_SIMPLE_CONFIG else ""
    )
    return (
        f"{name_simple}setweight(to_tsvector('english', {name}), 'A')"
        f" || setweight(to_tsvector('english', {summary}), 'B')"
        f" || setweight(to_tsvector('english', {capabilities}), 'B')"
        f" || setweight(to_tsvector('english', {description}), 'C')"
        f" || setweight(to_tsvector('english', {case_studies}), 'C')"
    )


def link_ids_sql(supplier_id: str) -> dict[str, str]:
    """The SQL of each facet id array (``Supplier.region_ids`` …): column → ``ARRAY(…)``
    of the link table's ids for the supplier whose id is the SQL ``supplier_id``."""
    arrays = {}
    for name in SUPPLIER_M2M_FIELDS:
        field = Supplier._meta.get_field(name)
        table = field.remote_field.through._meta.db_table
        column = field.m2m_reverse_name()
        arrays[LINK_ID_FIELDS[name]] = (
            f"ARRAY(SELECT {column} FROM {table} WHERE supplier_id = {supplier_id} ORDER BY 1)"
        )
    return arrays


def search_vector_update_sql(*, target: str, source: str = "s", assignments: str = "") -> str:
    """An UPDATE of ``search_vector`` and the facet id arrays (``region_ids`` …) for the
    suppliers whose ids the ``target`` query gives.

    ``target`` is SQL selecting an ``id`` column (and any columns ``assignments``
    use as ``target.<column>``). ``source`` is the alias the name, summary and
    description are read from: "s" (the row as stored) or "target" (new values
    set in the same statement by ``assignments``, as the CSV import does, so a
    changed row is rewritten once, not twice).
    """
    sup = Supplier._meta.db_table
    cap_through = Supplier.capabilities.through._meta.db_table
    cap = Capability._meta.db_table
    group = CapabilityGroup._meta.db_table
    case = CaseStudy._meta.db_table
    vector = search_vector_sql(
        name=f"{source}.name",
        summary=f"{source}.summary",
        capabilities="coalesce(caps.text, '')",
        description=f"{source}.description",
        case_studies="coalesce(cases.text, '')",
    )
    # Capabilities and case studies are aggregated per supplier in LATERAL subqueries:
    # one statement, no per-row Python. LATERAL (not a grouped CTE joined by
    # "IN (SELECT id FROM target)") because the planner cannot estimate a batch
    # of ids and then scans the whole link table for each 2,000-row batch;
    # LATERAL makes it an index lookup per supplier, cheap for one or 100,000.
    arrays = "".join(f", {column} = {array}" for column, array in link_ids_sql("target.id").items())
    return f"""
        WITH target AS ({target})
        UPDATE {sup} AS s SET {assignments + ", " if assignments else ""}search_vector = {vector}
            {arrays}
        FROM target
        LEFT JOIN LATERAL (
            SELECT string_agg({capability_text_sql("c", "g")}, ' ' ORDER BY c.id) AS text
            FROM {cap} c JOIN {group} g ON g.id = c.group_id
            WHERE c.id = ANY(ARRAY(
                SELECT sc.capability_id FROM {cap_through} sc WHERE sc.supplier_id = target.id
            ))
        ) AS caps ON true
        LEFT JOIN LATERAL (
            SELECT string_agg(
                       concat_ws(' ', cs.title, cs.client_name, cs.summary, cs.outcome),
                       ' ' ORDER BY cs.id
                   ) AS text
            FROM {case} cs
            WHERE cs.supplier_id = target.id
        ) AS cases ON true
        WHERE s.id = target.id
    """


def refresh_search_vectors(*, supplier_ids: Iterable[int] | None = None) -> None:
    """Rewrite ``Supplier.search_vector`` and the facet id arrays (``region_ids``,
    ``capability_ids``, ``certification_ids``, ``framework_ids``: copies of the link
    tables) for the given suppliers (all when None). Every write that changes a
    supplier's text, sets or case studies calls it in the same transaction.

    One set-based UPDATE. Weights: name 'A' (configs 'english' and 'simple');
    summary and capabilities (names, groups, synonyms) 'B'; description and case
    studies (title, client name, summary, outcome) 'C'; all 'english'. Safe to run
    any number of times: it only derives the column from the rows as they are. The
    vocabulary of spelling correction follows (``refresh_vocabulary``).
    """
    # Every write that changes what a supplier shows comes through here: caches of the
    # register (the API's pages) let go when this transaction commits.
    registry_version.changed()
    table = Supplier._meta.db_table
    with connection.cursor() as cursor:
        if supplier_ids is None:
            cursor.execute(search_vector_update_sql(target=f"SELECT id FROM {table}"))
            refresh_vocabulary(supplier_ids=None)
            return
        ids = sorted({int(pk) for pk in supplier_ids})
        if ids:
            cursor.execute(
                search_vector_update_sql(target=f"SELECT id FROM {table} WHERE id = ANY(%s)"),
                [ids],
            )
            refresh_vocabulary(supplier_ids=ids)


# --- Vocabulary (spelling correction) ------------------------------------------------


def refresh_vocabulary(*, supplier_ids: Iterable[int] | None = None) -> None:
    """Add the words of these published suppliers (all when None, which first empties the
    vocabulary, so words no longer used leave it) to ``SearchWord``: names, summaries,
    descriptions, case studies and the text of their capabilities. Called wherever a
    search vector is written (``refresh_search_vectors``, the CSV import), in the same
    transaction. Words are only added on a single supplier's change: a word left behind
    costs a correction that finds less, never a wrong result; a full refresh drops it.
    """
    sup = Supplier._meta.db_table
    case = CaseStudy._meta.db_table
    cap = Capability._meta.db_table
    group = CapabilityGroup._meta.db_table
    through = Supplier.capabilities.through._meta.db_table
    published = Supplier.Status.PUBLISHED.value
    if supplier_ids is None:
        chosen, params = f"SELECT id FROM {sup} WHERE status = %s", [published]
    else:
        ids = sorted({int(pk) for pk in supplier_ids})
        if not ids:
            return
        chosen = f"SELECT id FROM {sup} WHERE id = ANY(%s) AND status = %s"
        params = [ids, published]

    def words(text: str) -> str:
        return f"unnest(tsvector_to_array(to_tsvector('simple', {text})))"

    sql = f"""
        WITH chosen AS MATERIALIZED ({chosen})
        INSERT INTO {SearchWord._meta.db_table} AS v (word, lexeme, in_name)
        SELECT w, coalesce((ts_lexize('english_stem', w))[1], w), bool_or(in_name) FROM (
            SELECT {words("s.name")} AS w, true AS in_name
            FROM {sup} s JOIN chosen ON chosen.id = s.id
            UNION ALL
            SELECT {words("concat_ws(' ', s.summary, s.description)")}, false
            FROM {sup} s JOIN chosen ON chosen.id = s.id
            UNION ALL
            SELECT {words("concat_ws(' ', cs.title, cs.client_name, cs.summary, cs.outcome)")},
                false
            FROM {case} cs JOIN chosen ON chosen.id = cs.supplier_id
            UNION ALL
            SELECT {words(capability_text_sql("c", "g"))}, false
            FROM {cap} c JOIN {group} g ON g.id = c.group_id
            WHERE c.id IN (SELECT capability_id FROM {through} JOIN chosen
                           ON chosen.id = supplier_id)
        ) AS found(w, in_name)
        WHERE {VOCABULARY_WORD_SQL}
        GROUP BY w
        ORDER BY 1
        ON CONFLICT (word) DO UPDATE SET in_name = true
            WHERE excluded.in_name AND NOT v.in_name
    """
    with connection.cursor() as cursor:
        if supplier_ids is None:
            cursor.execute(f"DELETE FROM {SearchWord._meta.db_table}")
        cursor.execute(sql, params)
