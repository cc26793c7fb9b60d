"""``/CreditNotes`` of the Accounting API: list, read, create, update, allocate, take an allocation back.

developer.xero.com/documentation/api/accounting/creditnotes: GET (``where``, ``order``, ``page``/``pageSize`` —
line items only when paging or reading one —, ``If-Modified-Since``, one by CreditNoteID or CreditNoteNumber),
PUT creates, POST creates or updates (also ``POST /CreditNotes/{id}``), ``summarizeErrors`` as for invoices,
``PUT /CreditNotes/{id}/Allocations``, ``DELETE /CreditNotes/{id}/Allocations/{AllocationID}``.
"""

from __future__ import annotations

from typing import Any

from integrations.sandbox.messages import Request, Response, json_response
from integrations.sandbox.xero_allocation_rules import allocate, delete_allocation
from integrations.sandbox.xero_model import CreditNote, Org, ms_date, ms_datetime
from integrations.sandbox.xero_render import render_credit_note
from integrations.sandbox.xero_responses import is_uuid, not_found, unit_decimals, validation_exception
from integrations.sandbox.xero_rules import save_credit_note


def find_credit_note(org: Org, ident: str) -> CreditNote | None:
    if is_uuid(ident):
        return org.credit_notes.get(ident.lower())
    return next((c for c in org.credit_notes.values() if c.InvoiceNumber == ident), None)


def credit_note_view(org: Org, credit: CreditNote) -> dict[str, Any]:
    """The fields ``where`` can see."""
    contact = org.contacts.get(credit.ContactID)
    return {
        "Type": credit.Type,
        "CreditNoteID": credit.InvoiceID,
        "CreditNoteNumber": credit.InvoiceNumber,
        "Reference": credit.Reference if credit.Type == "ACCRECCREDIT" else "",
        "Status": credit.Status,
        "Contact": {
            "ContactID": credit.ContactID,
            "Name": contact.Name if contact else "",
            "ContactNumber": contact.ContactNumber if contact else "",
        },
        "Date": ms_date(credit.Date),
        "DueDate": ms_date(credit.DueDate) if credit.DueDate else None,
        "CurrencyCode": credit.CurrencyCode,
        "Total": credit.Total,
        "SubTotal": credit.SubTotal,
        "TotalTax": credit.TotalTax,
        "RemainingCredit": credit.AmountDue,
        "UpdatedDateUTC": ms_datetime(credit.updated),
        "LineAmountTypes": credit.LineAmountTypes,
    }


class CreditNotesMixin:
    """Part of ``XeroModule`` (``xero.py``): uses its ``envelope``, ``_listing``, ``_elements`` and ``_batch``."""

    envelope: Any
    _listing: Any
    _elements: Any
    _batch: Any

    def _get_credit_notes(self, request: Request, org: Org, _ident: str | None) -> Response:
        unit_dp = unit_decimals(request)
        return self._listing(
            request,
            "CreditNotes",
            list(org.credit_notes.values()),
            lambda c: credit_note_view(org, c),
            lambda c, paged: render_credit_note(org, c, with_lines=paged, unit_dp=unit_dp),
        )

    def _get_credit_note(self, request: Request, org: Org, ident: str | None) -> Response:
        credit = find_credit_note(org, ident or "")
        if credit is None:
            return not_found()
        return self.envelope("CreditNotes", [render_credit_note(org, credit, unit_dp=unit_decimals(request))])

    def _write_credit_notes(self, request: Request, org: Org, ident: str | None) -> Response:
        elements = self._elements(request, "CreditNotes")
        if isinstance(elements, Response):
            return elements
        unit_dp = unit_decimals(request)
        if ident is not None:
            credit = find_credit_note(org, ident)
            if credit is None:
                return not_found()
            result = save_credit_note(org, elements[0] if elements else {}, True, unit_dp, credit.InvoiceID)
            return self.envelope("CreditNotes", [result.data]) if result.ok else validation_exception([result.data])
        allow_update, client = request.method == "POST", request.client or ""
        return self._batch(
            request,
            "CreditNotes",
            elements,
            lambda e: save_credit_note(org, e, allow_update, unit_dp, client=client),
        )

    # -- allocations ---------------------------------------------------------------------------------------------
    def _put_allocations(self, request: Request, org: Org, ident: str, _sub: str | None) -> Response:
        credit = find_credit_note(org, ident)
        if credit is None:
            return not_found()
        elements = self._elements(request, "Allocations")
        if isinstance(elements, Response):
            return elements
        return self._batch(request, "Allocations", elements, lambda e: allocate(org, credit, e))

    def _delete_allocation(self, request: Request, org: Org, ident: str, allocation_id: str | None) -> Response:
        credit = find_credit_note(org, ident)
        allocation = org.allocations.get((allocation_id or "").lower())
        if credit is None or allocation is None or allocation.CreditNoteID != credit.InvoiceID or allocation.IsDeleted:
            return not_found()
        result = delete_allocation(org, allocation)
        # The spec answers a deleted allocation as a bare ``Allocation`` with ``IsDeleted: true``.
        return json_response(200, result.data) if result.ok else validation_exception([result.data])
