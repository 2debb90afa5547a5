"""What a supplier's profile is made of, and its values as JSON.

The writes (``suppliers.services``) and the reads (``suppliers.selectors``) both need the
field lists and the JSON form of a profile (a pending revision stores it; the moderation
queue and the manage page show it). They live here, below both packages, so that neither
package imports the other for them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from suppliers.models import Capability, Certification, Framework, Region, Supplier

# Fields a moderator (or an import) may set on a supplier. The slug is made once
# from the name and never changes; status changes with a reason are moderation's.
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

# What a supplier's own people may change (the status is the moderators').
PROFILE_FIELDS = tuple(name for name in SUPPLIER_FIELDS if name != "status")
M2M_MODELS = {
    "regions": Region,
    "capabilities": Capability,
    "certifications": Certification,
    "frameworks": Framework,
}


def serialise_profile(supplier: Supplier, keys: Iterable[str]) -> dict[str, Any]:
    """The live values of ``keys`` as JSON (a region as its code, sets as sorted codes,
    ``case_studies`` as a list of dicts with their ``id``): the form a revision stores."""
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
