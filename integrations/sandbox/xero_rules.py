"""Xero's write rules for bills and credit notes: creating and updating them, one element at a time.

Every function takes the organisation (the caller holds its lock) and one submitted element, and returns an
:class:`ElementResult`: the element as Xero would echo it (created entity, or the submitted element with
``ValidationErrors``). Nothing is changed in the organisation unless the element is valid.

Credit notes follow the invoice rules (developer.xero.com/documentation/api/accounting/creditnotes: line items
"See Invoice Line Items", the same statuses, lock dates and "cannot be edited as it has a payment or credit note
allocated"); :data:`CREDIT_NOTES` says where they differ (their own store, id and number fields).
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from integrations.sandbox.xero_contact_rules import resolve_contact
from integrations.sandbox.xero_lines import build_lines, compute_totals
from integrations.sandbox.xero_model import (
    EMPTY_ID,
    Contact,
    CreditNote,
    Invoice,
    Org,
    new_id,
    parse_date,
    today,
    utcnow,
)
from integrations.sandbox.xero_render import render_contact, render_credit_note, render_invoice
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


@dataclass(frozen=True)
class DocKind:
    """Where invoices and credit notes differ in the API: store, element names, types and numbering."""

    store: str  # the Org attribute holding them
    id_field: str
    number_field: str
    types: frozenset[str]
    receivable: str  # the type Xero numbers itself
    number_prefix: str
    noun: str
    make: type[Invoice]
    render: Callable[..., dict[str, Any]]
    not_found: str


INVOICES = DocKind(
    "invoices", "InvoiceID", "InvoiceNumber", frozenset({"ACCPAY", "ACCREC"}), "ACCREC", "INV-", "Invoice",
    Invoice, render_invoice, INVOICE_NOT_FOUND,
)  # fmt: skip
CREDIT_NOTES = DocKind(
    "credit_notes", "CreditNoteID", "CreditNoteNumber", frozenset({"ACCPAYCREDIT", "ACCRECCREDIT"}), "ACCRECCREDIT",
    "CN-", "Credit Note", CreditNote, render_credit_note,
    "An existing Credit Note with the specified CreditNoteID could not be found",  # (verified: spec example)
)  # fmt: skip


def save_invoice(
    org: Org, raw: Any, allow_update: bool, unit_dp: int = 2, forced_id: str | None = None, client: str = ""
) -> ElementResult:
    """PUT (``allow_update=False``) or POST one invoice element."""
    return save_document(org, raw, allow_update, INVOICES, unit_dp, forced_id, client)


def save_credit_note(
    org: Org, raw: Any, allow_update: bool, unit_dp: int = 2, forced_id: str | None = None, client: str = ""
) -> ElementResult:
    """PUT (``allow_update=False``) or POST one credit note element.  A credit note has no ``Url``, and its
    ``CreditNoteNumber`` is what the invoice rules call the number ("ACCPAYCREDIT – non-unique alpha numeric
    code identifying credit note. This value will also display as Reference in the UI", creditnotes page)."""
    if isinstance(raw, dict):
        raw = {k: v for k, v in raw.items() if k not in {"Url", "InvoiceID", "InvoiceNumber"}}
        for ours, theirs in (("InvoiceID", "CreditNoteID"), ("InvoiceNumber", "CreditNoteNumber")):
            if theirs in raw:
                raw[ours] = raw.pop(theirs)
    return save_document(org, raw, allow_update, CREDIT_NOTES, unit_dp, forced_id, client)


def save_document(
    org: Org,
    raw: Any,
    allow_update: bool,
    kind: DocKind,
    unit_dp: int = 2,
    forced_id: str | None = None,
    client: str = "",
) -> ElementResult:
    if not isinstance(raw, dict):
        return error_result({kind.id_field: EMPTY_ID}, [f"The {kind.noun.lower()} element is not valid"])
    store: dict[str, Invoice] = getattr(org, kind.store)
    invoice_id = (forced_id or text(raw.get("InvoiceID"))).lower()
    if invoice_id and invoice_id != EMPTY_ID:
        existing = store.get(invoice_id)
        if existing is None:
            return error_result(_echo(raw, kind) | {kind.id_field: EMPTY_ID}, [kind.not_found])
        if not allow_update:
            return error_result(_echo(raw, kind), [f"This {kind.noun} already exists; use POST to update"])
        return _update_invoice(org, existing, raw, unit_dp, kind)
    return _create_invoice(org, raw, unit_dp, client, kind)


def _echo(raw: dict[str, Any], kind: DocKind) -> dict[str, Any]:
    echoed = dict(raw)
    for ours, theirs in (("InvoiceID", kind.id_field), ("InvoiceNumber", kind.number_field)):
        if ours in echoed and ours != theirs:
            echoed[theirs] = echoed.pop(ours)
    return echoed


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


def _create_invoice(org: Org, raw: dict[str, Any], unit_dp: int, client: str, doc: DocKind) -> ElementResult:
    errors: list[str] = []
    kind = text(raw.get("Type")).upper()
    if not kind:
        errors.append(f"{doc.noun} Type must be specified")
    elif kind not in doc.types:
        errors.append(f"{doc.noun} Type {kind} is not supported on /{doc.noun.replace(' ', '')}s by this sandbox")
    contact, contact_is_new = resolve_contact(org, raw.get("Contact"), errors)
    status = text(raw.get("Status")).upper() or "DRAFT"
    if status not in CREATE_STATUSES:
        errors.append(f"{doc.noun} not of valid status for creation ({status})")
    invoice = doc.make(
        InvoiceID=new_id(),
        Type=kind or sorted(doc.types)[0],
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
        return _invoice_errors(org, invoice, raw, errors, contact, EMPTY_ID, doc)
    if contact_is_new and contact:
        org.contacts[contact.ContactID] = contact
    if contact:
        contact.IsSupplier = contact.IsSupplier or invoice.Type.startswith("ACCPAY")
        contact.IsCustomer = contact.IsCustomer or invoice.Type.startswith("ACCREC")
    if invoice.Type == doc.receivable and not invoice.InvoiceNumber:
        invoice.InvoiceNumber = f"{doc.number_prefix}{org.next_number:04d}"
        org.next_number += 1
    invoice.created_by = client
    getattr(org, doc.store)[invoice.InvoiceID] = invoice
    return ElementResult(True, doc.render(org, invoice, unit_dp=unit_dp) | {"StatusAttributeString": "OK"})


def _posting_checks(org: Org, invoice: Invoice, errors: list[str]) -> None:
    """Rules for documents that hit the ledger (AUTHORISED): lock dates and a non-negative total."""
    if invoice.Total < 0:
        errors.append("The total for this document must be greater than or equal to zero")
    if invoice.Status == "AUTHORISED":
        lock = org.lock_error(invoice.Date)
        if lock:
            errors.append(lock)


def _update_invoice(org: Org, existing: Invoice, raw: dict[str, Any], unit_dp: int, doc: DocKind) -> ElementResult:
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
        contact = org.contacts.get(existing.ContactID)
        return _invoice_errors(org, existing, raw, errors, contact, existing.InvoiceID, doc)
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
        return _invoice_errors(org, invoice, raw, errors, contact, existing.InvoiceID, doc)
    if contact_is_new and contact:
        org.contacts[contact.ContactID] = contact
    invoice.updated = utcnow()
    getattr(org, doc.store)[invoice.InvoiceID] = invoice
    return ElementResult(True, doc.render(org, invoice, unit_dp=unit_dp) | {"StatusAttributeString": "OK"})


def _invoice_errors(
    org: Org,
    invoice: Invoice,
    raw: dict[str, Any],
    errors: list[str],
    contact: Contact | None,
    invoice_id: str,
    doc: DocKind,
) -> ElementResult:
    """Echo the element as Xero does: the processed document with the submitted contact and the messages."""
    data = doc.render(org, invoice)
    data[doc.id_field] = invoice_id
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
