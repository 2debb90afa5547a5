"""Writing a batch's rows with PostgreSQL's COPY.

``bulk_create`` and ``bulk_update`` build one statement with a placeholder per value
(``bulk_update`` a ``CASE`` per column), which Django compiles and psycopg then parses
and fills in: for a batch of awards (twenty columns, hundreds of rows) that costs more
than the database's own work. COPY sends the rows as data. Rows are plain dicts keyed by
column attribute name (``buyer_id``), so no model instance is built either.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

from django.contrib.postgres.fields import ArrayField
from django.db import connection, models
from django.db.models import F, Lookup, Value
from django.utils import timezone

_temp_names = itertools.count(1)


def _fields(model: type[models.Model]) -> list[models.Field]:
    return [f for f in model._meta.concrete_fields if not f.primary_key]


def _copy(cursor: Any, table: str, columns: list[str], rows: Any) -> None:
    quote = connection.ops.quote_name
    sql = f"COPY {quote(table)} ({', '.join(quote(c) for c in columns)}) FROM STDIN"
    # The raw cursor's errors become Django's (IntegrityError, DataError …), as for
    # Django's own statements.
    with connection.wrap_database_errors, cursor.cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row(row)


def copy_insert(model: type[models.Model], rows: Sequence[dict[str, Any]]) -> None:
    """Insert ``rows`` (dicts by attribute name) into ``model``'s table and set each one's
    ``"id"``. A field a row leaves out takes its default; ``auto_now`` and ``auto_now_add``
    fields are set to now, as ``bulk_create`` does. No signals. Runs in the caller's
    transaction."""
    if not rows:
        return
    meta = model._meta
    fields = _fields(model)
    now = timezone.now()
    defaults = {
        f.attname: now
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
        else f.get_default()
        for f in fields
    }
    stamped = [name for name, value in defaults.items() if value is now]
    attnames = [f.attname for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, meta.pk.column, len(rows)],
        )
        for row, (new_id,) in zip(rows, cursor.fetchall(), strict=True):
            row[meta.pk.attname] = new_id
            for name in stamped:
                row[name] = now
        _copy(
            cursor,
            meta.db_table,
            [meta.pk.column, *(f.column for f in fields)],
            (
                [row[meta.pk.attname], *(row.get(name, defaults[name]) for name in attnames)]
                for row in rows
            ),
        )


def copy_update(
    model: type[models.Model], rows: Sequence[dict[str, Any]], names: list[str]
) -> None:
    """Set the columns ``names`` (attribute names) of the rows whose ``"id"`` is given to
    the rows' values: COPY into a temporary table, then one UPDATE … FROM."""
    if not rows:
        return
    meta = model._meta
    quote = connection.ops.quote_name
    by_name = {f.attname: f for f in _fields(model)}
    columns = [by_name[name].column for name in names]
    pk = meta.pk.column
    temp = f"_copy_update_{next(_temp_names)}"
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMPORARY TABLE {temp} AS SELECT {quote(pk)}, "
            f"{', '.join(quote(c) for c in columns)} FROM {quote(meta.db_table)} WITH NO DATA"
        )
        _copy(
            cursor,
            temp,
            [pk, *columns],
            ([row[meta.pk.attname], *(row[name] for name in names)] for row in rows),
        )
        assignments = ", ".join(f"{quote(c)} = s.{quote(c)}" for c in columns)
        cursor.execute(
            f"UPDATE {quote(meta.db_table)} AS t SET {assignments} FROM {temp} AS s "
            f"WHERE t.{quote(pk)} = s.{quote(pk)}"
        )
        # (On an error the transaction, and so the table, is rolled back.)
        cursor.execute(f"DROP TABLE {temp}")


class _AnyOf(Lookup):
    lookup_name = "any_of"  # used as an expression, not registered

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} = ANY({rhs})", [*lhs_params, *rhs_params]


def any_of(model: type[models.Model], name: str, values: Any) -> Lookup:
    """``.filter()`` on ``name = ANY(%s)``: the same rows as ``name__in=values``, with
    one array parameter in place of one placeholder per value, which Django compiles
    and psycopg parses one by one (for a batch's thousand keys, more than the look-up
    costs the database)."""
    field = model._meta.get_field(name)
    base = field.target_field if field.is_relation else field
    return _AnyOf(F(name), Value(list(values), output_field=ArrayField(base)))
