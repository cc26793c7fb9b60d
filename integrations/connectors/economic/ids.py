"""Identifiers and small value helpers shared by the e-conomic connector's modules.

* ``erp_id`` = ``"<accountingYear>-<voucherNumber>"``: e-conomic's own voucher address (legacy
  ``/journals/:n/vouchers/:accountingYear-voucherNumber``, ``journals.journalNumber.vouchers.accountingYear-
  voucherNumber.get.schema.json``).  It survives booking, unlike the draft's entry number.  One Roger entry is one
  voucher with one entry.  (Unchanged from earlier versions, so linked entries need no data migration.)
* Marker: the entry text ends with ``[roger-<16 hex>]``, the first 64 bits of SHA-256 of Roger's marker (the
  marker is a URL and would not fit e-conomic's 250-character text beside a description).
* Supplier numbers: ``VendorData.number`` when it is 1-9 digits, else ``100000000 + SHA-256(number) mod
  899999999`` (a deterministic 9-digit number).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import quote

from integrations.connectors.base import EntryKind, EntryState

ERP = "e-conomic"
TEXT_MAX = 250  # journal entry text: legacy vouchers.post schema, supplierInvoices[].text maxLength 250
INVOICE_NUMBER_MAX = 30  # supplierInvoiceNumber maxLength 30 (same schema)
PAGE_SIZE = 1000  # legacy collections: pagination.maxPageSizeAllowed 1000
IN_MAX = 200  # "The max supported length of an array using the $in: or $nin: operator is 200" (Journals API)
TOKEN_RE = re.compile(r"\[roger-([0-9a-f]{16})\]")
DEPARTMENT_GROUP = "Department"  # CatalogItem.group of tracking options, and the category in fields["tracking"]


class EntryType:
    """One entry kind in e-conomic's three vocabularies."""

    def __init__(self, plural: str, name: str, number: int) -> None:
        self.plural = plural  # legacy voucher body: entries.supplierInvoices
        self.name = name  # legacy entryType: "supplierInvoice"
        self.number = number  # Journals API entryTypeNumber / BookedEntries API type: 3


ENTRY_TYPES = {
    # Journals API DraftEntry.entryTypeNumber: "3: Supplier Invoice, 4: Supplier Payment" (openapi-Journals.json);
    # BookedEntry.type uses the same numbers (openapi-BookedEntries.json).
    EntryKind.BILL: EntryType("supplierInvoices", "supplierInvoice", 3),
    EntryKind.PAYMENT: EntryType("supplierPayments", "supplierPayment", 4),
}


def marker_token(marker: str) -> str:
    """The compact, deterministic token Roger writes into the entry text for ``marker``."""
    return "roger-" + hashlib.sha256(marker.encode("utf-8")).hexdigest()[:16]


def token_in(text: str) -> str:
    """Roger's token found in an entry text, without brackets ("" when none)."""
    match = TOKEN_RE.search(text or "")
    return match.group(0)[1:-1] if match else ""


def without_token(text: str) -> str:
    return TOKEN_RE.sub("", text or "").strip()


def supplier_number_for(vendor_number: str) -> int:
    """Roger's vendor key → the e-conomic supplier number (see the module docstring)."""
    number = vendor_number.strip()
    if number.isdigit() and 1 <= int(number) <= 999_999_999:
        return int(number)
    digest = int(hashlib.sha256(number.encode("utf-8")).hexdigest(), 16)
    return 100_000_000 + digest % 899_999_999


def money(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        return None


def fmt(value: Any) -> str:
    amount = money(value)
    return f"{amount:.2f}" if amount is not None else ""


def magnitude(value: Any) -> str:
    """An amount as Roger reports it: a positive magnitude (a credit note's amounts are negative in e-conomic)."""
    amount = money(value)
    return f"{abs(amount):.2f}" if amount is not None else ""


def ref_number(obj: Any, key: str) -> int | None:
    if isinstance(obj, Mapping):
        value = obj.get(key)
        if isinstance(value, bool):
            return None
        if isinstance(value, int | Decimal) or (isinstance(value, str) and value.isdigit()):
            return int(value)
    return None


def decimals_ok(amount: Decimal) -> bool:
    return amount == amount.quantize(Decimal("0.01"))


def escape(value: str) -> str:
    """e-conomic's filter escaping ($ first, then the operators' characters), as both descriptions give it."""
    out = value.replace("$", "$$")
    for ch in "()*,[]":
        out = out.replace(ch, "$" + ch)
    return out


def parse_date(value: Any) -> date | None:
    """A legacy date ("2026-03-10") or a Journals/BookedEntries API date-time ("2026-03-10T00:00:00")."""
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def parse_erp_id(erp_id: str) -> tuple[str, int] | None:
    year, sep, number = erp_id.rpartition("-")
    if not sep or not year or not number.isdigit():
        return None
    return year, int(number)


def year_path(year: str) -> str:
    # e-conomic's self-link encoding of a split accounting year: "2025/2026" → "2025_6_2026".
    return quote(year.replace("/", "_6_"), safe="_")


def with_marker(state: EntryState, marker: str) -> EntryState:
    return EntryState(**{**state.__dict__, "marker": marker})
