"""Xero's Accounting API, identity and login hosts, emulated under ``/xero`` (see ``README.md``).

Host mapping: ``api.xero.com`` → ``/xero``, ``identity.xero.com`` → ``/xero/identity``, ``login.xero.com`` →
``/xero/login``, ``go.xero.com`` → ``/xero/go``. Each API call runs Xero's pipeline in Xero's order:
authentication → tenant → rate limits (minute, day, app-minute, concurrency) → idempotency key → injected
fault → the operation under the organisation's lock.
"""

from __future__ import annotations

import base64
import hashlib
import html
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlencode

from integrations.sandbox.base import ErpModule, SandboxEnv, register
from integrations.sandbox.faults import FaultRule, apply_fault
from integrations.sandbox.limits import LimitSpec, StoredResponse
from integrations.sandbox.messages import (
    Request,
    Response,
    dumps,
    html_response,
    json_response,
    redirect_response,
    text_response,
)
from integrations.sandbox.xero_auth import AuthError, AuthStore, Grant
from integrations.sandbox.xero_model import (
    Invoice,
    Org,
    Payment,
    ms_date,
    ms_datetime,
    parse_date,
    render_contact,
    render_invoice,
    render_organisation,
    render_payment,
    seed_org,
    utcnow,
)
from integrations.sandbox.xero_rules import (
    ElementResult,
    apply_payment,
    delete_payment,
    save_contact,
    save_invoice,
    save_payment,
)
from integrations.sandbox.xero_where import WhereError, compile_where
from integrations.sandbox.xero_xml import to_xml

API_PREFIX = "/api.xro/2.0/"
DEMO_COMPANY = "Demo Company (sandbox)"
NOT_FOUND_TEXT = "The resource you're looking for cannot be found"
Handler = Callable[[Request, Org, str | None], Response]


def _error(status: int, title: str, detail: str) -> Response:
    """Xero's problem-details body for 401/403/429-type failures."""
    return json_response(status, {"Type": None, "Title": title, "Status": status, "Detail": detail,
                                  "Instance": str(uuid.uuid4()), "Extensions": {}})


def validation_exception(elements: list[dict[str, Any]]) -> Response:
    return json_response(400, {"ErrorNumber": 10, "Type": "ValidationException",
                               "Message": "A validation exception occurred", "Elements": elements})


def post_data_invalid(message: str) -> Response:
    return json_response(400, {"ErrorNumber": 14, "Type": "PostDataInvalidException", "Message": message})


def not_found() -> Response:
    return text_response(404, NOT_FOUND_TEXT)


def _csv(value: str | None) -> list[str]:
    return [part.strip().strip('"').strip() for part in (value or "").split(",") if part.strip().strip('"')]


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
        return True
    except ValueError:
        return False


@register
class XeroModule(ErpModule):
    name = "xero"
    hosts = {"api.xero.com": "", "identity.xero.com": "/identity", "login.xero.com": "/login",
             "go.xero.com": "/go"}

    def __init__(self, env: SandboxEnv) -> None:
        super().__init__(env)
        self._lock = threading.RLock()
        self.orgs: dict[str, Org] = {}
        self._org_locks: dict[str, threading.RLock] = {}
        self.auth = AuthStore()

    def default_config(self) -> dict[str, Any]:
        # Xero's published limits (developer.xero.com/faq/limits); all configurable via /_sandbox/config.
        return {"minute_limit": 60, "day_limit": 5000, "concurrent_limit": 5, "app_minute_limit": 10000,
                "idempotency_ttl_s": 360, "provider_name": "Roger"}

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
                    "Payments": [render_payment(org, p) for p in org.payments.values()],
                }
        return {"tenants": tenants}

    def snapshot(self) -> Any:
        with self._lock:
            return {"orgs": self.orgs, "auth": self.auth.snapshot()}

    def restore(self, data: Any) -> None:
        with self._lock:
            self.orgs = data["orgs"]
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

    def _authorize(self, request: Request) -> Response:
        client_id, redirect_uri = request.query_value("client_id"), request.query_value("redirect_uri")
        if request.query_value("response_type") != "code" or not client_id or not redirect_uri:
            return html_response(400, "<h1>Xero sandbox</h1><p>unauthorized_client: response_type=code, "
                                      "client_id and redirect_uri are required.</p>")
        with self._lock:
            if not self.orgs:
                self.create_org(DEMO_COMPANY)
            tenants = [(org.tenant_id, org.name) for org in self.orgs.values()]
        scope = request.query_value("scope") or "offline_access accounting.transactions"
        grant = self.auth.new_grant(client_id, tenants, scope)
        code = self.auth.issue_code(grant, redirect_uri)
        params = {"code": code, "scope": scope}
        if request.query_value("state") is not None:
            params["state"] = request.query_value("state") or ""
        separator = "&" if "?" in redirect_uri else "?"
        self.env.mark_dirty()
        return redirect_response(f"{redirect_uri}{separator}{urlencode(params)}")

    @staticmethod
    def _client(request: Request, form: dict[str, str]) -> tuple[str, str]:
        header = request.header("Authorization") or ""
        if header.lower().startswith("basic "):
            try:
                decoded = base64.b64decode(header[6:].strip()).decode()
                client_id, _, secret = decoded.partition(":")
                return client_id, secret
            except (ValueError, UnicodeDecodeError):
                return "", ""
        return form.get("client_id", ""), form.get("client_secret", "")

    def _token(self, request: Request) -> Response:
        form = request.form()
        client_id, secret = self._client(request, form)
        if not client_id or not (secret or form.get("code_verifier")):
            return json_response(400, {"error": "invalid_client"})
        grant_type = form.get("grant_type", "")
        try:
            if grant_type == "authorization_code":
                body = self.auth.exchange_code(client_id, form.get("code", ""), form.get("redirect_uri", ""))
            elif grant_type == "refresh_token":
                body = self.auth.use_refresh_token(client_id, form.get("refresh_token", ""))
            else:
                return json_response(400, {"error": "unsupported_grant_type"})
        except AuthError as exc:
            return json_response(400, {"error": exc.error})
        self.env.mark_dirty()
        return json_response(200, body, {"Cache-Control": "no-store", "Pragma": "no-cache"})

    def _bearer(self, request: Request) -> Grant | Response:
        header = request.header("Authorization") or ""
        if not header.lower().startswith("bearer ") or not header[7:].strip():
            return _error(401, "Unauthorized", "AuthenticationUnsuccessful")
        try:
            return self.auth.check_access(header[7:].strip())
        except AuthError as exc:
            response = _error(401, "Unauthorized", exc.detail)
            response.headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
            return response

    def _connections(self, request: Request) -> Response:
        grant = self._bearer(request)
        if isinstance(grant, Response):
            return grant
        wanted = request.query_value("authEventId")
        items = [c for c in grant.connections.values() if c["tenantId"] in self.orgs
                 and (not wanted or c["authEventId"] == wanted)]
        return json_response(200, items)

    def _disconnect(self, request: Request, connection_id: str) -> Response:
        grant = self._bearer(request)
        if isinstance(grant, Response):
            return grant
        if not self.auth.disconnect(grant, connection_id):
            return not_found()
        self.env.mark_dirty()
        return Response(status=204, content_type="text/plain")

    # -- the Accounting API pipeline ---------------------------------------------------------------------------
    def _api(self, request: Request) -> Response:
        grant = self._bearer(request)
        if isinstance(grant, Response):
            return grant
        tenant_id = (request.header("xero-tenant-id") or "").strip().lower()
        if tenant_id not in grant.connections or tenant_id not in self.orgs:
            return _error(403, "Forbidden", "AuthenticationUnsuccessful")
        request.tenant = tenant_id
        cfg = self.env.erp_config(self.name)
        if not self.env.gate.enter(f"xero:{tenant_id}", int(cfg["concurrent_limit"])):
            remaining = self.env.limiter.peek(self._limits(cfg, tenant_id, grant.client_id))
            return self._too_many("concurrent", 1, remaining)
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
        return {"X-DayLimit-Remaining": str(remaining.get("day", 0)),
                "X-MinLimit-Remaining": str(remaining.get("minute", 0)),
                "X-AppMinLimit-Remaining": str(remaining.get("appminute", 0))}

    def _too_many(self, problem: str, retry_after: int | None, remaining: dict[str, int]) -> Response:
        response = _error(429, "Too Many Requests", f"Rate limit exceeded: {problem}")
        response.headers.update(self._limit_headers(remaining))
        response.headers["X-Rate-Limit-Problem"] = problem
        if retry_after is not None and problem != "appminute":
            response.headers["Retry-After"] = str(retry_after)
        return response

    def _idempotent(self, request: Request, grant: Grant, cfg: dict[str, Any]) -> Response:
        key = request.header("Idempotency-Key")
        if request.method not in {"PUT", "POST", "PATCH"} or not key:
            return self._faulted(request)
        if len(key) > 128:
            return validation_error_message("Idempotency Key must not be longer than 128 characters.")
        fingerprint = hashlib.sha256(b"\n".join([
            request.method.encode(), request.path.lower().encode(), request.raw_query.encode(),
            (request.tenant or "").encode(), request.body])).hexdigest()
        store, scope = self.env.idempotency, f"xero:{grant.client_id}"
        decision = store.begin(scope, key, fingerprint, float(cfg["idempotency_ttl_s"]))
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
            store.finish(scope, key, StoredResponse(response.status, response.body, response.content_type,
                                                    {}) if keep and response else None)
        return response

    def _faulted(self, request: Request) -> Response:
        rule = self.env.take_fault(self.name, request)
        return apply_fault(rule, self.env.fault_context(self._canned), lambda: self._operation(request))

    def _canned(self, rule: FaultRule) -> Response:
        if rule.kind == "500":
            return json_response(500, {"ErrorNumber": 500, "Type": "UnknownErrorException",
                                       "Message": "An error occurred in Xero. Check the API Status page "
                                                  "http://status.developer.xero.com for current service status."})
        if rule.kind == "503":
            response = text_response(503, "The Organisation is offline")
            if rule.retry_after is not None:
                response.headers["Retry-After"] = str(rule.retry_after)
            return response
        if rule.kind == "429":
            return self._too_many("minute", rule.retry_after or 1, {"day": 0, "minute": 0, "appminute": 0})
        return html_response(502, "<html><head><title>502 Bad Gateway</title></head><body><center>"
                                  "<h1>502 Bad Gateway</h1></center></body></html>")

    def _operation(self, request: Request) -> Response:
        parts = [p for p in request.subpath[len(API_PREFIX):].split("/") if p]
        if not parts:
            return not_found()
        handler = self._routes().get((request.method, parts[0].lower(), len(parts) > 1))
        if handler is None or len(parts) > 2:
            return not_found()
        tenant_id = request.tenant or ""
        with self._org_lock(tenant_id):
            org = self.orgs.get(tenant_id)
            if org is None:
                return _error(403, "Forbidden", "AuthenticationUnsuccessful")
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
        }

    def _negotiate(self, request: Request, response: Response) -> Response:
        """Xero answers XML unless the client asks for JSON (``Accept: application/json``)."""
        accept = (request.header("Accept") or "").lower()
        if "application/json" in accept or not response.content_type.startswith("application/json"):
            return response
        return to_xml(response)

    def envelope(self, key: str, items: list[dict[str, Any]], extra: dict[str, Any] | None = None) -> Response:
        body: dict[str, Any] = {"Id": str(uuid.uuid4()), "Status": "OK",
                                "ProviderName": self.env.erp_config(self.name).get("provider_name", "Roger"),
                                "DateTimeUTC": ms_datetime(utcnow(), offset=False)}
        body.update(extra or {})
        body[key] = items
        return json_response(200, body)

    # -- reading ---------------------------------------------------------------------------------------------------
    def _listing(self, request: Request, key: str, rows: list[Any], view: Callable[[Any], dict[str, Any]],
                 render: Callable[[Any, bool], dict[str, Any]], page_size_default: int = 100) -> Response:
        """Apply ``where``, ``order``, ``If-Modified-Since`` and paging, then render."""
        try:
            predicate = compile_where(request.query_value("where") or "")
        except WhereError as exc:
            return json_response(400, {"ErrorNumber": 16, "Type": "QueryParseException", "Message": str(exc)})
        views = [(row, view(row)) for row in rows]
        views = [(row, v) for row, v in views if predicate(v)]
        since = _modified_since(request.header("If-Modified-Since"))
        if since is not None:
            views = [(row, v) for row, v in views if getattr(row, "updated", since) > since]
        order = (request.query_value("order") or "").strip()
        if order:
            field_name, _, direction = order.partition(" ")
            views.sort(key=lambda pair: str(pair[1].get(field_name, "")).casefold(),
                       reverse=direction.strip().upper() == "DESC")
        page_text = request.query_value("page")
        if not page_text:
            return self.envelope(key, [render(row, False) for row, _ in views])
        try:
            page = max(1, int(page_text))
            size = min(1000, max(1, int(request.query_value("pageSize") or page_size_default)))
        except ValueError:
            return validation_error_message("page and pageSize must be integers")
        chosen = views[(page - 1) * size: page * size]
        pagination = {"page": page, "pageSize": size, "pageCount": -(-len(views) // size),
                      "itemCount": len(views)}
        return self.envelope(key, [render(row, True) for row, _ in chosen], {"pagination": pagination})

    def _get_invoices(self, request: Request, org: Org, _ident: str | None) -> Response:
        rows = list(org.invoices.values())
        ids = {i.lower() for i in _csv(request.query_value("IDs"))}
        numbers = set(_csv(request.query_value("InvoiceNumbers")))
        contacts = {c.lower() for c in _csv(request.query_value("ContactIDs"))}
        statuses = {s.upper() for s in _csv(request.query_value("Statuses"))}
        term = (request.query_value("searchTerm") or "").casefold()
        rows = [i for i in rows if (not ids or i.InvoiceID in ids) and (not numbers or i.InvoiceNumber in numbers)
                and (not contacts or i.ContactID in contacts) and (not statuses or i.Status in statuses)
                and (not term or term in i.InvoiceNumber.casefold() or term in i.Reference.casefold())]
        unit_dp = _unit_dp(request)
        # Xero returns line items for a list only when paging (or when fetching one invoice).
        return self._listing(request, "Invoices", rows, lambda i: _invoice_view(org, i),
                             lambda i, paged: render_invoice(org, i, with_lines=paged, unit_dp=unit_dp))

    def _get_invoice(self, request: Request, org: Org, ident: str | None) -> Response:
        invoice = _find_invoice(org, ident or "")
        if invoice is None:
            return not_found()
        return self.envelope("Invoices", [render_invoice(org, invoice, unit_dp=_unit_dp(request))])

    def _get_payments(self, request: Request, org: Org, _ident: str | None) -> Response:
        return self._listing(request, "Payments", list(org.payments.values()), lambda p: _payment_view(org, p),
                             lambda p, _paged: render_payment(org, p))

    def _get_payment(self, request: Request, org: Org, ident: str | None) -> Response:
        payment = org.payments.get((ident or "").lower())
        return self.envelope("Payments", [render_payment(org, payment)]) if payment else not_found()

    def _get_contacts(self, request: Request, org: Org, _ident: str | None) -> Response:
        ids = {i.lower() for i in _csv(request.query_value("IDs"))}
        archived = (request.query_value("includeArchived") or "").lower() == "true"
        term = (request.query_value("searchTerm") or "").casefold()
        rows = [c for c in org.contacts.values() if (not ids or c.ContactID in ids)
                and (archived or ids or c.ContactStatus != "ARCHIVED")
                and (not term or any(term in v.casefold() for v in (c.Name, c.ContactNumber, c.EmailAddress)))]
        return self._listing(request, "Contacts", rows, render_contact, lambda c, _p: render_contact(c))

    def _get_contact(self, request: Request, org: Org, ident: str | None) -> Response:
        contact = org.contacts.get((ident or "").lower()) or org.contact_by_number(ident or "")
        return self.envelope("Contacts", [render_contact(contact)]) if contact else not_found()

    def _get_accounts(self, request: Request, org: Org, _ident: str | None) -> Response:
        return self._listing(request, "Accounts", org.accounts, dict, lambda a, _p: dict(a))

    def _get_account(self, request: Request, org: Org, ident: str | None) -> Response:
        account = org.account_by_id(ident or "")
        return self.envelope("Accounts", [dict(account)]) if account else not_found()

    def _get_tax_rates(self, request: Request, org: Org, _ident: str | None) -> Response:
        return self._listing(request, "TaxRates", org.tax_rates, dict, lambda t, _p: dict(t))

    def _get_tracking(self, request: Request, org: Org, _ident: str | None) -> Response:
        archived = (request.query_value("includeArchived") or "").lower() == "true"

        def render(category: dict[str, Any], _paged: bool) -> dict[str, Any]:
            options = [o for o in category["Options"] if archived or o["Status"] == "ACTIVE"]
            return {**category, "Options": [dict(o) for o in options]}

        rows = [c for c in org.tracking if archived or c["Status"] == "ACTIVE"]
        return self._listing(request, "TrackingCategories", rows, dict, render)

    def _get_tracking_one(self, request: Request, org: Org, ident: str | None) -> Response:
        category = next((c for c in org.tracking if c["TrackingCategoryID"] == (ident or "").lower()), None)
        return self.envelope("TrackingCategories", [dict(category)]) if category else not_found()

    def _get_organisation(self, request: Request, org: Org, _ident: str | None) -> Response:
        return self.envelope("Organisations", [render_organisation(org)])

    def _get_currencies(self, request: Request, org: Org, _ident: str | None) -> Response:
        return self.envelope("Currencies", [{"Code": code, "Description": code} for code in org.currencies])

    # -- writing -------------------------------------------------------------------------------------------------
    def _elements(self, request: Request, key: str) -> list[Any] | Response:
        try:
            body = request.json()
        except (ValueError, UnicodeDecodeError):
            return post_data_invalid("JSON for post data was invalid")
        if isinstance(body, dict) and key in body:
            items = body[key]
            return items if isinstance(items, list) else post_data_invalid(f"{key} must be an array")
        if isinstance(body, list):
            return body
        if isinstance(body, dict):
            return [body]
        return post_data_invalid("JSON for post data was invalid")

    def _batch(self, request: Request, key: str, elements: list[Any],
               save: Callable[[Any], ElementResult]) -> Response:
        """Xero's ``summarizeErrors``: the valid elements are saved either way; only the answer differs."""
        results = [save(element) for element in elements]
        summarize = (request.query_value("summarizeErrors") or "true").lower() != "false"
        if summarize and any(not r.ok for r in results):
            return validation_exception([r.data for r in results if not r.ok])
        return self.envelope(key, [r.data for r in results])

    def _write_invoices(self, request: Request, org: Org, ident: str | None) -> Response:
        elements = self._elements(request, "Invoices")
        if isinstance(elements, Response):
            return elements
        unit_dp = _unit_dp(request)
        if ident is not None:
            invoice = _find_invoice(org, ident)
            if invoice is None:
                return not_found()
            result = save_invoice(org, elements[0] if elements else {}, True, unit_dp, invoice.InvoiceID)
            return self.envelope("Invoices", [result.data]) if result.ok else validation_exception([result.data])
        allow_update = request.method == "POST"
        return self._batch(request, "Invoices", elements, lambda e: save_invoice(org, e, allow_update, unit_dp))

    def _write_payments(self, request: Request, org: Org, _ident: str | None) -> Response:
        elements = self._elements(request, "Payments")
        if isinstance(elements, Response):
            return elements
        return self._batch(request, "Payments", elements, lambda e: save_payment(org, e))

    def _delete_payment(self, request: Request, org: Org, ident: str | None) -> Response:
        payment = org.payments.get((ident or "").lower())
        if payment is None:
            return not_found()
        try:
            body = request.json()
        except (ValueError, UnicodeDecodeError):
            return post_data_invalid("JSON for post data was invalid")
        result = delete_payment(org, payment, body)
        return self.envelope("Payments", [result.data]) if result.ok else validation_exception([result.data])

    def _write_contacts(self, request: Request, org: Org, ident: str | None) -> Response:
        elements = self._elements(request, "Contacts")
        if isinstance(elements, Response):
            return elements
        if ident is not None:
            contact = org.contacts.get(ident.lower())
            if contact is None:
                return not_found()
            elements = [{**(elements[0] if elements and isinstance(elements[0], dict) else {}),
                         "ContactID": contact.ContactID}]
        allow_update = request.method == "POST"
        return self._batch(request, "Contacts", elements, lambda e: save_contact(org, e, allow_update))

    # -- deep link (go.xero.com) --------------------------------------------------------------------------------
    def _deep_link(self, request: Request) -> Response:
        invoice_id = (request.query_value("InvoiceID") or request.query_value("invoiceId") or "").lower()
        redirect = request.query_value("redirecturl") or ""
        if not invoice_id and "InvoiceID=" in redirect:
            invoice_id = redirect.split("InvoiceID=", 1)[1].split("&")[0].lower()
        for org in list(self.orgs.values()):
            with self._org_lock(org.tenant_id):
                invoice = org.invoices.get(invoice_id)
                if invoice is not None:
                    return html_response(200, _bill_page(org, invoice, _prefix(request)))
        return html_response(404, "<h1>Xero sandbox</h1><p>No bill with that InvoiceID.</p>")

    def home_html(self) -> str:
        """Each organisation's bills, newest first, linking to the bill pages (where an accountant can book)."""
        parts = []
        for org in list(self.orgs.values()):
            with self._org_lock(org.tenant_id):
                bills = sorted((i for i in org.invoices.values() if i.Type == "ACCPAY"),
                               key=lambda i: i.updated, reverse=True)[:200]
                rows = "".join(
                    f"<tr><td><a href='/xero/go/AccountsPayable/View.aspx?InvoiceID={i.InvoiceID}'>"
                    f"{html.escape(i.InvoiceNumber) or '(no number)'}</a></td><td>{html.escape(i.Status)}</td>"
                    f"<td>{i.Total} {html.escape(i.CurrencyCode)}</td></tr>" for i in bills)
                parts.append(
                    f"<h3>{html.escape(org.name)}</h3><p>{len(org.invoices)} invoices, {len(org.payments)} payments"
                    f" · <a href='/_sandbox/xero/state'>state (JSON)</a></p>"
                    f"<table><thead><tr><th>Bill</th><th>Status</th><th>Total</th></tr></thead><tbody>{rows}</tbody>"
                    "</table>")
        return "".join(parts) or "<p>No organisation yet: connect Xero from Roger's integration settings.</p>"

    def _deep_link_action(self, request: Request) -> Response:
        """The bill page's buttons: what an accountant does in Xero that makes a bill *booked* for Roger, so the
        demo's R12 can be walked in a browser.  Same effect as the control API's actions."""
        form = request.form()
        invoice_id, action = form.get("InvoiceID", "").lower(), form.get("action", "")
        page = f"{_prefix(request)}/go/AccountsPayable/View.aspx?InvoiceID={invoice_id}"
        for org in list(self.orgs.values()):
            with self._org_lock(org.tenant_id):
                invoice = org.invoices.get(invoice_id)
                if invoice is None:
                    continue
                body = {"invoice_id": invoice_id}
                if action == "pay":
                    outcome = self._act_pay(org, body)
                elif action == "lock_period":
                    outcome = self._act_lock_dates(org, {"period_lock_date": invoice.Date.isoformat()})
                elif action == "unlock_period":
                    outcome = self._act_lock_dates(org, {"period_lock_date": None})
                else:
                    return html_response(400, f"<h1>Xero sandbox</h1><p>Unknown action {html.escape(action)!r}.</p>")
            if isinstance(outcome, ElementResult) and not outcome.ok:
                errors = "".join(f"<li>{html.escape(str(e))}</li>" for e in outcome.errors)
                return html_response(400, f"<h1>Xero sandbox</h1><ul>{errors}</ul><p><a href='{page}'>Back</a></p>")
            self.env.mark_dirty()
            return redirect_response(page)
        return html_response(404, "<h1>Xero sandbox</h1><p>No bill with that InvoiceID.</p>")

    # -- control API ----------------------------------------------------------------------------------------------
    def control(self, action: str, request: Request) -> Response:
        if action == "tenants" and request.method == "POST":
            return self._control_new_tenant(request)
        if action == "tenants" and request.method == "GET":
            return json_response(200, {"tenants": [{"tenant_id": o.tenant_id, "name": o.name}
                                                   for o in self.orgs.values()]})
        if action == "state" and request.method == "GET":
            return json_response(200, self.state())
        if action == "actions" and request.method == "POST":
            return self._control_action(request)
        return super().control(action, request)

    def _control_new_tenant(self, request: Request) -> Response:
        body = _json_body(request)
        org = self.create_org(str(body.get("name") or DEMO_COMPANY), str(body.get("base_currency") or "DKK"),
                              body.get("currencies"))
        client_id = body.get("client_id")
        scope = str(body.get("scope") or "openid profile email offline_access accounting.transactions "
                                          "accounting.contacts accounting.settings")
        grant = self.auth.new_grant(str(client_id or "sandbox"), [(org.tenant_id, org.name)], scope,
                                    bound=bool(client_id))
        tokens = self.auth.issue_tokens(grant)
        return json_response(201, {
            "tenant_id": org.tenant_id, "name": org.name, "access_token": tokens["access_token"],
            "refresh_token": tokens["refresh_token"], "expires_in": tokens["expires_in"],
            "connection_id": grant.connections[org.tenant_id]["id"], "auth_event_id": grant.auth_event_id,
        })

    def _control_action(self, request: Request) -> Response:
        body = _json_body(request)
        tenant_id = str(body.get("tenant_id") or "").lower()
        if tenant_id not in self.orgs:
            return json_response(404, {"ok": False, "errors": [f"unknown tenant_id {tenant_id!r}"]})
        action = str(body.get("action") or "")
        actions: dict[str, Callable[[Org, dict[str, Any]], ElementResult | dict[str, Any]]] = {
            "authorise": self._act_status("AUTHORISED"), "void": self._act_status("VOIDED"),
            "delete": self._act_delete, "pay": self._act_pay, "credit": self._act_credit,
            "reconcile_payment": self._act_reconcile, "set_lock_dates": self._act_lock_dates,
            "revoke_grant": lambda org, b: {"revoked_grants": self.auth.revoke_tenant(org.tenant_id)},
            "expire_access_token": lambda org, b: {"expired_tokens": self.auth.expire_access(
                org.tenant_id, b.get("access_token"))},
            "archive_contact": self._act_contact_status("ARCHIVED"),
            "unarchive_contact": self._act_contact_status("ACTIVE"),
        }
        if action not in actions:
            return json_response(400, {"ok": False, "errors": [f"unknown action {action!r}"],
                                       "actions": sorted(actions)})
        with self._org_lock(tenant_id):
            try:
                outcome = actions[action](self.orgs[tenant_id], body)
            except (KeyError, ValueError, TypeError) as exc:
                return json_response(400, {"ok": False, "errors": [f"bad arguments: {exc}"]})
        self.env.mark_dirty()
        if isinstance(outcome, ElementResult):
            status = 200 if outcome.ok else 400
            return json_response(status, {"ok": outcome.ok, "errors": outcome.errors, "result": outcome.data})
        return json_response(200, {"ok": True, "errors": [], "result": outcome})

    @staticmethod
    def _act_status(status: str) -> Callable[[Org, dict[str, Any]], ElementResult]:
        def act(org: Org, body: dict[str, Any]) -> ElementResult:
            invoice = _require_invoice(org, body)
            return save_invoice(org, {"Status": status}, True, forced_id=invoice.InvoiceID)

        return act

    @staticmethod
    def _act_delete(org: Org, body: dict[str, Any]) -> ElementResult:
        if body.get("payment_id"):
            payment = org.payments[str(body["payment_id"]).lower()]
            return delete_payment(org, payment, {"Status": "DELETED"})
        invoice = _require_invoice(org, body)
        return save_invoice(org, {"Status": "DELETED"}, True, forced_id=invoice.InvoiceID)

    @staticmethod
    def _act_pay(org: Org, body: dict[str, Any]) -> ElementResult:
        invoice = _require_invoice(org, body)
        element = {"Invoice": {"InvoiceID": invoice.InvoiceID},
                   "Account": {"Code": str(body.get("account_code") or "090")},
                   "Amount": str(body.get("amount") or invoice.AmountDue),
                   "Date": body.get("date") or date.today().isoformat(),
                   "Reference": body.get("reference") or "Paid in Xero"}
        return save_payment(org, element)

    @staticmethod
    def _act_credit(org: Org, body: dict[str, Any]) -> dict[str, Any]:
        """Allocate a credit note amount to a bill (what makes a bill uneditable besides payments)."""
        invoice = _require_invoice(org, body)
        amount = Decimal(str(body.get("amount") or invoice.AmountDue))
        if invoice.Status != "AUTHORISED" or amount <= 0 or amount > invoice.AmountDue:
            raise ValueError("credit needs an AUTHORISED bill and 0 < amount <= AmountDue")
        invoice.AmountCredited += amount
        apply_payment(invoice, Decimal("0"), date.today())
        return render_invoice(org, invoice)

    @staticmethod
    def _act_reconcile(org: Org, body: dict[str, Any]) -> dict[str, Any]:
        payment: Payment = org.payments[str(body["payment_id"]).lower()]
        payment.IsReconciled = bool(body.get("reconciled", True))
        payment.updated = utcnow()
        return render_payment(org, payment)

    @staticmethod
    def _act_lock_dates(org: Org, body: dict[str, Any]) -> dict[str, Any]:
        if "period_lock_date" in body:
            value = body["period_lock_date"]
            org.period_lock_date = parse_date(value) if value else None
        if "end_of_year_lock_date" in body:
            value = body["end_of_year_lock_date"]
            org.end_of_year_lock_date = parse_date(value) if value else None
        return render_organisation(org)

    @staticmethod
    def _act_contact_status(status: str) -> Callable[[Org, dict[str, Any]], dict[str, Any]]:
        def act(org: Org, body: dict[str, Any]) -> dict[str, Any]:
            contact = org.contacts[str(body["contact_id"]).lower()]
            contact.ContactStatus, contact.updated = status, utcnow()
            return render_contact(contact)

        return act


# -- helpers -------------------------------------------------------------------------------------------------------
def validation_error_message(message: str) -> Response:
    return validation_exception([{"ValidationErrors": [{"Message": message}]}])


def _json_body(request: Request) -> dict[str, Any]:
    try:
        body = request.json() if request.body else {}
    except ValueError:
        body = {}
    return body if isinstance(body, dict) else {}


def _unit_dp(request: Request) -> int:
    return 4 if (request.query_value("unitdp") or "") == "4" else 2


def _find_invoice(org: Org, ident: str) -> Invoice | None:
    if _is_uuid(ident):
        return org.invoices.get(ident.lower())
    return next((i for i in org.invoices.values() if i.InvoiceNumber == ident), None)


def _require_invoice(org: Org, body: dict[str, Any]) -> Invoice:
    invoice = org.invoices.get(str(body.get("invoice_id") or "").lower())
    if invoice is None:
        raise KeyError(f"unknown invoice_id {body.get('invoice_id')!r}")
    return invoice


def _modified_since(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        try:
            moment = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _invoice_view(org: Org, invoice: Invoice) -> dict[str, Any]:
    """The fields ``where`` can see, cheap to build (rendering every bill per query would be slow)."""
    contact = org.contacts.get(invoice.ContactID)
    return {
        "Type": invoice.Type, "InvoiceID": invoice.InvoiceID, "InvoiceNumber": invoice.InvoiceNumber,
        "Reference": invoice.Reference, "Url": invoice.Url, "Status": invoice.Status,
        "Contact": {"ContactID": invoice.ContactID, "Name": contact.Name if contact else "",
                    "ContactNumber": contact.ContactNumber if contact else ""},
        "Date": ms_date(invoice.Date), "DueDate": ms_date(invoice.DueDate) if invoice.DueDate else None,
        "CurrencyCode": invoice.CurrencyCode, "Total": invoice.Total, "SubTotal": invoice.SubTotal,
        "TotalTax": invoice.TotalTax, "AmountDue": invoice.AmountDue, "AmountPaid": invoice.AmountPaid,
        "AmountCredited": invoice.AmountCredited, "UpdatedDateUTC": ms_datetime(invoice.updated),
        "LineAmountTypes": invoice.LineAmountTypes,
    }


def _payment_view(org: Org, payment: Payment) -> dict[str, Any]:
    invoice = org.invoices.get(payment.InvoiceID)
    account = org.account_by_id(payment.AccountID) or {}
    return {
        "PaymentID": payment.PaymentID, "Reference": payment.Reference, "Status": payment.Status,
        "PaymentType": "ACCPAYPAYMENT" if not invoice or invoice.Type == "ACCPAY" else "ACCRECPAYMENT",
        "Date": ms_date(payment.Date), "Amount": payment.Amount, "IsReconciled": payment.IsReconciled,
        "Invoice": {"InvoiceID": payment.InvoiceID, "InvoiceNumber": invoice.InvoiceNumber if invoice else "",
                    "Type": invoice.Type if invoice else "",
                    "Contact": {"ContactID": invoice.ContactID if invoice else ""}},
        "Account": {"AccountID": payment.AccountID, "Code": account.get("Code", "")},
        "UpdatedDateUTC": ms_datetime(payment.updated),
    }


def _prefix(request: Request) -> str:
    """Where this module is mounted (``/xero``), for links back into the sandbox."""
    return request.path[: len(request.path) - len(request.subpath)]


def _bill_page(org: Org, invoice: Invoice, prefix: str) -> str:
    contact = org.contacts.get(invoice.ContactID)
    esc = html.escape
    rows = "".join(
        f"<tr><td>{esc(line.Description)}</td><td>{line.Quantity.normalize()}</td><td>{line.UnitAmount}</td>"
        f"<td>{esc(line.AccountCode)}</td><td>{esc(line.TaxType)}</td><td>{line.TaxAmount}</td>"
        f"<td>{line.LineAmount}</td></tr>" for line in invoice.lines)
    payments = "".join(
        f"<li>{p.Date.isoformat()}: {p.Amount} {esc(invoice.CurrencyCode)} ({esc(p.Reference)})"
        f"{' reconciled' if p.IsReconciled else ''}</li>" for p in org.payments_of(invoice.InvoiceID))
    link = f'<p><a href="{esc(invoice.Url)}">Go to Roger</a></p>' if invoice.Url else ""
    title = f"Bill {esc(invoice.InvoiceNumber) or '(no number)'}"
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{title} — Xero sandbox</title></head>"
        f"<body><p>{esc(org.name)} · Xero sandbox</p><h1>{title}</h1>"
        f"<dl><dt>From</dt><dd>{esc(contact.Name if contact else '?')}</dd>"
        f"<dt>Status</dt><dd id='status'>{esc(invoice.Status)}</dd>"
        f"<dt>Date</dt><dd>{invoice.Date.isoformat()}</dd>"
        f"<dt>Due</dt><dd>{invoice.DueDate.isoformat() if invoice.DueDate else ''}</dd>"
        f"<dt>Currency</dt><dd>{esc(invoice.CurrencyCode)}</dd>"
        f"<dt>Amounts are</dt><dd>{esc(invoice.LineAmountTypes)}</dd></dl>"
        "<table><thead><tr><th>Description</th><th>Qty</th><th>Unit price</th><th>Account</th><th>Tax rate</th>"
        f"<th>Tax</th><th>Amount</th></tr></thead><tbody>{rows}</tbody></table>"
        f"<p>Subtotal {invoice.SubTotal} · Tax {invoice.TotalTax} · <strong>Total {invoice.Total}</strong></p>"
        f"<p>Paid {invoice.AmountPaid} · Credited {invoice.AmountCredited} · Due {invoice.AmountDue}</p>"
        f"<h2>Payments</h2><ul>{payments or '<li>None</li>'}</ul>{link}"
        f"{_accountant_actions(org, invoice, prefix)}</body></html>"
    )


def _accountant_actions(org: Org, invoice: Invoice, prefix: str) -> str:
    """Buttons for what an accountant does in Xero; each one makes the bill *booked* as Roger sees it."""
    lock = org.period_lock_date
    buttons = []
    if invoice.Status == "AUTHORISED" and invoice.AmountDue > 0:
        buttons.append(("pay", f"Pay {invoice.AmountDue} {invoice.CurrencyCode} in Xero (the bill is then booked)"))
    if lock is None or lock < invoice.Date:
        buttons.append(("lock_period", f"Lock the period up to {invoice.Date.isoformat()}"))
    else:
        buttons.append(("unlock_period", f"Remove the period lock date ({lock.isoformat()})"))
    forms = "".join(
        f"<form method='post' action='{prefix}/go/AccountsPayable/Act' style='display:inline'><input type='hidden' name='InvoiceID' "
        f"value='{invoice.InvoiceID}'><button name='action' value='{name}'>{html.escape(label)}</button></form> "
        for name, label in buttons)
    return f"<h2>Accountant actions (sandbox)</h2><p>{forms}</p>"


__all__ = ["XeroModule", "dumps"]
