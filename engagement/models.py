"""Early engagement: civil servants ask industry before a scheme is designed.

Writes go through ``engagement.services``; reads beyond a lookup through
``engagement.selectors``. Models hold fields, constraints and small derived
properties only.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from accounts.models import PublicBody
from core.validators import no_line_breaks
from suppliers.models import Capability, CaseStudy, Region, Supplier


class EngagementRequest(models.Model):
    """A civil servant's question to the market, before any procurement is designed."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"
        WITHDRAWN = "withdrawn", "Withdrawn"
        PROCUREMENT = "procurement", "Followed by procurement"

    # What the public list calls "closed": no longer taking responses.
    FINISHED_STATUSES = (Status.CLOSED, Status.WITHDRAWN, Status.PROCUREMENT)

    class HelpKind(models.TextChoices):
        MARKET_SOUNDING = "market_sounding", "Market sounding"
        TECHNICAL_FEASIBILITY = "technical_feasibility", "Technical feasibility"
        WORKSHOP = "workshop", "Workshop"
        WRITTEN_INPUT = "written_input", "Written input"

    class Format(models.TextChoices):
        WRITTEN = "written", "Written response"
        ONLINE = "online", "Online session"
        IN_PERSON = "in_person", "In-person event"

    public_body = models.ForeignKey(
        PublicBody, on_delete=models.PROTECT, related_name="engagement_requests"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="engagement_requests"
    )
    co_owners = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="co_owned_engagement_requests",
        help_text="Colleagues in the same public body who may act on the request.",
    )
    title = models.CharField(max_length=200, validators=[no_line_breaks])
    policy_area = models.CharField(max_length=200, blank=True)
    problem = models.TextField(blank=True, help_text="The problem, in plain words.")
    help_kind = models.CharField(
        "kind of help sought", max_length=30, choices=HelpKind.choices, blank=True
    )
    capabilities = models.ManyToManyField(
        Capability, blank=True, related_name="engagement_requests"
    )
    # No regions means anywhere in the UK.
    regions = models.ManyToManyField(Region, blank=True, related_name="engagement_requests")
    formats = ArrayField(
        models.CharField(max_length=20, choices=Format.choices),
        default=list,
        blank=True,
        verbose_name="how suppliers can take part",
    )
    session_date = models.DateField(null=True, blank=True)
    session_start = models.TimeField(null=True, blank=True)
    session_end = models.TimeField(null=True, blank=True)
    session_place = models.CharField(
        max_length=300, blank=True, help_text="Address of an in-person event."
    )
    session_link_note = models.CharField(
        max_length=300, blank=True, help_text="How to join an online session."
    )
    response_deadline = models.DateTimeField(null=True, blank=True)
    budget_min = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    budget_max = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    procurement_timing = models.CharField(
        "expected timing of any procurement", max_length=200, blank=True
    )
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    withdrawal_reason = models.TextField(blank=True)
    procurement_reference = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    published_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # Weighted: title A; policy area and capabilities B; problem C.
    # Written by engagement.services, never by a trigger or a save() override.
    search_vector = SearchVectorField(null=True, editable=False)

    history = HistoricalRecords(
        m2m_fields=[co_owners, capabilities, regions],
        excluded_fields=["search_vector", "updated_at"],
    )

    class Meta:
        ordering = ["-published_at", "-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(budget_min__isnull=True)
                | Q(budget_max__isnull=True)
                | Q(budget_min__lte=models.F("budget_max")),
                name="engagement_budget_range_ordered",
            ),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(response_deadline__isnull=False),
                name="engagement_published_has_deadline",
            ),
        ]
        indexes = [
            GinIndex(fields=["search_vector"], name="engagement_search_vector_gin"),
            models.Index(fields=["status", "response_deadline"], name="engagement_status_due_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def reference(self) -> str:
        """The unique identifier shown on the notice (UK2 "unique identifier")."""
        return f"TM-ENG-{self.pk:06d}" if self.pk else ""

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN

    @property
    def is_draft(self) -> bool:
        return self.status == self.Status.DRAFT

    @property
    def deadline_passed(self) -> bool:
        return bool(self.response_deadline and self.response_deadline <= timezone.now())

    @property
    def accepting_responses(self) -> bool:
        return self.is_open and not self.deadline_passed

    def get_formats_display(self) -> list[str]:
        labels = dict(self.Format.choices)
        return [labels.get(value, value) for value in self.formats]


class SupplierResponse(models.Model):
    """One organisation's answer to one request; editable until the deadline."""

    class Mark(models.TextChoices):
        UNMARKED = "", "Not marked"
        USEFUL = "useful", "Useful"
        NOT_RELEVANT = "not_relevant", "Not relevant"

    engagement_request = models.ForeignKey(
        EngagementRequest, on_delete=models.CASCADE, related_name="responses"
    )
    supplier = models.ForeignKey(
        Supplier, on_delete=models.CASCADE, related_name="engagement_responses"
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    summary = models.TextField(help_text="Relevant expertise, in plain words.")
    case_studies = models.ManyToManyField(CaseStudy, blank=True, related_name="+")
    availability = models.TextField(blank=True, help_text="Availability for the session.")
    mark = models.CharField(max_length=20, choices=Mark.choices, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(m2m_fields=[case_studies])

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["engagement_request", "supplier"], name="engagement_one_response_per_org"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.supplier} on {self.engagement_request}"


class ClarificationQuestion(models.Model):
    """A supplier's question; once answered, question and answer are public and anonymous."""

    engagement_request = models.ForeignKey(
        EngagementRequest, on_delete=models.CASCADE, related_name="questions"
    )
    # Kept for the participants register and for the asker's own view; never shown
    # beside the published question (the Digital Marketplace rule).
    supplier = models.ForeignKey(Supplier, on_delete=models.CASCADE, related_name="+")
    asked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    question = models.TextField(help_text="As published (the owners may redact it first).")
    # The asker's words, kept when an owner redacted the question before publishing it.
    original_question = models.TextField(blank=True)
    answer = models.TextField(blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    asked_at = models.DateTimeField(default=timezone.now)
    answered_at = models.DateTimeField(null=True, blank=True)
    # Declined: never published; the asker is told why.
    declined_at = models.DateTimeField(null=True, blank=True)
    declined_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decline_reason = models.TextField(blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["asked_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(answered_at__isnull=True) | ~Q(answer=""),
                name="engagement_answered_question_has_answer",
            ),
            models.CheckConstraint(
                condition=Q(answered_at__isnull=True) | Q(declined_at__isnull=True),
                name="engagement_question_answered_or_declined",
            ),
        ]

    def __str__(self) -> str:
        return self.question[:80]

    @property
    def is_published(self) -> bool:
        return self.answered_at is not None

    @property
    def is_declined(self) -> bool:
        return self.declined_at is not None

    @property
    def is_redacted(self) -> bool:
        return bool(self.original_question)


class RequestChange(models.Model):
    """A public entry in a published request's change log: a correction or a new deadline."""

    class Kind(models.TextChoices):
        CORRECTED = "corrected", "Corrected"
        DEADLINE_EXTENDED = "deadline_extended", "Deadline extended"

    engagement_request = models.ForeignKey(
        EngagementRequest, on_delete=models.CASCADE, related_name="changes"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    fields = ArrayField(models.CharField(max_length=50), default=list, blank=True)
    summary = models.TextField(help_text="What changed, as shown on the request.")
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["changed_at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.summary[:60]}"


class RespondentMessage(models.Model):
    """A message the owners sent to every organisation that responded (a session link, say)."""

    engagement_request = models.ForeignKey(
        EngagementRequest, on_delete=models.CASCADE, related_name="messages"
    )
    subject = models.CharField(max_length=150, validators=[no_line_breaks])
    body = models.TextField()
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    sent_at = models.DateTimeField(default=timezone.now)
    recipient_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-sent_at", "-pk"]

    def __str__(self) -> str:
        return self.subject


class Participant(models.Model):
    """An entry in the engagement participants register (Procurement Act 2023, s.16)."""

    class Kind(models.TextChoices):
        RESPONDED = "responded", "Responded"
        ASKED = "asked", "Asked a clarification question"
        ATTENDED = "attended", "Attended a session"

    engagement_request = models.ForeignKey(
        EngagementRequest, on_delete=models.CASCADE, related_name="participants"
    )
    supplier = models.ForeignKey(Supplier, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)
    note = models.TextField(
        blank=True, help_text="How any advantage from taking part was dealt with."
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["recorded_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["engagement_request", "supplier", "kind"],
                name="engagement_participant_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.supplier}: {self.get_kind_display()}"


class Match(models.Model):
    """A published supplier matched to a request on publication, with the reason."""

    engagement_request = models.ForeignKey(
        EngagementRequest, on_delete=models.CASCADE, related_name="matches"
    )
    supplier = models.ForeignKey(Supplier, on_delete=models.CASCADE, related_name="+")
    rank = models.PositiveIntegerField()
    score = models.FloatField()
    capability_names = ArrayField(models.CharField(max_length=100), default=list, blank=True)
    region_names = ArrayField(models.CharField(max_length=100), default=list, blank=True)
    reason = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["rank"]
        verbose_name_plural = "matches"
        constraints = [
            models.UniqueConstraint(
                fields=["engagement_request", "supplier"], name="engagement_match_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.rank} {self.supplier}"


class AlertPreference(models.Model):
    """What a supplier wants to hear about. Empty capabilities or regions mean any."""

    class Frequency(models.TextChoices):
        IMMEDIATE = "immediate", "Immediately"
        WEEKLY = "weekly", "Weekly digest"
        NEVER = "never", "Never"

    supplier = models.OneToOneField(
        Supplier, on_delete=models.CASCADE, related_name="engagement_alert_preference"
    )
    capabilities = models.ManyToManyField(Capability, blank=True, related_name="+")
    regions = models.ManyToManyField(Region, blank=True, related_name="+")
    frequency = models.CharField(
        max_length=10, choices=Frequency.choices, default=Frequency.IMMEDIATE
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(m2m_fields=[capabilities, regions])

    def __str__(self) -> str:
        return f"Alerts for {self.supplier}: {self.get_frequency_display()}"


class Notification(models.Model):
    """An alert owed to a supplier about a request: the outbox row behind its emails.

    Written in the publishing transaction; a Celery task turns pending rows into
    outbox emails (accounts.services.email_queue with a dedupe key) and marks
    them queued in the same transaction, so none is lost and none is sent twice.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        QUEUED = "queued", "Emails queued"
        SKIPPED = "skipped", "No one to email"

    engagement_request = models.ForeignKey(
        EngagementRequest, on_delete=models.CASCADE, related_name="notifications"
    )
    supplier = models.ForeignKey(Supplier, on_delete=models.CASCADE, related_name="+")
    frequency = models.CharField(max_length=10, choices=AlertPreference.Frequency.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    queued_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["engagement_request", "supplier"], name="engagement_notification_unique"
            ),
        ]
        indexes = [
            models.Index(
                fields=["frequency", "created_at"],
                name="engagement_notif_pending_idx",
                condition=Q(status="pending"),
            )
        ]

    def __str__(self) -> str:
        return f"{self.supplier} about {self.engagement_request} ({self.status})"
