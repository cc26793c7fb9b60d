"""Xero's Accounting API, identity and login hosts, emulated under ``/xero`` (see ``README.md``).

Host mapping: ``api.xero.com`` → ``/xero``, ``identity.xero.com`` → ``/xero/identity``, ``login.xero.com`` →
``/xero/login``, ``go.xero.com`` → ``/xero/go``. Each API call runs Xero's pipeline in Xero's order:
authentication → tenant → scope → rate limits (minute, day, app-minute, concurrency) → idempotency key →
injected fault → high-volume check → the operation under the organisation's lock.

The handlers live beside this module, one concern each: ``xero_identity`` (OAuth), ``xero_reads`` (GET),
``xero_writes`` (PUT/POST), ``xero_credit_notes`` (credit notes and allocations), ``xero_attachments`` (files),
``xero_pages`` (go.xero.com), ``xero_control`` (``/_sandbox/xero/…``).
"""

from __future__ import annotations

import hashlib
import threading
import uuid
from collections.abc import Callable
from typing import Any

from integrations.sandbox import xero_scopes as scopes
from integrations.sandbox.base import ErpModule, SandboxEnv, register
from integrations.sandbox.faults import FaultRule, apply_fault
from integrations.sandbox.limits import LimitSpec, StoredResponse
from integrations.sandbox.messages import Request, Response, dumps, html_response, json_response, text_response
from integrations.sandbox.xero_attachments import ENDPOINTS, AttachmentsMixin
from integrations.sandbox.xero_auth import AuthStore, Grant
from integrations.sandbox.xero_control import ControlMixin
from integrations.sandbox.xero_credit_notes import CreditNotesMixin
from integrations.sandbox.xero_identity import IdentityMixin
from integrations.sandbox.xero_model import Org, ms_datetime, seed_org, utcnow
from integrations.sandbox.xero_pages import PagesMixin
from integrations.sandbox.xero_reads import ReadsMixin
from integrations.sandbox.xero_render import (
    render_contact,
    render_credit_note,
    render_invoice,
    render_organisation,
    render_payment,
)
from integrations.sandbox.xero_responses import not_found, problem, validation_error_message
from integrations.sandbox.xero_volume import high_volume_exception, unoptimised
from integrations.sandbox.xero_writes import WritesMixin
from integrations.sandbox.xero_xml import to_xml

API_PREFIX = "/api.xro/2.0/"
Handler = Callable[[Request, Org, str | None], Response]
SubHandler = Callable[[Request, Org, str, str | None], Response]


@register
class XeroModule(
    ControlMixin, PagesMixin, AttachmentsMixin, CreditNotesMixin, WritesMixin, ReadsMixin, IdentityMixin, ErpModule
):
    name = "xero"
    hosts = {"api.xero.com": "", "identity.xero.com": "/identity", "login.xero.com": "/login", "go.xero.com": "/go"}

    def __init__(self, env: SandboxEnv) -> None:
        super().__init__(env)
        self._lock = threading.RLock()
        self.orgs: dict[str, Org] = {}
        self._org_locks: dict[str, threading.RLock] = {}
        self.auth = AuthStore()

    def default_config(self) -> dict[str, Any]:
        # Xero's published limits (developer.xero.com/documentation/guides/oauth2/limits/: 5,000 a day, 1,000 on
        # the Starter tier — set day_limit); all configurable via /_sandbox/config.
        return {
            "minute_limit": 60,
            "day_limit": 5000,
            "concurrent_limit": 5,
            "app_minute_limit": 10000,
            "idempotency_ttl_s": 360,
            # Xero does not say what a repeated key does while its first request is still running: the worst
            # case is that it is processed again ("process"); "wait" replays the first outcome instead.
            "idempotency_in_flight": "process",
            "scope_denied_status": 401,  # see xero_scopes.py
            "granular_only": True,  # Roger's app is one created on or after 2 March 2026
            "provider_name": "Roger",
        }

    # -- plug-in interface ------------------------------------------------------------------------------------
    def handle(self, request: Request) -> Response:
        if request.subpath.lower().startswith(API_PREFIX.lower()):
            return self._api(request)
        rule = self.env.take_fault(self.name, request)
        return apply_fault(rule, self.env.fault_context(self._canned), lambda: self._other(request))

    def reset(self) -> None:
        with self._lock:
            self.orgs.clear()
            self._org_locks.clear()
            self.auth.reset()

    def state(self) -> dict[str, Any]:
        tenants = {}
        for org in list(self.orgs.values()):
            with self._org_lock(org.tenant_id):
                tenants[org.tenant_id] = {
                    "Name": org.name,
                    "Organisation": render_organisation(org),
                    "Contacts": [render_contact(c) for c in org.contacts.values()],
                    "Invoices": [render_invoice(org, i) for i in org.invoices.values()],
                    "CreditNotes": [render_credit_note(org, c) for c in org.credit_notes.values()],
                    "Payments": [render_payment(org, p) for p in org.payments.values()],
                    # Files as metadata only: never the bytes.
                    "Attachments": {
                        document_id: [
                            {
                                "AttachmentID": f.AttachmentID,
                                "FileName": f.FileName,
                                "MimeType": f.MimeType,
                                "ContentLength": f.ContentLength,
                                "sha256": f.sha256 or hashlib.sha256(f.content).hexdigest(),
                            }
                            for f in files
                        ]
                        for document_id, files in org.attachments.items()
                        if files
                    },
                }
        return {"tenants": tenants}

    def snapshot(self) -> Any:
        with self._lock:
            return {"orgs": self.orgs, "auth": self.auth.snapshot()}

    def restore(self, data: Any) -> None:
        with self._lock:
            self.orgs = data["orgs"]
            for org in self.orgs.values():  # a state file from before credit notes and attachments
                for name in ("credit_notes", "allocations", "attachments"):
                    if not hasattr(org, name):
                        setattr(org, name, {})
            self._org_locks = {tenant_id: threading.RLock() for tenant_id in self.orgs}
            self.auth.restore(data["auth"])

    # -- tenants ------------------------------------------------------------------------------------------------
    def _org_lock(self, tenant_id: str) -> threading.RLock:
        with self._lock:
            return self._org_locks.setdefault(tenant_id, threading.RLock())

    def create_org(self, name: str, base_currency: str = "DKK", currencies: list[str] | None = None) -> Org:
        org = seed_org(name, base_currency, currencies)
        with self._lock:
            self.orgs[org.tenant_id] = org
            self._org_locks[org.tenant_id] = threading.RLock()
        self.env.mark_dirty()
        return org

    # -- identity, login, connections, deep links -------------------------------------------------------------
    def _other(self, request: Request) -> Response:
        path = request.subpath.rstrip("/").lower()
        if path == "/identity/connect/token" and request.method == "POST":
            return self._token(request)
        if path == "/login/identity/connect/authorize" and request.method == "GET":
            return self._authorize(request)
        if path == "/connections" and request.method == "GET":
            return self._connections(request)
        if path.startswith("/connections/") and request.method == "DELETE":
            return self._disconnect(request, request.subpath.rstrip("/").rsplit("/", 1)[-1])
        if path == "/go/accountspayable/act" and request.method == "POST":
            return self._deep_link_action(request)
        if path.startswith("/go/"):
            return self._deep_link(request)
        return not_found()

    # -- the Accounting API pipeline ---------------------------------------------------------------------------
    def _api(self, request: Request) -> Response:
        grant = self._bearer(request)
        if isinstance(grant, Response):
            return grant
        tenant_id = (request.header("xero-tenant-id") or "").strip().lower()
        if tenant_id not in grant.connections or tenant_id not in self.orgs:
            return problem(403, "Forbidden", "AuthenticationUnsuccessful")
        request.tenant, request.client = tenant_id, grant.client_id
        cfg = self.env.erp_config(self.name)
        parts = [p for p in request.subpath[len(API_PREFIX) :].split("/") if p]
        # Files need their own scope whatever they hang on (spec: ``accounting.attachments`` on every
        # ``…/Attachments`` operation).
        resource = "attachments" if len(parts) > 2 and parts[2].lower() == "attachments" else (parts or [""])[0]
        if not scopes.allowed(grant.scope, resource, request.method):
            status = int(cfg.get("scope_denied_status") or 401)
            return problem(status, "Unauthorized" if status == 401 else "Forbidden", "AuthorizationUnsuccessful")
        if not self.env.gate.enter(f"xero:{tenant_id}", int(cfg["concurrent_limit"])):
            remaining = self.env.limiter.peek(self._limits(cfg, tenant_id, grant.client_id))
            # No Retry-After: Xero sends one only for the minute and day limits (oauth2/limits).
            return self._too_many("concurrent", None, remaining)
        try:
            check = self.env.limiter.take(self._limits(cfg, tenant_id, grant.client_id))
            if not check.ok:
                return self._too_many(check.problem or "minute", check.retry_after, check.remaining)
            self.env.sleep(float(self.env.config().get("latency_ms", 0) or 0) / 1000.0)
            response = self._idempotent(request, grant, cfg)
        finally:
            self.env.gate.leave(f"xero:{tenant_id}")
        response.headers.update(self._limit_headers(check.remaining))
        return response

    @staticmethod
    def _limits(cfg: dict[str, Any], tenant_id: str, client_id: str) -> list[tuple[LimitSpec, str]]:
        return [
            (LimitSpec("day", int(cfg["day_limit"]), 86400), tenant_id),
            (LimitSpec("minute", int(cfg["minute_limit"]), 60), tenant_id),
            (LimitSpec("appminute", int(cfg["app_minute_limit"]), 60, send_retry_after=False), client_id),
        ]

    @staticmethod
    def _limit_headers(remaining: dict[str, int]) -> dict[str, str]:
        return {
            "X-DayLimit-Remaining": str(remaining.get("day", 0)),
            "X-MinLimit-Remaining": str(remaining.get("minute", 0)),
            "X-AppMinLimit-Remaining": str(remaining.get("appminute", 0)),
        }

    def _too_many(self, limit: str, retry_after: int | None, remaining: dict[str, int]) -> Response:
        response = problem(429, "Too Many Requests", f"Rate limit exceeded: {limit}")
        response.headers.update(self._limit_headers(remaining))
        response.headers["X-Rate-Limit-Problem"] = limit
        if retry_after is not None and limit != "appminute":
            response.headers["Retry-After"] = str(retry_after)
        return response

    def _idempotent(self, request: Request, grant: Grant, cfg: dict[str, Any]) -> Response:
        key = request.header("Idempotency-Key")
        if request.method not in {"PUT", "POST", "PATCH"} or not key:
            return self._faulted(request)
        if len(key) > 128:
            return validation_error_message("Idempotency Key must not be longer than 128 characters.")
        fingerprint = hashlib.sha256(
            b"\n".join(
                [
                    request.method.encode(),
                    request.path.lower().encode(),
                    request.raw_query.encode(),
                    (request.tenant or "").encode(),
                    request.body,
                ]
            )
        ).hexdigest()
        store, scope = self.env.idempotency, f"xero:{grant.client_id}"
        in_flight = str(cfg.get("idempotency_in_flight") or "process")
        decision = store.begin(scope, key, fingerprint, float(cfg["idempotency_ttl_s"]), in_flight=in_flight)
        if decision.kind == "conflict":
            return validation_error_message(f"Idempotency Key: {key} is used with a different request.")
        if decision.kind == "replay" and decision.stored:
            stored = decision.stored
            return Response(stored.status, stored.body, dict(stored.headers), stored.content_type)
        response: Response | None = None
        try:
            response = self._faulted(request)
        finally:
            # Outcomes the application produced (incl. its 500s) are replayed; a request that never reached
            # it (gateway errors, injected 429/503, a timeout before processing) leaves the key unused.
            keep = response is not None and response.fault not in {"timeout", "503", "429", "html_502"}
            store.finish(
                scope,
                key,
                StoredResponse(response.status, response.body, response.content_type, {})
                if keep and response
                else None,
            )
        return response

    def _faulted(self, request: Request) -> Response:
        rule = self.env.take_fault(self.name, request)
        return apply_fault(rule, self.env.fault_context(self._canned), lambda: self._operation(request))

    def _canned(self, rule: FaultRule) -> Response:
        if rule.kind == "500":
            return json_response(
                500,
                {
                    "ErrorNumber": 500,
                    "Type": "UnknownErrorException",
                    "Message": "An error occurred in Xero. Check the API Status page "
                    "http://status.developer.xero.com for current service status.",
                },
            )
        if rule.kind == "503":
            response = text_response(503, "The Organisation is offline")
            if rule.retry_after is not None:
                response.headers["Retry-After"] = str(rule.retry_after)
            return response
        if rule.kind == "429":
            return self._too_many("minute", rule.retry_after or 1, {"day": 0, "minute": 0, "appminute": 0})
        return html_response(
            502,
            "<html><head><title>502 Bad Gateway</title></head><body><center>"
            "<h1>502 Bad Gateway</h1></center></body></html>",
        )

    def _operation(self, request: Request) -> Response:
        parts = [p for p in request.subpath[len(API_PREFIX) :].split("/") if p]
        if not parts:
            return not_found()
        resource = parts[0].lower()
        if len(parts) > 2:
            sub = self._sub_routes().get((request.method, resource, parts[2].lower()))
            if sub is None or len(parts) > 4:
                return not_found()
        else:
            handler = self._routes().get((request.method, resource, len(parts) > 1))
            if handler is None:
                return not_found()
        tenant_id = request.tenant or ""
        with self._org_lock(tenant_id):
            org = self.orgs.get(tenant_id)
            if org is None:
                return problem(403, "Forbidden", "AuthenticationUnsuccessful")
            reason = unoptimised(resource, request) if org.high_volume and request.method == "GET" else ""
            if reason and len(parts) == 1:
                return high_volume_exception(reason)
            if len(parts) > 2:
                response = sub(request, org, parts[1], parts[3] if len(parts) > 3 else None)
            else:
                response = handler(request, org, parts[1] if len(parts) > 1 else None)
        if request.method != "GET":
            self.env.mark_dirty()
        return self._negotiate(request, response)

    def _routes(self) -> dict[tuple[str, str, bool], Handler]:
        return {
            ("GET", "invoices", False): self._get_invoices,
            ("GET", "invoices", True): self._get_invoice,
            ("PUT", "invoices", False): self._write_invoices,
            ("POST", "invoices", False): self._write_invoices,
            ("POST", "invoices", True): self._write_invoices,
            ("GET", "payments", False): self._get_payments,
            ("GET", "payments", True): self._get_payment,
            ("PUT", "payments", False): self._write_payments,
            ("POST", "payments", False): self._write_payments,
            ("POST", "payments", True): self._delete_payment,
            ("GET", "contacts", False): self._get_contacts,
            ("GET", "contacts", True): self._get_contact,
            ("PUT", "contacts", False): self._write_contacts,
            ("POST", "contacts", False): self._write_contacts,
            ("POST", "contacts", True): self._write_contacts,
            ("GET", "accounts", False): self._get_accounts,
            ("GET", "accounts", True): self._get_account,
            ("GET", "taxrates", False): self._get_tax_rates,
            ("GET", "trackingcategories", False): self._get_tracking,
            ("GET", "trackingcategories", True): self._get_tracking_one,
            ("GET", "organisation", False): self._get_organisation,
            ("GET", "currencies", False): self._get_currencies,
            ("GET", "creditnotes", False): self._get_credit_notes,
            ("GET", "creditnotes", True): self._get_credit_note,
            ("PUT", "creditnotes", False): self._write_credit_notes,
            ("POST", "creditnotes", False): self._write_credit_notes,
            ("POST", "creditnotes", True): self._write_credit_notes,
        }

    def _sub_routes(self) -> dict[tuple[str, str, str], SubHandler]:
        """``/{Resource}/{id}/{Sub}[/{key}]``: files on invoices and credit notes, a credit note's allocations."""
        routes: dict[tuple[str, str, str], SubHandler] = {
            ("PUT", "creditnotes", "allocations"): self._put_allocations,
            ("DELETE", "creditnotes", "allocations"): self._delete_allocation,
        }
        for resource in ENDPOINTS:
            for method in ("GET", "PUT", "POST"):
                routes[(method, resource, "attachments")] = lambda request, org, ident, key, resource=resource: (
                    self._attachments(request, org, resource, ident, key)
                )
        return routes

    def _negotiate(self, request: Request, response: Response) -> Response:
        """Xero answers XML unless the client asks for JSON (``Accept: application/json``)."""
        accept = (request.header("Accept") or "").lower()
        if "application/json" in accept or not response.content_type.startswith("application/json"):
            return response
        return to_xml(response)

    def envelope(self, key: str, items: list[dict[str, Any]], extra: dict[str, Any] | None = None) -> Response:
        body: dict[str, Any] = {
            "Id": str(uuid.uuid4()),
            "Status": "OK",
            "ProviderName": self.env.erp_config(self.name).get("provider_name", "Roger"),
            "DateTimeUTC": ms_datetime(utcnow(), offset=False),
        }
        body.update(extra or {})
        body[key] = items
        return json_response(200, body)


__all__ = ["XeroModule", "dumps"]
