"""What the supplier services share: slugs, history rows and the small checks every write
makes. The field lists they take are ``suppliers.profile_fields``'s (re-exported here)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone
from django.utils.text import slugify

from core.errors import DomainError
from suppliers import companies_house
from suppliers.companies_house import normalise_company_number, parse_company_number
from suppliers.models import (
    Capability,
    CapabilityGroup,
    Certification,
    Framework,
    Supplier,
)
from suppliers.profile_fields import (  # noqa: F401 (re-exported: the services' field lists)
    CASE_STUDY_FIELDS,
    LINK_ID_FIELDS,
    M2M_MODELS,
    PROFILE_FIELDS,
    SUPPLIER_FIELDS,
    SUPPLIER_M2M_FIELDS,
)

ReferenceItem = CapabilityGroup | Capability | Certification | Framework

# Slugs are cut so a "-NNN" suffix still fits in Supplier.slug (max_length 220).
SLUG_BASE_MAX_LENGTH = 200


def _history_user(actor):
    return actor if actor is not None and getattr(actor, "is_authenticated", False) else None


def _id(value) -> int:
    return value if isinstance(value, int) else value.pk


# --- A Companies House number already taken --------------------------------


def number_taken_message(existing: Supplier, number: str) -> str:
    """Why a registration or claim with ``number`` is refused, and how to join instead.

    Only a published supplier is named: a draft, one waiting for review, a rejected or a
    suspended one is nobody else's business, so registering its number must not reveal it.
    """
    support = getattr(settings, "SUPPORT_EMAIL", "feedback@techmap.service.gov.uk")
    who = existing.name if existing.status == Supplier.Status.PUBLISHED else "An organisation"
    return (
        f"{who} is already on Techmap with Companies House number {number}. To join it, ask "
        "one of its owners to invite you from its ‘Manage your organisation’ page, or email "
        f"{support} if you cannot reach them."
    )


# --- Slugs -------------------------------------------------------------------


# Fixed paths under /suppliers/ (suppliers/urls.py) that a supplier's slug must not take.
RESERVED_SLUGS = frozenset({"compare", "shortlists", "register", "invitations", "export-csv"})


def slug_base(name: str) -> str:
    return slugify(name)[:SLUG_BASE_MAX_LENGTH].strip("-") or "supplier"


def first_free_slug(base: str, taken: set[str]) -> str:
    """``base``, or ``base-2``, ``base-3`` … the first not in ``taken``."""
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


def slug_for(name: str, *, exclude_pk: int | None = None) -> str:
    """The slug for a supplier called ``name``: "Kestrel Ledger Systems" → kestrel-ledger-systems.

    A numeric suffix (-2, -3, …) is added only when the plain slug is taken by
    another supplier (``exclude_pk`` is the supplier being saved, if any).
    """
    base = slug_base(name)
    # startswith uses the slug's varchar_pattern_ops index; the regex then keeps
    # only base and base-N (not "acme-labs" for "acme").
    taken = Supplier.objects.filter(slug__startswith=base, slug__regex=rf"^{base}(-[0-9]+)?$")
    if exclude_pk is not None:
        taken = taken.exclude(pk=exclude_pk)
    return first_free_slug(base, set(taken.values_list("slug", flat=True)) | RESERVED_SLUGS)


# --- History -----------------------------------------------------------------


def record_supplier_history(
    suppliers: Iterable[Supplier | int], *, history_type: str, actor=None, reason: str = ""
) -> None:
    """Write one historical row per supplier, with its regions, capabilities, etc. as they are now.

    Services save suppliers with ``skip_history_when_saving`` and call this once
    the row and its many-to-many sets are final, so a change is one history entry
    (not one per ``.set()``). ``history_type`` is "+" (created) or "~" (changed).
    The rows are copied inside PostgreSQL from the saved suppliers, so it costs
    five statements whether for one supplier or a whole import batch.
    """
    supplier_ids = sorted({_id(s) for s in suppliers})
    if not supplier_ids:
        return
    history_model = Supplier.history.model
    columns = ", ".join(field.column for field in history_model.tracked_fields)
    user = _history_user(actor)
    reason_max = history_model._meta.get_field("history_change_reason").max_length or 100
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {history_model._meta.db_table}
                ({columns}, history_date, history_type, history_user_id, history_change_reason)
            SELECT {columns}, %s, %s, %s, %s FROM {Supplier._meta.db_table}
            WHERE id = ANY(%s)
            RETURNING id, history_id
            """,
            [
                timezone.now(),
                history_type,
                user.pk if user else None,
                reason[:reason_max] or None,
                supplier_ids,
            ],
        )
        pairs = cursor.fetchall()
        ids = [pair[0] for pair in pairs]
        history_ids = [pair[1] for pair in pairs]
        # The links as they are now go into the history's link tables the same way.
        for field_name in SUPPLIER_M2M_FIELDS:
            field = Supplier._meta.get_field(field_name)
            through = field.remote_field.through._meta.db_table
            target_column = field.m2m_reverse_name()  # e.g. "region_id"
            m2m_history = apps.get_model("suppliers", f"HistoricalSupplier_{field_name}")
            cursor.execute(
                f"""
                INSERT INTO {m2m_history._meta.db_table}
                    (history_id, id, supplier_id, {target_column})
                SELECT h.history_id, t.id, t.supplier_id, t.{target_column}
                FROM {through} t
                JOIN unnest(%s::bigint[], %s::bigint[]) AS h(supplier_id, history_id)
                  ON h.supplier_id = t.supplier_id
                """,
                [ids, history_ids],
            )


# --- Suppliers ---------------------------------------------------------------


def _check_fields(fields: dict[str, Any], allowed: Iterable[str]) -> None:
    unknown = set(fields) - set(allowed)
    if unknown:
        raise TypeError(f"Unknown supplier field(s): {', '.join(sorted(unknown))}")


def _normalise(fields: dict[str, Any]) -> dict[str, Any]:
    fields = dict(fields)
    number = fields.get("companies_house_number")
    if isinstance(number, str):
        # The stored form; a number the rule refuses is kept as given for _full_clean to
        # report with the other field errors.
        fields["companies_house_number"] = parse_company_number(number) or number.strip()
    for key in ("name", "website", "summary", "contact_name", "contact_email", "contact_phone"):
        if isinstance(fields.get(key), str):
            fields[key] = fields[key].strip()
    return fields


def company_number(value: str) -> str:
    """The stored form of a Companies House number (``suppliers.companies_house``), or a
    DomainError on ``companies_house_number`` saying what a number looks like."""
    try:
        return normalise_company_number(value)
    except ValidationError as exc:
        raise DomainError({"companies_house_number": exc.error_list}) from exc


def _full_clean(supplier: Supplier, *, check_number: bool = False) -> None:
    """The model's own checks, as a DomainError that keeps each error's code (``unique``
    for a Companies House number already in use, which the API answers with a 409).

    ``check_number``: the Companies House number was given in this write, so it must also
    pass the rule (``suppliers.companies_house``), not only the storage check.
    """
    errors: dict[str, list[ValidationError]] = {}
    try:
        supplier.full_clean(exclude=Supplier.DERIVED_FIELDS)
    except ValidationError as exc:
        if not hasattr(exc, "error_dict"):
            raise DomainError(exc.error_list) from exc
        errors = dict(exc.error_dict)
    number = supplier.companies_house_number
    if check_number and number and parse_company_number(number) is None:
        errors["companies_house_number"] = [
            ValidationError(companies_house.INVALID_MESSAGE, code=companies_house.INVALID_CODE)
        ]
    if errors:
        raise DomainError(errors)


def _set_m2m(supplier: Supplier, m2m: dict[str, Iterable]) -> bool:
    """Set the many-to-many sets given; True when any of them changed."""
    changed = False
    for name, values in m2m.items():
        wanted = {_id(v) for v in values}
        current = set(getattr(supplier, name).values_list("pk", flat=True))
        if wanted != current:
            getattr(supplier, name).set(wanted)
            changed = True
    return changed
