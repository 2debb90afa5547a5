"""Django admin for the registry: moderators edit suppliers and the taxonomy here.

Every save, inline and action calls ``suppliers.services`` (so the rules are the ones
the web pages and the API meet, the search vector stays current and history records
who, when and why), and is visible on each object's History page
(django-simple-history). An edit of a supplier goes through ``supplier_profile_update``,
the one rule for whether an edit goes live; status changes go through the moderation
services, each with its reason. A service's refusal is shown on the page and nothing is
saved (``core.admin.ServiceAdminMixin``). Fields only a service writes (status, slug,
dates, moderation, public records and Companies House facts, the search data) are
read-only here.

Access is Django's per-model permissions, which the "Moderators" group holds (the data
migration ``accounts/0009_moderators_group`` says which and why); the services check
``suppliers.permissions.can_moderate`` again on every write. Deleting is left to
superusers; suppliers leave search by status (a moderator suspends them, with a reason),
not by deletion. Shortlists are private to their owners and are not in admin.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models import Count, F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.forms.models import construct_instance, model_to_dict
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from simple_history.admin import SimpleHistoryAdmin

from core.admin import ServiceAdminMixin, refusal_messages
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
    Supplier,
    SupplierForReview,
    SupplierInvitation,
    SupplierMembership,
    SupplierRevision,
)
from suppliers.selectors.duplicates import possible_duplicates
from suppliers.selectors.revisions import companies_house_facts, new_profile_rows, revision_rows


def _reason(prefix: str, form) -> str:
    changed = ", ".join(form.changed_data) if form is not None else ""
    return f"{prefix}: {changed}" if changed else prefix


class ServiceRulesForm(forms.ModelForm):
    """An admin form that leaves the model's rules to the service its save calls.

    A ``ModelForm`` normally runs the model's validation (validators, ``clean``,
    uniqueness) on the raw input before the admin saves. Here the service the save calls
    runs those checks, on the values it will write: it normalises first (a Companies
    House number typed ``sc 12345`` is ``SC012345``), so checking the raw input would
    refuse what the web pages and the API accept, and a second copy of the checks would
    hide whether the save went through the service at all. The service's refusal comes
    back through ``ServiceAdminMixin``, beside the field it names. The form still parses
    its fields (a number is a number, a choice is one of the choices).
    """

    def _post_clean(self) -> None:
        # ModelForm._post_clean without instance.full_clean() and validate_unique(): the
        # instance is still built from the input, for save_model and save_formset to read.
        opts = self._meta
        try:
            self.instance = construct_instance(self, self.instance, opts.fields, opts.exclude)
        except ValidationError as error:
            self._update_errors(error)


def _row_label(row) -> str:
    return f"Case study “{row}”" if isinstance(row, CaseStudy) else str(row)


def _refused_in(label: str, error: ValidationError) -> DomainError:
    """A refusal about an inline row, worded for the top of the page (the main form may
    have a field of the same name, such as ``summary``, that it is not about)."""
    if hasattr(error, "error_dict"):
        words = [
            f"{label}: {message}" if name == "__all__" else f"{label} ({name}): {message}"
            for name, messages_ in error.message_dict.items()
            for message in messages_
        ]
    else:
        words = [f"{label}: {message}" for message in refusal_messages(error)]
    return DomainError(words)


class ReadOnlyPermissions:
    """Records only services write: nobody adds, changes or deletes them here, superusers
    included; who may view them is the view permission's (the Moderators group has it)."""

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


class ReferenceAdmin(ServiceAdminMixin, SimpleHistoryAdmin):
    form = ServiceRulesForm
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
        self.run_service_action(
            request,
            queryset,
            lambda item: services.reference_item_delete(actor=request.user, item=item),
            "deleted",
        )


class CapabilityInline(admin.TabularInline):
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
    list_display = ("name", "group", "code", "position", "synonyms")
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


class CaseStudyInline(admin.StackedInline):
    model = CaseStudy
    form = ServiceRulesForm  # case_study_create and case_study_update check the values
    extra = 0
    fields = ("title", "client_type", "client_name", "year", "summary", "outcome")

    def has_delete_permission(self, request, obj=None) -> bool:
        return permissions.can_moderate(request.user)


class MembershipInline(admin.TabularInline):
    model = SupplierMembership
    extra = 0
    fields = ("user", "role", "created_at")
    readonly_fields = ("created_at",)
    raw_id_fields = ("user",)

    def has_delete_permission(self, request, obj=None) -> bool:
        return permissions.can_moderate(request.user)


class SupplierAdminForm(ServiceRulesForm):
    # Room for the ways people write a number ("SC 012345"): the service stores it in the
    # one form (suppliers.companies_house) or refuses it.
    companies_house_number = forms.CharField(
        label="Companies House number", max_length=20, empty_value=None
    )

    class Meta:
        model = Supplier
        fields = (*services.SUPPLIER_FIELDS, *services.SUPPLIER_M2M_FIELDS)


# Written only by moderation decisions (the queue, the suspend and reinstate actions).
MODERATION_FIELDS = ("created_by", "submitted_at", "status_reason", "suspended_at")
# Written only by suppliers.public_records (and claims), from public data.
PUBLIC_RECORD_FIELDS = (
    "from_public_records",
    "claimed_at",
    "public_scale",
    "companies_house_status",
    "incorporated_on",
    "dissolved_on",
    "sic_codes",
    "companies_house_checked_at",
    "companies_house_flagged_on",
)


@admin.register(Supplier)
class SupplierAdmin(ServiceAdminMixin, SimpleHistoryAdmin):
    form = SupplierAdminForm
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
    readonly_fields = (
        "slug",
        "created_at",
        "updated_at",
        "published_at",
        *MODERATION_FIELDS,
        *PUBLIC_RECORD_FIELDS,
    )
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
        ("Registration and moderation", {"fields": MODERATION_FIELDS}),
        ("Public records and Companies House", {"fields": PUBLIC_RECORD_FIELDS}),
    )

    def get_readonly_fields(self, request, obj=None):
        """Once a supplier exists its status changes only by a moderation decision
        (the queue, or the suspend and reinstate actions), so each has a reason."""
        return (*self.readonly_fields, "status") if obj is not None else self.readonly_fields

    def save_model(self, request, obj, form, change) -> None:
        """Write through the services, not obj.save(): a new supplier through
        ``supplier_create``; a change through ``supplier_profile_update``, the one rule for
        every edit of a profile (a moderator's goes live). Only the fields the moderator
        changed are passed, so a number the rule would now refuse does not block an edit
        of something else."""
        if change:
            fields = {
                name: form.cleaned_data[name]
                for name in form.changed_data
                if name in services.PROFILE_FIELDS or name in services.SUPPLIER_M2M_FIELDS
            }
            if fields:
                services.supplier_profile_update(
                    actor=request.user,
                    supplier=obj,
                    change_reason=_reason("Changed in admin", form),
                    **fields,
                )
        else:
            fields = {
                name: value
                for name, value in form.cleaned_data.items()
                if name in services.SUPPLIER_FIELDS or name in services.SUPPLIER_M2M_FIELDS
            }
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
        """Each inline row through its service: case studies (the supplier's search
        vector follows) and memberships (a supplier keeps at least one owner)."""
        supplier = form.instance
        instances = formset.save(commit=False)
        moved = {
            obj.pk
            for obj, changed in formset.changed_objects
            if isinstance(obj, SupplierMembership) and "user" in changed
        }
        for deleted in formset.deleted_objects:
            try:
                if isinstance(deleted, CaseStudy):
                    services.case_study_delete(actor=request.user, case_study=deleted)
                elif isinstance(deleted, SupplierMembership):
                    services.supplier_member_remove(actor=request.user, membership=deleted)
            except ValidationError as error:
                raise _refused_in(_row_label(deleted), error) from error
        for instance in instances:
            try:
                self._save_inline_row(request, supplier, instance, moved=moved)
            except ValidationError as error:
                raise _refused_in(_row_label(instance), error) from error

    def _save_inline_row(self, request, supplier: Supplier, instance, *, moved: set) -> None:
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


@admin.register(CaseStudy)
class CaseStudyAdmin(ServiceAdminMixin, SimpleHistoryAdmin):
    form = ServiceRulesForm  # case_study_create and case_study_update check the values
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
class SupplierMembershipAdmin(ServiceAdminMixin, SimpleHistoryAdmin):
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


# Shortlists and their notes are private to their owners (the privacy notice says so):
# they are not registered here, so nobody, moderators included, reads them in admin.


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
                d["status_label"],
                ", ".join(d["why"]),
            )
            for d in duplicates
        ),
    )


def _reason_page(modeladmin, request, queryset, *, action: str, title: str, done: str, call):
    """An admin action needing a reason: show the form, then run the moderation service
    ``call`` per supplier; each refusal (such as suspending a supplier that is not
    published) is reported and leaves that supplier as it was."""
    form = ReasonForm(request.POST if "reason" in request.POST else None)
    if form.is_bound and form.is_valid():
        reason = form.cleaned_data["reason"]
        modeladmin.run_service_action(
            request,
            queryset,
            lambda supplier: call(actor=request.user, supplier=supplier, reason=reason),
            done,
        )
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
        done="supplier(s) suspended",
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
        done="supplier(s) reinstated",
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
        done="rejected",
        call=services.supplier_reject,
    )


@admin.action(description="Approve selected")
def approve_selected(modeladmin, request, queryset):
    modeladmin.run_service_action(
        request,
        queryset,
        lambda supplier: services.supplier_approve(actor=request.user, supplier=supplier),
        "approved",
    )


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
class ModerationQueueAdmin(ServiceAdminMixin, admin.ModelAdmin):
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
            except (ValidationError, PermissionDenied) as error:
                self.message_user(request, " ".join(refusal_messages(error)), messages.ERROR)
        rows = revision_rows(revision) if revision is not None else new_profile_rows(supplier)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Review {supplier.name}",
            "opts": self.model._meta,
            "supplier": supplier,
            "revision": revision,
            "rows": rows,
            "companies_house": companies_house_facts(supplier),
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
    # The stored JSON holds codes: moderators read the changes by name instead.
    exclude = ("proposed", "base")
    readonly_fields = ("changes",)

    @admin.display(description="Changes")
    def changes(self, obj: SupplierRevision) -> str:
        from django.utils.html import format_html, format_html_join

        rows = format_html_join(
            "",
            '<tr><th scope="row">{}</th><td>{}</td><td>{}</td></tr>',
            (
                (row["label"], row["before"], row["proposed"])
                for row in revision_rows(obj, before="base")
            ),
        )
        return format_html(
            '<table><thead><tr><th scope="col">Field</th><th scope="col">Before</th>'
            '<th scope="col">Proposed</th></tr></thead><tbody>{}</tbody></table>',
            rows,
        )


@admin.register(SupplierInvitation)
class SupplierInvitationAdmin(ReadOnlyPermissions, SimpleHistoryAdmin):
    list_display = ("email", "supplier", "role", "created_at", "expires_at", "accepted_at")
    list_select_related = ("supplier",)
    search_fields = ("email", "supplier__name")
    exclude = ("token_hash",)


# Registers the admin pages for what comes from public records.
from suppliers import admin_public  # noqa: E402, F401
