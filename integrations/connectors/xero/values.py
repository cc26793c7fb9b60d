"""Xero's value formats: dates, money, ids, ``where`` quoting, and Roger's markers as Xero stores them."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from integrations.connectors.base import ErpError, ErrorCategory, TrackingRef

ERP = "Xero"
API_PREFIX = "/api.xro/2.0"
PAGE_SIZE = 100  # Xero returns up to 100 elements per page (line items included when paging)
IDS_CHUNK = 50  # InvoiceIDs / ContactIDs per IDs= filter
LIST_CHUNK = 25  # values per InvoiceNumbers= / ContactIDs= list: keeps URLs well under common 8 KB limits
OR_CHUNK = 10  # guid()s per OR-joined where filter (optimised only on InvoiceID/PaymentID, see lookups.py)

_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_UUID_ANYWHERE = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_MS_DATE = re.compile(r"^/Date\((-?\d+)([+-]\d{4})?\)/$")
_CENT = Decimal("0.01")


def is_uuid(value: str) -> bool:
    return bool(_UUID.match(value))


def marker_key(marker: str) -> str:
    """What identifies Roger's document in a marker: its stable public id (the last UUID in it).

    Roger writes its document URL into a bill's ``Url`` (Xero lets ``Url`` be set on create — developer.xero.com
    /documentation/api/accounting/invoices, "Url: URL link to a source document"), so the host part changes
    with ``SITE_URL``; the document's UUID does not.  Markers are compared on this key, in Roger's code.
    """
    found = _UUID_ANYWHERE.findall(marker or "")
    return found[-1].lower() if found else (marker or "").strip()


def parse_tracking_code(code: str) -> TrackingRef:
    """Split a tracking catalogue code ``"Category: Option"`` back into a ``TrackingRef``."""
    category, sep, option = code.partition(": ")
    if not sep or not category or not option:
        raise ValueError(f"not a Xero tracking code (expected 'Category: Option'): {code!r}")
    return TrackingRef(category=category, option=option)


def parse_xero_date(value: object) -> date | None:
    """Xero dates come as ``/Date(1539129600000+0000)/`` (JSON) or ISO ``2018-10-10[T00:00:00]``."""
    if not value or not isinstance(value, str):
        return None
    match = _MS_DATE.match(value.strip())
    if match:
        instant = datetime.fromtimestamp(int(match.group(1)) / 1000, UTC)
        if match.group(2):
            sign = 1 if match.group(2)[0] == "+" else -1
            instant += sign * timedelta(hours=int(match.group(2)[1:3]), minutes=int(match.group(2)[3:5]))
        return instant.date()
    try:
        return date.fromisoformat(value.strip()[:10])
    except ValueError:
        return None


def date_of(element: Any, name: str) -> date | None:
    # Xero sends both Date (/Date(ms)/) and DateString (ISO, org-local): the ISO one is unambiguous.
    return parse_xero_date(element.get(f"{name}String")) or parse_xero_date(element.get(name))


def money(value: object) -> Decimal:
    if value is None or value == "":
        return Decimal(0)
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return Decimal(0)


def fmt(value: object) -> str:
    return f"{money(value):.2f}"


def two_decimals(value: Decimal) -> bool:
    return value.is_finite() and value == value.quantize(_CENT)


def quote_where(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def where_equals(field: str, value: str) -> str:
    return f"{field}=={quote_where(value)}"


def where_guids(field: str, values: Iterable[str]) -> str:
    return " OR ".join(f'{field}==guid("{v}")' for v in values)


def err(category: ErrorCategory, message: str, field: str | None = None, hint: str = "", **kw: Any) -> ErpError:
    return ErpError(category=category, message=message, field=field, hint=hint, **kw)
