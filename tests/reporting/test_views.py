"""The reporting pages: who sees and does what, forms with GOV.UK errors, fixed query
counts on lists, malformed query strings, CSV downloads."""

from __future__ import annotations

import html

import pytest
from django.urls import reverse

from core.querystring import MAX_QUERY_VALUE_LENGTH
from reporting import services
from reporting.comparison import run_comparison
from reporting.models import ContractReport
from reporting.periods import period_code
from tests import factories
from tests.reporting.factories import GOOD_VALUES, ContractFactory, last_quarter

# Persona fixtures are asked for by name (request.getfixturevalue), which pytest-django
# cannot see when it orders tests: the mark keeps these tests before the transactional ones.
pytestmark = pytest.mark.django_db


@pytest.fixture
def compared(contract, submit, civil_servant):
    """Six contracts in the contract's category, reported and compared for last quarter."""
    submit(contract, milestones_on_time=40)
    for value in (50, 60, 70, 80, 90):
        submit(ContractFactory(category=contract.category), milestones_on_time=value)
    run_comparison(full=True)
    return contract


def form_data(period=None, **overrides) -> dict:
    data = {f"value_{k}": v for k, v in GOOD_VALUES.items()}
    data["value_overall_rating"] = "good"
    data["period"] = period_code(period or last_quarter())
    data.update(overrides)
    return data


# --- Public pages ---------------------------------------------------------------------------


def test_public_pages_render_for_anyone(client, compared, django_assert_max_num_queries):
    category, supplier = compared.category, compared.supplier
    pages = [
        reverse("reporting:overview"),
        reverse("reporting:contracts"),
        reverse("reporting:contract", args=[compared.pk]),
        reverse("reporting:benchmarks"),
        reverse("reporting:benchmark", args=[category.code, "milestones_on_time"])
        + f"?contract={compared.pk}",
        reverse("reporting:scorecard", args=[supplier.slug]),
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        assert b"govuk-heading" in response.content
    overview = client.get(reverse("reporting:overview")).content.decode()
    assert "Ratings by category" in overview and "<table" in overview and "<svg" in overview


def test_benchmark_page_shows_the_distribution_and_where_the_contract_sits(
    client, compared, django_assert_max_num_queries
):
    url = reverse("reporting:benchmark", args=[compared.category.code, "milestones_on_time"])
    with django_assert_max_num_queries(10):
        page = client.get(url, {"contract": compared.pk}).content.decode()
    assert "Lower quartile" in page and "<svg" in page
    assert "(this contract)" in page
    assert "The red diamond is" in page
    assert "65%" in page  # the median of 40..90 in the table


def test_scorecard_shows_composite_and_medians(client, compared, django_assert_max_num_queries):
    with django_assert_max_num_queries(10):
        page = client.get(reverse("reporting:scorecard", args=[compared.supplier.slug]))
    text = page.content.decode()
    assert "Composite score by quarter" in text
    assert "Each metric against its category median" in text
    assert "Worse" in text  # 40% is below the median of 65%


@pytest.mark.parametrize(
    ("query", "explained"),
    [
        ("?status=nonsense", "Status: Select a valid choice. nonsense is not one of"),
        ("?category=%00", "Category: Null characters are not allowed."),
        ("?page=-1", None),
        ("?page=abc", None),
        ("?q=" + "x" * (MAX_QUERY_VALUE_LENGTH + 1), None),
    ],
)
def test_malformed_query_strings_are_ignored_or_explained(client, db, query, explained):
    contract = ContractFactory()
    response = client.get(reverse("reporting:contracts") + query)
    assert response.status_code == 200
    page = html.unescape(response.content.decode())
    # Ignored: the list is the one without the parameter, on its first page.
    assert "1 contract" in page and contract.title in page
    assert response.context["page_obj"].number == 1
    if explained:
        assert "Some filters were not understood and have been ignored" in page
        assert explained in page
    else:
        assert "not understood" not in page


def test_unknown_benchmark_and_bad_params(client, compared):
    assert client.get(reverse("reporting:benchmark", args=["nope", "x"])).status_code == 404
    url = reverse("reporting:benchmark", args=[compared.category.code, "milestones_on_time"])
    assert client.get(url, {"contract": "abc", "period": "2099-Q9"}).status_code == 200
    assert client.get(reverse("reporting:scorecard", args=["no-such"])).status_code == 404


def test_lists_run_a_fixed_number_of_queries(client, db, django_assert_max_num_queries):
    ContractFactory.create_batch(30)
    with django_assert_max_num_queries(8):
        assert client.get(reverse("reporting:contracts")).status_code == 200


def test_contract_page_query_count_does_not_grow(
    client, contract, submit, civil_servant, django_assert_max_num_queries
):
    client.force_login(civil_servant)
    for back in range(1, 7):
        submit(contract, period=last_quarter(back))
    run_comparison(full=True)
    with django_assert_max_num_queries(20):
        assert client.get(reverse("reporting:contract", args=[contract.pk])).status_code == 200


def test_downloads(client, compared):
    for name, header in [
        ("benchmarks", "period,scheme_version,category,metric"),
        ("scores", "period,scheme_version,supplier"),
        ("reports", "ocid,period,status,scheme_version,metric,value"),
        ("contracts", "ocid,title,buyer"),
    ]:
        response = client.get(reverse("reporting:download", args=[name]))
        assert response.status_code == 200
        body = b"".join(response.streaming_content).decode()
        assert body.startswith("\ufeff" + header)  # Excel reads the byte order mark
        assert len(body.splitlines()) > 1
    assert client.get("/reporting/downloads/secrets.csv").status_code == 404
    template = client.get(reverse("reporting:upload_template")).content.decode()
    assert template.startswith("ocid,period,overall_rating,overall_rating_comment")


def test_queried_reports_are_hidden_from_the_public(client, contract, submit, civil_servant):
    report = submit(contract)
    services.report_query(actor=civil_servant, report=report, reason="Private reason")
    url = reverse("reporting:report", args=[report.pk])
    assert client.get(url).status_code == 404
    page = client.get(reverse("reporting:contract", args=[contract.pk])).content.decode()
    assert "Private reason" not in page
    client.force_login(civil_servant)
    assert "Private reason" in client.get(url).content.decode()


# --- Forms and actions ----------------------------------------------------------------------


def test_supplier_submits_a_report_by_form(client, owner, contract):
    client.force_login(owner)
    url = reverse("reporting:report_new", args=[contract.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert b"Overall KPI rating" in page.content and b"Approaching target" in page.content
    response = client.post(url, form_data())
    report = ContractReport.objects.get()
    assert response.status_code == 302 and response.url == reverse(
        "reporting:report", args=[report.pk]
    )
    assert report.values.count() == 8


def test_form_errors_are_shown_beside_fields_and_summarised(client, owner, contract):
    client.force_login(owner)
    url = reverse("reporting:report_new", args=[contract.pk])
    response = client.post(
        url,
        form_data(
            value_milestones_on_time="150",
            value_user_satisfaction="",
            value_priority_1_incidents="£3",
        ),
    )
    text = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in text and "govuk-error-summary" in text
    assert "must be between 0 and 100" in text
    assert "Enter user satisfaction" in text
    assert "not money" in text
    assert not ContractReport.objects.exists()


@pytest.mark.parametrize(
    ("who", "status"),
    [("other_owner", 403), ("civil_servant", 403), ("moderator", 403), ("anonymous", 302)],
)
def test_others_cannot_open_the_report_form(client, request, contract, who, status):
    user = request.getfixturevalue(who)
    if user.is_authenticated:
        client.force_login(user)
    url = reverse("reporting:report_new", args=[contract.pk])
    assert client.get(url).status_code == status
    assert client.post(url, form_data()).status_code == status
    assert not ContractReport.objects.exists()


def test_buyer_queries_and_supplier_replies_then_buyer_accepts(
    client, contract, submit, civil_servant, owner
):
    report = submit(contract)
    client.force_login(civil_servant)
    detail = reverse("reporting:report", args=[report.pk])
    assert b"Accept the report" in client.get(detail).content
    empty = client.post(reverse("reporting:report_query", args=[report.pk]), {"reason": ""})
    assert empty.status_code == 400 and b"Say what is wrong" in empty.content
    client.post(reverse("reporting:report_query", args=[report.pk]), {"reason": "Why so low?"})
    report.refresh_from_db()
    assert report.status == "queried"
    client.force_login(owner)
    assert b"Answer the query" in client.get(detail).content
    client.post(reverse("reporting:report_reply", args=[report.pk]), {"message": "Staff illness."})
    client.force_login(civil_servant)
    client.post(reverse("reporting:report_accept", args=[report.pk]))
    report.refresh_from_db()
    assert report.status == "accepted" and report.reply == "Staff illness."
    page = client.get(reverse("reporting:contract", args=[contract.pk])).content.decode()
    assert "Why so low?" in page and "Staff illness." in page


@pytest.mark.parametrize("who", ["owner", "other_civil_servant", "moderator", "other_owner"])
def test_only_the_buyer_decides(client, request, contract, submit, who):
    report = submit(contract)
    client.force_login(request.getfixturevalue(who))
    assert client.post(reverse("reporting:report_accept", args=[report.pk])).status_code == 403
    response = client.post(reverse("reporting:report_query", args=[report.pk]), {"reason": "x"})
    assert response.status_code == 403
    report.refresh_from_db()
    assert report.status == "submitted"


def test_supplier_corrects_a_queried_report(client, contract, submit, civil_servant, owner):
    report = submit(contract)
    services.report_query(actor=civil_servant, report=report, reason="Recheck milestones")
    client.force_login(owner)
    url = reverse("reporting:report_revise", args=[report.pk])
    page = client.get(url).content.decode()
    assert "Recheck milestones" in page and 'value="95"' in page
    data = form_data(value_milestones_on_time="70")
    data.pop("period")
    assert client.post(url, data).status_code == 302
    report.refresh_from_db()
    assert report.status == "submitted"


def test_csv_upload_page(client, owner, supplier):
    contract = ContractFactory(supplier=supplier)
    client.force_login(owner)
    header = "ocid,period," + ",".join(GOOD_VALUES)
    good = f"{contract.ocid},{period_code(last_quarter())}," + ",".join(GOOD_VALUES.values())
    bad = f"{contract.ocid},{period_code(last_quarter(2))},Great," + ",".join(
        list(GOOD_VALUES.values())[1:]
    )
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("reports.csv", f"{header}\n{good}\n{bad}\n".encode(), "text/csv")
    response = client.post(reverse("reporting:upload"), {"file": upload})
    text = response.content.decode()
    assert "1 report submitted" in text
    assert "1 row not saved" in text and "must be one of Good" in text
    assert ContractReport.objects.count() == 1
    wrong = SimpleUploadedFile("reports.pdf", b"%PDF", "application/pdf")
    response = client.post(reverse("reporting:upload"), {"file": wrong})
    assert response.status_code == 400 and b"must be a CSV" in response.content


def test_upload_needs_a_supplier(client, civil_servant):
    client.force_login(civil_servant)
    assert client.get(reverse("reporting:upload")).status_code == 403


def test_buyer_records_and_edits_a_contract(client, civil_servant, supplier):
    client.force_login(civil_servant)
    group = factories.CapabilityGroupFactory()
    data = {
        "ocid": "ocds-test01-form-1",
        "title": "Case management",
        "supplier": supplier.pk,
        "category": group.pk,
        "value": "50000",
        "start_date_0": "1",
        "start_date_1": "4",
        "start_date_2": "2024",
        "status": "active",
    }
    response = client.post(reverse("reporting:contract_new"), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    again = client.post(reverse("reporting:contract_new"), data)
    assert b"already recorded" in again.content
    contract = supplier.contracts.get()
    assert contract.buyer == civil_servant.public_body
    edit = reverse("reporting:contract_edit", args=[contract.pk])
    data["title"] = "Case management v2"
    assert client.post(edit, data).status_code == 302
    contract.refresh_from_db()
    assert contract.title == "Case management v2"


@pytest.mark.parametrize("who", ["owner", "other_civil_servant", "anonymous"])
def test_others_cannot_edit_contracts(client, request, contract, who):
    user = request.getfixturevalue(who)
    if user.is_authenticated:
        client.force_login(user)
    response = client.get(reverse("reporting:contract_edit", args=[contract.pk]))
    assert response.status_code in (302, 403)
    if who == "owner":
        assert client.get(reverse("reporting:contract_new")).status_code == 403


def test_yours_lists_work_to_do(client, contract, submit, civil_servant, owner):
    report = submit(contract)
    client.force_login(civil_servant)
    assert "Reports to review" in client.get(reverse("reporting:yours")).content.decode()
    services.report_query(actor=civil_servant, report=report, reason="x")
    client.force_login(owner)
    assert "Reports the buyer queried" in client.get(reverse("reporting:yours")).content.decode()
