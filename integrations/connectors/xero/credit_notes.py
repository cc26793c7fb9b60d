"""Supplier credit notes: ``ACCPAYCREDIT`` created with ``PUT /CreditNotes`` and updated with ``POST /CreditNotes``
("Updates or creates one or more credit notes", spec ``updateOrCreateCreditNotes``; each element names its
``CreditNoteID``), in batches with ``summarizeErrors=false`` and an Idempotency-Key, the supplier's contact found as
for bills.  A credit note that is allocated, refunded, voided or in a locked period is booked and never written."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from integrations.connectors.base import EntryKind, ItemResult, Outcome, WriteItem
from integrations.connectors.xero import credit_lookups
from integrations.connectors.xero.bills import bill, create_with_contacts, no_contact, unchanged
from integrations.connectors.xero.bodies import credit_note_body, update_status
from integrations.connectors.xero.writes import current, prechecked, run_batches

if TYPE_CHECKING:
    from integrations.connectors.xero.connector import XeroConnector

WRAPPER = "CreditNotes"


def create_credit_notes(conn: XeroConnector, items: Sequence[WriteItem]) -> list[ItemResult]:
    return create_with_contacts(conn, items, credit_note_body, "/CreditNotes", WRAPPER)


def update_credit_notes(conn: XeroConnector, items: Sequence[WriteItem]) -> list[ItemResult]:
    results: dict[str, ItemResult] = {}
    valid = prechecked(items, results)
    fetch = lambda ids: credit_lookups.credit_notes_by_id(conn.api, ids)  # noqa: E731
    live = current(conn, EntryKind.BILL, valid, results, fetch) if valid else []
    changed = []
    for item, credit, state in live:
        status = update_status(bill(item), credit)
        if unchanged(conn, bill(item), credit, state, status, marked=False):
            results[item.ref] = ItemResult(item.ref, Outcome.UNCHANGED, state=state)
        else:
            changed.append((item, credit, status))
    if changed:
        contacts = conn.directory.resolve([bill(i).vendor for i, _, _ in changed])
        todo = []
        for item, credit, status in changed:
            contact = contacts.get(bill(item).vendor.number)
            if not isinstance(contact, str):
                results[item.ref] = ItemResult(item.ref, Outcome.FAILED, error=contact or no_contact())
                continue
            line_ids = [str(li["LineItemID"]) for li in credit.get("LineItems") or [] if li.get("LineItemID")]
            body = credit_note_body(
                bill(item), contact, credit_note_id=item.erp_id, line_item_ids=line_ids, status=status
            )
            todo.append((item, body))
        results.update(run_batches(conn, EntryKind.BILL, "POST", "/CreditNotes", WRAPPER, todo, Outcome.UPDATED))
    return [results[i.ref] for i in items]
