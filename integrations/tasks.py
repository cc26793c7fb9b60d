"""The only module that imports django-q2 (DESIGN §4).  Task bodies are one line taking ids.

A task is only a wake-up call: the durable intent lives in ``SyncJob`` rows, which the engine claims with a
lease.  A duplicate or late delivery finds nothing due and does nothing.
"""

from __future__ import annotations

from collections.abc import Iterable

from django_q.models import Schedule
from django_q.tasks import async_task


def wake(integration_ids: Iterable[int], *, copies: int = 1) -> None:
    for integration_id in integration_ids:
        for _ in range(copies):
            async_task(
                "integrations.tasks.drain_integration", integration_id, group="sync", task_name=f"sync-{integration_id}"
            )


def drain_integration(integration_id: int) -> None:
    from integrations.sync import engine

    engine.drain(integration_id)


def sweep() -> None:
    from integrations.sync import engine

    engine.sweep()


def ensure_schedules() -> None:
    """The sweeper runs every minute: it re-queues due jobs and recovers expired leases (a killed worker)."""
    Schedule.objects.update_or_create(
        name="roger-sync-sweeper",
        defaults={"func": "integrations.tasks.sweep", "schedule_type": Schedule.MINUTES, "minutes": 1, "repeats": -1},
    )
