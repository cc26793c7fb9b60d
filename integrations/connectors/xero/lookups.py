"""Finding Roger's entries in Xero again: by id, and by Roger's marker through optimised filters only (R13).

Xero denies unoptimised queries in organisations with more than 100,000 invoices (400) and optimises ``OR`` only
on ``InvoiceId`` (developer.xero.com/documentation/api/accounting/invoices, "High volume threshold limit",
"Optimised use of the where filter").  ``Url`` is not an optimised field, so bills are never looked up by it:
Roger asks with the optimised parameters (``IDs``, ``InvoiceNumbers``, ``ContactIDs``, ``page``,
``If-Modified-Since``, ``createdByMyApp``) and compares its marker — the document's public id found in ``Url`` —
in its own code.  Payments are looked up by ``Invoice.InvoiceID`` (optimised, also with ``OR``) and compared on
``Reference``; read by ``PaymentID`` (``OR`` optimised as well).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from integrations.connectors.base import BillData, PaymentData, chunks
from integrations.connectors.xero.transport import XeroApi
from integrations.connectors.xero.values import IDS_CHUNK, LIST_CHUNK, OR_CHUNK, is_uuid, marker_key, where_guids

# A bill Roger created under another number (the document's number changed after an uncertain create) is found
# among the bills Roger's app created or changed in this window; uncertain creates are reconciled within hours.
RECENT_WINDOW = timedelta(days=30)
BILLS = ("where", 'Type=="ACCPAY"')
Element = dict[str, Any]


def invoices_by_id(api: XeroApi, ids: Sequence[str]) -> dict[str, Element]:
    found: dict[str, Element] = {}
    wanted = [i for i in dict.fromkeys(ids) if is_uuid(i)]
    for chunk in chunks(wanted, IDS_CHUNK):
        for inv in api.get_all("/Invoices", "Invoices", [("IDs", ",".join(chunk))]):
            found[str(inv.get("InvoiceID", "")).lower()] = inv
    return {i: found[i.lower()] for i in ids if i.lower() in found}


def payments_by_id(api: XeroApi, ids: Sequence[str]) -> dict[str, Element]:
    found: dict[str, Element] = {}
    wanted = [i for i in dict.fromkeys(ids) if is_uuid(i)]
    for chunk in chunks(wanted, OR_CHUNK):
        for pay in api.get_all("/Payments", "Payments", [("where", where_guids("PaymentID", chunk))]):
            found[str(pay.get("PaymentID", "")).lower()] = pay
    return {i: found[i.lower()] for i in ids if i.lower() in found}


def _collect(out: dict[str, list[Element]], elements: Iterable[Element], field: str) -> None:
    for element in elements:
        key = marker_key(str(element.get(field) or ""))
        if key not in out or (field == "Url" and element.get("Type") != "ACCPAY"):
            continue  # a sales invoice never carries a bill of Roger's
        if _id(element) not in {_id(e) for e in out[key]}:
            out[key].append(element)


def _id(element: Mapping[str, Any]) -> str:
    return str(element.get("InvoiceID") or element.get("PaymentID") or "").lower()


def find_bills(api: XeroApi, items: Sequence[BillData], contacts: Mapping[str, str]) -> dict[str, list[Element]]:
    """Bills carrying each item's marker; ``contacts`` maps VendorData.number → ContactID where known."""
    out: dict[str, list[Element]] = {marker_key(d.marker): [] for d in items if d.marker}
    # 1. By the supplier's invoice number, which a bill keeps unless someone changes it.
    numbers = sorted({d.invoice_number for d in items if d.invoice_number and "," not in d.invoice_number})
    for chunk in chunks(numbers, LIST_CHUNK):
        _collect(out, api.get_all("/Invoices", "Invoices", [("InvoiceNumbers", ",".join(chunk))]), "Url")
    missing = [d for d in items if d.marker and not out[marker_key(d.marker)]]
    # 2. Not under its number: every bill of the supplier, when Roger knows the supplier's contact.
    contact_ids = sorted({c for d in missing if (c := d.vendor.erp_id or contacts.get(d.vendor.number, ""))})
    for chunk in chunks([c for c in contact_ids if is_uuid(c)], LIST_CHUNK):
        _collect(out, api.get_all("/Invoices", "Invoices", [("ContactIDs", ",".join(chunk)), BILLS]), "Url")
    # 3. Otherwise: the bills Roger's own app created or changed lately.
    if any(not (d.vendor.erp_id or contacts.get(d.vendor.number)) for d in missing if not out[marker_key(d.marker)]):
        # "A UTC timestamp (yyyy-mm-ddThh:mm:ss)" (invoices docs); the spec types it as an RFC 3339 date-time.
        since = {"If-Modified-Since": (datetime.now(UTC) - RECENT_WINDOW).strftime("%Y-%m-%dT%H:%M:%SZ")}
        recent = api.get_all("/Invoices", "Invoices", [BILLS, ("createdByMyApp", "true")], headers=since)
        _collect(out, recent, "Url")
    return out


def find_payments(api: XeroApi, items: Sequence[PaymentData]) -> dict[str, list[Element]]:
    """Payments carrying each item's marker in ``Reference``, among the payments of the item's bill."""
    out: dict[str, list[Element]] = {marker_key(d.marker): [] for d in items if d.marker}
    bills = sorted({d.bill_erp_id for d in items if is_uuid(d.bill_erp_id)})
    for chunk in chunks(bills, OR_CHUNK):
        _collect(
            out, api.get_all("/Payments", "Payments", [("where", where_guids("Invoice.InvoiceID", chunk))]), "Reference"
        )
    return out


def scan_bills(api: XeroApi, markers: Sequence[str]) -> dict[str, list[Element]]:
    """Only the markers known: every bill Roger's app created (paged, optimised ``Type`` filter)."""
    out: dict[str, list[Element]] = {marker_key(m): [] for m in markers if m}
    if out:
        _collect(out, api.get_all("/Invoices", "Invoices", [BILLS, ("createdByMyApp", "true")]), "Url")
    return out


def scan_payments(api: XeroApi, markers: Sequence[str]) -> dict[str, list[Element]]:
    out: dict[str, list[Element]] = {marker_key(m): [] for m in markers if m}
    if out:
        _collect(out, api.get_all("/Payments", "Payments", [("where", 'PaymentType=="ACCPAYPAYMENT"')]), "Reference")
    return out
