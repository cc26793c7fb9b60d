"""Bulk re-sync progress (R2a, R9–R10): every item of a bulk ends with an outcome, and every bulk finishes.

An item is answered by the first run of its document × integration that *closes* the job after the item was
queued — a run that was already going when the request came goes round once more (see ``jobs_state.finalize``),
and answers the item then.  A run that ends waiting (a retry with backoff, a rate limit, a write of unknown
outcome being waited out, an integration to reconnect) marks the item *waiting*, with when it runs next; the
item takes its final outcome when that run closes the job.  A bulk is finished once none of its items is still
queued.  Constant queries per batch, whatever its size.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import Case, CharField, DateTimeField, Exists, OuterRef, Q, Value, When
from django.db.models.functions import Cast
from django.utils import timezone

from integrations.connectors.base import N_
from integrations.models import BulkResync, BulkResyncItem, ErpEntry, Integration, SyncJob

OPEN_ITEM = Q(state__in=[BulkResyncItem.State.QUEUED, BulkResyncItem.State.WAITING])


def answer(
    integration: Integration,
    jobs: list[SyncJob],
    meant: dict[int, str],
    now_state: dict[int, str],
    outcomes: dict[int, tuple[str, str]],
    next_at: dict[int, datetime],
    files: dict[int, str] | None = None,
) -> None:
    """After finalize: ``meant`` is how each job's run ended, ``now_state`` the state the job is in now."""
    done: dict[int, tuple[str, str]] = {}
    waiting: dict[int, tuple[str, datetime | None]] = {}
    for job in jobs:
        if job.pk not in now_state:
            continue  # not ours any more: the new owner answers
        state, run_end = now_state[job.pk], meant.get(job.pk, "done")
        if state in ("done", "failed"):
            done[job.document_id] = outcomes.get(job.document_id, ("unchanged", ""))
        elif state == "paused":
            waiting[job.document_id] = (
                N_("Waiting for {integration} to be reconnected.").format(integration=integration.name),
                None,
            )
        elif run_end in ("retry", "parked", "waiting"):
            message = outcomes.get(job.document_id, ("", ""))[1] or N_("Waiting to run again.")
            waiting[job.document_id] = (message, next_at.get(job.pk))
        # else: pending again because the document changed or a request came meanwhile — the next run answers.
    items = BulkResyncItem.objects.filter(OPEN_ITEM, integration=integration)
    if done:
        items.filter(document_id__in=list(done)).update(
            state=BulkResyncItem.State.DONE,
            outcome=_by_document({d: o for d, (o, _) in done.items()}),
            message=_by_document({d: m for d, (_, m) in done.items()}),
            attachment=_by_document({d: (files or {}).get(d, "") for d in done}),
            retry_at=None,
        )
    if waiting:
        items.filter(document_id__in=list(waiting)).update(
            state=BulkResyncItem.State.WAITING,
            outcome="waiting",
            message=_by_document({d: m[:500] for d, (m, _) in waiting.items()}),
            retry_at=_by_document({d: t for d, (_, t) in waiting.items()}, default=None, field=DateTimeField()),
        )
    if done or waiting:
        finish_bulks(
            BulkResyncItem.objects.filter(integration=integration, document_id__in=[*done, *waiting]).values("bulk_id")
        )


def _by_document(values: dict[int, object], default: object = "", field=None):
    field = field or CharField()
    case = Case(
        *[When(document_id=d, then=Value(v, output_field=field)) for d, v in values.items()],
        default=Value(default, output_field=field),
        output_field=field,
    )
    return Cast(case, field)  # PostgreSQL types a CASE of NULLs as text


def finish_bulks(bulk_ids) -> int:
    """Bulks among ``bulk_ids`` (ids or a subquery) with no queued item left get their finish time."""
    return (
        BulkResync.objects.filter(pk__in=bulk_ids, finished_at__isnull=True)
        .exclude(items__state=BulkResyncItem.State.QUEUED)
        .update(finished_at=timezone.now())
    )


def wait_for_reconnect(bulk: BulkResync, integration_ids: list[int]) -> None:
    """Items whose job was staged paused (the integration needs reconnecting) wait from the start."""
    paused = Integration.objects.filter(pk__in=integration_ids, connection=Integration.Connection.NEEDS_RECONNECT)
    for integration in paused:
        BulkResyncItem.objects.filter(bulk=bulk, integration=integration, state=BulkResyncItem.State.QUEUED).update(
            state=BulkResyncItem.State.WAITING,
            outcome="waiting",
            message=N_("Waiting for {integration} to be reconnected.").format(integration=integration.name),
        )


def sweep_orphans() -> int:
    """The sweeper's safety net: a queued item whose document × integration has no open job any more is answered
    from its entries as they are, and bulks left with nothing queued finish (e.g. after items were deleted with
    their document or integration).  Returns the items answered."""
    open_job = SyncJob.objects.filter(
        state__in=SyncJob.OPEN_STATES, document_id=OuterRef("document_id"), integration_id=OuterRef("integration_id")
    )
    orphans = BulkResyncItem.objects.filter(state=BulkResyncItem.State.QUEUED).filter(~Exists(open_job))
    answered = 0
    for item in orphans[:1000]:  # rare: each is a sync that ended without answering its items
        entries = ErpEntry.objects.filter(document_id=item.document_id, integration_id=item.integration_id)
        states = set(entries.values_list("state", flat=True))
        outcome = "failed" if ErpEntry.State.FAILED in states else "blocked" if ErpEntry.State.BLOCKED in states else ""
        if not outcome:
            outcome = "unchanged" if states and states <= {ErpEntry.State.SYNCED} else "failed"
        message = (
            "" if outcome == "unchanged" else N_("This item's sync ended without an answer; re-sync the document.")
        )
        BulkResyncItem.objects.filter(pk=item.pk, state=BulkResyncItem.State.QUEUED).update(
            state=BulkResyncItem.State.DONE, outcome=outcome, message=message
        )
        answered += 1
    finish_bulks(BulkResync.objects.filter(finished_at__isnull=True).values("pk"))
    return answered
