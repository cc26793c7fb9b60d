"""Request bodies in Xero's JSON shapes; field order is fixed so a retry sends byte-identical bodies."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from integrations.connectors.base import BillData, BillLine, PaymentData, VendorData
from integrations.connectors.xero.values import is_uuid

# Xero keeps currency rates to 6 decimal places ("CurrencyRate … max length = [18].[6]",
# developer.xero.com/documentation/api/accounting/invoices); the exact figure travels as BankAmount.
_RATE = Decimal("0.000001")


def bill_body(
    data: BillData,
    contact_id: str,
    *,
    invoice_id: str = "",
    line_item_ids: Sequence[str] = (),
    status: str | None = None,
) -> dict[str, Any]:
    """The ``Invoice`` element for ``data``."""
    body: dict[str, Any] = {}
    if invoice_id:
        body["InvoiceID"] = invoice_id
    body["Type"] = "ACCPAY"
    body["Contact"] = {"ContactID": contact_id}
    body["InvoiceNumber"] = data.invoice_number
    body["Url"] = data.marker
    body["Date"] = data.issue_date.isoformat()
    if data.due_date:
        body["DueDate"] = data.due_date.isoformat()
    body["CurrencyCode"] = data.currency
    # Exclusive + an explicit TaxAmount per line: Xero's Total = net + VAT = Roger's total, to the cent,
    # whatever rate Xero would have computed.
    body["LineAmountTypes"] = "Exclusive"
    body["Status"] = status or ("DRAFT" if data.draft else "AUTHORISED")
    body["LineItems"] = [
        _line_body(line, line_item_ids[i] if i < len(line_item_ids) else "") for i, line in enumerate(data.lines)
    ]
    return body


def credit_note_body(
    data: BillData,
    contact_id: str,
    *,
    credit_note_id: str = "",
    line_item_ids: Sequence[str] = (),
    status: str | None = None,
) -> dict[str, Any]:
    """The ``CreditNote`` element of a supplier's credit note (``ACCPAYCREDIT``), positive amounts as Roger keeps
    them (a credit note's Total is positive in Xero; the type says which way it goes).  The supplier's number goes
    in ``CreditNoteNumber`` ("ACCPAYCREDIT – non-unique alpha numeric code identifying credit note. This value will
    also display as Reference in the UI", developer.xero.com/documentation/api/accounting/creditnotes).  No marker
    field exists: the schema has no ``Url`` and ``Reference`` is "ACCRECCREDIT only" (spec ``CreditNote``), so
    Roger finds its credit notes by supplier and number (``credit_lookups.py``)."""
    body: dict[str, Any] = {}
    if credit_note_id:
        body["CreditNoteID"] = credit_note_id
    body["Type"] = "ACCPAYCREDIT"
    body["Contact"] = {"ContactID": contact_id}
    body["CreditNoteNumber"] = data.invoice_number
    body["Date"] = data.issue_date.isoformat()
    if data.due_date:
        body["DueDate"] = data.due_date.isoformat()
    body["CurrencyCode"] = data.currency
    body["LineAmountTypes"] = "Exclusive"
    body["Status"] = status or ("DRAFT" if data.draft else "AUTHORISED")
    body["LineItems"] = [
        _line_body(line, line_item_ids[i] if i < len(line_item_ids) else "") for i, line in enumerate(data.lines)
    ]
    return body


def allocation_body(data: PaymentData) -> dict[str, Any]:
    """An ``Allocation`` of the credit note ``data.bill_erp_id`` against the bill ``data.allocate_to``: ``Invoice``,
    ``Amount`` and ``Date`` are required (spec ``Allocation``); Xero itself dates it "the latter of the invoice
    date and the credit note date" (creditnotes page, "Allocating CreditNotes")."""
    return {
        "Invoice": {"InvoiceID": data.allocate_to},
        "Amount": data.amount,
        "Date": data.payment_date.isoformat(),
    }


def _line_body(line: BillLine, line_item_id: str) -> dict[str, Any]:
    item: dict[str, Any] = {}
    if line_item_id:
        item["LineItemID"] = line_item_id  # keeps the line: without it Xero deletes and recreates lines
    if line.description:  # Xero takes a line without one; a placeholder would read as a change on every sync
        item["Description"] = line.description
    item["Quantity"] = Decimal(1)
    item["UnitAmount"] = line.net_amount
    item["LineAmount"] = line.net_amount
    item["AccountCode"] = line.account_code
    item["TaxType"] = line.tax_type
    item["TaxAmount"] = line.vat_amount
    if line.tracking:
        item["Tracking"] = [{"Name": t.category, "Option": t.option} for t in line.tracking]
    return item


def update_status(data: BillData, inv: Mapping[str, Any]) -> str:
    """The Status to send on update: an approved bill stays AUTHORISED (it cannot go back to draft, and Xero
    rejects an update of an approved bill without it — XeroAPI/Xero-Net#339)."""
    current = str(inv.get("Status", ""))
    if current == "AUTHORISED":
        return "AUTHORISED"
    if data.draft:
        # Pushing drafts: an accountant who submitted the bill for approval in Xero is not overruled.
        return current if current in ("DRAFT", "SUBMITTED") else "DRAFT"
    return "AUTHORISED"


def account_ref(code: str) -> dict[str, str]:
    # Not every Xero bank account has a code; the bank-account catalogue then offers its AccountID.
    return {"AccountID": code} if is_uuid(code) else {"Code": code}


def payment_body(data: PaymentData, *, base_currency: str = "", bank_currency: str = "") -> dict[str, Any]:
    """A ``Payment`` element.  A bill in a foreign currency paid from an account in another currency carries what
    really left the bank (``BankAmount``: "the amount of the payment in the currency of the bank account", spec
    ``Payment``), and, from a base-currency account, the rate it implies (``CurrencyRate``: "exchange rate when
    payment is received. Only used for non base currency invoices", spec ``Payment``; Xero's rates are units of
    foreign currency per unit of base currency).  Without them Xero books the payment at its own day rate and the
    bank line no longer matches."""
    # A refund of a credit note names the credit note instead ("To refund credit notes use the payments endpoint",
    # creditnotes page; ``Payment.CreditNote`` in the spec).
    target = (
        {"CreditNote": {"CreditNoteID": data.bill_erp_id}}
        if data.credit_note
        else {"Invoice": {"InvoiceID": data.bill_erp_id}}
    )
    body: dict[str, Any] = {
        **target,
        "Account": account_ref(data.bank_account),
        "Date": data.payment_date.isoformat(),
        "Amount": data.amount,
    }
    if data.bank_amount is not None and bank_currency and bank_currency != data.currency:
        if base_currency and bank_currency == base_currency and data.currency != base_currency:
            body["CurrencyRate"] = (data.amount / data.bank_amount).quantize(_RATE, rounding=ROUND_HALF_UP)
        body["BankAmount"] = data.bank_amount
    body["Reference"] = data.marker
    return body


def contact_body(vendor: VendorData) -> dict[str, Any]:
    # ContactNumber "is used to identify contacts in external systems" (developer.xero.com/documentation/api/
    # accounting/contacts): Roger's supplier number, so Roger's own contacts are recognised again.
    body: dict[str, Any] = {"Name": vendor.name or vendor.number, "ContactNumber": vendor.number}
    if vendor.tax_number:
        body["TaxNumber"] = vendor.tax_number
    if vendor.email:
        body["EmailAddress"] = vendor.email
    return body
