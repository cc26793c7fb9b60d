"""A new document as the supplier sent it (R17): an invoice or a credit note, with its file, created as a draft.

A credit note can start from the bill it corrects ("Add a credit note" on the bill's page): the supplier, the
currency and the bookkeeping fields are taken from the bill.  The document and its file are stored together or not
at all: a refused file creates no document.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from documents import services
from documents.forms import BillField, DocumentCreateForm, bills_to_correct, date_hint
from documents.models import Document
from documents.views import apply_errors
from roger.access import get_for_company, membership_for, require_editor
from roger.http import HtmxHttpRequest
from roger.models import Membership


def _initial(request: HtmxHttpRequest, membership: Membership) -> dict:
    """A credit note started from its bill: the bill's supplier, currency and bookkeeping fields."""
    raw = request.GET.get("credits", "")
    if request.GET.get("kind") != Document.Kind.CREDIT_NOTE:
        return {}
    initial: dict = {"kind": Document.Kind.CREDIT_NOTE}
    if raw.isdigit():
        bill = get_for_company(Document.objects.filter(kind=Document.Kind.INVOICE), membership, pk=int(raw))
        initial |= {
            "credits": bill.pk,
            "vendor": bill.vendor_id,
            "currency": bill.currency,
            "vat_code": bill.vat_code_id,
            "category": bill.category_id,
            "department": bill.department_id,
            "description": _("Credit for %(number)s") % {"number": bill.invoice_number},
        }
    return initial


def _create(form: DocumentCreateForm, membership: Membership, actor) -> Document:
    """The document and its file, together: a refused file rolls the document back."""
    with transaction.atomic():
        document = services.document_create(company=membership.company, actor=actor, **form.service_arguments())
        upload = form.cleaned_data.get("file")
        if upload:
            document = services.document_attach_file(document=document, actor=actor, upload=upload)
    return document


@require_http_methods(["GET", "POST"])
@login_required
def document_new(request: HtmxHttpRequest) -> HttpResponse:
    membership = membership_for(request)
    require_editor(membership)
    company = membership.company
    if request.method == "GET":
        form = DocumentCreateForm(initial=_initial(request, membership), company=company)
        return render(request, "documents/document_new.html", {"form": form, "date_hint": date_hint()})
    form = DocumentCreateForm(request.POST, request.FILES, company=company)
    if form.is_valid():
        try:
            document = _create(form, membership, request.user)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            if document.is_credit_note:
                messages.success(request, _("Credit note created as a draft. Approve it to sync it to your ERP."))
            else:
                messages.success(request, _("Document created as a draft. Approve it to sync it to your ERP."))
            return redirect("documents:detail", pk=document.pk)
    return render(request, "documents/document_new.html", {"form": form, "date_hint": date_hint()}, status=422)


@require_GET
@login_required
def bill_options(request: HtmxHttpRequest) -> HttpResponse:
    """The bill chooser's options for the supplier and currency chosen (fetched when either changes)."""
    membership = membership_for(request)
    field = BillField()
    field.shown = bills_to_correct(membership.company, request.GET.get("vendor"), request.GET.get("currency"))
    field.queryset = field.shown
    selected = request.GET.get("credits", "")
    return render(
        request,
        "documents/_bill_options.html",
        {"choices": [(str(value), label) for value, label in field.choices], "selected": selected},
    )
