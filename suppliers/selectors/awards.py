"""Public contract data for the API and the exports: the award list, and each supplier's
public-record status and contract totals as columns of a supplier query.

Totals follow the profile's rules (``profiles.public_contracts_for``): every award counts;
values add up in pounds only; an award's date is its award date, else its notice's
publication date.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import DateTimeField, DecimalField, F, IntegerField, Prefetch, QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce

from suppliers.models import AwardRecord, AwardSupplier, Supplier
from suppliers.selectors.profiles import TOTAL_CURRENCY

_LINKS = AwardSupplier._meta.db_table
_AWARDS = AwardRecord._meta.db_table
_SUPPLIERS = Supplier._meta.db_table


def _per_supplier(select: str, output_field) -> RawSQL:
    """A correlated subquery over the supplier's awards, as constant SQL (PostgreSQL runs it
    for the rows returned only, after any LIMIT)."""
    return RawSQL(
        f"(SELECT {select} FROM {_LINKS} l JOIN {_AWARDS} a ON a.id = l.award_id "
        f"WHERE l.supplier_id = {_SUPPLIERS}.id)",
        [],
        output_field=output_field,
    )


def with_award_totals(queryset: QuerySet) -> QuerySet:
    """``queryset`` (of suppliers, models or ``values()`` rows) with ``public_contract_count``,
    ``public_contract_total`` (pounds; None when no award published a value in pounds) and
    ``latest_award_date``. The queryset must select from the supplier table under its own
    name (true of every supplier queryset in this app). On a ``values()`` queryset the
    rows also get ``is_public_record`` (``from_public_records``)."""
    currency = TOTAL_CURRENCY.replace("'", "")
    if queryset._fields is not None:  # values(): add the status, under another name
        queryset = queryset.annotate(is_public_record=F("from_public_records"))
    return queryset.annotate(
        public_contract_count=_per_supplier("count(*)", IntegerField()),
        public_contract_total=_per_supplier(
            f"sum(a.value_amount) FILTER (WHERE a.currency = '{currency}')",
            DecimalField(max_digits=20, decimal_places=2),
        ),
        latest_award_date=_per_supplier(
            "max(coalesce(a.award_date, a.date_published))", DateTimeField()
        ),
    )


def award_list(
    *,
    supplier: str | None = None,
    buyer: str | None = None,
    awarded_from: dt.date | None = None,
    awarded_to: dt.date | None = None,
    ocid: str | None = None,
) -> QuerySet[AwardRecord]:
    """Awards from public contract data, most recently awarded first (``awarded_on``: the
    award date, else the notice's publication, else when Techmap loaded it), each with its
    buyer and its suppliers (two queries a page). Filters: a supplier's slug (published
    suppliers only), a public body's slug, award dates (inclusive, by ``awarded_on``),
    an ocid."""
    links = AwardSupplier.objects.select_related("supplier").only(
        "award_id",
        "party_id",
        "name_as_published",
        "supplier__slug",
        "supplier__name",
        "supplier__status",
        "supplier__from_public_records",
    )
    queryset = (
        AwardRecord.objects.select_related("buyer")
        .annotate(awarded_on=Coalesce(F("award_date"), F("date_published"), F("created_at")))
        .prefetch_related(Prefetch("award_suppliers", queryset=links.order_by("pk")))
        .order_by("-awarded_on")
    )
    if supplier:
        queryset = queryset.filter(
            award_suppliers__supplier__slug=supplier,
            award_suppliers__supplier__status=Supplier.Status.PUBLISHED,
        )
    if buyer:
        queryset = queryset.filter(buyer__slug=buyer)
    if awarded_from:
        queryset = queryset.filter(awarded_on__date__gte=awarded_from)
    if awarded_to:
        queryset = queryset.filter(awarded_on__date__lte=awarded_to)
    if ocid:
        queryset = queryset.filter(ocid=ocid)
    return queryset
