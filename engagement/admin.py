"""Admin for early engagement, with history (django-simple-history) on every model.

Every save and action calls engagement.services: a moderator's correction of a
request goes through ``engagement_request_moderate`` (its rules, its history, a
current search vector). State changes (publish, withdraw, close), owners and the
rows suppliers write (responses, questions, the participants register, alert
choices) and the rows the system computes (matches, notifications) are read-only
here: their own services write them.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from simple_history.admin import SimpleHistoryAdmin

from core.admin import ServiceAdminMixin
from engagement import services
from engagement.models import (
    AlertPreference,
    ClarificationQuestion,
    EngagementRequest,
    Match,
    Notification,
    Participant,
    RequestChange,
    RespondentMessage,
    SupplierResponse,
)


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class ResponseInline(ReadOnlyInline):
    model = SupplierResponse
    fields = ["supplier", "mark", "created_at", "updated_at"]
    readonly_fields = fields


class QuestionInline(ReadOnlyInline):
    model = ClarificationQuestion
    fields = ["question", "answer", "asked_at", "answered_at", "declined_at", "decline_reason"]
    readonly_fields = fields


class ChangeInline(ReadOnlyInline):
    """The public change log the owners wrote (corrections, new deadlines)."""

    model = RequestChange
    fields = ["changed_at", "kind", "summary", "changed_by"]
    readonly_fields = fields
    show_change_link = False


class MessageInline(ReadOnlyInline):
    model = RespondentMessage
    fields = ["sent_at", "subject", "recipient_count", "sent_by"]
    readonly_fields = fields
    show_change_link = False


class ParticipantInline(ReadOnlyInline):
    model = Participant
    fields = ["supplier", "kind", "recorded_at", "note"]
    readonly_fields = ["supplier", "kind", "recorded_at", "note"]


class ReadOnlyAdmin(SimpleHistoryAdmin):
    """Rows a service writes (on the site or from a task): viewed, searched, never edited here."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(EngagementRequest)
class EngagementRequestAdmin(ServiceAdminMixin, SimpleHistoryAdmin):
    list_display = ["title", "public_body", "status", "response_deadline", "published_at"]
    list_filter = ["status", "help_kind", "public_body"]
    search_fields = ["title", "problem", "policy_area"]
    date_hierarchy = "published_at"
    list_select_related = ["public_body"]
    filter_horizontal = ["capabilities", "regions"]
    # Only engagement_request_moderate's fields are editable; the rest have their own services.
    readonly_fields = [
        "author",
        "co_owners",
        "status",
        "published_at",
        "closed_at",
        "created_at",
        "updated_at",
        "withdrawal_reason",
        "procurement_reference",
    ]
    inlines = [ResponseInline, QuestionInline, ParticipantInline, ChangeInline, MessageInline]
    actions = ["close_due"]

    def has_add_permission(self, request) -> bool:
        return False  # a request starts with a civil servant, on the site

    def save_model(self, request, obj, form, change) -> None:
        """Nothing is saved here: ``save_related`` hands every change to the service."""

    def save_related(self, request, form, formsets, change) -> None:
        for formset in formsets:  # the inlines are read-only: this saves nothing
            self.save_formset(request, form, formset, change=change)
        changes = {
            name: form.cleaned_data[name]
            for name in form.changed_data
            if name in services.DRAFT_FIELDS
        }
        if changes:
            services.engagement_request_moderate(
                actor=request.user, engagement_request=form.instance, **changes
            )

    @admin.action(description="Close selected requests whose deadline has passed")
    def close_due(self, request, queryset) -> None:
        closed = sum(
            services.engagement_request_close_at_deadline(engagement_request_id=pk)
            for pk in queryset.values_list("pk", flat=True)
        )
        self.message_user(request, f"{closed} request(s) closed.", messages.SUCCESS)


@admin.register(SupplierResponse)
class SupplierResponseAdmin(ReadOnlyAdmin):
    list_display = ["supplier", "engagement_request", "mark", "updated_at"]
    list_filter = ["mark"]
    list_select_related = ["supplier", "engagement_request"]
    raw_id_fields = ["engagement_request", "supplier", "submitted_by", "case_studies"]
    search_fields = ["supplier__name", "engagement_request__title"]


@admin.register(ClarificationQuestion)
class ClarificationQuestionAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "engagement_request", "asked_at", "answered_at"]
    list_select_related = ["engagement_request"]
    raw_id_fields = ["engagement_request", "supplier", "asked_by", "answered_by"]
    search_fields = ["question", "answer"]


@admin.register(Participant)
class ParticipantAdmin(ReadOnlyAdmin):
    list_display = ["supplier", "engagement_request", "kind", "recorded_at"]
    list_filter = ["kind"]
    list_select_related = ["supplier", "engagement_request"]
    raw_id_fields = ["engagement_request", "supplier", "recorded_by"]


@admin.register(Match)
class MatchAdmin(ReadOnlyAdmin):
    list_display = ["engagement_request", "rank", "supplier", "score"]
    list_select_related = ["supplier", "engagement_request"]
    raw_id_fields = ["engagement_request", "supplier"]


@admin.register(AlertPreference)
class AlertPreferenceAdmin(ReadOnlyAdmin):
    list_display = ["supplier", "frequency", "updated_at"]
    list_filter = ["frequency"]
    raw_id_fields = ["supplier", "updated_by"]
    filter_horizontal = ["capabilities", "regions"]


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ["engagement_request", "supplier", "frequency", "status", "queued_at"]
    list_filter = ["status", "frequency"]
    list_select_related = ["supplier", "engagement_request"]
    raw_id_fields = ["engagement_request", "supplier"]
    actions = ["send_now"]

    @admin.action(description="Send pending immediate alerts now")
    def send_now(self, request, queryset) -> None:
        try:
            sent = services.notifications_send_pending()
        except (PermissionDenied, ValidationError) as error:
            self.message_user(request, str(error), messages.ERROR)
            return
        self.message_user(request, f"{sent} notification(s) handled.", messages.SUCCESS)
