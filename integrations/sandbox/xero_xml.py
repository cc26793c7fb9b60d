"""Xero's default representation is XML: a client that forgets ``Accept: application/json`` gets XML.

This is a faithful-enough rendering of the same data (``<Response>`` root, pluralised collections with
singular children, ``<ApiException>`` for errors) so that such a client fails the way it would with Xero.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any
from xml.sax.saxutils import escape

from integrations.sandbox.messages import Response

_SINGULAR = {
    "Invoices": "Invoice",
    "CreditNotes": "CreditNote",
    "Allocations": "Allocation",
    "Attachments": "Attachment",
    "Payments": "Payment",
    "Contacts": "Contact",
    "Accounts": "Account",
    "TaxRates": "TaxRate",
    "TrackingCategories": "TrackingCategory",
    "Options": "Option",
    "Organisations": "Organisation",
    "LineItems": "LineItem",
    "ValidationErrors": "ValidationError",
    "Elements": "DataContractBase",
    "Tracking": "TrackingCategory",
    "Currencies": "Currency",
    "TaxComponents": "TaxComponent",
}


def _node(name: str, value: Any) -> str:
    if isinstance(value, dict):
        return f"<{name}>{''.join(_node(k, v) for k, v in value.items())}</{name}>"
    if isinstance(value, list):
        child = _SINGULAR.get(name, name[:-1] if name.endswith("s") else "Item")
        return f"<{name}>{''.join(_node(child, item) for item in value)}</{name}>"
    if value is None:
        return f"<{name} />"
    if isinstance(value, bool):
        return f"<{name}>{str(value).lower()}</{name}>"
    return f"<{name}>{escape(str(value))}</{name}>"


def to_xml(response: Response) -> Response:
    try:
        data = json.loads(response.body.decode("utf-8"), parse_float=Decimal)
    except ValueError:
        return response
    if isinstance(data, dict) and "ErrorNumber" in data:
        body = _node("ApiException", data)
    elif isinstance(data, dict):
        body = _node("Response", data)
    else:
        body = _node("Response", {"Items": data})
    response.body = body.encode("utf-8")
    response.content_type = "text/xml; charset=utf-8"
    return response
