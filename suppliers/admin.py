"""Django admin for the registry: moderators edit suppliers and the taxonomy here.

Every change goes through ``suppliers.services`` (so the search vector stays
current and history records who, when and why) and is visible on each
object's History page (django-simple-history). Access is decided by
``suppliers.permissions.can_moderate``, not Django's per-model permissions:
moderators are staff. Deleting is left to superusers; suppliers leave search by
status (a moderator suspends them, with a reason), not by deletion.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Count, F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.forms.models import model_to_dict
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from simple_history.admin import SimpleHistoryAdmin

from core.errors import DomainError
from suppliers import permissions, services
from suppliers.forms_registration import ReasonForm
from suppliers.models import (
    Capability,
    CapabilityGroup,
    CaseStudy,
    Certification,
    Framework,
    ModerationDecision,
    Region,
    Shortlist,
    ShortlistEntry,
    Supplier,
    SupplierForReview,
    SupplierInvitation,
    SupplierMembership,
    SupplierRevision,
)
from suppliers.selectors.duplicates import possible_duplicates
from suppliers.selectors.revisions import new_profile_rows, revision_rows


def _reason(prefix: str, form) -> str:
    changed = ", ".join(form.changed_data) if form is not None else ""
    return f"{prefix}: {changed}" if changed else prefix


class ModeratorPermissions:
    """Moderators may view, add and change; only superusers delete."""

    def has_module_permission(self, request) -> bool:
        return permissions.can_moderate(request.user)

    def has_view_permission(self, request, obj=None) -> bool:
        return permissions.can_moderate(request.user)

    def has_add_permission(self, request, *args) -> bool:
        return permissions.can_moderate(request.user)

    def has_change_permission(self, request, obj=None) -> bool:
        return permissions.can_moderate(request.user)

    def has_delete_permission(self, request, obj=None) -> bool:
        return bool(request.user.is_active and request.user.is_superuser)


class ReadOnlyPermissions(ModeratorPermissions):
    def has_add_permission(self, request, *args) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


# --- Reference data ---------------------------------------------------------------


@admin.register(Region)
class RegionAdmin(ReadOnlyPermissions, admin.ModelAdmin):
    """The 12 ITL1 regions are fixed by statute and seeded by migration: read only."""

    list_display = ("name", "code", "position")
    ordering = ("position",)


class ReferenceAdmin(ModeratorPermissions, SimpleHistoryAdmin):
    search_fields = ("name", "code")

    def save_model(self, request, obj, form, change) -> None:
        services.reference_item_save(
            actor=request.user,
            item=obj,
            change_reason=_reason("Changed in admin" if change else "Added in admin", form),
        )

    def delete_model(self, request, obj) -> None:
        services.reference_item_delete(actor=request.user, item=obj)

    def delete_queryset(self, request, queryset) -> None:
        for obj in queryset:
            services.reference_item_delete(actor=request.user, item=obj)


class CapabilityInline(ModeratorPermissions, admin.TabularInline):
    model = Capability
    fields = ("position", "name", "code")
    extra = 0
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False  # add capabilities on their own page, where history is recorded

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(CapabilityGroup)
class CapabilityGroupAdmin(ReferenceAdmin):
    list_display = ("name", "code", "position", "capability_count")
    prepopulated_fields = {"code": ("name",)}
    inlines = [CapabilityInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(capability_count=Count("capabilities"))

    @admin.display(description="capabilities", ordering="capability_count")
    def capability_count(self, obj) -> int:
        return obj.capability_count


@admin.register(Capability)
class CapabilityAdmin(ReferenceAdmin):
    list_display = ("name", "group", "code", "position")
    list_filter = ("group",)
    list_select_related = ("group",)
    prepopulated_fields = {"code": ("name",)}


@admin.register(Certification)
class CertificationAdmin(ReferenceAdmin):
    list_display = ("name", "code")
    prepopulated_fields = {"code": ("name",)}


@admin.register(Framework)
class FrameworkAdmin(ReferenceAdmin):
    list_display = ("name", "code")
    prepopulated_fields = {"code": ("name",)}


# --- Suppliers ----------------------------------------------------------------------


class CaseStudyInline(ModeratorPermissions, admin.StackedInline):
    model = CaseStudy
    extra = 0
    fields = ("title", "client_type", "client_name", "year", "summary", "outcome")

    def has_delete_permission(self, request, obj=None) -> bool:
        return permissions.can_moderate(request.user)


class MembershipInline(ModeratorPermissions, admin.TabularInline):
    model = SupplierMembership
    extra = 0
    fields = ("user", "role", "created_at")
    readonly_fields = ("created_at",)
    raw_id_fields = ("user",)

    def has_delete_permission(self, request, obj=None) -> bool:
        return permissions.can_moderate(request.user)


@admin.register(Supplier)
class SupplierAdmin(ModeratorPermissions, SimpleHistoryAdmin):
    list_display = (
        "name",
        "companies_house_number",
        "size",
        "hq_region",
        "status",
        "updated_at",
    )
    list_filter = ("status", "size", "hq_region")
    list_select_related = ("hq_region",)
    search_fields = ("name", "companies_house_number", "slug")
    readonly_fields = ("slug", "created_at", "updated_at", "published_at")
    filter_horizontal = ("regions", "capabilities", "certifications", "frameworks")
    inlines = [CaseStudyInline, MembershipInline]
    history_list_display = ("status",)
    list_per_page = 50
    show_full_result_count = False  # no COUNT(*) over 100,000 rows on every page
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    fieldsets = (
        (None, {"fields": ("name", "slug", "companies_house_number", "status")}),
        ("Profile", {"fields": ("website", "summary", "description")}),
        ("Organisation", {"fields": ("size", "employees", "year_founded", "hq_region")}),
        ("Offer", {"fields": ("regions", "capabilities", "certifications", "frameworks")}),
        ("Contact", {"fields": ("contact_name", "contact_email", "contact_phone")}),
        ("Dates", {"fields": ("created_at", "updated_at", "published_at")}),
        (
            "Registration and moderation",
            {"fields": ("created_by", "submitted_at", "status_reason", "suspended_at")},
        ),
    )

    def get_readonly_fields(self, request, obj=None):
        """Once a supplier exists its status changes only by a moderation decision
        (the queue, or the suspend and reinstate actions), so each has a reason."""
        moderation = ("created_by", "submitted_at", "status_reason", "suspended_at")
        fields = (*self.readonly_fields, *moderation)
        return (*fields, "status") if obj is not None else fields

    def save_model(self, request, obj, form, change) -> None:
        """Write through the service (validation, history, search vector), not obj.save()."""
        fields = {
            name: value
            for name, value in form.cleaned_data.items()
            if name in services.SUPPLIER_FIELDS or name in services.SUPPLIER_M2M_FIELDS
        }
        if change:
            saved = services.supplier_update(
                actor=request.user,
                supplier=obj,
                change_reason=_reason("Changed in admin", form),
                **fields,
            )
        else:
            saved = services.supplier_create(
                actor=request.user, change_reason="Added in admin", **fields
            )
        obj.pk = saved.pk
        obj.refresh_from_db()

    def save_related(self, request, form, formsets, change) -> None:
        # The service already set the many-to-many fields; form.save_m2m() is not called.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def save_formset(self, request, form, formset, change) -> None:
        supplier = form.instance
        instances = formset.save(commit=False)
        moved = {
            obj.pk
            for obj, changed in formset.changed_objects
            if isinstance(obj, SupplierMembership) and "user" in changed
        }
        for deleted in formset.deleted_objects:
            if isinstance(deleted, CaseStudy):
                services.case_study_delete(actor=request.user, case_study=deleted)
            elif isinstance(deleted, SupplierMembership):
                services.supplier_member_remove(actor=request.user, membership=deleted)
        for instance in instances:
            if isinstance(instance, CaseStudy):
                fields = model_to_dict(instance, fields=services.CASE_STUDY_FIELDS)
                if instance.pk:
                    services.case_study_update(actor=request.user, case_study=instance, **fields)
                else:
                    services.case_study_create(actor=request.user, supplier=supplier, **fields)
            elif isinstance(instance, SupplierMembership):
                services.supplier_member_add(
                    actor=request.user, supplier=supplier, user=instance.user, role=instance.role
                )
                if instance.pk in moved:  # the row now names someone else: replace it
                    services.supplier_member_remove(
                        actor=request.user,
                        membership=SupplierMembership.objects.get(pk=instance.pk),
                    )

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except DomainError as exc:
            # A rule only a service knows (such as "keep one owner"): the admin's
            # transaction has rolled back; say why and show the page again.
            self.message_user(request, " ".join(exc.messages), level="error")
            return HttpResponseRedirect(request.get_full_path())


@admin.register(CaseStudy)
class CaseStudyAdmin(ModeratorPermissions, SimpleHistoryAdmin):
    list_display = ("title", "supplier", "client_type", "client_name", "year")
    list_filter = ("client_type",)
    list_select_related = ("supplier",)
    search_fields = ("title", "client_name", "supplier__name")
    raw_id_fields = ("supplier",)

    def get_readonly_fields(self, request, obj=None):
        return ("supplier",) if obj else ()

    def save_model(self, request, obj, form, change) -> None:
        fields = model_to_dict(obj, fields=services.CASE_STUDY_FIELDS)
        if change:
            saved = services.case_study_update(actor=request.user, case_study=obj, **fields)
        else:
            saved = services.case_study_create(actor=request.user, supplier=obj.supplier, **fields)
        obj.pk = saved.pk

    def delete_model(self, request, obj) -> None:
        services.case_study_delete(actor=request.user, case_study=obj)


@admin.register(SupplierMembership)
class SupplierMembershipAdmin(ModeratorPermissions, SimpleHistoryAdmin):
    list_display = ("user", "supplier", "role", "created_at")
    list_filter = ("role",)
    list_select_related = ("user", "supplier")
    search_fields = ("user__email", "supplier__name")
    raw_id_fields = ("user", "supplier")

    def get_readonly_fields(self, request, obj=None):
        return ("user", "supplier", "created_at") if obj else ("created_at",)

    def save_model(self, request, obj, form, change) -> None:
        saved = services.supplier_member_add(
            actor=request.user, supplier=obj.supplier, user=obj.user, role=obj.role
        )
        obj.pk = saved.pk

    def delete_model(self, request, obj) -> None:
        services.supplier_member_remove(actor=request.user, membership=obj)


# --- Shortlists: civil servants' own working lists; moderators may look, not touch ----


class ShortlistEntryInline(ReadOnlyPermissions, admin.TabularInline):
    model = ShortlistEntry
    fields = ("supplier", "note", "added_at")
    readonly_fields = fields
    extra = 0


@admin.register(Shortlist)
class ShortlistAdmin(ReadOnlyPermissions, admin.ModelAdmin):
    list_display = ("name", "owner", "updated_at")
    list_select_related = ("owner",)
    search_fields = ("name", "owner__email")
    inlines = [ShortlistEntryInline]


@admin.register(ShortlistEntry)
class ShortlistEntryAdmin(ReadOnlyPermissions, admin.ModelAdmin):
    list_display = ("supplier", "shortlist", "added_at")
    list_select_related = ("supplier", "shortlist")


# --- Moderation ---------------------------------------------------------------------
#
# The queue lists new profiles (pending review) and live suppliers with a pending
# revision, oldest first. Each decision goes through suppliers.services (which
# checks the moderator, writes a ModerationDecision and emails the people after
# commit). Decisions that need a reason go through an intermediate form page.


def _duplicates_html(duplicates: list[dict]) -> str:
    from django.utils.html import format_html_join
    from django.utils.safestring import mark_safe

    if not duplicates:
        return "—"
    return format_html_join(
        mark_safe("<br>"),
        '<a href="{}">{}</a> ({}; {})',
        (
            (
                reverse("admin:suppliers_supplier_change", args=[d["pk"]]),
                d["name"],
                d["status"],
                ", ".join(d["why"]),
            )
            for d in duplicates
        ),
    )


def _reason_page(modeladmin, request, queryset, *, action: str, title: str, verb: str, call):
    """An admin action needing a reason: show the form, then run ``call`` per supplier."""
    form = ReasonForm(request.POST if "reason" in request.POST else None)
    if form.is_bound and form.is_valid():
        done = 0
        for supplier in queryset:
            try:
                call(actor=request.user, supplier=supplier, reason=form.cleaned_data["reason"])
                done += 1
            except DomainError as error:
                modeladmin.message_user(
                    request, f"{supplier.name}: {' '.join(error.messages)}", messages.ERROR
                )
        if done:
            modeladmin.message_user(request, f"{verb} {done} supplier(s).", messages.SUCCESS)
        return None
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "opts": modeladmin.model._meta,
        "queryset": queryset,
        "form": form,
        "action": action,
        "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
    }
    return TemplateResponse(request, "admin/suppliers/reason.html", context)


@admin.action(description="Suspend selected suppliers (asks for a reason)")
def suspend_selected(modeladmin, request, queryset):
    return _reason_page(
        modeladmin,
        request,
        queryset,
        action="suspend_selected",
        title="Suspend suppliers",
        verb="Suspended",
        call=services.supplier_suspend,
    )


@admin.action(description="Reinstate selected suppliers (asks for a reason)")
def reinstate_selected(modeladmin, request, queryset):
    return _reason_page(
        modeladmin,
        request,
        queryset,
        action="reinstate_selected",
        title="Reinstate suppliers",
        verb="Reinstated",
        call=services.supplier_reinstate,
    )


@admin.action(description="Reject selected (asks for a reason)")
def reject_selected(modeladmin, request, queryset):
    return _reason_page(
        modeladmin,
        request,
        queryset,
        action="reject_selected",
        title="Reject",
        verb="Rejected",
        call=services.supplier_reject,
    )


@admin.action(description="Approve selected")
def approve_selected(modeladmin, request, queryset):
    done = 0
    for supplier in queryset:
        try:
            services.supplier_approve(actor=request.user, supplier=supplier)
            done += 1
        except DomainError as error:
            modeladmin.message_user(
                request, f"{supplier.name}: {' '.join(error.messages)}", messages.ERROR
            )
    if done:
        modeladmin.message_user(request, f"Approved {done} supplier(s).", messages.SUCCESS)


SupplierAdmin.actions = [suspend_selected, reinstate_selected]


def review_queue():
    """New profiles and live suppliers with a pending revision, oldest first."""
    pending_revision = SupplierRevision.objects.filter(
        supplier_id=OuterRef("pk"), status=SupplierRevision.Status.PENDING
    )
    return (
        SupplierForReview.objects.filter(
            Q(status=Supplier.Status.PENDING_REVIEW)
            | Q(
                status__in=(Supplier.Status.PUBLISHED, Supplier.Status.SUSPENDED),
                revisions__status=SupplierRevision.Status.PENDING,
            )
        )
        .annotate(
            revision_id=Subquery(pending_revision.values("pk")[:1]),
            waiting_since=Coalesce(
                Subquery(pending_revision.values("submitted_at")[:1]),
                F("submitted_at"),
                F("updated_at"),
            ),
        )
        .defer("search_vector")
        .order_by("waiting_since", "pk")
    )


@admin.register(SupplierForReview)
class ModerationQueueAdmin(ModeratorPermissions, admin.ModelAdmin):
    list_display = ("name", "kind", "waiting_since", "status", "duplicates")
    list_display_links = ("name",)
    actions = [approve_selected, reject_selected]
    list_per_page = 50
    search_fields = ("name", "companies_house_number")

    def has_add_permission(self, request, *args) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_queryset(self, request):
        return review_queue()

    def get_ordering(self, request):
        return ("waiting_since", "pk")

    @admin.display(description="what", ordering=None)
    def kind(self, obj) -> str:
        return "Changes to a live profile" if obj.revision_id else "New profile"

    @admin.display(description="waiting since", ordering="waiting_since")
    def waiting_since(self, obj):
        return obj.waiting_since

    @admin.display(description="possible duplicates")
    def duplicates(self, obj) -> str:
        return _duplicates_html(getattr(obj, "_duplicates", []))

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        cl = getattr(response, "context_data", {}).get("cl") if response else None
        if cl is not None:
            rows = list(cl.result_list)  # fills the queryset's cache the template reads
            found = possible_duplicates([row.pk for row in rows])
            for row in rows:
                row._duplicates = found.get(row.pk, [])
        return response

    def get_urls(self):
        return [
            path(
                "<int:pk>/review/",
                self.admin_site.admin_view(self.review_view),
                name="suppliers_supplierforreview_review",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        return redirect("admin:suppliers_supplierforreview_review", pk=object_id)

    def review_view(self, request, pk: int):
        """One item of the queue: the differences field by field, duplicates, decide."""
        if not permissions.can_moderate(request.user):
            raise PermissionDenied
        supplier = get_object_or_404(Supplier.objects.select_related("hq_region"), pk=pk)
        revision = SupplierRevision.objects.filter(
            supplier=supplier, status=SupplierRevision.Status.PENDING
        ).first()
        form = ReasonForm(request.POST if request.POST.get("decision") == "reject" else None)
        if request.method == "POST":
            decision = request.POST.get("decision")
            try:
                if decision == "approve":
                    services.supplier_approve(
                        actor=request.user,
                        supplier=supplier,
                        reason=request.POST.get("reason", "").strip(),
                    )
                    self.message_user(request, f"Approved {supplier.name}.", messages.SUCCESS)
                    return redirect("admin:suppliers_supplierforreview_changelist")
                if decision == "reject" and form.is_valid():
                    services.supplier_reject(
                        actor=request.user, supplier=supplier, reason=form.cleaned_data["reason"]
                    )
                    self.message_user(request, f"Rejected {supplier.name}.", messages.SUCCESS)
                    return redirect("admin:suppliers_supplierforreview_changelist")
            except DomainError as error:
                self.message_user(request, " ".join(error.messages), messages.ERROR)
        rows = revision_rows(revision) if revision is not None else new_profile_rows(supplier)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Review {supplier.name}",
            "opts": self.model._meta,
            "supplier": supplier,
            "revision": revision,
            "rows": rows,
            "duplicates": possible_duplicates([supplier.pk])[supplier.pk],
            "decisions": ModerationDecision.objects.filter(supplier=supplier).select_related(
                "moderator"
            ),
            "form": form,
        }
        return TemplateResponse(request, "admin/suppliers/review.html", context)


@admin.register(ModerationDecision)
class ModerationDecisionAdmin(ReadOnlyPermissions, SimpleHistoryAdmin):
    list_display = ("supplier", "action", "moderator", "created_at", "reason")
    list_filter = ("action",)
    list_select_related = ("supplier", "moderator")
    search_fields = ("supplier__name", "reason")


@admin.register(SupplierRevision)
class SupplierRevisionAdmin(ReadOnlyPermissions, SimpleHistoryAdmin):
    list_display = ("supplier", "status", "submitted_by", "submitted_at", "decided_by")
    list_filter = ("status",)
    list_select_related = ("supplier", "submitted_by", "decided_by")


@admin.register(SupplierInvitation)
class SupplierInvitationAdmin(ReadOnlyPermissions, SimpleHistoryAdmin):
    list_display = ("email", "supplier", "role", "created_at", "expires_at", "accepted_at")
    list_select_related = ("supplier",)
    search_fields = ("email", "supplier__name")
    exclude = ("token_hash",)


from suppliers import admin_public  # noqa: E402, F401 (public records: issue 16)
