"""Finding supplier credit notes, their allocations and refunds in Xero again (R13), with optimised reads only.

* By id: ``GET /CreditNotes/{CreditNoteID}`` — one call each; Xero documents no ``IDs`` list for credit notes and
  ``CreditNoteID`` is not among the optimised ``where`` fields (developer.xero.com/documentation/api/accounting/
  creditnotes, "Optimised filtering using the where parameter": Status, Date, Reference, Contact.ContactID,
  Contact.Name, Contact.ContactNumber, Type).
* Roger's own credit note: a credit note carries no marker (no ``Url``; ``Reference`` is "ACCRECCREDIT only",
  spec ``CreditNote``), so Roger reads the supplier's credit notes — ``Type=="ACCPAYCREDIT" AND
  Contact.ContactID==guid(…)``, both optimised, paged — and recognises the document by its supplier and its
  number (``CreditNoteNumber``, the supplier's credit note number Roger wrote).  One a bookkeeper typed for the
  same supplier and number is the same document, and is adopted rather than entered twice.
* A refund carries Roger's payment marker in ``Reference`` (an optimised payments filter).
* An allocation is read through its credit note (``credit_states``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from integrations.connectors.base import BillData, PaymentData
from integrations.connectors.xero.transport import XeroApi
from integrations.connectors.xero.values import date_of, fmt, is_uuid, marker_key, quote_where

Element = dict[str, Any]


def credit_notes_by_id(api: XeroApi, ids: Sequence[str]) -> dict[str, Element]:
    found: dict[str, Element] = {}
    for credit_id in dict.fromkeys(i.lower() for i in ids if is_uuid(i)):
        reply = api.request("GET", f"/CreditNotes/{credit_id}", allow_404=True)  # 404: not a credit note
        credits = (reply.data or {}).get("CreditNotes") or [] if reply.status == 200 else []
        for credit in credits:
            if isinstance(credit, Mapping) and str(credit.get("CreditNoteID", "")).lower() == credit_id:
                found[credit_id] = dict(credit)
    return {i: found[i.lower()] for i in ids if i.lower() in found}


def same_document(credit: Mapping[str, Any], data: BillData) -> bool:
    """Whether a supplier credit note in Xero is this document: same number; without a number, same date and
    total."""
    if credit.get("Type") != "ACCPAYCREDIT":
        return False
    number = str(credit.get("CreditNoteNumber") or "").strip().casefold()
    if data.invoice_number.strip():
        return number == data.invoice_number.strip().casefold()
    when = date_of(credit, "Date")
    return not number and when == data.issue_date and fmt(credit.get("Total")) == f"{data.total:.2f}"


def find_credit_notes(
    api: XeroApi, items: Sequence[BillData], contact_of: Callable[[BillData], str]
) -> dict[str, list[Element]]:
    """Credit notes in Xero that are each item's document, keyed by the item's marker key.  ``contact_of`` gives
    the supplier's ContactID (known, linked or matched — never created here), or ''."""
    out: dict[str, list[Element]] = {marker_key(d.marker): [] for d in items if d.marker}
    by_contact: dict[str, list[BillData]] = {}
    for data in items:
        contact_id = contact_of(data)
        if data.marker and is_uuid(contact_id):
            by_contact.setdefault(contact_id.lower(), []).append(data)
    for contact_id, wanted in sorted(by_contact.items()):
        where = f'Type=="ACCPAYCREDIT" AND Contact.ContactID==guid("{contact_id}")'
        credits = api.get_all("/CreditNotes", "CreditNotes", [("where", where)])
        for data in wanted:
            out[marker_key(data.marker)] = [c for c in credits if same_document(c, data)]
    return out


def find_refunds(api: XeroApi, items: Sequence[PaymentData]) -> dict[str, list[Element]]:
    """Refund payments carrying each item's marker in ``Reference`` (Roger writes the marker there as is)."""
    out: dict[str, list[Element]] = {marker_key(d.marker): [] for d in items if d.marker}
    for data in items:
        if not data.marker:
            continue
        found = api.get_all("/Payments", "Payments", [("where", f"Reference=={quote_where(data.marker)}")])
        out[marker_key(data.marker)] = [
            p for p in found if marker_key(str(p.get("Reference") or "")) == marker_key(data.marker)
        ]
    return out
