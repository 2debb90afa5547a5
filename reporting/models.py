"""Contract reporting: the versioned standard, contracts, their quarterly reports,
and the results of the nightly comparison.

Writes go through ``reporting.services`` (and the comparison through
``reporting.comparison``); reads beyond a lookup through ``reporting.selectors``.

Storage is sized for millions of values: a report's values live in the narrow
``ReportValue`` table (one row per report and metric, keyed by the pair, with the
period copied in so a period's values are read without touching other periods).
Comparison results are one row per contract and period (ranks of all metrics in
one JSON object) rather than one per value, so a full rebuild writes an eighth of
the rows.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import BrinIndex
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from simple_history.models import HistoricalRecords

from accounts.models import PublicBody
from core.validators import no_line_breaks
from reporting.periods import period_code, period_label
from suppliers.models import CapabilityGroup, Supplier

OCID_RE = r"^ocds-[a-z0-9]{6}-[A-Za-z0-9._:-]{1,100}$"
ocid_validator = RegexValidator(
    OCID_RE,
    "Enter an open contracting id that starts with the ocds- prefix, like ocds-b5fd17-1234.",
    code="invalid_ocid",
)


class ReportingScheme(models.Model):
    """One version of a reporting standard. Published versions never change."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"
        RETIRED = "retired", "Retired"

    code = models.SlugField(max_length=50, help_text="The standard this is a version of.")
    version = models.PositiveSmallIntegerField()
    name = models.CharField(max_length=150)
    description = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["code", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="reporting_scheme_version"),
            models.UniqueConstraint(
                fields=["code"],
                condition=models.Q(status="draft"),
                name="reporting_scheme_one_draft",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED

    @property
    def is_editable(self) -> bool:
        return self.status == self.Status.DRAFT


class Unit(models.TextChoices):
    PERCENT = "percent", "Percentage"
    POUNDS = "pounds", "Pounds sterling"
    COUNT = "count", "Count"
    DAYS = "days", "Days"
    SCORE = "score", "Score from 1 to 5"
    RATING = "rating", "UK9 performance rating"


class Rating(models.IntegerChoices):
    """The Procurement Act 2023 KPI rating on a contract performance notice (UK9)."""

    INADEQUATE = 1, "Inadequate"
    REQUIRES_IMPROVEMENT = 2, "Requires improvement"
    APPROACHING_TARGET = 3, "Approaching target"
    GOOD = 4, "Good"


class Direction(models.TextChoices):
    HIGHER = "higher", "Higher is better"
    LOWER = "lower", "Lower is better"


class MetricDefinition(models.Model):
    scheme = models.ForeignKey(ReportingScheme, on_delete=models.CASCADE, related_name="metrics")
    code = models.SlugField(max_length=50)
    name = models.CharField(max_length=150)
    description = models.TextField(blank=True)
    unit = models.CharField(max_length=10, choices=Unit.choices)
    direction = models.CharField(max_length=6, choices=Direction.choices, default="higher")
    min_value = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    max_value = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    required = models.BooleanField(default=True)
    weight = models.DecimalField(
        max_digits=6,
        decimal_places=3,
        default=Decimal("1"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text="Weight in the supplier's composite score; 0 leaves the metric out of it.",
    )
    position = models.PositiveSmallIntegerField(default=0)
    history = HistoricalRecords()

    class Meta:
        ordering = ["scheme", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["scheme", "code"], name="reporting_metric_code"),
            models.CheckConstraint(
                condition=models.Q(min_value__isnull=True)
                | models.Q(max_value__isnull=True)
                | models.Q(min_value__lte=models.F("max_value")),
                name="reporting_metric_range",
            ),
            models.CheckConstraint(
                condition=models.Q(weight__gte=0), name="reporting_metric_weight"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_rating(self) -> bool:
        return self.unit == Unit.RATING

    @property
    def lower_is_better(self) -> bool:
        return self.direction == Direction.LOWER


class Contract(models.Model):
    """A public contract, identified by its open contracting id (ocid)."""

    class Status(models.TextChoices):
        # The OCDS contractStatus codelist.
        PENDING = "pending", "Pending"
        ACTIVE = "active", "Active"
        CANCELLED = "cancelled", "Cancelled"
        # The codelist's "terminated": no longer in force, whether completed or ended early.
        TERMINATED = "terminated", "Ended"

    ocid = models.CharField(
        "open contracting id", max_length=120, unique=True, validators=[ocid_validator]
    )
    title = models.CharField(max_length=300, validators=[no_line_breaks])
    description = models.TextField(blank=True)
    buyer = models.ForeignKey(PublicBody, on_delete=models.PROTECT, related_name="contracts")
    supplier = models.ForeignKey(Supplier, on_delete=models.PROTECT, related_name="contracts")
    category = models.ForeignKey(
        CapabilityGroup, on_delete=models.PROTECT, related_name="contracts"
    )
    value = models.DecimalField(
        "value (£)",
        max_digits=15,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.ACTIVE)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["title", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(start_date__isnull=True)
                | models.Q(end_date__isnull=True)
                | models.Q(start_date__lte=models.F("end_date")),
                name="reporting_contract_dates",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class ContractReport(models.Model):
    """One contract's report for one quarter under one scheme version."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", "Awaiting buyer review"
        ACCEPTED = "accepted", "Accepted"
        QUERIED = "queried", "Queried by the buyer"

    # Reports in these states count in comparisons; a queried report waits for its answer.
    COMPARED = (Status.SUBMITTED, Status.ACCEPTED)

    contract = models.ForeignKey(
        Contract, on_delete=models.CASCADE, related_name="reports", db_index=False
    )
    period = models.DateField(help_text="First day of the calendar quarter reported on.")
    scheme = models.ForeignKey(
        ReportingScheme, on_delete=models.PROTECT, related_name="reports", db_index=False
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SUBMITTED)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    submitted_at = models.DateTimeField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    query_reason = models.TextField(blank=True)
    reply = models.TextField(blank=True, help_text="The supplier's answer to the latest query.")
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["contract", "-period"]
        constraints = [
            models.UniqueConstraint(fields=["contract", "period"], name="reporting_report_period"),
            models.CheckConstraint(
                condition=models.Q(period__day=1, period__month__in=[1, 4, 7, 10]),
                name="reporting_report_period_is_quarter",
            ),
        ]
        indexes = [models.Index(fields=["period", "status"], name="reporting_report_period_idx")]

    def __str__(self) -> str:
        return f"{self.contract} – {self.period_label}"

    @property
    def period_code(self) -> str:
        return period_code(self.period)

    @property
    def period_label(self) -> str:
        return period_label(self.period)


class ReportValue(models.Model):
    """One metric's value in one report: the narrow table the comparison reads.

    Keyed by (report, metric); ``period`` is copied from the report (it never
    changes) so the comparison reads one period through a small BRIN index.
    """

    pk = models.CompositePrimaryKey("report", "metric")
    report = models.ForeignKey(
        ContractReport, on_delete=models.CASCADE, related_name="values", db_index=False
    )
    metric = models.ForeignKey(
        MetricDefinition, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    period = models.DateField()
    value = models.DecimalField(max_digits=14, decimal_places=4)
    comment = models.TextField(blank=True)

    class Meta:
        indexes = [BrinIndex(fields=["period"], name="reporting_value_period_brin")]

    def __str__(self) -> str:
        return f"{self.metric_id}={self.value}"

    @property
    def rating_label(self) -> str:
        try:
            return Rating(int(self.value)).label
        except ValueError:
            return ""


class ReportEvent(models.Model):
    """What happened to a report, in order: submitted, revised, accepted, queried, replied."""

    class Kind(models.TextChoices):
        SUBMITTED = "submitted", "Submitted"
        REVISED = "revised", "Revised"
        ACCEPTED = "accepted", "Accepted"
        QUERIED = "queried", "Queried"
        REPLIED = "replied", "Replied"

    report = models.ForeignKey(ContractReport, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    message = models.TextField(blank=True)
    # For a revision, the values it replaced ({metric code: [value, comment]}).
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.created_at:%Y-%m-%d}"


# --- The nightly comparison -------------------------------------------------------


class ComparisonRun(models.Model):
    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        SKIPPED = "skipped", "Skipped (another run was in progress)"

    class Trigger(models.TextChoices):
        SCHEDULE = "schedule", "Nightly schedule"
        ADMIN = "admin", "Admin"
        COMMAND = "command", "Command line"
        DEMO = "demo", "Demo data"

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    trigger = models.CharField(max_length=10, choices=Trigger.choices, default=Trigger.COMMAND)
    full = models.BooleanField(default=False, help_text="Every period rebuilt, changed or not.")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    periods = models.JSONField(default=list, blank=True, help_text="Periods recomputed.")
    reports_counted = models.PositiveIntegerField(default=0)
    values_counted = models.PositiveIntegerField(default=0)
    benchmarks_written = models.PositiveIntegerField(default=0)
    contract_results_written = models.PositiveIntegerField(default=0)
    supplier_scores_written = models.PositiveIntegerField(default=0)
    message = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["status", "-started_at"], name="reporting_run_status_idx")]

    def __str__(self) -> str:
        return f"Comparison run {self.pk} ({self.status})"

    @property
    def duration(self):
        return self.finished_at - self.started_at if self.finished_at else None


class PeriodChange(models.Model):
    """A period whose reports changed since it was last compared.

    Services bump ``version`` in the same transaction as the change; the
    comparison deletes the row only if the version it computed is still current,
    so a change made while a run is working is never lost.
    """

    period = models.DateField(primary_key=True)
    version = models.PositiveBigIntegerField(default=1)
    changed_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return period_code(self.period)


class MetricBenchmark(models.Model):
    """The distribution of one metric in one category for one period and scheme version."""

    period = models.DateField()
    scheme = models.ForeignKey(
        ReportingScheme, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    category = models.ForeignKey(CapabilityGroup, on_delete=models.CASCADE, related_name="+")
    metric = models.ForeignKey(
        MetricDefinition, on_delete=models.CASCADE, related_name="benchmarks"
    )
    run = models.ForeignKey(
        ComparisonRun, null=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    contracts = models.PositiveIntegerField(help_text="Contracts reporting the metric.")
    enough_data = models.BooleanField(help_text="At least 5 contracts: ranks are published.")
    minimum = models.DecimalField(max_digits=14, decimal_places=4)
    q1 = models.DecimalField(max_digits=14, decimal_places=4)
    median = models.DecimalField(max_digits=14, decimal_places=4)
    q3 = models.DecimalField(max_digits=14, decimal_places=4)
    maximum = models.DecimalField(max_digits=14, decimal_places=4)
    mean = models.DecimalField(max_digits=14, decimal_places=4)
    outliers = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-period", "category", "metric"]
        constraints = [
            models.UniqueConstraint(
                fields=["period", "category", "metric"], name="reporting_benchmark_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.metric} in {self.category}, {period_code(self.period)}"

    @property
    def period_code(self) -> str:
        return period_code(self.period)

    @property
    def period_label(self) -> str:
        return period_label(self.period)

    @property
    def iqr(self) -> Decimal:
        return self.q3 - self.q1


class ContractResult(models.Model):
    """One contract's place in its category for one period.

    ``ranks[i]`` is the percentile rank (0 worst – 1 best, direction taken into
    account) of metric ``metric_ids[i]``; a metric with fewer than 5 contracts in the
    category has no rank. ``outliers`` holds the ids of metrics beyond 1.5 × IQR on
    the bad side. Arrays rather than JSON: building them costs a fraction as much.
    """

    # Derived data, rebuilt from existing rows by every run: no database foreign-key
    # checks (four per row would be a third of a full run's time) and a single index,
    # the (period, contract) key. Django still cascades deletes.
    pk = models.CompositePrimaryKey("period", "contract")
    period = models.DateField()
    scheme = models.ForeignKey(
        ReportingScheme,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    contract = models.ForeignKey(
        Contract,
        on_delete=models.CASCADE,
        related_name="results",
        db_index=False,
        db_constraint=False,
    )
    supplier = models.ForeignKey(
        Supplier, on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    category = models.ForeignKey(
        CapabilityGroup,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    composite = models.FloatField(null=True)
    metric_ids = ArrayField(models.BigIntegerField(), default=list)
    ranks = ArrayField(models.FloatField(), default=list)
    outliers = ArrayField(models.BigIntegerField(), default=list)

    class Meta:
        ordering = ["-period", "contract"]

    def __str__(self) -> str:
        return f"{self.contract_id} {period_code(self.period)}"

    @property
    def period_code(self) -> str:
        return period_code(self.period)

    @property
    def rank_by_metric(self) -> dict[int, float]:
        return dict(zip(self.metric_ids, self.ranks, strict=False))

    def rank_of(self, metric_id: int) -> float | None:
        return self.rank_by_metric.get(metric_id)

    def is_outlier(self, metric_id: int) -> bool:
        return metric_id in self.outliers


class SupplierScore(models.Model):
    """A supplier's composite score for a period: the weighted mean of its percentile ranks."""

    period = models.DateField()
    # Derived data like ContractResult: no database foreign-key checks.
    scheme = models.ForeignKey(
        ReportingScheme,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    supplier = models.ForeignKey(
        Supplier,
        on_delete=models.CASCADE,
        related_name="reporting_scores",
        db_index=False,
        db_constraint=False,
    )
    composite = models.FloatField(null=True, help_text="Empty when no metric had enough data.")
    change = models.FloatField(null=True, help_text="Change since the previous quarter.")
    contracts = models.PositiveIntegerField()
    ranked_values = models.PositiveIntegerField()
    outliers = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-period", "supplier"]
        constraints = [
            models.UniqueConstraint(
                fields=["period", "scheme", "supplier"], name="reporting_score_unique"
            ),
        ]
        indexes = [
            models.Index(fields=["supplier", "period"], name="reporting_score_supplier_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.supplier_id} {period_code(self.period)}: {self.composite}"

    @property
    def period_code(self) -> str:
        return period_code(self.period)

    @property
    def period_label(self) -> str:
        return period_label(self.period)
