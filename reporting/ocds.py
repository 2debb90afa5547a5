"""Contracts as OCDS 1.1 releases, with their reports as implementation milestones.

Each quarterly report is a milestone of type ``reporting`` whose description lists the
values as people read them; the values are also given structured under ``techmapReport``,
a field declared by the Techmap OCDS extension (``core/ocds/extension``, listed in every
package's ``extensions``; the fields are documented in its README). Organisations are
identified by scheme ``GB-COH`` (Companies House) for suppliers.

A contract that came from public contract data (an imported award,
``suppliers.AwardRecord``) keeps the publisher's identifiers: the award is published under
the publisher's award id, with the publisher's notice as a document; the ocid is the
contract's own, never re-prefixed.

Nothing is published empty (``core.ocds.prune``): no blank comment, no empty array.
"""

from __future__ import annotations

from decimal import Decimal

from django.utils import timezone

from core import ocds as core_ocds
from core.ocds import iso as _iso
from reporting.models import Contract, ContractReport, Rating, ReportValue
from reporting.periods import add_quarters, period_code, period_label
from reporting.validation import display_value
from suppliers.models import AwardRecord

# The codes of the extension's techmapRating codelist, by the rating's number (UK9 scale).
RATING_CODES = {
    Rating.GOOD: "good",
    Rating.APPROACHING_TARGET: "approachingTarget",
    Rating.REQUIRES_IMPROVEMENT: "requiresImprovement",
    Rating.INADEQUATE: "inadequate",
}


def _buyer_party(contract: Contract) -> dict:
    return {"id": f"TECHMAP-PB-{contract.buyer.slug}", "name": contract.buyer.name}


def _supplier_party(contract: Contract) -> dict:
    number = contract.supplier.companies_house_number
    return {"id": f"GB-COH-{number}", "name": contract.supplier.name}


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def report_value(value: ReportValue) -> dict:
    """One value of a report as a ``techmapReport.values`` entry (extension fields)."""
    entry: dict = {"metric": value.metric.code, "value": _number(value.value)}
    if value.metric.is_rating and value.value == value.value.to_integral_value():
        code = RATING_CODES.get(int(value.value))
        if code:
            entry["rating"] = code
    entry["comment"] = value.comment
    return entry


def milestone(report: ContractReport) -> dict:
    values = sorted(report.values.all(), key=lambda v: (v.metric.position, v.metric_id))
    lines = [f"{v.metric.name}: {display_value(v.metric, v.value)}" for v in values]
    status_text = report.get_status_display()
    return core_ocds.prune(
        {
            "id": f"report-{period_code(report.period)}",
            "title": f"Performance report, {period_label(report.period)}",
            "type": "reporting",
            "description": f"{status_text}. " + "; ".join(lines),
            "code": f"techmap-standard-v{report.scheme.version}",
            "dueDate": _iso(add_quarters(report.period, 1)),
            "dateMet": _iso(report.submitted_at),
            "dateModified": _iso(report.updated_at),
            "status": "met",
            "techmapReport": {
                "period": period_code(report.period),
                "status": report.status,
                "schemeVersion": report.scheme.version,
                "values": [report_value(v) for v in values],
            },
        }
    )


def _award(contract: Contract, supplier: dict, source: AwardRecord | None) -> dict:
    """The award: Techmap's own id, or the publisher's for a contract from public data."""
    if source is None:
        return {"id": f"{contract.ocid}-award", "status": "active", "suppliers": [supplier]}
    publisher = source.publisher or "the publisher"
    return {
        "id": source.award_id,
        "status": "active",
        "suppliers": [supplier],
        "documents": [
            {
                "id": f"{source.award_id}-notice",
                "documentType": "awardNotice",
                "title": f"The award as published by {publisher}",
                "url": source.notice_url,
                "language": "en",
            }
        ]
        if source.notice_url
        else [],
    }


def release(
    contract: Contract, reports: list[ContractReport], *, source: AwardRecord | None = None
) -> dict:
    """One contract as an OCDS release, its ``reports`` (those the reader may see) as
    milestones. ``source``: the imported award this contract came from, if any."""
    buyer, supplier = _buyer_party(contract), _supplier_party(contract)
    dates = [contract.updated_at, *(r.updated_at for r in reports)]
    released = max(d for d in dates if d)
    award = _award(contract, supplier, source)
    contract_block: dict = {
        "id": f"{contract.ocid}-contract",
        "awardID": award["id"],
        "title": contract.title,
        "description": contract.description,
        "status": contract.status,
        "items": [
            {
                "id": "1",
                "description": contract.category.name,
                "classification": {
                    "scheme": "X-TECHMAP",
                    "id": contract.category.code,
                    "description": contract.category.name,
                },
            }
        ],
        "period": {
            "startDate": _iso(contract.start_date),
            "endDate": _iso(contract.end_date),
        },
        "implementation": {"milestones": [milestone(r) for r in reports]},
    }
    if contract.value is not None:
        contract_block["value"] = {"amount": float(contract.value), "currency": "GBP"}
    return core_ocds.prune(
        {
            "ocid": contract.ocid,
            "id": f"{contract.ocid}-techmap-{released:%Y%m%dT%H%M%S}",
            "date": _iso(released),
            "tag": ["contract", "implementation"] if reports else ["contract"],
            "initiationType": "tender",
            "language": "en",
            "parties": [
                {**buyer, "roles": ["buyer"]},
                {
                    **supplier,
                    "identifier": {
                        "scheme": "GB-COH",
                        "id": contract.supplier.companies_house_number,
                        "legalName": contract.supplier.name,
                    },
                    "roles": ["supplier"],
                },
            ],
            "buyer": buyer,
            "awards": [award],
            "contracts": [contract_block],
        }
    )


def release_package(releases: list[dict], *, uri: str) -> dict:
    """The releases as an OCDS 1.1 release package listing the Techmap extension. Paging
    goes in the response's ``Link`` header (``core.ocds.link_header``), not the package."""
    return core_ocds.release_package(releases, uri=uri, published=timezone.now())
