"""``/api/v1/awards/ocds/``: the awards Techmap keeps from public contract data (OCDS), re-
published as an OCDS 1.1 release package.

A separate module from ``suppliers.api`` (where the awards list lives) and routed in
``techmap/urls.py`` ahead of ``api/v1/``, so that neither route shadows the other.

Re-publishing keeps the publisher's identifiers: each release has the publisher's ocid
(its prefix untouched: ``ocds-b5fd17-`` stays Contracts Finder's) and the publisher's release
id, each award its award id, each supplier the party id the notice gave it, and each award
links to the notice it came from (``documents``, the source URL). One release per ocid and
release id, with the awards that release last updated. Pages hold whole contracting
processes (one ocid is never split across two pages); the next and previous pages are in
the ``Link`` header (why not ``links`` in the package: ``core.ocds``). Nothing empty is
published.
"""

from __future__ import annotations

from collections import defaultdict

from django.db.models import Min, Prefetch, QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from core import ocds as core_ocds
from core.api.pagination import CursorPagination
from core.api.permissions import ALLOW_ANY
from core.api.views import ApiView
from suppliers.models import AwardRecord, AwardSupplier, PublicRelease

# The closed codelists of the fields below (OCDS 1.1): a value outside them is left out
# rather than published against the schema.
AWARD_STATUSES = {"pending", "active", "cancelled", "unsuccessful"}
METHODS = {"open", "selective", "limited", "direct"}
RELEASE_TAGS = {"award", "awardUpdate", "awardCancellation", "contract", "contractUpdate"}


def _buyer(award: AwardRecord) -> dict | None:
    if award.buyer is None:
        return None
    return {"id": f"TECHMAP-PB-{award.buyer.slug}", "name": award.buyer.name}


def _supplier(link: AwardSupplier) -> dict:
    supplier = link.supplier
    number = supplier.companies_house_number
    party_id = link.party_id or (f"GB-COH-{number}" if number else f"TECHMAP-S-{supplier.slug}")
    return {"id": party_id, "name": link.name_as_published or supplier.name}


def _supplier_party(link: AwardSupplier) -> dict:
    number = link.supplier.companies_house_number
    party = {**_supplier(link), "roles": ["supplier"]}
    if number:
        party["identifier"] = {"scheme": "GB-COH", "id": number, "legalName": link.supplier.name}
    return party


def _award(award: AwardRecord) -> dict:
    cpv = [award.cpv_code, *award.additional_cpv_codes]
    publisher = award.publisher or "the publisher"
    return {
        "id": award.award_id,
        "title": award.title,
        "description": award.description,
        "status": award.status.lower() if award.status.lower() in AWARD_STATUSES else None,
        "date": core_ocds.iso(award.award_date),
        "value": {"amount": float(award.value_amount), "currency": award.currency}
        if award.value_amount is not None and award.currency
        else None,
        "suppliers": [_supplier(link) for link in award.award_suppliers.all()],
        "items": [
            {
                "id": "1",
                "classification": {
                    "scheme": "CPV",
                    "id": cpv[0],
                    "description": award.cpv_description,
                },
                "additionalClassifications": [{"scheme": "CPV", "id": c} for c in cpv[1:]],
            }
        ]
        if award.cpv_code
        else [],
        "contractPeriod": {
            "startDate": core_ocds.iso(award.contract_start),
            "endDate": core_ocds.iso(award.contract_end),
        },
        "documents": [
            {
                "id": f"{award.award_id}-notice",
                "documentType": "awardNotice",
                "title": f"The award as published by {publisher}",
                "url": award.notice_url,
            }
        ]
        if award.notice_url
        else [],
    }


def release(awards: list[AwardRecord], *, tags: list[str] | None = None) -> dict:
    """The awards of one published release (same ocid and release id) as that release."""
    first = awards[0]
    parties: dict[str, dict] = {}
    buyer = _buyer(first)
    if buyer:
        parties[buyer["id"]] = {**buyer, "roles": ["buyer"]}
    for award in awards:
        for link in award.award_suppliers.all():
            party = _supplier_party(link)
            parties.setdefault(party["id"], party)
    method = first.procurement_method.lower()
    tender = {
        "id": first.ocid,
        "procurementMethod": method if method in METHODS else None,
        "procurementMethodDetails": first.procurement_method_details,
    }
    kept_tags = [t for t in tags or [] if t in RELEASE_TAGS]
    return core_ocds.prune(
        {
            "ocid": first.ocid,
            "id": first.release_id,
            "date": core_ocds.iso(first.release_date or first.date_published or first.created_at),
            "tag": kept_tags or ["award"],
            "initiationType": "tender",
            "parties": list(parties.values()),
            "buyer": buyer,
            "tender": tender if tender["procurementMethod"] else None,
            "awards": [_award(award) for award in awards],
        }
    )


def processes() -> QuerySet[AwardRecord]:
    """One row per contracting process (the first award loaded for each ocid), to page by."""
    firsts = AwardRecord.objects.values("ocid").annotate(first=Min("pk")).values("first")
    return AwardRecord.objects.filter(pk__in=firsts).only("pk", "ocid").order_by("pk")


def awards_of(ocids: list[str]) -> list[AwardRecord]:
    links = AwardSupplier.objects.select_related("supplier").order_by("pk")
    return list(
        AwardRecord.objects.filter(ocid__in=ocids)
        .select_related("buyer")
        .prefetch_related(Prefetch("award_suppliers", queryset=links))
        .order_by("pk")
    )


def releases_for(ocids: list[str]) -> list[dict]:
    """The releases of these contracting processes, in the order of ``ocids``."""
    groups: dict[tuple[str, str], list[AwardRecord]] = defaultdict(list)
    for award in awards_of(ocids):
        groups[(award.ocid, award.release_id)].append(award)
    tags = {
        (ocid, release_id): tag_list
        for ocid, release_id, tag_list in PublicRelease.objects.filter(ocid__in=ocids).values_list(
            "ocid", "release_id", "tags"
        )
    }
    position = {ocid: index for index, ocid in enumerate(ocids)}
    keys = sorted(groups, key=lambda key: (position[key[0]], key[1]))
    return [release(groups[key], tags=tags.get(key)) for key in keys]


class AwardOcdsView(ApiView):
    """Awards from public contract data as an OCDS 1.1 release package (module docstring)."""

    action_permissions = {"get": ALLOW_ANY}

    @extend_schema(
        summary="Awards from public contract data as an OCDS release package",
        description="The awards Techmap loaded from published OCDS (Contracts Finder, Find a "
        "Tender), re-published with the publisher's ocid, release id, award ids and supplier "
        "party ids, each award linking to its notice. A page holds whole contracting "
        'processes; the next and previous pages are in the `Link` header (`rel="next"`, '
        '`rel="prev"`).',
        responses={200: OpenApiTypes.OBJECT},
        tags=["suppliers"],
    )
    def get(self, request):
        paginator = CursorPagination()
        page = paginator.paginate_queryset(processes(), request, view=self)
        package = core_ocds.release_package(
            releases_for([row.ocid for row in page]), uri=request.build_absolute_uri()
        )
        link = core_ocds.link_header(
            next_url=paginator.get_next_link(), prev_url=paginator.get_previous_link()
        )
        return Response(package, headers={"Link": link} if link else None)
