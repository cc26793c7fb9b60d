"""A credit note's payment entry (R17): an allocation against the bill it corrects, or the refund the supplier paid.

* Allocation — when the credit note refers to a bill that is in this ERP and not yet paid there by Roger, and the
  ERP allocates through its API (``Connector.supports_allocation``): the credit note reduces what is due on the
  bill, as the accountant would do by hand.
* Refund — when the credit note is paid in Roger (money back from the supplier): a payment on the credit note.
* Otherwise the credit note has no payment entry: it stays open in the ERP (an ERP without allocation through its
  API — the Integrations tab says to match it there).

A credit note synced before its bill reached the ERP is allocated once the bill is there (``queue_allocations``).
"""

from __future__ import annotations

from documents.models import Document
from integrations.connectors.base import Connector, EntryKind
from integrations.models import ErpEntry, Integration, SyncJob
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


def queue_allocations(connector: Connector, integration: Integration, works: list[Work]) -> None:
    """The batch's bills now in the ERP and not paid there by Roger: their approved credit notes without an
    allocation yet (synced before the bill was there) get their allocation queued — one query, and one upsert
    when there is any."""
    from integrations import jobs

    bills = [w.document.pk for w in works if w.kind == EntryKind.BILL and not w.document.is_credit_note]
    if not connector.supports_allocation or not bills:
        return
    entries = ErpEntry.objects.filter(integration=integration, document_id__in=bills).exclude(erp_id="")
    notes = (
        Document.objects.filter(
            kind=Document.Kind.CREDIT_NOTE,
            status=Document.Status.APPROVED,
            credits_id__in=entries.filter(kind=EntryKind.BILL.value).values("document_id"),
        )
        .exclude(credits_id__in=entries.filter(kind=EntryKind.PAYMENT.value).values("document_id"))
        .exclude(
            pk__in=ErpEntry.objects.filter(integration=integration, kind=EntryKind.PAYMENT.value).values("document_id")
        )
    )
    ids = list(notes.values_list("pk", flat=True))
    if ids:
        jobs.stage(
            document_ids=ids,
            integration_ids=[integration.pk],
            trigger=SyncJob.Trigger.EVENT,
            event="credited_bill_synced",
            want_bill=False,
            want_payment=True,
        )
