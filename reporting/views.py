"""Contract reporting pages. Thin: parse, authorise, call a service or selector, render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.forms import apply_domain_error
from reporting import charts, exports, forms, permissions, selectors, services
from reporting.filters import ContractFilter
from reporting.models import Contract, ContractReport, MetricDefinition
from reporting.periods import by_quarter, open_periods, period_code
from reporting.validation import display_value
from suppliers.models import CapabilityGroup, Supplier

PAGE_SIZE = 25


def _deny(request: HttpRequest) -> HttpResponse:
    """Anonymous visitors are sent to sign in; signed-in people without the right get a 403."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    raise PermissionDenied


def _filter_errors(filterset) -> list[str]:
    return [
        f"{filterset.form.fields[name].label}: {message}"
        for name, errors in filterset.form.errors.items()
        if name in filterset.form.fields
        for message in errors
    ]


# --- Overview and lists ----------------------------------------------------------


@require_GET
def overview(request: HttpRequest) -> HttpResponse:
    """/reporting/: the latest period, how many contracts report, ratings by category."""
    data = selectors.overview()
    user = request.user
    return render(
        request,
        "reporting/overview.html",
        {
            **data,
            "can_create": permissions.can_create_contract(user),
            "is_supplier": permissions.can_upload_reports(user),
        },
    )


@require_GET
def contract_list(request: HttpRequest) -> HttpResponse:
    filterset = ContractFilter(request.GET, queryset=selectors.contracts_base())
    paginator = Paginator(filterset.qs, PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    return render(
        request,
        "reporting/contract_list.html",
        {
            "form": filterset.form,
            "page_obj": page,
            "contracts": page.object_list,
            "filter_errors": _filter_errors(filterset),
            "can_create": permissions.can_create_contract(request.user),
            "categories": CapabilityGroup.objects.all(),
        },
    )


@require_GET
def yours(request: HttpRequest) -> HttpResponse:
    """The contracts a supplier reports on or a buyer reviews, with what needs doing."""
    user = request.user
    if not user.is_authenticated:
        return _deny(request)
    return render(
        request,
        "reporting/yours.html",
        {
            **selectors.yours(user),
            "is_supplier": permissions.can_upload_reports(user),
            "can_create": permissions.can_create_contract(user),
        },
    )


# --- Contracts -------------------------------------------------------------------


def contract_detail(request: HttpRequest, pk: int) -> HttpResponse:
    contract = get_object_or_404(selectors.contracts_base(), pk=pk)
    page = selectors.contract_page(contract, request.user)
    reported = {row.report.period for row in page["rows"]}
    return render(
        request,
        "reporting/contract_detail.html",
        {
            "contract": contract,
            **page,
            "rating_chart": charts.rating_chart(page["ratings"]),
            "can_submit": permissions.can_submit_report(request.user, contract)
            and bool(open_periods(contract, reported)),
            "can_edit": permissions.can_edit_contract(request.user, contract),
            "is_buyer": permissions.is_buyer_of(request.user, contract),
        },
    )


@require_http_methods(["GET", "POST"])
def contract_new(request: HttpRequest) -> HttpResponse:
    if not permissions.can_create_contract(request.user):
        return _deny(request)
    # Started from an award notice in the public record: its details filled in.
    award = selectors.award_for_contract(request.user, request.GET.get("award"))
    initial = {}
    if award is not None:
        values = services.award_contract_values(list(services.awards_of_process([award.ocid])))
        suppliers = values.pop("suppliers")
        initial = {
            **{k: v for k, v in values.items() if k in services.CONTRACT_FIELDS},
            "ocid": award.ocid,
            "supplier": suppliers[0] if len(suppliers) == 1 else None,
            "category": values["category_id"],
        }
    form = forms.ContractForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            contract = services.contract_create(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_domain_error(form, error)
        else:
            messages.success(request, f"Contract {contract.ocid} recorded.")
            return redirect("reporting:contract", contract.pk)
    context = {
        "form": form,
        "contract": None,
        "award": award,
        "awards": [] if award else selectors.awards_to_record(request.user),
    }
    return render(request, "reporting/contract_form.html", context)


@require_http_methods(["GET", "POST"])
def contract_edit(request: HttpRequest, pk: int) -> HttpResponse:
    contract = get_object_or_404(Contract, pk=pk)
    if not permissions.can_edit_contract(request.user, contract):
        return _deny(request)
    initial = {name: getattr(contract, name) for name in services.CONTRACT_FIELDS}
    form = forms.ContractForm(request.POST or None, initial=initial, editing=True)
    if request.method == "POST" and form.is_valid():
        try:
            services.contract_update(actor=request.user, contract=contract, **form.cleaned_data)
        except ValidationError as error:
            apply_domain_error(form, error)
        else:
            messages.success(request, "Contract saved.")
            return redirect("reporting:contract", contract.pk)
    return render(request, "reporting/contract_form.html", {"form": form, "contract": contract})


# --- Reports ---------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def report_new(request: HttpRequest, pk: int) -> HttpResponse:
    """The report form, generated from the current scheme."""
    contract = get_object_or_404(selectors.contracts_base(), pk=pk)
    if not permissions.can_submit_report(request.user, contract):
        return _deny(request)
    scheme = services.scheme_current()
    reported = set(contract.reports.values_list("period", flat=True))
    periods = open_periods(contract, reported)
    # Bound on every POST: an empty one is a form with everything missing, not a new form.
    data = request.POST if request.method == "POST" else None
    form = forms.ReportForm(data, scheme=scheme, periods=periods)
    if request.method == "POST" and form.is_valid():
        try:
            report = services.report_submit(
                actor=request.user,
                contract=contract,
                period=form.cleaned_data["period"],
                values=form.values(),
                comments=form.comments(),
            )
        except ValidationError as error:
            apply_domain_error(form, error, prefix="value_")
        else:
            messages.success(request, f"Report for {report.period_label} submitted.")
            return redirect("reporting:report", report.pk)
    return render(
        request,
        "reporting/report_form.html",
        {"form": form, "contract": contract, "scheme": scheme, "periods": periods},
    )


def _get_report(request: HttpRequest, pk: int) -> ContractReport:
    """The report if ``request.user`` may see it, else 404 (a queried report is not public)."""
    visible = selectors.reports_visible_to(request.user)
    return get_object_or_404(selectors.reports_with_related(visible), pk=pk)


@require_GET
def report_detail(request: HttpRequest, pk: int) -> HttpResponse:
    report = _get_report(request, pk)
    return _render_report(request, report)


def _render_report(request, report, query_form=None, reply_form=None, status=200):
    user = request.user
    contract = report.contract
    by_metric = {value.metric_id: value for value in report.values.all()}
    cells = [
        (
            m,
            by_metric.get(m.pk),
            display_value(m, by_metric[m.pk].value) if m.pk in by_metric else "",
        )
        for m in report.scheme.metrics.all()
    ]
    trail = permissions.can_see_report_trail(user, contract)
    can_decide = permissions.can_decide_report(user, report)
    can_reply = permissions.can_reply_to_report(user, report)
    return render(
        request,
        "reporting/report_detail.html",
        {
            "report": report,
            "contract": contract,
            "cells": cells,
            "events": list(report.events.select_related("actor")) if trail else [],
            "trail": trail,
            "can_accept": can_decide and report.status != ContractReport.Status.ACCEPTED,
            "can_query": can_decide,
            "can_reply": can_reply,
            "can_revise": permissions.can_revise_report(user, report),
            "query_form": query_form or (forms.QueryForm() if can_decide else None),
            "reply_form": reply_form or (forms.ReplyForm() if can_reply else None),
        },
        status=status,
    )


@require_POST
def report_accept(request: HttpRequest, pk: int) -> HttpResponse:
    report = _get_report(request, pk)
    if not permissions.can_decide_report(request.user, report):
        return _deny(request)
    try:
        services.report_accept(actor=request.user, report=report)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"Report for {report.period_label} accepted.")
    return redirect("reporting:report", report.pk)


@require_POST
def report_query(request: HttpRequest, pk: int) -> HttpResponse:
    report = _get_report(request, pk)
    if not permissions.can_decide_report(request.user, report):
        return _deny(request)
    form = forms.QueryForm(request.POST)
    if form.is_valid():
        try:
            services.report_query(
                actor=request.user, report=report, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            apply_domain_error(form, error)
        else:
            messages.success(request, "Report queried. The supplier has been told.")
            return redirect("reporting:report", report.pk)
    return _render_report(request, report, query_form=form, status=400)


@require_POST
def report_reply(request: HttpRequest, pk: int) -> HttpResponse:
    report = _get_report(request, pk)
    if not permissions.can_reply_to_report(request.user, report):
        return _deny(request)
    form = forms.ReplyForm(request.POST)
    if form.is_valid():
        try:
            services.report_reply(
                actor=request.user, report=report, message=form.cleaned_data["message"]
            )
        except ValidationError as error:
            apply_domain_error(form, error)
        else:
            messages.success(request, "Reply sent to the buyer.")
            return redirect("reporting:report", report.pk)
    return _render_report(request, report, reply_form=form, status=400)


@require_http_methods(["GET", "POST"])
def report_revise(request: HttpRequest, pk: int) -> HttpResponse:
    report = _get_report(request, pk)
    if not permissions.can_revise_report(request.user, report):
        return _deny(request)
    form = forms.ReportForm(
        request.POST if request.method == "POST" else None,
        scheme=report.scheme,
        initial=forms.report_initial(report),
        submit_label="Resubmit report",
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.report_revise(
                actor=request.user,
                report=report,
                values=form.values(),
                comments=form.comments(),
            )
        except ValidationError as error:
            apply_domain_error(form, error, prefix="value_")
        else:
            messages.success(request, "Report corrected and sent to the buyer again.")
            return redirect("reporting:report", report.pk)
    return render(
        request,
        "reporting/report_form.html",
        {"form": form, "contract": report.contract, "scheme": report.scheme, "report": report},
    )


# --- CSV upload ------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def upload(request: HttpRequest) -> HttpResponse:
    if not permissions.can_upload_reports(request.user):
        return _deny(request)
    form = forms.CsvUploadForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        try:
            result = services.reports_import_csv(
                actor=request.user, content=form.cleaned_data["file"].read()
            )
        except ValidationError as error:
            apply_domain_error(form, error)
    scheme = services.scheme_current()
    return render(
        request,
        "reporting/upload.html",
        {
            "form": form,
            "result": result,
            "scheme": scheme,
            "columns": services.csv_columns(scheme),
            "problems": result.problems[:500] if result else [],
        },
        status=400 if form.errors else 200,
    )


@require_GET
def upload_template(request: HttpRequest) -> HttpResponse:
    return exports.csv_response(services.csv_template(), "techmap-report-template.csv")


# --- Benchmarks and scorecards ---------------------------------------------------


@require_GET
def benchmark_index(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "reporting/benchmark_index.html",
        {"groups": selectors.benchmark_index(), "period": selectors.latest_period()},
    )


@require_GET
def benchmark(request: HttpRequest, category: str, metric: str) -> HttpResponse:
    """One metric in one category: box plots per quarter, the table, where contracts sit."""
    category = get_object_or_404(CapabilityGroup, code=category)
    series = selectors.benchmark_series(category, metric)
    metric_obj = series[-1].metric if series else None
    if metric_obj is None:
        metric_obj = (
            MetricDefinition.objects.filter(code=metric).order_by("-scheme__version").first()
        )
        if metric_obj is None:
            raise Http404
    chosen = series[-1] if series else None
    wanted = request.GET.get("period", "")
    for row in series:
        if row.period_code == wanted:
            chosen = row
    contract = None
    marker_values = {}
    contract_id = request.GET.get("contract", "")
    if contract_id.isdigit():
        contract = Contract.objects.filter(pk=int(contract_id), category=category).first()
        if contract:
            marker_values = selectors.contract_metric_values(contract, metric)
    positions = selectors.benchmark_positions(chosen) if chosen else []
    quarters = by_quarter(series, lambda b: b.period)
    rows = []
    for period, benchmarks in quarters:
        if not benchmarks:  # a gap, shown as one, not skipped
            rows.append({"gap": True, "period_code": period_code(period)})
        for b in benchmarks:
            rows.append(
                {
                    "benchmark": b,
                    "min": display_value(b.metric, b.minimum),
                    "q1": display_value(b.metric, b.q1),
                    "median": display_value(b.metric, b.median),
                    "q3": display_value(b.metric, b.q3),
                    "max": display_value(b.metric, b.maximum),
                    "mean": display_value(b.metric, b.mean),
                    "marker": display_value(b.metric, marker_values[b.period])
                    if b.period in marker_values
                    else "",
                }
            )
    slots = [(period, b) for period, benchmarks in quarters for b in benchmarks or [None]]
    return render(
        request,
        "reporting/benchmark.html",
        {
            "category": category,
            "metric": metric_obj,
            "series": rows,
            "chosen": chosen,
            "positions": positions,
            "chart": charts.box_plot(slots, marker_values, rating=metric_obj.is_rating),
            "contract": contract,
            "periods": [(b.period_code, b.period_label) for b in series],
            "other_metrics": MetricDefinition.objects.filter(scheme=metric_obj.scheme).exclude(
                pk=metric_obj.pk
            ),
        },
    )


@require_GET
def scorecard(request: HttpRequest, slug: str) -> HttpResponse:
    supplier = get_object_or_404(Supplier, slug=slug, status=Supplier.Status.PUBLISHED)
    data = selectors.scorecard(supplier)
    points = [
        (row.period_code, row.composite * 100 if row.composite is not None else None)
        for row in data["score_rows"]
    ]
    return render(
        request,
        "reporting/scorecard.html",
        {
            "supplier": supplier,
            **data,
            "chart": charts.line_chart(points, 0, 100) if points else {},
        },
    )


# --- Downloads -------------------------------------------------------------------


@require_GET
def download(request: HttpRequest, name: str) -> HttpResponse:
    writers = {
        "benchmarks": exports.benchmarks_csv,
        "scores": exports.scores_csv,
        "reports": exports.reports_csv,
        "contracts": exports.contracts_csv,
    }
    if name not in writers:
        raise Http404
    return exports.streaming_csv_response(writers[name](request.user), f"techmap-{name}.csv")


def benchmark_url(category_code: str, metric_code: str, **params) -> str:
    from urllib.parse import urlencode

    url = reverse("reporting:benchmark", args=[category_code, metric_code])
    return f"{url}?{urlencode(params)}" if params else url
