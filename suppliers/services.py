"""Supplier writes. Every change to a supplier goes through a function here.

Each service takes keyword-only arguments, runs in one transaction, checks
permission through ``suppliers.permissions`` (raising ``PermissionDenied``),
raises ``core.errors.DomainError`` for broken rules, records history with
who and why, and keeps ``Supplier.search_vector`` current.

``actor=None`` means trusted code acting for the system (the CSV import, the
demo seed); web views and the API always pass ``request.user`` (which is an
``AnonymousUser``, never None, for visitors).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.text import slugify

from core.errors import DomainError
from suppliers import permissions, registry_version
from suppliers.models import (
    Capability,
    CapabilityGroup,
    CaseStudy,
    Certification,
    Framework,
    Supplier,
    SupplierMembership,
)

ReferenceItem = CapabilityGroup | Capability | Certification | Framework

# Fields a moderator (or an import) may set on a supplier. The slug is made once
# from the name and never changes; status changes with a reason come in issue 4.
SUPPLIER_FIELDS = (
    "name",
    "companies_house_number",
    "website",
    "summary",
    "description",
    "size",
    "employees",
    "year_founded",
    "hq_region",
    "contact_name",
    "contact_email",
    "contact_phone",
    "status",
)
SUPPLIER_M2M_FIELDS = ("regions", "capabilities", "certifications", "frameworks")
# Each set's copy on the supplier row (see Supplier.region_ids), written with the vector.
LINK_ID_FIELDS = {
    "regions": "region_ids",
    "capabilities": "capability_ids",
    "certifications": "certification_ids",
    "frameworks": "framework_ids",
}
CASE_STUDY_FIELDS = ("title", "client_type", "client_name", "summary", "outcome", "year")

# Slugs are cut so a "-NNN" suffix still fits in Supplier.slug (max_length 220).
SLUG_BASE_MAX_LENGTH = 200

# The name is indexed with the 'simple' configuration too (unstemmed, stop words
# kept), so a search with websearch_to_tsquery('simple', q) finds names made of
# English stop words ("Tay IT", "The Works"). Measured on 100,000 generated
# suppliers: searching a name that ends in "IT" ranked that supplier strictly
# first in 20 of 20 names with the query english||simple, against 3 of 20 with
# the English query alone (the rest tie with every "Tay …" supplier). For
# ordinary names both rank the exact supplier first (40 of 40).
SEARCH_NAME_SIMPLE_CONFIG = True


def _history_user(actor):
    return actor if actor is not None and getattr(actor, "is_authenticated", False) else None


def _id(value) -> int:
    return value if isinstance(value, int) else value.pk


# --- Search vector -----------------------------------------------------------


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
    cap = Supplier.capabilities.field.related_model._meta.db_table
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
            SELECT string_agg(c.name, ' ' ORDER BY c.id) AS text
            FROM {cap} c
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
    summary and capability names 'B'; description and case studies (title,
    client name, summary, outcome) 'C'; all 'english'. Safe to run any number of
    times: it only derives the column from the rows as they are.
    """
    # Every write that changes what a supplier shows comes through here: caches of the
    # register (the API's pages) let go when this transaction commits.
    registry_version.changed()
    table = Supplier._meta.db_table
    with connection.cursor() as cursor:
        if supplier_ids is None:
            cursor.execute(search_vector_update_sql(target=f"SELECT id FROM {table}"))
            return
        ids = sorted({int(pk) for pk in supplier_ids})
        if ids:
            cursor.execute(
                search_vector_update_sql(target=f"SELECT id FROM {table} WHERE id = ANY(%s)"),
                [ids],
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
    if isinstance(fields.get("companies_house_number"), str):
        fields["companies_house_number"] = fields["companies_house_number"].strip().upper()
    for key in ("name", "website", "summary", "contact_name", "contact_email", "contact_phone"):
        if isinstance(fields.get(key), str):
            fields[key] = fields[key].strip()
    return fields


def _full_clean(supplier: Supplier) -> None:
    try:
        supplier.full_clean(exclude=Supplier.DERIVED_FIELDS)
    except ValidationError as exc:
        raise DomainError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages) from exc


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


def supplier_create(*, actor, change_reason: str = "Created", **fields: Any) -> Supplier:
    """Create a supplier (moderators in admin, the CSV import and the demo seed).

    Before: ``actor`` may create suppliers (``permissions.can_create_supplier``) or
    is None (system code). ``fields`` are those in ``SUPPLIER_FIELDS`` plus the
    many-to-many ``regions``, ``capabilities``, ``certifications``, ``frameworks``
    (instances or ids).
    After: the supplier exists with a unique slug made from its name, its sets,
    a current search vector and one history row ("+") by ``actor`` with
    ``change_reason``; ``published_at`` is set if it was created published.
    Raises DomainError with field messages when the data is invalid (including a
    Companies House number already in use); nothing is written then.
    Self-registration by supplier users is a separate service (issue 4).
    """
    if actor is not None and not permissions.can_create_supplier(actor):
        raise PermissionDenied("Only moderators can create suppliers here.")
    _check_fields(fields, (*SUPPLIER_FIELDS, *SUPPLIER_M2M_FIELDS))
    fields = _normalise(fields)
    m2m = {name: fields.pop(name) for name in SUPPLIER_M2M_FIELDS if name in fields}
    for attempt in range(3):
        try:
            with transaction.atomic():
                supplier = Supplier(**fields)
                supplier.slug = slug_for(supplier.name or "")
                if supplier.status == Supplier.Status.PUBLISHED and not supplier.published_at:
                    supplier.published_at = timezone.now()
                _full_clean(supplier)
                supplier.skip_history_when_saving = True
                try:
                    supplier.save()
                    _set_m2m(supplier, m2m)
                finally:
                    del supplier.skip_history_when_saving
                record_supplier_history(
                    [supplier], history_type="+", actor=actor, reason=change_reason
                )
                refresh_search_vectors(supplier_ids=[supplier.pk])
                return supplier
        except IntegrityError as exc:
            # Two writers chose the same slug at once: choose again. Anything else
            # (the same Companies House number) is reported as a field error.
            if "slug" in str(exc) and attempt < 2:
                continue
            if "companies_house_number" in str(exc):
                raise DomainError(
                    {"companies_house_number": "A supplier with this number already exists."}
                ) from exc
            raise
    raise AssertionError("unreachable")  # pragma: no cover


def supplier_update(
    *, actor, supplier: Supplier, change_reason: str = "Updated", **fields: Any
) -> Supplier:
    """Change a supplier's fields and sets directly (moderators, the CSV import).

    Before: ``actor`` may moderate, or is None (system code). Owners and members
    will change their own profile through a pending revision (issue 4), not here.
    After: the row is locked, changed, validated, its sets replaced where given,
    the search vector refreshed and one history row ("~") recorded. The slug
    stays when the name changes. If nothing actually changed nothing is written
    (no history, ``updated_at`` unchanged). Returns the fresh supplier.
    """
    if actor is not None and not permissions.can_moderate(actor):
        raise PermissionDenied("Only moderators can change suppliers here.")
    _check_fields(fields, (*SUPPLIER_FIELDS, *SUPPLIER_M2M_FIELDS))
    return _supplier_apply(actor=actor, supplier=supplier, change_reason=change_reason, **fields)


def _supplier_apply(*, actor, supplier: Supplier, change_reason: str, **fields: Any) -> Supplier:
    """Write ``fields`` to the supplier (no permission check: callers have done it).

    One history row when something changed, none otherwise; search vector kept current.
    """
    fields = _normalise(fields)
    m2m = {name: fields.pop(name) for name in SUPPLIER_M2M_FIELDS if name in fields}
    with transaction.atomic():
        locked = Supplier.objects.select_for_update().get(pk=supplier.pk)
        before = {f.attname: getattr(locked, f.attname) for f in Supplier._meta.concrete_fields}
        for name, value in fields.items():
            setattr(locked, name, value)
        if locked.status == Supplier.Status.PUBLISHED and not locked.published_at:
            locked.published_at = timezone.now()
        _full_clean(locked)
        changed = [
            f.attname
            for f in Supplier._meta.concrete_fields
            if getattr(locked, f.attname) != before[f.attname]
        ]
        locked.skip_history_when_saving = True
        try:
            m2m_changed = _set_m2m(locked, m2m)
            if changed or m2m_changed:
                locked.save(update_fields=[*changed, "updated_at"])
        finally:
            del locked.skip_history_when_saving
        if changed or m2m_changed:
            record_supplier_history([locked], history_type="~", actor=actor, reason=change_reason)
            refresh_search_vectors(supplier_ids=[locked.pk])
            locked.refresh_from_db(fields=[*Supplier.DERIVED_FIELDS, "updated_at"])
    return locked


# --- Members -------------------------------------------------------------------


def supplier_member_add(
    *, actor, supplier: Supplier, user, role: str = SupplierMembership.Role.MEMBER
) -> SupplierMembership:
    """Make ``user`` an owner or member of ``supplier`` (moderators, or system code).

    Owners inviting colleagues by email comes in issue 4 and will call this once
    an invitation is accepted. Adding someone already there changes their role.
    """
    if actor is not None and not permissions.can_manage_members(actor, supplier):
        raise PermissionDenied("Only owners and moderators can add people to a supplier.")
    if role not in SupplierMembership.Role.values:
        raise DomainError({"role": "Choose owner or member."})
    with transaction.atomic():
        membership = SupplierMembership.objects.filter(supplier=supplier, user=user).first()
        if membership is None:
            membership = SupplierMembership(supplier=supplier, user=user, role=role)
        elif membership.role == role:
            return membership
        elif role == SupplierMembership.Role.MEMBER and _is_last_owner(membership):
            raise DomainError({"role": "A supplier must keep at least one owner."})
        membership.role = role
        membership._history_user = _history_user(actor)
        membership.save()
    return membership


def _is_last_owner(membership: SupplierMembership) -> bool:
    """True when ``membership`` is the supplier's only owner (locks the owners' rows)."""
    owners = list(
        SupplierMembership.objects.select_for_update()
        .filter(supplier_id=membership.supplier_id, role=SupplierMembership.Role.OWNER)
        .values_list("pk", flat=True)
    )
    return owners == [membership.pk]


def supplier_member_remove(*, actor, membership: SupplierMembership) -> None:
    """Remove someone from a supplier. The last owner cannot be removed (DomainError)."""
    if actor is not None and not permissions.can_manage_members(actor, membership.supplier):
        raise PermissionDenied("Only owners and moderators can remove people from a supplier.")
    with transaction.atomic():
        owners = list(
            SupplierMembership.objects.select_for_update()
            .filter(supplier_id=membership.supplier_id, role=SupplierMembership.Role.OWNER)
            .values_list("pk", flat=True)
        )
        if owners == [membership.pk]:
            raise DomainError("A supplier must keep at least one owner.")
        membership._history_user = _history_user(actor)
        membership.delete()


# --- Reference data ------------------------------------------------------------


def reference_item_save(*, actor, item: ReferenceItem, change_reason: str = "") -> ReferenceItem:
    """Create or change a capability group, capability, certification or framework.

    Before: ``actor`` may moderate (or is None). After: the item is saved with a
    history row; when a capability is renamed, the search vectors of the
    suppliers that offer it are rebuilt so searches find the new name.
    """
    if actor is not None and not permissions.can_moderate(actor):
        raise PermissionDenied("Only moderators can change the taxonomy.")
    with transaction.atomic():
        old_name = None
        if isinstance(item, Capability) and item.pk:
            old_name = Capability.objects.filter(pk=item.pk).values_list("name", flat=True).first()
        try:
            item.full_clean()
        except ValidationError as exc:
            raise DomainError(exc.message_dict) from exc
        item._history_user = _history_user(actor)
        item._change_reason = change_reason[:100] or None  # the history column's length
        item.save()
        if old_name is not None and old_name != item.name:
            refresh_search_vectors(supplier_ids=list(item.suppliers.values_list("pk", flat=True)))
    return item


def reference_item_delete(*, actor, item: ReferenceItem) -> None:
    """Delete a taxonomy entry (kept in its history). Suppliers simply lose it.

    A capability group that still has capabilities cannot be deleted (DomainError).
    The search vectors and id arrays of the suppliers that held a deleted item are rebuilt.
    """
    if actor is not None and not permissions.can_moderate(actor):
        raise PermissionDenied("Only moderators can change the taxonomy.")
    if isinstance(item, CapabilityGroup) and item.capabilities.exists():
        raise DomainError("Move or delete this group's capabilities first.")
    with transaction.atomic():
        # Suppliers that held the item lose it: their vectors and id arrays follow.
        affected = []
        if hasattr(item, "suppliers"):
            affected = list(item.suppliers.values_list("pk", flat=True))
        item._history_user = _history_user(actor)
        item.delete()
        refresh_search_vectors(supplier_ids=affected)


# --- Case studies ------------------------------------------------------------


def case_study_create(
    *, actor, supplier: Supplier, change_reason: str = "Case study added", **fields: Any
) -> CaseStudy:
    """Add a case study to a supplier: moderators, or its people while it is not live.

    The people of a published or suspended supplier propose case-study changes
    through ``supplier_revision_propose(case_studies=…)`` instead.

    After: the case study exists with a history row, and the supplier's search
    vector includes it. Raises DomainError when invalid.
    """
    if actor is not None and not permissions.can_change_case_studies(actor, supplier):
        raise PermissionDenied("Only moderators can change case studies here.")
    _check_fields(fields, CASE_STUDY_FIELDS)
    with transaction.atomic():
        case_study = CaseStudy(supplier=supplier, **fields)
        try:
            case_study.full_clean()
        except ValidationError as exc:
            raise DomainError(exc.message_dict) from exc
        case_study._history_user = _history_user(actor)
        case_study._change_reason = change_reason
        case_study.save()
        refresh_search_vectors(supplier_ids=[supplier.pk])
    return case_study


def case_study_update(
    *, actor, case_study: CaseStudy, change_reason: str = "Case study changed", **fields: Any
) -> CaseStudy:
    """Change a case study; the supplier's search vector follows. Unchanged → no write."""
    if actor is not None and not permissions.can_change_case_studies(actor, case_study.supplier):
        raise PermissionDenied("Only moderators can change case studies here.")
    _check_fields(fields, CASE_STUDY_FIELDS)
    with transaction.atomic():
        locked = CaseStudy.objects.select_for_update().get(pk=case_study.pk)
        changed = [name for name, value in fields.items() if getattr(locked, name) != value]
        if not changed:
            return locked
        for name in changed:
            setattr(locked, name, fields[name])
        try:
            locked.full_clean()
        except ValidationError as exc:
            raise DomainError(exc.message_dict) from exc
        locked._history_user = _history_user(actor)
        locked._change_reason = change_reason
        locked.save(update_fields=changed)
        refresh_search_vectors(supplier_ids=[locked.supplier_id])
    return locked


def case_study_delete(
    *, actor, case_study: CaseStudy, change_reason: str = "Case study removed"
) -> None:
    """Remove a case study (kept in its history); the supplier's search vector follows."""
    if actor is not None and not permissions.can_change_case_studies(actor, case_study.supplier):
        raise PermissionDenied("Only moderators can change case studies here.")
    with transaction.atomic():
        supplier_id = case_study.supplier_id
        case_study._history_user = _history_user(actor)
        case_study._change_reason = change_reason
        case_study.delete()
        refresh_search_vectors(supplier_ids=[supplier_id])


# --- Shortlists ---------------------------------------------------------------
# (Shortlist services are appended below by the search engineer.)
#
# A shortlist belongs to one civil servant: only its owner reads or changes it, and
# only while they are a civil servant (permissions.can_use_shortlists). Entries are
# published suppliers, each once per list, with a note and the search that found it.

from suppliers.filters import clean_search_query  # noqa: E402 - kept with its section
from suppliers.models import Shortlist, ShortlistEntry  # noqa: E402

SHORTLIST_NOTE_MAX_LENGTH = 2000
SHORTLIST_DESCRIPTION_MAX_LENGTH = 2000


def _require_shortlist_user(actor) -> None:
    if not permissions.can_use_shortlists(actor):
        raise PermissionDenied("Only civil servants can use shortlists.")


def _require_shortlist_owner(actor, shortlist: Shortlist) -> None:
    _require_shortlist_user(actor)
    if shortlist.owner_id != actor.pk:
        raise PermissionDenied("You can only change your own shortlists.")


def _clean_shortlist_name(name: str, *, owner, exclude_pk: int | None = None) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise DomainError({"name": "Enter a name for the shortlist."})
    limit = Shortlist._meta.get_field("name").max_length
    if len(name) > limit:
        raise DomainError({"name": f"The name must be {limit} characters or fewer."})
    if "\x00" in name:
        raise DomainError({"name": "The name contains characters that are not allowed."})
    clash = Shortlist.objects.filter(owner=owner, name__iexact=name)
    if exclude_pk is not None:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise DomainError({"name": f'You already have a shortlist called "{name}".'})
    return name


def _clean_text(value: str, *, field: str, limit: int) -> str:
    value = (value or "").strip()
    if "\x00" in value:
        raise DomainError({field: "This contains characters that are not allowed."})
    if len(value) > limit:
        raise DomainError({field: f"This must be {limit:,} characters or fewer."})
    return value


def shortlist_create(
    *, actor, name: str, description: str = "", search_query: str = ""
) -> Shortlist:
    """Make a named shortlist for ``actor``.

    Before: ``actor`` is a civil servant (else PermissionDenied).
    After: the list exists, owned by ``actor``, remembering ``search_query`` (the
    search's query string, reduced to the search parameters). Raises DomainError
    (``name``) when the name is blank, too long or already one of theirs (any case).
    """
    _require_shortlist_user(actor)
    with transaction.atomic():
        name = _clean_shortlist_name(name, owner=actor)
        description = _clean_text(
            description, field="description", limit=SHORTLIST_DESCRIPTION_MAX_LENGTH
        )
        try:
            with transaction.atomic():
                return Shortlist.objects.create(
                    owner=actor,
                    name=name,
                    description=description,
                    search_query=clean_search_query(search_query),
                )
        except IntegrityError as exc:  # the same name, created at the same moment
            raise DomainError({"name": f'You already have a shortlist called "{name}".'}) from exc


def shortlist_update(*, actor, shortlist: Shortlist, name: str, description: str = "") -> Shortlist:
    """Rename a shortlist or change its description (its owner only; rules as create)."""
    _require_shortlist_owner(actor, shortlist)
    with transaction.atomic():
        shortlist.name = _clean_shortlist_name(name, owner=actor, exclude_pk=shortlist.pk)
        shortlist.description = _clean_text(
            description, field="description", limit=SHORTLIST_DESCRIPTION_MAX_LENGTH
        )
        shortlist.save(update_fields=["name", "description", "updated_at"])
    return shortlist


def shortlist_add_supplier(
    *, actor, shortlist: Shortlist, supplier: Supplier, note: str = "", search_query: str = ""
) -> ShortlistEntry:
    """Put a published supplier on the owner's shortlist, with a note.

    Before: ``actor`` owns ``shortlist`` and is a civil servant (else PermissionDenied).
    After: one entry records the note and the search that found the supplier; the
    list's own ``search_query`` is set from it if the list had none, and the list's
    ``updated_at`` moves. Raises DomainError when the supplier is not published
    (``supplier``), is already on the list (``supplier``) or the note is too long
    (``note``). Calling it twice adds nothing the second time (an error says so).
    """
    _require_shortlist_owner(actor, shortlist)
    note = _clean_text(note, field="note", limit=SHORTLIST_NOTE_MAX_LENGTH)
    search_query = clean_search_query(search_query)
    with transaction.atomic():
        locked = Shortlist.objects.select_for_update().get(pk=shortlist.pk)
        if not Supplier.objects.filter(pk=supplier.pk, status=Supplier.Status.PUBLISHED).exists():
            raise DomainError({"supplier": "Only published suppliers can be shortlisted."})
        if ShortlistEntry.objects.filter(shortlist=locked, supplier_id=supplier.pk).exists():
            raise DomainError({"supplier": f"{supplier.name} is already on “{locked.name}”."})
        entry = ShortlistEntry.objects.create(
            shortlist=locked, supplier=supplier, note=note, search_query=search_query
        )
        fields = ["updated_at"]
        if search_query and not locked.search_query:
            locked.search_query = search_query
            fields.append("search_query")
        locked.save(update_fields=fields)
    shortlist.refresh_from_db()
    return entry


def shortlist_update_note(*, actor, entry: ShortlistEntry, note: str) -> ShortlistEntry:
    """Change the note on a shortlist entry (the list's owner only)."""
    _require_shortlist_owner(actor, entry.shortlist)
    entry.note = _clean_text(note, field="note", limit=SHORTLIST_NOTE_MAX_LENGTH)
    with transaction.atomic():
        entry.save(update_fields=["note"])
        Shortlist.objects.filter(pk=entry.shortlist_id).update(updated_at=timezone.now())
    return entry


def shortlist_remove_supplier(*, actor, entry: ShortlistEntry) -> None:
    """Take a supplier off a shortlist (the list's owner only). Removing twice is harmless."""
    _require_shortlist_owner(actor, entry.shortlist)
    with transaction.atomic():
        ShortlistEntry.objects.filter(pk=entry.pk).delete()
        Shortlist.objects.filter(pk=entry.shortlist_id).update(updated_at=timezone.now())


def shortlist_delete(*, actor, shortlist: Shortlist) -> None:
    """Delete a shortlist and its entries (the owner only). Deleting twice is harmless."""
    _require_shortlist_owner(actor, shortlist)
    with transaction.atomic():
        Shortlist.objects.filter(pk=shortlist.pk).delete()


# --- Self-registration, pending revisions and moderation (issue 4) ------------------
#
# A signed-in supplier user registers a draft (they own it), fills it in page by page
# (writes go straight to the draft), and submits it for review. Once a profile is live
# (published or suspended) its people's edits are held as one pending SupplierRevision
# that replaces the live values only when a moderator approves it. Every decision is a
# ModerationDecision row, and the supplier's people are emailed through the outbox.

import hashlib  # noqa: E402 - kept with its section
import secrets  # noqa: E402
from datetime import timedelta  # noqa: E402

from django.conf import settings  # noqa: E402
from django.urls import reverse  # noqa: E402

from accounts.services import email_queue  # noqa: E402
from suppliers.models import (  # noqa: E402
    ModerationDecision,
    Region,
    SupplierInvitation,
    SupplierRevision,
)

# What a supplier's own people may change (the status is the moderators').
PROFILE_FIELDS = tuple(name for name in SUPPLIER_FIELDS if name != "status")
# Required before a profile can be sent for review: field → message.
REQUIRED_FOR_SUBMISSION = {
    "name": "Enter the organisation's name",
    "companies_house_number": "Enter the Companies House number",
    "summary": "Enter a short summary",
    "size": "Choose the size of the organisation",
    "hq_region": "Choose the head-office region",
    "regions": "Choose at least one region served",
    "capabilities": "Choose at least one capability",
    "contact_email": "Enter a contact email address",
}
INVITATION_LIFETIME = timedelta(days=7)
M2M_MODELS = {
    "regions": Region,
    "capabilities": Capability,
    "certifications": Certification,
    "frameworks": Framework,
}


def _require_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise DomainError({"reason": "Enter the reason for this decision"})
    if "\x00" in reason:
        raise DomainError({"reason": "The reason contains characters that are not allowed"})
    return reason


def supplier_register(*, actor, companies_house_number: str, name: str) -> Supplier:
    """Start a self-registration: a DRAFT supplier that ``actor`` owns.

    Before: ``actor`` may register (``permissions.can_register_supplier``).
    After: the supplier exists as a draft (not public, not in search) with
    ``created_by=actor``, one history row, and ``actor`` is its owner.
    Raises DomainError (``companies_house_number``) when the number is malformed or
    already in Techmap, saying how to join the existing organisation instead.
    """
    if not permissions.can_register_supplier(actor):
        raise PermissionDenied("Sign in with a supplier account to register an organisation.")
    number = (companies_house_number or "").strip().upper().replace(" ", "")
    existing = Supplier.objects.filter(companies_house_number=number).first()
    if existing is not None:
        raise DomainError(
            {
                "companies_house_number": (
                    f"An organisation with Companies House number {number} is already on "
                    f"Techmap ({existing.name}). To join it, ask one of its owners to invite "
                    "you from its ‘Manage your organisation’ page."
                )
            }
        )
    with transaction.atomic():
        supplier = supplier_create(
            actor=None,
            change_reason="Registered",
            companies_house_number=number,
            name=name,
            status=Supplier.Status.DRAFT,
        )
        Supplier.objects.filter(pk=supplier.pk).update(created_by=actor)
        Supplier.history.filter(id=supplier.pk).update(created_by=actor, history_user=actor)
        supplier.created_by = actor
        membership = SupplierMembership(
            supplier=supplier, user=actor, role=SupplierMembership.Role.OWNER
        )
        membership._history_user = actor
        membership.save()
    return supplier


def _serialise(supplier: Supplier, keys: Iterable[str]) -> dict[str, Any]:
    """The live values of ``keys`` as JSON (a region as its code, sets as sorted codes)."""
    out: dict[str, Any] = {}
    for key in keys:
        if key in SUPPLIER_M2M_FIELDS:
            out[key] = sorted(getattr(supplier, key).values_list("code", flat=True))
        elif key == "hq_region":
            out[key] = supplier.hq_region.code if supplier.hq_region_id else None
        elif key == "case_studies":
            out[key] = [
                {"id": cs.pk, **{f: getattr(cs, f) for f in CASE_STUDY_FIELDS}}
                for cs in supplier.case_studies.order_by("pk")
            ]
        else:
            out[key] = getattr(supplier, key)
    return out


def _codes(name: str, values: Iterable) -> list[str]:
    model = M2M_MODELS[name]
    codes, ids = set(), set()
    for value in values:
        if isinstance(value, str):
            codes.add(value)
        else:
            ids.add(_id(value))
    if ids:
        codes |= set(model.objects.filter(pk__in=ids).values_list("code", flat=True))
    known = set(model.objects.filter(code__in=codes).values_list("code", flat=True))
    if known != codes:
        raise DomainError({name: f"Unknown {name}: {', '.join(sorted(codes - known))}"})
    return sorted(codes)


def _deserialise(values: dict[str, Any]) -> dict[str, Any]:
    """Revision JSON → keyword arguments for ``_supplier_apply``."""
    out = {}
    for key, value in values.items():
        if key in SUPPLIER_M2M_FIELDS:
            out[key] = list(M2M_MODELS[key].objects.filter(code__in=value))
        elif key == "hq_region":
            out[key] = Region.objects.filter(code=value).first() if value else None
        else:
            out[key] = value
    return out


def _clean_case_studies(items: Iterable[dict], supplier: Supplier) -> list[dict]:
    live_ids = set(supplier.case_studies.values_list("pk", flat=True))
    cleaned = []
    for n, item in enumerate(items, start=1):
        values = {f: item.get(f, "" if f != "year" else None) for f in CASE_STUDY_FIELDS}
        try:
            CaseStudy(supplier=supplier, **values).full_clean(exclude=["supplier"])
        except ValidationError as exc:
            raise DomainError(
                {"case_studies": f"Case study {n}: {' '.join(exc.messages)}"}
            ) from exc
        pk = item.get("id")
        if pk is not None and pk not in live_ids:
            raise DomainError({"case_studies": f"Case study {n} is not one of this supplier's."})
        cleaned.append({"id": pk, **values})
    return cleaned


def supplier_profile_update(
    *, actor, supplier: Supplier, change_reason: str = "Changed by the supplier", **fields: Any
) -> Supplier | SupplierRevision | None:
    """A supplier's own people change their profile (fields in ``PROFILE_FIELDS`` and sets).

    Before: ``actor`` may edit the supplier (owner, member or moderator).
    After: if the profile is not live (draft, pending review, rejected) the change is
    written to it directly (returns the Supplier). If it is live (published or
    suspended), the live profile is untouched and the change is merged into the one
    pending revision (returns it, or None when the edit now matches the live profile
    and the revision was withdrawn). Raises DomainError when a value is invalid.
    """
    if not permissions.can_edit_supplier(actor, supplier):
        raise PermissionDenied("Only the supplier's owners and members can change its profile.")
    _check_fields(fields, (*PROFILE_FIELDS, *SUPPLIER_M2M_FIELDS))
    if supplier.status not in permissions.LIVE_STATUSES:
        return _supplier_apply(
            actor=actor, supplier=supplier, change_reason=change_reason, **fields
        )
    return supplier_revision_propose(actor=actor, supplier=supplier, **fields)


def supplier_revision_propose(
    *, actor, supplier: Supplier, case_studies: list[dict] | None = None, **fields: Any
) -> SupplierRevision | None:
    """Hold an edit to a live profile for review (merged into the pending revision).

    ``case_studies``, when given, is the whole proposed list of case studies (each a
    dict of the case-study fields with ``id`` of the live one it changes or None).
    Values equal to the live ones are dropped; if nothing is left the pending
    revision is marked superseded and None returned. Validates the merged proposal
    against the model rules (DomainError) without changing the live profile.
    """
    if not permissions.can_edit_supplier(actor, supplier):
        raise PermissionDenied("Only the supplier's owners and members can change its profile.")
    _check_fields(fields, (*PROFILE_FIELDS, *SUPPLIER_M2M_FIELDS))
    fields = _normalise(fields)
    with transaction.atomic():
        live = Supplier.objects.select_for_update().get(pk=supplier.pk)
        revision = (
            SupplierRevision.objects.select_for_update()
            .filter(supplier=live, status=SupplierRevision.Status.PENDING)
            .first()
        )
        proposed: dict[str, Any] = dict(revision.proposed) if revision else {}
        for key, value in fields.items():
            if key in SUPPLIER_M2M_FIELDS:
                proposed[key] = _codes(key, value)
            elif key == "hq_region":
                proposed[key] = (
                    value
                    if isinstance(value, str) or value is None
                    else Region.objects.get(pk=_id(value)).code
                )
            else:
                proposed[key] = value
        if case_studies is not None:
            proposed["case_studies"] = _clean_case_studies(case_studies, live)
        base = _serialise(live, proposed)
        proposed = {k: v for k, v in proposed.items() if v != base[k]}
        # Validate the result as it would be once approved.
        candidate = Supplier.objects.get(pk=live.pk)
        for key, value in _deserialise(
            {k: v for k, v in proposed.items() if k not in SUPPLIER_M2M_FIELDS}
        ).items():
            if key != "case_studies":
                setattr(candidate, key, value)
        _full_clean(candidate)
        now = timezone.now()
        if not proposed:
            if revision is not None:
                revision.status = SupplierRevision.Status.SUPERSEDED
                revision.decided_at = now
                revision._history_user = _history_user(actor)
                revision.save()
            return None
        if revision is None:
            revision = SupplierRevision(supplier=live)
        revision.proposed = proposed
        revision.base = {k: base[k] for k in proposed}
        revision.submitted_by = _history_user(actor)
        revision.submitted_at = now
        revision._history_user = _history_user(actor)
        revision._change_reason = "Edit proposed"
        revision.save()
    return revision


def _missing_for_submission(supplier: Supplier) -> dict[str, str]:
    missing = {}
    for key, message in REQUIRED_FOR_SUBMISSION.items():
        if key in SUPPLIER_M2M_FIELDS:
            if not getattr(supplier, key).exists():
                missing[key] = message
        elif not getattr(supplier, f"{key}_id" if key == "hq_region" else key):
            missing[key] = message
    return missing


def supplier_submit(*, actor, supplier: Supplier) -> Supplier:
    """Send a draft (or rejected) profile to moderation.

    Before: ``actor`` is one of its owners or members; every field in
    ``REQUIRED_FOR_SUBMISSION`` is filled in (else DomainError listing what is missing).
    After: status PENDING_REVIEW, ``submitted_at`` now, one history row. Submitting a
    profile already pending review changes nothing.
    """
    if not permissions.can_submit_supplier(actor, supplier):
        raise PermissionDenied("Only the supplier's owners and members can submit it.")
    with transaction.atomic():
        locked = Supplier.objects.select_for_update().get(pk=supplier.pk)
        if locked.status == Supplier.Status.PENDING_REVIEW:
            return locked
        if locked.status not in (Supplier.Status.DRAFT, Supplier.Status.REJECTED):
            raise DomainError("This profile is already live: changes go to review as you save.")
        missing = _missing_for_submission(locked)
        if missing:
            raise DomainError(missing)
        return _supplier_apply(
            actor=actor,
            supplier=locked,
            change_reason="Submitted for review",
            status=Supplier.Status.PENDING_REVIEW,
            submitted_at=timezone.now(),
        )


def _decide(
    *, actor, supplier: Supplier, action: str, reason: str, revision=None
) -> ModerationDecision:
    decision = ModerationDecision(
        supplier=supplier,
        revision=revision,
        action=action,
        reason=reason,
        moderator=_history_user(actor),
    )
    decision._history_user = _history_user(actor)
    decision.save()
    _notify_decision(decision)
    return decision


EMAIL_SUBJECTS = {
    ModerationDecision.Action.APPROVE: "{name}: your Techmap profile is approved",
    ModerationDecision.Action.REJECT: "{name}: your Techmap profile was not approved",
    ModerationDecision.Action.SUSPEND: "{name}: your Techmap profile is suspended",
    ModerationDecision.Action.REINSTATE: "{name}: your Techmap profile is reinstated",
}


def _notify_decision(decision: ModerationDecision) -> None:
    """Email every owner and member about a decision (outbox; sent after commit, once)."""
    supplier = decision.supplier
    what = "the changes to your profile" if decision.revision_id else "your profile"
    lines = {
        ModerationDecision.Action.APPROVE: f"A moderator approved {what}. It is now live.",
        ModerationDecision.Action.REJECT: f"A moderator did not approve {what}.",
        ModerationDecision.Action.SUSPEND: (
            "A moderator suspended your profile. It is not shown to anyone while suspended."
        ),
        ModerationDecision.Action.REINSTATE: "A moderator reinstated your profile.",
    }
    manage_url = settings.SITE_URL + reverse("suppliers:manage", args=[supplier.slug])
    body = f"{lines[decision.action]}\n\n"
    if decision.reason:
        body += f"Reason: {decision.reason}\n\n"
    body += f"See your organisation on Techmap: {manage_url}\n"
    subject = EMAIL_SUBJECTS[decision.action].format(name=supplier.name)
    users = (
        SupplierMembership.objects.filter(supplier=supplier).select_related("user").order_by("pk")
    )
    for membership in users:
        if not membership.user.is_active or not membership.user.email:
            continue
        email_queue(
            to=membership.user.email,
            subject=subject,
            body=body,
            dedupe_key=f"moderation:{decision.pk}:{membership.user_id}",
        )


def _require_moderator(actor) -> None:
    if actor is not None and not permissions.can_moderate(actor):
        raise PermissionDenied("Only moderators can make moderation decisions.")


def _apply_revision(*, actor, revision: SupplierRevision) -> None:
    proposed = dict(revision.proposed)
    case_studies = proposed.pop("case_studies", None)
    _supplier_apply(
        actor=actor,
        supplier=revision.supplier,
        change_reason=f"Revision {revision.pk} approved",
        **_deserialise(proposed),
    )
    if case_studies is not None:
        live = {cs.pk: cs for cs in revision.supplier.case_studies.all()}
        kept = {item["id"] for item in case_studies if item.get("id")}
        for pk, case_study in live.items():
            if pk not in kept:
                case_study_delete(actor=actor, case_study=case_study)
        for item in case_studies:
            values = {f: item[f] for f in CASE_STUDY_FIELDS}
            if item.get("id") in live:
                case_study_update(actor=actor, case_study=live[item["id"]], **values)
            else:
                case_study_create(actor=actor, supplier=revision.supplier, **values)


def supplier_approve(*, actor, supplier: Supplier, reason: str = "") -> ModerationDecision:
    """Approve what is waiting: a new profile (→ published) or its pending revision (applied).

    Before: ``actor`` is a moderator (or None for system code); something is waiting
    (else DomainError). After: the live profile is updated, one ModerationDecision
    records who/when/why, and the owners and members are emailed after commit.
    """
    _require_moderator(actor)
    with transaction.atomic():
        locked = Supplier.objects.select_for_update().get(pk=supplier.pk)
        revision = (
            SupplierRevision.objects.select_for_update()
            .filter(supplier=locked, status=SupplierRevision.Status.PENDING)
            .first()
        )
        if locked.status == Supplier.Status.PENDING_REVIEW:
            _supplier_apply(
                actor=actor,
                supplier=locked,
                change_reason="Approved",
                status=Supplier.Status.PUBLISHED,
                status_reason="",
            )
            revision = None
        elif revision is not None:
            _apply_revision(actor=actor, revision=revision)
            revision.status = SupplierRevision.Status.APPROVED
            revision.decided_by = _history_user(actor)
            revision.decided_at = timezone.now()
            revision.reason = reason
            revision._history_user = _history_user(actor)
            revision.save()
        else:
            raise DomainError(f"Nothing from {locked.name} is waiting for review.")
        return _decide(
            actor=actor,
            supplier=locked,
            action=ModerationDecision.Action.APPROVE,
            reason=reason,
            revision=revision,
        )


def supplier_reject(*, actor, supplier: Supplier, reason: str) -> ModerationDecision:
    """Reject what is waiting (a new profile → rejected; a pending revision → rejected).

    A reason is required (DomainError). The live profile of a published supplier is
    unchanged by rejecting its revision. Owners and members are emailed the reason.
    """
    _require_moderator(actor)
    reason = _require_reason(reason)
    with transaction.atomic():
        locked = Supplier.objects.select_for_update().get(pk=supplier.pk)
        revision = (
            SupplierRevision.objects.select_for_update()
            .filter(supplier=locked, status=SupplierRevision.Status.PENDING)
            .first()
        )
        if locked.status == Supplier.Status.PENDING_REVIEW:
            _supplier_apply(
                actor=actor,
                supplier=locked,
                change_reason="Rejected",
                status=Supplier.Status.REJECTED,
                status_reason=reason,
            )
            revision = None
        elif revision is not None:
            revision.status = SupplierRevision.Status.REJECTED
            revision.decided_by = _history_user(actor)
            revision.decided_at = timezone.now()
            revision.reason = reason
            revision._history_user = _history_user(actor)
            revision.save()
        else:
            raise DomainError(f"Nothing from {locked.name} is waiting for review.")
        return _decide(
            actor=actor,
            supplier=locked,
            action=ModerationDecision.Action.REJECT,
            reason=reason,
            revision=revision,
        )


def supplier_suspend(*, actor, supplier: Supplier, reason: str) -> ModerationDecision:
    """Take a published supplier out of search; its profile page says it is unavailable.

    Reason required. Only a published supplier can be suspended (DomainError).
    """
    _require_moderator(actor)
    reason = _require_reason(reason)
    with transaction.atomic():
        locked = Supplier.objects.select_for_update().get(pk=supplier.pk)
        if locked.status != Supplier.Status.PUBLISHED:
            raise DomainError("Only a published supplier can be suspended.")
        _supplier_apply(
            actor=actor,
            supplier=locked,
            change_reason="Suspended",
            status=Supplier.Status.SUSPENDED,
            status_reason=reason,
            suspended_at=timezone.now(),
        )
        return _decide(
            actor=actor, supplier=locked, action=ModerationDecision.Action.SUSPEND, reason=reason
        )


def supplier_reinstate(*, actor, supplier: Supplier, reason: str) -> ModerationDecision:
    """Publish a suspended supplier again (reason required)."""
    _require_moderator(actor)
    reason = _require_reason(reason)
    with transaction.atomic():
        locked = Supplier.objects.select_for_update().get(pk=supplier.pk)
        if locked.status != Supplier.Status.SUSPENDED:
            raise DomainError("Only a suspended supplier can be reinstated.")
        _supplier_apply(
            actor=actor,
            supplier=locked,
            change_reason="Reinstated",
            status=Supplier.Status.PUBLISHED,
            status_reason="",
            suspended_at=None,
        )
        return _decide(
            actor=actor,
            supplier=locked,
            action=ModerationDecision.Action.REINSTATE,
            reason=reason,
        )


# --- Invitations and leaving --------------------------------------------------------


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invitation_create(
    *, actor, supplier: Supplier, email: str, role: str = SupplierMembership.Role.MEMBER
) -> tuple[SupplierInvitation, str]:
    """An owner invites someone by email; returns the invitation and its one-time token.

    Before: ``actor`` may manage the supplier's members (owners, moderators).
    After: one open invitation for that address (an earlier open one is revoked),
    expiring after ``INVITATION_LIFETIME``; only the token's SHA-256 is stored; the
    email with the link is in the outbox, sent after commit. DomainError when the
    address is invalid or already a member's.
    """
    if not permissions.can_manage_members(actor, supplier):
        raise PermissionDenied("Only the supplier's owners can invite people.")
    if role not in SupplierMembership.Role.values:
        raise DomainError({"role": "Choose owner or member"})
    email = (email or "").strip()
    from django.core.validators import validate_email

    try:
        validate_email(email)
    except ValidationError as exc:
        raise DomainError(
            {"email": "Enter an email address in the correct format, like name@example.com"}
        ) from exc
    if SupplierMembership.objects.filter(supplier=supplier, user__email__iexact=email).exists():
        raise DomainError({"email": f"{email} already belongs to {supplier.name}"})
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    with transaction.atomic():
        for old in SupplierInvitation.objects.select_for_update().filter(
            supplier=supplier, email__iexact=email, accepted_at=None, revoked_at=None
        ):
            old.revoked_at = now
            old._history_user = _history_user(actor)
            old.save()
        invitation = SupplierInvitation(
            supplier=supplier,
            email=email,
            role=role,
            token_hash=_token_hash(token),
            invited_by=_history_user(actor),
            expires_at=now + INVITATION_LIFETIME,
        )
        invitation._history_user = _history_user(actor)
        invitation.save()
        link = settings.SITE_URL + reverse("suppliers:invitation_accept", args=[token])
        inviter = getattr(actor, "full_name", "") or getattr(actor, "email", "") or "Techmap"
        email_queue(
            to=email,
            subject=f"Join {supplier.name} on Techmap",
            body=(
                f"{inviter} has invited you to join {supplier.name} on Techmap as "
                f"{'an owner' if role == 'owner' else 'a member'}.\n\n"
                f"Accept the invitation: {link}\n\n"
                f"The link works once and expires on "
                f"{timezone.localtime(invitation.expires_at):%d %B %Y at %H:%M}. "
                f"You need a Techmap account with this email address ({email}).\n"
            ),
            dedupe_key=f"invitation:{invitation.pk}",
        )
    return invitation, token


def invitation_for_token(token: str) -> SupplierInvitation | None:
    """The invitation a link's token belongs to (open, expired or used), or None."""
    if not token or len(token) > 200:
        return None
    return (
        SupplierInvitation.objects.select_related("supplier")
        .filter(token_hash=_token_hash(token))
        .first()
    )


def invitation_accept(*, actor, token: str) -> SupplierMembership:
    """Accept an invitation: ``actor`` joins the supplier with the invited role.

    Before: the token matches an invitation that is open and not expired (else
    DomainError), and ``actor`` is signed in with the invited email address (else
    PermissionDenied). After: the membership exists and the invitation is used
    (single use). Accepting twice fails the second time.
    """
    with transaction.atomic():
        found = invitation_for_token(token)
        invitation = (
            SupplierInvitation.objects.select_for_update().get(pk=found.pk) if found else None
        )
        if invitation is None or invitation.revoked_at is not None:
            raise DomainError("This invitation link is not valid. Ask for a new invitation.")
        if invitation.accepted_at is not None:
            raise DomainError("This invitation has already been used.")
        if invitation.expires_at <= timezone.now():
            raise DomainError("This invitation has expired. Ask an owner for a new invitation.")
        if not permissions.can_accept_invitation(actor, invitation):
            raise PermissionDenied(
                f"This invitation is for {invitation.email}. Sign in with that email address."
            )
        membership = supplier_member_add(
            actor=None, supplier=invitation.supplier, user=actor, role=invitation.role
        )
        invitation.accepted_at = timezone.now()
        invitation.accepted_by = actor
        invitation._history_user = actor
        invitation.save()
    return membership


def invitation_revoke(*, actor, invitation: SupplierInvitation) -> None:
    """An owner withdraws an open invitation (its link stops working). Twice is harmless."""
    if not permissions.can_manage_members(actor, invitation.supplier):
        raise PermissionDenied("Only the supplier's owners can withdraw invitations.")
    with transaction.atomic():
        locked = SupplierInvitation.objects.select_for_update().get(pk=invitation.pk)
        if locked.is_open:
            locked.revoked_at = timezone.now()
            locked._history_user = _history_user(actor)
            locked.save()


def supplier_leave(*, actor, supplier: Supplier) -> None:
    """``actor`` stops belonging to the supplier. The last owner cannot leave (DomainError)."""
    if not permissions.can_leave_supplier(actor, supplier):
        raise PermissionDenied("You do not belong to this supplier.")
    with transaction.atomic():
        membership = SupplierMembership.objects.get(supplier=supplier, user=actor)
        if membership.role == SupplierMembership.Role.OWNER and _is_last_owner(membership):
            raise DomainError(
                "You are the only owner. Make someone else an owner before you leave."
            )
        membership._history_user = _history_user(actor)
        membership.delete()
