"""The only module that imports django-q2 (DESIGN §4).  Task bodies are one line taking ids.

A task is only a wake-up call: the durable intent lives in ``SyncJob`` rows, which the engine claims with a
lease.  A duplicate or late delivery finds nothing due and does nothing.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import UTC, datetime

from django_q.models import Schedule
from django_q.tasks import async_task

WAKE_BUCKET = 5  # seconds: wake-ups due within the same few seconds share one schedule row


def wake(integration_ids: Iterable[int], *, copies: int = 1) -> None:
    for integration_id in integration_ids:
        for _ in range(copies):
            async_task(
                "integrations.tasks.drain_integration", integration_id, group="sync", task_name=f"sync-{integration_id}"
            )


def wake_at(integration_id: int, times: Iterable[datetime]) -> None:
    """One-off wake-ups for jobs that wait until a given time (a backoff, a rate limit, a write's settle time), so
    they run when due instead of at the next minute's sweep; the sweeper stays the safety net.  Two queries."""
    buckets = {math.ceil(t.timestamp() / WAKE_BUCKET) * WAKE_BUCKET for t in times}
    if not buckets:
        return
    names = {f"roger-wake-{integration_id}-{b}": b for b in buckets}
    existing = set(Schedule.objects.filter(name__in=list(names)).values_list("name", flat=True))
    Schedule.objects.bulk_create(
        Schedule(
            name=name,
            func="integrations.tasks.drain_integration",
            args=repr(integration_id),
            schedule_type=Schedule.ONCE,
            repeats=-1,  # django-q2 deletes a ONCE schedule with negative repeats once it has run
            next_run=datetime.fromtimestamp(bucket, tz=UTC),
        )
        for name, bucket in names.items()
        if name not in existing
    )


def drain_integration(integration_id: int) -> None:
    from integrations.sync import engine

    engine.drain(integration_id)


def sweep() -> None:
    from integrations.sync import engine

    engine.sweep()


def ensure_schedules(**_signal_kwargs) -> None:
    """The sweeper runs every minute: it re-queues due jobs and recovers expired leases (a killed worker)."""
    Schedule.objects.update_or_create(
        name="roger-sync-sweeper",
        defaults={"func": "integrations.tasks.sweep", "schedule_type": Schedule.MINUTES, "minutes": 1, "repeats": -1},
    )
