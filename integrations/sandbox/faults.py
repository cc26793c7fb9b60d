"""ERP-neutral fault injection: rules that shape the next N matching requests of one ERP.

Kinds, and whether the request is processed (state changed) or not:

===================== ========== ====================================================================
kind                  processed  what the client sees
===================== ========== ====================================================================
``500``               no         HTTP 500 with the ERP's error body (cached under an idempotency key)
``503``               no         HTTP 503 (``Retry-After`` when ``retry_after`` is given)
``429``               no         HTTP 429 with ``Retry-After`` (default 1) and the ERP's limit headers
``html_502``          no         HTTP 502 with an HTML body, as a load balancer would send
``timeout``           no         nothing: the connection is held ``hold_seconds`` (default: the server's
                                 ``timeout_hold_s``, 120 s) and then closed
``timeout_after_commit`` yes     as ``timeout``, but the request was processed and committed first
``slow_commit``       yes        the request waits ``hold_seconds`` *before* it is processed and committed (the
                                 client has usually given up by then), then answers whoever still listens
``latency``           yes        the normal response, ``latency_ms`` later
``truncated_json``    yes        the normal status with the body cut in half (malformed JSON)
===================== ========== ====================================================================
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from integrations.sandbox.messages import Response

KINDS = (
    "500",
    "503",
    "429",
    "html_502",
    "timeout",
    "timeout_after_commit",
    "slow_commit",
    "latency",
    "truncated_json",
)
PROCESSING_KINDS = ("timeout_after_commit", "slow_commit", "latency", "truncated_json")


@dataclass
class FaultRule:
    erp: str
    kind: str
    method: str | None = None  # None matches every method
    path: str = ""  # a regular expression searched in the request path
    count: int = 1
    retry_after: int | None = None
    latency_ms: int = 0
    hold_seconds: float | None = None
    id: int = 0

    def matches(self, erp: str, method: str, path: str) -> bool:
        if self.erp != erp or self.count <= 0:
            return False
        if self.method and self.method.upper() != method.upper():
            return False
        return re.search(self.path, path) is not None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def parse_rule(body: dict[str, Any], default_erp: str = "xero") -> FaultRule:
    """Build a rule from the control API's JSON, raising ``ValueError`` with a readable message."""
    kind = str(body.get("kind", ""))
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}")
    path = str(body.get("path") or "")
    re.compile(path)  # re.error is a ValueError
    count = int(body.get("count", 1))
    if count < 1:
        raise ValueError("count must be at least 1")
    retry_after = body.get("retry_after")
    hold = body.get("hold_seconds")
    return FaultRule(
        erp=str(body.get("erp") or default_erp),
        kind=kind,
        method=(str(body["method"]).upper() if body.get("method") else None),
        path=path,
        count=count,
        retry_after=int(retry_after) if retry_after is not None else None,
        latency_ms=int(body.get("latency_ms", 0) or 0),
        hold_seconds=float(hold) if hold is not None else None,
    )


class FaultBook:
    """The armed fault rules; ``take`` consumes one use of the first matching rule (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[FaultRule] = []
        self._next_id = 1

    def add(self, rule: FaultRule) -> FaultRule:
        with self._lock:
            rule.id = self._next_id
            self._next_id += 1
            self._rules.append(rule)
            return rule

    def take(self, erp: str, method: str, path: str) -> FaultRule | None:
        with self._lock:
            for rule in self._rules:
                if rule.matches(erp, method, path):
                    rule.count -= 1
                    used = FaultRule(**{**rule.as_dict(), "count": 1})
                    self._rules = [r for r in self._rules if r.count > 0]
                    return used
            return None

    def list(self) -> list[dict[str, Any]]:
        with self._lock:
            return [rule.as_dict() for rule in self._rules]

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()


@dataclass
class FaultContext:
    """What a module needs to play a fault: canned bodies in its ERP's format and an interruptible sleep."""

    canned: Callable[[FaultRule], Response]  # the module's response for the non-processing kinds
    sleep: Callable[[float], None]  # interruptible by reset/stop
    default_hold_seconds: float


def apply_fault(rule: FaultRule | None, ctx: FaultContext, process: Callable[[], Response]) -> Response:
    """Run ``process`` under ``rule``: skip it, delay it, or mangle/hold its response."""
    if rule is None:
        return process()
    hold = rule.hold_seconds if rule.hold_seconds is not None else ctx.default_hold_seconds
    if rule.kind == "latency":
        ctx.sleep(rule.latency_ms / 1000.0)
        response = process()
    elif rule.kind == "timeout":
        response = Response(status=504, hold_seconds=hold, drop=True)
    elif rule.kind == "timeout_after_commit":
        response = process()
        response.hold_seconds, response.drop = hold, True
    elif rule.kind == "slow_commit":
        ctx.sleep(hold)  # still "in flight" at the ERP: a retry sent meanwhile meets an unfinished request
        response = process()
    elif rule.kind == "truncated_json":
        response = process()
        response.body = response.body[: max(1, len(response.body) // 2)]
    else:
        response = ctx.canned(rule)
    response.fault = rule.kind
    return response
