"""A rate limiter per integration, shared by every worker process through the database (DESIGN §11).

One ``RateLimit`` row per integration holds everything; every acquire is one short transaction holding that
row's lock, and no lock is held during the HTTP call.  A call may go out when all of these agree:

* **rolling minute** — a sliding log of the calls let out in the last (scaled) minute.  Xero counts its
  60 calls a minute in windows Roger cannot see; a fixed client window could let ~2 × 58 calls through across
  its own boundary, which a rolling count would refuse.  The log bounds *every* rolling minute instead.
* **pacing** — calls are spaced ``minute ÷ per_minute`` apart with a small burst (GCRA), so a bulk sync runs
  at the allowance instead of bursting 58 calls and then leaving every worker waiting most of a minute.
* **rolling day** — per-hour buckets over the last day (whole buckets count, so it never under-counts).
* **concurrency** — slots with an expiry, so a killed worker's slot frees itself.
* **blocked_until** — set from a 429's ``Retry-After``, and from the ERP's own count of what is left
  (``X-MinLimit-Remaining`` / ``X-DayLimit-Remaining``, sent with every Xero answer): a used-up minute waits for
  the next window, a used-up day is parked — whatever the ERP's tier allows (Xero: 1,000 calls a day on Starter,
  5,000 above, developer.xero.com/documentation/guides/oauth2/limits/), without a 429 first; every worker
  honours it.

Budgets stay a little under the ERP's published limits (settings.ROGER_RATE_LIMITS).  A wait longer than
``max_wait()`` (a used-up day, a long Retry-After) is not slept through: the job is *parked* until then, which
is not a failure.  Times are epoch seconds on the database's clock so workers on several hosts agree.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import time
import uuid
from collections.abc import Iterator, Mapping

from django.conf import settings
from django.db import connection, transaction

from integrations.connectors.base import N_, ConnectorError, ErpError, ErrorCategory
from integrations.connectors.http import header_int
from integrations.models import Integration, RateLimit

SLOT_TTL = 120.0  # seconds: a slot older than this belongs to a dead worker (> the HTTP timeout of one call)
DEFAULT_BURST = 4  # calls that may go out back to back before pacing applies
POLL = 1.0  # longest single sleep while waiting, so a freed concurrency slot is noticed soon
# A call counts against the minute this much (real time) longer than the minute: it covers the moments between
# the decision here and the ERP receiving the request, so the ERP's own count of any rolling minute stays in
# budget even when a worker is slow to send.
SEND_GUARD = 0.1


def limits_for(kind: str) -> dict[str, float]:
    return settings.ROGER_RATE_LIMITS.get(kind, {})


def max_wait() -> float:
    """Seconds a worker may sleep for a slot before it parks the job instead (and frees itself)."""
    return settings.ROGER_RATE_MAX_WAIT


def parked_error(wait: float) -> ConnectorError:
    return ConnectorError(
        ErpError(
            ErrorCategory.TEMPORARY,
            N_("The ERP's rate limit is used up for now; Roger waits and continues automatically."),
            retry_after=wait,
            code="parked",
        )
    )


class DbThrottle:
    def __init__(self, integration: Integration):
        self.integration_id = integration.pk
        self.limits = limits_for(integration.kind)
        # Tests and benchmarks run the ERP sandbox's clock faster; the limiter's windows follow the same scale.
        scale = float(settings.ROGER_RATE_TIME_SCALE)
        self.minute = 60.0 / scale + SEND_GUARD
        self.day = 86400.0 / scale
        self.bucket = self.day / 24

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
        """After a 429 no worker calls this ERP tenant again before Retry-After (or a minute) has passed; when
        the ERP says its minute or day is (nearly) used up, no worker calls before it can have renewed."""
        if not self.limits:
            return
        if status == 429:
            problem = headers.get("X-Rate-Limit-Problem", "") or headers.get("x-rate-limit-problem", "")
            self._block(retry_after if retry_after is not None else self.minute, problem or "rate limited")
            return
        wait, reason = self._used_up(headers)
        if wait:
            self._block(wait, reason)

    def _used_up(self, headers: Mapping[str, str]) -> tuple[float, str]:
        """(seconds, reason) when the ERP's remaining-call headers say to stop, else (0, '').  Calls still in flight
        (up to the concurrency cap) count too, so the day stops a few calls early rather than one 429 late."""
        day = header_int(headers, "X-DayLimit-Remaining")
        reserve = int(self.limits.get("concurrent", 1))
        if day is not None and day <= reserve:
            # Xero's day window resets at a time only its 429 tells (Retry-After): park for an hour, then one call
            # either goes through or brings that 429 with the exact time.
            return self.bucket, f"day ({day} left)"
        minute = header_int(headers, "X-MinLimit-Remaining")
        if minute is not None and minute <= 0:
            return self.minute, "minute (0 left)"  # Xero's fixed minute window has renewed a minute from now
        return 0.0, ""

    def _block(self, wait: float, reason: str) -> None:
        with transaction.atomic():
            row = self._row()
            until = _as_datetime(_db_now() + wait)
            if not row.blocked_until or row.blocked_until < until:
                row.blocked_until, row.blocked_reason = until, reason[:50]
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
            if time.monotonic() - started + wait > max_wait():
                raise parked_error(wait)
            time.sleep(min(wait, POLL))

    def _try_acquire(self) -> str | float:
        """A slot token, or the seconds to wait before trying again (one short row-locked transaction)."""
        with transaction.atomic():
            row = self._row()
            now = _db_now()  # read after the lock: the time this decision is really made
            recent = [t for t in row.recent_calls if t > now - self.minute]
            buckets = {k: n for k, n in row.day_buckets.items() if float(k) + self.bucket > now - self.day}
            slots = {k: v for k, v in row.slots.items() if v > now}
            wait = self._wait(row, now, recent, buckets, slots)
            if wait > 0:
                return wait
            token = uuid.uuid4().hex
            slots[token] = now + SLOT_TTL
            recent.append(now)
            bucket = f"{now // self.bucket * self.bucket:.6f}"
            buckets[bucket] = buckets.get(bucket, 0) + 1
            row.slots, row.recent_calls, row.day_buckets = slots, recent, buckets
            row.paced_until = max(row.paced_until, now) + self._interval()
            row.minute_count, row.day_count = len(recent), sum(buckets.values())
            row.save(update_fields=["slots", "recent_calls", "day_buckets", "paced_until", "minute_count", "day_count"])
            return token

    def _wait(self, row: RateLimit, now: float, recent: list[float], buckets: dict[str, int], slots: dict) -> float:
        """Seconds until every limit allows one more call; 0 when it may go now."""
        waits = [0.0]
        if row.blocked_until:
            waits.append(row.blocked_until.timestamp() - now)
        per_day = self.limits.get("per_day")
        if per_day and sum(buckets.values()) >= per_day:
            waits.append(min(float(k) for k in buckets) + self.bucket + self.day - now)
        per_minute = self.limits.get("per_minute")
        if per_minute:
            if len(recent) >= per_minute:
                waits.append(recent[-int(per_minute)] + self.minute - now)
            burst = min(self.limits.get("burst", DEFAULT_BURST), per_minute)
            waits.append(row.paced_until - (burst - 1) * self._interval() - now)
        if len(slots) >= self.limits.get("concurrent", float("inf")):
            waits.append(0.05)  # a slot frees when a call returns: look again soon
        return max(waits)

    def _interval(self) -> float:
        per_minute = self.limits.get("per_minute")
        return self.minute / per_minute if per_minute else 0.0

    def _release(self, token: str) -> None:
        with transaction.atomic():
            row = self._row()
            if token in row.slots:
                row.slots = {k: v for k, v in row.slots.items() if k != token}
                row.save(update_fields=["slots"])


def _db_now() -> float:
    """Epoch seconds on the database's clock (PostgreSQL), so every host measures windows alike."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT EXTRACT(EPOCH FROM clock_timestamp())")
            return float(cursor.fetchone()[0])
    return time.time()


def _as_datetime(epoch: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(epoch, tz=dt.UTC)
