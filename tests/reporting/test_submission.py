"""One check and one write for every way a report comes in (form, API, CSV upload),
the email policy, and one visibility rule for selectors, API, pages and permissions."""

from __future__ import annotations

import html

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import OutboundEmail
from core.errors import DomainError
from reporting import permissions, selectors, services
from reporting.models import ContractReport, ReportEvent
from reporting.periods import add_quarters, current_quarter, open_periods, period_code
from tests.reporting.factories import GOOD_VALUES, ContractFactory, last_quarter, values
from tests.reporting.test_csv import good_row, make_csv

# Persona fixtures are asked for by name (request.getfixturevalue), which pytest-django
# cannot see when it orders tests: the mark keeps these tests before the transactional ones.
pytestmark = pytest.mark.django_db


def _api_message(client_for, user, contract, period, column, **overrides):
    body = {
        "contract": contract.ocid,
        "period": period_code(period),
        "values": {**GOOD_VALUES, **overrides},
    }
    response = client_for(user, "write").post("/api/v1/reports/", body, format="json")
    assert response.status_code == 400, response.content
    return response.json()["error"]["fields"][column][0]["message"]


def _csv_message(user, contract, period, column, **overrides):
    result = services.reports_import_csv(
        actor=user, content=make_csv([good_row(contract, period=period, **overrides)])
    )
    assert not result.created
    return {p.column: p.message for p in result.problems if p.row == 2}[column]


@pytest.mark.parametrize(
    ("case", "column"),
    [
        ("duplicate", "period"),
        ("not_started", "period"),
        ("before_the_contract", "period"),
        ("out_of_range", "milestones_on_time"),
        ("wrong_unit", "priority_1_incidents"),
        ("required", "user_satisfaction"),
    ],
)
def test_api_and_csv_refuse_with_the_same_check(client_for, owner, supplier, case, column):
    contract = ContractFactory(supplier=supplier, start_date=add_quarters(current_quarter(), -4))
    period, overrides = last_quarter(), {}
    if case == "duplicate":
        services.report_submit(actor=owner, contract=contract, period=period, values=values())
    elif case == "not_started":
        period = add_quarters(current_quarter(), 1)
    elif case == "before_the_contract":
        period = last_quarter(6)
    else:
        overrides = {
            "out_of_range": {"milestones_on_time": "150"},
            "wrong_unit": {"priority_1_incidents": "£3"},
            "required": {"user_satisfaction": ""},
        }[case]
    by_api = _api_message(client_for, owner, contract, period, column, **overrides)
    by_csv = _csv_message(owner, contract, period, column, **overrides)
    assert by_api == by_csv
    assert ContractReport.objects.count() == (1 if case == "duplicate" else 0)


@pytest.mark.parametrize(
    ("overrides", "column"),
    [
        ({"milestones_on_time": "150"}, "milestones_on_time"),
        ({"priority_1_incidents": "£3"}, "priority_1_incidents"),
        ({"user_satisfaction": ""}, "user_satisfaction"),
    ],
)
def test_the_form_shows_the_message_the_csv_gives(client, owner, contract, overrides, column):
    by_csv = _csv_message(owner, contract, last_quarter(), column, **overrides)
    client.force_login(owner)
    data = {f"value_{k}": v for k, v in {**GOOD_VALUES, **overrides}.items()}
    data |= {"value_overall_rating": "good", "period": period_code(last_quarter())}
    page = client.post(reverse("reporting:report_new", args=[contract.pk]), data)
    assert page.status_code == 200
    assert by_csv in html.unescape(page.content.decode())
    assert not ContractReport.objects.exists()


def test_a_wrong_scheme_version_is_refused_alike(client_for, owner, contract):
    response = client_for(owner, "write").post(
        "/api/v1/reports/",
        {
            "contract": contract.ocid,
            "period": period_code(last_quarter()),
            "values": GOOD_VALUES,
            "scheme_version": 9,
        },
        format="json",
    )
    by_api = response.json()["error"]["fields"]["scheme_version"][0]["message"]
    header = ["ocid", "period", "scheme_version", *GOOD_VALUES]
    result = services.reports_import_csv(
        actor=owner, content=make_csv([{**good_row(contract), "scheme_version": "9"}], header)
    )
    assert [p.message for p in result.problems if p.column == "scheme_version"] == [by_api]
    assert not ContractReport.objects.exists()


def test_a_csv_row_is_written_like_a_form_report(owner, contract):
    services.reports_import_csv(actor=owner, content=make_csv([good_row(contract)]))
    by_csv = ContractReport.objects.get()
    by_form = services.report_submit(
        actor=owner, contract=contract, period=last_quarter(2), values=values()
    )
    for report in (by_csv, by_form):
        assert report.status == "submitted" and report.submitted_by == owner
        assert report.values.count() == 8
        assert [e.kind for e in report.events.all()] == ["submitted"]
        assert report.history.get().history_user == owner
    assert by_csv.history.get().history_change_reason == "Submitted by CSV upload"
    assert by_form.history.get().history_change_reason == "Submitted"


# --- Who may upload: the cast ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "outcome"),
    [
        ("owner", "saved"),
        ("member", "saved"),
        ("other_owner", "not yours"),
        ("civil_servant", "denied"),
        ("moderator", "denied"),
        ("anonymous", "denied"),
    ],
)
def test_who_uploads_reports(request, contract, who, outcome):
    user = request.getfixturevalue(who)
    content = make_csv([good_row(contract)])
    if outcome == "denied":
        with pytest.raises(PermissionDenied):
            services.reports_import_csv(actor=user, content=content)
        assert not ContractReport.objects.exists()
        return
    result = services.reports_import_csv(actor=user, content=content)
    if outcome == "saved":
        assert len(result.created) == 1 and not result.problems
    else:
        assert not result.created
        assert [(p.row, p.column) for p in result.problems] == [(2, "ocid")]
        assert "not your contract" in result.problems[0].message
        assert not ContractReport.objects.exists()


@pytest.mark.parametrize(
    ("who", "status"),
    [("member", 200), ("civil_servant", 403), ("moderator", 403), ("anonymous", 302)],
)
def test_who_opens_the_upload_page(client, request, contract, who, status):
    user = request.getfixturevalue(who)
    if user.is_authenticated:
        client.force_login(user)
    upload = SimpleUploadedFile("r.csv", make_csv([good_row(contract)]), "text/csv")
    assert client.post(reverse("reporting:upload"), {"file": upload}).status_code == status
    assert ContractReport.objects.exists() == (status == 200)


# --- The email policy -----------------------------------------------------------------------


def test_an_upload_emails_each_buyer_once_with_all_their_reports(
    owner, supplier, civil_servant, other_civil_servant
):
    mine = [ContractFactory(supplier=supplier, created_by=civil_servant) for _ in range(2)]
    theirs = ContractFactory(supplier=supplier, created_by=other_civil_servant)
    rows = [good_row(c, period=last_quarter(back)) for c in mine for back in (1, 2)]
    rows.append(good_row(theirs))
    result = services.reports_import_csv(actor=owner, content=make_csv(rows))
    assert len(result.created) == 5
    to_mine = OutboundEmail.objects.get(to=civil_servant.email)
    assert to_mine.subject == "4 new reports to review"
    assert to_mine.body.count("/reporting/reports/") == 4
    to_theirs = OutboundEmail.objects.get(to=other_civil_servant.email)
    assert to_theirs.subject.startswith("New report to review")
    assert OutboundEmail.objects.count() == 2


def test_accepting_and_correcting_email_nobody(owner, supplier, civil_servant):
    contract = ContractFactory(
        supplier=supplier, buyer=civil_servant.public_body, created_by=civil_servant
    )
    report = services.report_submit(
        actor=owner, contract=contract, period=last_quarter(), values=values()
    )
    services.report_query(actor=civil_servant, report=report, reason="Check")
    before = OutboundEmail.objects.count()
    services.report_revise(actor=owner, report=report, values=values())
    services.report_accept(actor=civil_servant, report=report)
    assert OutboundEmail.objects.count() == before
    assert list(report.events.values_list("kind", flat=True)) == [
        ReportEvent.Kind.SUBMITTED,
        ReportEvent.Kind.QUERIED,
        ReportEvent.Kind.REVISED,
        ReportEvent.Kind.ACCEPTED,
    ]


# --- One visibility rule --------------------------------------------------------------------

SEES_A_QUERIED_REPORT = [
    ("owner", True),
    ("member", True),
    ("civil_servant", True),
    ("moderator", True),
    ("other_owner", False),
    ("other_civil_servant", False),
    ("anonymous", False),
]


@pytest.mark.parametrize(("who", "sees"), SEES_A_QUERIED_REPORT)
def test_selectors_api_pages_and_permissions_agree_on_who_sees_a_report(
    client, client_for, request, contract, submit, civil_servant, who, sees
):
    queried, public = submit(contract), submit(contract, period=last_quarter(2))
    services.report_query(actor=civil_servant, report=queried, reason="Private")
    user = request.getfixturevalue(who)
    api = client_for(user, "read") if user.is_authenticated else APIClient()
    if user.is_authenticated:
        client.force_login(user)
    for report, expected in ((queried, sees), (public, True)):
        assert permissions.can_see_report(user, report) is expected
        assert selectors.reports_visible_to(user).filter(pk=report.pk).exists() is expected
        page = client.get(reverse("reporting:report", args=[report.pk]))
        assert page.status_code == (200 if expected else 404)
        assert api.get(f"/api/v1/reports/{report.pk}/").status_code == (200 if expected else 404)
    listed = {r["id"] for r in api.get("/api/v1/reports/").json()["results"]}
    assert listed == ({queried.pk, public.pk} if sees else {public.pk})
    exported = b"".join(client.get("/reporting/downloads/reports.csv").streaming_content)
    assert (b"queried" in exported) is sees


def test_the_form_offers_exactly_the_quarters_the_check_accepts(owner, supplier):
    contract = ContractFactory(
        supplier=supplier,
        start_date=add_quarters(current_quarter(), -4),
        end_date=add_quarters(current_quarter(), -2),
    )
    offered = open_periods(contract, set())
    assert offered == [last_quarter(2), last_quarter(3), last_quarter(4)]
    check = services.SubmissionCheck(actor=owner, contracts=[contract])
    for back in range(0, 7):
        period = last_quarter(back)
        try:
            check.check(contract=contract, period=period, values=values())
        except DomainError:
            accepted = False
        else:
            accepted = True
        assert accepted is (period in offered), period
