"""Contracts as OCDS 1.1 releases, with their reports as implementation milestones.

Each quarterly report is a milestone of type ``reporting`` whose description
lists the values; the values are also given structured under ``techmapReport``
(an additional field, allowed by the schema). Organisations are identified by
scheme ``GB-COH`` (Companies House) for suppliers.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from django.conf import settings
from django.utils import timezone

from reporting.models import Contract, ContractReport
from reporting.periods import add_quarters, period_code, period_label
from reporting.validation import display_value

PUBLISHER = {"name": "Techmap", "uri": "https://www.gov.uk"}
LICENSE = "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"


def _iso(value: datetime | date | None) -> str | None:
    if value is None:
        return None
    if not isinstance(value, datetime):
        value = datetime.combine(value, time.min, tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _buyer_party(contract: Contract) -> dict:
    return {"id": f"TECHMAP-PB-{contract.buyer.slug}", "name": contract.buyer.name}


def _supplier_party(contract: Contract) -> dict:
    number = contract.supplier.companies_house_number
    return {"id": f"GB-COH-{number}", "name": contract.supplier.name}


def milestone(report: ContractReport) -> dict:
    values = sorted(report.values.all(), key=lambda v: (v.metric.position, v.metric_id))
    lines = [f"{v.metric.name}: {display_value(v.metric, v.value)}" for v in values]
    status_text = report.get_status_display()
    return {
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
            "values": [
                {"metric": v.metric.code, "value": float(v.value), "comment": v.comment}
                for v in values
            ],
        },
    }


def release(contract: Contract, reports: list[ContractReport]) -> dict:
    buyer, supplier = _buyer_party(contract), _supplier_party(contract)
    dates = [contract.updated_at, *(r.updated_at for r in reports)]
    released = max(d for d in dates if d)
    contract_block: dict = {
        "id": f"{contract.ocid}-contract",
        "awardID": f"{contract.ocid}-award",
        "title": contract.title,
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
    }
    if contract.description:
        contract_block["description"] = contract.description
    if contract.value is not None:
        contract_block["value"] = {"amount": float(contract.value), "currency": "GBP"}
    if contract.start_date or contract.end_date:
        contract_block["period"] = {
            k: v
            for k, v in (
                ("startDate", _iso(contract.start_date)),
                ("endDate", _iso(contract.end_date)),
            )
            if v
        }
    if reports:
        contract_block["implementation"] = {"milestones": [milestone(r) for r in reports]}
    return {
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
        "awards": [
            {
                "id": f"{contract.ocid}-award",
                "status": "active",
                "suppliers": [supplier],
            }
        ],
        "contracts": [contract_block],
    }


def release_package(releases: list[dict], *, uri: str, links: dict | None = None) -> dict:
    package = {
        "uri": uri,
        "version": "1.1",
        "publishedDate": _iso(timezone.now()),
        "publisher": {**PUBLISHER, "uri": settings.SITE_URL},
        "license": LICENSE,
        "releases": releases,
    }
    if links:
        package["links"] = links
    return package
