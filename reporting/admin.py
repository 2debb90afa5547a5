"""Admin for contract reporting: schemes (moderators), contracts, reports and runs.

A published scheme version is read-only here: "Make a new draft version" copies
it into an editable draft, and "Publish" makes a draft the current standard.
Report decisions are not editable here: they go through reporting.services.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import path, reverse
from simple_history.admin import SimpleHistoryAdmin

from accounts.permissions import is_moderator
from reporting import services
from reporting.comparison import mark_periods_changed
from reporting.models import (
    ComparisonRun,
    Contract,
    ContractReport,
    MetricDefinition,
    ReportEvent,
    ReportingScheme,
    ReportValue,
)


class ModeratorPermissions:
    """Moderators (staff) manage reporting without needing per-model permissions."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_moderator(request.user)

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return is_moderator(request.user)

    def has_add_permission(self, request: HttpRequest, *args) -> bool:
        return is_moderator(request.user)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return is_moderator(request.user)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return is_moderator(request.user)


# --- Schemes ---------------------------------------------------------------------


class MetricInline(ModeratorPermissions, admin.StackedInline):
    model = MetricDefinition
    extra = 0
    fields = [
        ("code", "name", "position"),
        "description",
        ("unit", "direction"),
        ("min_value", "max_value"),
        ("required", "weight"),
    ]

    def _editable(self, obj) -> bool:
        return obj is None or obj.is_editable

    def has_add_permission(self, request, obj=None) -> bool:
        return super().has_add_permission(request, obj) and self._editable(obj)

    def has_change_permission(self, request, obj=None) -> bool:
        return super().has_change_permission(request, obj) and self._editable(obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return super().has_delete_permission(request, obj) and self._editable(obj)


@admin.register(ReportingScheme)
class ReportingSchemeAdmin(ModeratorPermissions, SimpleHistoryAdmin):
    list_display = ["name", "code", "version", "status", "published_at"]
    list_filter = ["status", "code"]
    inlines = [MetricInline]
    actions = ["make_draft", "publish"]
    fields = ["code", "version", "name", "description", "status", "published_at"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ["version", "status", "published_at"]
        if not obj.is_editable:  # a published version never changes
            return self.fields
        return ["code", "version", "status", "published_at"]

    def has_delete_permission(self, request, obj=None) -> bool:
        return super().has_delete_permission(request, obj) and (obj is None or obj.is_editable)

    def save_model(self, request, obj, form, change):
        if not change:
            latest = ReportingScheme.objects.filter(code=obj.code).order_by("-version").first()
            obj.version = (latest.version + 1) if latest else 1
            obj.status = ReportingScheme.Status.DRAFT
        else:
            services.scheme_check_editable(ReportingScheme.objects.get(pk=obj.pk))
        super().save_model(request, obj, form, change)

    @admin.action(description="Make a new draft version of the selected scheme")
    def make_draft(self, request, queryset):
        for scheme in queryset:
            try:
                draft = services.scheme_new_draft(actor=request.user, scheme=scheme)
            except (ValidationError, PermissionDenied) as error:
                self.message_user(request, " ".join(_messages(error)), messages.ERROR)
            else:
                self.message_user(request, f"Draft {draft} made: edit its metrics, then publish.")

    @admin.action(description="Publish the selected draft")
    def publish(self, request, queryset):
        for scheme in queryset:
            try:
                services.scheme_publish(actor=request.user, scheme=scheme)
            except (ValidationError, PermissionDenied) as error:
                self.message_user(request, " ".join(_messages(error)), messages.ERROR)
            else:
                self.message_user(request, f"{scheme} published: new reports use it.")


def _messages(error: Exception) -> list[str]:
    return getattr(error, "messages", None) or [str(error)]


# --- Contracts and reports -------------------------------------------------------


@admin.register(Contract)
class ContractAdmin(ModeratorPermissions, SimpleHistoryAdmin):
    list_display = ["title", "ocid", "buyer", "supplier", "category", "status"]
    list_filter = ["status", "category"]
    search_fields = ["title", "ocid", "supplier__name", "buyer__name"]
    raw_id_fields = ["supplier", "created_by"]
    list_select_related = ["buyer", "supplier", "category"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and {"supplier", "category"} & set(form.changed_data):
            mark_periods_changed(obj.reports.values_list("period", flat=True))


class ValueInline(admin.TabularInline):
    model = ReportValue
    extra = 0
    can_delete = False
    fields = ["metric", "value", "comment"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_view_permission(self, request, obj=None) -> bool:
        return is_moderator(request.user)


class EventInline(ValueInline):
    model = ReportEvent
    fields = ["kind", "actor", "message", "created_at"]
    readonly_fields = fields


@admin.register(ContractReport)
class ContractReportAdmin(ModeratorPermissions, SimpleHistoryAdmin):
    list_display = ["contract", "period", "status", "scheme", "submitted_at"]
    list_filter = ["status", "period"]
    search_fields = ["contract__title", "contract__ocid"]
    list_select_related = ["contract", "scheme"]
    inlines = [ValueInline, EventInline]
    readonly_fields = [
        "contract",
        "period",
        "scheme",
        "status",
        "submitted_by",
        "submitted_at",
        "decided_by",
        "decided_at",
        "query_reason",
        "reply",
    ]

    def has_add_permission(self, request, *args) -> bool:
        return False  # reports come from suppliers through the services


# --- Comparison runs -------------------------------------------------------------


@admin.register(ComparisonRun)
class ComparisonRunAdmin(ModeratorPermissions, admin.ModelAdmin):
    list_display = [
        "pk",
        "status",
        "trigger",
        "full",
        "started_at",
        "finished_at",
        "reports_counted",
        "values_counted",
        "benchmarks_written",
    ]
    list_filter = ["status", "trigger"]
    actions = ["run_now", "run_full_now"]
    change_list_template = "reporting/admin/comparisonrun_change_list.html"

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in ComparisonRun._meta.fields]

    def has_add_permission(self, request, *args) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_urls(self):
        return [
            path(
                "run-now/",
                self.admin_site.admin_view(self.run_now_view),
                name="reporting_comparisonrun_run_now",
            ),
            *super().get_urls(),
        ]

    def _request_run(self, request, *, full: bool) -> None:
        try:
            queued = services.comparison_request(actor=request.user, full=full)
        except PermissionDenied:
            self.message_user(request, "Only moderators run comparisons.", messages.ERROR)
            return
        if queued:
            kind = "A full comparison" if full else "A comparison of changed periods"
            self.message_user(request, f"{kind} has been queued. Refresh to see it run.")
        else:
            self.message_user(
                request,
                "The task queue could not be reached. Run “python manage.py run_comparison” "
                "on a server, or try again later.",
                messages.ERROR,
            )

    def run_now_view(self, request: HttpRequest):
        if request.method != "POST":
            return redirect("admin:reporting_comparisonrun_changelist")
        self._request_run(request, full=request.POST.get("full") == "1")
        return HttpResponseRedirect(reverse("admin:reporting_comparisonrun_changelist"))

    @admin.action(description="Run comparison now (changed periods)")
    def run_now(self, request, queryset):
        self._request_run(request, full=False)

    @admin.action(description="Run comparison now (full rebuild)")
    def run_full_now(self, request, queryset):
        self._request_run(request, full=True)
