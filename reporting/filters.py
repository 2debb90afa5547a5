"""FilterSets shared by the contract pages and the API."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q
from drf_spectacular.utils import extend_schema_field

from core.querystring import is_safe_value
from reporting.models import Contract, ContractReport, MetricBenchmark, SupplierScore
from reporting.periods import PERIOD_FILTER_PATTERN, PeriodError, parse_period


@extend_schema_field({"type": "string", "pattern": PERIOD_FILTER_PATTERN, "example": "2025-Q1"})
class PeriodFilter(django_filters.CharFilter):
    """A quarter written 2025-Q1; anything else is explained as a filter error."""

    def filter(self, qs, value):
        if not value:
            return qs
        try:
            period = parse_period(value)
        except PeriodError:
            return qs
        return qs.filter(**{self.field_name: period})


def _validate_period(value: str) -> None:
    from django.core.exceptions import ValidationError

    if value:
        try:
            parse_period(value)
        except PeriodError as error:
            raise ValidationError(str(error)) from None


class IntegerFilter(django_filters.NumberFilter):
    field_class = forms.IntegerField


@extend_schema_field({"type": "string", "enum": ["true", "false"]})
class TrueFalseFilter(django_filters.TypedChoiceFilter):
    """``true`` or ``false``; anything else is a 400 (not silently "either")."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("choices", [("true", "true"), ("false", "false")])
        kwargs.setdefault("coerce", lambda value: value == "true")
        super().__init__(*args, **kwargs)


class ContractFilter(django_filters.FilterSet):
    # Slugs and codes match or find nothing: an unknown one is an empty list, not an error.
    q = django_filters.CharFilter(method="search", label="Search")
    buyer = django_filters.CharFilter(field_name="buyer__slug", label="Buyer")
    supplier = django_filters.CharFilter(field_name="supplier__slug", label="Supplier")
    category = django_filters.CharFilter(field_name="category__code", label="Category")
    status = django_filters.ChoiceFilter(choices=Contract.Status.choices, label="Status")
    ocid = django_filters.CharFilter(field_name="ocid", label="ocid")

    class Meta:
        model = Contract
        fields = ["q", "buyer", "supplier", "category", "status", "ocid"]

    def search(self, qs, name, value):
        value = value.strip()
        if not value or not is_safe_value(value):  # what no search can mean is ignored
            return qs
        return qs.filter(Q(title__icontains=value) | Q(ocid__iexact=value))


class ReportFilter(django_filters.FilterSet):
    contract = django_filters.CharFilter(field_name="contract__ocid", label="Contract ocid")
    period = PeriodFilter(field_name="period", label="Period", validators=[_validate_period])
    status = django_filters.ChoiceFilter(choices=ContractReport.Status.choices, label="Status")
    supplier = django_filters.CharFilter(field_name="contract__supplier__slug", label="Supplier")
    buyer = django_filters.CharFilter(field_name="contract__buyer__slug", label="Buyer")

    class Meta:
        model = ContractReport
        fields = ["contract", "period", "status", "supplier", "buyer"]


class BenchmarkFilter(django_filters.FilterSet):
    period = PeriodFilter(field_name="period", label="Period", validators=[_validate_period])
    category = django_filters.CharFilter(field_name="category__code", label="Category")
    metric = django_filters.CharFilter(field_name="metric__code", label="Metric")
    scheme_version = IntegerFilter(field_name="scheme__version")
    enough_data = TrueFalseFilter(field_name="enough_data")

    class Meta:
        model = MetricBenchmark
        fields = ["period", "category", "metric", "scheme_version", "enough_data"]


class ScoreFilter(django_filters.FilterSet):
    period = PeriodFilter(field_name="period", label="Period", validators=[_validate_period])
    supplier = django_filters.CharFilter(field_name="supplier__slug", label="Supplier")

    class Meta:
        model = SupplierScore
        fields = ["period", "supplier"]
