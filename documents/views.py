from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from documents import listing, selectors, services
from documents.extensions import registry
from documents.forms import DocumentEditForm, MarkPaidForm, PaymentForm, date_hint
from documents.models import Document
from documents.services import PaymentDateError
from roger.access import get_for_company, membership_for, require_editor
from roger.http import HtmxHttpRequest

PAGE_SIZE = 50


@require_GET
@login_required
@vary_on_headers("HX-Request")
def document_list(request: HtmxHttpRequest) -> HttpResponse:
    membership = membership_for(request)
    company = membership.company
    params = request.GET
    tab = params.get("tab", "all")
    sort = listing.chosen_sort(params)
    qs = listing.filtered_documents(company, params)
    header_template, header_context = "", {}
    for extra in registry.list_tabs:
        if tab == extra.key:
            header_template = extra.header_template
            header_context = extra.header_context(company) if extra.header_context else {}
    page = Paginator(qs, PAGE_SIZE, allow_empty_first_page=True).get_page(params.get("page"))
    documents = list(page.object_list)
    table_only = bool(request.htmx and not request.htmx.boosted)  # an htmx refresh of the table alone
    for decorate in registry.row_decorators:
        decorate(company, documents)
    context = {
        "page": page,
        "documents": documents,
        "tabs": selectors.document_tabs(company=company),
        "tab": tab,
        "params": params,
        "query_without_page": _query_without(params, "page"),
        # What a "select all matching" selection belongs to: the filter, whatever the page and the order.
        "selection_query": _query_without(params, "page", "sort"),
        "vendor_options": "" if table_only else listing.vendor_options(company, params.get("vendor", "")),
        "statuses": Document.Status.choices,
        "extra_filters": [(f, params.get(f.key, "")) for f in registry.list_filters],
        "toolbar_templates": registry.list_toolbar_templates,
        "row_templates": registry.row_templates,
        "row_end_templates": registry.row_end_templates,
        "header_templates": registry.header_templates,
        "header_end_templates": registry.header_end_templates,
        "tab_header_template": header_template,
        **header_context,
        "can_edit": membership.can_edit,
        "sort": sort,
        "sort_choices": listing.SORT_CHOICES,
        "column_headers": listing.column_headers(params, sort),
        "date_hint": date_hint(),
        "bulk_limit": settings.ROGER_SYNC["BULK_MAX_DOCUMENTS"],
    }
    template = "documents/document_list.html" + ("#document-table" if table_only else "")
    return render(request, template, context)


def _query_without(params, *keys: str) -> str:
    """The current query string minus some parameters (for pagination links that keep the filters)."""
    query = params.copy()
    for key in keys:
        query.pop(key, None)
    return query.urlencode()


def detail_context(request: HtmxHttpRequest, document: Document, **extra) -> dict:
    membership = membership_for(request)
    company = membership.company
    payments = list(selectors.document_payments(document=document))
    credit_notes = [] if document.is_credit_note else list(selectors.document_credit_notes(document=document))
    credited = services.credited(document) if credit_notes else Decimal("0")
    # Magnitudes: a credit note's total is negative, what was refunded on it positive.  A bill marked as paid was
    # paid in full less what its credit notes settle.
    paid = abs(selectors.document_paid_amount(document=document)) - (credited if document.marked_paid else 0)
    outstanding = max(abs(document.total) - paid - credited, Decimal("0"))
    return {
        "document": document,
        "payments": payments,
        "paid_amount": paid,
        "outstanding": outstanding,
        "credit_notes": credit_notes,
        "credited": credited,
        "partly_paid": document.status == Document.Status.APPROVED and paid > 0,
        "show_bank_amounts": any(p.bank_amount is not None for p in payments),
        "form": extra.pop("form", None) or DocumentEditForm(instance=document, company=company),
        "payment_form": extra.pop("payment_form", None)
        or PaymentForm(initial={"amount": outstanding}, document=document, base_currency=company.base_currency),
        "mark_paid_form": extra.pop("mark_paid_form", None) or MarkPaidForm(),
        "can_edit": membership.can_edit,
        "detail_tabs": registry.detail_tabs,
        "active_tab": extra.pop("active_tab", "overview"),
        "file_limit": settings.ROGER_DOCUMENT_MAX_BYTES,
        **extra,
    }


@require_GET
@login_required
def document_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    membership = membership_for(request)
    document = get_for_company(
        Document.objects.select_related("vendor", "category", "department", "vat_code", "credits"), membership, pk=pk
    )
    tab = request.GET.get("tab", "overview")
    # The chosen integration stays in the page's address, so a reload or a shared link shows the same log.
    context = detail_context(request, document, active_tab=tab, integration=request.GET.get("integration", ""))
    return render(request, "documents/document_detail.html", context)


@require_GET
@login_required
def document_by_public_id(request: HtmxHttpRequest, public_id) -> HttpResponse:
    """The marker written into ERP entries is a link back here ("Go to Roger" in Xero)."""
    membership = membership_for(request)
    document = get_for_company(Document.objects.all(), membership, public_id=public_id)
    return redirect("documents:detail", pk=document.pk)


def apply_errors(form, error: ValidationError) -> None:
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, errors in error.error_dict.items():
        form.add_error(field if field in form.fields else None, errors)


def _has_code(error: ValidationError, code: str) -> bool:
    errors = (
        [e for field in error.error_dict.values() for e in field] if hasattr(error, "error_dict") else error.error_list
    )
    return any(e.code == code for e in errors)


@require_POST
@login_required
def document_edit(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    membership = membership_for(request)
    document = get_for_company(Document.objects.all(), membership, pk=pk)
    require_editor(membership)
    form = DocumentEditForm(request.POST, instance=Document.objects.get(pk=document.pk), company=membership.company)
    if form.is_valid():
        try:
            services.document_update(document=document, actor=request.user, **form.changes())
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Saved. The change is on its way to your ERP."))
            return redirect("documents:detail", pk=document.pk)
    document.refresh_from_db()
    return render(request, "documents/document_detail.html", detail_context(request, document, form=form), status=422)


def _status_action(request: HtmxHttpRequest, pk: int, action, success: Callable[[Document], str]) -> HttpResponse:
    membership = membership_for(request)
    document = get_for_company(Document.objects.all(), membership, pk=pk)
    require_editor(membership)
    try:
        action(document=document, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, success(document))
    return redirect("documents:detail", pk=document.pk)


@require_POST
@login_required
def document_approve(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    return _status_action(request, pk, services.document_approve, _approved_message)


def _approved_message(document: Document) -> str:
    if document.is_credit_note:
        return _("Approved. The credit note is on its way to your ERP.")
    return _("Approved. The bill is on its way to your ERP.")


@require_POST
@login_required
def document_submit(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    return _status_action(request, pk, services.document_submit, lambda document: _("Submitted for approval."))


def _payment_message(document: Document) -> str:
    if document.is_credit_note:
        if document.is_paid:
            return _("Refund registered. The credit note is refunded; the refund is on its way to your ERP.")
        return _(
            "Refund registered. The credit note is partly refunded; the refund reaches your ERP once it is refunded in full."
        )
    if document.is_paid:
        return _("Payment registered. The document is paid; the payment is on its way to your ERP.")
    return _("Payment registered. The document is partly paid; the payment reaches your ERP once it is fully paid.")


@require_POST
@login_required
def payment_create(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    membership = membership_for(request)
    document = get_for_company(Document.objects.all(), membership, pk=pk)
    require_editor(membership)
    form = PaymentForm(request.POST, document=document, base_currency=membership.company.base_currency)
    confirm_date = ""
    if form.is_valid():
        try:
            services.payment_register(document=document, actor=request.user, **form.service_arguments())
        except ValidationError as error:
            if _has_code(error, PaymentDateError.FUTURE):
                confirm_date = form.cleaned_data["paid_on"].isoformat()
            apply_errors(form, error)
        else:
            document.refresh_from_db(fields=["status"])
            messages.success(request, _payment_message(document))
            return redirect("documents:detail", pk=document.pk)
    document.refresh_from_db()
    context = detail_context(request, document, payment_form=form, confirm_payment_date=confirm_date)
    return render(request, "documents/document_detail.html", context, status=422)


@require_POST
@login_required
def document_mark_paid(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    membership = membership_for(request)
    document = get_for_company(Document.objects.all(), membership, pk=pk)
    require_editor(membership)
    form = MarkPaidForm(request.POST)
    confirm_date = ""
    if form.is_valid():
        try:
            services.document_mark_paid(
                document=document,
                actor=request.user,
                paid_on=form.cleaned_data["paid_on"],
                allow_future=form.allow_future(),
            )
        except ValidationError as error:
            if _has_code(error, PaymentDateError.FUTURE):
                confirm_date = form.cleaned_data["paid_on"].isoformat()
            apply_errors(form, error)
        else:
            if document.is_credit_note:
                messages.success(request, _("Marked as refunded. The refund is on its way to your ERP."))
            else:
                messages.success(request, _("Marked as paid. The payment is on its way to your ERP."))
            return redirect("documents:detail", pk=document.pk)
    document.refresh_from_db()
    context = detail_context(request, document, mark_paid_form=form, confirm_mark_paid_date=confirm_date)
    return render(request, "documents/document_detail.html", context, status=422)
