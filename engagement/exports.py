"""Exports: responses and participants as CSV, and the UK2-style notice as an OCDS release."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from core import ocds as core_ocds
from core.csv import csv_text
from core.templatetags.govuk_time import format_govuk_datetime, format_govuk_time
from engagement.models import EngagementRequest, Participant, SupplierResponse
from suppliers.models import CpvCapability


def _when(value: datetime | None) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def responses_csv(responses: Iterable[SupplierResponse]) -> str:
    return csv_text(
        [
            "supplier",
            "companies_house_number",
            "size",
            "sme",
            "submitted_by",
            "first_submitted",
            "last_edited",
            "summary",
            "case_studies",
            "availability",
            "mark",
        ],
        (
            [
                r.supplier.name,
                r.supplier.companies_house_number,
                r.supplier.get_size_display(),
                "yes" if r.supplier.is_sme else "no",
                r.submitted_by.get_full_name() if r.submitted_by else "",
                _when(r.created_at),
                _when(r.updated_at),
                r.summary,
                "; ".join(cs.title for cs in r.case_studies.all()),
                r.availability,
                r.get_mark_display() if r.mark else "",
            ]
            for r in responses
        ),
    )


def participants_csv(participants: Iterable[Participant]) -> str:
    return csv_text(
        ["supplier", "companies_house_number", "took_part_by", "recorded", "note"],
        (
            [
                p.supplier.name,
                p.supplier.companies_house_number,
                p.get_kind_display(),
                _when(p.recorded_at),
                p.note,
            ]
            for p in participants
        ),
    )


# --- OCDS ---------------------------------------------------------------------------


def ocid_for(engagement_request: EngagementRequest) -> str:
    prefix = getattr(settings, "OCDS_OCID_PREFIX", "ocds-techmap")
    return f"{prefix}-{engagement_request.reference}"


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _session_start(er: EngagementRequest) -> datetime | None:
    if not er.session_date:
        return None
    if er.session_start:
        return timezone.make_aware(datetime.combine(er.session_date, er.session_start))
    return timezone.make_aware(datetime.combine(er.session_date, datetime.min.time()))


def how_it_runs(er: EngagementRequest) -> str:
    """The UK2 "how the engagement runs": formats, place, date and times, and the deadline."""
    parts = [f"Suppliers can take part by: {', '.join(er.get_formats_display()).lower()}."]
    if er.session_date:
        when = er.session_date.strftime("%-d %B %Y")
        if er.session_start:
            when += f", {format_govuk_time(er.session_start)}"
            if er.session_end:
                when += f" to {format_govuk_time(er.session_end)}"
        parts.append(f"Session: {when}.")
    if er.session_place:
        parts.append(f"Place: {er.session_place}.")
    if er.session_link_note:
        parts.append(f"Joining: {er.session_link_note}.")
    if er.response_deadline:
        parts.append(f"Responses close at {format_govuk_datetime(er.response_deadline)} (UK time).")
    parts.append("Respond, and ask clarification questions, through Techmap.")
    return " ".join(parts)


def cpv_classifications(er: EngagementRequest) -> list[dict]:
    """The request's capabilities as CPV classifications, from the moderators' table of CPV
    codes to capabilities (``suppliers.CpvCapability``): each code or prefix mapped to one of
    the request's capabilities, in the order of the capabilities, once each. A prefix (a
    division ``72``, a class ``7222``) is the CPV code it starts (``72000000``,
    ``72220000``), as CPV numbers its divisions, groups and classes."""
    order = {capability.pk: index for index, capability in enumerate(er.capabilities.all())}
    if not order:
        return []
    rows = CpvCapability.objects.filter(capability_id__in=order).values_list(
        "capability_id", "cpv_prefix"
    )
    codes: list[str] = []
    for _, prefix in sorted(rows, key=lambda row: (order[row[0]], row[1])):
        code = prefix.ljust(8, "0")
        if code not in codes:
            codes.append(code)
    return [{"scheme": "CPV", "id": code} for code in codes]


def notice_release(er: EngagementRequest) -> dict:
    """A UK2-style preliminary market engagement notice as an OCDS 1.1 release.

    Tag ``planning``; the contracting authority as the buyer party; title, the
    request's unique identifier and subject matter in ``tender``, with its CPV codes
    (``tender.classification`` and ``tender.additionalClassifications``, declared by the
    Techmap OCDS extension as in the Tender classification extension); how the
    engagement runs and the closing date as a ``planning.milestones`` entry of
    type ``engagement`` (plus one for a session); the notice itself as a
    document. Nothing empty is published (``core.ocds.prune``). ``er`` should come
    with capabilities loaded.
    """
    site = settings.SITE_URL
    page_url = site + reverse("engagement:detail", args=[er.pk])
    notice_url = site + reverse("engagement:notice", args=[er.pk])
    ocid = ocid_for(er)
    published = er.published_at or er.created_at
    modified = er.closed_at or er.published_at or er.updated_at
    party_id = f"GB-TECHMAP-PB-{er.public_body.slug}"
    buyer = {"id": party_id, "name": er.public_body.name}
    withdrawn = er.status == EngagementRequest.Status.WITHDRAWN
    if withdrawn:
        milestone_status = "notMet"
    elif er.is_draft or (er.is_open and not er.deadline_passed):
        milestone_status = "scheduled"
    else:
        milestone_status = "met"
    milestones = [
        {
            "id": f"{er.reference}-engagement",
            "title": "Preliminary market engagement",
            "type": "engagement",
            "description": how_it_runs(er),
            "dueDate": _iso(er.response_deadline),
            "dateModified": _iso(modified),
            "status": milestone_status,
        }
    ]
    session_at = _session_start(er)
    if session_at:
        milestones.append(
            {
                "id": f"{er.reference}-session",
                "title": "Engagement session"
                + (f" at {er.session_place}" if er.session_place else " (online)"),
                "type": "engagement",
                "description": how_it_runs(er),
                "dueDate": _iso(session_at),
                "status": "notMet" if withdrawn else milestone_status,
            }
        )
    planning: dict = {
        "rationale": er.problem,
        "milestones": milestones,
        "documents": [
            {
                "id": f"{er.reference}-notice",
                "documentType": "marketEngagementNotice",
                "title": f"Preliminary market engagement notice: {er.title}",
                "description": (
                    f"UK2-style preliminary market engagement notice for {er.title} "
                    f"({er.reference}), published by {er.public_body.name}."
                ),
                "url": notice_url,
                "datePublished": _iso(published),
                "dateModified": _iso(modified),
                "format": "application/json",
                "language": "en",
            },
            {
                "id": f"{er.reference}-page",
                "title": er.title,
                "description": "The request on Techmap: how to respond and the published Q&A.",
                "url": page_url,
                "datePublished": _iso(published),
                "format": "text/html",
                "language": "en",
            },
        ],
    }
    if er.budget_max is not None:
        planning["budget"] = {
            "description": "Indicative budget range, not a commitment to spend.",
            "amount": {"amount": float(er.budget_max), "currency": "GBP"},
        }
    tender: dict = {
        "id": er.reference,
        "title": er.title,
        "description": er.problem,
        "status": "withdrawn" if withdrawn else "planning",
        "procuringEntity": buyer,
        "mainProcurementCategory": "services",
        "submissionMethodDetails": how_it_runs(er),
        "hasEnquiries": er.questions.exists() if er.pk else False,
        "items": [
            {
                "id": str(index),
                "description": capability.name,
                "classification": {
                    "scheme": "x_techmap_capability",
                    "id": capability.code,
                    "description": capability.name,
                },
            }
            for index, capability in enumerate(er.capabilities.all(), start=1)
        ],
    }
    cpv = cpv_classifications(er)
    if cpv:
        tender["classification"] = cpv[0]
        tender["additionalClassifications"] = cpv[1:]
    if er.response_deadline:
        tender["enquiryPeriod"] = {
            "startDate": _iso(er.published_at),
            "endDate": _iso(er.response_deadline),
        }
    if er.budget_min is not None:
        tender["minValue"] = {"amount": float(er.budget_min), "currency": "GBP"}
    if er.budget_max is not None:
        tender["value"] = {"amount": float(er.budget_max), "currency": "GBP"}
    if er.procurement_timing:
        tender["procurementMethodDetails"] = f"Expected procurement: {er.procurement_timing}"
    return core_ocds.prune(
        {
            "ocid": ocid,
            "id": f"{ocid}-{er.reference}-{int(modified.timestamp())}",
            "date": _iso(modified),
            "tag": ["planning"],
            "initiationType": "tender",
            "language": "en",
            "parties": [
                {
                    "id": party_id,
                    "name": er.public_body.name,
                    "roles": ["buyer", "procuringEntity"],
                    "contactPoint": {
                        "name": f"{er.public_body.name} engagement team",
                        "url": page_url,
                    },
                }
            ],
            "buyer": buyer,
            "planning": planning,
            "tender": tender,
        }
    )


def notice_package(er: EngagementRequest) -> dict:
    """The notice as an OCDS 1.1 release package, listing the Techmap extension (which
    declares ``tender.classification``): what to give the OCDS Data Review Tool."""
    uri = settings.SITE_URL + reverse("engagement:notice", args=[er.pk])
    return core_ocds.release_package([notice_release(er)], uri=uri)
