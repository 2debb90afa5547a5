"""Admin goes through the reporting services: each test tries an admin path as a
moderator would (the page's own form, changed and posted) and expects the service's
refusal, or the service's result."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from core.errors import DomainError
from reporting import services
from reporting.models import (
    Contract,
    ContractReport,
    MetricDefinition,
    PeriodChange,
    ReportingScheme,
)
from tests import factories
from tests.admin_forms import admin_errors, admin_form_data, inline_prefix
from tests.reporting.factories import last_quarter

# Persona fixtures are asked for by name (request.getfixturevalue), which pytest-django
# cannot see when it orders tests: the mark keeps these tests before the transactional ones.
pytestmark = pytest.mark.django_db

CONTRACTS = "/admin/reporting/contract/"
SCHEMES = "/admin/reporting/reportingscheme/"


@pytest.fixture
def admin_client(client, moderator):
    client.force_login(moderator)
    return client


def change_url(base: str, pk: int) -> str:
    return f"{base}{pk}/change/"


# --- Contracts ------------------------------------------------------------------------------


def test_admin_cannot_save_an_end_date_before_the_start_date(admin_client, contract):
    url = change_url(CONTRACTS, contract.pk)
    data = admin_form_data(admin_client, url)
    data |= {"start_date": "2024-06-01", "end_date": "2024-01-01", "title": "Renamed"}
    errors = admin_errors(admin_client.post(url, data))
    assert "The end date must be the same as or after the start date." in errors
    contract.refresh_from_db()
    assert contract.title != "Renamed" and contract.end_date is None


def test_admin_contract_edit_is_the_service_edit(admin_client, contract, submit):
    submit(contract)
    PeriodChange.objects.all().delete()
    url = change_url(CONTRACTS, contract.pk)
    group = factories.CapabilityGroupFactory()
    data = admin_form_data(admin_client, url) | {"title": "Renamed", "category": group.pk}
    assert admin_client.post(url, data).status_code == 302
    contract.refresh_from_db()
    assert contract.title == "Renamed" and contract.category == group
    assert contract.history.first().history_change_reason == "Edited"
    # A new category moves the contract's reports in the comparison.
    assert list(PeriodChange.objects.values_list("period", flat=True)) == [last_quarter()]


def test_admin_keeps_the_ocid_and_buyer_read_only(admin_client, contract):
    url = change_url(CONTRACTS, contract.pk)
    other = factories.PublicBodyFactory()
    data = admin_form_data(admin_client, url)
    assert "ocid" not in data and "buyer" not in data and "created_by" not in data
    data |= {"ocid": "ocds-test01-changed", "buyer": other.pk, "title": "Still saved"}
    assert admin_client.post(url, data).status_code == 302
    contract.refresh_from_db()
    assert contract.ocid != "ocds-test01-changed" and contract.buyer != other
    assert contract.title == "Still saved"


def test_admin_records_a_contract_through_the_service(admin_client, moderator, contract):
    data = admin_form_data(admin_client, f"{CONTRACTS}add/") | {
        "ocid": contract.ocid,
        "title": "Copy",
        "buyer": contract.buyer_id,
        "supplier": contract.supplier_id,
        "category": contract.category_id,
        "status": "active",
        "start_date": "2024-06-01",
        "end_date": "2024-01-01",
    }
    errors = admin_errors(admin_client.post(f"{CONTRACTS}add/", data))
    assert "The end date must be the same as or after the start date." in errors
    data["end_date"] = ""
    errors = admin_errors(admin_client.post(f"{CONTRACTS}add/", data))
    assert any("already recorded" in e for e in errors)
    data["ocid"] = "ocds-test01-admin-1"
    assert admin_client.post(f"{CONTRACTS}add/", data).status_code == 302
    made = Contract.objects.get(ocid="ocds-test01-admin-1")
    assert made.created_by == moderator
    assert made.history.get().history_change_reason == "Recorded"


def test_admin_removal_marks_the_periods_for_recomputing(admin_client, contract, submit):
    submit(contract)
    PeriodChange.objects.all().delete()
    url = f"{CONTRACTS}{contract.pk}/delete/"
    assert admin_client.post(url, {"post": "yes"}).status_code == 302
    assert not Contract.objects.filter(pk=contract.pk).exists()
    assert not ContractReport.objects.exists()
    assert list(PeriodChange.objects.values_list("period", flat=True)) == [last_quarter()]


@pytest.mark.parametrize("who", ["owner", "member", "other_owner", "civil_servant", "anonymous"])
def test_only_moderators_remove_contracts(request, contract, who):
    with pytest.raises(PermissionDenied):
        services.contract_delete(actor=request.getfixturevalue(who), contract=contract)
    assert Contract.objects.filter(pk=contract.pk).exists()


def test_reports_are_view_only_in_admin(admin_client, contract, submit):
    report = submit(contract)
    url = f"/admin/reporting/contractreport/{report.pk}/change/"
    assert admin_client.get(url).status_code == 200
    assert admin_client.post(url, {}).status_code == 403
    assert (
        admin_client.post(
            f"/admin/reporting/contractreport/{report.pk}/delete/", {"post": "yes"}
        ).status_code
        == 403
    )
    assert ContractReport.objects.filter(pk=report.pk).exists()


@pytest.mark.parametrize("who", ["owner", "civil_servant"])
def test_non_staff_never_reach_the_reporting_admin(client, request, contract, who):
    client.force_login(request.getfixturevalue(who))
    url = change_url(CONTRACTS, contract.pk)
    assert client.get(url).status_code == 302  # to the admin sign-in
    client.post(url, {"title": "Hacked"})
    contract.refresh_from_db()
    assert contract.title != "Hacked"


# --- Schemes --------------------------------------------------------------------------------


def test_admin_refuses_a_second_draft(admin_client, moderator, scheme):
    services.scheme_new_draft(actor=moderator, scheme=scheme)
    data = {"code": scheme.code, "name": "Another", "description": ""}
    errors = admin_errors(admin_client.post(f"{SCHEMES}add/", data))
    assert any("already a draft" in e for e in errors)
    assert ReportingScheme.objects.filter(code=scheme.code).count() == 2


def test_admin_adds_a_scheme_as_a_new_draft_version(admin_client, scheme):
    data = {"code": scheme.code, "name": "Standard, next", "description": "Fewer metrics"}
    assert admin_client.post(f"{SCHEMES}add/", data).status_code == 302
    made = ReportingScheme.objects.get(name="Standard, next")
    assert (made.version, made.status, made.metrics.count()) == (2, "draft", 0)
    assert made.history.get().history_change_reason == "Created"
    scheme.refresh_from_db()
    assert scheme.status == "published"


def test_admin_post_to_a_published_version_is_refused(admin_client, scheme):
    url = change_url(SCHEMES, scheme.pk)
    data = admin_form_data(admin_client, url) | {"name": "Changed", "description": "x"}
    errors = admin_errors(admin_client.post(url, data))
    assert any("never changes" in e for e in errors)
    scheme.refresh_from_db()
    assert scheme.name == "Techmap contract performance standard"


def test_admin_metric_edits_on_a_published_version_change_nothing(admin_client, scheme):
    url = change_url(SCHEMES, scheme.pk)
    prefix = inline_prefix(admin_client, url, "metricdefinition")
    data = admin_form_data(admin_client, url) | {
        f"{prefix}-0-weight": "9",
        f"{prefix}-0-DELETE": "on",
    }
    admin_client.post(url, data)
    assert scheme.metrics.count() == 8
    assert not scheme.metrics.filter(weight=9).exists()


def test_admin_metric_edits_on_a_draft_go_through_the_service(admin_client, moderator, scheme):
    draft = services.scheme_new_draft(actor=moderator, scheme=scheme)
    url = change_url(SCHEMES, draft.pk)
    prefix = inline_prefix(admin_client, url, "metricdefinition")
    data = admin_form_data(admin_client, url)
    index = next(i for i in range(8) if data[f"{prefix}-{i}-code"] == "milestones_on_time")
    bad = data | {f"{prefix}-{index}-min_value": "50", f"{prefix}-{index}-max_value": "10"}
    assert admin_errors(admin_client.post(url, bad))
    metric = draft.metrics.get(code="milestones_on_time")
    assert metric.min_value == Decimal("0")
    good = data | {f"{prefix}-{index}-weight": "2", "name": "Draft two"}
    assert admin_client.post(url, good).status_code == 302
    metric.refresh_from_db()
    draft.refresh_from_db()
    assert metric.weight == Decimal("2") and draft.name == "Draft two"
    assert scheme.metrics.get(code="milestones_on_time").weight == Decimal("1")


@pytest.mark.parametrize("who", ["owner", "member", "other_owner", "civil_servant", "anonymous"])
def test_only_moderators_create_or_edit_schemes(request, moderator, scheme, who):
    user = request.getfixturevalue(who)
    draft = services.scheme_new_draft(actor=moderator, scheme=scheme)
    metric = draft.metrics.first()
    metric.weight = Decimal("3")
    calls = [
        lambda: services.scheme_create(actor=user, code="other", name="Other"),
        lambda: services.scheme_update(actor=user, scheme=draft, name="Mine"),
        lambda: services.scheme_metric_save(actor=user, metric=metric),
        lambda: services.scheme_metric_delete(actor=user, metric=metric),
        lambda: services.scheme_discard_draft(actor=user, scheme=draft),
    ]
    for call in calls:
        with pytest.raises(PermissionDenied):
            call()
    draft.refresh_from_db()
    assert draft.name == scheme.name and draft.metrics.count() == 8
    assert not MetricDefinition.objects.filter(weight=3).exists()


def test_published_versions_never_change_through_any_service(moderator, scheme):
    metric = scheme.metrics.first()
    metric.weight = Decimal("3")
    calls = [
        lambda: services.scheme_update(actor=moderator, scheme=scheme, name="Mine"),
        lambda: services.scheme_metric_save(actor=moderator, metric=metric),
        lambda: services.scheme_metric_delete(actor=moderator, metric=metric),
        lambda: services.scheme_discard_draft(actor=moderator, scheme=scheme),
    ]
    for call in calls:
        with pytest.raises(DomainError, match="never changes"):
            call()
    assert scheme.metrics.count() == 8
    assert not MetricDefinition.objects.filter(weight=3).exists()


def test_discarding_a_draft(admin_client, moderator, scheme):
    draft = services.scheme_new_draft(actor=moderator, scheme=scheme)
    admin_client.post(
        SCHEMES, {"action": "discard_drafts", "_selected_action": [draft.pk, scheme.pk]}
    )
    assert list(ReportingScheme.objects.values_list("pk", flat=True)) == [scheme.pk]
    assert scheme.metrics.count() == 8


def test_contract_dates_still_checked_by_the_web_form(civil_servant, contract):
    with pytest.raises(DomainError):
        services.contract_update(
            actor=civil_servant,
            contract=contract,
            start_date=datetime.date(2024, 6, 1),
            end_date=datetime.date(2024, 1, 1),
        )
