"""Possible duplicates of a supplier: similar names or the same website domain."""

from __future__ import annotations

from django.db import connection

from suppliers.models import Supplier, website_domain_expression

# Names at least this similar (pg_trgm similarity of UPPER(name)) are flagged.
DUPLICATE_NAME_SIMILARITY = 0.5


def possible_duplicates(supplier_ids: list[int]) -> dict[int, list[dict]]:
    """For each supplier, the others with a similar name or the same website domain.

    One query for a whole page: the name test uses the trigram index on UPPER(name)
    (``%`` with ``pg_trgm.similarity_threshold``) and the domain test the expression
    index ``supplier_website_domain_idx``.
    """
    if not supplier_ids:
        return {}
    table = Supplier._meta.db_table
    compiler = Supplier.objects.all().query.get_compiler(connection=connection)
    domain_sql, domain_params = (
        website_domain_expression()
        .resolve_expression(Supplier.objects.all().query)
        .as_sql(compiler, connection)
    )
    # The expression names the table; alias it for each side of the self-join.
    quoted = connection.ops.quote_name(table)
    domain_a = domain_sql.replace(f"{quoted}.", "a.")
    domain_b = domain_sql.replace(f"{quoted}.", "b.")
    sql = f"""
        SELECT a.id, b.id, b.name, b.slug, b.status,
               similarity(UPPER(a.name), UPPER(b.name)) AS name_similarity,
               ({domain_a}) <> '' AND ({domain_a}) = ({domain_b}) AS same_domain,
               ({domain_b}) AS domain
        FROM {table} a
        JOIN {table} b ON b.id <> a.id AND (
            UPPER(a.name) %% UPPER(b.name) OR (({domain_a}) <> '' AND ({domain_a}) = ({domain_b}))
        )
        WHERE a.id = ANY(%s)
        ORDER BY a.id, name_similarity DESC, b.id
    """
    params = [*domain_params, *domain_params, *domain_params, *domain_params]
    params += [*domain_params, *domain_params, *domain_params, supplier_ids]
    found: dict[int, list[dict]] = {pk: [] for pk in supplier_ids}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('pg_trgm.similarity_threshold', %s, true)",
            [str(DUPLICATE_NAME_SIMILARITY)],
        )
        cursor.execute(sql, params)
        for a_id, b_id, name, slug, status, sim, same_domain, domain in cursor.fetchall():
            reasons = []
            if sim is not None and sim >= DUPLICATE_NAME_SIMILARITY:
                reasons.append(f"similar name ({sim:.0%})")
            if same_domain:
                reasons.append(f"same website domain ({domain})")
            if reasons:
                found[a_id].append(
                    {
                        "pk": b_id,
                        "name": name,
                        "slug": slug,
                        "status": status,
                        "status_label": Supplier.Status(status).label,
                        "why": reasons,
                    }
                )
    return found
