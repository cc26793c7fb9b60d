from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from documents.models import Document
from integrations import erp_words
from integrations.models import (
    BulkResync,
    BulkResyncItem,
    EntryKind,
    ErpEntry,
    Integration,
    RateLimit,
    SyncAttempt,
    SyncJob,
)

CREDIT = Document.Kind.CREDIT_NOTE


class EntryKindFilter(admin.SimpleListFilter):
    """The entry kind in the app's words: a credit note's entries are a credit note and an allocation or refund
    (issue #15), not a vendor bill and a vendor payment.  Filters on the stored entry kind and the document's kind."""

    title = _("entry kind")
    parameter_name = "entry"
    field = "kind"  # the entry kind's field on the model filtered
    meanings = {  # choice: (stored entry kind, on a credit note)
        "bill": (EntryKind.BILL, False),
        "payment": (EntryKind.PAYMENT, False),
        "credit_note": (EntryKind.BILL, True),
        "allocation_or_refund": (EntryKind.PAYMENT, True),
    }

    def lookups(self, request, model_admin):
        return [
            ("bill", EntryKind.BILL.label),
            ("payment", EntryKind.PAYMENT.label),
            ("credit_note", _("Credit note")),
            ("allocation_or_refund", _("Allocation or refund")),
        ]

    def queryset(self, request, queryset):
        if self.value() not in self.meanings:
            return queryset
        kind, credit = self.meanings[self.value()]
        queryset = queryset.filter(**{self.field: kind})
        return queryset.filter(document__kind=CREDIT) if credit else queryset.exclude(document__kind=CREDIT)


class AttemptEntryKindFilter(EntryKindFilter):
    field = "entry_kind"


class EntryKindColumns:
    """The entry kind as the app says it (a credit note's entries in the ERP's words), and the document's kind."""

    entry_kind_field = "kind"

    @admin.display(description=_("Entry kind"))
    def entry(self, obj):
        kind = getattr(obj, self.entry_kind_field)
        if not obj.document.is_credit_note:
            return EntryKind(kind).label
        return erp_words.entry_labels(obj.document, obj.integration)[kind]

    @admin.display(description=_("Document kind"), ordering="document__kind")
    def document_kind(self, obj):
        return obj.document.get_kind_display()


def read_only(model, entry_kind_field: str) -> list[str]:
    """Every field, read only, with the entry kind shown in words and the document's kind beside it."""
    names = [f.name for f in model._meta.fields]
    at = names.index(entry_kind_field)
    return [*names[:at], "entry", "document_kind", *names[at + 1 :]]


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
class ErpEntryAdmin(EntryKindColumns, admin.ModelAdmin):
    list_display = [
        "document",
        "integration",
        "entry",
        "document_kind",
        "erp_number",
        "erp_status",
        "state",
        "booked",
        "needs_attention",
        "last_synced_at",
    ]
    list_filter = ["integration__company", "integration", EntryKindFilter, "state", "booked", "needs_attention"]
    list_select_related = ["document", "document__vendor", "integration"]
    search_fields = ["document__invoice_number", "erp_id", "erp_number"]
    exclude = ["kind"]  # shown in words by entry()
    readonly_fields = read_only(ErpEntry, "kind")

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
class SyncAttemptAdmin(EntryKindColumns, admin.ModelAdmin):
    """The integration log across companies (R16): filter, search, read only."""

    entry_kind_field = "entry_kind"
    list_display = [
        "reference",
        "created_at",
        "company",
        "integration",
        "document",
        "entry",
        "document_kind",
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
        AttemptEntryKindFilter,
        "created_at",
    ]
    list_select_related = ["company", "integration", "document", "document__vendor"]
    search_fields = ["reference", "document__invoice_number", "erp_id", "erp_number"]
    date_hierarchy = "created_at"
    exclude = ["entry_kind"]  # shown in words by entry()
    readonly_fields = read_only(SyncAttempt, "entry_kind")

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
