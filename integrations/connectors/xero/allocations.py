"""Allocations of a supplier credit note against a bill of the same supplier: ``PUT /CreditNotes/{id}/Allocations``
(``summarizeErrors=false``, an Idempotency-Key; spec ``createCreditNoteAllocation``), taken back with ``DELETE
/CreditNotes/{id}/Allocations/{AllocationID}`` ("The DELETE method can be used to delete CreditNotes allocations",
developer.xero.com/documentation/api/accounting/creditnotes).  An allocation cannot be edited, so a changed one is
taken back and made again, as payments are.  Xero refuses an allocation larger than what is left on either side
("Credit Note cannot be allocated as amount is greater than amount outstanding", waynerobinson/xeroizer#320).

An allocation's ERP id is ``"<CreditNoteID>:<InvoiceID>"`` (``credit_states``); after writing, Roger reads the
credit note again, so the state it reports is what Xero now holds between the two."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from integrations.connectors.base import (
    N_,
    ConnectorError,
    EntryKind,
    EntryState,
    ErpError,
    ErrorCategory,
    ItemResult,
    Outcome,
    PaymentData,
    WriteItem,
)
from integrations.connectors.http import jsonable
from integrations.connectors.xero.bodies import allocation_body
from integrations.connectors.xero.credit_lookups import credit_notes_by_id
from integrations.connectors.xero.credit_states import allocation_id, allocations_to, split_allocation_id
from integrations.connectors.xero.validation import classify_validation, element_failed, messages_of, summary_message
from integrations.connectors.xero.values import err
from integrations.connectors.xero.writes import elements_of, prechecked

if TYPE_CHECKING:
    from integrations.connectors.xero.connector import XeroConnector


def _data(item: WriteItem) -> PaymentData:
    assert isinstance(item.data, PaymentData)
    return item.data


def create_allocations(conn: XeroConnector, items: Sequence[WriteItem]) -> list[ItemResult]:
    results: dict[str, ItemResult] = {}
    valid = prechecked(items, results)
    if valid:
        conn.lock_dates()
    for index, item in enumerate(valid):
        try:
            results[item.ref] = _allocate(conn, item, Outcome.CREATED)
        except ConnectorError as exc:
            if exc.error.category is ErrorCategory.VALIDATION:  # Xero refused this one (a 400 without elements)
                results[item.ref] = ItemResult(item.ref, Outcome.FAILED, error=exc.error)
                continue
            if index == 0:
                raise
            _fail_rest(valid[index:], exc.error, results)
            break
    return [results[i.ref] for i in items]


def _fail_rest(items: Sequence[WriteItem], error: ErpError, results: dict[str, ItemResult]) -> None:
    """A whole call failed after earlier items were written: report per item, the later ones were never sent."""
    results[items[0].ref] = ItemResult(items[0].ref, Outcome.FAILED, error=error)
    for later in items[1:]:
        results[later.ref] = ItemResult(later.ref, Outcome.FAILED, error=replace(error, uncertain=False))


def _allocate(conn: XeroConnector, item: WriteItem, outcome: Outcome) -> ItemResult:
    data = _data(item)
    body = allocation_body(data)
    reply = conn.api.request(
        "PUT",
        f"/CreditNotes/{data.bill_erp_id}/Allocations",
        params=[("summarizeErrors", "false")],
        body={"Allocations": [body]},
        idempotency_key=item.idempotency_key,
    )
    elements = elements_of(reply, "Allocations")
    sent = jsonable(body)
    if len(elements) != 1:
        error = err(
            ErrorCategory.TEMPORARY if reply.status < 400 else ErrorCategory.VALIDATION,
            summary_message(reply.data),
            hint=N_("Roger checks Xero before allocating again."),
            uncertain=True,
            status=reply.status,
        )
        return ItemResult(item.ref, Outcome.FAILED, error=error, sent=sent)
    if element_failed(elements[0]):
        error = classify_validation(messages_of(elements[0]), EntryKind.PAYMENT, status=reply.status)
        return ItemResult(item.ref, Outcome.FAILED, error=error, sent=sent)
    return ItemResult(item.ref, outcome, state=_read_back(conn, data.bill_erp_id, data.allocate_to), sent=sent)


def _read_back(conn: XeroConnector, credit_id: str, invoice_id: str) -> EntryState:
    credits = credit_notes_by_id(conn.api, [credit_id])
    if credit_id not in credits:
        return EntryState(erp_id=allocation_id(credit_id, invoice_id), kind=EntryKind.PAYMENT, exists=False)
    return conn.allocation_state(credits[credit_id], invoice_id)


def allocation_unchanged(data: PaymentData, state: EntryState) -> bool:
    """Same bill, amount and currency.  The date is not compared: Xero sets it ("read-only. This will be the latter
    of the invoice date and the credit note date", creditnotes page), so Roger could not change it anyway."""
    have = state.fields
    return (
        have.get("allocated_to", "").lower() == data.allocate_to.lower()
        and have.get("amount") == f"{data.amount:.2f}"
        and (not have.get("currency") or have.get("currency") == data.currency)
    )


def update_allocations(conn: XeroConnector, items: Sequence[WriteItem]) -> list[ItemResult]:
    results: dict[str, ItemResult] = {}
    valid = prechecked(items, results)
    if valid:
        conn.lock_dates()
    credits = credit_notes_by_id(conn.api, [split_allocation_id(i.erp_id)[0] for i in valid])
    for item in valid:
        credit_id, invoice_id = split_allocation_id(item.erp_id)
        credit = credits.get(credit_id)
        state = (
            conn.allocation_state(credit, invoice_id)
            if credit
            else EntryState(erp_id=item.erp_id, kind=EntryKind.PAYMENT, exists=False)
        )
        if not state.exists:
            error = err(
                ErrorCategory.VALIDATION,
                N_("The allocation was removed in Xero"),
                hint=N_("Re-sync to allocate again."),
            )
            results[item.ref] = ItemResult(item.ref, Outcome.FAILED, state=state, error=error)
        elif state.booked:
            error = err(ErrorCategory.BOOKED, state.booked_reason, hint=state.booked_hint)
            results[item.ref] = ItemResult(item.ref, Outcome.BLOCKED, state=state, error=error)
        elif allocation_unchanged(_data(item), state):
            results[item.ref] = ItemResult(item.ref, Outcome.UNCHANGED, state=state)
        else:
            assert credit is not None
            results[item.ref] = _reallocate(conn, item, credit, invoice_id)
    return [results[i.ref] for i in items]


def _reallocate(conn: XeroConnector, item: WriteItem, credit: dict, invoice_id: str) -> ItemResult:
    """Take the old allocation back, then allocate as Roger now wants; a failure in between says it is gone."""
    credit_id = str(credit.get("CreditNoteID", ""))
    for old in allocations_to(credit, invoice_id):
        path = f"/CreditNotes/{credit_id}/Allocations/{old.get('AllocationID', '')}"
        try:
            reply = conn.api.request("DELETE", path, allow_404=True)
        except ConnectorError as exc:
            return ItemResult(item.ref, Outcome.FAILED, error=exc.error)
        failed = [e for e in elements_of(reply, "Allocations") if element_failed(e)]
        if reply.status == 400 or failed:
            messages = [m for e in failed for m in messages_of(e)] or [summary_message(reply.data)]
            error = classify_validation(messages, EntryKind.PAYMENT, status=reply.status)
            outcome = Outcome.BLOCKED if error.category is ErrorCategory.BOOKED else Outcome.FAILED
            return ItemResult(item.ref, outcome, error=error)
    gone = EntryState(erp_id=allocation_id(credit_id, invoice_id), kind=EntryKind.PAYMENT, exists=False)
    try:
        result = _allocate(conn, item, Outcome.UPDATED)
    except ConnectorError as exc:
        return ItemResult(item.ref, Outcome.FAILED, error=exc.error, state=gone)
    return result if result.state is not None else replace(result, state=gone)
