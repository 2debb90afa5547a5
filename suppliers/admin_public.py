"""Admin for what comes from public records: the CPV → capability table moderators edit,
read-only views of award records and external engagement notices, and the claims to
suppliers from public records that moderators approve or reject."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.template.response import TemplateResponse

from core.errors import DomainError
from suppliers import permissions, services
from suppliers.models import AwardRecord, CpvCapability, ExternalEngagementNotice, SupplierClaim
from suppliers.public_records.capabilities import resync_cpv_capabilities


class _ModeratorsEdit:
    """Moderators (active staff, ``permissions.can_moderate``) view, add, change and
    delete: the CPV table is theirs to keep."""

    def has_module_permission(self, request) -> bool:
        return permissions.can_moderate(request.user)

    def has_view_permission(self, request, obj=None) -> bool:
        return permissions.can_moderate(request.user)

    def has_add_permission(self, request, *args) -> bool:
        return permissions.can_moderate(request.user)

    def has_change_permission(self, request, obj=None) -> bool:
        return permissions.can_moderate(request.user)

    def has_delete_permission(self, request, obj=None) -> bool:
        return permissions.can_moderate(request.user)


@admin.register(CpvCapability)
class CpvCapabilityAdmin(_ModeratorsEdit, admin.ModelAdmin):
    list_display = ("cpv_prefix", "capability", "note")
    list_select_related = ("capability",)
    search_fields = ("cpv_prefix", "capability__name")
    autocomplete_fields = ("capability",)

    # Suppliers from public records take their capabilities from this table: every change
    # is applied to them at once (set-based, suppliers.public_records.capabilities).
    def save_model(self, request, obj, form, change) -> None:
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            resync_cpv_capabilities()

    def delete_model(self, request, obj) -> None:
        with transaction.atomic():
            super().delete_model(request, obj)
            resync_cpv_capabilities()

    def delete_queryset(self, request, queryset) -> None:
        with transaction.atomic():
            super().delete_queryset(request, queryset)
            resync_cpv_capabilities()


@admin.register(AwardRecord)
class AwardRecordAdmin(admin.ModelAdmin):
    list_display = ("title", "buyer", "value_amount", "award_date", "publisher")
    list_select_related = ("buyer",)
    search_fields = ("ocid", "title")
    raw_id_fields = ("buyer", "contract")
    readonly_fields = [f.name for f in AwardRecord._meta.fields if f.name not in ("contract",)]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(ExternalEngagementNotice)
class ExternalEngagementNoticeAdmin(admin.ModelAdmin):
    list_display = ("title", "buyer", "published_at", "closes_at", "publisher")
    list_select_related = ("buyer",)
    search_fields = ("ocid", "title")
    raw_id_fields = ("buyer",)
    # Written only by the import (suppliers.public_records.ocds), from the published notice.
    readonly_fields = [f.name for f in ExternalEngagementNotice._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False


# --- Claims to suppliers from public records ---------------------------------------------


class ClaimReasonForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea, max_length=2000)


@admin.action(description="Approve selected claims (the Companies House numbers must match)")
def approve_claims(modeladmin, request, queryset):
    done = 0
    for claim in queryset.select_related("supplier"):
        try:
            services.supplier_claim_approve(actor=request.user, claim=claim)
            done += 1
        except DomainError as error:
            modeladmin.message_user(
                request, f"{claim.supplier.name}: {' '.join(error.messages)}", messages.ERROR
            )
    if done:
        modeladmin.message_user(request, f"Approved {done} claim(s).", messages.SUCCESS)


@admin.action(description="Reject selected claims (asks for a reason)")
def reject_claims(modeladmin, request, queryset):
    form = ClaimReasonForm(request.POST if "reason" in request.POST else None)
    if form.is_bound and form.is_valid():
        done = 0
        for claim in queryset.select_related("supplier"):
            try:
                services.supplier_claim_reject(
                    actor=request.user, claim=claim, reason=form.cleaned_data["reason"]
                )
                done += 1
            except DomainError as error:
                modeladmin.message_user(
                    request, f"{claim.supplier.name}: {' '.join(error.messages)}", messages.ERROR
                )
        if done:
            modeladmin.message_user(request, f"Rejected {done} claim(s).", messages.SUCCESS)
        return None
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": "Reject claims",
        "opts": modeladmin.model._meta,
        "queryset": queryset.select_related("supplier", "claimant"),
        "form": form,
        "action": "reject_claims",
        "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
    }
    return TemplateResponse(request, "admin/suppliers/claim_reason.html", context)


@admin.register(SupplierClaim)
class SupplierClaimAdmin(admin.ModelAdmin):
    """Moderators check each claim's Companies House number against the public record's
    (and Companies House), then approve or reject it with the actions."""

    list_display = (
        "supplier",
        "name",
        "companies_house_number",
        "record_number",
        "claimant",
        "status",
        "submitted_at",
    )
    list_filter = ("status",)
    list_select_related = ("supplier", "claimant")
    search_fields = ("supplier__name", "name", "companies_house_number", "claimant__email")
    actions = [approve_claims, reject_claims]
    readonly_fields = [f.name for f in SupplierClaim._meta.fields]

    @admin.display(description="Number in the public record")
    def record_number(self, obj: SupplierClaim) -> str:
        return obj.supplier.companies_house_number or "(none)"

    def has_module_permission(self, request) -> bool:
        return permissions.can_decide_claim(request.user)

    def has_view_permission(self, request, obj=None) -> bool:
        return permissions.can_decide_claim(request.user)

    def has_change_permission(self, request, obj=None) -> bool:
        # Changes go through the actions (and so the claim services) only.
        return permissions.can_decide_claim(request.user) and obj is None

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
