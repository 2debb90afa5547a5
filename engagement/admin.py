"""Admin for early engagement, with history (django-simple-history) on every model.

State changes (publish, withdraw, close) are not editable here: they go through
engagement.services so matching, alerts and history happen the same way.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from simple_history.admin import SimpleHistoryAdmin

from engagement import services
from engagement.models import (
    AlertPreference,
    ClarificationQuestion,
    EngagementRequest,
    Match,
    Notification,
    Participant,
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
    fields = ["question", "answer", "asked_at", "answered_at"]
    readonly_fields = fields


class ParticipantInline(ReadOnlyInline):
    model = Participant
    fields = ["supplier", "kind", "recorded_at", "note"]
    readonly_fields = ["supplier", "kind", "recorded_at", "note"]


@admin.register(EngagementRequest)
class EngagementRequestAdmin(SimpleHistoryAdmin):
    list_display = ["title", "public_body", "status", "response_deadline", "published_at"]
    list_filter = ["status", "help_kind", "public_body"]
    search_fields = ["title", "problem", "policy_area"]
    date_hierarchy = "published_at"
    list_select_related = ["public_body"]
    autocomplete_fields: list[str] = []
    raw_id_fields = ["author", "co_owners"]
    filter_horizontal = ["capabilities", "regions"]
    readonly_fields = [
        "status",
        "published_at",
        "closed_at",
        "created_at",
        "updated_at",
        "withdrawal_reason",
    ]
    inlines = [ResponseInline, QuestionInline, ParticipantInline]
    actions = ["close_due"]

    @admin.action(description="Close selected requests whose deadline has passed")
    def close_due(self, request, queryset) -> None:
        closed = sum(
            services.engagement_request_close_at_deadline(engagement_request_id=pk)
            for pk in queryset.values_list("pk", flat=True)
        )
        self.message_user(request, f"{closed} request(s) closed.", messages.SUCCESS)


@admin.register(SupplierResponse)
class SupplierResponseAdmin(SimpleHistoryAdmin):
    list_display = ["supplier", "engagement_request", "mark", "updated_at"]
    list_filter = ["mark"]
    list_select_related = ["supplier", "engagement_request"]
    raw_id_fields = ["engagement_request", "supplier", "submitted_by", "case_studies"]
    search_fields = ["supplier__name", "engagement_request__title"]


@admin.register(ClarificationQuestion)
class ClarificationQuestionAdmin(SimpleHistoryAdmin):
    list_display = ["__str__", "engagement_request", "asked_at", "answered_at"]
    list_select_related = ["engagement_request"]
    raw_id_fields = ["engagement_request", "supplier", "asked_by", "answered_by"]
    search_fields = ["question", "answer"]


@admin.register(Participant)
class ParticipantAdmin(SimpleHistoryAdmin):
    list_display = ["supplier", "engagement_request", "kind", "recorded_at"]
    list_filter = ["kind"]
    list_select_related = ["supplier", "engagement_request"]
    raw_id_fields = ["engagement_request", "supplier", "recorded_by"]


@admin.register(Match)
class MatchAdmin(SimpleHistoryAdmin):
    list_display = ["engagement_request", "rank", "supplier", "score"]
    list_select_related = ["supplier", "engagement_request"]
    raw_id_fields = ["engagement_request", "supplier"]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(AlertPreference)
class AlertPreferenceAdmin(SimpleHistoryAdmin):
    list_display = ["supplier", "frequency", "updated_at"]
    list_filter = ["frequency"]
    raw_id_fields = ["supplier", "updated_by"]
    filter_horizontal = ["capabilities", "regions"]


@admin.register(Notification)
class NotificationAdmin(SimpleHistoryAdmin):
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
