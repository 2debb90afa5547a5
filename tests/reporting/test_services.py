"""Contracts and reports through the services: permissions with the whole cast, rules,
history, events, emails and the change markers the comparison reads."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from accounts.models import OutboundEmail
from core.errors import DomainError
from reporting import services
from reporting.models import Contract, ContractReport, PeriodChange, ReportEvent
from reporting.periods import add_quarters, current_quarter, period_code
from tests import factories
from tests.reporting.factories import ContractFactory, last_quarter, values

# Persona fixtures are asked for by name (request.getfixturevalue), which pytest-django
# cannot see when it orders tests: the mark keeps these tests before the transactional ones.
pytestmark = pytest.mark.django_db

# --- Contracts ---------------------------------------------------------------------------


def _create(user, supplier, **extra):
    return services.contract_create(
        actor=user,
        ocid=extra.pop("ocid", "ocds-test01-new-1"),
        title="Hosting",
        supplier=supplier,
        category=factories.CapabilityGroupFactory(),
        value=Decimal("250000"),
        **extra,
    )


def test_civil_servant_records_a_contract_for_their_own_body(civil_servant, supplier):
    other_body = factories.PublicBodyFactory()
    contract = _create(civil_servant, supplier, buyer=other_body)
    assert contract.buyer == civil_servant.public_body  # not the body they named
    assert contract.created_by == civil_servant
    assert contract.history.count() == 1


def test_moderator_names_the_buyer(moderator, supplier):
    body = factories.PublicBodyFactory()
    assert _create(moderator, supplier, buyer=body).buyer == body


@pytest.mark.parametrize("who", ["owner", "member", "other_owner", "anonymous"])
def test_others_cannot_record_contracts(request, supplier, who):
    with pytest.raises(PermissionDenied):
        _create(request.getfixturevalue(who), supplier)


def test_contract_rules(civil_servant, supplier):
    _create(civil_servant, supplier)
    with pytest.raises(DomainError) as caught:
        _create(civil_servant, supplier)
    assert "ocid" in caught.value.message_dict
    with pytest.raises(DomainError) as caught:
        _create(civil_servant, supplier, ocid="not-an-ocid")
    assert "ocid" in caught.value.message_dict
    with pytest.raises(DomainError) as caught:
        _create(
            civil_servant,
            supplier,
            ocid="ocds-test01-new-2",
            start_date=current_quarter(),
            end_date=add_quarters(current_quarter(), -2),
        )
    assert "end_date" in caught.value.message_dict


@pytest.mark.parametrize(
    ("who", "allowed"),
    [
        ("civil_servant", True),
        ("moderator", True),
        ("other_civil_servant", False),
        ("owner", False),
        ("member", False),
        ("other_owner", False),
        ("anonymous", False),
    ],
)
def test_who_edits_a_contract(request, contract, who, allowed):
    user = request.getfixturevalue(who)
    if allowed:
        services.contract_update(actor=user, contract=contract, title="Renamed")
        contract.refresh_from_db()
        assert contract.title == "Renamed"
    else:
        with pytest.raises(PermissionDenied):
            services.contract_update(actor=user, contract=contract, title="Renamed")


def test_moving_a_contract_marks_its_periods(contract, civil_servant, submit):
    submit(contract, period=last_quarter(2))
    PeriodChange.objects.all().delete()
    services.contract_update(actor=civil_servant, contract=contract, title="Only the title")
    assert not PeriodChange.objects.exists()
    new_group = factories.CapabilityGroupFactory()
    services.contract_update(actor=civil_servant, contract=contract, category=new_group)
    assert list(PeriodChange.objects.values_list("period", flat=True)) == [last_quarter(2)]


# --- Submitting ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "allowed"),
    [
        ("owner", True),
        ("member", True),
        ("other_owner", False),
        ("civil_servant", False),
        ("moderator", False),
        ("anonymous", False),
    ],
)
def test_who_submits_a_report(request, contract, who, allowed):
    user = request.getfixturevalue(who)
    call = lambda: services.report_submit(  # noqa: E731
        actor=user, contract=contract, period=last_quarter(), values=values()
    )
    if allowed:
        report = call()
        assert report.status == "submitted"
        assert report.values.count() == 8
        assert report.history.count() == 1
        assert [e.kind for e in report.events.all()] == ["submitted"]
        assert PeriodChange.objects.filter(period=last_quarter()).exists()
    else:
        with pytest.raises(PermissionDenied):
            call()
        assert not ContractReport.objects.exists()


def test_submission_emails_the_buyer_who_recorded_it(owner, supplier, civil_servant):
    contract = ContractFactory(
        supplier=supplier, buyer=civil_servant.public_body, created_by=civil_servant
    )
    services.report_submit(actor=owner, contract=contract, period=last_quarter(), values=values())
    email = OutboundEmail.objects.get()
    assert email.to == civil_servant.email
    assert "/reporting/reports/" in email.body


def test_submission_rules(owner, contract):
    services.report_submit(actor=owner, contract=contract, period=last_quarter(), values=values())
    with pytest.raises(DomainError) as caught:
        services.report_submit(
            actor=owner, contract=contract, period=period_code(last_quarter()), values=values()
        )
    assert "already been submitted" in caught.value.message_dict["period"][0]
    with pytest.raises(DomainError) as caught:
        services.report_submit(
            actor=owner,
            contract=contract,
            period=add_quarters(current_quarter(), 1),
            values=values(),
        )
    assert "has not started" in caught.value.message_dict["period"][0]
    with pytest.raises(DomainError) as caught:
        services.report_submit(actor=owner, contract=contract, period="2025-Q9", values=values())
    assert "period" in caught.value.message_dict
    with pytest.raises(DomainError) as caught:
        services.report_submit(
            actor=owner,
            contract=contract,
            period=last_quarter(2),
            values=values(milestones_on_time="150", overall_rating="7", mood="happy"),
        )
    errors = caught.value.message_dict
    assert set(errors) == {"milestones_on_time", "overall_rating", "mood"}
    with pytest.raises(DomainError) as caught:
        services.report_submit(
            actor=owner,
            contract=contract,
            period=last_quarter(2),
            values=values(),
            scheme_version=9,
        )
    assert "scheme_version" in caught.value.message_dict
    assert ContractReport.objects.count() == 1


def test_period_must_fall_within_the_contract(owner, supplier, civil_servant):
    contract = ContractFactory(
        supplier=supplier,
        buyer=civil_servant.public_body,
        start_date=add_quarters(current_quarter(), -2),
        end_date=add_quarters(current_quarter(), -1),
    )
    with pytest.raises(DomainError, match="started"):
        services.report_submit(
            actor=owner, contract=contract, period=last_quarter(3), values=values()
        )


# --- Buyer decisions and the right of reply -------------------------------------------------

DECIDERS = [
    ("civil_servant", True),
    ("other_civil_servant", False),
    ("owner", False),
    ("member", False),
    ("other_owner", False),
    ("moderator", False),
    ("anonymous", False),
]


@pytest.mark.parametrize(("who", "allowed"), DECIDERS)
def test_who_accepts(request, contract, submit, who, allowed):
    report = submit(contract)
    user = request.getfixturevalue(who)
    if allowed:
        services.report_accept(actor=user, report=report)
        report.refresh_from_db()
        assert report.status == "accepted" and report.decided_by == user
        with pytest.raises(DomainError, match="already"):
            services.report_accept(actor=user, report=report)
    else:
        with pytest.raises(PermissionDenied):
            services.report_accept(actor=user, report=report)


@pytest.mark.parametrize(("who", "allowed"), DECIDERS)
def test_who_queries(request, contract, submit, who, allowed):
    report = submit(contract)
    user = request.getfixturevalue(who)
    if allowed:
        with pytest.raises(DomainError):
            services.report_query(actor=user, report=report, reason="  ")
        services.report_query(actor=user, report=report, reason="Milestones look wrong.")
        report.refresh_from_db()
        assert report.status == "queried" and report.query_reason == "Milestones look wrong."
    else:
        with pytest.raises(PermissionDenied):
            services.report_query(actor=user, report=report, reason="Why?")


@pytest.mark.parametrize(
    ("who", "allowed"),
    [
        ("owner", True),
        ("member", True),
        ("other_owner", False),
        ("civil_servant", False),
        ("moderator", False),
        ("anonymous", False),
    ],
)
def test_right_of_reply(request, contract, submit, civil_servant, who, allowed):
    report = submit(contract)
    user = request.getfixturevalue(who)
    with pytest.raises(PermissionDenied if not allowed else DomainError):  # nothing to reply to
        services.report_reply(actor=user, report=report, message="Early")
    services.report_query(actor=civil_servant, report=report, reason="Explain the incidents.")
    if allowed:
        services.report_reply(actor=user, report=report, message="Two were false alarms.")
        report.refresh_from_db()
        assert report.reply == "Two were false alarms."
    else:
        with pytest.raises(PermissionDenied):
            services.report_reply(actor=user, report=report, message="No")


def test_the_whole_trail_is_history(contract, submit, civil_servant, owner):
    report = submit(contract)
    services.report_query(actor=civil_servant, report=report, reason="Too good to be true.")
    emails = OutboundEmail.objects.filter(subject__startswith="Your report was queried")
    assert owner.email in {e.to for e in emails}
    services.report_reply(actor=owner, report=report, message="We can show the evidence.")
    assert OutboundEmail.objects.filter(
        to=civil_servant.email, subject__startswith="Reply"
    ).exists()
    services.report_revise(actor=owner, report=report, values=values(milestones_on_time="80"))
    report.refresh_from_db()
    assert report.status == "submitted"
    assert report.values.get(metric__code="milestones_on_time").value == Decimal("80")
    services.report_accept(actor=civil_servant, report=report)
    kinds = list(report.events.values_list("kind", flat=True))
    assert kinds == ["submitted", "queried", "replied", "revised", "accepted"]
    revised = report.events.get(kind="revised")
    assert revised.data["previous"]["milestones_on_time"][0] == "95.0000"
    reasons = [h.history_change_reason for h in report.history.order_by("history_date")]
    assert reasons == [
        "Submitted",
        "Queried",
        "Supplier replied",
        "Revised after a query",
        "Accepted",
    ]


def test_revise_only_a_queried_report(contract, submit, owner, other_owner, civil_servant):
    report = submit(contract)
    with pytest.raises(DomainError, match="queried"):
        services.report_revise(actor=owner, report=report, values=values())
    services.report_query(actor=civil_servant, report=report, reason="Check.")
    with pytest.raises(PermissionDenied):
        services.report_revise(actor=other_owner, report=report, values=values())
    with pytest.raises(DomainError):
        services.report_revise(actor=owner, report=report, values=values(user_satisfaction="9"))
    assert ReportEvent.objects.filter(kind="revised").count() == 0


def test_contract_count_is_unchanged_by_reports(contract, submit):
    submit(contract)
    assert Contract.objects.count() == 1
