"""Which Xero resource an entry lives on, and one call split across them with the results in the caller's order.

* bill entry: a bill (``ACCPAY`` on ``/Invoices``) or, for ``BillData.credit_note``, a supplier credit note
  (``ACCPAYCREDIT`` on ``/CreditNotes``);
* payment entry: a payment of a bill, a refund of a credit note (a payment naming the credit note), or — with
  ``PaymentData.allocate_to`` — an allocation of the credit note against that bill (``"<CreditNoteID>:<InvoiceID>"``).

Reading by id alone (``read``) cannot tell a bill's id from a credit note's: bills are read first with the
optimised ``IDs`` list, and the ids Xero does not know as invoices are read as credit notes, one each.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, TypeVar

from integrations.connectors.base import BillData, EntryKind, EntryState, ItemResult, PaymentData, WriteItem
from integrations.connectors.xero import allocations, bills, credit_lookups, credit_notes, lookups, payments
from integrations.connectors.xero.credit_states import allocation_id, split_allocation_id
from integrations.connectors.xero.values import marker_key

if TYPE_CHECKING:
    from integrations.connectors.xero.connector import XeroConnector

T = TypeVar("T")
Route = tuple[Callable[[T], bool], Callable[[Sequence[T]], list[ItemResult]]]


def _is_credit_note(data: object) -> bool:
    return isinstance(data, BillData | PaymentData) and data.credit_note


def _is_allocation(data: object) -> bool:
    return isinstance(data, PaymentData) and bool(data.allocate_to)


def split(items: Sequence[T], routes: Sequence[Route[T]], key: Callable[[T], str]) -> list[ItemResult]:
    """Hand each item to the first route that takes it (the last one takes the rest); results in input order."""
    groups: list[list[T]] = [[] for _ in routes]
    for item in items:
        index = next((i for i, (takes, _) in enumerate(routes) if takes(item)), len(routes) - 1)
        groups[index].append(item)
    by_ref: dict[str, ItemResult] = {}
    for (_, run), group in zip(routes, groups, strict=True):
        if group:
            by_ref.update((r.ref, r) for r in run(group))
    return [by_ref[key(item)] for item in items]


def write(conn: XeroConnector, kind: EntryKind, items: Sequence[WriteItem], *, update: bool) -> list[ItemResult]:
    def ref(item: WriteItem) -> str:
        return item.ref

    if kind is EntryKind.BILL:
        credit_run = credit_notes.update_credit_notes if update else credit_notes.create_credit_notes
        bill_run = bills.update_bills if update else bills.create_bills
        routes: list[Route[WriteItem]] = [
            (lambda i: _is_credit_note(i.data), lambda g: credit_run(conn, g)),
            (lambda i: True, lambda g: bill_run(conn, g)),
        ]
    else:
        allocation_run = allocations.update_allocations if update else allocations.create_allocations
        payment_run = payments.update_payments if update else payments.create_payments
        routes = [
            (lambda i: _is_allocation(i.data), lambda g: allocation_run(conn, g)),
            (lambda i: True, lambda g: payment_run(conn, g)),  # refunds are payments naming the credit note
        ]
    return split(items, routes, ref)


def read(conn: XeroConnector, kind: EntryKind, erp_ids: Sequence[str]) -> dict[str, EntryState]:
    if kind is EntryKind.BILL:
        raw = lookups.invoices_by_id(conn.api, erp_ids)
        missing = [i for i in erp_ids if i not in raw]
        raw.update(credit_lookups.credit_notes_by_id(conn.api, missing) if missing else {})
    else:
        pairs = {i: split_allocation_id(i) for i in erp_ids}
        credit_ids = [credit for credit, _ in pairs.values() if credit]
        credits = credit_lookups.credit_notes_by_id(conn.api, credit_ids) if credit_ids else {}
        raw = lookups.payments_by_id(conn.api, [i for i, pair in pairs.items() if not pair[0]])
        states = {}
        for erp_id, (credit_id, invoice_id) in pairs.items():
            if credit_id:
                credit = credits.get(credit_id)
                states[erp_id] = (
                    conn.allocation_state(credit, invoice_id)
                    if credit
                    else EntryState(erp_id=erp_id, kind=kind, exists=False)
                )
        states.update({i: conn.state_of(kind, raw[i]) for i in erp_ids if i in raw})
        return {i: states.get(i) or EntryState(erp_id=i, kind=kind, exists=False) for i in erp_ids}
    return {
        i: conn.state_of(kind, raw[i]) if i in raw else EntryState(erp_id=i, kind=kind, exists=False) for i in erp_ids
    }


def lookup_entries(
    conn: XeroConnector, kind: EntryKind, items: Sequence[BillData | PaymentData]
) -> dict[str, list[EntryState]]:
    """Each item's entries in Xero, keyed by the item's marker (``Connector.lookup_entries``)."""
    found: dict[str, list] = {}
    if kind is EntryKind.BILL:
        bills_ = [i for i in items if isinstance(i, BillData) and not i.credit_note]
        credits = [i for i in items if isinstance(i, BillData) and i.credit_note]
        if bills_:
            found.update(lookups.find_bills(conn.api, bills_, conn.directory.known))
        if credits:
            found.update(credit_lookups.find_credit_notes(conn.api, credits, lambda d: conn.directory.find(d.vendor)))
        return {i.marker: [conn.state_of(kind, e) for e in found.get(marker_key(i.marker), [])] for i in items}
    payments_ = [i for i in items if isinstance(i, PaymentData) and not i.credit_note]
    refunds = [i for i in items if isinstance(i, PaymentData) and i.credit_note and not i.allocate_to]
    allocated = [i for i in items if isinstance(i, PaymentData) and i.allocate_to]
    if payments_:
        found.update(lookups.find_payments(conn.api, payments_))
    if refunds:
        found.update(credit_lookups.find_refunds(conn.api, refunds))
    out = {i.marker: [conn.state_of(kind, e) for e in found.get(marker_key(i.marker), [])] for i in items}
    if allocated:
        states = read(conn, kind, [allocation_id(a.bill_erp_id, a.allocate_to) for a in allocated])
        for data in allocated:
            state = states[allocation_id(data.bill_erp_id, data.allocate_to)]
            out[data.marker] = [state] if state.exists else []
    return out
