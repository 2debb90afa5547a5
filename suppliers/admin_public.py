"""Admin for what comes from public records: the CPV → capability table moderators edit,
and read-only views of award records and external engagement notices."""

from __future__ import annotations

from django.contrib import admin

from suppliers.models import AwardRecord, CpvCapability, ExternalEngagementNotice


@admin.register(CpvCapability)
class CpvCapabilityAdmin(admin.ModelAdmin):
    list_display = ("cpv_prefix", "capability", "note")
    list_select_related = ("capability",)
    search_fields = ("cpv_prefix", "capability__name")
    autocomplete_fields = ("capability",)


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
