"""Xero's Accounting API behind Roger's connector interface, one concern per module:

* ``connector`` — ``XeroConnector``, the entry point (``get_connector_class("xero")``);
* ``transport`` — one API call (throttle, token, idempotency key) · ``http_errors`` — what statuses mean;
* ``contacts`` — which contact is a supplier · ``lookups`` — finding entries again by id and marker;
* ``bills``, ``payments``, ``writes`` — writing them · ``states`` — reading them back;
* ``credit_notes``, ``allocations``, ``credit_lookups``, ``credit_states`` — supplier credit notes, their
  allocations against bills and their refunds · ``files`` — the document's file as an attachment;
* ``routing`` — which resource an entry lives on, and one call split across them;
* ``bodies``, ``checks``, ``validation``, ``values``, ``scopes``, ``catalogues`` — the pieces those share.
"""

from __future__ import annotations

from integrations.connectors.xero.bodies import account_ref, bill_body, payment_body
from integrations.connectors.xero.checks import check_bill, check_payment
from integrations.connectors.xero.connector import XeroConnector
from integrations.connectors.xero.scopes import BROAD_SCOPES, DEFAULT_SCOPES, GRANULAR_SCOPES
from integrations.connectors.xero.states import LockDates, bill_fields, payment_fields
from integrations.connectors.xero.validation import classify_validation
from integrations.connectors.xero.values import marker_key, parse_tracking_code, parse_xero_date

__all__ = [
    "BROAD_SCOPES",
    "DEFAULT_SCOPES",
    "GRANULAR_SCOPES",
    "LockDates",
    "XeroConnector",
    "account_ref",
    "bill_body",
    "bill_fields",
    "check_bill",
    "check_payment",
    "classify_validation",
    "marker_key",
    "parse_tracking_code",
    "parse_xero_date",
    "payment_body",
    "payment_fields",
]
