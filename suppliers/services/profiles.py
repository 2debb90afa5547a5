"""Supplier profiles: create, register, edit (live or held for review), submit, and case
studies."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.errors import DomainError
from suppliers import permissions
from suppliers.models import (
    CaseStudy,
    Region,
    Supplier,
    SupplierMembership,
    SupplierRevision,
)
from suppliers.profile_fields import serialise_profile
from suppliers.services._common import (
    CASE_STUDY_FIELDS,
    M2M_MODELS,
    PROFILE_FIELDS,
    SUPPLIER_FIELDS,
    SUPPLIER_M2M_FIELDS,
    _check_fields,
    _full_clean,
    _history_user,
    _id,
    _normalise,
    _set_m2m,
    company_number,
    number_taken_message,
    record_supplier_history,
    slug_for,
)
from suppliers.services.search_index import refresh_search_vectors

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
    Self-registration by supplier users is ``supplier_register``.
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
                _full_clean(supplier, check_number=True)
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
                    {
                        "companies_house_number": ValidationError(
                            "A supplier with this number already exists.", code="unique"
                        )
                    }
                ) from exc
            raise
    raise AssertionError("unreachable")  # pragma: no cover


def supplier_update(
    *, actor, supplier: Supplier, change_reason: str = "Updated", **fields: Any
) -> Supplier:
    """Change a supplier's fields and sets directly (moderators, the CSV import).

    Before: ``actor`` may moderate, or is None (system code). Owners and members change
    their own profile through ``supplier_profile_update``, not here.
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
        _full_clean(locked, check_number="companies_house_number" in fields)
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
    number = company_number(companies_house_number or "")
    existing = Supplier.objects.filter(companies_house_number=number).first()
    if existing is not None:
        raise DomainError(
            {
                "companies_house_number": ValidationError(
                    number_taken_message(existing, number), code="unique"
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


# The JSON form of a profile is shared with the selectors that display revisions.
_serialise = serialise_profile


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

    The one service that decides whether an edit goes live or waits for review, for the
    web pages, the API and admin (``permissions.edit_goes_live``).

    Before: ``actor`` may edit the supplier (owner, member or moderator).
    After: if the edit goes live (a moderator's, or the profile is not live: draft,
    pending review, rejected) the change is written to it directly (returns the
    Supplier). Otherwise (a live profile: published or suspended) the live profile is
    untouched and the change is merged into the one pending revision (returns it, or None
    when the edit now matches the live profile and the revision was withdrawn).
    Raises DomainError when a value is invalid.
    """
    if not permissions.can_edit_supplier(actor, supplier):
        raise PermissionDenied("Only the supplier's owners and members can change its profile.")
    _check_fields(fields, (*PROFILE_FIELDS, *SUPPLIER_M2M_FIELDS))
    if permissions.edit_goes_live(actor, supplier):
        return _supplier_apply(
            actor=actor, supplier=supplier, change_reason=change_reason, **fields
        )
    return supplier_revision_propose(actor=actor, supplier=supplier, **fields)


def supplier_case_studies(supplier: Supplier, *, actor) -> list[dict]:
    """The case studies ``actor`` edits, in order: the live ones, or (when their edits wait
    for review) the list as the open revision (pending, or a draft) proposes it. Each is a
    dict of the case-study fields with ``id`` (None for one proposed but not yet live). The
    case-study services address an item by its position in this list."""
    if not permissions.edit_goes_live(actor, supplier):
        pending = (
            SupplierRevision.objects.filter(
                supplier=supplier, status__in=SupplierRevision.OPEN_STATUSES
            )
            .values_list("proposed", flat=True)
            .first()
        )
        if pending and "case_studies" in pending:
            return [dict(item) for item in pending["case_studies"]]
    return _serialise(supplier, ["case_studies"])["case_studies"]


def _case_studies_edit(
    *, actor, supplier: Supplier, index: int | None, values: dict | None
) -> CaseStudy | SupplierRevision | None:
    """Add (``index`` None), change or remove (``values`` None) one case study, live or
    held for review as ``permissions.edit_goes_live`` decides."""
    if not permissions.can_edit_supplier(actor, supplier):
        raise PermissionDenied("Only the supplier's owners and members can change its profile.")
    if values is not None:
        _check_fields(values, CASE_STUDY_FIELDS)
    items = supplier_case_studies(supplier, actor=actor)
    if index is not None and not 0 <= index < len(items):
        raise DomainError({"case_studies": "There is no such case study."})
    if permissions.edit_goes_live(actor, supplier):
        if index is None:
            return case_study_create(actor=actor, supplier=supplier, **values)
        case_study = CaseStudy.objects.get(pk=items[index]["id"], supplier=supplier)
        if values is None:
            case_study_delete(actor=actor, case_study=case_study)
            return None
        return case_study_update(actor=actor, case_study=case_study, **values)
    if index is None:
        items.append({"id": None, **values})
    elif values is None:
        items.pop(index)
    else:
        items[index] = {"id": items[index].get("id"), **values}
    return supplier_revision_propose(actor=actor, supplier=supplier, case_studies=items)


def supplier_case_study_add(
    *, actor, supplier: Supplier, **values: Any
) -> CaseStudy | SupplierRevision | None:
    """Add a case study. Before: ``actor`` may edit the supplier. After: the case study is
    live (returned), or, when the edit waits for review, in the pending revision (returned).
    DomainError when a value is invalid."""
    return _case_studies_edit(actor=actor, supplier=supplier, index=None, values=values)


def supplier_case_study_change(
    *, actor, supplier: Supplier, index: int, **values: Any
) -> CaseStudy | SupplierRevision | None:
    """Change the case study at ``index`` of ``supplier_case_studies`` (rules as add).
    Returns None when a held edit now matches the live profile (the revision is withdrawn)."""
    return _case_studies_edit(actor=actor, supplier=supplier, index=index, values=values)


def supplier_case_study_remove(*, actor, supplier: Supplier, index: int) -> SupplierRevision | None:
    """Remove the case study at ``index``: at once, or held for review (the revision is
    returned). DomainError when there is no such case study."""
    result = _case_studies_edit(actor=actor, supplier=supplier, index=index, values=None)
    return result if isinstance(result, SupplierRevision) else None


def supplier_revision_propose(
    *, actor, supplier: Supplier, case_studies: list[dict] | None = None, **fields: Any
) -> SupplierRevision | None:
    """Hold an edit to a live profile for review (merged into the open revision).

    The open revision is the pending one, or the draft a moderator's rejection left (an
    edit to that stays a draft until ``supplier_revision_resubmit``); with neither, a new
    pending revision. ``case_studies``, when given, is the whole proposed list of case
    studies (each a dict of the case-study fields with ``id`` of the live one it changes or
    None). Values equal to the live ones are dropped; if nothing is left the open
    revision is marked superseded and None returned. Validates the merged proposal
    against the model rules (DomainError) without changing the live profile.
    """
    if not permissions.can_edit_supplier(actor, supplier):
        raise PermissionDenied("Only the supplier's owners and members can change its profile.")
    _check_fields(fields, (*PROFILE_FIELDS, *SUPPLIER_M2M_FIELDS))
    fields = _normalise(fields)
    with transaction.atomic():
        live = Supplier.objects.select_for_update().get(pk=supplier.pk)
        revision = _open_revision(live)
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
        if revision is None:
            revision = SupplierRevision(supplier=live)
        return _save_proposal(
            actor=actor, live=live, revision=revision, proposed=proposed, why="Edit proposed"
        )


def _open_revision(live: Supplier) -> SupplierRevision | None:
    """The supplier's open revision (pending, or a draft after a rejection), locked."""
    return (
        SupplierRevision.objects.select_for_update()
        .filter(supplier=live, status__in=SupplierRevision.OPEN_STATUSES)
        .first()
    )


def _save_proposal(
    *, actor, live: Supplier, revision: SupplierRevision, proposed: dict, why: str
) -> SupplierRevision | None:
    """Store ``proposed`` (less what equals the live profile) in ``revision``, validated as
    it would be once approved; with nothing left, withdraw it (None)."""
    base = _serialise(live, proposed)
    proposed = {k: v for k, v in proposed.items() if v != base[k]}
    candidate = Supplier.objects.get(pk=live.pk)
    for key, value in _deserialise(
        {k: v for k, v in proposed.items() if k not in SUPPLIER_M2M_FIELDS}
    ).items():
        if key != "case_studies":
            setattr(candidate, key, value)
    _full_clean(candidate, check_number="companies_house_number" in proposed)
    now = timezone.now()
    revision._history_user = _history_user(actor)
    if not proposed:
        if revision.pk is not None:
            revision.status = SupplierRevision.Status.SUPERSEDED
            revision.decided_at = now
            revision._change_reason = "Withdrawn: nothing left to change"
            revision.save()
        return None
    revision.proposed = proposed
    revision.base = {k: base[k] for k in proposed}
    revision.submitted_by = _history_user(actor)
    revision.submitted_at = now
    revision._change_reason = why
    revision.save()
    return revision


def _draft_revision(actor, supplier: Supplier) -> tuple[Supplier, SupplierRevision]:
    """The supplier and its draft revision, both locked (DomainError when there is none)."""
    if not permissions.can_submit_supplier(actor, supplier):
        raise PermissionDenied("Only the supplier's owners and members can do this.")
    live = Supplier.objects.select_for_update().get(pk=supplier.pk)
    revision = _open_revision(live)
    if revision is None or revision.status != SupplierRevision.Status.DRAFT:
        raise DomainError(
            "There are no changes returned by a moderator to send or discard.", code="conflict"
        )
    return live, revision


def supplier_revision_resubmit(*, actor, supplier: Supplier) -> SupplierRevision | None:
    """Send the changes a moderator returned (the draft revision, as fixed) for review again.

    Before: ``actor`` is one of the supplier's owners or members
    (``permissions.can_submit_supplier``); the supplier has a draft revision (else
    DomainError, code ``conflict``).
    After: the draft is the pending revision again (submitted now by ``actor``, the old
    reason cleared), checked against the live profile as any edit is; if nothing in it
    differs from the live profile any more it is withdrawn and None returned.
    """
    with transaction.atomic():
        live, revision = _draft_revision(actor, supplier)
        revision.status = SupplierRevision.Status.PENDING
        revision.reason = ""
        return _save_proposal(
            actor=actor,
            live=live,
            revision=revision,
            proposed=dict(revision.proposed),
            why="Sent for review again",
        )


def supplier_revision_discard(*, actor, supplier: Supplier) -> None:
    """Drop the changes a moderator returned: the live profile is what remains.

    Before: as ``supplier_revision_resubmit``. After: the draft is superseded (kept in the
    history); the supplier has no open revision.
    """
    with transaction.atomic():
        _live, revision = _draft_revision(actor, supplier)
        revision.status = SupplierRevision.Status.SUPERSEDED
        revision.decided_at = timezone.now()
        revision._history_user = _history_user(actor)
        revision._change_reason = "Discarded by the supplier"
        revision.save()


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
            raise DomainError(
                "This profile is already live: changes go to review as you save.",
                code="conflict",  # the request is fine; the profile's state refuses it
            )
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
