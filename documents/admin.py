from django.contrib import admin

from documents.models import Category, Department, Document, Payment, VatCode, Vendor


class CompanyScopedAdmin(admin.ModelAdmin):
    list_filter = ["company"]
    list_select_related = ["company"]


@admin.register(Vendor)
class VendorAdmin(CompanyScopedAdmin):
    list_display = ["name", "number", "tax_number", "company"]
    search_fields = ["name", "number", "tax_number"]


@admin.register(Category)
class CategoryAdmin(CompanyScopedAdmin):
    list_display = ["name", "account_code", "company"]
    search_fields = ["name", "account_code"]


@admin.register(Department)
class DepartmentAdmin(CompanyScopedAdmin):
    list_display = ["name", "company"]
    search_fields = ["name"]


@admin.register(VatCode)
class VatCodeAdmin(CompanyScopedAdmin):
    list_display = ["code", "name", "rate", "company"]
    search_fields = ["code", "name"]


class PaymentInline(admin.TabularInline):
    model = Payment
    extra = 0
    readonly_fields = ["created_by", "created_at"]


@admin.register(Document)
class DocumentAdmin(admin.ModelAdmin):
    # Documents change only through documents.services (versions and sync events); the admin only reads them.
    list_display = ["invoice_number", "vendor", "company", "issue_date", "total", "currency", "status", "version"]
    list_filter = ["company", "status", "currency", "marked_paid"]
    list_select_related = ["vendor", "company"]
    search_fields = ["invoice_number", "vendor__name", "public_id"]
    date_hierarchy = "issue_date"
    inlines = [PaymentInline]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin):
    list_display = ["document", "amount", "paid_on", "reference"]
    list_filter = ["document__company", "paid_on"]
    list_select_related = ["document", "document__vendor"]
    search_fields = ["document__invoice_number", "reference"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False
