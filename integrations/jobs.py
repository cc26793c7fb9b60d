"""Turns document events and re-sync requests into ``SyncJob`` rows (DESIGN §5 step 1).

A job row is the durable intent: it is written in the caller's transaction (so a rollback leaves no job and a
commit never loses one), coalesced per document × integration by a partial unique index (one open job per
pair), and carries the latest wanted version.  The worker is only *woken* after commit; if that wake-up is ever
lost (process killed between commit and enqueue) the scheduled sweeper finds the due job anyway.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence

from django.conf import settings
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from documents.models import Document
from documents.signals import document_changed
from integrations.models import Integration, SyncJob

_OPEN = "('pending', 'running', 'paused')"


def connect_receivers() -> None:
    document_changed.connect(on_document_changed, sender=Document, dispatch_uid="integrations.stage_sync_jobs")


def on_document_changed(sender: type, *, document: Document, event: str, changed: frozenset[str], actor, **_) -> None:
    """R1/R3: approval, a synced field change or payment syncs the document to each enabled integration."""
    if event == "updated" and not changed:
        return
    integrations = auto_sync_integrations(document.company_id)
    wanted = [i for i in integrations if document.is_synced_state or (i.push_drafts and event != "submitted")]
    if wanted:
        stage(
            document_ids=[document.pk],
            integration_ids=[i.pk for i in wanted],
            trigger=SyncJob.Trigger.EVENT,
            event=event,
        )


def auto_sync_integrations(company_id: int) -> list[Integration]:
    return list(
        Integration.objects.filter(company_id=company_id, enabled=True, auto_sync=True).exclude(
            connection=Integration.Connection.NOT_CONNECTED
        )
    )


def _least(a: str, b: str) -> str:
    return f"LEAST({a}, {b})" if connection.vendor == "postgresql" else f"MIN({a}, {b})"


def _id_list_sql() -> str:
    """Documents given as one parameter, so the statement (and its cost in queries) doesn't grow with them."""
    if connection.vendor == "postgresql":
        return "d.id = ANY(%s::bigint[])"
    return "d.id IN (SELECT value FROM json_each(%s))"


def _id_param(ids: Sequence[int]):
    return list(ids) if connection.vendor == "postgresql" else json.dumps(list(ids))


def stage(
    *,
    document_ids: Sequence[int],
    integration_ids: Iterable[int],
    trigger: str,
    event: str = "",
    requested_by_id: int | None = None,
    bulk_id: int | None = None,
    want_bill: bool = True,
    want_payment: bool = True,
) -> int:
    """Upsert the open job of every document × integration pair in ONE statement; returns rows touched.

    An existing open job learns the newer wanted version and the union of wanted entries, so a change made while
    it runs leads to one more run after it (R2).  A manual or bulk request also counts itself in ``requests``:
    a run that was already going when the request came does not answer it, one more run does (R2a); ten requests
    during one run still give one more run.  The request's trigger, user and bulk label that run's log records
    and are not overwritten by an automatic event before it has run.  A request resets the backoff so it runs
    now; an automatic event does not shorten a backoff the ERP asked for.
    """
    integration_ids = list(integration_ids)
    if not document_ids or not integration_ids:
        return 0
    now = timezone.now()
    table = SyncJob._meta.db_table
    least = _least(f"{table}.next_attempt_at", "excluded.next_attempt_at")
    # Who labels the next run: a request that no run has answered yet outranks a later automatic event — one not
    # claimed yet, or one a run is answering now (claimed, not finalized): if that run dies (kill -9), the worker
    # that takes the job over logs and re-runs it under the row's labels, which must still be the request's.
    keep_request = (
        f"excluded.trigger = 'event' AND ({table}.requests > {table}.claimed_requests"
        f" OR ({table}.state = 'running' AND {table}.trigger <> 'event'))"
    )
    sql = f"""
        INSERT INTO {table} (document_id, integration_id, state, wanted_version, want_bill, want_payment, trigger,
                             event, requested_by_id, bulk_id, attempts, next_attempt_at, lease_token, last_error,
                             created_at, updated_at, claimed_version, requests, claimed_requests)
        SELECT d.id, i.id, CASE WHEN i.connection = 'needs_reconnect' THEN 'paused' ELSE 'pending' END,
               d.version, %s, %s, %s, %s, %s, %s, 0, %s, '', '', %s, %s, 0, %s, 0
        FROM documents_document d JOIN integrations_integration i ON i.company_id = d.company_id
        WHERE {_id_list_sql()} AND i.id IN ({", ".join(["%s"] * len(integration_ids))})
        ORDER BY d.id, i.id  -- jobs are always locked in (document, integration) order: see lock_jobs()
        ON CONFLICT (document_id, integration_id) WHERE state IN {_OPEN}
        DO UPDATE SET
            wanted_version = CASE WHEN excluded.wanted_version > {table}.wanted_version
                                  THEN excluded.wanted_version ELSE {table}.wanted_version END,
            want_bill = ({table}.want_bill OR excluded.want_bill),
            want_payment = ({table}.want_payment OR excluded.want_payment),
            requests = {table}.requests + excluded.requests,
            trigger = CASE WHEN {keep_request} THEN {table}.trigger ELSE excluded.trigger END,
            event = CASE WHEN {keep_request} THEN {table}.event ELSE excluded.event END,
            requested_by_id = CASE WHEN {keep_request} THEN {table}.requested_by_id ELSE excluded.requested_by_id END,
            bulk_id = CASE WHEN {keep_request} THEN {table}.bulk_id ELSE excluded.bulk_id END,
            attempts = CASE WHEN excluded.trigger = 'event' THEN {table}.attempts ELSE 0 END,
            next_attempt_at = CASE WHEN excluded.trigger = 'event' AND {table}.attempts > 0
                                   THEN {table}.next_attempt_at ELSE {least} END,
            updated_at = excluded.updated_at
    """
    is_request = trigger != SyncJob.Trigger.EVENT
    params = [
        want_bill,
        want_payment,
        trigger,
        event,
        requested_by_id,
        bulk_id,
        now,
        now,
        now,
        1 if is_request else 0,
        _id_param(document_ids),
        *integration_ids,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        touched = cursor.rowcount
    # A big batch is drained by several workers at once (each claims its own jobs with SKIP LOCKED).
    copies = max(1, min(settings.Q_CLUSTER.get("workers", 1), len(document_ids) // settings.ROGER_SYNC["BATCH_SIZE"]))
    wake_after_commit(integration_ids, copies=copies)
    return touched


def wake_after_commit(integration_ids: Iterable[int], *, copies: int = 1) -> None:
    from integrations import tasks  # the only module that knows django-q2

    ids = sorted(set(integration_ids))
    transaction.on_commit(lambda: tasks.wake(ids, copies=copies))


def lock_jobs(jobs: QuerySet[SyncJob]) -> list[int]:
    """Lock job rows in (document, integration) order, the order every statement that locks several jobs uses
    (staging, finalize, lease renewal): two transactions that both lock jobs then wait for each other in turn,
    never in a cycle — a deadlock would fail an accountant's request or a worker's batch.  Call inside a
    transaction; returns the ids locked."""
    return list(jobs.select_for_update().order_by("document_id", "integration_id").values_list("pk", flat=True))


def resume_integration(integration_id: int) -> int:
    """After a reconnect: paused jobs run again, with the document's latest data (they read it when they run)."""
    now = timezone.now()
    with transaction.atomic():
        paused = lock_jobs(SyncJob.objects.filter(integration_id=integration_id, state=SyncJob.State.PAUSED))
        resumed = SyncJob.objects.filter(pk__in=paused).update(
            state=SyncJob.State.PENDING, next_attempt_at=now, attempts=0
        )
    wake_after_commit([integration_id])
    return resumed
