"""Admin for the den, with history. The lifecycle status changes only through the services."""

from __future__ import annotations

from django.contrib import admin
from django.db import models
from simple_history.admin import SimpleHistoryAdmin

from innovation_den.models import (
    PanelMember,
    ProgressNote,
    Proposal,
    ProposalPartner,
    Review,
    ReviewRound,
    Risk,
    StopCriterion,
    SuccessCriterion,
    Transition,
)


class PartnerInline(admin.TabularInline):
    model = ProposalPartner
    extra = 0
    raw_id_fields = ["supplier", "added_by", "answered_by"]
    readonly_fields = ["status", "answered_by", "answered_at"]


class SuccessCriterionInline(admin.TabularInline):
    model = SuccessCriterion
    extra = 0


class StopCriterionInline(admin.TabularInline):
    model = StopCriterion
    extra = 0


class RiskInline(admin.TabularInline):
    model = Risk
    extra = 0


class TransitionInline(admin.TabularInline):
    """The lifecycle log is read-only: steps are taken through the services."""

    model = Transition
    extra = 0
    can_delete = False
    readonly_fields = ["from_status", "to_status", "by", "at", "reason"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Proposal)
class ProposalAdmin(SimpleHistoryAdmin):
    list_display = ["title", "status", "public_body", "proposer", "outcome", "updated_at"]
    list_filter = ["status", "outcome", "data_allowed"]
    search_fields = ["title", "problem", "hypothesis", "lessons_learned"]
    raw_id_fields = ["proposer", "sponsor", "decided_by", "public_body", "review_round"]
    filter_horizontal = ["capabilities"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    # The state machine lives in innovation_den.services; admin never jumps a state.
    readonly_fields = [
        "status",
        "outcome",
        "submitted_at",
        "decided_at",
        "decided_by",
        "evaluated_at",
        "sponsor_confirmed_at",
        "created_at",
        "updated_at",
    ]
    inlines = [
        PartnerInline,
        SuccessCriterionInline,
        StopCriterionInline,
        RiskInline,
        TransitionInline,
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("public_body", "proposer")


class PanelMemberInline(admin.TabularInline):
    model = PanelMember
    extra = 0
    raw_id_fields = ["reviewer", "added_by"]


@admin.register(ReviewRound)
class ReviewRoundAdmin(SimpleHistoryAdmin):
    list_display = ["name", "opened_at", "closed_at"]
    raw_id_fields = ["opened_by"]
    inlines = [PanelMemberInline]


@admin.register(Review)
class ReviewAdmin(SimpleHistoryAdmin):
    list_display = [
        "proposal",
        "reviewer",
        "public_value",
        "feasibility",
        "innovation",
        "safety",
        "submitted_at",
    ]
    raw_id_fields = ["proposal", "reviewer", "review_round"]
    list_select_related = ["proposal", "reviewer"]


@admin.register(ProgressNote)
class ProgressNoteAdmin(SimpleHistoryAdmin):
    list_display = ["proposal", "noted_on", "author"]
    raw_id_fields = ["proposal", "author"]
    list_select_related = ["proposal", "author"]
