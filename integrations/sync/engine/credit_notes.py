"""A credit note's payment entry (R17): an allocation against the bill it corrects, or the refund the supplier paid.

* Allocation — when the credit note refers to a bill that is in this ERP and not yet paid there by Roger, and the
  ERP allocates through its API (``Connector.supports_allocation``): the credit note reduces what is due on the
  bill, as the accountant would do by hand.
* Refund — when the credit note is paid in Roger (money back from the supplier): a payment on the credit note.
* Otherwise the credit note has no payment entry: it stays open in the ERP (an ERP without allocation through its
  API — the Integrations tab says to match it there).
"""

from __future__ import annotations

from integrations.connectors.base import Connector, EntryKind
from integrations.models import ErpEntry, Integration
from integrations.sync import mapper
from integrations.sync.engine.work import Work


def credited_entries(integration: Integration, works: list[Work]) -> dict[int, dict[str, ErpEntry]]:
    """The entries of the bills that the batch's credit notes correct: bill id → kind → entry (one query)."""
    ids = {w.document.credits_id for w in works if w.document.is_credit_note and w.document.credits_id}
    found: dict[int, dict[str, ErpEntry]] = {}
    for entry in ErpEntry.objects.filter(integration=integration, document_id__in=ids):
        found.setdefault(entry.document_id, {})[entry.kind] = entry
    return found


def plan_payments(connector: Connector, works: list[Work], credited: dict[int, dict[str, ErpEntry]]) -> list[Work]:
    """The works to run: a credit note's payment entry becomes an allocation, a refund, or nothing at all."""
    kept = []
    for work in works:
        document = work.document
        if work.kind != EntryKind.PAYMENT:
            kept.append(work)
            continue
        if not document.is_credit_note:
            if mapper.paid_amount(document) > 0:
                kept.append(work)  # a bill settled wholly by its credit notes has no payment of money to sync
            continue
        if document.is_paid:
            kept.append(work)  # a refund: money the supplier paid back
            continue
        target = allocation_target(connector, credited.get(document.credits_id or 0, {}))
        if target:
            work.allocate_to = target
            kept.append(work)
    return kept


def allocation_target(connector: Connector, bill_entries: dict[str, ErpEntry]) -> str:
    """The ERP id of the bill to allocate against: in the ERP, and not paid there by Roger; "" otherwise."""
    bill, payment = bill_entries.get(EntryKind.BILL.value), bill_entries.get(EntryKind.PAYMENT.value)
    if not connector.supports_allocation or bill is None or not bill.erp_id:
        return ""
    if payment is not None and payment.erp_id:
        return ""  # paid in full in the ERP: nothing left to allocate against
    return bill.erp_id
