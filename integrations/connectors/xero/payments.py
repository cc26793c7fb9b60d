"""Payments: created with ``PUT /Payments``; never edited — Xero accepts only ``{"Status":"DELETED"}`` on
``POST /Payments/{id}`` ("Only Status accepted for updates.", calcinai/xero-php#250; Xero staff in
XeroAPI/xero-php-oauth2#91), so a changed payment is deleted and created anew."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Sequence
from typing import TYPE_CHECKING

from integrations.connectors.base import (
    ConnectorError,
    EntryKind,
    EntryState,
    ErrorCategory,
    ItemResult,
    Outcome,
    PaymentData,
    WriteItem,
)
from integrations.connectors.http import jsonable
from integrations.connectors.xero import lookups
from integrations.connectors.xero.bodies import payment_body
from integrations.connectors.xero.states import payment_unchanged
from integrations.connectors.xero.validation import classify_validation, element_failed, messages_of, summary_message
from integrations.connectors.xero.writes import current, elements_of, prechecked, run_batches

if TYPE_CHECKING:
    from integrations.connectors.xero.connector import XeroConnector


def payment(item: WriteItem) -> PaymentData:
    assert isinstance(item.data, PaymentData)
    return item.data


def _bodies(conn: XeroConnector, items: Sequence[WriteItem]) -> list[tuple[WriteItem, dict]]:
    # The bank account's currency decides whether the payment carries BankAmount / CurrencyRate (bodies.py);
    # Roger looks it up only when it knows what left the bank.
    currencies = conn.bank_currencies() if any(payment(i).bank_amount is not None for i in items) else {}
    base = conn.base_currency() if currencies else ""
    return [
        (i, payment_body(payment(i), base_currency=base, bank_currency=currencies.get(payment(i).bank_account, "")))
        for i in items
    ]


def create_payments(conn: XeroConnector, items: Sequence[WriteItem]) -> list[ItemResult]:
    results: dict[str, ItemResult] = {}
    valid = prechecked(items, results)
    if valid:
        conn.lock_dates()
        todo = _bodies(conn, valid)
        results.update(run_batches(conn, EntryKind.PAYMENT, "PUT", "/Payments", "Payments", todo, Outcome.CREATED))
    return [results[i.ref] for i in items]


def update_payments(conn: XeroConnector, items: Sequence[WriteItem]) -> list[ItemResult]:
    results: dict[str, ItemResult] = {}
    valid = prechecked(items, results)
    fetch = lambda ids: lookups.payments_by_id(conn.api, ids)  # noqa: E731
    live = current(conn, EntryKind.PAYMENT, valid, results, fetch) if valid else []
    recreate: list[WriteItem] = []
    for item, pay, state in live:
        if payment_unchanged(payment(item), pay, state):
            results[item.ref] = ItemResult(item.ref, Outcome.UNCHANGED, state=state)
        else:
            recreate.append(item)
    to_create = []
    for item in recreate:
        failure = _delete(conn, item)
        if failure is None:
            to_create.append(item)
        else:
            results[item.ref] = failure
    if to_create:
        todo = _bodies(conn, to_create)
        try:
            created = run_batches(conn, EntryKind.PAYMENT, "PUT", "/Payments", "Payments", todo, Outcome.UPDATED)
        except ConnectorError as exc:
            # The old payments are gone already: report per item so the engine learns that.
            created = {
                i.ref: ItemResult(
                    i.ref,
                    Outcome.FAILED,
                    error=exc.error,
                    sent=jsonable(b),
                    state=EntryState(erp_id=i.erp_id, kind=EntryKind.PAYMENT, exists=False),
                )
                for i, b in todo
            }
        gone = {i.ref: EntryState(erp_id=i.erp_id, kind=EntryKind.PAYMENT, exists=False) for i in to_create}
        for ref, result in created.items():
            # A failed re-create leaves no payment behind: say so, so the next sync creates one.
            results[ref] = result if result.state else dataclasses.replace(result, state=gone[ref])
    return [results[i.ref] for i in items]


def derived_key(key: str, suffix: str, limit: int = 128) -> str:
    derived = f"{key}-{suffix}"
    if len(derived) <= limit:
        return derived
    return f"roger-{suffix}-" + hashlib.sha256(key.encode()).hexdigest()


def _delete(conn: XeroConnector, item: WriteItem) -> ItemResult | None:
    key = derived_key(item.idempotency_key, "delete")
    sent = {"Status": "DELETED"}
    try:
        reply = conn.api.request("POST", f"/Payments/{item.erp_id}", body=sent, idempotency_key=key)
    except ConnectorError as exc:
        return ItemResult(item.ref, Outcome.FAILED, error=exc.error, sent=sent)
    elements = elements_of(reply, "Payments")
    if reply.status >= 400 or any(element_failed(e) for e in elements):
        messages = [m for e in elements for m in messages_of(e)] or [summary_message(reply.data)]
        error = classify_validation(messages, EntryKind.PAYMENT, status=reply.status)
        outcome = Outcome.BLOCKED if error.category is ErrorCategory.BOOKED else Outcome.FAILED
        return ItemResult(item.ref, outcome, error=error, sent=sent)
    return None
