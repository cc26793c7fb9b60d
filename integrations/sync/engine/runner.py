"""Draining an integration's due jobs, batch by batch (DESIGN §5): claim → pre-flight → plan → write → record."""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.db import OperationalError, transaction
from django.db.models import Q
from django.utils import timezone

from documents.models import Document
from integrations.connectors.base import N_, Connector, ConnectorError, EntryKind, ErpError, ErrorCategory
from integrations.models import ErpEntry, Integration, SyncAttempt, SyncJob
from integrations.sync import auth, vendor_links
from integrations.sync.engine import attachments, bulk, credit_notes, jobs_state, loading, plans, records, writes
from integrations.sync.engine.leases import Lease, LeaseGuard, LeaseLost, claim
from integrations.sync.engine.work import Work, conf

log = logging.getLogger(__name__)


class Connectors:
    """One connector per integration for a whole drain (its caches — contacts, lock dates — span the batches),
    each with the guard that keeps the current batch's lease fresh on every call."""

    def __init__(self) -> None:
        self._built: dict[int, tuple[Connector, LeaseGuard]] = {}

    def get(self, integration: Integration) -> tuple[Connector, LeaseGuard]:
        if integration.pk not in self._built:
            guard = LeaseGuard()
            self._built[integration.pk] = (loading.build_connector(integration, guard), guard)
        return self._built[integration.pk]


def drain(integration_id: int, *, max_seconds: float = 200.0) -> int:
    """Process due jobs of one integration until none is due (or time is up); returns jobs processed."""
    deadline = time.monotonic() + max_seconds
    turn_ends = time.monotonic() + settings.ROGER_SYNC["TURN_SECONDS"]
    processed = 0
    if _drained_elsewhere(integration_id) and _starving_others(integration_id):
        # A second worker for an integration another worker already drains (a rate-limited one mostly sleeps out
        # its allowance there) while another integration's due work has no worker: the running drain claims
        # whatever becomes due here, so this worker goes where it is needed (§11: one tenant never stalls another).
        return 0
    connectors = Connectors()
    while time.monotonic() < deadline:
        claimed = claim(integration_id, limit=conf("BATCH_SIZE"))
        if claimed is None:
            break
        token, jobs = claimed
        processed += len(jobs)
        run_batch(integration_id, token, jobs, connectors=connectors)
        if time.monotonic() > turn_ends and _starving_others(integration_id):
            # One tenant never stalls another (§11): a rate-limited bulk could hold every worker, so after its
            # turn it goes to the back of the queue, behind the other integrations' wake-ups.
            jobs_state.wake([integration_id])
            break
    else:
        jobs_state.wake([integration_id])  # time is up but work remains: hand over to a fresh task
    return processed


def _drained_elsewhere(integration_id: int) -> bool:
    """A worker holds a live lease on this integration's jobs (a batch under way)."""
    running = SyncJob.objects.filter(integration_id=integration_id, state=SyncJob.State.RUNNING)
    return running.filter(lease_expires_at__gt=timezone.now()).exists()


def _starving_others(integration_id: int) -> bool:
    """Another integration has jobs due and no worker on it.  One a worker already drains is not waiting for a
    worker: its drain claims its due jobs batch after batch, so handing over to it would only stack a second
    worker on it (seen in the demo: e-conomic's first sync waited ~50 s while both workers slept out Xero's
    minute).  A killed worker's lease counts as a worker until it expires; the sweeper then wakes its jobs."""
    now = timezone.now()
    drained = SyncJob.objects.filter(state=SyncJob.State.RUNNING, lease_expires_at__gt=now).values("integration_id")
    due = SyncJob.objects.filter(state=SyncJob.State.PENDING, next_attempt_at__lte=now)
    return due.exclude(integration_id=integration_id).exclude(integration_id__in=drained).exists()


def sweep() -> list[int]:
    """Scheduled every minute: wake integrations with due jobs or expired leases (a killed worker), and answer
    bulk items that nothing will answer any more."""
    now = timezone.now()
    due = (
        SyncJob.objects.filter(
            Q(state=SyncJob.State.PENDING, next_attempt_at__lte=now)
            | Q(state=SyncJob.State.RUNNING, lease_expires_at__lt=now)
        )
        .values_list("integration_id", flat=True)
        .distinct()
    )
    ids = sorted(set(due))
    jobs_state.wake(ids)
    bulk.sweep_orphans()
    return ids


def run_batch(integration_id: int, token: str, jobs: list[SyncJob], *, connectors: Connectors | None = None) -> None:
    started = time.monotonic()
    lease = Lease(token, [job.pk for job in jobs])
    integration = Integration.objects.select_related("company").get(pk=integration_id)
    if not integration.enabled:
        disabled = (
            "failed",
            f"{integration.name} was disabled before this document was synced; nothing was sent.",
        )
        _close(
            integration, token, jobs, [], {job.pk: "done" for job in jobs}, {}, {j.document_id: disabled for j in jobs}
        )
        return
    if integration.connection == Integration.Connection.NEEDS_RECONNECT:
        _close(integration, token, jobs, [], {job.pk: "paused" for job in jobs}, {}, {})
        return
    document_ids = [job.document_id for job in jobs]
    documents = loading.load_documents(document_ids)
    entries = loading.load_entries(integration, document_ids)
    history = loading.history(integration, document_ids)
    works, refused = _works(integration, jobs, documents, entries)
    try:
        connector, guard = (connectors or Connectors()).get(integration)
    except ConnectorError as exc:
        for work in works:
            work.error = exc.error
        _record(integration, token, jobs, works, refused, started)
        return
    for work in works:
        work.settle_seconds = plans.settle_seconds(connector)
    works = credit_notes.plan_payments(connector, works, credit_notes.credited_entries(integration, works))
    try:
        with guard.holding(lease):
            _sync(connector, integration, lease, works, entries, history)
    except LeaseLost as exc:
        # Another worker may own these jobs now: keep what reached the ERP, write nothing more, hand back the rest.
        log.warning("integration %s: %s; the batch stops before its next write", integration.pk, exc)
        _keep_what_happened(integration, works)
        lease.release()
        return
    vendor_links.remember(integration, [(w.document.vendor_id, writes.current_state(w)) for w in works])
    _record(integration, token, jobs, works, refused, started)
    credit_notes.queue_allocations(connector, integration, works)


def _works(integration, jobs, documents, entries) -> tuple[list[Work], dict[int, str]]:
    works: list[Work] = []
    refused: dict[int, str] = {}
    for job in jobs:
        document = documents.get(job.document_id)
        if document is None or document.company_id != integration.company_id:
            # Tenant check (ASVS 8.4.1): a job can never make one company's document reach another's ERP.
            log.error(
                "sync job %s: document %s is not in integration %s's company", job.pk, job.document_id, integration.pk
            )
            refused[job.pk] = "failed"
            continue
        for kind in _kinds_for(job, document, integration):
            entry = entries.get((document.pk, kind)) or ErpEntry(document=document, integration=integration, kind=kind)
            works.append(Work(job=job, document=document, kind=EntryKind(kind), entry=entry))
    return works, refused


def _kinds_for(job: SyncJob, document: Document, integration: Integration) -> list[str]:
    """R10: a bill for an Unpaid document, a bill and a payment for a Paid one (drafts only if pushed).  A credit
    note that corrects a bill may have a payment entry before it is paid: its allocation (``credit_notes``)."""
    kinds = []
    if job.want_bill and (document.is_synced_state or integration.push_drafts):
        kinds.append(EntryKind.BILL)
    allocating = document.is_credit_note and document.credits_id and document.is_synced_state
    if job.want_payment and (document.is_paid or allocating):
        kinds.append(EntryKind.PAYMENT)
    return kinds


def _sync(connector, integration, lease, works, entries, history) -> None:
    bills = {w.document.pk: w for w in works if w.kind == EntryKind.BILL}
    for kind in (EntryKind.BILL, EntryKind.PAYMENT):
        batch = [w for w in works if w.kind == kind and w.error is None]
        if kind == EntryKind.PAYMENT:
            batch = _attach_bill_ids(batch, bills, entries)
            bills = {**_shadow_bills(connector, integration, batch, bills, entries, history), **bills}
        try:
            _process(connector, integration, lease, batch, history, bills)
        except ConnectorError as exc:
            # A whole call failed (ERP down, 429, auth): every entry still open in this kind shares the error.
            for work in batch:
                if work.result is None and work.error is None and not work.waiting:
                    work.error = exc.error
            if exc.error.category == ErrorCategory.AUTHENTICATION:
                _needs_reconnect(integration, exc.error)
                break
    writes.refresh_paid_bills(connector, works, entries)


def _process(connector, integration, lease, batch: list[Work], history: set, bills: dict[int, Work]) -> None:
    for work in batch:
        plans.build_data(work, integration)
    erp = integration.get_kind_display()
    plans.hold_unsettled([w for w in batch if w.error is None], erp_name=erp)
    batch = [w for w in batch if w.error is None and not w.waiting]
    if not batch:
        return
    kind = batch[0].kind
    plans.read_current(connector, kind, [w for w in batch if w.entry.erp_id])
    plans.reconcile(connector, kind, [w for w in batch if not w.entry.erp_id and plans.must_look_up(w, history)])
    for work in batch:
        if work.error is None and work.result is None:
            plans.plan(work)
    if kind == EntryKind.PAYMENT:
        plans.hold_payments_behind_bills(batch, bills, erp_name=erp)
    creates = [w for w in batch if plans.writes(w) and w.action == "create"]
    updates = [w for w in batch if plans.writes(w) and w.action != "create"]
    for chunk in _chunks(creates, connector.max_batch):
        writes.write(connector, lease, kind, chunk, create=True)
    for chunk in _chunks(updates, connector.max_batch):
        writes.write(connector, lease, kind, chunk, create=False)
    if kind == EntryKind.BILL:
        attachments.attach(connector, lease, [w for w in batch if attachments.needs_file(w)])
    if integration.book_after_sync and connector.supports_booking:
        bookable = [w for w in batch if writes.bookable(w)]
        writes.book(connector, lease, kind, bookable, lambda error: _needs_reconnect(integration, error))


def _chunks(works: list[Work], size: int) -> list[list[Work]]:
    return [works[i : i + size] for i in range(0, len(works), size)]


def _needs_reconnect(integration: Integration, error: ErpError) -> None:
    # Guarded by the credentials this batch started with: a reconnect meanwhile is not undone.
    auth.mark_needs_reconnect(integration.pk, error.message, credentials=integration.credentials_encrypted)


def _attach_bill_ids(batch: list[Work], bills: dict[int, Work], entries) -> list[Work]:
    """A payment needs its bill's ERP id: from this batch's bill work, else from the stored link."""
    ready = []
    for work in batch:
        bill_work = bills.get(work.document.pk)
        stored = entries.get((work.document.pk, EntryKind.BILL.value))
        bill_id = bill_work.entry.erp_id if bill_work else (stored.erp_id if stored else "")
        if bill_work is not None and bill_work.waiting:
            work.wait_reason, work.wait_until = bill_work.wait_reason, bill_work.wait_until
            continue
        if not bill_id:
            retrying = bill_work is not None and bill_work.error is not None
            retrying = retrying and bill_work.error.category == ErrorCategory.TEMPORARY  # type: ignore[union-attr]
            work.error = ErpError(
                ErrorCategory.TEMPORARY if retrying else ErrorCategory.VALIDATION,
                N_("The vendor payment waits for the vendor bill, which is not in the ERP yet."),
                field="bill",
                hint=N_("Fix the vendor bill's error first; the payment follows on the next sync."),
            )
            continue
        work.bill_erp_id = bill_id
        ready.append(work)
    return ready


def _shadow_bills(connector, integration, payments, bills, entries, history) -> dict[int, Work]:
    """Bills of payments synced on their own (a manual payment re-sync): planned, never written, so the payment
    still follows its bill (R12).  One batched read."""
    shadows = []
    for work in payments:
        entry = entries.get((work.document.pk, EntryKind.BILL.value))
        if work.document.pk in bills or entry is None or not entry.erp_id:
            continue
        shadow = Work(job=work.job, document=work.document, kind=EntryKind.BILL, entry=entry)
        shadow.settle_seconds = work.settle_seconds
        plans.build_data(shadow, integration)
        shadows.append(shadow)
    plans.hold_unsettled(shadows, erp_name=integration.get_kind_display())
    ready = [s for s in shadows if s.error is None and not s.waiting]
    try:
        plans.read_current(connector, EntryKind.BILL, ready)
    except ConnectorError as exc:
        for shadow in ready:
            shadow.error = exc.error
    for shadow in ready:
        if shadow.entry.erp_id and shadow.error is None:
            plans.plan(shadow)
    return {s.document.pk: s for s in shadows}


def _keep_what_happened(integration: Integration, works: list[Work]) -> None:
    """After a lost lease: the log records and entry states of what did reach the ERP (R14), nothing else."""
    happened = [w for w in works if w.result is not None or w.booking is not None or w.attachment is not None]
    now = timezone.now()
    attempts = [records.attempt(integration, w, None, final=True) for w in happened]
    attempts += [records.booking_attempt(integration, w, None, final=True) for w in happened if w.booking]
    attempts += [records.attachment_attempt(integration, w, None, final=True) for w in happened if w.attachment]
    for work in happened:
        records.update_entry(work, now, final=False)
    with transaction.atomic():
        writes.upsert_entries([w.entry for w in happened], fields=records.ENTRY_FIELDS)
        SyncAttempt.objects.bulk_create(attempts)


def _record(integration, token, jobs, works, refused, started) -> None:
    """Write entries, log records, bulk progress and job states: a constant number of queries per batch."""
    now = timezone.now()
    attempts: list[SyncAttempt] = []
    states: dict[int, str] = dict(refused)
    next_at: dict = {}
    outcomes: dict[int, tuple[str, str]] = {}
    files: dict[int, str] = {}
    by_job: dict[int, list[Work]] = {}
    for work in works:
        by_job.setdefault(work.job.pk, []).append(work)
    for job in jobs:
        job_works = by_job.get(job.pk, [])
        state, when = jobs_state.job_state(job, job_works, now=now)
        states.setdefault(job.pk, state)
        if when is not None:
            next_at[job.pk] = when
        final = state not in ("retry", "parked", "waiting")
        for work in job_works:
            attempts.append(records.attempt(integration, work, when, final=final))
            if work.attachment is not None:
                attempts.append(records.attachment_attempt(integration, work, when, final=final))
            if work.booking is not None:
                attempts.append(records.booking_attempt(integration, work, when, final=final))
            records.update_entry(work, now, final=final)
        outcomes[job.document_id] = _outcome(job_works, states[job.pk])
        files[job.document_id] = attachments.outcome(job_works)
    _close(integration, token, jobs, works, states, next_at, outcomes, attempts, files)
    log.info(
        "integration %s: %d jobs, %d entries in %.2fs",
        integration.pk,
        len(jobs),
        len(works),
        time.monotonic() - started,
    )


def _outcome(works: list[Work], state: str) -> tuple[str, str]:
    if state in ("retry", "parked", "waiting"):
        reasons = [w.wait_reason for w in works if w.waiting] + [
            e.message for e in (records.final_error(w) for w in works) if e is not None
        ]
        return "waiting", (reasons[0] if reasons else "")[:500]
    return records.document_outcome(works, state)


def _close(integration, token, jobs, works, states, next_at, outcomes, attempts=(), files=None) -> None:
    for tries in range(3):
        for attempt in attempts:
            attempt.pk = None  # a retried transaction inserts them afresh
        try:
            with transaction.atomic():
                writes.upsert_entries([w.entry for w in works if not w.waiting], fields=records.ENTRY_FIELDS)
                SyncAttempt.objects.bulk_create(attempts)
                now_state = jobs_state.finalize(token, jobs, states, next_at)
                bulk.answer(integration, jobs, states, now_state, outcomes, next_at, files or {})
            break
        except OperationalError:  # a deadlock with a request staging the same jobs: PostgreSQL picked us
            if tries == 2:
                raise
    if any(state == "pending" for state in now_state.values()):
        jobs_state.wake([integration.pk])
    later = [when for pk, when in next_at.items() if now_state.get(pk) == "pending" and when > timezone.now()]
    if later:
        jobs_state.wake_at(integration.pk, later)
