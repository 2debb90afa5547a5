"""CPV codes to capabilities, so suppliers from public records are found by capability.

A supplier from public records has no capabilities of its own: nobody from the
organisation said what it does. Its awards' CPV codes (main and additional) say it, and
moderators keep the table from CPV codes to capabilities (:class:`CpvCapability`, in
admin). For each code the longest matching prefix wins (``72222300`` is matched by a
``7222`` row before a ``72`` row); every capability on that prefix applies.

:func:`link_cpv_capabilities` makes a supplier from public records hold exactly the
capabilities its awards map to (the link table, so ``capability_ids``, the facets and
the search vector follow once ``refresh_search_vectors`` runs). A registered supplier's
capabilities are its own and never touched, including one that claimed its profile.

The OCDS importer calls it for the suppliers of every batch's awards; admin calls
:func:`resync_cpv_capabilities` when the table changes.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection
from django.db.models import CharField, F, OuterRef, Subquery
from django.db.models.functions import Cast, Length
from django.db.models.lookups import StartsWith

from suppliers.models import AwardRecord, AwardSupplier, CpvCapability, Supplier


def _wanted_sql(scoped: bool) -> str:
    """(supplier_id, capability_id) pairs each supplier from public records should hold."""
    link = AwardSupplier._meta.db_table
    award = AwardRecord._meta.db_table
    supplier = Supplier._meta.db_table
    table = CpvCapability._meta.db_table
    scope = "AND l.supplier_id = ANY(%(ids)s)" if scoped else ""
    return f"""
        SELECT DISTINCT supplier_id, capability_id FROM (
            SELECT codes.supplier_id, m.capability_id,
                   RANK() OVER (
                       PARTITION BY codes.supplier_id, codes.code
                       ORDER BY length(m.cpv_prefix) DESC
                   ) AS best
            FROM (
                SELECT DISTINCT l.supplier_id, c.code
                FROM {link} l
                JOIN {award} a ON a.id = l.award_id
                JOIN {supplier} s ON s.id = l.supplier_id AND s.from_public_records
                CROSS JOIN LATERAL unnest(
                    array_prepend(a.cpv_code, a.additional_cpv_codes)
                ) AS c(code)
                WHERE c.code <> '' {scope}
            ) codes
            JOIN {table} m ON codes.code LIKE m.cpv_prefix || '%%'
        ) ranked
        WHERE best = 1
    """


def cpv_capability_group(code: OuterRef) -> Subquery:
    """The capability group a CPV code means, for ``.annotate()``: the group of the
    capability on the longest matching prefix (as :func:`link_cpv_capabilities` picks),
    the first by name when that prefix names several."""
    return Subquery(
        CpvCapability.objects.filter(StartsWith(Cast(code, CharField()), F("cpv_prefix")))
        .order_by(Length("cpv_prefix").desc(), "capability__group__name")
        .values("capability__group_id")[:1]
    )


def link_cpv_capabilities(*, supplier_ids: Iterable[int] | None = None) -> set[int]:
    """Set the capabilities of the suppliers from public records among ``supplier_ids``
    (all of them when None) to those their awards' CPV codes map to.

    One set-based statement (remove and add), in the caller's transaction. Returns the ids
    of the suppliers whose capabilities changed: the caller refreshes their search
    vectors and facet arrays (``suppliers.services.refresh_search_vectors``). Safe to
    run any number of times: a second run changes nothing.
    """
    scoped = supplier_ids is not None
    ids = sorted({int(pk) for pk in supplier_ids}) if scoped else []
    if scoped and not ids:
        return set()
    through = Supplier.capabilities.through._meta.db_table
    supplier = Supplier._meta.db_table
    scope = "AND t.supplier_id = ANY(%(ids)s)" if scoped else ""
    # One statement: the wanted pairs are worked out once for the removal and the addition
    # (both see the same snapshot, and touch different rows).
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH wanted AS ({_wanted_sql(scoped)}),
            removed AS (
                DELETE FROM {through} t
                USING {supplier} s
                WHERE s.id = t.supplier_id AND s.from_public_records {scope}
                  AND NOT EXISTS (
                      SELECT 1 FROM wanted w
                      WHERE w.supplier_id = t.supplier_id AND w.capability_id = t.capability_id
                  )
                RETURNING t.supplier_id
            ),
            added AS (
                INSERT INTO {through} (supplier_id, capability_id)
                SELECT supplier_id, capability_id FROM wanted
                ON CONFLICT DO NOTHING
                RETURNING supplier_id
            )
            SELECT supplier_id FROM removed UNION SELECT supplier_id FROM added
            """,
            {"ids": ids},
        )
        changed = {row[0] for row in cursor.fetchall()}
    return changed


def resync_cpv_capabilities() -> set[int]:
    """After the CPV table changed: every supplier from public records gets the
    capabilities the table now gives, with its search data refreshed. Returns the ids
    changed."""
    from suppliers.services import refresh_search_vectors

    changed = link_cpv_capabilities()
    if changed:
        refresh_search_vectors(supplier_ids=changed)
    return changed
