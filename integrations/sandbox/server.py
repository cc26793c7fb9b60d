"""The ERP sandbox server: every emulated ERP on one loopback port, plus a control API under ``/_sandbox/``.

Plug-in interface (for adding an ERP, e.g. ``integrations/sandbox/economic.py``)
-------------------------------------------------------------------------------
1. Subclass :class:`integrations.sandbox.base.ErpModule`, set ``name`` (the URL prefix ``/<name>`` and the
   ``"erp"`` value in faults and the request log) and decorate the class with
   :func:`integrations.sandbox.base.register`.
2. Implement ``handle(request) -> Response`` (``request.subpath`` is the path below ``/<name>``; set
   ``request.tenant`` so the request log can show it), and optionally ``control(action, request)`` (served
   at ``/_sandbox/<name>/<action>``), ``state()``, ``reset()``, ``default_config()`` (stored under
   ``config[<name>]`` and editable through ``POST /_sandbox/config``), ``snapshot()``/``restore()``.
3. Use the shared helpers on ``self.env`` (:class:`integrations.sandbox.base.SandboxEnv`): ``take_fault`` +
   :func:`integrations.sandbox.faults.apply_fault` for fault injection, ``limiter`` (fixed windows on the
   scaled clock), ``gate`` (concurrency), ``idempotency`` (keys with a TTL), ``sleep`` (released by
   reset/stop), ``mark_dirty`` (persistence), ``clock.scaled`` (time scale).
4. Add its import path to :data:`MODULE_PATHS` (a missing module is skipped, so the list may name modules
   that do not exist yet).

The server logs every ERP request (not control calls) with secrets masked, applies the responses' "hold"
(simulated timeouts) outside any lock, and never lets a module exception kill a connection thread.

Control API (JSON)
------------------
``POST /_sandbox/reset`` · ``GET|POST /_sandbox/config`` · ``GET|DELETE /_sandbox/requests?since=&erp=`` ·
``GET|POST|DELETE /_sandbox/faults`` · ``GET /_sandbox/health`` · ``GET /_sandbox/stats`` ·
``/_sandbox/<erp>/<action>`` (per module; Xero: ``tenants``, ``state``, ``actions``).
"""

from __future__ import annotations

import html
import importlib
import json
import logging
import socket
import threading
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlsplit

from integrations.sandbox.base import REGISTRY, ErpModule, SandboxEnv, register
from integrations.sandbox.faults import parse_rule
from integrations.sandbox.messages import (
    Headers,
    Request,
    Response,
    html_response,
    json_response,
    text_response,
)
from integrations.sandbox.persistence import StateStore
from integrations.sandbox.reqlog import RequestLog

logger = logging.getLogger(__name__)

MODULE_PATHS = ("integrations.sandbox.xero", "integrations.sandbox.economic")
CONTROL_PREFIX = "/_sandbox"

__all__ = ["MODULE_PATHS", "ErpModule", "Sandbox", "SandboxServer", "load_modules", "register", "serve"]


def load_modules() -> dict[str, type[ErpModule]]:
    """Import every module of :data:`MODULE_PATHS` that exists; each registers itself."""
    for path in MODULE_PATHS:
        try:
            importlib.import_module(path)
        except ModuleNotFoundError as exc:
            if exc.name != path:
                raise
    return dict(REGISTRY)


class Sandbox:
    """The transport-free application: routing, control API, request log, persistence."""

    def __init__(self, config: dict[str, Any] | None = None, state_file: str | None = None) -> None:
        self.env = SandboxEnv(config)
        self.log = RequestLog()
        self.modules: dict[str, ErpModule] = {name: cls(self.env) for name, cls in load_modules().items()}
        self.store = StateStore(state_file) if state_file else None
        if self.store:
            self.store.load(self.modules)

    # -- routing ---------------------------------------------------------------------------------------------
    def _route(self, request: Request) -> tuple[ErpModule, str] | None:
        host = (request.header("Host") or "").split(":")[0].lower()
        for module in self.modules.values():
            if host in module.hosts:
                return module, module.hosts[host] + request.path
        for name, module in self.modules.items():
            prefix = f"/{name}"
            if request.path == prefix or request.path.startswith(prefix + "/"):
                return module, request.path[len(prefix):] or "/"
        return None

    def dispatch(self, request: Request) -> Response:
        if request.path == CONTROL_PREFIX or request.path.startswith(CONTROL_PREFIX + "/"):
            return self._guarded(lambda: self.control(request))
        if request.path == "/" and request.method == "GET":
            return self._home()
        routed = self._route(request)
        if routed is None:
            return text_response(404, f"No emulated ERP serves {request.path}")
        module, subpath = routed
        request.erp, request.subpath = module.name, subpath
        index = self.log.start(request)
        response = self._guarded(lambda: module.handle(request))
        self.log.finish(index, request, response, "connection held then dropped" if response.drop else None)
        return response

    def _home(self) -> Response:
        """A page for people: what is emulated here, with links into each ERP's data."""
        sections = "".join(
            f"<section><h2>{html.escape(name)} (<code>/{html.escape(name)}</code>)</h2>{module.home_html()}</section>"
            for name, module in self.modules.items()
        )
        links = (
            f"<p>Control API (JSON): <a href='{CONTROL_PREFIX}/requests'>request log</a> · "
            f"<a href='{CONTROL_PREFIX}/config'>config</a> · <a href='{CONTROL_PREFIX}/faults'>faults</a></p>"
        )
        page = (
            "<!doctype html><html><head><meta charset='utf-8'><title>ERP sandbox</title></head>"
            f"<body><h1>ERP sandbox</h1><p>Emulated ERPs for Roger's demo and tests.</p>{links}{sections}</body></html>"
        )
        return html_response(200, page)

    @staticmethod
    def _guarded(call: Any) -> Response:
        try:
            return call()
        except Exception:  # a sandbox bug must surface as a 500 with the trace, not a dead socket
            logger.exception("sandbox error")
            return json_response(500, {"error": "sandbox internal error", "trace": traceback.format_exc()})

    # -- control API ------------------------------------------------------------------------------------------
    def control(self, request: Request) -> Response:
        parts = [p for p in request.path[len(CONTROL_PREFIX):].split("/") if p]
        method = request.method
        if parts == ["reset"] and method == "POST":
            self.reset()
            return json_response(200, {"ok": True})
        if parts == ["health"]:
            return json_response(200, {"ok": True, "erps": sorted(self.modules)})
        if parts == ["config"]:
            if method == "POST":
                self.env.configure(_body(request))
            return json_response(200, self.env.config())
        if parts == ["requests"]:
            return self._control_requests(request)
        if parts == ["faults"]:
            return self._control_faults(request)
        if parts == ["stats"]:
            return json_response(200, {"peak_concurrency": dict(self.env.gate.peak)})
        if len(parts) == 2 and parts[0] in self.modules:
            response = self.modules[parts[0]].control(parts[1], request)
            self._save_if_dirty()
            return response
        return json_response(404, {"error": f"unknown control endpoint {request.path}"})

    def _control_requests(self, request: Request) -> Response:
        if request.method == "DELETE":
            self.log.clear()
            return json_response(200, {"ok": True})
        try:
            since = int(request.query_value("since") or 0)
        except ValueError:
            return json_response(400, {"error": "since must be an integer"})
        entries = self.log.entries(since=since, erp=request.query_value("erp"))
        return json_response(200, {"requests": entries, "next": since + len(self.log.entries(since=since))})

    def _control_faults(self, request: Request) -> Response:
        if request.method == "DELETE":
            self.env.faults.clear()
            return json_response(200, {"ok": True})
        if request.method == "POST":
            body = _body(request)
            try:
                rule = self.env.faults.add(parse_rule(body))
            except (ValueError, TypeError) as exc:
                return json_response(400, {"error": str(exc)})
            if rule.erp not in self.modules:
                return json_response(400, {"error": f"unknown erp {rule.erp!r}"})
            return json_response(201, rule.as_dict())
        return json_response(200, {"faults": self.env.faults.list()})

    def reset(self) -> None:
        self.env.reset()
        for module in self.modules.values():
            module.reset()
        self.log.clear()
        self.env.mark_dirty()
        self._save_if_dirty()

    def _save_if_dirty(self) -> None:
        if self.store and self.env.consume_dirty():
            self.store.save(self.modules)

    def flush(self) -> None:
        """Persist pending changes (the background saver calls this; so does stop)."""
        self._save_if_dirty()


def _body(request: Request) -> dict[str, Any]:
    try:
        data = json.loads(request.body or b"{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _HTTPServer

    def do_GET(self) -> None:
        self._dispatch()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_GET

    def _dispatch(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        url = urlsplit(self.path)
        request = Request(method=self.command, path=unquote(url.path), raw_query=url.query,
                          headers=Headers(list(self.headers.items())), body=body)
        sandbox = self.server.sandbox
        response = sandbox.dispatch(request)
        if response.hold_seconds:
            sandbox.env.sleep(response.hold_seconds)
        if response.drop:
            self._drop()
            return
        try:
            self._send(response)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (a slow_commit fault): nothing to do
            self.close_connection = True

    def _drop(self) -> None:
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _send(self, response: Response) -> None:
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s - %s", self.address_string(), format % args)


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    sandbox: Sandbox


class SandboxServer:
    """Run the sandbox in-process: ``SandboxServer(port=0).start()``, then ``.url`` and ``.stop()``."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, config: dict[str, Any] | None = None,
                 state_file: str | None = None) -> None:
        self.sandbox = Sandbox(config, state_file)
        self.httpd = _HTTPServer((host, port), _Handler)
        self.httpd.sandbox = self.sandbox
        self.host, self.port = self.httpd.server_address[0], self.httpd.server_address[1]
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._saver: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> SandboxServer:
        self._thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.1},
                                        name="erp-sandbox", daemon=True)
        self._thread.start()
        self._start_saver()
        return self

    def _start_saver(self) -> None:
        if self.sandbox.store is None:
            return

        def loop() -> None:  # batch writes: snapshotting on every request would be quadratic
            while not self._stopping.wait(0.5):
                self.sandbox.flush()

        self._saver = threading.Thread(target=loop, name="erp-sandbox-saver", daemon=True)
        self._saver.start()

    def serve_forever(self) -> None:
        self._start_saver()
        try:
            self.httpd.serve_forever(poll_interval=0.2)
        finally:
            self._close()

    def stop(self) -> None:
        self.sandbox.env.release_held()
        if self._thread is not None:
            self.httpd.shutdown()
            self._thread.join(timeout=5)
        self._close()

    def _close(self) -> None:
        self._stopping.set()
        self.sandbox.env.release_held()
        self.sandbox.flush()
        self.httpd.server_close()

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def serve(host: str = "127.0.0.1", port: int = 8765, time_scale: float = 1.0, state_file: str | None = None,
          config: dict[str, Any] | None = None) -> None:
    """Serve until interrupted (``python -m integrations.sandbox`` and ``manage.py erp_sandbox``)."""
    server = SandboxServer(host, port, {**(config or {}), "time_scale": time_scale}, state_file)
    print(f"ERP sandbox on {server.url} (erps: {', '.join(sorted(server.sandbox.modules))}; "
          f"time scale {time_scale}; state {'in ' + state_file if state_file else 'in memory'})", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
