"""The innovation den: trial proposals, their review, the sandbox run and what was learned.

Writes go through ``innovation_den.services`` (the lifecycle is a state machine
there, see ``TRANSITIONS``); reads beyond a lookup through
``innovation_den.selectors``. Models hold fields, constraints and small derived
properties only.
"""

from __future__ import annotations

import re
import statistics

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from core.validators import no_line_breaks

# "We believe <change> will <effect> measured by <measure>": each part has words of its own.
HYPOTHESIS_RE = re.compile(
    r"^\s*we\s+believe\s+(?P<change>\S.*?)\s+will\s+(?P<effect>\S.*?)\s+"
    r"measured\s+by\s+(?P<measure>\S.*?)\s*$",
    re.IGNORECASE | re.DOTALL,
)
HYPOTHESIS_HELP = (
    "Write it as “We believe [this change] will [have this effect] measured by [this measure]”."
)

MAX_WEEKS = 52
MAX_BUDGET_CAP = 1_000_000


class Proposal(models.Model):
    """A trial designed before it starts, bounded in time, money and data."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted"
        IN_REVIEW = "in_review", "In review"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"
        RUNNING = "running", "Running"
        EVALUATED = "evaluated", "Evaluated"
        GRADUATED = "graduated", "Graduated"
        CLOSED = "closed", "Closed"

    class Data(models.TextChoices):
        # Personal data is deliberately not a choice: the sandbox never holds it.
        SYNTHETIC = "synthetic", "Synthetic data"
        OPEN = "open", "Open data"
        ANONYMISED = "anonymised", "Anonymised data"

    class Outcome(models.TextChoices):
        MET = "met", "Met"
        PARTLY_MET = "partly_met", "Partly met"
        NOT_MET = "not_met", "Not met"

    # States whose proposals anyone may read (web and API).
    PUBLIC_STATUSES = (
        Status.ACCEPTED,
        Status.RUNNING,
        Status.EVALUATED,
        Status.GRADUATED,
        Status.CLOSED,
    )
    # States whose trial has an evaluation: the lessons-learned library.
    EVALUATED_STATUSES = (Status.EVALUATED, Status.GRADUATED, Status.CLOSED)

    title = models.CharField(max_length=200, validators=[no_line_breaks])
    problem = models.TextField(help_text="The problem the trial addresses.")
    public_body = models.ForeignKey(
        "accounts.PublicBody", on_delete=models.PROTECT, related_name="den_proposals"
    )
    hypothesis = models.TextField(help_text=HYPOTHESIS_HELP)
    proposer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="den_proposals"
    )
    # Required when the proposer is not a civil servant; the sponsor must confirm.
    sponsor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="den_sponsored_proposals",
    )
    sponsor_confirmed_at = models.DateTimeField(null=True, blank=True)
    capabilities = models.ManyToManyField(
        "suppliers.Capability", blank=True, related_name="den_proposals"
    )
    weeks = models.PositiveSmallIntegerField(
        "length in weeks", validators=[MinValueValidator(1), MaxValueValidator(MAX_WEEKS)]
    )
    budget_cap = models.DecimalField(
        "budget cap (£)",
        max_digits=10,
        decimal_places=2,
        validators=[MinValueValidator(0), MaxValueValidator(MAX_BUDGET_CAP)],
    )
    data_allowed = ArrayField(
        models.CharField(max_length=12, choices=Data.choices),
        help_text="Which data the trial may use. Personal data is never allowed.",
    )
    status = models.CharField(
        max_length=12, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    review_round = models.ForeignKey(
        "ReviewRound",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="proposals",
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)
    # The evaluation.
    outcome = models.CharField(max_length=12, choices=Outcome.choices, blank=True)
    lessons_learned = models.TextField(blank=True)
    next_steps = models.TextField(blank=True)
    evaluated_at = models.DateTimeField(null=True, blank=True)
    # Graduation: what followed the trial, an engagement request or a contract on
    # Techmap, or (for what happened elsewhere) a web address.
    engagement_request = models.ForeignKey(
        "engagement.EngagementRequest",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="den_trials",
    )
    contract = models.ForeignKey(
        "reporting.Contract",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="den_trials",
    )
    graduation_url = models.URLField(
        "web address of what followed",
        max_length=500,
        blank=True,
        help_text="When what followed is not on Techmap.",
    )
    graduation_note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Weighted: title A; hypothesis and lessons B; problem, next steps and results C.
    # Written by innovation_den.services, never by a trigger or a save() override.
    search_vector = SearchVectorField(null=True, editable=False)

    history = HistoricalRecords(
        m2m_fields=[capabilities], excluded_fields=["search_vector", "updated_at"]
    )

    class Meta:
        ordering = ["-updated_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    data_allowed__contained_by=["synthetic", "open", "anonymised"],
                    data_allowed__len__gte=1,
                ),
                name="den_proposal_data_allowed_no_personal",
            ),
            models.CheckConstraint(
                condition=models.Q(weeks__gte=1, weeks__lte=MAX_WEEKS),
                name="den_proposal_weeks_range",
            ),
            models.CheckConstraint(
                condition=models.Q(budget_cap__gte=0), name="den_proposal_budget_not_negative"
            ),
            # The library promises lessons for every evaluated trial.
            models.CheckConstraint(
                condition=~models.Q(status__in=["evaluated", "graduated", "closed"])
                | (~models.Q(lessons_learned="") & ~models.Q(outcome="")),
                name="den_proposal_evaluated_has_lessons",
            ),
        ]
        indexes = [
            GinIndex(fields=["search_vector"], name="den_proposal_search_gin"),
            models.Index(fields=["status", "-evaluated_at"], name="den_proposal_status_eval_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_public(self) -> bool:
        return self.status in self.PUBLIC_STATUSES

    @property
    def is_evaluated(self) -> bool:
        return self.status in self.EVALUATED_STATUSES

    @property
    def is_overdue(self) -> bool:
        """Running past its end date and not yet evaluated."""
        return (
            self.status == self.Status.RUNNING
            and self.end_date is not None
            and timezone.localdate() > self.end_date
        )

    @property
    def needs_sponsor(self) -> bool:
        return self.sponsor_id is not None

    @property
    def sponsor_confirmed(self) -> bool:
        return self.sponsor_id is None or self.sponsor_confirmed_at is not None

    def get_data_allowed_display(self) -> list[str]:
        labels = dict(self.Data.choices)
        return [labels.get(value, value) for value in self.data_allowed or []]


class ProposalPartner(models.Model):
    """A supplier from the registry taking part; the supplier's owner confirms."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for the supplier to confirm"
        CONFIRMED = "confirmed", "Confirmed"
        DECLINED = "declined", "Declined"

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="partners")
    supplier = models.ForeignKey(
        "suppliers.Supplier", on_delete=models.PROTECT, related_name="den_partnerships"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    added_at = models.DateTimeField(auto_now_add=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["added_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["proposal", "supplier"], name="den_partner_unique_supplier"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.supplier} in {self.proposal}"


class SuccessCriterion(models.Model):
    """A measurable criterion fixed before the trial, with its target and, later, its result."""

    proposal = models.ForeignKey(
        Proposal, on_delete=models.CASCADE, related_name="success_criteria"
    )
    description = models.CharField(max_length=300)
    measure = models.CharField(max_length=300, help_text="How it is measured.")
    target = models.CharField(max_length=200, help_text="The value that counts as success.")
    result = models.TextField(blank=True)
    met = models.BooleanField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["pk"]
        verbose_name_plural = "success criteria"

    def __str__(self) -> str:
        return self.description


class StopCriterion(models.Model):
    """A condition on which the trial stops at once."""

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="stop_criteria")
    description = models.CharField(max_length=300)
    history = HistoricalRecords()

    class Meta:
        ordering = ["pk"]
        verbose_name_plural = "stop criteria"

    def __str__(self) -> str:
        return self.description


class Risk(models.Model):
    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="risks")
    description = models.CharField(max_length=300)
    mitigation = models.CharField(max_length=500)
    history = HistoricalRecords()

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.description


class Transition(models.Model):
    """One step of the lifecycle: who moved the proposal from which state to which, and when."""

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="transitions")
    from_status = models.CharField(max_length=12, choices=Proposal.Status.choices)
    to_status = models.CharField(max_length=12, choices=Proposal.Status.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["proposal", "at"], name="den_transition_proposal_idx")]

    def __str__(self) -> str:
        return f"{self.proposal}: {self.from_status} → {self.to_status}"


class ReviewRound(models.Model):
    """A review round: moderators form its panel from civil servants."""

    name = models.CharField(max_length=150, unique=True)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    opened_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    panel = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        through="PanelMember",
        through_fields=("review_round", "reviewer"),
        related_name="den_review_rounds",
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["-opened_at"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


class PanelMember(models.Model):
    review_round = models.ForeignKey(ReviewRound, on_delete=models.CASCADE, related_name="members")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="den_panel_seats"
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    added_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["added_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["review_round", "reviewer"], name="den_panel_member_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reviewer} on {self.review_round}"


SCORE_VALIDATORS = [MinValueValidator(1), MaxValueValidator(5)]


class Review(models.Model):
    """One panel member's scores (1–5, each with a comment) for one proposal. Never edited."""

    # The den's criteria, in the order they are shown: (field prefix, label).
    CRITERIA = (
        ("public_value", "Public value"),
        ("feasibility", "Feasibility"),
        ("innovation", "Innovation"),
        ("safety", "Safety of the sandbox"),
    )
    # A spread (highest minus lowest score) this wide is flagged for discussion.
    DISAGREEMENT_SPREAD = 3

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="reviews")
    review_round = models.ForeignKey(ReviewRound, on_delete=models.PROTECT, related_name="reviews")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="den_reviews"
    )
    public_value = models.PositiveSmallIntegerField(validators=SCORE_VALIDATORS)
    public_value_comment = models.TextField()
    feasibility = models.PositiveSmallIntegerField(validators=SCORE_VALIDATORS)
    feasibility_comment = models.TextField()
    innovation = models.PositiveSmallIntegerField(validators=SCORE_VALIDATORS)
    innovation_comment = models.TextField()
    safety = models.PositiveSmallIntegerField(validators=SCORE_VALIDATORS)
    safety_comment = models.TextField()
    submitted_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["submitted_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["proposal", "review_round", "reviewer"], name="den_review_once"
            ),
            *[
                models.CheckConstraint(
                    condition=models.Q(**{f"{field}__gte": 1, f"{field}__lte": 5}),
                    name=f"den_review_{field}_1_to_5",
                )
                for field in ("public_value", "feasibility", "innovation", "safety")
            ],
        ]

    def __str__(self) -> str:
        return f"{self.reviewer} on {self.proposal}"

    def scores(self) -> list[dict]:
        return [
            {
                "code": code,
                "label": label,
                "score": getattr(self, code),
                "comment": getattr(self, f"{code}_comment"),
            }
            for code, label in self.CRITERIA
        ]


def summarise_scores(reviews: list[Review]) -> list[dict]:
    """Mean, spread (highest minus lowest) and disagreement flag per den criterion."""
    summary = []
    for code, label in Review.CRITERIA:
        values = [getattr(review, code) for review in reviews]
        spread = (max(values) - min(values)) if values else None
        summary.append(
            {
                "code": code,
                "label": label,
                "count": len(values),
                "mean": round(statistics.fmean(values), 1) if values else None,
                "min": min(values) if values else None,
                "max": max(values) if values else None,
                "spread": spread,
                "disagreement": spread is not None and spread >= Review.DISAGREEMENT_SPREAD,
            }
        )
    return summary


class ProgressNote(models.Model):
    """A dated note written while the trial runs."""

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="progress_notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    noted_on = models.DateField(default=timezone.localdate)
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-noted_on", "-pk"]

    def __str__(self) -> str:
        return f"{self.noted_on}: {self.proposal}"
