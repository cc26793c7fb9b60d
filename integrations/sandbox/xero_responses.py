"""Xero's answers shared by the sandbox's handlers: problem details, validation exceptions, not found, and small
request helpers (CSV lists, JSON bodies, ``unitdp``, where this module is mounted)."""

from __future__ import annotations

import uuid
from typing import Any

from integrations.sandbox.messages import Request, Response, json_response, text_response
from integrations.sandbox.xero_model import Invoice, Org

NOT_FOUND_TEXT = "The resource you're looking for cannot be found"


def problem(status: int, title: str, detail: str) -> Response:
    """Xero's problem-details body for 401/403/429-type failures."""
    return json_response(
        status,
        {
            "Type": None,
            "Title": title,
            "Status": status,
            "Detail": detail,
            "Instance": str(uuid.uuid4()),
            "Extensions": {},
        },
    )


def validation_exception(elements: list[dict[str, Any]]) -> Response:
    return json_response(
        400,
        {
            "ErrorNumber": 10,
            "Type": "ValidationException",
            "Message": "A validation exception occurred",
            "Elements": elements,
        },
    )


def post_data_invalid(message: str) -> Response:
    return json_response(400, {"ErrorNumber": 14, "Type": "PostDataInvalidException", "Message": message})


def not_found() -> Response:
    return text_response(404, NOT_FOUND_TEXT)


def csv_values(value: str | None) -> list[str]:
    return [part.strip().strip('"').strip() for part in (value or "").split(",") if part.strip().strip('"')]


def is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
        return True
    except ValueError:
        return False


def validation_error_message(message: str) -> Response:
    return validation_exception([{"ValidationErrors": [{"Message": message}]}])


def json_body(request: Request) -> dict[str, Any]:
    try:
        body = request.json() if request.body else {}
    except ValueError:
        body = {}
    return body if isinstance(body, dict) else {}


def unit_decimals(request: Request) -> int:
    return 4 if (request.query_value("unitdp") or "") == "4" else 2


def find_invoice(org: Org, ident: str) -> Invoice | None:
    if is_uuid(ident):
        return org.invoices.get(ident.lower())
    return next((i for i in org.invoices.values() if i.InvoiceNumber == ident), None)


def mount_prefix(request: Request) -> str:
    """Where this module is mounted (``/xero``), for links back into the sandbox."""
    return request.path[: len(request.path) - len(request.subpath)]
