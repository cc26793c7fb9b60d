"""How a run ends for each job (DESIGN §5 steps 7–8): classify, back off, and close the job under its lease.

A job's run ends as one of:

* ``done`` / ``failed`` — closed, unless the document changed or a manual/bulk request arrived while it ran
  (R2, R2a): then it goes back to pending and runs once more, carrying the newer request;
* ``retry`` — a temporary failure, run again after a capped exponential backoff with jitter (or the ERP's
  Retry-After, or — after a write of unknown outcome — once the ERP's settle time has passed);
* ``parked`` / ``waiting`` — not an attempt: a rate limit to wait out, or an entry whose last write may still be
  processing at the ERP;
* ``paused`` — the integration needs reconnecting.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Case, F, Q, Value, When
from django.utils import timezone

from integrations.connectors.base import ErrorCategory
from integrations.jobs import lock_jobs
from integrations.models import Integration, SyncJob
from integrations.sync.engine.attachments import attachment_error
from integrations.sync.engine.records import final_error
from integrations.sync.engine.work import Work, conf
from integrations.sync.engine.writes import booking_error

CLOSING = ("done", "failed")


def job_state(job: SyncJob, works: list[Work], *, now: datetime) -> tuple[str, datetime | None]:
    """The job's end state and, when it runs again by itself, when."""
    errors = [
        e for w in works if not w.waiting for e in (final_error(w), booking_error(w), attachment_error(w)) if e is not None
    ]
    if any(e.category == ErrorCategory.AUTHENTICATION for e in errors):
        return "paused", None
    waits = [w.wait_until for w in works if w.waiting and w.wait_until is not None]
    temporary = [e for e in errors if e.category == ErrorCategory.TEMPORARY]
    if temporary:
        retry_after = max((e.retry_after or 0.0) for e in temporary)
        settled = [
            w.settles_at
            for w in works
            if any(e.uncertain for e in (final_error(w), booking_error(w), attachment_error(w)) if e)
        ]
        not_before = max([now + timedelta(seconds=retry_after), *[s for s in settled if s], *waits])
        if all(e.code == "parked" for e in temporary):
            # Waiting for the rate limit is not an attempt (R15): it never ends in Requires attention.
            return "parked", not_before
        if job.attempts + 1 < conf("MAX_ATTEMPTS"):
            return "retry", max(not_before, now + timedelta(seconds=backoff(job.attempts)))
        return "failed", None
    if waits:
        return "waiting", min(waits)
    return ("failed" if errors else "done"), None


def backoff(attempts: int) -> float:
    ceiling = min(conf("BACKOFF_CAP_SECONDS"), conf("BACKOFF_BASE_SECONDS") * (2**attempts))
    return ceiling / 2 + random.uniform(0, ceiling / 2)  # "equal jitter": spread out, never immediate


def finalize(token: str, jobs: list[SyncJob], states: dict[int, str], next_at: dict[int, datetime]) -> dict[int, str]:
    """Close the batch's jobs; a worker whose lease was taken over changes nothing (``lease_token`` fence).

    Returns the state each job of ours is in now — a job meant to close may be pending again (a newer version or
    request arrived meanwhile) — so that bulk items are answered only by a run that answered them.  Called inside
    the batch's closing transaction, the jobs stay locked until the bulk progress is written too.
    """
    with transaction.atomic():
        return _finalize(token, jobs, states, next_at)


def _finalize(token: str, jobs: list[SyncJob], states: dict[int, str], next_at: dict[int, datetime]) -> dict[int, str]:
    now = timezone.now()
    if "paused" in states.values() and jobs:
        # A reconnect locks the integration, then its jobs; so does this (never the other way round).
        list(Integration.objects.select_for_update().filter(pk=jobs[0].integration_id).values_list("pk"))
    ours = lock_jobs(SyncJob.objects.filter(pk__in=[job.pk for job in jobs], lease_token=token))
    groups: dict[str, list[int]] = {}
    for pk in ours:
        groups.setdefault(states.get(pk, "done"), []).append(pk)
    fenced = SyncJob.objects.filter(lease_token=token)
    release = {"lease_token": "", "lease_expires_at": None}
    newer = Q(wanted_version__gt=F("claimed_version")) | Q(requests__gt=F("claimed_requests"))
    for state in CLOSING:
        if groups.get(state):
            # An edit or a request that arrived after the claim sends the job round once more (R2, R2a).
            fenced.filter(pk__in=groups[state]).update(
                state=Case(When(newer, then=Value("pending")), default=Value(state)),
                want_bill=Case(When(newer, then=F("want_bill")), default=Value(False)),
                want_payment=Case(When(newer, then=F("want_payment")), default=Value(False)),
                attempts=0,
                next_attempt_at=now,
                last_error="",
                **release,
            )
    for state in ("retry", "parked", "waiting"):
        if groups.get(state):
            # Each job has its own time (a write's settle time is per entry); a request that arrived meanwhile
            # runs now — the settle time is still honoured per entry when it runs.
            times = [When(pk=pk, then=Value(next_at.get(pk, now))) for pk in groups[state]]
            fenced.filter(pk__in=groups[state]).update(
                state="pending",
                attempts=F("attempts") + 1 if state == "retry" else F("attempts"),
                next_attempt_at=Case(When(requests__gt=F("claimed_requests"), then=Value(now)), *times, default=now),
                **release,
            )
    if groups.get("paused"):
        _pause(fenced.filter(pk__in=groups["paused"]), jobs[0].integration_id, release)
    return dict(SyncJob.objects.filter(pk__in=ours).values_list("pk", "state"))


def _pause(jobs, integration_id: int, release: dict) -> None:
    """Park jobs until a reconnect, unless one committed meanwhile (it resumed only the jobs paused then).

    The integration's row lock orders this against a reconnect, which takes the same lock.
    """
    connection = Integration.objects.select_for_update().filter(pk=integration_id).values_list("connection", flat=True)
    waiting = list(connection) == [Integration.Connection.NEEDS_RECONNECT]
    jobs.update(state="paused" if waiting else "pending", next_attempt_at=timezone.now(), **release)
    if not waiting:
        wake([integration_id])


def wake_at(integration_id: int, times: list[datetime]) -> None:
    from integrations import tasks

    transaction.on_commit(lambda: tasks.wake_at(integration_id, times))


def wake(integration_ids) -> None:
    from integrations import tasks

    ids = list(integration_ids)
    if ids:
        transaction.on_commit(lambda: tasks.wake(ids))
