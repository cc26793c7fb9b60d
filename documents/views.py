from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.dateparse import parse_date
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from documents import selectors, services
from documents.extensions import registry
from documents.forms import DocumentEditForm, MarkPaidForm, PaymentForm
from documents.models import Document, Vendor
from roger.access import get_for_company, membership_for, require_editor
from roger.http import HtmxHttpRequest

PAGE_SIZE = 50
SORT_CHOICES = [
    ("-date", "Newest first"),
    ("date", "Oldest first"),
    ("-due", "Due date, latest"),
    ("due", "Due date, soonest"),
    ("-total", "Largest total"),
    ("total", "Smallest total"),
    ("vendor", "Vendor A–Z"),
    ("-vendor", "Vendor Z–A"),
    ("number", "Invoice number"),
]


def _int_or_none(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


def _vendor_options(company, selected: str) -> str:
    """The vendor filter's <option>s, built in one pass: a company has hundreds of vendors, and a template loop
    over them was a fifth of the list's server time."""
    rows = Vendor.objects.filter(company=company).order_by("name").values_list("pk", "name")
    return format_html_join(
        "", '<option value="{}"{}>{}</option>', ((pk, SELECTED if str(pk) == selected else "", name) for pk, name in rows)
    )


SELECTED = mark_safe(" selected")


@require_GET
@login_required
@vary_on_headers("HX-Request")
def document_list(request: HtmxHttpRequest) -> HttpResponse:
    membership = membership_for(request)
    company = membership.company
    params = request.GET
    tab = params.get("tab", "all")
    qs = selectors.document_list(
        company=company,
        tab=tab,
        search=params.get("q", "").strip(),
        vendor_id=_int_or_none(params.get("vendor")),
        status=params.get("status", ""),
        date_from=parse_date(params.get("from", "") or "") if params.get("from") else None,
        date_to=parse_date(params.get("to", "") or "") if params.get("to") else None,
        sort=params.get("sort", "-date"),
    )
    header_template, header_context = "", {}
    for extra in registry.list_tabs:
        if tab == extra.key:
            qs = extra.filter(qs, company)
            header_template = extra.header_template
            header_context = extra.header_context(company) if extra.header_context else {}
    for extra_filter in registry.list_filters:
        if params.get(extra_filter.key):
            qs = extra_filter.apply(qs, company, params[extra_filter.key])
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
        "vendor_options": "" if table_only else _vendor_options(company, params.get("vendor", "")),
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
        "sort_choices": SORT_CHOICES,
    }
    template = "documents/document_list.html" + ("#document-table" if table_only else "")
    return render(request, template, context)


def _query_without(params, key: str) -> str:
    """The current query string minus one parameter (for pagination links that keep the filters)."""
    query = params.copy()
    query.pop(key, None)
    return query.urlencode()


def _detail_context(request: HtmxHttpRequest, document: Document, **extra) -> dict:
    membership = membership_for(request)
    return {
        "document": document,
        "payments": selectors.document_payments(document=document),
        "paid_amount": selectors.document_paid_amount(document=document),
        "form": extra.pop("form", None) or DocumentEditForm(instance=document, company=membership.company),
        "payment_form": extra.pop("payment_form", None)
        or PaymentForm(initial={"amount": document.total - selectors.document_paid_amount(document=document)}),
        "mark_paid_form": MarkPaidForm(),
        "can_edit": membership.can_edit,
        "detail_tabs": registry.detail_tabs,
        "active_tab": extra.pop("active_tab", "overview"),
        **extra,
    }


@require_GET
@login_required
def document_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    membership = membership_for(request)
    document = get_for_company(
        Document.objects.select_related("vendor", "category", "department", "vat_code"), membership, pk=pk
    )
    tab = request.GET.get("tab", "overview")
    return render(request, "documents/document_detail.html", _detail_context(request, document, active_tab=tab))


@require_GET
@login_required
def document_by_public_id(request: HtmxHttpRequest, public_id) -> HttpResponse:
    """The marker written into ERP entries is a link back here ("Go to Roger" in Xero)."""
    membership = membership_for(request)
    document = get_for_company(Document.objects.all(), membership, public_id=public_id)
    return redirect("documents:detail", pk=document.pk)


def _apply_errors(form, error: ValidationError) -> None:
    for field, messages_ in error.message_dict.items():
        form.add_error(field if field in form.fields else None, messages_)


@require_POST
@login_required
def document_edit(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    membership = membership_for(request)
    document = get_for_company(Document.objects.all(), membership, pk=pk)
    require_editor(membership)
    form = DocumentEditForm(request.POST, instance=Document.objects.get(pk=document.pk), company=membership.company)
    if form.is_valid():
        try:
            changes = {f: form.cleaned_data[f] for f in form.Meta.fields}
            services.document_update(document=document, actor=request.user, **changes)
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, "Saved. The change is on its way to your ERP.")
            return redirect("documents:detail", pk=document.pk)
    document.refresh_from_db()
    return render(request, "documents/document_detail.html", _detail_context(request, document, form=form), status=422)


def _status_action(request: HtmxHttpRequest, pk: int, action, success: str) -> HttpResponse:
    membership = membership_for(request)
    document = get_for_company(Document.objects.all(), membership, pk=pk)
    require_editor(membership)
    try:
        action(document=document, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, success)
    return redirect("documents:detail", pk=document.pk)


@require_POST
@login_required
def document_approve(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    return _status_action(request, pk, services.document_approve, "Approved. The bill is on its way to your ERP.")


@require_POST
@login_required
def document_submit(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    return _status_action(request, pk, services.document_submit, "Submitted for approval.")


@require_POST
@login_required
def payment_create(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    membership = membership_for(request)
    document = get_for_company(Document.objects.all(), membership, pk=pk)
    require_editor(membership)
    form = PaymentForm(request.POST)
    if form.is_valid():
        try:
            services.payment_register(document=document, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, "Payment registered.")
            return redirect("documents:detail", pk=document.pk)
    document.refresh_from_db()
    return render(
        request, "documents/document_detail.html", _detail_context(request, document, payment_form=form), status=422
    )


@require_POST
@login_required
def document_mark_paid(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    membership = membership_for(request)
    document = get_for_company(Document.objects.all(), membership, pk=pk)
    require_editor(membership)
    form = MarkPaidForm(request.POST)
    paid_on: dt.date | None = form.cleaned_data["paid_on"] if form.is_valid() else None
    try:
        services.document_mark_paid(document=document, actor=request.user, paid_on=paid_on)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "Marked as paid. The payment is on its way to your ERP.")
    return redirect("documents:detail", pk=document.pk)
