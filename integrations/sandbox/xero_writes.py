"""PUT/POST handlers of the Accounting API: bodies parsed as Xero does, ``summarizeErrors``, one result per element."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from integrations.sandbox.messages import Request, Response
from integrations.sandbox.xero_contact_rules import save_contact
from integrations.sandbox.xero_model import Org
from integrations.sandbox.xero_payment_rules import delete_payment, save_payment
from integrations.sandbox.xero_responses import (
    find_invoice,
    not_found,
    post_data_invalid,
    unit_decimals,
    validation_exception,
)
from integrations.sandbox.xero_results import ElementResult
from integrations.sandbox.xero_rules import save_invoice


class WritesMixin:
    """Part of ``XeroModule`` (``xero.py``): uses its ``envelope``."""

    envelope: Any

    # -- writing -------------------------------------------------------------------------------------------------
    def _elements(self, request: Request, key: str) -> list[Any] | Response:
        try:
            body = request.json()
        except (ValueError, UnicodeDecodeError):
            return post_data_invalid("JSON for post data was invalid")
        if isinstance(body, dict) and key in body:
            items = body[key]
            return items if isinstance(items, list) else post_data_invalid(f"{key} must be an array")
        if isinstance(body, list):
            return body
        if isinstance(body, dict):
            return [body]
        return post_data_invalid("JSON for post data was invalid")

    def _batch(self, request: Request, key: str, elements: list[Any], save: Callable[[Any], ElementResult]) -> Response:
        """Xero's ``summarizeErrors``: the valid elements are saved either way; only the answer differs."""
        results = [save(element) for element in elements]
        summarize = (request.query_value("summarizeErrors") or "true").lower() != "false"
        if summarize and any(not r.ok for r in results):
            return validation_exception([r.data for r in results if not r.ok])
        return self.envelope(key, [r.data for r in results])

    def _write_invoices(self, request: Request, org: Org, ident: str | None) -> Response:
        elements = self._elements(request, "Invoices")
        if isinstance(elements, Response):
            return elements
        unit_dp = unit_decimals(request)
        if ident is not None:
            invoice = find_invoice(org, ident)
            if invoice is None:
                return not_found()
            result = save_invoice(org, elements[0] if elements else {}, True, unit_dp, invoice.InvoiceID)
            return self.envelope("Invoices", [result.data]) if result.ok else validation_exception([result.data])
        allow_update = request.method == "POST"
        client = request.client or ""
        return self._batch(
            request, "Invoices", elements, lambda e: save_invoice(org, e, allow_update, unit_dp, client=client)
        )

    def _write_payments(self, request: Request, org: Org, _ident: str | None) -> Response:
        elements = self._elements(request, "Payments")
        if isinstance(elements, Response):
            return elements
        return self._batch(request, "Payments", elements, lambda e: save_payment(org, e))

    def _delete_payment(self, request: Request, org: Org, ident: str | None) -> Response:
        payment = org.payments.get((ident or "").lower())
        if payment is None:
            return not_found()
        try:
            body = request.json()
        except (ValueError, UnicodeDecodeError):
            return post_data_invalid("JSON for post data was invalid")
        result = delete_payment(org, payment, body)
        return self.envelope("Payments", [result.data]) if result.ok else validation_exception([result.data])

    def _write_contacts(self, request: Request, org: Org, ident: str | None) -> Response:
        elements = self._elements(request, "Contacts")
        if isinstance(elements, Response):
            return elements
        if ident is not None:
            contact = org.contacts.get(ident.lower())
            if contact is None:
                return not_found()
            elements = [
                {**(elements[0] if elements and isinstance(elements[0], dict) else {}), "ContactID": contact.ContactID}
            ]
        allow_update = request.method == "POST"
        return self._batch(request, "Contacts", elements, lambda e: save_contact(org, e, allow_update))
