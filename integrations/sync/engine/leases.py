"""Claiming jobs and holding the claim (DESIGN §5 steps 2 and 5): a worker writes to the ERP only under a valid lease.

A batch's lease is renewed while the batch runs — before each write, and whenever a third of it has passed at the
moment an HTTP call gets its rate-limit slot — so a long batch (many calls, rate-limit waits, a token refresh)
keeps it, while a dead worker's lease still expires within ``LEASE_SECONDS``.  A renewal succeeds only while the
lease is still this worker's and unexpired; otherwise ``LeaseLost`` stops the batch before its next write and the
new owner carries on (its finalize is fenced by the token as well).

Why a third: an HTTP call starts at most a third of the lease after the last renewal, so at least two thirds are
left for the call itself; ``checks.py`` refuses settings where two thirds do not cover a call and its token refresh.
"""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import Iterator, Mapping
from datetime import timedelta

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from integrations.connectors.base import N_, ErrorCategory, Throttle
from integrations.jobs import lock_jobs
from integrations.models import Integration, SyncAttempt, SyncJob
from integrations.sync.engine.work import conf


class LeaseLost(Exception):
    """Another worker holds (or may take) this batch's jobs now: stop before writing anything else.

    Not a ``ConnectorError`` on purpose: no connector may turn it into a per-item result and carry on.
    """


class Lease:
    def __init__(self, token: str, job_ids: list[int]) -> None:
        self.token = token
        self.job_ids = job_ids
        self.renewed_at = time.monotonic()

    @property
    def seconds(self) -> float:
        return float(conf("LEASE_SECONDS"))

    def renew(self) -> None:
        """Extend the lease of every job of the batch, or raise ``LeaseLost`` if any of them is no longer ours."""
        now = timezone.now()
        with transaction.atomic():
            ours = lock_jobs(
                SyncJob.objects.filter(
                    pk__in=self.job_ids, state=SyncJob.State.RUNNING, lease_token=self.token, lease_expires_at__gt=now
                )
            )
            renewed = SyncJob.objects.filter(pk__in=ours).update(lease_expires_at=now + timedelta(seconds=self.seconds))
        if renewed < len(self.job_ids):
            raise LeaseLost(f"lease {self.token[:8]}: {len(self.job_ids) - renewed} of {len(self.job_ids)} jobs lost")
        self.renewed_at = time.monotonic()

    def keep(self) -> None:
        """Renew once a third of the lease has passed (cheap otherwise: no query)."""
        if time.monotonic() - self.renewed_at > self.seconds / 3:
            self.renew()

    def release(self) -> None:
        """After ``LeaseLost``: hand back the jobs still ours, so they run again at once instead of after expiry."""
        with transaction.atomic():
            ours = lock_jobs(SyncJob.objects.filter(pk__in=self.job_ids, lease_token=self.token))
            SyncJob.objects.filter(pk__in=ours).update(
                state=SyncJob.State.PENDING, lease_token="", lease_expires_at=None, next_attempt_at=timezone.now()
            )


class LeaseGuard:
    """The lease of the batch a cached connector is working for (connectors live across a drain's batches)."""

    lease: Lease | None = None

    @contextlib.contextmanager
    def holding(self, lease: Lease) -> Iterator[Lease]:
        self.lease = lease
        try:
            yield lease
        finally:
            self.lease = None


class GuardedThrottle:
    """The rate limiter every connector call passes through, with the lease kept once the slot is granted: a slot
    can take a while (pacing, concurrency), and the lease must be fresh when the request leaves."""

    def __init__(self, inner: Throttle, guard: LeaseGuard) -> None:
        self.inner = inner
        self.guard = guard

    @contextlib.contextmanager
    def slot(self) -> Iterator[None]:
        with self.inner.slot():
            if self.guard.lease is not None:
                self.guard.lease.keep()
            yield

    def observe(self, *, status: int, headers: Mapping[str, str], retry_after: float | None) -> None:
        self.inner.observe(status=status, headers=headers, retry_after=retry_after)


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
            claimed_requests=F("requests"),
        )
        if abandoned:
            _log_abandoned(abandoned)
    for job in jobs:
        job.lease_token = token
        job.claimed_version = job.wanted_version
        job.claimed_requests = job.requests
    return token, jobs


def _log_abandoned(jobs: list[SyncJob]) -> None:
    """A worker died holding these jobs: say so in the log; entries it may have written are already uncertain."""
    company_ids = dict(
        Integration.objects.filter(pk__in={job.integration_id for job in jobs}).values_list("pk", "company_id")
    )
    records = [
        SyncAttempt(
            company_id=company_ids[job.integration_id],
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
            erp_message=N_("The worker stopped while syncing; the outcome of its last ERP call is unknown."),
            hint=N_("Nothing to do: Roger checks the ERP for the entry before writing again."),
        )
        for job in jobs
        for kind, wanted in (("bill", job.want_bill), ("payment", job.want_payment))
        if wanted
    ]
    SyncAttempt.objects.bulk_create(records)
