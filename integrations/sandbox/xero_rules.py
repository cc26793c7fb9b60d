"""Xero's write rules for bills: creating and updating them, one element at a time.

Every function takes the organisation (the caller holds its lock) and one submitted element, and returns an
:class:`ElementResult`: the element as Xero would echo it (created entity, or the submitted element with
``ValidationErrors``). Nothing is changed in the organisation unless the element is valid.
"""

from __future__ import annotations

import copy
import uuid
from typing import Any

from integrations.sandbox.xero_contact_rules import resolve_contact
from integrations.sandbox.xero_lines import build_lines, compute_totals
from integrations.sandbox.xero_model import EMPTY_ID, Contact, Invoice, Org, new_id, parse_date, today, utcnow
from integrations.sandbox.xero_render import render_contact, render_invoice
from integrations.sandbox.xero_results import (
    HAS_PAYMENT,
    INVOICE_NOT_FOUND,
    NOT_VALID_STATUS,
    VOID_WITH_PAYMENT,
    ElementResult,
    dec,
    error_result,
    text,
)

TRANSITIONS = {
    "DRAFT": {"DRAFT", "SUBMITTED", "AUTHORISED", "DELETED"},
    "SUBMITTED": {"SUBMITTED", "AUTHORISED", "DRAFT", "DELETED"},
    "AUTHORISED": {"AUTHORISED", "VOIDED"},
}
CREATE_STATUSES = {"DRAFT", "SUBMITTED", "AUTHORISED"}
LINE_AMOUNT_TYPES = {"exclusive": "Exclusive", "inclusive": "Inclusive", "notax": "NoTax"}


def save_invoice(
    org: Org, raw: Any, allow_update: bool, unit_dp: int = 2, forced_id: str | None = None, client: str = ""
) -> ElementResult:
    """PUT (``allow_update=False``) or POST one invoice element."""
    if not isinstance(raw, dict):
        return error_result({"InvoiceID": EMPTY_ID}, ["The invoice element is not valid"])
    invoice_id = (forced_id or text(raw.get("InvoiceID"))).lower()
    if invoice_id and invoice_id != EMPTY_ID:
        existing = org.invoices.get(invoice_id)
        if existing is None:
            return error_result(dict(raw) | {"InvoiceID": EMPTY_ID}, [INVOICE_NOT_FOUND])
        if not allow_update:
            return error_result(dict(raw), ["An invoice with this InvoiceID already exists; use POST to update"])
        return _update_invoice(org, existing, raw, unit_dp)
    return _create_invoice(org, raw, unit_dp, client)


def _header_fields(org: Org, raw: dict[str, Any], invoice: Invoice, errors: list[str]) -> None:
    """Apply the header fields present in ``raw`` to ``invoice`` (dates, number, Url, currency…)."""
    for name in ("Date", "DueDate", "PlannedPaymentDate"):
        if raw.get(name):
            try:
                setattr(invoice, name, parse_date(raw[name]))
            except (ValueError, TypeError):
                errors.append(f"{name} is not a valid date")
    for name in ("InvoiceNumber", "Reference", "Url"):
        if name in raw:
            setattr(invoice, name, text(raw.get(name)))
    if len(invoice.InvoiceNumber) > 255:
        errors.append("InvoiceNumber must not be more than 255 characters long")
    if "LineAmountTypes" in raw:
        lat = LINE_AMOUNT_TYPES.get(text(raw.get("LineAmountTypes")).lower())
        if lat is None:
            errors.append(f"LineAmountTypes {raw.get('LineAmountTypes')} is not valid")
        else:
            invoice.LineAmountTypes = lat
    if raw.get("CurrencyCode"):
        invoice.CurrencyCode = text(raw.get("CurrencyCode")).upper()
    if invoice.CurrencyCode not in org.currencies:
        errors.append(f"Organisation is not subscribed to currency {invoice.CurrencyCode}")
    if raw.get("CurrencyRate") not in (None, ""):
        invoice.CurrencyRate = dec(raw.get("CurrencyRate"), "CurrencyRate", errors) or invoice.CurrencyRate
    if "SentToContact" in raw:
        invoice.SentToContact = bool(raw.get("SentToContact"))


def _create_invoice(org: Org, raw: dict[str, Any], unit_dp: int, client: str) -> ElementResult:
    errors: list[str] = []
    kind = text(raw.get("Type")).upper()
    if not kind:
        errors.append("Invoice Type must be specified")
    elif kind not in {"ACCPAY", "ACCREC"}:
        errors.append(f"Invoice Type {kind} is not supported on /Invoices by this sandbox")
    contact, contact_is_new = resolve_contact(org, raw.get("Contact"), errors)
    status = text(raw.get("Status")).upper() or "DRAFT"
    if status not in CREATE_STATUSES:
        errors.append(f"Invoice not of valid status for creation ({status})")
    invoice = Invoice(
        InvoiceID=new_id(),
        Type=kind or "ACCPAY",
        ContactID=contact.ContactID if contact else "",
        Date=today(),
        Status=status if status in CREATE_STATUSES else "DRAFT",
        CurrencyCode=org.base_currency,
    )
    _header_fields(org, raw, invoice, errors)
    if "LineItems" not in raw or not raw.get("LineItems"):
        errors.append("At least one line item must be specified")
    else:
        invoice.lines = build_lines(org, raw["LineItems"], [], invoice.LineAmountTypes, status, unit_dp, errors)
    compute_totals(invoice)
    _posting_checks(org, invoice, errors)
    if errors:
        return _invoice_errors(org, invoice, raw, errors, contact, EMPTY_ID)
    if contact_is_new and contact:
        org.contacts[contact.ContactID] = contact
    if contact:
        contact.IsSupplier = contact.IsSupplier or invoice.Type == "ACCPAY"
        contact.IsCustomer = contact.IsCustomer or invoice.Type == "ACCREC"
    if invoice.Type == "ACCREC" and not invoice.InvoiceNumber:
        invoice.InvoiceNumber = f"INV-{org.next_number:04d}"
        org.next_number += 1
    invoice.created_by = client
    org.invoices[invoice.InvoiceID] = invoice
    return ElementResult(True, render_invoice(org, invoice, unit_dp=unit_dp) | {"StatusAttributeString": "OK"})


def _posting_checks(org: Org, invoice: Invoice, errors: list[str]) -> None:
    """Rules for documents that hit the ledger (AUTHORISED): lock dates and a non-negative total."""
    if invoice.Total < 0:
        errors.append("The total for this document must be greater than or equal to zero")
    if invoice.Status == "AUTHORISED":
        lock = org.lock_error(invoice.Date)
        if lock:
            errors.append(lock)


def _update_invoice(org: Org, existing: Invoice, raw: dict[str, Any], unit_dp: int) -> ElementResult:
    errors: list[str] = []
    requested = text(raw.get("Status")).upper()
    if existing.Status in {"PAID", "VOIDED", "DELETED"}:
        errors.append(NOT_VALID_STATUS)
    elif existing.AmountPaid > 0 or existing.AmountCredited > 0:
        errors.append(VOID_WITH_PAYMENT if requested == "VOIDED" else HAS_PAYMENT)
    elif not requested and existing.Status == "AUTHORISED":
        # Xero treats an update of an approved bill that omits Status as a status change, and refuses it.
        errors.append(NOT_VALID_STATUS)
    elif (requested or existing.Status) not in TRANSITIONS[existing.Status]:
        errors.append(NOT_VALID_STATUS)
    elif existing.Status == "AUTHORISED" and org.lock_error(existing.Date):
        errors.append(org.lock_error(existing.Date) or "")
    if errors:
        return _invoice_errors(org, existing, raw, errors, org.contacts.get(existing.ContactID), existing.InvoiceID)
    invoice = copy.deepcopy(existing)
    invoice.Status = requested or existing.Status
    contact = org.contacts.get(invoice.ContactID)
    contact_is_new = False
    if invoice.Status not in {"VOIDED", "DELETED"}:
        if "Contact" in raw:
            contact, contact_is_new = resolve_contact(org, raw.get("Contact"), errors)
            invoice.ContactID = contact.ContactID if contact else invoice.ContactID
        _header_fields(org, raw, invoice, errors)
        if "LineItems" in raw:
            invoice.lines = build_lines(
                org, raw.get("LineItems"), existing.lines, invoice.LineAmountTypes, invoice.Status, unit_dp, errors
            )
        elif invoice.Status in {"SUBMITTED", "AUTHORISED"}:
            build_lines(
                org,
                [{"LineItemID": line.LineItemID} for line in invoice.lines],
                existing.lines,
                invoice.LineAmountTypes,
                invoice.Status,
                unit_dp,
                errors,
            )
        compute_totals(invoice)
        _posting_checks(org, invoice, errors)
    if errors:
        return _invoice_errors(org, invoice, raw, errors, contact, existing.InvoiceID)
    if contact_is_new and contact:
        org.contacts[contact.ContactID] = contact
    invoice.updated = utcnow()
    org.invoices[invoice.InvoiceID] = invoice
    return ElementResult(True, render_invoice(org, invoice, unit_dp=unit_dp) | {"StatusAttributeString": "OK"})


def _invoice_errors(
    org: Org, invoice: Invoice, raw: dict[str, Any], errors: list[str], contact: Contact | None, invoice_id: str
) -> ElementResult:
    """Echo the element as Xero does: the processed invoice with the submitted contact and the messages."""
    data = render_invoice(org, invoice)
    data["InvoiceID"] = invoice_id
    if contact is not None:
        data["Contact"] = render_contact(contact, summary=True)
    elif isinstance(raw.get("Contact"), dict):
        data["Contact"] = {k: v for k, v in raw["Contact"].items() if k in {"ContactID", "Name", "ContactNumber"}}
        if not _looks_like_uuid(data["Contact"].get("ContactID")):
            data["Contact"]["ContactID"] = EMPTY_ID
    else:
        data["Contact"] = {"ContactID": EMPTY_ID}
    if invoice_id == EMPTY_ID:
        data["Payments"] = []
    return error_result(data, errors)


def _looks_like_uuid(value: Any) -> bool:
    try:
        uuid.UUID(str(value))
        return True
    except ValueError:
        return False
