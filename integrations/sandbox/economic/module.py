"""The e-conomic sandbox's HTTP pipeline: tokens, roles, fair use, faults, idempotency, and the three surfaces.

Below ``/economic`` the sandbox serves the same sub-paths as e-conomic's hosts:
* ``/journalsapi/v15.0.0/…``, ``/bookedEntriesapi/v4.0.0/…`` and ``/documentsapi/v4.0.1/…`` as
  ``https://apis.e-conomic.com`` does;
* everything else as the legacy ``https://restapi.e-conomic.com``;
* ``/app/…``: the web app's pages (``pages``).

Where the descriptions are silent the sandbox plays the worst case: an unknown path answers 404 with an HTML
body (what a load balancer sends), a fair-use 429 carries no ``Retry-After`` and no rate-limit headers (the
429 response only says "Check info in the response headers", naming none), and no other service version exists.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
from typing import Any
from urllib.parse import unquote

from integrations.sandbox.base import ErpModule, register
from integrations.sandbox.economic import control, pages
from integrations.sandbox.economic.documents_api import documents_api
from integrations.sandbox.economic.errors import EconomicError, legacy_body, legacy_error, problem, problem_body
from integrations.sandbox.economic.journals_api import journals_api
from integrations.sandbox.economic.ledger import booked_entries_api
from integrations.sandbox.economic.legacy_api import (
    create_supplier,
    create_voucher,
    journal_number,
    legacy_get,
    method_not_allowed,
)
from integrations.sandbox.economic.model import Agreement
from integrations.sandbox.faults import apply_fault
from integrations.sandbox.limits import LimitSpec, StoredResponse
from integrations.sandbox.messages import Request, Response, json_response

JOURNALS = "journalsapi/v15.0.0"
BOOKED = "bookedEntriesapi/v4.0.0"
DOCUMENTS = "documentsapi/v4.0.1"
DEFAULTS: dict[str, Any] = {
    "calls_per_day": 50_000,
    "calls_per_minute": 0,
    "idempotency_ttl_s": 3600,
    "legacy_missing_rate": "default",  # or "refuse" / "one_to_one": see legacy_validation
}
LEGACY_ROOTS = {
    "self",
    "accounting-years",
    "accounts",
    "vat-accounts",
    "departments",
    "departmental-distributions",
    "suppliers",
    "journals",
}


@register
class EconomicModule(ErpModule):
    name = "economic"

    def __init__(self, env: Any) -> None:
        super().__init__(env)
        self.lock = threading.RLock()
        self.agreements: dict[int, Agreement] = {}
        self.next_agreement = 1000001

    def default_config(self) -> dict[str, Any]:
        return dict(DEFAULTS)

    def reset(self) -> None:
        with self.lock:
            self.agreements.clear()
            self.next_agreement = 1000001

    def snapshot(self) -> Any:
        with self.lock:
            return {"agreements": dict(self.agreements), "next": self.next_agreement}

    def restore(self, data: Any) -> None:
        with self.lock:
            self.agreements = dict(data.get("agreements", {}))
            self.next_agreement = int(data.get("next", 1000001))
            for agreement in self.agreements.values():  # a state file written before attached documents existed
                agreement.__dict__.setdefault("documents", {})

    # -- HTTP --------------------------------------------------------------------------------------------------
    def handle(self, request: Request) -> Response:
        if request.subpath == pages.APP_PREFIX or request.subpath.startswith(pages.APP_PREFIX + "/"):
            # The web app a person uses: a login session in real e-conomic, so no API tokens, fair use or faults.
            return pages.handle(self, request)
        surface = _surface(request.subpath)
        try:
            agreement = self._authenticate(request, surface)
        except EconomicError as exc:
            return exc.response()
        request.tenant = str(agreement.number)
        limited = self._rate_limit(agreement, surface)
        if limited is not None:
            return limited
        latency = int(self.env.config().get("latency_ms", 0) or 0)
        if latency:
            self.env.sleep(latency / 1000.0)
        rule = self.env.take_fault(self.name, request)
        ctx = self.env.fault_context(lambda r: self._canned(r, surface))
        key = request.header("Idempotency-Key")
        if not key or request.method not in ("POST", "PUT", "DELETE"):
            return apply_fault(rule, ctx, lambda: self._dispatch(agreement, request, surface))
        fingerprint = hashlib.sha256(
            request.method.encode() + b" " + request.subpath.encode() + b"\n" + request.body
        ).hexdigest()
        scope = f"economic:{agreement.number}"
        ttl = float(self.env.erp_config(self.name).get("idempotency_ttl_s", 3600))
        decision = self.env.idempotency.begin(scope, key, fingerprint, ttl)
        if decision.kind == "conflict":
            return self._error(surface, 400, "The Idempotency-Key has already been used for a different request.")
        if decision.kind == "replay" and decision.stored is not None:
            stored = decision.stored
            # "When we return a response from the cache, we set a response header X-ResultFromCache to true."
            return Response(
                stored.status,
                stored.body,
                headers={**stored.headers, "X-ResultFromCache": "true"},
                content_type=stored.content_type,
            )
        processed: list[Response] = []

        def process() -> Response:
            response = self._dispatch(agreement, request, surface)
            processed.append(response)
            return response

        response = apply_fault(rule, ctx, process)
        kept = processed[0] if processed else None
        stored_response = (
            StoredResponse(kept.status, kept.body, kept.content_type, dict(kept.headers))
            if kept and kept.status < 500
            else None
        )
        self.env.idempotency.finish(scope, key, stored_response)
        return response

    @staticmethod
    def _error(surface: str, status: int, message: str, headers: dict[str, str] | None = None) -> Response:
        if surface == "legacy":
            return json_response(status, legacy_body(status, message), headers)
        response = problem(status, message).response()
        response.headers.update(headers or {})
        return response

    def _canned(self, rule: Any, surface: str) -> Response:
        if rule.kind == "429":
            headers = {"Retry-After": str(rule.retry_after)} if rule.retry_after is not None else {}
            return self._error(surface, 429, "You have exceeded the fair use limit of the API.", headers)
        if rule.kind == "503":
            headers = {"Retry-After": str(rule.retry_after)} if rule.retry_after is not None else {}
            return self._error(surface, 503, "The service is temporarily unavailable.", headers)
        if rule.kind == "html_502":
            return Response(
                502, b"<html><body><h1>502 Bad Gateway</h1></body></html>", content_type="text/html; charset=utf-8"
            )
        return self._error(surface, 500, "An error occurred on our end.")

    def _authenticate(self, request: Request, surface: str) -> Agreement:
        secret, grant = request.header("X-AppSecretToken"), request.header("X-AgreementGrantToken")
        with self.lock:
            agreement = next((a for a in self.agreements.values() if grant and a.grant_token == grant), None)
        if (
            agreement is None
            or not secret
            or not secrets.compare_digest(agreement.secret_token, secret)
            or agreement.revoked
        ):
            message = (
                "The agreement has revoked the grant given to this app."
                if agreement is not None and agreement.revoked
                else "The X-AppSecretToken and X-AgreementGrantToken do not identify a granted agreement."
            )
            if surface == "legacy":
                raise legacy_error(401, message, hint="Ask the agreement to grant access again.")
            raise problem(401, "Unauthorized access.", detail=message)
        if surface != "legacy" and not agreement.roles & {"Bookkeeping", "SuperUser"}:
            raise EconomicError(
                403,
                problem_body(
                    403, "Access forbidden.", detail="The grant's roles do not include Bookkeeping or SuperUser."
                ),
                "application/problem+json",
            )
        return agreement

    def _rate_limit(self, agreement: Agreement, surface: str) -> Response | None:
        config = self.env.erp_config(self.name)
        checks = []
        if int(config.get("calls_per_day") or 0):
            checks.append((LimitSpec("day", int(config["calls_per_day"]), 86_400), str(agreement.number)))
        if int(config.get("calls_per_minute") or 0):
            checks.append((LimitSpec("minute", int(config["calls_per_minute"]), 60), str(agreement.number)))
        if not checks:
            return None
        result = self.env.limiter.take(checks)
        if result.ok:
            return None
        return self._error(surface, 429, f"You have exceeded the fair use limit of the API ({result.problem}).")

    def _dispatch(self, agreement: Agreement, request: Request, surface: str) -> Response:
        path = request.subpath.strip("/")
        if surface != "legacy":
            path = path.split("/", 2)[2] if path.count("/") >= 2 else ""
        parts = [unquote(p) for p in path.split("/")] if path else []
        host = request.header("Host") or "127.0.0.1"
        prefix = request.path[: len(request.path) - len(request.subpath)] if request.subpath else "/economic"
        base = f"http://{host}{prefix}"
        try:
            with self.lock:
                response = self._route(agreement, request, parts, base, surface)
                if request.method != "GET":
                    self.env.mark_dirty()
                return response
        except EconomicError as exc:
            return exc.response()

    def _route(self, ag: Agreement, request: Request, parts: list[str], base: str, surface: str) -> Response:
        def body() -> Any:
            try:
                return request.json()
            except (ValueError, UnicodeDecodeError):
                if surface == "legacy":
                    raise legacy_error(400, "The request body is not valid JSON.") from None
                raise problem(400, "Bad request.", message="The request body is not valid JSON.") from None

        if surface == "journals":
            return journals_api(ag, request, parts, body)
        if surface == "booked":
            return booked_entries_api(ag, request, parts)
        if surface == "documents":
            return documents_api(ag, request, parts)
        if surface == "unknown" or not parts or parts[0] not in LEGACY_ROOTS:
            return _unknown(request)
        if request.method == "GET":
            found = legacy_get(ag, request, parts, base)
            if found is not None:
                return found
        if request.method == "POST" and parts == ["suppliers"]:
            return create_supplier(ag, body(), base)
        if request.method == "POST" and len(parts) == 3 and parts[0] == "journals" and parts[2] == "vouchers":
            missing_rate = str(self.env.erp_config(self.name).get("legacy_missing_rate") or "default")
            return create_voucher(ag, journal_number(ag, parts[1]), body(), base, missing_rate)
        return method_not_allowed(request.method)

    # -- the control API, the web app, the state dump -------------------------------------------------------
    def control(self, action: str, request: Request) -> Response:
        return control.control(self, action, request)

    def state(self) -> dict[str, Any]:
        return control.state(self)

    def home_html(self) -> str:
        return pages.home_html(self)


def _surface(subpath: str) -> str:
    head = subpath.strip("/").split("/")[:2]
    if head and head[0].lower() == "journalsapi":
        return "journals" if "/".join(head) == JOURNALS else "unknown"
    if head and head[0].lower() == "bookedentriesapi":
        return "booked" if "/".join(head) == BOOKED else "unknown"
    if head and head[0].lower() == "documentsapi":
        return "documents" if "/".join(head) == DOCUMENTS else "unknown"
    return "legacy"


def _unknown(request: Request) -> Response:
    # What e-conomic answers to a path it does not have is documented nowhere: an HTML 404, as a proxy would.
    body = f"<html><body><h1>404 Not Found</h1><p>{request.method} {request.path}</p></body></html>"
    return Response(404, body.encode(), content_type="text/html; charset=utf-8")


__all__ = ["EconomicModule", "journal_number"]
