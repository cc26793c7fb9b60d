"""Company-scoped reads of documents for views (DESIGN §4).  Nothing here writes."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum
from django.utils.translation import gettext_lazy as _

from documents.models import Document, Payment
from documents.search import search as search_documents
from roger.models import Company

SORTS = {
    "date": ("issue_date", "id"),
    "-date": ("-issue_date", "-id"),
    "due": ("due_date", "id"),
    "-due": ("-due_date", "-id"),
    "total": ("total", "id"),
    "-total": ("-total", "-id"),
    "vendor": ("vendor__name", "id"),
    "-vendor": ("-vendor__name", "-id"),
    "number": ("invoice_number", "id"),
    "-number": ("-invoice_number", "-id"),
}


def document_list(
    *,
    company: Company,
    tab: str = "all",
    search: str = "",
    vendor_id: int | None = None,
    status: str = "",
    date_from=None,
    date_to=None,
    sort: str = "-date",
) -> QuerySet[Document]:
    qs = Document.objects.filter(company=company).select_related("vendor", "category", "department", "credits")
    if tab == "unpaid":
        qs = qs.filter(status=Document.Status.APPROVED)
    elif tab == "paid":
        qs = qs.filter(status=Document.Status.PAID)
    if search:
        qs = search_documents(qs, company=company, term=search)
    if vendor_id:
        qs = qs.filter(vendor_id=vendor_id)
    if status in Document.Status.values:
        qs = qs.filter(status=status)
    if date_from:
        qs = qs.filter(issue_date__gte=date_from)
    if date_to:
        qs = qs.filter(issue_date__lte=date_to)
    return qs.order_by(*SORTS.get(sort, SORTS["-date"]))


def document_tab_counts(*, company: Company) -> dict[str, int]:
    """All / Unpaid / Paid counts in one query."""
    return Document.objects.filter(company=company).aggregate(
        all=Count("id"),
        unpaid=Count("id", filter=Q(status=Document.Status.APPROVED)),
        paid=Count("id", filter=Q(status=Document.Status.PAID)),
    )


def document_tabs(*, company: Company) -> list[tuple[str, str, int]]:
    """The list's tabs with their counts: All / Unpaid / Paid, then the ones other apps registered."""
    from documents.extensions import registry

    counts = document_tab_counts(company=company)
    tabs = [
        ("all", _("All"), counts["all"]),
        ("unpaid", _("Unpaid"), counts["unpaid"]),
        ("paid", _("Paid"), counts["paid"]),
    ]
    return tabs + [(t.key, t.label, t.count(company)) for t in registry.list_tabs]


def document_get(*, company: Company, pk: int) -> Document:
    return Document.objects.select_related("vendor", "category", "department", "vat_code").get(company=company, pk=pk)


def document_credit_notes(*, document: Document) -> QuerySet[Document]:
    """The supplier's credit notes that correct this bill, oldest first."""
    notes = Document.objects.filter(company_id=document.company_id, credits=document).order_by("issue_date", "id")
    return notes.select_related("credits")  # their status names the bill


def document_payments(*, document: Document) -> QuerySet[Payment]:
    return document.payments.all()


CENT = Decimal("0.01")


def document_paid_amount(*, document: Document) -> Decimal:
    """What the vendor payment entry carries: every registered payment, or the total when marked as paid."""
    if document.marked_paid:
        return document.total
    paid = document.payments.aggregate(total=Sum("amount"))["total"] or Decimal("0")
    # SQLite sums decimals as floats; the amount is money, so back to cents.
    return Decimal(paid).quantize(CENT)
