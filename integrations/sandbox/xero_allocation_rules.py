"""Xero's rules for allocating a credit note to an invoice (``PUT /CreditNotes/{id}/Allocations``) and for taking an
allocation back (``DELETE /CreditNotes/{id}/Allocations/{AllocationID}``).

From developer.xero.com/documentation/api/accounting/creditnotes ("Allocating CreditNotes"): the credit note must
be AUTHORISED; create and allocate are two calls; the allocation's ``Date`` is read-only — "the latter of the
invoice date and the credit note date"; JSON takes ``Amount`` (XML ``AppliedAmount``, XeroAPI/xero-node#239).
Messages marked *(verified)* were logged by integrations (waynerobinson/xeroizer#320, calcinai/xero-php#251); the
others are the sandbox's own, for rules whose wording we could not confirm.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from integrations.sandbox.xero_model import (
    EMPTY_ID,
    Allocation,
    CreditNote,
    Invoice,
    Org,
    money,
    ms_date,
    new_id,
    utcnow,
)
from integrations.sandbox.xero_payment_rules import apply_payment
from integrations.sandbox.xero_render import render_allocation
from integrations.sandbox.xero_results import INVOICE_NOT_FOUND, ElementResult, dec, text

EXCEEDS = "Credit Note cannot be allocated as amount is greater than amount outstanding"  # (verified)
PAID_OFF = "The invoice you are trying to allocate to has already been paid off"  # (verified)
WRONG_TYPE = "Credit Note cannot be allocated to an incorrect invoice type"  # (verified, xeroizer#320)
NOT_AUTHORISED = "Only AUTHORISED credit notes can be allocated"
INVOICE_NOT_OPEN = "Credit Note can only be allocated to an AUTHORISED invoice"
OTHER_CONTACT = "The credit note and the invoice must be for the same contact"
OTHER_CURRENCY = "The credit note and the invoice must be in the same currency"
MATCHING_TYPE = {"ACCPAYCREDIT": "ACCPAY", "ACCRECCREDIT": "ACCREC"}


def _failed(raw: dict[str, Any], credit: CreditNote, errors: list[str]) -> ElementResult:
    invoice = raw.get("Invoice") if isinstance(raw.get("Invoice"), dict) else {}
    echoed: dict[str, Any] = {
        "Amount": raw.get("Amount"),
        "Date": text(raw.get("Date")) or ms_date(credit.Date),  # required in the schema, so echoed as sent
        "Invoice": {"InvoiceID": text(invoice.get("InvoiceID")) or EMPTY_ID},
        "CreditNote": {"CreditNoteID": credit.InvoiceID},
        "StatusAttributeString": "ERROR",
        "ValidationErrors": [{"Message": message} for message in errors],
    }
    return ElementResult(False, echoed, errors)


def _target(org: Org, raw: dict[str, Any]) -> Invoice | None:
    ref = raw.get("Invoice") if isinstance(raw.get("Invoice"), dict) else {}
    invoice_id, number = text(ref.get("InvoiceID")).lower(), text(ref.get("InvoiceNumber"))
    if invoice_id:
        return org.invoices.get(invoice_id)
    return next((i for i in org.invoices.values() if number and i.InvoiceNumber == number), None)


def allocate(org: Org, credit: CreditNote, raw: Any) -> ElementResult:
    """One allocation element: checked in full, then applied to both documents (or to neither)."""
    if not isinstance(raw, dict):
        return _failed({}, credit, ["The allocation element is not valid"])
    errors: list[str] = []
    invoice = _target(org, raw)
    amount = dec(raw.get("Amount", raw.get("AppliedAmount")), "Amount", errors)
    if amount is None or amount <= 0:
        errors.append("The amount being applied must be greater than zero")
    if credit.Status != "AUTHORISED":
        errors.append(NOT_AUTHORISED)
    if invoice is None:
        errors.append(INVOICE_NOT_FOUND)
    else:
        errors += _against(org, credit, invoice, amount)
    if errors or invoice is None or amount is None:
        return _failed(raw, credit, errors)
    allocation = Allocation(
        AllocationID=new_id(),
        CreditNoteID=credit.InvoiceID,
        InvoiceID=invoice.InvoiceID,
        Amount=money(amount),
        Date=max(invoice.Date, credit.Date),
    )
    org.allocations[allocation.AllocationID] = allocation
    _apply(invoice, credit, allocation.Amount, allocation.Date)
    return ElementResult(True, render_allocation(org, allocation) | {"StatusAttributeString": "OK"})


def _against(org: Org, credit: CreditNote, invoice: Invoice, amount: Decimal | None) -> list[str]:
    if MATCHING_TYPE.get(credit.Type) != invoice.Type:
        return [WRONG_TYPE]
    if invoice.Status == "PAID":
        return [PAID_OFF]
    errors = []
    if invoice.Status != "AUTHORISED":
        errors.append(INVOICE_NOT_OPEN)
    if invoice.ContactID != credit.ContactID:
        errors.append(OTHER_CONTACT)
    if invoice.CurrencyCode != credit.CurrencyCode:
        errors.append(OTHER_CURRENCY)
    if amount is not None and (money(amount) > credit.AmountDue or money(amount) > invoice.AmountDue):
        errors.append(EXCEEDS)
    lock = org.lock_error(max(invoice.Date, credit.Date))
    if lock:
        errors.append(lock)
    return errors


def _apply(invoice: Invoice, credit: CreditNote, amount: Decimal, day: Any) -> None:
    """Both sides move: the invoice is credited, the credit note is used; either becomes PAID when nothing is
    left (and AUTHORISED again when an allocation goes away)."""
    invoice.AmountCredited = money(invoice.AmountCredited + amount)
    credit.AmountCredited = money(credit.AmountCredited + amount)
    apply_payment(invoice, Decimal(0), day)
    apply_payment(credit, Decimal(0), day)


def delete_allocation(org: Org, allocation: Allocation) -> ElementResult:
    """Take an allocation back; refused in a locked period (a ledger change dated there)."""
    lock = org.lock_error(allocation.Date)
    if lock:
        data = render_allocation(org, allocation) | {"ValidationErrors": [{"Message": lock}]}
        return ElementResult(False, data | {"StatusAttributeString": "ERROR"}, [lock])
    invoice, credit = org.invoices.get(allocation.InvoiceID), org.credit_notes.get(allocation.CreditNoteID)
    allocation.IsDeleted, allocation.updated = True, utcnow()
    if invoice is not None and credit is not None:
        _apply(invoice, credit, -allocation.Amount, None)
    return ElementResult(True, render_allocation(org, allocation))
