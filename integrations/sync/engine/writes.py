"""Writing to the ERP (DESIGN §5 step 6) with a recovery point on each side of every call.

Before a write, under a freshly renewed lease, the entries record that a write is being sent (and, for a create,
that the outcome is uncertain until the ERP answers): a worker killed mid-call leaves entries the next owner
waits out and reconciles by marker.  The ERP's answer is committed at once after the call.
"""

from __future__ import annotations

import hashlib
import logging
import time

from django.db import transaction
from django.utils import timezone

from integrations.connectors.base import (
    N_,
    Connector,
    ConnectorError,
    EntryKind,
    EntryState,
    ErpError,
    ErrorCategory,
    ItemResult,
    Outcome,
    WriteItem,
    chunks,
)
from integrations.models import ErpEntry
from integrations.sync.engine.leases import Lease
from integrations.sync.engine.work import Work

log = logging.getLogger(__name__)


def idempotency_key(work: Work) -> str:
    """Deterministic per (integration, document, entry, version, write generation): a retry of a write whose outcome
    is unknown sends the same key and body; a write after a known outcome is a new request with a new key."""
    raw = (
        f"roger:{work.entry.integration_id}:{work.document.public_id}:{work.kind}:{work.document.version}"
        f":{work.entry.write_generation}"
    )
    return raw if len(raw) <= 128 else hashlib.sha256(raw.encode()).hexdigest()


def write(connector: Connector, lease: Lease, kind: EntryKind, works: list[Work], *, create: bool) -> None:
    items = [
        WriteItem(ref=w.ref, data=w.data, idempotency_key=idempotency_key(w), erp_id=w.entry.erp_id)  # type: ignore[arg-type]
        for w in works
    ]
    mark_sending(lease, works, uncertain=create)
    started = time.monotonic()
    try:
        results = connector.create(kind, items) if create else connector.update(kind, items)
    except ConnectorError as exc:
        if not exc.error.uncertain:
            # Certainly not processed (refused, rate-limited before sending…): nothing to wait out.
            for work in works:
                work.entry.write_sent_at = None
                work.entry.write_generation += 1
                work.entry.uncertain = False if create else work.entry.uncertain
            with transaction.atomic():
                upsert_entries([w.entry for w in works], fields=["uncertain", "write_sent_at", "write_generation"])
        raise
    finally:
        elapsed = int((time.monotonic() - started) * 1000)
        for work in works:
            work.duration_ms = elapsed
    by_ref = {r.ref: r for r in results}
    for work in works:
        work.result = by_ref.get(work.ref)
        if work.result is None:
            work.error = ErpError(
                ErrorCategory.TEMPORARY, N_("The ERP returned no result for this entry."), uncertain=True
            )
    save_answers(works)


def mark_sending(lease: Lease, works: list[Work], *, uncertain: bool) -> None:
    """The recovery point before a write, committed under a renewed lease (or not at all: ``LeaseLost``)."""
    now = timezone.now()
    with transaction.atomic():
        lease.renew()
        for work in works:
            work.entry.write_sent_at = now
            if uncertain:
                work.entry.uncertain = True
        upsert_entries([w.entry for w in works], fields=["uncertain", "write_sent_at"])


def save_answers(works: list[Work]) -> None:
    """The recovery point after a write: the ERP's ids at once; a known outcome ends the wait for it."""
    for work in works:
        result = work.result
        uncertain_error = (work.error is not None and work.error.uncertain) or (
            result is not None and result.error is not None and result.error.uncertain
        )
        if result is not None and result.state is not None and result.outcome in (Outcome.CREATED, Outcome.UPDATED):
            apply_state(work.entry, result.state)
            work.entry.uncertain = False
        elif result is not None and result.error is not None and not result.error.uncertain:
            work.entry.uncertain = False  # definitely refused: nothing was created
        if not uncertain_error:
            work.entry.write_sent_at = None
            work.entry.write_generation += 1
    with transaction.atomic():
        upsert_entries(
            [w.entry for w in works],
            fields=["erp_id", "erp_number", "erp_url", "erp_status", "uncertain", "write_sent_at", "write_generation"],
        )


def current_state(work: Work) -> EntryState | None:
    return (work.result.state if work.result and work.result.state else None) or work.state


def bookable(work: Work) -> bool:
    """A draft that this run left in step with the document.  Every linked entry is one Roger created (or
    adopted by Roger's own marker), so a human's drafts in the same journal are never booked."""
    if work.error is not None or work.waiting or not work.entry.erp_id or work.action == "blocked":
        return False
    if work.result is not None and work.result.outcome not in (Outcome.CREATED, Outcome.UPDATED, Outcome.UNCHANGED):
        return False
    state = current_state(work)
    return state is not None and not state.booked


def book(connector: Connector, lease: Lease, kind: EntryKind, works: list[Work], on_auth_error) -> None:
    """Book after sync (off by default): post the entries Roger just wrote, each logged as its own attempt."""
    for chunk in chunks(works, connector.max_batch):
        chunk = list(chunk)
        mark_sending(lease, chunk, uncertain=False)
        started = time.monotonic()
        try:
            results = connector.book(kind, [w.entry.erp_id for w in chunk])
        except ConnectorError as exc:
            if exc.error.category == ErrorCategory.AUTHENTICATION:
                on_auth_error(exc.error)
            results = [ItemResult(w.entry.erp_id, Outcome.FAILED, error=exc.error) for w in chunk]
        elapsed = int((time.monotonic() - started) * 1000)
        by_id = {r.ref: r for r in results}
        for work in chunk:
            work.booking_ms = elapsed
            work.booking = by_id.get(work.entry.erp_id) or ItemResult(
                work.entry.erp_id,
                Outcome.FAILED,
                error=ErpError(
                    ErrorCategory.TEMPORARY, N_("The ERP returned no result for this booking."), uncertain=True
                ),
            )
            if not (work.booking.error and work.booking.error.uncertain):
                work.entry.write_sent_at = None
                work.entry.write_generation += 1
        upsert_entries([w.entry for w in chunk], fields=["write_sent_at", "write_generation"])


def booking_error(work: Work) -> ErpError | None:
    booking = work.booking
    if booking is None or booking.outcome not in (Outcome.FAILED, Outcome.BLOCKED):
        return None
    return booking.error or ErpError(ErrorCategory.TEMPORARY, N_("The ERP did not book the entry."))


def refresh_paid_bills(connector: Connector, works: list[Work], entries: dict[tuple[int, str], ErpEntry]) -> None:
    """A payment can lock its bill in the ERP (Xero: a bill with a payment allocated can no longer be edited).
    Read those bills once more, so the bill's card says what the ERP says now — paid, booked — not what it said
    before Roger paid it.  Informational: a failed read changes nothing and fails nothing."""
    if not connector.payments_change_bills:
        return
    bill_works = {w.document.pk: w for w in works if w.kind == EntryKind.BILL}
    paid = [
        w.document.pk
        for w in works
        if w.kind == EntryKind.PAYMENT
        and w.result is not None
        and w.result.outcome in (Outcome.CREATED, Outcome.UPDATED)
    ]
    targets = []
    for document_id in paid:
        bill_work = bill_works.get(document_id)
        entry = bill_work.entry if bill_work else entries.get((document_id, EntryKind.BILL.value))
        if entry is not None and entry.erp_id:
            targets.append((bill_work, entry))
    stored: list[ErpEntry] = []
    for chunk in chunks(targets, connector.max_batch):
        try:
            states = connector.read(EntryKind.BILL, [entry.erp_id for _, entry in chunk])
        except ConnectorError as exc:
            log.warning("could not re-read %s bills after their payments: %s", len(chunk), exc.error.message)
            continue
        for bill_work, entry in chunk:
            state = states.get(entry.erp_id)
            if state is None or not state.exists:
                continue
            if bill_work is not None:
                bill_work.after_payment = state  # saved with the batch's other entry changes
            else:
                apply_state(entry, state)
                stored.append(entry)
    if stored:
        ErpEntry.objects.bulk_update(stored, ["erp_status", "booked", "booked_reason"])


def apply_state(entry: ErpEntry, state: EntryState) -> None:
    entry.erp_id = state.erp_id
    entry.erp_number = state.number[:100]
    entry.erp_url = state.url[:500]
    entry.erp_status = state.status[:40]
    entry.booked = state.booked
    entry.booked_reason = state.booked_reason[:300]


def upsert_entries(entries: list[ErpEntry], *, fields: list[str]) -> None:
    if not entries:
        return
    ErpEntry.objects.bulk_create(
        entries, update_conflicts=True, unique_fields=["document", "integration", "kind"], update_fields=fields
    )
