"""A rate limiter per integration, shared by every worker process through the database (DESIGN §11).

One ``RateLimit`` row per integration holds the fixed minute and day windows, the concurrency slots in use
(each with an expiry, so a killed worker's slot frees itself) and ``blocked_until`` set from a 429's
Retry-After.  Every acquire is one short transaction with a row lock; no lock is held during the HTTP call.
Budgets stay a little under the ERP's published limits.  A wait longer than ``MAX_WAIT`` (a day limit, a long
Retry-After) is not slept through: the job is *parked* until then without counting as a failure.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import time
import uuid
from collections.abc import Iterator, Mapping

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from integrations.connectors.base import ConnectorError, ErpError, ErrorCategory
from integrations.models import Integration, RateLimit

MAX_WAIT = 20.0  # seconds a worker may sleep for a slot before parking the job instead
SLOT_TTL = 120.0  # a slot older than this belongs to a dead worker


def limits_for(kind: str) -> dict[str, float]:
    return settings.ROGER_RATE_LIMITS.get(kind, {})


class DbThrottle:
    def __init__(self, integration: Integration):
        self.integration_id = integration.pk
        self.limits = limits_for(integration.kind)
        # Benchmarks run the ERP sandbox's clock faster; the limiter's windows follow the same scale.
        self.scale = float(settings.ROGER_RATE_TIME_SCALE)

    @contextlib.contextmanager
    def slot(self) -> Iterator[None]:
        if not self.limits:
            yield
            return
        token = self._acquire()
        try:
            yield
        finally:
            self._release(token)

    def observe(self, *, status: int, headers: Mapping[str, str], retry_after: float | None) -> None:
        if status != 429:
            return
        wait = retry_after if retry_after is not None else 60.0 / self.scale
        problem = headers.get("X-Rate-Limit-Problem", "") or headers.get("x-rate-limit-problem", "")
        until = timezone.now() + dt.timedelta(seconds=wait)
        with transaction.atomic():
            row = self._row()
            if not row.blocked_until or row.blocked_until < until:
                row.blocked_until, row.blocked_reason = until, problem or "rate limited"
                row.save(update_fields=["blocked_until", "blocked_reason"])

    # --- internals -----------------------------------------------------------------------------------------
    def _row(self) -> RateLimit:
        RateLimit.objects.get_or_create(integration_id=self.integration_id)
        return RateLimit.objects.select_for_update().get(integration_id=self.integration_id)

    def _acquire(self) -> str:
        started = time.monotonic()
        while True:
            wait = self._try_acquire()
            if isinstance(wait, str):
                return wait
            waited = time.monotonic() - started
            if waited + wait > MAX_WAIT:
                raise ConnectorError(
                    ErpError(
                        ErrorCategory.TEMPORARY,
                        "The ERP's rate limit is used up for now; Roger waits and continues automatically.",
                        retry_after=wait,
                        code="parked",
                    )
                )
            time.sleep(min(wait, 1.0))

    def _try_acquire(self) -> str | float:
        """A slot token, or the seconds to wait before trying again."""
        now = timezone.now()
        epoch = time.time()
        minute = dt.timedelta(seconds=60 / self.scale)
        day = dt.timedelta(seconds=86400 / self.scale)
        with transaction.atomic():
            row = self._row()
            if row.blocked_until and row.blocked_until > now:
                return (row.blocked_until - now).total_seconds()
            if not row.minute_started_at or now - row.minute_started_at >= minute:
                row.minute_started_at, row.minute_count = now, 0
            if not row.day_started_at or now - row.day_started_at >= day:
                row.day_started_at, row.day_count = now, 0
            slots = {k: v for k, v in row.slots.items() if v > epoch}
            if row.day_count >= self.limits.get("per_day", float("inf")):
                return (row.day_started_at + day - now).total_seconds()
            if row.minute_count >= self.limits.get("per_minute", float("inf")):
                return max(0.05, (row.minute_started_at + minute - now).total_seconds())
            if len(slots) >= self.limits.get("concurrent", float("inf")):
                return 0.05
            token = uuid.uuid4().hex
            slots[token] = epoch + SLOT_TTL
            row.slots = slots
            row.minute_count += 1
            row.day_count += 1
            row.save(update_fields=["minute_started_at", "minute_count", "day_started_at", "day_count", "slots"])
            return token

    def _release(self, token: str) -> None:
        with transaction.atomic():
            row = self._row()
            if token in row.slots:
                row.slots = {k: v for k, v in row.slots.items() if k != token}
                row.save(update_fields=["slots"])
