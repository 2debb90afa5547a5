"""Bad metric values and bad CSV cells get a clear answer on every way in (form, CSV, API),
never a 500, and nothing already saved is lost.

``Decimal("1e9999999")`` is a finite number that fits no numeric column: abs() or quantize()
of it raised decimal.Overflow, a 500 on the form, the API and the CSV upload alike. A NUL byte
in a CSV cell reached PostgreSQL, which refused the whole file's write: the good rows were
lost too."""

from __future__ import annotations

import json
from decimal import Decimal
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from core.errors import DomainError
from reporting import services
from reporting.models import Contract, ContractReport, MetricDefinition, ReportValue, Unit
from reporting.validation import LIMIT, WHOLE_DIGITS, MetricValueError, parse_value
from tests import factories
from tests.api.conftest import assert_error
from tests.reporting.factories import ContractFactory, last_quarter, values
from tests.reporting.test_api import body
from tests.reporting.test_csv import good_row, make_csv
from tests.reporting.test_import_contracts import release
from tests.reporting.test_views import form_data

pytestmark = pytest.mark.django_db

HOSTILE_NUMBERS = ["1e9999999", "-1e9999999", "-1e400", "9" * 400, "inf", "-Infinity", "nan"]


def test_the_limit_is_read_from_the_value_column():
    column = ReportValue._meta.get_field("value")
    assert column.max_digits - column.decimal_places == WHOLE_DIGITS
    assert Decimal(10) ** WHOLE_DIGITS == LIMIT


@pytest.mark.parametrize("raw", HOSTILE_NUMBERS + ["9999999999.99999", "1e10"])
def test_numbers_no_column_can_hold_are_refused_with_a_reason(raw):
    money = MetricDefinition(code="spend", name="Spend", unit=Unit.POUNDS)
    with pytest.raises(MetricValueError) as refused:
        parse_value(money, raw)
    assert refused.value.code in ("invalid", "out_of_range")
    assert "Spend" in refused.value.message
    percent = MetricDefinition(
        code="pc", name="Share", unit=Unit.PERCENT, min_value=Decimal(0), max_value=Decimal(100)
    )
    with pytest.raises(MetricValueError):
        parse_value(percent, raw)


def test_the_largest_value_the_column_holds_is_kept_and_tiny_ones_round_to_zero():
    money = MetricDefinition(code="spend", name="Spend", unit=Unit.POUNDS)
    assert parse_value(money, "9999999999.9999") == Decimal("9999999999.9999")
    assert parse_value(money, "1e-9999999") == 0
    assert parse_value(money, "0E+9999999") == 0


@pytest.mark.parametrize("raw", HOSTILE_NUMBERS)
def test_the_report_form_shows_a_field_error(client, owner, supplier, raw):
    contract = ContractFactory(supplier=supplier)
    client.force_login(owner)
    url = reverse("reporting:report_new", args=[contract.pk])
    response = client.post(url, form_data(value_spend_against_budget=raw))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert set(errors) == {"value_spend_against_budget"}, errors
    assert not ContractReport.objects.exists()


@pytest.mark.parametrize("raw", HOSTILE_NUMBERS)
def test_the_api_answers_a_structured_400(client_for, owner, supplier, raw):
    contract = ContractFactory(supplier=supplier)
    client = client_for(owner, "write")
    response = client.post(
        "/api/v1/reports/", body(contract, spend_against_budget=raw), format="json"
    )
    error = assert_error(response, 400)
    assert set(error["fields"]) == {"spend_against_budget"}, error
    assert not ContractReport.objects.exists()


def test_the_api_refuses_a_json_number_too_big_for_a_float(client_for, owner, supplier):
    """1e9999999 as a JSON number (not a string) parses to float inf: the value field refuses
    it before the service sees it, still naming the metric."""
    contract = ContractFactory(supplier=supplier)
    client = client_for(owner, "write")
    payload = json.dumps(body(contract, sme_subcontract_spend="HUGE")).replace(
        '"HUGE"', "1e9999999"
    )
    response = client.post("/api/v1/reports/", payload, content_type="application/json")
    error = assert_error(response, 400)
    assert set(error["fields"]) == {"values.sme_subcontract_spend"}, error
    assert not ContractReport.objects.exists()


def test_a_queried_report_corrected_with_an_overflowing_value_keeps_its_values(
    owner, contract, submit, civil_servant
):
    report = submit(contract, user=owner)
    services.report_query(actor=civil_servant, report=report, reason="Check the spend")
    with pytest.raises(DomainError) as refused:
        services.report_revise(
            actor=owner, report=report, values=values(spend_against_budget="1e9999999")
        )
    assert set(refused.value.message_dict) == {"spend_against_budget"}
    assert report.values.count() == 8  # nothing already saved was lost


@pytest.mark.parametrize("raw", HOSTILE_NUMBERS)
def test_the_csv_upload_reports_the_row_and_keeps_the_good_rows(owner, supplier, raw):
    good, bad = ContractFactory(supplier=supplier), ContractFactory(supplier=supplier)
    content = make_csv([good_row(good), good_row(bad, spend_against_budget=raw)])
    result = services.reports_import_csv(actor=owner, content=content)
    assert [r.contract for r in result.created] == [good]
    assert [(p.row, p.column) for p in result.problems] == [(3, "spend_against_budget")]


# --- NUL bytes in CSV cells --------------------------------------------------------------------


@pytest.mark.parametrize(
    "column", ["ocid", "period", "milestones_on_time", "milestones_on_time_comment"]
)
def test_a_nul_byte_in_a_cell_refuses_that_row_only(owner, supplier, column):
    mine = [ContractFactory(supplier=supplier) for _ in range(3)]
    hostile = good_row(mine[1], milestones_on_time_comment="Fine")
    hostile[column] = hostile[column][:3] + "\x00" + hostile[column][3:]
    content = make_csv([good_row(mine[0]), hostile, good_row(mine[2])])
    result = services.reports_import_csv(actor=owner, content=content)
    assert {r.contract for r in result.created} == {mine[0], mine[2]}
    problems = [(p.row, p.column) for p in result.problems]
    assert (3, column) in problems and {row for row, _ in problems} == {3}
    nul = next(p for p in result.problems if p.column == column)
    assert "NUL character" in nul.message
    assert ContractReport.objects.count() == 2


def test_the_upload_page_lists_the_nul_row_and_saves_the_rest(client, owner, supplier):
    mine = [ContractFactory(supplier=supplier) for _ in range(2)]
    content = make_csv(
        [good_row(mine[0]), good_row(mine[1], milestones_on_time_comment="bad\x00comment")]
    )
    client.force_login(owner)
    upload = SimpleUploadedFile("reports.csv", content, content_type="text/csv")
    response = client.post(reverse("reporting:upload"), {"file": upload})
    assert response.status_code == 200
    assert "NUL character" in response.content.decode()
    assert list(ContractReport.objects.values_list("contract", flat=True)) == [mine[0].pk]


def test_a_comment_with_a_nul_byte_is_refused_by_the_service(owner, contract):
    with pytest.raises(DomainError) as refused:
        services.report_submit(
            actor=owner,
            contract=contract,
            period=last_quarter(),
            values=values(),
            comments={"milestones_on_time": "late\x00"},
        )
    assert "NUL" in refused.value.message_dict["milestones_on_time"][0]
    assert not ContractReport.objects.exists()


# --- import_contracts: deep JSON and numbers no column holds -----------------------------------

DEEP = "[" * 1000 + "]" * 1000  # 2 KB: a RecursionError traceback from json.loads before


@pytest.fixture
def known_parties():
    factories.PublicBodyFactory(name="Department for Test 0")
    factories.SupplierFactory(companies_house_number="01234567")


def _import(path) -> tuple[int, str, str]:
    out, err = StringIO(), StringIO()
    try:
        call_command("import_contracts", str(path), stdout=out, stderr=err)
    except SystemExit as exited:
        return exited.code, out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def test_a_deep_release_is_refused_alone_and_the_others_load(tmp_path, known_parties):
    good = [release(f"ocds-test01-deep-{n}", "01234567") for n in (1, 3)]
    text = json.dumps({"releases": [good[0], "DEEP", good[1]]}).replace('"DEEP"', DEEP)
    path = tmp_path / "package.json"
    path.write_text(text)
    code, out, _ = _import(path)
    assert code == 1
    assert "Contracts: created 2," in out
    assert "release 2 (no ocid): it nests more than 64 levels deep" in out
    assert set(Contract.objects.values_list("ocid", flat=True)) == {
        "ocds-test01-deep-1",
        "ocds-test01-deep-3",
    }


@pytest.mark.parametrize("amount", ["1e9999999", "9" * 400, "-1e400"])
def test_a_value_no_column_holds_is_kept_as_no_value(tmp_path, known_parties, amount):
    """The importer's rule (parse_amount): an amount no column holds, like a negative or
    zero one, is "no value published"; the release and its contract still load."""
    big = release("ocds-test01-big-1", "01234567")
    big["awards"][0]["value"]["amount"] = "AMOUNT"
    fine = release("ocds-test01-big-2", "01234567")
    path = tmp_path / "package.json"
    path.write_text(json.dumps({"releases": [big, fine]}).replace('"AMOUNT"', amount))
    code, out, _ = _import(path)
    assert code == 0 and "Contracts: created 2," in out and "Traceback" not in out
    assert dict(Contract.objects.values_list("ocid", "value")) == {
        "ocds-test01-big-1": None,
        "ocds-test01-big-2": Decimal("125000.50"),
    }
