"""Admin for the den, with history. Every save, inline and action calls innovation_den.services.

So an admin edit meets the same rules as the site: content and criteria lock once a trial
is running, panel members must be civil servants, a review is checked for conflicts of
interest. The lifecycle, the partners' answers, reviews once given and everything a
service computes (status, dates, decisions, outcome) are read-only here.
"""

from __future__ import annotations

from django.contrib import admin
from django.db import models
from simple_history.admin import SimpleHistoryAdmin

from core.admin import ServiceAdminMixin
from innovation_den import services
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


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class AddOrRemoveInline(admin.TabularInline):
    """Rows added and removed through a service; a row is never edited in place."""

    extra = 0

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class PartnerInline(ReadOnlyInline):
    """Partners are named by the proposers and answer for themselves, on the site."""

    model = ProposalPartner
    fields = ["supplier", "status", "added_by", "answered_by", "answered_at"]
    readonly_fields = fields


class SuccessCriterionInline(AddOrRemoveInline):
    model = SuccessCriterion
    fields = ["description", "measure", "target", "result", "met"]
    readonly_fields = ["result", "met"]


class StopCriterionInline(AddOrRemoveInline):
    model = StopCriterion
    fields = ["description"]


class RiskInline(AddOrRemoveInline):
    model = Risk
    fields = ["description", "mitigation"]


class TransitionInline(ReadOnlyInline):
    """The lifecycle log is read-only: steps are taken through the services."""

    model = Transition
    readonly_fields = ["from_status", "to_status", "by", "at", "reason"]


# Per inline model: (add service, the fields it takes, remove service and its keyword).
CONTENT_INLINES = {
    SuccessCriterion: (
        services.success_criterion_add,
        ("description", "measure", "target"),
        services.success_criterion_remove,
        "criterion",
    ),
    StopCriterion: (
        services.stop_criterion_add,
        ("description",),
        services.stop_criterion_remove,
        "criterion",
    ),
    Risk: (services.risk_add, ("description", "mitigation"), services.risk_remove, "risk"),
}
PROPOSAL_CONTENT = [
    "title",
    "problem",
    "public_body",
    "hypothesis",
    "weeks",
    "budget_cap",
    "data_allowed",
    "capabilities",
]


def _save_through(formset, *, add, remove) -> None:
    """Hand an add-or-remove formset's rows to services; record what they did for the log."""
    formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
    for form in formset.initial_forms:
        if form in formset.deleted_forms and form.instance.pk:
            remove(form.instance)
            formset.deleted_objects.append(form.instance)
    for form in formset.extra_forms:
        if form.has_changed() and form not in formset.deleted_forms:
            formset.new_objects.append(add(form.cleaned_data))


@admin.register(Proposal)
class ProposalAdmin(ServiceAdminMixin, SimpleHistoryAdmin):
    list_display = ["title", "status", "public_body", "proposer", "outcome", "updated_at"]
    list_filter = ["status", "outcome", "data_allowed"]
    search_fields = ["title", "problem", "hypothesis", "lessons_learned"]
    raw_id_fields = ["public_body"]
    filter_horizontal = ["capabilities"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    inlines = [
        PartnerInline,
        SuccessCriterionInline,
        StopCriterionInline,
        RiskInline,
        TransitionInline,
    ]

    def get_readonly_fields(self, request, obj=None):
        # The state machine and the services own everything but the proposal's content.
        return [
            f.name
            for f in Proposal._meta.get_fields()
            if f.concrete and f.editable and f.name not in PROPOSAL_CONTENT and f.name != "id"
        ]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("public_body", "proposer")

    def has_add_permission(self, request) -> bool:
        return False  # proposals are drafted on the site by their proposers

    def save_model(self, request, obj, form, change) -> None:
        """Nothing is saved here: ``save_related`` hands the changes to the services."""

    def save_related(self, request, form, formsets, change) -> None:
        proposal = form.instance
        if set(form.changed_data) & set(PROPOSAL_CONTENT):
            data = form.cleaned_data
            services.proposal_update(
                actor=request.user,
                proposal=Proposal.objects.get(pk=proposal.pk),
                sponsor_email=proposal.sponsor.email if proposal.sponsor_id else "",
                **{name: data[name] for name in PROPOSAL_CONTENT},
            )
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def save_formset(self, request, form, formset, change) -> None:
        if formset.model not in CONTENT_INLINES:
            formset.save()  # read-only inlines: nothing to save
            return
        add, fields, remove, keyword = CONTENT_INLINES[formset.model]
        proposal = form.instance
        _save_through(
            formset,
            add=lambda data: add(
                actor=request.user,
                proposal=proposal,
                **{name: data.get(name, "") for name in fields},
            ),
            remove=lambda row: remove(actor=request.user, **{keyword: row}),
        )


class PanelMemberInline(AddOrRemoveInline):
    """Added and removed through the services: civil servants only; a scorer stays."""

    model = PanelMember
    fields = ["reviewer", "added_by", "added_at"]
    readonly_fields = ["added_by", "added_at"]
    raw_id_fields = ["reviewer"]


@admin.register(ReviewRound)
class ReviewRoundAdmin(ServiceAdminMixin, SimpleHistoryAdmin):
    list_display = ["name", "opened_at", "closed_at"]
    fields = ["name", "opened_by", "opened_at", "closed_at"]
    inlines = [PanelMemberInline]
    actions = ["close_rounds"]

    def get_readonly_fields(self, request, obj=None):
        return ["opened_by", "opened_at", "closed_at"] + (["name"] if obj else [])

    def get_inlines(self, request, obj):
        return self.inlines if obj else []  # the panel is chosen once the round exists

    def save_model(self, request, obj, form, change) -> None:
        if change:
            return  # a round's own fields are read-only once opened
        opened = services.review_round_open(actor=request.user, name=form.cleaned_data["name"])
        obj.pk, obj._state = opened.pk, opened._state

    def save_formset(self, request, form, formset, change) -> None:
        round_ = form.instance
        _save_through(
            formset,
            add=lambda data: services.panel_member_add(
                actor=request.user, review_round=round_, reviewer=data["reviewer"]
            ),
            remove=lambda member: services.panel_member_remove(actor=request.user, member=member),
        )

    @admin.action(description="Close the selected review rounds")
    def close_rounds(self, request, queryset) -> None:
        self.run_service_action(
            request,
            queryset,
            lambda round_: services.review_round_close(actor=request.user, review_round=round_),
            "round(s) closed",
        )


@admin.register(Review)
class ReviewAdmin(ServiceAdminMixin, SimpleHistoryAdmin):
    """Adding a review here scores as yourself, with the site's checks; a review never changes."""

    list_display = [
        "proposal",
        "reviewer",
        "public_value",
        "feasibility",
        "innovation",
        "safety",
        "submitted_at",
    ]
    raw_id_fields = ["proposal"]
    list_select_related = ["proposal", "reviewer"]
    readonly_fields = ["reviewer", "review_round", "submitted_at"]

    def has_change_permission(self, request, obj=None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change) -> None:
        scores = {
            name: form.cleaned_data[name]
            for code, _ in Review.CRITERIA
            for name in (code, f"{code}_comment")
        }
        review = services.review_submit(
            actor=request.user, proposal=form.cleaned_data["proposal"], scores=scores
        )
        obj.pk, obj._state = review.pk, review._state


@admin.register(ProgressNote)
class ProgressNoteAdmin(SimpleHistoryAdmin):
    """Notes are written on the site by the trial's team (progress_note_add); read-only here."""

    list_display = ["proposal", "noted_on", "author"]
    raw_id_fields = ["proposal", "author"]
    list_select_related = ["proposal", "author"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
