"""Django admin for accounts: users and their roles, public bodies, the outbox, API tokens.

Admin is the moderators' tool (staff users). Writes that carry rules go through
accounts.services, like everywhere else.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from accounts import permissions, services, tokens
from accounts.models import ApiToken, OutboundEmail, PublicBody, User
from core.admin import ServiceAdminMixin


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
    autocomplete_fields = ["public_body"]
    # Civil-servant status is earned by confirming a government address, not typed in.
    readonly_fields = ["civil_servant_since", "last_login", "date_joined"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Personal details", {"fields": ["full_name"]}),
        ("Civil servant", {"fields": ["civil_servant_since", "public_body"]}),
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


@admin.register(PublicBody)
class PublicBodyAdmin(ServiceAdminMixin, SimpleHistoryAdmin):
    """Adds and corrections go through public_body_create / public_body_update."""

    list_display = ["name", "kind", "email_domain"]
    list_filter = ["kind"]
    search_fields = ["name", "email_domain"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["from_public_records"]  # the importers say so, nobody types it

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
