"""The sync engine (DESIGN §5): claim → pre-flight → plan → reconcile → write → classify → finalize.

Work comes as ``SyncJob`` rows (one open job per document × integration).  A worker claims up to a batch of
due jobs of one integration with ``SELECT … FOR UPDATE SKIP LOCKED`` and a lease, then processes the batch with
batched ERP calls: bills first (their ERP ids are needed by payments), then payments.  Before every write the
affected entries are marked *uncertain* in their own commit, and the ERP's answer is committed at once (the
recovery point): a worker killed mid-call leaves entries that the next run reconciles by Roger's marker before
creating anything, so an entry is never created twice.

Only this module writes ``ErpEntry``, ``SyncAttempt`` and job states; it knows no HTTP and no ERP specifics —
everything ERP-specific is behind the connector interface.
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Case, F, Prefetch, Q, Value, When
from django.utils import timezone

from documents.models import Document, Payment
from integrations.connectors.base import (
    BillData,
    Connector,
    ConnectorError,
    EntryKind,
    EntryState,
    ErpError,
    ErrorCategory,
    ItemResult,
    Outcome,
    PaymentData,
    WriteItem,
    chunks,
)
from integrations.models import BulkResync, BulkResyncItem, ErpEntry, Integration, SyncAttempt, SyncJob
from integrations.sync import auth, mapper, vendor_links

log = logging.getLogger(__name__)

Data = BillData | PaymentData


def conf(name: str):
    return settings.ROGER_SYNC[name]


# --- the work of one entry within a batch ------------------------------------------------------------------
@dataclass
class Work:
    job: SyncJob
    document: Document
    kind: EntryKind
    entry: ErpEntry
    data: Data | None = None
    state: EntryState | None = None  # the ERP's current copy, when there is one
    action: str = ""  # create / update / no_change / blocked / adopt
    adopted: bool = False
    changes: dict[str, tuple[str, str]] = field(default_factory=dict)
    result: ItemResult | None = None
    error: ErpError | None = None
    duration_ms: int = 0
    booking: ItemResult | None = None  # "book after sync": the ERP's answer to booking this entry
    booking_ms: int = 0
    after_payment: EntryState | None = None  # a bill read again after its payment was written

    @property
    def ref(self) -> str:
        return f"{self.document.pk}:{self.kind}"


# --- public entry points -------------------------------------------------------------------------------------
def drain(integration_id: int, *, max_seconds: float = 200.0) -> int:
    """Process due jobs of one integration until none is due (or time is up); returns jobs processed."""
    deadline = time.monotonic() + max_seconds
    turn_ends = time.monotonic() + settings.ROGER_SYNC["TURN_SECONDS"]
    processed = 0
    connectors: dict[int, Connector] = {}  # one per drain: its caches (contacts, lock dates) span the batches
    while time.monotonic() < deadline:
        claimed = claim(integration_id, limit=conf("BATCH_SIZE"))
        if claimed is None:
            break
        token, jobs = claimed
        processed += len(jobs)
        run_batch(integration_id, token, jobs, connectors=connectors)
        if time.monotonic() > turn_ends and _others_waiting(integration_id):
            # One tenant never stalls another (§11): a rate-limited bulk could hold every worker, so after its
            # turn it goes to the back of the queue, behind the other integrations' wake-ups.
            _wake([integration_id])
            break
    else:
        _wake([integration_id])  # time is up but work remains: hand over to a fresh task
    return processed


def _others_waiting(integration_id: int) -> bool:
    due = SyncJob.objects.filter(state=SyncJob.State.PENDING, next_attempt_at__lte=timezone.now())
    return due.exclude(integration_id=integration_id).exists()


def sweep() -> list[int]:
    """Scheduled every minute: wake integrations with due jobs or expired leases (a killed worker)."""
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
    _wake(ids)
    return ids


def _wake(integration_ids: Sequence[int]) -> None:
    from integrations import tasks

    if integration_ids:
        transaction.on_commit(lambda: tasks.wake(integration_ids))


# --- claim ---------------------------------------------------------------------------------------------------
def claim(integration_id: int, *, limit: int) -> tuple[str, list[SyncJob]] | None:
    """Lease up to ``limit`` due jobs; ``None`` when nothing is due (a duplicate delivery does nothing)."""
    now = timezone.now()
    token = uuid.uuid4().hex
    with transaction.atomic():
        jobs = list(
            SyncJob.objects.select_for_update(skip_locked=True)
            .filter(integration_id=integration_id, next_attempt_at__lte=now)
            .filter(Q(state=SyncJob.State.PENDING) | Q(state=SyncJob.State.RUNNING, lease_expires_at__lt=now))
            .order_by("next_attempt_at", "id")[:limit]
        )
        if not jobs:
            return None
        abandoned = [job for job in jobs if job.state == SyncJob.State.RUNNING]
        SyncJob.objects.filter(pk__in=[job.pk for job in jobs]).update(
            state=SyncJob.State.RUNNING,
            lease_token=token,
            lease_expires_at=now + timedelta(seconds=conf("LEASE_SECONDS")),
            claimed_version=F("wanted_version"),
        )
        if abandoned:
            _log_abandoned(abandoned)
    for job in jobs:
        job.lease_token = token
    return token, jobs


def _log_abandoned(jobs: list[SyncJob]) -> None:
    """A worker died holding these jobs: say so in the log; entries it may have written are already uncertain."""
    records = []
    for job in jobs:
        for kind in _wanted_kinds_flags(job):
            records.append(
                SyncAttempt(
                    company_id=_company_id(job),
                    document_id=job.document_id,
                    integration_id=job.integration_id,
                    entry_kind=kind,
                    document_version=job.wanted_version,
                    trigger=job.trigger,
                    event=job.event,
                    triggered_by_id=job.requested_by_id,
                    bulk_id=job.bulk_id,
                    action=SyncAttempt.Action.NONE,
                    outcome=SyncAttempt.Outcome.UNKNOWN,
                    error_category=ErrorCategory.TEMPORARY,
                    erp_message="The worker stopped while syncing; the outcome of its last ERP call is unknown.",
                    hint="Nothing to do: Roger checks the ERP for the entry before writing again.",
                )
            )
    SyncAttempt.objects.bulk_create(records)


_COMPANY_CACHE: dict[int, int] = {}


def _company_id(job: SyncJob) -> int:
    if job.integration_id not in _COMPANY_CACHE:
        _COMPANY_CACHE[job.integration_id] = Integration.objects.values_list("company_id", flat=True).get(
            pk=job.integration_id
        )
    return _COMPANY_CACHE[job.integration_id]


def _wanted_kinds_flags(job: SyncJob) -> list[str]:
    return [k for k, wanted in ((EntryKind.BILL, job.want_bill), (EntryKind.PAYMENT, job.want_payment)) if wanted]


# --- one batch ------------------------------------------------------------------------------------------------
def run_batch(integration_id: int, token: str, jobs: list[SyncJob], *, connectors: dict | None = None) -> None:
    started = time.monotonic()
    integration = Integration.objects.select_related("company").get(pk=integration_id)
    if not integration.enabled:
        _finalize(token, jobs, {job.pk: "done" for job in jobs}, {})
        return
    if integration.connection == Integration.Connection.NEEDS_RECONNECT:
        _finalize(token, jobs, {job.pk: "paused" for job in jobs}, {})
        return
    documents = _load_documents([job.document_id for job in jobs])
    entries = _load_entries(integration, [job.document_id for job in jobs])
    history = _history(integration, [job.document_id for job in jobs])
    works: list[Work] = []
    outcome: dict[int, str] = {}
    for job in jobs:
        document = documents.get(job.document_id)
        if document is None or document.company_id != integration.company_id:
            # Tenant check (ASVS 8.4.1): a job can never make one company's document reach another's ERP.
            log.error(
                "sync job %s: document %s is not in integration %s's company", job.pk, job.document_id, integration.pk
            )
            outcome[job.pk] = "failed"
            continue
        for kind in _kinds_for(job, document, integration):
            key = (document.pk, kind)
            entry = entries.get(key) or ErpEntry(document=document, integration=integration, kind=kind)
            works.append(Work(job=job, document=document, kind=EntryKind(kind), entry=entry))
    try:
        connector = connectors.get(integration.pk) if connectors is not None else None
        if connector is None:
            connector = _connector(integration)
            if connectors is not None:
                connectors[integration.pk] = connector
    except ConnectorError as exc:
        for work in works:
            work.error = exc.error
        _record(integration, token, jobs, works, outcome, started)
        return
    retry_after: list[float] = []
    for kind in (EntryKind.BILL, EntryKind.PAYMENT):
        batch = [w for w in works if w.kind == kind and w.error is None]
        if kind == EntryKind.PAYMENT:
            batch = _attach_bill_ids(batch, works, entries)
        try:
            _process(connector, integration, batch, history)
        except ConnectorError as exc:
            # A whole call failed (ERP down, 429, auth): every entry still open in this kind shares the error.
            for work in batch:
                if work.result is None and work.error is None:
                    work.error = exc.error
            if exc.error.retry_after:
                retry_after.append(exc.error.retry_after)
            if exc.error.category == ErrorCategory.AUTHENTICATION:
                # Guarded by the credentials this batch started with: a reconnect meanwhile is not undone.
                auth.mark_needs_reconnect(
                    integration.pk, exc.error.message, credentials=integration.credentials_encrypted
                )
                break
    _refresh_paid_bills(connector, works, entries)
    vendor_links.remember(integration, [(w.document.vendor_id, _current_state(w)) for w in works])
    _record(integration, token, jobs, works, outcome, started)


def _connector(integration: Integration) -> Connector:
    from integrations.sync.connectors import build_connector

    return build_connector(integration)


def _kinds_for(job: SyncJob, document: Document, integration: Integration) -> list[str]:
    """R10: a bill for an Unpaid document, a bill and a payment for a Paid one (drafts only if pushed)."""
    kinds = []
    if job.want_bill and (document.is_synced_state or integration.push_drafts):
        kinds.append(EntryKind.BILL)
    if job.want_payment and document.is_paid:
        kinds.append(EntryKind.PAYMENT)
    if not kinds and job.want_payment and not job.want_bill and document.is_paid:
        kinds.append(EntryKind.PAYMENT)
    return kinds


def _load_documents(ids: list[int]) -> dict[int, Document]:
    qs = Document.objects.filter(pk__in=ids).select_related("vendor", "category", "department", "vat_code")
    qs = qs.prefetch_related(Prefetch("payments", queryset=Payment.objects.order_by("paid_on", "id")))
    return {d.pk: d for d in qs}


def _load_entries(integration: Integration, document_ids: list[int]) -> dict[tuple[int, str], ErpEntry]:
    rows = ErpEntry.objects.filter(integration=integration, document_id__in=document_ids)
    return {(e.document_id, e.kind): e for e in rows}


def _history(integration: Integration, document_ids: list[int]) -> set[tuple[int, str]]:
    """(document, kind) pairs that were ever written to this ERP: a missing link there means a *lost* link."""
    rows = (
        SyncAttempt.objects.filter(integration=integration, document_id__in=document_ids)
        .filter(Q(action__in=["create", "update", "adopt"]) | Q(outcome="unknown"))
        .values_list("document_id", "entry_kind")
        .distinct()
    )
    return set(rows)


def _attach_bill_ids(batch: list[Work], works: list[Work], entries: dict[tuple[int, str], ErpEntry]) -> list[Work]:
    """A payment needs its bill's ERP id: from this batch's bill work, else from the stored link."""
    bills = {w.document.pk: w for w in works if w.kind == EntryKind.BILL}
    ready = []
    for work in batch:
        bill_work = bills.get(work.document.pk)
        stored = entries.get((work.document.pk, EntryKind.BILL.value))
        bill_id = bill_work.entry.erp_id if bill_work else (stored.erp_id if stored else "")
        if not bill_id:
            waiting_on_retry = (
                bill_work is not None
                and bill_work.error is not None
                and (bill_work.error.category == ErrorCategory.TEMPORARY)
            )
            work.error = ErpError(
                ErrorCategory.TEMPORARY if waiting_on_retry else ErrorCategory.VALIDATION,
                "The vendor payment waits for the vendor bill, which is not in the ERP yet.",
                field="bill",
                hint="Fix the vendor bill's error first; the payment follows on the next sync.",
            )
            continue
        work.bill_erp_id = bill_id  # type: ignore[attr-defined]
        ready.append(work)
    return ready


def _refresh_paid_bills(connector: Connector, works: list[Work], entries: dict[tuple[int, str], ErpEntry]) -> None:
    """A payment can lock its bill in the ERP (Xero: a bill with a payment allocated can no longer be edited).
    Read those bills once more, so the bill's card says what the ERP says now — paid, booked — not what it said
    before Roger paid it.  Informational: a failed read changes nothing and fails nothing."""
    if not connector.payments_change_bills:
        return
    bill_works = {w.document.pk: w for w in works if w.kind == EntryKind.BILL}
    paid = [
        w.document.pk
        for w in works
        if w.kind == EntryKind.PAYMENT and w.result is not None and w.result.outcome in (Outcome.CREATED, Outcome.UPDATED)
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
                _apply_state(entry, state)
                stored.append(entry)
    if stored:
        ErpEntry.objects.bulk_update(stored, ["erp_status", "booked", "booked_reason"])


# --- plan, reconcile, write ------------------------------------------------------------------------------------
def _build_data(work: Work, integration: Integration) -> None:
    try:
        if work.kind == EntryKind.BILL:
            work.data = mapper.bill_data(work.document, integration)
        else:
            work.data = mapper.payment_data(work.document, integration, work.bill_erp_id)  # type: ignore[attr-defined]
    except mapper.MappingError as exc:
        work.error = exc.error


def _process(connector: Connector, integration: Integration, batch: list[Work], history: set) -> None:
    for work in batch:
        _build_data(work, integration)
    batch = [w for w in batch if w.error is None]
    if not batch:
        return
    kind = batch[0].kind
    _read_current(connector, kind, [w for w in batch if w.entry.erp_id])
    _reconcile(connector, kind, [w for w in batch if not w.entry.erp_id and _must_look_up(w, history)])
    for work in batch:
        if work.error is None and work.result is None:
            _plan(work)
    creates = [w for w in batch if w.action == "create" and w.error is None]
    updates = [w for w in batch if w.action in ("update", "adopt") and w.error is None and w.changes]
    for chunk in chunks(creates, connector.max_batch):
        _write(connector, kind, list(chunk), create=True)
    for chunk in chunks(updates, connector.max_batch):
        _write(connector, kind, list(chunk), create=False)
    if integration.book_after_sync and connector.supports_booking:
        _book(connector, integration, kind, [w for w in batch if _bookable(w)])


def _read_current(connector: Connector, kind: EntryKind, works: list[Work]) -> None:
    for chunk in chunks(works, connector.max_batch):
        states = connector.read(kind, [w.entry.erp_id for w in chunk])
        for work in chunk:
            state = states.get(work.entry.erp_id)
            if state is None or not state.exists:
                # Gone from the ERP (deleted there): look it up by marker before anything is created again.
                work.entry.erp_id = ""
                work.entry.uncertain = True
            else:
                work.state = state


def _must_look_up(work: Work, history: set) -> bool:
    """Look up by marker after an uncertain outcome or when a link Roger once had is missing (R13)."""
    return work.entry.uncertain or (work.entry.pk is None and (work.document.pk, work.kind.value) in history)


def _reconcile(connector: Connector, kind: EntryKind, works: list[Work]) -> None:
    for chunk in chunks(works, connector.max_batch):
        found = connector.lookup_entries(kind, [w.data for w in chunk])  # type: ignore[misc]
        for work in chunk:
            hits = [s for s in found.get(work.data.marker, []) if s.exists]  # type: ignore[union-attr]
            if len(hits) == 1:
                work.state, work.adopted = hits[0], True
                work.entry.erp_id = hits[0].erp_id
            elif len(hits) > 1:
                numbers = ", ".join(h.number or h.erp_id for h in hits)
                work.error = ErpError(
                    ErrorCategory.VALIDATION,
                    f"{len(hits)} entries in the ERP carry this document's marker ({numbers}); Roger will not guess.",
                    field="marker",
                    hint="Void or delete the duplicates in the ERP so that one remains, then re-sync.",
                )
            work.entry.uncertain = False


def _plan(work: Work) -> None:
    wanted = work.data.comparable()  # type: ignore[union-attr]
    if work.state is None:
        work.action = "create"
        work.changes = {k: ("", v) for k, v in wanted.items() if v}
        return
    current = dict(work.state.fields)
    work.changes = {k: (current.get(k, ""), v) for k, v in wanted.items() if current.get(k, "") != v}
    if not work.changes:
        work.action = "adopt" if work.adopted else "no_change"
    elif work.state.booked and work.entry.fingerprint and work.entry.fingerprint == _fingerprint(work.data):
        # Booked, and the document still says what Roger last sent: nothing to change.  An ERP may not report
        # every field of a booked entry (e-conomic's ledger lines have no due date), which is not a change.
        work.action, work.changes = "no_change", {}
    elif work.state.booked:
        work.action = "blocked"
    else:
        work.action = "adopt" if work.adopted else "update"


def _idempotency_key(work: Work) -> str:
    """Deterministic per (integration, document, entry, version): a retry sends the same key and body."""
    raw = f"roger:{work.entry.integration_id}:{work.document.public_id}:{work.kind}:{work.document.version}"
    return raw if len(raw) <= 128 else hashlib.sha256(raw.encode()).hexdigest()


def _write(connector: Connector, kind: EntryKind, works: list[Work], *, create: bool) -> None:
    items = [
        WriteItem(ref=w.ref, data=w.data, idempotency_key=_idempotency_key(w), erp_id=w.entry.erp_id)  # type: ignore[arg-type]
        for w in works
    ]
    if create:
        # Recovery point before the call: if this worker dies mid-call, the next run looks these up first.
        _save_uncertain(works)
    started = time.monotonic()
    try:
        results = connector.create(kind, items) if create else connector.update(kind, items)
    finally:
        elapsed = int((time.monotonic() - started) * 1000)
        for work in works:
            work.duration_ms = elapsed
    by_ref = {r.ref: r for r in results}
    for work in works:
        work.result = by_ref.get(work.ref)
        if work.result is None:
            work.error = ErpError(ErrorCategory.TEMPORARY, "The ERP returned no result for this entry.", uncertain=True)
    if create:
        _save_created(works)  # the ERP ids, committed at once


def _current_state(work: Work) -> EntryState | None:
    return (work.result.state if work.result and work.result.state else None) or work.state


def _bookable(work: Work) -> bool:
    """A draft that this run left in step with the document.  Every linked entry is one Roger created (or
    adopted by Roger's own marker), so a human's drafts in the same journal are never booked."""
    if work.error is not None or not work.entry.erp_id or work.action == "blocked":
        return False
    if work.result is not None and work.result.outcome not in (Outcome.CREATED, Outcome.UPDATED, Outcome.UNCHANGED):
        return False
    state = _current_state(work)
    return state is not None and not state.booked


def _book(connector: Connector, integration: Integration, kind: EntryKind, works: list[Work]) -> None:
    """Book after sync (off by default): post the entries Roger just wrote, each logged as its own attempt."""
    for chunk in chunks(works, connector.max_batch):
        started = time.monotonic()
        try:
            results = connector.book(kind, [w.entry.erp_id for w in chunk])
        except ConnectorError as exc:
            if exc.error.category == ErrorCategory.AUTHENTICATION:
                auth.mark_needs_reconnect(
                    integration.pk, exc.error.message, credentials=integration.credentials_encrypted
                )
            results = [ItemResult(w.entry.erp_id, Outcome.FAILED, error=exc.error) for w in chunk]
        elapsed = int((time.monotonic() - started) * 1000)
        by_id = {r.ref: r for r in results}
        for work in chunk:
            work.booking_ms = elapsed
            work.booking = by_id.get(work.entry.erp_id) or ItemResult(
                work.entry.erp_id,
                Outcome.FAILED,
                error=ErpError(ErrorCategory.TEMPORARY, "The ERP returned no result for this booking.", uncertain=True),
            )


def _booking_error(work: Work) -> ErpError | None:
    booking = work.booking
    if booking is None or booking.outcome not in (Outcome.FAILED, Outcome.BLOCKED):
        return None
    return booking.error or ErpError(ErrorCategory.TEMPORARY, "The ERP did not book the entry.")


def _save_uncertain(works: list[Work]) -> None:
    with transaction.atomic():
        for work in works:
            work.entry.uncertain = True
        _upsert_entries([w.entry for w in works], fields=["uncertain"])


def _save_created(works: list[Work]) -> None:
    for work in works:
        result = work.result
        if result is not None and result.state is not None and result.outcome in (Outcome.CREATED, Outcome.UPDATED):
            _apply_state(work.entry, result.state)
            work.entry.uncertain = False
        elif result is not None and result.error is not None and not result.error.uncertain:
            work.entry.uncertain = False  # definitely refused: nothing was created
    with transaction.atomic():
        _upsert_entries([w.entry for w in works], fields=["erp_id", "erp_number", "erp_url", "erp_status", "uncertain"])


def _apply_state(entry: ErpEntry, state: EntryState) -> None:
    entry.erp_id = state.erp_id
    entry.erp_number = state.number[:100]
    entry.erp_url = state.url[:500]
    entry.erp_status = state.status[:40]
    entry.booked = state.booked
    entry.booked_reason = state.booked_reason[:300]


ENTRY_FIELDS = [
    "erp_id",
    "erp_number",
    "erp_url",
    "erp_status",
    "booked",
    "booked_reason",
    "state",
    "fingerprint",
    "synced_version",
    "last_synced_at",
    "uncertain",
    "needs_attention",
    "error_category",
    "error_message",
    "error_hint",
]


def _upsert_entries(entries: list[ErpEntry], *, fields: list[str]) -> None:
    if not entries:
        return
    ErpEntry.objects.bulk_create(
        entries, update_conflicts=True, unique_fields=["document", "integration", "kind"], update_fields=fields
    )


# --- classify and record --------------------------------------------------------------------------------------
ACTION_OF = {
    Outcome.CREATED: SyncAttempt.Action.CREATE,
    Outcome.UPDATED: SyncAttempt.Action.UPDATE,
    Outcome.UNCHANGED: SyncAttempt.Action.NO_CHANGE,
    Outcome.BLOCKED: SyncAttempt.Action.BLOCKED,
}


def _backoff(attempts: int, retry_after: float | None) -> float:
    ceiling = min(conf("BACKOFF_CAP_SECONDS"), conf("BACKOFF_BASE_SECONDS") * (2**attempts))
    delay = ceiling / 2 + random.uniform(0, ceiling / 2)  # "equal jitter": spread out, never immediate
    return max(delay, retry_after or 0.0)


def _final_error(work: Work) -> ErpError | None:
    if work.error is not None:
        return work.error
    if work.result is not None and work.result.outcome == Outcome.FAILED:
        return work.result.error or ErpError(ErrorCategory.TEMPORARY, "The ERP refused the entry without a reason.")
    return None


def _fingerprint(data: Data | None) -> str:
    if data is None:
        return ""
    payload = json.dumps({"marker": data.marker, **data.comparable()}, sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()


def _record(
    integration: Integration,
    token: str,
    jobs: list[SyncJob],
    works: list[Work],
    outcome: dict[int, str],
    started: float,
) -> None:
    """Write entries, log records, bulk progress and job states: a constant number of queries per batch."""
    now = timezone.now()
    attempts: list[SyncAttempt] = []
    job_state: dict[int, str] = dict(outcome)
    job_retry: dict[int, float] = {}
    doc_outcome: dict[int, tuple[str, str]] = {}
    by_job: dict[int, list[Work]] = {}
    for work in works:
        by_job.setdefault(work.job.pk, []).append(work)
    for job in jobs:
        job_works = by_job.get(job.pk, [])
        state, retry = _job_state(job, job_works)
        job_state.setdefault(job.pk, state)
        if retry is not None:
            job_retry[job.pk] = retry
        for work in job_works:
            waiting = state in ("retry", "parked")
            attempts.append(_attempt(integration, work, now, retry, final=not waiting))
            if work.booking is not None:
                attempts.append(_booking_attempt(integration, work, now, retry, final=not waiting))
            _update_entry(work, now, final=not waiting)
        doc_outcome[job.document_id] = _document_outcome(job_works, job_state[job.pk])
    with transaction.atomic():
        _upsert_entries([w.entry for w in works], fields=ENTRY_FIELDS)
        SyncAttempt.objects.bulk_create(attempts)
        _finalize(token, jobs, job_state, job_retry)
        _update_bulk(integration, jobs, job_state, doc_outcome)
    log.info(
        "integration %s: %d jobs, %d entries in %.2fs",
        integration.pk,
        len(jobs),
        len(works),
        time.monotonic() - started,
    )


def _job_state(job: SyncJob, works: list[Work]) -> tuple[str, float | None]:
    errors = [e for w in works for e in (_final_error(w), _booking_error(w)) if e is not None]
    if any(e.category == ErrorCategory.AUTHENTICATION for e in errors):
        return "paused", None
    temporary = [e for e in errors if e.category == ErrorCategory.TEMPORARY]
    if temporary:
        retry_after = max((e.retry_after or 0.0) for e in temporary)
        if any(e.code == "parked" for e in temporary):
            # Waiting for the rate limit is not an attempt (R15): it never ends in Requires attention.
            return "parked", retry_after
        if job.attempts + 1 < conf("MAX_ATTEMPTS"):
            return "retry", _backoff(job.attempts, retry_after)
        return "failed", None
    return ("failed" if errors else "done"), None


def _attempt(integration: Integration, work: Work, now, retry: float | None, *, final: bool) -> SyncAttempt:
    error = _final_error(work)
    result = work.result
    state = (result.state if result and result.state else None) or work.state
    if error is not None:
        action = {"create": "create", "update": "update", "adopt": "adopt", "blocked": "blocked"}.get(
            work.action, "none"
        )
        outcome = SyncAttempt.Outcome.FAILED if final else SyncAttempt.Outcome.RETRYING
    elif result is not None:
        action = SyncAttempt.Action.ADOPT if work.adopted else ACTION_OF.get(result.outcome, SyncAttempt.Action.UPDATE)
        outcome = SyncAttempt.Outcome.BLOCKED if result.outcome == Outcome.BLOCKED else SyncAttempt.Outcome.SUCCESS
    else:
        action = {"blocked": "blocked", "adopt": "adopt"}.get(work.action, "no_change")
        outcome = SyncAttempt.Outcome.BLOCKED if work.action == "blocked" else SyncAttempt.Outcome.SUCCESS
    blocked_error = None
    if outcome == SyncAttempt.Outcome.BLOCKED and state is not None:
        blocked_error = ErpError(
            ErrorCategory.BOOKED,
            state.booked_reason or "Booked in the ERP.",
            hint=state.booked_hint or "Change it in the ERP, or leave it as booked.",
        )
    shown = error or blocked_error or (result.error if result else None)
    sent = dict(result.sent) if result and result.sent else _describe(work.data)
    return _log_record(
        integration,
        work,
        state,
        shown,
        action=action,
        outcome=outcome,
        duration_ms=work.duration_ms,
        request_data=_jsonable(sent),
        changes={k: list(v) for k, v in work.changes.items()},
        hint=_hint(shown, adopted=work.adopted)[:500],
        retry_at=(now + timedelta(seconds=retry)) if retry is not None and not final else None,
    )


def _log_record(integration: Integration, work: Work, state, shown: ErpError | None, **fields) -> SyncAttempt:
    """One integration log record of ``work``: who and what triggered it, where the entry is, what went wrong."""
    return SyncAttempt(
        company_id=integration.company_id,
        document=work.document,
        integration=integration,
        entry_kind=work.kind.value,
        document_version=work.document.version,
        trigger=work.job.trigger,
        event=work.job.event,
        triggered_by_id=work.job.requested_by_id,
        bulk_id=work.job.bulk_id,
        erp_id=(state.erp_id if state else work.entry.erp_id),
        erp_number=(state.number if state else work.entry.erp_number)[:100],
        erp_url=(state.url if state else work.entry.erp_url)[:500],
        error_category=shown.category.value if shown else "",
        error_field=(shown.field or "")[:50] if shown else "",
        erp_message=shown.message if shown else "",
        **fields,
    )


def _booking_attempt(integration: Integration, work: Work, now, retry: float | None, *, final: bool) -> SyncAttempt:
    """The log record of booking an entry after its sync (a second record beside the create/update one)."""
    booking = work.booking
    assert booking is not None
    error = _booking_error(work)
    state = booking.state or _current_state(work)
    if error is None:
        outcome = SyncAttempt.Outcome.SUCCESS
    elif booking.outcome == Outcome.BLOCKED:
        outcome = SyncAttempt.Outcome.BLOCKED
    else:
        outcome = SyncAttempt.Outcome.FAILED if final else SyncAttempt.Outcome.RETRYING
    return _log_record(
        integration,
        work,
        state,
        error,
        action=SyncAttempt.Action.BOOK,
        outcome=outcome,
        duration_ms=work.booking_ms,
        request_data=_jsonable(dict(booking.sent) if booking.sent else {"book": work.entry.erp_id}),
        hint=_hint(error, adopted=False)[:500] if error else "",
        retry_at=(now + timedelta(seconds=retry)) if retry is not None and not final else None,
    )


def _hint(error: ErpError | None, *, adopted: bool) -> str:
    if error is not None:
        return error.hint or {
            "temporary": "Nothing to do: Roger retries automatically.",
            "authentication": "Reconnect the integration in Integrations settings; Roger then syncs the latest data.",
            "setup": "Complete the mapping in Integrations settings, then re-sync.",
            "validation": "Correct the field named above in Roger, then re-sync.",
            "booked": "The entry is booked in the ERP; change it there if it must change.",
            "unsupported": "The ERP cannot do this; contact support.",
        }.get(error.category.value, "")
    return (
        "Found the entry Roger had created earlier by its marker and linked it; no duplicate was made."
        if adopted
        else ""
    )


def _describe(data: Data | None) -> dict:
    if data is None:
        return {}
    return {"marker": data.marker, **data.comparable()}


def _jsonable(value):
    return json.loads(json.dumps(value, default=str))


def _update_entry(work: Work, now, *, final: bool) -> None:
    entry = work.entry
    error = _final_error(work) or _booking_error(work)
    result = work.result
    state = (work.booking.state if work.booking else None) or work.after_payment or _current_state(work)
    if state is not None:
        _apply_state(entry, state)
    if error is None:
        blocked = (result is not None and result.outcome == Outcome.BLOCKED) or work.action == "blocked"
        entry.state = ErpEntry.State.BLOCKED if blocked else ErpEntry.State.SYNCED
        entry.needs_attention = blocked  # a change that could not reach a booked entry needs a human
        entry.error_category = ErrorCategory.BOOKED if blocked else ""
        entry.error_message = (state.booked_reason if (blocked and state) else "")[:1000]
        entry.error_hint = (state.booked_hint if (blocked and state) else "")[:500]
        if not blocked:
            entry.fingerprint = _fingerprint(work.data)
            entry.synced_version = work.document.version
            entry.last_synced_at = now
        return
    if error.code == "parked":
        return  # nothing reached the ERP: the entry keeps its state while the open job waits for the limit
    if error.category == ErrorCategory.AUTHENTICATION:
        # Not this document's failure: the integration needs reconnecting and the job waits (paused); the
        # integration card says so, and the document syncs by itself after the reconnect.
        entry.error_category = error.category.value
        entry.error_message = error.message[:1000]
        entry.error_hint = _hint(error, adopted=False)[:500]
        return
    entry.state = ErpEntry.State.UNCERTAIN if error.uncertain else ErpEntry.State.FAILED
    entry.uncertain = entry.uncertain or (error.uncertain and not entry.erp_id)
    entry.needs_attention = final  # only failures that remain after automatic retries (R15)
    entry.error_category = error.category.value
    entry.error_message = error.message[:1000]
    entry.error_hint = _hint(error, adopted=False)[:500]


def _document_outcome(works: list[Work], job_state: str) -> tuple[str, str]:
    """The worst outcome of a document's entries, for bulk progress: failed > blocked > created > updated…"""
    if job_state == "failed" or any(_final_error(w) for w in works):
        message = next((e.message for e in (_final_error(w) for w in works) if e), "Failed")
        return "failed", message[:500]
    outcomes = set()
    for work in works:
        if work.result is not None:
            outcomes.add(work.result.outcome.value)
        else:
            outcomes.add({"blocked": "blocked", "adopt": "updated"}.get(work.action, "unchanged"))
    for candidate in ("blocked", "created", "updated"):
        if candidate in outcomes:
            return candidate, ""
    return "unchanged", ""


# --- finalize (fenced by the lease token) ---------------------------------------------------------------------
def _finalize(token: str, jobs: list[SyncJob], states: dict[int, str], retry: dict[int, float]) -> None:
    """Close the batch's jobs; a worker whose lease was taken over changes nothing (lease_token fence)."""
    now = timezone.now()
    groups: dict[str, list[int]] = {}
    for job in jobs:
        groups.setdefault(states.get(job.pk, "done"), []).append(job.pk)
    fenced = SyncJob.objects.filter(lease_token=token)
    release = {"lease_token": "", "lease_expires_at": None}
    if groups.get("done"):
        # An edit that arrived after the claim (wanted_version grew) sends the job round once more (R2).
        fenced.filter(pk__in=groups["done"]).update(
            state=Case(When(wanted_version__gt=F("claimed_version"), then=Value("pending")), default=Value("done")),
            want_bill=Case(When(wanted_version__gt=F("claimed_version"), then=F("want_bill")), default=Value(False)),
            want_payment=Case(
                When(wanted_version__gt=F("claimed_version"), then=F("want_payment")), default=Value(False)
            ),
            attempts=0,
            next_attempt_at=now,
            last_error="",
            **release,
        )
    if groups.get("retry"):
        delay = max(retry.get(pk, 0.0) for pk in groups["retry"])
        fenced.filter(pk__in=groups["retry"]).update(
            state="pending", attempts=F("attempts") + 1, next_attempt_at=now + timedelta(seconds=delay), **release
        )
    if groups.get("parked"):
        delay = max(retry.get(pk, 0.0) for pk in groups["parked"])
        fenced.filter(pk__in=groups["parked"]).update(
            state="pending", next_attempt_at=now + timedelta(seconds=delay), **release
        )
    if groups.get("failed"):
        fenced.filter(pk__in=groups["failed"]).update(
            state=Case(When(wanted_version__gt=F("claimed_version"), then=Value("pending")), default=Value("failed")),
            attempts=0,
            next_attempt_at=now,
            **release,
        )
    if groups.get("paused"):
        _pause(fenced.filter(pk__in=groups["paused"]), jobs[0].integration_id, release)
    if any(s in groups for s in ("done", "failed")):
        _wake_if_requeued(jobs, token)


def _pause(jobs, integration_id: int, release: dict) -> None:
    """Park jobs until a reconnect, unless one committed meanwhile (it resumed only the jobs paused then).

    The integration's row lock orders this against a reconnect, which takes the same lock.
    """
    with transaction.atomic():
        connection = (
            Integration.objects.select_for_update().filter(pk=integration_id).values_list("connection", flat=True)
        )
        waiting = list(connection) == [Integration.Connection.NEEDS_RECONNECT]
        jobs.update(state="paused" if waiting else "pending", next_attempt_at=timezone.now(), **release)
    if not waiting:
        _wake([integration_id])


def _wake_if_requeued(jobs: list[SyncJob], token: str) -> None:
    if SyncJob.objects.filter(pk__in=[j.pk for j in jobs], state="pending", lease_token="").exists():
        _wake([jobs[0].integration_id])


def _update_bulk(
    integration: Integration, jobs: list[SyncJob], states: dict[int, str], outcomes: dict[int, tuple[str, str]]
) -> None:
    finished_docs = [j.document_id for j in jobs if states.get(j.pk) in ("done", "failed")]
    if not finished_docs or not any(j.bulk_id for j in jobs):
        return
    by_outcome: dict[tuple[str, str], list[int]] = {}
    for doc_id in finished_docs:
        by_outcome.setdefault(outcomes.get(doc_id, ("unchanged", "")), []).append(doc_id)
    open_items = BulkResyncItem.objects.filter(integration=integration, state=BulkResyncItem.State.QUEUED)
    for (outcome, message), doc_ids in by_outcome.items():
        open_items.filter(document_id__in=doc_ids).update(
            state=BulkResyncItem.State.DONE, outcome=outcome, message=message
        )
    bulk_ids = {j.bulk_id for j in jobs if j.bulk_id}
    BulkResync.objects.filter(pk__in=bulk_ids, finished_at__isnull=True).exclude(
        items__state=BulkResyncItem.State.QUEUED
    ).update(finished_at=timezone.now())
