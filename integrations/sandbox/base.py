"""The plug-in interface every emulated ERP implements, and the shared environment it runs in.

See the docstring of :mod:`integrations.sandbox.server` for how modules are registered and routed.
"""

from __future__ import annotations

import copy
import threading
from typing import Any

from integrations.sandbox.faults import FaultBook, FaultContext, FaultRule
from integrations.sandbox.limits import Clock, ConcurrencyGate, IdempotencyStore, RateLimiter
from integrations.sandbox.messages import Request, Response, json_response

# ERP-neutral settings; each module adds its own section under its name (see ``ErpModule.default_config``).
BASE_CONFIG: dict[str, Any] = {
    "time_scale": 1.0,  # >1 makes rate-limit windows and idempotency TTLs pass faster
    "latency_ms": 0,  # added to every ERP request (inside the concurrency gate, so it is observable)
    "timeout_hold_s": 120.0,  # how long a "timeout" fault holds the connection
}


def deep_merge(base: dict[str, Any], update: dict[str, Any]) -> dict[str, Any]:
    merged = copy.deepcopy(base)
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


class SandboxEnv:
    """Everything modules share: config, scaled clock, faults, limiters, idempotency keys, held responses."""

    def __init__(self, config: dict[str, Any] | None = None) -> None:
        self._config_lock = threading.Lock()
        self._baseline: dict[str, Any] = deep_merge(BASE_CONFIG, config or {})
        self._config: dict[str, Any] = copy.deepcopy(self._baseline)
        self.clock = Clock(lambda: self.config().get("time_scale", 1.0))
        self.faults = FaultBook()
        self.limiter = RateLimiter(self.clock)
        self.gate = ConcurrencyGate()
        self.idempotency = IdempotencyStore(self.clock)
        self._release = threading.Event()
        self._dirty = threading.Event()

    # -- configuration -------------------------------------------------------------------------------------
    def config(self) -> dict[str, Any]:
        with self._config_lock:
            return self._config

    def erp_config(self, erp: str) -> dict[str, Any]:
        return dict(self.config().get(erp, {}))

    def add_defaults(self, erp: str, defaults: dict[str, Any]) -> None:
        """Called once per module: its defaults under its name, keeping anything already configured."""
        with self._config_lock:
            self._baseline = deep_merge({erp: defaults}, self._baseline)
            self._config = deep_merge({erp: defaults}, self._config)

    def configure(self, update: dict[str, Any]) -> dict[str, Any]:
        with self._config_lock:
            self._config = deep_merge(self._config, update)
            return self._config

    def reset(self) -> None:
        """Back to the startup config; releases held responses; forgets faults, windows and keys."""
        with self._config_lock:
            self._config = copy.deepcopy(self._baseline)
        self.release_held()
        self.faults.clear()
        self.limiter.reset()
        self.gate.reset()
        self.idempotency.reset()

    # -- held responses and delays ------------------------------------------------------------------------
    def release_held(self) -> None:
        """Wake every sleeping or held request (reset/stop must never wait for a simulated timeout)."""
        old, self._release = self._release, threading.Event()
        old.set()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            self._release.wait(seconds)

    def fault_context(self, canned: Any) -> FaultContext:
        return FaultContext(canned=canned, sleep=self.sleep, default_hold_seconds=float(
            self.config().get("timeout_hold_s", 120.0)))

    def take_fault(self, erp: str, request: Request) -> FaultRule | None:
        return self.faults.take(erp, request.method, request.path)

    # -- persistence hook ------------------------------------------------------------------------------------
    def mark_dirty(self) -> None:
        self._dirty.set()

    def consume_dirty(self) -> bool:
        was = self._dirty.is_set()
        self._dirty.clear()
        return was


REGISTRY: dict[str, type[ErpModule]] = {}


def register(cls: type[ErpModule]) -> type[ErpModule]:
    """Class decorator: make an ``ErpModule`` subclass available to the server under ``cls.name``."""
    if not cls.name:
        raise ValueError("an ERP module needs a name")
    REGISTRY[cls.name] = cls
    return cls


class ErpModule:
    """Base class of an emulated ERP. Subclasses set ``name`` and override the hooks they need.

    * ``name`` — the URL prefix (``/<name>``) and the ``"erp"`` value used by faults and the request log.
    * ``handle(request)`` — answer one request below the prefix (``request.subpath``). Should call
      ``self.env.take_fault(self.name, request)`` and ``apply_fault`` at the point in its pipeline where the
      ERP would fail (after authentication and rate limiting for Xero).
    * ``control(action, request)`` — the module's control API, ``/_sandbox/<name>/<action>``.
    * ``state()`` — a JSON-ready dump of the module's data in the ERP's own shapes.
    * ``reset()`` — forget everything.
    * ``snapshot()`` / ``restore(data)`` — picklable state for ``--state-file`` persistence (optional).
    * ``default_config()`` — the module's settings (limits…), stored under ``config[name]``.
    * ``home_html()`` — this ERP's section of the sandbox's home page (for a person walking the demo).
    """

    name: str = ""
    # Real host name -> path below the prefix, so a request sent with ``Host: api.xero.com`` also routes here.
    hosts: dict[str, str] = {}

    def __init__(self, env: SandboxEnv) -> None:
        self.env = env
        env.add_defaults(self.name, self.default_config())

    def default_config(self) -> dict[str, Any]:
        return {}

    def handle(self, request: Request) -> Response:
        raise NotImplementedError

    def control(self, action: str, request: Request) -> Response:
        return json_response(404, {"error": f"unknown control action {action!r} for {self.name}"})

    def state(self) -> dict[str, Any]:
        return {}

    def reset(self) -> None:
        """Subclasses drop their data here."""

    def home_html(self) -> str:
        return ""

    def snapshot(self) -> Any:
        return None

    def restore(self, data: Any) -> None:
        """Subclasses reload ``snapshot()`` output here."""
