"""API shapes for contract reporting. Input serializers only validate the shape; the
rules (units, ranges, permissions) are applied by reporting.services."""

from __future__ import annotations

from decimal import Decimal

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.validators import no_line_breaks
from reporting.models import (
    OCID_RE,
    ComparisonRun,
    Contract,
    ContractReport,
    MetricBenchmark,
    ReportEvent,
    SupplierScore,
)
from reporting.periods import PERIOD_PATTERN, period_code, period_label


@extend_schema_field({"type": "string", "pattern": PERIOD_PATTERN, "example": "2025-Q1"})
class PeriodField(serializers.Field):
    """A quarter as ``2025-Q1``."""

    def to_representation(self, value):
        return period_code(value)

    def to_internal_value(self, data):
        from reporting.periods import PeriodError, parse_period

        try:
            return parse_period(str(data))
        except PeriodError as error:
            raise serializers.ValidationError(str(error)) from None


class ContractSerializer(serializers.ModelSerializer):
    buyer = serializers.CharField(source="buyer.name")
    buyer_slug = serializers.CharField(source="buyer.slug")
    supplier = serializers.CharField(source="supplier.name")
    supplier_slug = serializers.CharField(source="supplier.slug")
    companies_house_number = serializers.CharField(source="supplier.companies_house_number")
    category = serializers.CharField(source="category.code")

    class Meta:
        model = Contract
        fields = [
            "ocid",
            "title",
            "description",
            "buyer",
            "buyer_slug",
            "supplier",
            "supplier_slug",
            "companies_house_number",
            "category",
            "value",
            "start_date",
            "end_date",
            "status",
            "updated_at",
        ]


class ContractWriteSerializer(serializers.Serializer):
    ocid = serializers.RegexField(OCID_RE, max_length=120)
    title = serializers.CharField(max_length=300, validators=[no_line_breaks])
    description = serializers.CharField(required=False, allow_blank=True, default="")
    supplier = serializers.RegexField(
        r"^[-a-zA-Z0-9_]+$",
        max_length=220,
        help_text="A published supplier's slug (404 if there is none).",
    )
    category = serializers.RegexField(
        r"^[-a-zA-Z0-9_]+$",
        max_length=50,
        help_text="A capability group's code (404 if there is none).",
    )
    # Any number up to £10 trillion; pence beyond two places are rounded.
    value = serializers.DecimalField(
        max_digits=None,
        decimal_places=None,
        min_value=Decimal("0"),
        max_value=Decimal("9999999999999"),
        required=False,
        allow_null=True,
    )
    start_date = serializers.DateField(required=False, allow_null=True)
    end_date = serializers.DateField(required=False, allow_null=True)
    status = serializers.ChoiceField(choices=Contract.Status.choices, default="active")


class ContractUpdateSerializer(ContractWriteSerializer):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["ocid"]
        for field in self.fields.values():
            field.required = False


class ReportValueSerializer(serializers.Serializer):
    metric = serializers.CharField(source="metric.code")
    name = serializers.CharField(source="metric.name")
    unit = serializers.CharField(source="metric.unit")
    value = serializers.DecimalField(max_digits=14, decimal_places=4)
    display = serializers.SerializerMethodField()
    comment = serializers.CharField()

    def get_display(self, obj) -> str:
        from reporting.validation import display_value

        return display_value(obj.metric, obj.value)


class ReportSerializer(serializers.ModelSerializer):
    contract = serializers.CharField(source="contract.ocid")
    period = PeriodField()
    period_label = serializers.SerializerMethodField()
    scheme_version = serializers.IntegerField(source="scheme.version")
    values = ReportValueSerializer(many=True)

    class Meta:
        model = ContractReport
        fields = [
            "id",
            "contract",
            "period",
            "period_label",
            "scheme_version",
            "status",
            "submitted_at",
            "decided_at",
            "values",
        ]

    def get_period_label(self, obj) -> str:
        return period_label(obj.period)


class ReportEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = ReportEvent
        fields = ["kind", "message", "created_at"]


class ReportDetailSerializer(ReportSerializer):
    """With the query and reply when the caller is one of the parties."""

    query_reason = serializers.SerializerMethodField()
    reply = serializers.SerializerMethodField()

    class Meta(ReportSerializer.Meta):
        fields = [*ReportSerializer.Meta.fields, "query_reason", "reply"]

    def _trail(self, obj) -> bool:
        from reporting.permissions import can_see_report_trail

        return can_see_report_trail(self.context["request"].user, obj.contract)

    def get_query_reason(self, obj) -> str | None:
        return obj.query_reason if self._trail(obj) else None

    def get_reply(self, obj) -> str | None:
        return obj.reply if self._trail(obj) else None


class ReportSubmitSerializer(serializers.Serializer):
    contract = serializers.RegexField(
        OCID_RE, max_length=120, help_text="The contract's ocid (404 if there is none)."
    )
    period = PeriodField(help_text="The quarter, like 2025-Q1.")
    scheme_version = serializers.IntegerField(required=False, min_value=1)
    values = serializers.DictField(
        child=serializers.JSONField(allow_null=True),
        help_text="Metric code → value: a number, or for the UK9 rating one of Good, "
        "Approaching target, Requires improvement, Inadequate.",
    )
    comments = serializers.DictField(
        child=serializers.CharField(allow_blank=True, max_length=2000), required=False
    )


class ReportReviseSerializer(serializers.Serializer):
    values = serializers.DictField(child=serializers.JSONField())
    comments = serializers.DictField(
        child=serializers.CharField(allow_blank=True, max_length=2000), required=False
    )


class QuerySerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=5000)


class ReplySerializer(serializers.Serializer):
    message = serializers.CharField(max_length=5000)


class BenchmarkSerializer(serializers.ModelSerializer):
    period = PeriodField()
    scheme_version = serializers.IntegerField(source="scheme.version")
    category = serializers.CharField(source="category.code")
    metric = serializers.CharField(source="metric.code")
    direction = serializers.CharField(source="metric.direction")

    class Meta:
        model = MetricBenchmark
        fields = [
            "period",
            "scheme_version",
            "category",
            "metric",
            "direction",
            "contracts",
            "enough_data",
            "minimum",
            "q1",
            "median",
            "q3",
            "maximum",
            "mean",
            "outliers",
        ]


class ScoreSerializer(serializers.ModelSerializer):
    period = PeriodField()
    scheme_version = serializers.IntegerField(source="scheme.version")
    supplier = serializers.CharField(source="supplier.slug")
    supplier_name = serializers.CharField(source="supplier.name")

    class Meta:
        model = SupplierScore
        fields = [
            "period",
            "scheme_version",
            "supplier",
            "supplier_name",
            "composite",
            "change",
            "contracts",
            "ranked_values",
            "outliers",
        ]


class RunSerializer(serializers.ModelSerializer):
    class Meta:
        model = ComparisonRun
        fields = [
            "id",
            "status",
            "trigger",
            "full",
            "started_at",
            "finished_at",
            "periods",
            "reports_counted",
            "values_counted",
            "benchmarks_written",
            "contract_results_written",
            "supplier_scores_written",
            "message",
        ]
