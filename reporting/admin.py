"""Admin for contract reporting: schemes (moderators), contracts, reports and runs.

Every save, action and inline that changes a row calls ``reporting.services``, so the
admin keeps the rules the site keeps. A form's save is first tried as a dry run of the
service while the form is validated (rolled back at once), so a refusal is shown on the
form; the real call is made when the admin saves. Fields only a service sets are
read-only. A published scheme version is read-only here: "Make a new draft version"
copies it into an editable draft, and "Publish" makes a draft the current standard.
Report decisions are not editable here. Who may see and do what is Django's per-model
permissions, held by the "Moderators" group (``accounts/0009_moderators_group``).
"""

from __future__ import annotations

import copy

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import path, reverse
from simple_history.admin import SimpleHistoryAdmin

from core.forms import apply_domain_error
from reporting import services
from reporting.models import (
    ComparisonRun,
    Contract,
    ContractReport,
    MetricDefinition,
    ReportEvent,
    ReportingScheme,
    ReportValue,
)

# --- Saving through the services --------------------------------------------------


class _DryRun(Exception):
    """Raised to roll back a service call made only to learn whether it would succeed."""


class ServiceForm(forms.ModelForm):
    """An admin form whose save is a service call (``write``).

    While the form is validated the service is called in a savepoint that is then
    rolled back, so its refusal (DomainError or PermissionDenied) becomes a form error
    and nothing is kept; the admin's save calls the service again for real.
    """

    actor = None  # the signed-in moderator, set by the admin's get_form / get_formset

    def write(self):
        raise NotImplementedError

    def _post_clean(self) -> None:
        # No model validation of our own: the service decides, with its own messages.
        if self.errors:
            return
        try:
            with transaction.atomic():
                self.write()
                raise _DryRun
        except _DryRun:
            pass
        except ValidationError as error:
            apply_domain_error(self, error)
        except PermissionDenied as error:
            self.add_error(None, str(error) or "You may not make this change.")

    def save(self, commit: bool = True):
        self.save_m2m = lambda: None
        return self.instance

    def _fields(self, names) -> dict:
        return {name: self.cleaned_data[name] for name in names if name in self.cleaned_data}


def _with_actor(form_class, request):
    return type(form_class.__name__, (form_class,), {"actor": request.user})


def _saved_into(obj, saved) -> None:
    """Give the admin's object what the service saved (the admin logs and redirects on it)."""
    obj.__dict__.update({k: v for k, v in saved.__dict__.items() if k != "_state"})
    obj._state.adding = False


class ServiceAdmin(SimpleHistoryAdmin):
    def get_form(self, request, obj=None, change=False, **kwargs):
        return _with_actor(super().get_form(request, obj, change=change, **kwargs), request)

    def save_model(self, request, obj, form, change) -> None:
        _saved_into(obj, form.write())


def _messages(error: Exception) -> list[str]:
    return getattr(error, "messages", None) or [str(error)]


# --- Schemes ---------------------------------------------------------------------


class MetricForm(ServiceForm):
    def _post_clean(self) -> None:
        if self.errors:
            return
        forms.models.construct_instance(self, self.instance, self._meta.fields, self._meta.exclude)
        super()._post_clean()

    def write(self):
        # A copy for the dry run: a rolled-back insert must not leave its id on the form's row.
        return services.scheme_metric_save(actor=self.actor, metric=copy.copy(self.instance))


class MetricInline(admin.StackedInline):
    model = MetricDefinition
    form = MetricForm
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

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.form = _with_actor(formset.form, request)
        return formset

    def has_add_permission(self, request, obj=None) -> bool:
        return super().has_add_permission(request, obj) and self._editable(obj)

    def has_change_permission(self, request, obj=None) -> bool:
        return super().has_change_permission(request, obj) and self._editable(obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return super().has_delete_permission(request, obj) and self._editable(obj)


class SchemeForm(ServiceForm):
    def write(self):
        if self.instance.pk:
            return services.scheme_update(
                actor=self.actor,
                scheme=self.instance,
                **self._fields(services.SCHEME_FIELDS),
            )
        fields = self._fields(["code", "name", "description"])
        return services.scheme_create(actor=self.actor, **fields)


@admin.register(ReportingScheme)
class ReportingSchemeAdmin(ServiceAdmin):
    form = SchemeForm
    list_display = ["name", "code", "version", "status", "published_at"]
    list_filter = ["status", "code"]
    inlines = [MetricInline]
    actions = ["make_draft", "publish", "discard_drafts"]
    fields = ["code", "version", "name", "description", "status", "published_at"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ["version", "status", "published_at"]
        if not obj.is_editable:  # a published version never changes
            return self.fields
        return ["code", "version", "status", "published_at"]

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []  # metrics once the draft exists

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # drafts are discarded through the service
        return actions

    def has_delete_permission(self, request, obj=None) -> bool:
        return super().has_delete_permission(request, obj) and (obj is None or obj.is_editable)

    def delete_model(self, request, obj) -> None:
        services.scheme_discard_draft(actor=request.user, scheme=obj)

    def save_formset(self, request, form, formset, change) -> None:
        # What formset.save() would record, for the admin's change message.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for inline_form in formset.initial_forms:
            if inline_form in formset.deleted_forms:
                services.scheme_metric_delete(actor=request.user, metric=inline_form.instance)
                formset.deleted_objects.append(inline_form.instance)
        for inline_form in formset.forms:
            if inline_form in formset.deleted_forms or not inline_form.has_changed():
                continue
            adding = inline_form.instance._state.adding
            metric = services.scheme_metric_save(actor=request.user, metric=inline_form.instance)
            if adding:
                formset.new_objects.append(metric)
            else:
                formset.changed_objects.append((metric, inline_form.changed_data))

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

    @admin.action(description="Discard the selected drafts")
    def discard_drafts(self, request, queryset):
        for scheme in queryset:
            try:
                services.scheme_discard_draft(actor=request.user, scheme=scheme)
            except (ValidationError, PermissionDenied) as error:
                self.message_user(request, " ".join(_messages(error)), messages.ERROR)
            else:
                self.message_user(request, f"{scheme} discarded.")


# --- Contracts and reports -------------------------------------------------------


class ContractForm(ServiceForm):
    def write(self):
        if self.instance.pk:
            return services.contract_update(
                actor=self.actor,
                contract=self.instance,
                **self._fields(services.CONTRACT_FIELDS),
            )
        return services.contract_create(
            actor=self.actor, **self._fields(["ocid", "buyer", *services.CONTRACT_FIELDS])
        )


@admin.register(Contract)
class ContractAdmin(ServiceAdmin):
    form = ContractForm
    list_display = ["title", "ocid", "buyer", "supplier", "category", "status"]
    list_filter = ["status", "category"]
    search_fields = ["title", "ocid", "supplier__name", "buyer__name"]
    raw_id_fields = ["supplier"]
    list_select_related = ["buyer", "supplier", "category"]
    fields = ["ocid", "buyer", *services.CONTRACT_FIELDS, "created_by"]

    def get_readonly_fields(self, request, obj=None):
        # The ocid and buyer are fixed once recorded; the service records who recorded it.
        return ["created_by"] if obj is None else ["ocid", "buyer", "created_by"]

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        actions["delete_contracts"] = self.get_action("delete_contracts")
        return actions

    def delete_model(self, request, obj) -> None:
        services.contract_delete(actor=request.user, contract=obj)

    def get_deleted_objects(self, objs, request):
        # Reports cannot be deleted on their own, but go with their contract (the service).
        deleted, counts, needed, protected = super().get_deleted_objects(objs, request)
        needed.discard(ContractReport._meta.verbose_name)
        return deleted, counts, needed, protected

    @admin.action(description="Remove the selected contracts and their reports")
    def delete_contracts(self, request, queryset):
        for contract in queryset:
            try:
                services.contract_delete(actor=request.user, contract=contract)
            except PermissionDenied as error:
                self.message_user(request, str(error), messages.ERROR)
            else:
                self.message_user(request, f"{contract.ocid} removed.")


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


class EventInline(ValueInline):
    model = ReportEvent
    fields = ["kind", "actor", "message", "created_at"]
    readonly_fields = fields


@admin.register(ContractReport)
class ContractReportAdmin(SimpleHistoryAdmin):
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

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # decisions are the buyer's, through the services

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # a report is a record; removing its contract removes it


# --- Comparison runs -------------------------------------------------------------


@admin.register(ComparisonRun)
class ComparisonRunAdmin(admin.ModelAdmin):
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
