"""Django admin for accounts: users and their roles, public bodies, the outbox, API tokens.

Admin is the moderators' tool (staff users). Writes that carry rules go through
accounts.services, like everywhere else.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.helpers import ActionForm
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from simple_history.admin import SimpleHistoryAdmin

from accounts import permissions, services, tokens
from accounts.models import ApiToken, OutboundEmail, PublicBody, PublicBodyMembership, User
from core.admin import ServiceAdminMixin, refusal_messages


class ReasonActionForm(ActionForm):
    """The action bar with a reason box: decisions about people are recorded with why."""

    reason = forms.CharField(
        required=False,
        label="Reason (recorded)",
        widget=forms.TextInput(attrs={"size": 60}),
    )


def _reason(request: HttpRequest) -> str:
    return request.POST.get("reason", "")


class UserCreationAdminForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email", "full_name")


class UserChangeAdminForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


class CivilServantFilter(admin.SimpleListFilter):
    title = "civil servant"
    parameter_name = "civil_servant"

    def lookups(self, request, model_admin):
        return [("yes", "Yes"), ("no", "No")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(civil_servant_since__isnull=False)
        if self.value() == "no":
            return queryset.filter(civil_servant_since__isnull=True)
        return queryset


@admin.register(User)
class UserAdmin(SimpleHistoryAdmin, DjangoUserAdmin):
    """Users. Civil-servant status and public body come from evidence (accounts.services):
    they are read-only here; the actions revoke or restore the status, with a reason."""

    form = UserChangeAdminForm
    add_form = UserCreationAdminForm
    list_display = [
        "email",
        "full_name",
        "is_civil_servant",
        "public_body",
        "is_staff",
        "is_active",
        "date_joined",
    ]
    list_filter = [CivilServantFilter, "is_staff", "is_active", "public_body"]
    list_select_related = ["public_body"]
    search_fields = ["email", "full_name"]
    ordering = ["email"]
    # Civil-servant status is earned by confirming a government address, and the public
    # body by a membership (PublicBodyMembership): neither is typed in.
    readonly_fields = [
        "civil_servant_since",
        "civil_servant_revoked_at",
        "public_body",
        "last_login",
        "date_joined",
    ]
    action_form = ReasonActionForm
    actions = ["revoke_civil_servant", "restore_civil_servant"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Personal details", {"fields": ["full_name"]}),
        (
            "Civil servant",
            {
                "description": "Memberships are decided under Public body memberships.",
                "fields": ["civil_servant_since", "civil_servant_revoked_at", "public_body"],
            },
        ),
        (
            "Permissions",
            {
                "description": "Staff users are Techmap moderators.",
                "fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"],
            },
        ),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (
            None,
            {
                "classes": ["wide"],
                "fields": ["email", "full_name", "usable_password", "password1", "password2"],
            },
        )
    ]

    @admin.display(boolean=True, description="Civil servant")
    def is_civil_servant(self, obj: User) -> bool:
        return obj.is_civil_servant

    # Django's UserAdmin.get_form cannot take ServiceAdminMixin's form hook; only its action
    # loop is needed here, and it uses nothing but message_user.
    run_service_action = ServiceAdminMixin.run_service_action

    def has_revoke_permission(self, request: HttpRequest) -> bool:
        return permissions.can_revoke_civil_servant(request.user)

    @admin.action(
        description="Revoke civil-servant status and public body (give a reason)",
        permissions=["revoke"],
    )
    def revoke_civil_servant(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        reason = _reason(request)
        self.run_service_action(
            request,
            queryset,
            lambda user: services.user_revoke_civil_servant(
                actor=request.user, user=user, reason=reason
            ),
            "user(s) are no longer civil servants",
        )

    @admin.action(
        description="Restore civil-servant status (give a reason)", permissions=["revoke"]
    )
    def restore_civil_servant(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        reason = _reason(request)
        self.run_service_action(
            request,
            queryset,
            lambda user: services.user_restore_civil_servant(
                actor=request.user, user=user, reason=reason
            ),
            "user(s) had their civil-servant status restored",
        )


@admin.register(PublicBodyMembership)
class PublicBodyMembershipAdmin(ServiceAdminMixin, SimpleHistoryAdmin):
    """Who works for which public body, and on what evidence. Read-only: a moderator decides
    a pending request (approve or reject) or revokes an active one through the actions, with
    a reason; who, when and why are kept on the row and in its history."""

    list_display = [
        "user",
        "public_body",
        "status",
        "basis",
        "email",
        "requested_at",
        "decided_by",
        "decided_at",
        "reason",
    ]
    list_filter = ["status", "basis"]
    list_select_related = ["user", "public_body", "decided_by"]
    search_fields = ["user__email", "user__full_name", "public_body__name", "email"]
    date_hierarchy = "requested_at"
    readonly_fields = [
        "user",
        "public_body",
        "status",
        "basis",
        "email",
        "requested_at",
        "decided_by",
        "decided_at",
        "reason",
        "ended_at",
    ]
    action_form = ReasonActionForm
    actions = ["approve", "reject", "revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_decide_permission(self, request: HttpRequest) -> bool:
        return permissions.can_decide_memberships(request.user)

    def _decide(self, request, queryset, approve: bool, done: str) -> None:
        reason = _reason(request)
        self.run_service_action(
            request,
            queryset,
            lambda m: services.public_body_membership_decide(
                actor=request.user, membership=m, approve=approve, reason=reason
            ),
            done,
        )

    @admin.action(
        description="Approve the selected requests (give a reason)", permissions=["decide"]
    )
    def approve(self, request: HttpRequest, queryset: QuerySet[PublicBodyMembership]) -> None:
        self._decide(request, queryset, True, "request(s) approved")

    @admin.action(
        description="Reject the selected requests (give a reason)", permissions=["decide"]
    )
    def reject(self, request: HttpRequest, queryset: QuerySet[PublicBodyMembership]) -> None:
        self._decide(request, queryset, False, "request(s) rejected")

    @admin.action(
        description="Revoke the selected memberships (give a reason)", permissions=["decide"]
    )
    def revoke(self, request: HttpRequest, queryset: QuerySet[PublicBodyMembership]) -> None:
        reason = _reason(request)
        self.run_service_action(
            request,
            queryset,
            lambda m: services.public_body_membership_revoke(
                actor=request.user, membership=m, reason=reason
            ),
            "membership(s) revoked",
        )


@admin.register(PublicBody)
class PublicBodyAdmin(ServiceAdminMixin, SimpleHistoryAdmin):
    """Adds and corrections go through public_body_create / public_body_update."""

    list_display = ["name", "kind", "domains", "from_public_records"]
    search_fields = ["name", "email_domains"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["from_public_records"]  # the importers say so, nobody types it
    list_filter = ["kind", "from_public_records"]
    actions = ["merge"]

    def has_merge_permission(self, request: HttpRequest) -> bool:
        return permissions.can_manage_public_bodies(request.user)

    @admin.action(description="Merge the selected duplicate public bodies…", permissions=["merge"])
    def merge(
        self, request: HttpRequest, queryset: QuerySet[PublicBody]
    ) -> TemplateResponse | None:
        """Asks which body to keep (showing what would move), then merges the others
        into it through ``public_body_merge``: every link is kept."""
        bodies = list(queryset.order_by("from_public_records", "name"))
        if len(bodies) < 2:
            self.message_user(request, "Select two or more public bodies to merge.", messages.ERROR)
            return None
        keep_id = request.POST.get("keep", "")
        keep = next((b for b in bodies if str(b.pk) == keep_id), None)
        if "confirm" in request.POST and keep is not None:
            try:
                moved = services.public_body_merge(actor=request.user, keep=keep, duplicates=bodies)
            except (ValidationError, PermissionDenied) as error:
                self.message_user(request, " ".join(refusal_messages(error)), messages.ERROR)
                return None
            what = ", ".join(f"{n} {label}" for label, n in moved.items()) or "nothing"
            self.message_user(
                request,
                f"Merged {len(bodies) - 1} public bodies into {keep.name}; moved {what}.",
                messages.SUCCESS,
            )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Merge public bodies",
            "opts": self.model._meta,
            "bodies": [(b, services.public_body_links([b])) for b in bodies],
            "error": "Choose the public body to keep." if "confirm" in request.POST else "",
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/accounts/publicbody/merge.html", context)

    @admin.display(description="Email domains")
    def domains(self, obj: PublicBody) -> str:
        return ", ".join(obj.email_domains)

    def save_model(self, request, obj, form, change) -> None:
        fields = {name: form.cleaned_data[name] for name in services.PUBLIC_BODY_FIELDS}
        if change:
            changed = {name: fields[name] for name in form.changed_data if name in fields}
            saved = services.public_body_update(actor=request.user, public_body=obj, **changed)
        else:
            saved = services.public_body_create(actor=request.user, **fields)
        obj.pk, obj._state = saved.pk, saved._state


@admin.register(OutboundEmail)
class OutboundEmailAdmin(admin.ModelAdmin):
    """The outbox, read-only: emails are written by services and sent by Celery."""

    list_display = ["created_at", "to", "subject", "status", "attempts", "sent_at"]
    list_filter = ["status"]
    search_fields = ["to", "subject"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "to",
        "subject",
        "body",
        "html_body",
        "dedupe_key",
        "status",
        "attempts",
        "last_error",
        "created_at",
        "sent_at",
    ]
    actions = ["send_now"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_send_permission(self, request: HttpRequest) -> bool:
        return permissions.can_manage_outbox(request.user)

    @admin.action(description="Send the selected emails now", permissions=["send"])
    def send_now(self, request: HttpRequest, queryset: QuerySet[OutboundEmail]) -> None:
        sent = failed = skipped = 0
        for email in queryset.order_by("created_at"):
            if email.status == OutboundEmail.Status.SENT:
                skipped += 1
                continue
            try:
                ok = services.email_send_now(actor=request.user, email=email)
            except PermissionDenied:
                self.message_user(request, "Only moderators can send emails.", messages.ERROR)
                return
            if ok:
                sent += 1
            else:
                failed += 1
        if sent:
            self.message_user(request, f"Sent {sent} email(s).", messages.SUCCESS)
        if failed:
            self.message_user(
                request,
                f"{failed} email(s) could not be sent; see their last error.",
                messages.WARNING,
            )
        if skipped:
            self.message_user(request, f"{skipped} email(s) had already been sent.", messages.INFO)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are created by their users; admin only shows them (the hash, never the key)."""

    list_display = ["name", "user", "prefix", "scope", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["scope", ("revoked_at", admin.EmptyFieldListFilter)]
    list_select_related = ["user"]
    search_fields = ["name", "prefix", "user__email"]
    readonly_fields = [
        "user",
        "name",
        "scope",
        "prefix",
        "created_at",
        "last_used_at",
        "revoked_at",
    ]
    exclude = ["key_hash"]
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_revoke_permission(self, request: HttpRequest) -> bool:
        return permissions.is_moderator(request.user)

    @admin.action(description="Revoke the selected tokens", permissions=["revoke"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        count = 0
        for token in queryset.select_related("user"):
            tokens.token_revoke(actor=request.user, token=token)
            count += 1
        self.message_user(request, f"Revoked {count} token(s).", messages.SUCCESS)
