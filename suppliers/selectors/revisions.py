"""A supplier's profile as its people are editing it, and a pending revision shown field
by field (the manage page, the registration pages and the moderation queue)."""

from __future__ import annotations

from suppliers import permissions
from suppliers.models import CaseStudy, Region, Supplier, SupplierRevision
from suppliers.profile_fields import (
    M2M_MODELS,
    PROFILE_FIELDS,
    SUPPLIER_M2M_FIELDS,
    serialise_profile,
)

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


# A profile value stored as a code (a revision stores codes), shown by its name.
CODED_FIELDS = {"hq_region": Region, **M2M_MODELS}
CHOICE_LABELS = {"size": dict(Supplier.Size.choices)}
CLIENT_TYPES = dict(CaseStudy.ClientType.choices)


def _names(key: str, codes: list[str]) -> list[str]:
    """The names of ``codes`` in their order; a code nothing is called any more stays."""
    found = dict(CODED_FIELDS[key].objects.filter(code__in=codes).values_list("code", "name"))
    return [found.get(code, code) for code in codes]


def case_study_text(item: dict) -> str:
    """A case study as a moderator reads it: title, client, year, summary and outcome."""
    client = ", ".join(
        part
        for part in (item.get("client_name"), CLIENT_TYPES.get(item.get("client_type"), ""))
        if part
    )
    year = item.get("year")
    heading = " – ".join(
        part for part in (item.get("title", ""), client, str(year) if year else "") if part
    )
    lines = [heading, item.get("summary") or ""]
    if item.get("outcome"):
        lines.append(f"Outcome: {item['outcome']}")
    return "\n".join(line for line in lines if line)


def display_value(key: str, value) -> str:
    """A profile value as people read it: names, never codes ("North East", not ``TLC``;
    "Cyber security", not ``cyber-security``), each case study in full, "Not given" when
    empty. A coded field costs one query."""
    if value in (None, "", []):
        return "Not given"
    if key == "case_studies":
        return "\n\n".join(case_study_text(item) for item in value) or "None"
    if key in CODED_FIELDS:
        return ", ".join(_names(key, value if isinstance(value, list) else [value]))
    if key in CHOICE_LABELS:
        return str(CHOICE_LABELS[key].get(value, value))
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def revision_rows(revision: SupplierRevision, *, before: str = "live") -> list[dict]:
    """Field by field: label, value before and proposed value — for people and moderators.

    ``before="live"``: the live value now (under the key ``live``); ``before="base"``: the
    live value when the edit was last saved (under ``before``), for a decided revision.
    """
    if before == "base":
        old, old_key = revision.base, "before"
    else:
        old, old_key = serialise_profile(revision.supplier, revision.proposed), "live"
    return [
        {
            "key": key,
            "label": FIELD_LABELS.get(key, key),
            old_key: display_value(key, old.get(key)),
            "proposed": display_value(key, value),
        }
        for key, value in revision.proposed.items()
    ]


def open_revision(supplier: Supplier) -> SupplierRevision | None:
    """The supplier's open revision: pending review, or a draft a moderator returned."""
    return SupplierRevision.objects.filter(
        supplier=supplier, status__in=SupplierRevision.OPEN_STATUSES
    ).first()


def effective_values(supplier: Supplier, *, actor=None) -> tuple[dict, SupplierRevision | None]:
    """The profile as ``actor`` edits it, and its open revision (or None).

    Live values, with the open edit (pending, or a draft a moderator returned) on top for
    those whose edits wait for review (``permissions.edit_goes_live``); a moderator edits
    the live values themselves.
    """
    keys = (*PROFILE_FIELDS, *SUPPLIER_M2M_FIELDS, "case_studies")
    values = serialise_profile(supplier, keys)
    revision = None
    if supplier.status in permissions.LIVE_STATUSES:
        revision = open_revision(supplier)
        if revision and not (actor is not None and permissions.edit_goes_live(actor, supplier)):
            values.update(revision.proposed)
    return values, revision


def companies_house_facts(supplier: Supplier) -> list[tuple[str, str]]:
    """What Companies House says about ``supplier``, where known (label, value)."""
    facts = [
        ("Company status", supplier.companies_house_status),
        ("Incorporated", supplier.incorporated_on and supplier.incorporated_on.isoformat()),
        ("Dissolved", supplier.dissolved_on and supplier.dissolved_on.isoformat()),
        ("SIC codes", ", ".join(supplier.sic_codes or [])),
        (
            "Flagged to moderators since",
            supplier.companies_house_flagged_on and supplier.companies_house_flagged_on.isoformat(),
        ),
        (
            "Last checked",
            supplier.companies_house_checked_at
            and supplier.companies_house_checked_at.strftime("%Y-%m-%d %H:%M"),
        ),
    ]
    return [(label, value) for label, value in facts if value]


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
