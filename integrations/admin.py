from __future__ import annotations

from django.contrib import admin

from integrations.models import BulkResync, BulkResyncItem, ErpEntry, Integration, RateLimit, SyncAttempt, SyncJob


@admin.register(Integration)
class IntegrationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "company", "enabled", "auto_sync", "connection"]
    list_filter = ["company", "kind", "enabled", "connection"]
    list_select_related = ["company"]
    search_fields = ["name", "company__name"]
    # Credentials are encrypted and never shown, not even to operators.
    exclude = ["credentials_encrypted"]
    readonly_fields = ["connection_message", "created_at"]


@admin.register(ErpEntry)
class ErpEntryAdmin(admin.ModelAdmin):
    list_display = [
        "document",
        "integration",
        "kind",
        "erp_number",
        "erp_status",
        "state",
        "booked",
        "needs_attention",
        "last_synced_at",
    ]
    list_filter = ["integration__company", "integration", "kind", "state", "booked", "needs_attention"]
    list_select_related = ["document", "document__vendor", "integration"]
    search_fields = ["document__invoice_number", "erp_id", "erp_number"]
    readonly_fields = [f.name for f in ErpEntry._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(SyncJob)
class SyncJobAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "document",
        "integration",
        "state",
        "trigger",
        "wanted_version",
        "attempts",
        "next_attempt_at",
        "lease_expires_at",
    ]
    list_filter = ["integration__company", "integration", "state", "trigger"]
    list_select_related = ["document", "document__vendor", "integration"]
    search_fields = ["document__invoice_number"]
    readonly_fields = [f.name for f in SyncJob._meta.fields]

    def has_add_permission(self, request):
        return False


class BulkResyncItemInline(admin.TabularInline):
    model = BulkResyncItem
    extra = 0
    readonly_fields = ["document", "integration", "state", "outcome", "message"]
    can_delete = False


@admin.register(BulkResync)
class BulkResyncAdmin(admin.ModelAdmin):
    list_display = ["id", "company", "requested_by", "integration", "total", "created_at", "finished_at"]
    list_filter = ["company"]
    list_select_related = ["company", "requested_by", "integration"]
    readonly_fields = ["company", "requested_by", "integration", "total", "created_at", "finished_at"]

    def has_add_permission(self, request):
        return False


@admin.register(SyncAttempt)
class SyncAttemptAdmin(admin.ModelAdmin):
    """The integration log across companies (R16): filter, search, read only."""

    list_display = [
        "reference",
        "created_at",
        "company",
        "integration",
        "document",
        "entry_kind",
        "action",
        "outcome",
        "error_category",
        "trigger",
        "duration_ms",
    ]
    list_filter = [
        "company",
        "integration",
        "outcome",
        "error_category",
        "trigger",
        "action",
        "entry_kind",
        "created_at",
    ]
    list_select_related = ["company", "integration", "document", "document__vendor"]
    search_fields = ["reference", "document__invoice_number", "erp_id", "erp_number"]
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in SyncAttempt._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(RateLimit)
class RateLimitAdmin(admin.ModelAdmin):
    list_display = ["integration", "minute_count", "day_count", "blocked_until", "blocked_reason"]
    list_select_related = ["integration"]
    readonly_fields = [f.name for f in RateLimit._meta.fields]
