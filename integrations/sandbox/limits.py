"""ERP-neutral rate-limit windows, concurrency gates and an idempotency-key store, all on a scalable clock.

``time_scale`` compresses the ERP's windows so benchmarks can run "a minute" in a few real seconds: with a
scale of 10 a 60-second window lasts 6 real seconds and ``Retry-After`` values shrink accordingly. Token
lifetimes are not scaled (they are about security, not throughput).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field


class Clock:
    """Monotonic clock plus the current time scale (read from config on every call so changes apply live)."""

    def __init__(self, scale_source: Callable[[], float]) -> None:
        self._scale_source = scale_source

    @property
    def scale(self) -> float:
        scale = float(self._scale_source() or 1.0)
        return scale if scale > 0 else 1.0

    def now(self) -> float:
        return time.monotonic()

    def scaled(self, erp_seconds: float) -> float:
        """Real seconds that ``erp_seconds`` of ERP time last under the current scale."""
        return erp_seconds / self.scale


@dataclass
class Window:
    """A fixed window: counting starts at the first call and the count resets when the window ends."""

    started: float = 0.0
    count: int = 0


@dataclass
class LimitCheck:
    ok: bool
    problem: str | None = None  # which limit refused the call (the ERP's own name for it)
    retry_after: int | None = None  # whole real seconds until that limit frees up
    remaining: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class LimitSpec:
    """One limit: at most ``limit`` calls per ``seconds`` of ERP time, named ``name`` (e.g. "minute")."""

    name: str
    limit: int
    seconds: float
    send_retry_after: bool = True


class RateLimiter:
    """Fixed windows keyed by (limit name, scope key); thread-safe; a refused call consumes no quota."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._windows: dict[tuple[str, str], Window] = {}

    def reset(self) -> None:
        with self._lock:
            self._windows.clear()

    def _window(self, spec: LimitSpec, key: str, now: float) -> Window:
        window = self._windows.setdefault((spec.name, key), Window(started=now))
        if now - window.started >= self._clock.scaled(spec.seconds):
            window.started, window.count = now, 0
        return window

    def take(self, checks: list[tuple[LimitSpec, str]]) -> LimitCheck:
        """Consume one call from every (spec, key) window, or none of them if any is exhausted."""
        with self._lock:
            now = self._clock.now()
            windows = [(spec, self._window(spec, key, now)) for spec, key in checks]
            for spec, window in windows:
                if window.count >= spec.limit:
                    retry = None
                    if spec.send_retry_after:
                        left = window.started + self._clock.scaled(spec.seconds) - now
                        retry = max(1, math.ceil(left))
                    return LimitCheck(False, spec.name, retry, self._remaining(windows))
            for _spec, window in windows:
                window.count += 1
            return LimitCheck(True, remaining=self._remaining(windows))

    def peek(self, checks: list[tuple[LimitSpec, str]]) -> dict[str, int]:
        with self._lock:
            now = self._clock.now()
            return self._remaining([(spec, self._window(spec, key, now)) for spec, key in checks])

    @staticmethod
    def _remaining(windows: list[tuple[LimitSpec, Window]]) -> dict[str, int]:
        return {spec.name: max(0, spec.limit - window.count) for spec, window in windows}


class ConcurrencyGate:
    """Counts in-flight calls per key; ``enter`` refuses beyond the limit instead of queueing (as Xero does)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._in_flight: dict[str, int] = {}
        self.peak: dict[str, int] = {}

    def enter(self, key: str, limit: int) -> bool:
        with self._lock:
            current = self._in_flight.get(key, 0)
            if current >= limit:
                return False
            self._in_flight[key] = current + 1
            self.peak[key] = max(self.peak.get(key, 0), current + 1)
            return True

    def leave(self, key: str) -> None:
        with self._lock:
            self._in_flight[key] = max(0, self._in_flight.get(key, 0) - 1)

    def in_flight(self, key: str) -> int:
        with self._lock:
            return self._in_flight.get(key, 0)

    def reset(self) -> None:
        with self._lock:
            self.peak.clear()


@dataclass
class StoredResponse:
    status: int
    body: bytes
    content_type: str
    headers: dict[str, str]


@dataclass
class _KeyEntry:
    fingerprint: str
    expires: float
    done: threading.Event = field(default_factory=threading.Event)
    response: StoredResponse | None = None


@dataclass
class IdempotencyDecision:
    kind: str  # "new" (process, then call finish), "replay" (return ``stored``), "conflict" (different request)
    stored: StoredResponse | None = None


class IdempotencyStore:
    """Keys scoped per (scope, key) and kept ``ttl`` ERP-seconds from the first call.

    A second call with the same key while the first is still running either waits for it and then replays its
    outcome (``in_flight="wait"``), or — where the ERP documents nothing, the worst case — is processed again
    (``in_flight="process"``).
    """

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: dict[tuple[str, str], _KeyEntry] = {}

    def reset(self) -> None:
        with self._lock:
            for entry in self._entries.values():
                entry.done.set()
            self._entries.clear()

    def begin(
        self, scope: str, key: str, fingerprint: str, ttl_seconds: float, *, in_flight: str = "wait"
    ) -> IdempotencyDecision:
        with self._lock:
            now = self._clock.now()
            entry = self._entries.get((scope, key))
            if entry is not None and entry.expires <= now:
                entry = None
            if entry is None:
                self._entries[(scope, key)] = _KeyEntry(fingerprint, now + self._clock.scaled(ttl_seconds))
                return IdempotencyDecision("new")
            if entry.fingerprint != fingerprint:
                return IdempotencyDecision("conflict")
            if in_flight == "process" and not entry.done.is_set():
                return IdempotencyDecision("new")  # the first is still running: this one is processed too
        entry.done.wait(timeout=300)
        if entry.response is None:  # the first call died without an outcome: treat this one as new
            return IdempotencyDecision("new")
        return IdempotencyDecision("replay", entry.response)

    def finish(self, scope: str, key: str, stored: StoredResponse | None) -> None:
        """Record the outcome; ``None`` forgets the key (the call never produced a response)."""
        with self._lock:
            entry = self._entries.get((scope, key))
            if entry is None:
                return
            if stored is None:
                del self._entries[(scope, key)]
            else:
                entry.response = stored
            entry.done.set()
