"""A supplier's profile as its people are editing it, and a pending revision shown field
by field (the manage page, the registration pages and the moderation queue)."""

from __future__ import annotations

from suppliers import permissions
from suppliers.models import Supplier, SupplierRevision
from suppliers.profile_fields import PROFILE_FIELDS, SUPPLIER_M2M_FIELDS, serialise_profile

FIELD_LABELS = {
    "name": "Name",
    "companies_house_number": "Companies House number",
    "website": "Website",
    "summary": "Summary",
    "description": "Description",
    "size": "Size",
    "employees": "Employees",
    "year_founded": "Year founded",
    "hq_region": "Head-office region",
    "regions": "Regions served",
    "capabilities": "Capabilities",
    "certifications": "Certifications",
    "frameworks": "Frameworks",
    "contact_name": "Contact name",
    "contact_email": "Contact email",
    "contact_phone": "Contact phone",
    "case_studies": "Case studies",
}


def display_value(key: str, value) -> str:
    """A profile value as people read it ("Not given" when empty; case studies by title)."""
    if value in (None, "", []):
        return "Not given"
    if key == "case_studies":
        return "; ".join(item.get("title", "") for item in value) or "None"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def revision_rows(revision: SupplierRevision) -> list[dict]:
    """Field by field: label, live value (now), proposed value — for people and moderators."""
    live = serialise_profile(revision.supplier, revision.proposed)
    return [
        {
            "key": key,
            "label": FIELD_LABELS.get(key, key),
            "live": display_value(key, live.get(key)),
            "proposed": display_value(key, value),
        }
        for key, value in revision.proposed.items()
    ]


def effective_values(supplier: Supplier, *, actor=None) -> tuple[dict, SupplierRevision | None]:
    """The profile as ``actor`` edits it, and its pending revision (or None).

    Live values, with the pending edit on top for those whose edits wait for review
    (``permissions.edit_goes_live``); a moderator edits the live values themselves.
    """
    keys = (*PROFILE_FIELDS, *SUPPLIER_M2M_FIELDS, "case_studies")
    values = serialise_profile(supplier, keys)
    revision = None
    if supplier.status in permissions.LIVE_STATUSES:
        revision = SupplierRevision.objects.filter(
            supplier=supplier, status=SupplierRevision.Status.PENDING
        ).first()
        if revision and not (actor is not None and permissions.edit_goes_live(actor, supplier)):
            values.update(revision.proposed)
    return values, revision


def new_profile_rows(supplier: Supplier) -> list[dict]:
    """Field by field, a profile waiting for its first review (nothing is live yet)."""
    keys = (*PROFILE_FIELDS, *SUPPLIER_M2M_FIELDS, "case_studies")
    return [
        {
            "key": key,
            "label": FIELD_LABELS.get(key, key),
            "live": "(new)",
            "proposed": display_value(key, value),
        }
        for key, value in serialise_profile(supplier, keys).items()
    ]
