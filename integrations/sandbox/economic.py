"""Visma e-conomic, emulated under ``/economic/``: agreements, journals with draft entries, booking.

Written from e-conomic's legacy REST documentation (``e-conomic/slate``: introduction, journals, accounting
years, accounts, suppliers, vat-accounts, departmental distributions) as if we were e-conomic, sharing nothing
with Roger's connector.  Paths are e-conomic's own below the prefix (``/economic/journals/10/vouchers``).

What it enforces
* Auth: ``X-AppSecretToken`` and ``X-AgreementGrantToken`` must belong to one agreement whose grant is not
  revoked; otherwise 401 with e-conomic's error body (``errorCode`` E03xxx).
* Journals hold draft entries (supplier invoices and payments, finance vouchers).  ``POST
  /journals/:n/vouchers`` takes one voucher or an array; the whole payload is validated before anything is
  created (annotated 400 with ``arrayIndex`` per voucher, nothing created).  Required: ``accountingYear``, and
  per supplier entry ``supplier``, ``amount`` (≠ 0, ≤ 2 decimals), ``contraAccount``, ``date`` (inside the
  voucher's accounting year), ``currency``.  Suppliers, accounts, VAT codes and departmental distributions must
  exist and not be barred; ``text`` ≤ 250, ``supplierInvoiceNumber`` ≤ 30.
* Voucher numbers: sequential per journal and accounting year, never reused (deleting a draft burns its
  number).  An explicit ``voucherNumber`` must be unused.
* Draft entries: ``GET /journals/:n/entries`` (filters, pagination), ``GET/PUT/DELETE
  /journals/:n/entries/:journalEntryNumber`` (PUT replaces the whole entry, e-conomic's PUT semantics).
* Booking: ``POST /journals/:n/book`` (every draft of the journal) and ``POST /journals/:n/bookdraftentries``
  ``{"entries":[{"journalEntryNumber":n}]}`` (only those).  Booked entries leave the journal and appear as
  ledger lines under ``/accounting-years/:year/entries`` with their voucher number.  They are immutable: any
  write naming them is refused with a 400 saying the entry is booked.
* Closed accounting periods and years: creating, changing or booking an entry dated in one is refused (400 on
  ``date``).
* Fair use: per agreement, ``calls_per_day`` (default 50,000, e-conomic's published fair-use figure) and an
  optional ``calls_per_minute`` (0 = off); beyond them 429 with ``Retry-After``.
* ``Idempotency-Key`` on POST/PUT/DELETE: kept ``idempotency_ttl_s`` (1 h); a repeat replays the first
  response (2xx and 4xx; 5xx are not kept), a repeat with a different request is a 400.
* Filtering (``filter=prop$eq:value$and:…``, operators ``$eq $ne $gt $gte $lt $lte $like $in $nin``, escapes)
  only on the properties e-conomic documents as filterable for each collection; others give 400.

Not enforced: balancing of finance vouchers, currencies' exchange rates, attachments, employees/projects,
``objectVersion`` concurrency, supplier payment matching against open invoices, roles (403).

Web app (``/economic/app/secure/…``, no tokens, no fair use, no faults): the journal page with draft
entries and an accountant's buttons (book a voucher or the journal, close/reopen a period), the booked voucher
page, and this ERP's part of the sandbox home page; see the README.

Control API (``/_sandbox/economic/<action>``): ``agreements`` (POST ``{"name"}`` → tokens), ``state`` and
``actions`` (POST ``{"agreement", "action": "book_journal" | "book_entries" | "close_period" |
"reopen_period" | "revoke_grant" | "delete_entry", …}``).
"""

from __future__ import annotations

import calendar
import hashlib
import html
import re
import secrets
import threading
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any
from urllib.parse import quote, unquote

from integrations.sandbox.base import ErpModule, register
from integrations.sandbox.faults import apply_fault
from integrations.sandbox.limits import LimitSpec, StoredResponse
from integrations.sandbox.messages import Request, Response, dumps, html_response, json_response, redirect_response

CENT = Decimal("0.01")
CURRENCIES = ("DKK", "EUR", "SEK", "NOK", "USD", "GBP")
ROGER_JOURNAL = 10
HUMAN_JOURNAL = 5
CREDITORS_ACCOUNT = 6800
DEFAULTS: dict[str, Any] = {
    "calls_per_day": 50_000,
    "calls_per_minute": 0,
    "idempotency_ttl_s": 3600,
}

# (number, name, type, barred)
ACCOUNTS: list[tuple[int, str, str, bool]] = [
    (1000, "Income statement", "heading", False),
    (1010, "Sales of goods", "profitAndLoss", False),
    (2000, "Costs", "headingStart", False),
    (2200, "Office supplies", "profitAndLoss", False),
    (2210, "IT and software", "profitAndLoss", False),
    (2800, "Rent", "profitAndLoss", False),
    (2900, "Old costs (do not use)", "profitAndLoss", True),
    (3999, "Result", "totalFrom", False),
    (5000, "Balance sheet", "heading", False),
    (5820, "Bank", "status", False),
    (5830, "Cash (kasse)", "status", False),
    (6800, "Suppliers (creditors)", "status", False),
    (6901, "Output VAT", "status", False),
    (6902, "Input VAT", "status", False),
]
# (code, name, rate, vat type number, vat type name, account)
VAT_ACCOUNTS: list[tuple[str, str, Decimal, int, str, int]] = [
    ("I25", "Input VAT 25%", Decimal("25"), 2, "Purchase VAT", 6902),
    ("I0", "Input VAT exempt", Decimal("0"), 2, "Purchase VAT", 6902),
    ("IEUV", "EU purchase of goods", Decimal("25"), 2, "Purchase VAT", 6902),
    ("U25", "Output VAT 25%", Decimal("25"), 1, "Sales VAT", 6901),
]
DEPARTMENTS = [(1, "Sales"), (2, "Administration"), (3, "Development")]
# What a new supplier may reference: supplier group 1 (creditors 6800), payment terms 1, vat zones 1-4.
KNOWN_REFS = {"supplierGroup": {1}, "paymentTerms": {1}, "vatZone": {1, 2, 3, 4}}


class EconomicError(Exception):
    """An e-conomic error response raised from deep inside a handler."""

    def __init__(self, status: int, body: dict[str, Any]):
        super().__init__(body.get("message", ""))
        self.status = status
        self.body = body


def _now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S")


def error_body(
    status: int, message: str, *, hint: str = "", code: str | None = None, errors: Any = None
) -> dict[str, Any]:
    body: dict[str, Any] = {"message": message}
    if code:
        body["errorCode"] = code
    body["developerHint"] = hint or "Inspect the request and try again."
    body["logId"] = secrets.token_hex(8)
    body["httpStatusCode"] = status
    if errors is not None:
        body["errors"] = errors
    body["logTime"] = _now_iso()
    return body


def prop_error(code: str, message: str, value: Any = None, hint: str = "") -> dict[str, Any]:
    err: dict[str, Any] = {"errorCode": code, "message": message}
    if value is not None:
        err["value"] = value
    err["developerHint"] = hint or "Please check your request data."
    return err


class Problems:
    """Annotated errors for one element, keyed by property (e-conomic's per-property error objects)."""

    def __init__(self) -> None:
        self.props: dict[str, list[dict[str, Any]]] = {}

    def add(self, prop: str, code: str, message: str, value: Any = None, hint: str = "") -> None:
        self.props.setdefault(prop, []).append(prop_error(code, message, value, hint))

    def __bool__(self) -> bool:
        return bool(self.props)

    def annotated(self) -> dict[str, Any]:
        return {prop: {"errors": errs} for prop, errs in self.props.items()}


# -- model ------------------------------------------------------------------------------------------------------


@dataclass
class Entry:
    number: int  # journalEntryNumber
    journal: int
    year: str
    voucher: int
    entry_type: str
    data: dict[str, Any]  # the writable properties as e-conomic stores them


@dataclass
class Agreement:
    number: int
    name: str
    grant_token: str
    secret_token: str
    revoked: bool = False
    years: dict[str, dict[str, Any]] = field(default_factory=dict)  # year → {fromDate, toDate, closed, periods}
    accounts: dict[int, dict[str, Any]] = field(default_factory=dict)
    vat_accounts: dict[str, dict[str, Any]] = field(default_factory=dict)
    departments: dict[int, dict[str, Any]] = field(default_factory=dict)
    distributions: dict[int, dict[str, Any]] = field(default_factory=dict)
    suppliers: dict[int, dict[str, Any]] = field(default_factory=dict)
    journals: dict[int, str] = field(default_factory=dict)
    drafts: dict[int, Entry] = field(default_factory=dict)  # journalEntryNumber → draft entry
    booked: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # year → ledger lines
    booked_entries: dict[int, tuple[str, int]] = field(default_factory=dict)  # former draft → (year, voucher)
    used_vouchers: dict[tuple[int, str], set[int]] = field(default_factory=dict)  # (journal, year) → numbers
    next_voucher: dict[tuple[int, str], int] = field(default_factory=dict)
    next_entry: int = 1
    next_booked_line: int = 1


def _year_span(year: int) -> dict[str, Any]:
    periods = []
    for month in range(1, 13):
        last = calendar.monthrange(year, month)[1]
        periods.append(
            {
                "periodNumber": month,
                "fromDate": date(year, month, 1).isoformat(),
                "toDate": date(year, month, last).isoformat(),
                "closed": False,
            }
        )
    return {"fromDate": f"{year}-01-01", "toDate": f"{year}-12-31", "closed": False, "periods": periods}


def seed_agreement(number: int, name: str) -> Agreement:
    agreement = Agreement(
        number=number, name=name, grant_token=secrets.token_urlsafe(24), secret_token=secrets.token_urlsafe(24)
    )
    this_year = date.today().year
    for year in (this_year - 1, this_year, this_year + 1):
        agreement.years[str(year)] = _year_span(year)
    for acc_number, acc_name, acc_type, barred in ACCOUNTS:
        agreement.accounts[acc_number] = {
            "accountNumber": acc_number,
            "name": acc_name,
            "accountType": acc_type,
            "debitCredit": "debit",
            "barred": barred,
            "balance": Decimal(0),
        }
    for code, vat_name, rate, type_number, type_name, account in VAT_ACCOUNTS:
        agreement.vat_accounts[code] = {
            "vatCode": code,
            "name": vat_name,
            "ratePercentage": rate,
            "vatType": {"vatTypeNumber": type_number, "name": type_name},
            "account": account,
            "barred": False,
        }
    for dept_number, dept_name in DEPARTMENTS:
        agreement.departments[dept_number] = {"departmentNumber": dept_number, "name": dept_name}
        # e-conomic generates a single-department distribution per department.
        agreement.distributions[dept_number] = {
            "departmentalDistributionNumber": dept_number,
            "name": dept_name,
            "distributionType": "department",
            "barred": False,
            "distributions": [{"department": dept_number, "percentage": 100}],
        }
    agreement.distributions[10] = {
        "departmentalDistributionNumber": 10,
        "name": "Sales/Administration 50/50",
        "distributionType": "distribution",
        "barred": False,
        "distributions": [{"department": 1, "percentage": 50}, {"department": 2, "percentage": 50}],
    }
    agreement.suppliers[200] = {
        "supplierNumber": 200,
        "name": "Existing Supplier ApS",
        "currency": "DKK",
        "corporateIdentificationNumber": "DK11111111",
        "supplierGroup": 1,
        "paymentTerms": 1,
        "vatZone": 1,
    }
    agreement.journals = {HUMAN_JOURNAL: "Daily journal", ROGER_JOURNAL: "Roger"}
    return agreement


# -- filters (e-conomic's mongoDB-inspired syntax) -----------------------------------------------------------

_OPS = ("$gte:", "$lte:", "$like:", "$nin:", "$eq:", "$ne:", "$gt:", "$lt:", "$in:")
_ESCAPABLE = "$()*,[]"
_WILD = "\x00"


def _split_top(expr: str) -> list[tuple[str, str]]:
    """Split on unescaped ``$and:`` / ``$or:`` → [(joiner, predicate)], the first joiner being "and"."""
    parts: list[tuple[str, str]] = []
    joiner, current, i = "and", [], 0
    while i < len(expr):
        if expr[i] == "$" and i + 1 < len(expr) and expr[i + 1] in _ESCAPABLE:
            current.append(expr[i : i + 2])
            i += 2
            continue
        for word in ("$and:", "$or:"):
            if expr.startswith(word, i):
                parts.append((joiner, "".join(current)))
                joiner, current = word[1:-1], []
                i += len(word)
                break
        else:
            current.append(expr[i])
            i += 1
    parts.append((joiner, "".join(current)))
    return parts


def _unescape(value: str) -> str:
    out, i = [], 0
    while i < len(value):
        if value[i] == "$" and i + 1 < len(value) and value[i + 1] in _ESCAPABLE:
            out.append(value[i + 1])
            i += 2
        elif value[i] == "*":
            out.append(_WILD)
            i += 1
        else:
            out.append(value[i])
            i += 1
    return "".join(out)


def parse_filter(expr: str, allowed: set[str]) -> list[list[tuple[str, str, Any]]]:
    """→ OR-groups of AND-ed (property, operator, value); raises EconomicError on bad or unfilterable input."""
    groups: list[list[tuple[str, str, Any]]] = [[]]
    for joiner, predicate in _split_top(expr):
        op_at, op = -1, ""
        for candidate in _OPS:
            at = predicate.find(candidate)
            if at > 0 and (op_at < 0 or at < op_at):
                op_at, op = at, candidate
        if op_at < 0:
            raise EconomicError(
                400,
                error_body(
                    400,
                    f"The filter predicate '{predicate}' is not valid.",
                    code="E01100",
                    hint="Use property$operator:value.",
                ),
            )
        prop, raw = predicate[:op_at], predicate[op_at + len(op) :]
        if prop not in allowed:
            raise EconomicError(
                400,
                error_body(
                    400,
                    f"Filtering on property '{prop}' is not allowed.",
                    code="E01110",
                    hint=f"Filterable properties: {', '.join(sorted(allowed))}.",
                ),
            )
        value: Any
        if op in ("$in:", "$nin:"):
            if not (raw.startswith("[") and raw.endswith("]")):
                raise EconomicError(400, error_body(400, "$in: takes a list in brackets.", code="E01120"))
            value = [_unescape(v) for v in raw[1:-1].split(",") if v != ""]
            if len(value) > 200:
                raise EconomicError(400, error_body(400, "At most 200 values in $in:.", code="E01130"))
        else:
            value = _unescape(raw)
        if joiner == "or":
            groups.append([])
        groups[-1].append((prop, op[:-1], value))
    return groups


def _lookup(item: dict[str, Any], prop: str) -> Any:
    node: Any = item
    for part in prop.split("."):
        if not isinstance(node, dict):
            return None
        node = node.get(part)
    return node


def _compare(left: Any, right: str) -> int | None:
    if left is None:
        return None
    try:
        a, b = Decimal(str(left)), Decimal(right)
        return (a > b) - (a < b)
    except InvalidOperation:
        a_s, b_s = str(left).lower(), right.lower()
        return (a_s > b_s) - (a_s < b_s)


def _matches(item: dict[str, Any], groups: list[list[tuple[str, str, Any]]]) -> bool:
    def one(prop: str, op: str, value: Any) -> bool:
        left = _lookup(item, prop)
        if op in ("$in", "$nin"):
            hit = any(_compare(left, v) == 0 for v in value if v != "$null:")
            return hit if op == "$in" else not hit
        if value == "$null:":
            return (left is None) == (op == "$eq")
        if op == "$like":
            text = str(left or "").lower()
            pattern = value.lower()
            if _WILD not in pattern:
                return pattern in text
            regex = ".*".join(re.escape(p) for p in pattern.split(_WILD))
            return re.fullmatch(regex, text, re.DOTALL) is not None
        cmp = _compare(left, value.replace(_WILD, "*"))
        if cmp is None:
            return op == "$ne"
        return {"$eq": cmp == 0, "$ne": cmp != 0, "$gt": cmp > 0, "$gte": cmp >= 0, "$lt": cmp < 0, "$lte": cmp <= 0}[
            op
        ]

    return any(all(one(*p) for p in group) for group in groups)


# -- the module ----------------------------------------------------------------------------------------------

ENTRY_FILTERABLE = {
    "amount",
    "amountDefaultCurrency",
    "contraAccount.accountNumber",
    "contraVatAccount.vatCode",
    "contraVatAmount",
    "currency.code",
    "date",
    "employee.employeeNumber",
    "entryType",
    "exchangeRate",
    "journalEntryNumber",
    "text",
    "voucher.voucherNumber",
}
BOOKED_FILTERABLE = {"currency", "date"}
SUPPLIER_FILTERABLE = {"supplierNumber", "name", "corporateIdentificationNumber", "currency", "email", "barred"}
ACCOUNT_FILTERABLE = {"accountNumber", "accountType", "balance", "barred", "blockDirectEntries", "debitCredit", "name"}
YEAR_FILTERABLE = {"closed", "fromDate", "toDate", "year"}
DIST_FILTERABLE = {"departmentalDistributionNumber", "name"}
ENTRY_KINDS = {
    "supplierInvoices": "supplierInvoice",
    "supplierPayments": "supplierPayment",
    "financeVouchers": "financeVoucher",
    "customerPayments": "customerPayment",
    "manualCustomerInvoices": "manualCustomerInvoice",
}
SUPPORTED_KINDS = ("supplierInvoices", "supplierPayments", "financeVouchers")
APP_PREFIX = "/app"  # below /economic: the web app's pages (ECONOMIC_APP_URL = <sandbox>/economic/app)


@register
class EconomicModule(ErpModule):
    name = "economic"

    def __init__(self, env: Any) -> None:
        super().__init__(env)
        self._lock = threading.RLock()
        self._agreements: dict[int, Agreement] = {}
        self._next_agreement = 1000001

    def default_config(self) -> dict[str, Any]:
        return dict(DEFAULTS)

    # -- lifecycle ---------------------------------------------------------------------------------------
    def reset(self) -> None:
        with self._lock:
            self._agreements.clear()
            self._next_agreement = 1000001

    def snapshot(self) -> Any:
        with self._lock:
            return {"agreements": dict(self._agreements), "next": self._next_agreement}

    def restore(self, data: Any) -> None:
        with self._lock:
            self._agreements = dict(data.get("agreements", {}))
            self._next_agreement = int(data.get("next", 1000001))

    # -- HTTP ------------------------------------------------------------------------------------------------
    def handle(self, request: Request) -> Response:
        if request.subpath == APP_PREFIX or request.subpath.startswith(APP_PREFIX + "/"):
            # The web app a person uses (the connector's "open in e-conomic" links): a login session in real
            # e-conomic, so no API tokens here, and no fair-use count, latency or faults (those are the API's).
            return self._app(request)
        try:
            agreement = self._authenticate(request)
        except EconomicError as exc:
            return json_response(exc.status, exc.body)
        request.tenant = str(agreement.number)
        limited = self._rate_limit(agreement)
        if limited is not None:
            return limited
        latency = int(self.env.config().get("latency_ms", 0) or 0)
        if latency:
            self.env.sleep(latency / 1000.0)
        rule = self.env.take_fault(self.name, request)
        ctx = self.env.fault_context(self._canned)
        key = request.header("Idempotency-Key")
        if key and request.method in ("POST", "PUT", "DELETE"):
            fingerprint = hashlib.sha256(
                request.method.encode() + b" " + request.subpath.encode() + b"\n" + request.body
            ).hexdigest()
            scope = f"economic:{agreement.number}"
            ttl = float(self.env.erp_config(self.name).get("idempotency_ttl_s", 3600))
            decision = self.env.idempotency.begin(scope, key, fingerprint, ttl)
            if decision.kind == "conflict":
                return json_response(
                    400,
                    error_body(
                        400,
                        "The Idempotency-Key has already been used for a different request.",
                        code="E00409",
                        hint="Use a new key for a new request.",
                    ),
                )
            if decision.kind == "replay" and decision.stored is not None:
                stored = decision.stored
                return Response(
                    status=stored.status,
                    body=stored.body,
                    content_type=stored.content_type,
                    headers={**stored.headers, "Idempotent-Replayed": "true"},
                )
            processed: list[Response] = []

            def process() -> Response:
                response = self._dispatch(agreement, request)
                processed.append(response)
                return response

            response = apply_fault(rule, ctx, process)
            kept = processed[0] if processed else None
            if kept is not None and kept.status < 500:
                self.env.idempotency.finish(
                    scope, key, StoredResponse(kept.status, kept.body, kept.content_type, dict(kept.headers))
                )
            else:
                self.env.idempotency.finish(scope, key, None)
            return response
        return apply_fault(rule, ctx, lambda: self._dispatch(agreement, request))

    def _canned(self, rule: Any) -> Response:
        kind = rule.kind
        if kind == "429":
            retry = rule.retry_after if rule.retry_after is not None else 1
            return json_response(
                429,
                error_body(
                    429,
                    "You have exceeded the fair use limit of the API.",
                    code="E00429",
                    hint=f"Retry after {retry} seconds.",
                ),
                headers={"Retry-After": str(retry)},
            )
        if kind == "503":
            headers = {"Retry-After": str(rule.retry_after)} if rule.retry_after is not None else {}
            return json_response(503, error_body(503, "The service is temporarily unavailable."), headers)
        if kind == "html_502":
            return Response(
                status=502,
                body=b"<html><body><h1>502 Bad Gateway</h1></body></html>",
                content_type="text/html; charset=utf-8",
            )
        return json_response(
            500,
            error_body(
                500,
                "An error occurred on our end.",
                code="E00500",
                hint="Try again, or contact support with the logId.",
            ),
        )

    def _authenticate(self, request: Request) -> Agreement:
        secret = request.header("X-AppSecretToken")
        grant = request.header("X-AgreementGrantToken")
        if not secret or not grant:
            raise EconomicError(
                401,
                error_body(
                    401,
                    "Authentication failed: the X-AppSecretToken and X-AgreementGrantToken headers are required.",
                    code="E03000",
                    hint="Send both tokens in the request headers.",
                ),
            )
        with self._lock:
            agreement = next((a for a in self._agreements.values() if a.grant_token == grant), None)
        if agreement is None or not secrets.compare_digest(agreement.secret_token, secret):
            raise EconomicError(
                401,
                error_body(
                    401,
                    "The provided tokens are not valid.",
                    code="E03100",
                    hint="Check the app secret token and the agreement grant token.",
                ),
            )
        if agreement.revoked:
            raise EconomicError(
                401,
                error_body(
                    401,
                    "The agreement has revoked the grant given to this app.",
                    code="E03110",
                    hint="Ask the agreement to grant access again.",
                ),
            )
        return agreement

    def _rate_limit(self, agreement: Agreement) -> Response | None:
        config = self.env.erp_config(self.name)
        checks = []
        per_day = int(config.get("calls_per_day") or 0)
        per_minute = int(config.get("calls_per_minute") or 0)
        if per_day:
            checks.append((LimitSpec("day", per_day, 86_400), str(agreement.number)))
        if per_minute:
            checks.append((LimitSpec("minute", per_minute, 60), str(agreement.number)))
        if not checks:
            return None
        result = self.env.limiter.take(checks)
        if result.ok:
            return None
        retry = result.retry_after or 1
        return json_response(
            429,
            error_body(
                429,
                f"You have exceeded the fair use limit of the API ({result.problem}).",
                code="E00429",
                hint=f"Retry after {retry} seconds.",
            ),
            headers={"Retry-After": str(retry)},
        )

    def _dispatch(self, agreement: Agreement, request: Request) -> Response:
        path = request.subpath.rstrip("/") or "/"
        parts = [unquote(p) for p in path.strip("/").split("/")] if path != "/" else []
        base = self._base_url(request)
        try:
            with self._lock:
                response = self._route(agreement, request, parts, base)
                if request.method != "GET":
                    self.env.mark_dirty()
                return response
        except EconomicError as exc:
            return json_response(exc.status, exc.body)

    @staticmethod
    def _base_url(request: Request) -> str:
        host = request.header("Host") or "127.0.0.1"
        prefix = request.path[: len(request.path) - len(request.subpath)] if request.subpath else "/economic"
        return f"http://{host}{prefix}"

    def _route(self, ag: Agreement, request: Request, parts: list[str], base: str) -> Response:
        method = request.method
        n = len(parts)
        if method == "GET":
            if parts == ["self"]:
                return json_response(
                    200, {"agreementNumber": ag.number, "company": {"name": ag.name}, "self": f"{base}/self"}
                )
            if parts == ["accounting-years"]:
                return self._collection(
                    request,
                    base,
                    "/accounting-years",
                    [self._year_json(ag, y, base) for y in ag.years],
                    YEAR_FILTERABLE,
                )
            if n == 2 and parts[0] == "accounting-years":
                year = self._year_key(ag, parts[1])
                return json_response(200, self._year_json(ag, year, base))
            if n == 3 and parts[0] == "accounting-years" and parts[2] == "periods":
                year = self._year_key(ag, parts[1])
                periods = [
                    {**p, "accountingYear": {"year": year, "self": f"{base}/accounting-years/{year}"}}
                    for p in ag.years[year]["periods"]
                ]
                return self._collection(
                    request, base, f"/accounting-years/{parts[1]}/periods", periods, {"closed", "fromDate", "toDate"}
                )
            if n == 3 and parts[0] == "accounting-years" and parts[2] == "entries":
                year = self._year_key(ag, parts[1])
                return self._collection(
                    request,
                    base,
                    f"/accounting-years/{parts[1]}/entries",
                    list(ag.booked.get(year, [])),
                    BOOKED_FILTERABLE,
                )
            if parts == ["accounts"]:
                return self._collection(
                    request,
                    base,
                    "/accounts",
                    [self._account_json(a, base) for a in ag.accounts.values()],
                    ACCOUNT_FILTERABLE,
                )
            if n == 2 and parts[0] == "accounts":
                account = ag.accounts.get(int(parts[1])) if parts[1].isdigit() else None
                if account is None:
                    raise self._not_found("account")
                return json_response(200, self._account_json(account, base))
            if parts == ["vat-accounts"]:
                return self._collection(
                    request, base, "/vat-accounts", [self._vat_json(v, base) for v in ag.vat_accounts.values()], set()
                )
            if parts == ["departments"]:
                return self._collection(
                    request,
                    base,
                    "/departments",
                    [{**d, "self": f"{base}/departments/{d['departmentNumber']}"} for d in ag.departments.values()],
                    {"departmentNumber", "name"},
                )
            if parts in (
                ["departmental-distributions"],
                ["departmental-distributions", "departments"],
                ["departmental-distributions", "distributions"],
            ):
                wanted = {"departments": "department", "distributions": "distribution"}.get(parts[-1])
                items = [
                    self._dist_json(d, base)
                    for d in ag.distributions.values()
                    if wanted is None or d["distributionType"] == wanted
                ]
                return self._collection(request, base, "/" + "/".join(parts), items, DIST_FILTERABLE)
            if parts == ["suppliers"]:
                return self._collection(
                    request,
                    base,
                    "/suppliers",
                    [self._supplier_json(s, base) for s in ag.suppliers.values()],
                    SUPPLIER_FILTERABLE,
                )
            if n == 2 and parts[0] == "suppliers":
                supplier = ag.suppliers.get(int(parts[1])) if parts[1].isdigit() else None
                if supplier is None:
                    raise self._not_found("supplier")
                return json_response(200, self._supplier_json(supplier, base))
            if parts == ["journals"]:
                return self._collection(
                    request, base, "/journals", [self._journal_json(ag, j, base) for j in ag.journals], set()
                )
            if n == 2 and parts[0] == "journals":
                return json_response(200, self._journal_json(ag, self._journal(ag, parts[1]), base))
            if n == 3 and parts[0] == "journals" and parts[2] == "entries":
                journal = self._journal(ag, parts[1])
                entries = [
                    self._entry_json(e, base)
                    for e in sorted(ag.drafts.values(), key=lambda e: e.number)
                    if e.journal == journal
                ]
                return self._collection(request, base, f"/journals/{journal}/entries", entries, ENTRY_FILTERABLE)
            if n == 4 and parts[0] == "journals" and parts[2] == "entries":
                journal = self._journal(ag, parts[1])
                return json_response(200, self._entry_json(self._draft(ag, journal, parts[3]), base))
            if n == 4 and parts[0] == "journals" and parts[2] == "vouchers":
                journal = self._journal(ag, parts[1])
                year, _, number = parts[3].rpartition("-")
                year = self._year_key(ag, year)
                entries = [
                    e
                    for e in ag.drafts.values()
                    if e.journal == journal and e.year == year and str(e.voucher) == number
                ]
                if not entries:
                    raise self._not_found("voucher")
                return json_response(200, self._voucher_json(ag, journal, year, int(number), entries, base))
        if method == "POST":
            if parts == ["suppliers"]:
                return self._create_supplier(ag, request, base)
            if n == 3 and parts[0] == "journals" and parts[2] == "vouchers":
                return self._create_vouchers(ag, self._journal(ag, parts[1]), request, base)
            if n == 3 and parts[0] == "journals" and parts[2] == "book":
                journal = self._journal(ag, parts[1])
                entries = [e for e in ag.drafts.values() if e.journal == journal]
                return self._book_response(ag, journal, entries, base)
            if n == 3 and parts[0] == "journals" and parts[2] == "bookdraftentries":
                journal = self._journal(ag, parts[1])
                return self._book_selected(ag, journal, request, base)
        if method == "PUT" and n == 4 and parts[0] == "journals" and parts[2] == "entries":
            return self._put_entry(ag, self._journal(ag, parts[1]), parts[3], request, base)
        if method == "DELETE" and n == 4 and parts[0] == "journals" and parts[2] == "entries":
            entry = self._draft(ag, self._journal(ag, parts[1]), parts[3])
            del ag.drafts[entry.number]
            return Response(status=204)
        known = {
            "self",
            "accounting-years",
            "accounts",
            "vat-accounts",
            "departments",
            "departmental-distributions",
            "suppliers",
            "journals",
        }
        if parts and parts[0] in known:
            return json_response(
                405,
                error_body(
                    405,
                    f"The method {method} is not allowed on this resource.",
                    hint="See the documentation for supported methods.",
                ),
            )
        raise self._not_found("resource")

    # -- helpers: lookups ------------------------------------------------------------------------------------
    @staticmethod
    def _not_found(what: str) -> EconomicError:
        return EconomicError(
            404, error_body(404, f"The {what} was not found.", code="E01404", hint="Use the links provided by the API.")
        )

    def _year_key(self, ag: Agreement, raw: str) -> str:
        year = raw.replace("_6_", "/")
        if year not in ag.years:
            raise self._not_found("accounting year")
        return year

    def _journal(self, ag: Agreement, raw: str) -> int:
        if not raw.isdigit() or int(raw) not in ag.journals:
            raise self._not_found("journal")
        return int(raw)

    def _draft(self, ag: Agreement, journal: int, raw: str) -> Entry:
        number = int(raw) if raw.isdigit() else -1
        entry = ag.drafts.get(number)
        if entry is None or entry.journal != journal:
            if number in ag.booked_entries:
                year, voucher = ag.booked_entries[number]
                raise EconomicError(
                    400,
                    error_body(
                        400,
                        f"The entry has been booked (voucher {year}-{voucher}) and can no longer be changed.",
                        code="E07100",
                        errors={
                            "journalEntryNumber": {
                                "errors": [
                                    prop_error(
                                        "E07100",
                                        "The entry is booked. Booked entries cannot be changed or deleted.",
                                        number,
                                        "Post a counter-entry to correct a booked entry.",
                                    )
                                ]
                            }
                        },
                        hint="Booked entries are read from /accounting-years/:year/entries.",
                    ),
                )
            raise self._not_found("entry")
        return entry

    @staticmethod
    def _year_of(ag: Agreement, day: date) -> str | None:
        for year, info in ag.years.items():
            if info["fromDate"] <= day.isoformat() <= info["toDate"]:
                return year
        return None

    @staticmethod
    def _closed_reason(ag: Agreement, year: str, day: date) -> str:
        info = ag.years[year]
        if info["closed"]:
            return f"The accounting year {year} is closed."
        for period in info["periods"]:
            if period["fromDate"] <= day.isoformat() <= period["toDate"] and period["closed"]:
                return (
                    f"The accounting period {period['fromDate']} to {period['toDate']} is closed for further "
                    "transactions."
                )
        return ""

    # -- JSON shapes --------------------------------------------------------------------------------------------
    def _collection(
        self, request: Request, base: str, path: str, items: list[dict[str, Any]], filterable: set[str]
    ) -> Response:
        total = len(items)
        flt = request.query_value("filter")
        if flt:
            groups = parse_filter(flt, filterable)
            items = [i for i in items if _matches(i, groups)]
        try:
            skip = int(request.query_value("skippages", "0") or 0)
            size = int(request.query_value("pagesize", "20") or 20)
        except ValueError:
            raise EconomicError(
                400, error_body(400, "skippages and pagesize must be integers.", code="E01200")
            ) from None
        if size < 1 or size > 1000 or skip < 0:
            raise EconomicError(400, error_body(400, "pagesize must be between 1 and 1000.", code="E01210"))
        chunk = items[skip * size : (skip + 1) * size]
        last = max(0, (len(items) - 1) // size)

        def link(page: int) -> str:
            query = f"skippages={page}&pagesize={size}" + (f"&filter={quote(flt, safe='')}" if flt else "")
            return f"{base}{path}?{query}"

        pagination = {
            "maxPageSizeAllowed": 1000,
            "skipPages": skip,
            "pageSize": size,
            "results": len(items),
            "resultsWithoutFilter": total,
            "firstPage": link(0),
            "lastPage": link(last),
        }
        if skip < last:
            pagination["nextPage"] = link(skip + 1)
        if skip > 0:
            pagination["previousPage"] = link(skip - 1)
        return json_response(200, {"collection": chunk, "pagination": pagination, "self": link(skip)})

    @staticmethod
    def _year_json(ag: Agreement, year: str, base: str) -> dict[str, Any]:
        info = ag.years[year]
        path = f"{base}/accounting-years/{year.replace('/', '_6_')}"
        out: dict[str, Any] = {
            "year": year,
            "fromDate": info["fromDate"],
            "toDate": info["toDate"],
            "entries": f"{path}/entries",
            "periods": f"{path}/periods",
            "totals": f"{path}/totals",
            "self": path,
        }
        if info["closed"]:
            out["closed"] = True  # e-conomic omits false booleans
        return out

    @staticmethod
    def _account_json(account: dict[str, Any], base: str) -> dict[str, Any]:
        out = {k: v for k, v in account.items() if k not in ("barred",)}
        if account.get("barred"):
            out["barred"] = True
        out["self"] = f"{base}/accounts/{account['accountNumber']}"
        return out

    @staticmethod
    def _vat_json(vat: dict[str, Any], base: str) -> dict[str, Any]:
        out: dict[str, Any] = {
            "vatCode": vat["vatCode"],
            "name": vat["name"],
            "ratePercentage": vat["ratePercentage"],
            "vatType": {**vat["vatType"], "self": f"{base}/vat-types/{vat['vatType']['vatTypeNumber']}"},
            "account": {"accountNumber": vat["account"], "self": f"{base}/accounts/{vat['account']}"},
            "self": f"{base}/vat-accounts/{vat['vatCode']}",
        }
        if vat.get("barred"):
            out["barred"] = True
        return out

    @staticmethod
    def _dist_json(dist: dict[str, Any], base: str) -> dict[str, Any]:
        out: dict[str, Any] = {
            "departmentalDistributionNumber": dist["departmentalDistributionNumber"],
            "name": dist["name"],
            "distributionType": dist["distributionType"],
            "distributions": [
                {
                    "department": {
                        "departmentNumber": d["department"],
                        "self": f"{base}/departments/{d['department']}",
                    },
                    "percentage": d["percentage"],
                }
                for d in dist["distributions"]
            ],
            "self": f"{base}/departmental-distributions/{dist['departmentalDistributionNumber']}",
        }
        if dist.get("barred"):
            out["barred"] = True
        return out

    @staticmethod
    def _supplier_json(s: dict[str, Any], base: str) -> dict[str, Any]:
        out: dict[str, Any] = {"supplierNumber": s["supplierNumber"], "name": s["name"], "currency": s["currency"]}
        for key in ("corporateIdentificationNumber", "email", "country", "address", "city", "zip", "phone"):
            if s.get(key):
                out[key] = s[key]
        out["supplierGroup"] = {
            "supplierGroupNumber": s["supplierGroup"],
            "self": f"{base}/supplier-groups/{s['supplierGroup']}",
        }
        out["paymentTerms"] = {
            "paymentTermsNumber": s["paymentTerms"],
            "self": f"{base}/payment-terms/{s['paymentTerms']}",
        }
        out["vatZone"] = {"vatZoneNumber": s["vatZone"], "self": f"{base}/vat-zones/{s['vatZone']}"}
        if s.get("barred"):
            out["barred"] = True
        out["self"] = f"{base}/suppliers/{s['supplierNumber']}"
        return out

    @staticmethod
    def _journal_json(ag: Agreement, journal: int, base: str) -> dict[str, Any]:
        return {
            "journalNumber": journal,
            "name": ag.journals[journal],
            "entries": f"{base}/journals/{journal}/entries",
            "vouchers": f"{base}/journals/{journal}/vouchers",
            "self": f"{base}/journals/{journal}",
        }

    @staticmethod
    def _entry_json(entry: Entry, base: str) -> dict[str, Any]:
        data = entry.data
        out: dict[str, Any] = {"journalEntryNumber": entry.number, "entryType": entry.entry_type}
        if "supplier" in data:
            out["supplier"] = {"supplierNumber": data["supplier"], "self": f"{base}/suppliers/{data['supplier']}"}
        if data.get("supplierInvoiceNumber"):
            out["supplierInvoiceNumber"] = data["supplierInvoiceNumber"]
        if data.get("text"):
            out["text"] = data["text"]
        out["amount"] = data["amount"]
        if "account" in data:
            out["account"] = {"accountNumber": data["account"], "self": f"{base}/accounts/{data['account']}"}
        if "contraAccount" in data:
            out["contraAccount"] = {
                "accountNumber": data["contraAccount"],
                "self": f"{base}/accounts/{data['contraAccount']}",
            }
        if data.get("contraVatAccount"):
            out["contraVatAccount"] = {
                "vatCode": data["contraVatAccount"],
                "self": f"{base}/vat-accounts/{data['contraVatAccount']}",
            }
            out["contraVatAmount"] = data["contraVatAmount"]
        out["currency"] = {"code": data["currency"], "self": f"{base}/currencies/{data['currency']}"}
        out["date"] = data["date"]
        if data.get("dueDate"):
            out["dueDate"] = data["dueDate"]
        if data.get("departmentalDistribution"):
            number = data["departmentalDistribution"]
            out["departmentalDistribution"] = {
                "departmentalDistributionNumber": number,
                "self": f"{base}/departmental-distributions/{number}",
            }
        out["journal"] = {"journalNumber": entry.journal, "self": f"{base}/journals/{entry.journal}"}
        year_path = entry.year.replace("/", "_6_")
        out["voucher"] = {
            "voucherNumber": entry.voucher,
            "accountingYear": {"year": entry.year, "self": f"{base}/accounting-years/{year_path}"},
            "self": f"{base}/journals/{entry.journal}/vouchers/{year_path}-{entry.voucher}",
        }
        out["self"] = f"{base}/journals/{entry.journal}/entries/{entry.number}"
        return out

    def _voucher_json(
        self, ag: Agreement, journal: int, year: str, number: int, entries: list[Entry], base: str
    ) -> dict[str, Any]:
        grouped: dict[str, list[dict[str, Any]]] = {}
        plural = {v: k for k, v in ENTRY_KINDS.items()}
        for entry in entries:
            grouped.setdefault(plural[entry.entry_type], []).append(self._entry_json(entry, base))
        year_path = year.replace("/", "_6_")
        return {
            "accountingYear": {"year": year, "self": f"{base}/accounting-years/{year_path}"},
            "journal": {"journalNumber": journal, "self": f"{base}/journals/{journal}"},
            "voucherNumber": number,
            "entries": grouped,
            "self": f"{base}/journals/{journal}/vouchers/{year_path}-{number}",
        }

    # -- suppliers ---------------------------------------------------------------------------------------------
    def _create_supplier(self, ag: Agreement, request: Request, base: str) -> Response:
        body = self._json_body(request)
        if not isinstance(body, dict):
            raise EconomicError(400, error_body(400, "The request body must be a supplier object.", code="E00400"))
        problems = Problems()
        name = body.get("name")
        if not isinstance(name, str) or not name.strip():
            problems.add("name", "E04010", "Property name is required.")
        elif len(name) > 255:
            problems.add("name", "E04020", "name cannot be longer than 255 characters.", name)
        currency = body.get("currency")
        if not currency:
            problems.add("currency", "E04010", "Property currency is required.")
        elif currency not in CURRENCIES:
            problems.add("currency", "E06000", "currency does not exist.", currency)
        for prop, key in (
            ("supplierGroup", "supplierGroupNumber"),
            ("paymentTerms", "paymentTermsNumber"),
            ("vatZone", "vatZoneNumber"),
        ):
            ref = body.get(prop)
            if not isinstance(ref, dict) or not isinstance(ref.get(key), int):
                problems.add(prop, "E04010", f"Property {prop} is required.")
            elif ref[key] not in KNOWN_REFS[prop]:
                problems.add(prop, "E06000", f"{prop} does not exist.", ref[key])
        number = body.get("supplierNumber")
        if number is not None:
            if not isinstance(number, int) or not 1 <= number <= 999_999_999:
                problems.add("supplierNumber", "E04030", "supplierNumber must be between 1 and 999999999.", number)
            elif number in ag.suppliers:
                problems.add("supplierNumber", "E04040", "A supplier with this number already exists.", number)
        cvr = body.get("corporateIdentificationNumber")
        if cvr is not None and (not isinstance(cvr, str) or len(cvr) > 40):
            problems.add(
                "corporateIdentificationNumber",
                "E04020",
                "corporateIdentificationNumber cannot be longer than 40 characters.",
                cvr,
            )
        if problems:
            raise EconomicError(
                400,
                error_body(
                    400,
                    "Validation error.",
                    errors=problems.annotated(),
                    hint="Inspect validation errors and correct your request.",
                ),
            )
        if number is None:
            number = max(ag.suppliers, default=0) + 1
        supplier = {
            "supplierNumber": number,
            "name": name,
            "currency": currency,
            "supplierGroup": body["supplierGroup"]["supplierGroupNumber"],
            "paymentTerms": body["paymentTerms"]["paymentTermsNumber"],
            "vatZone": body["vatZone"]["vatZoneNumber"],
        }
        for key in ("corporateIdentificationNumber", "email", "country", "address", "city", "zip", "phone"):
            if isinstance(body.get(key), str):
                supplier[key] = body[key]
        ag.suppliers[number] = supplier
        out = self._supplier_json(supplier, base)
        return json_response(201, out, headers={"Location": out["self"]})

    # -- vouchers and entries ----------------------------------------------------------------------------------
    @staticmethod
    def _json_body(request: Request) -> Any:
        try:
            return request.json()
        except (ValueError, UnicodeDecodeError):
            raise EconomicError(
                400, error_body(400, "The request body is not valid JSON.", code="E00100", hint="Send a JSON document.")
            ) from None

    def _validate_entry(
        self, ag: Agreement, kind: str, raw: Any, year: str | None, problems: Problems
    ) -> dict[str, Any] | None:
        """Check one entry; return its stored form (or None when ``problems`` got errors)."""
        if not isinstance(raw, dict):
            problems.add("entry", "E00400", "An entry must be an object.")
            return None
        data: dict[str, Any] = {}
        supplier_kind = kind in ("supplierInvoices", "supplierPayments")
        # supplier
        supplier = raw.get("supplier")
        if supplier is not None or supplier_kind:
            number = supplier.get("supplierNumber") if isinstance(supplier, dict) else None
            if supplier is None:
                problems.add(
                    "supplier",
                    "E04010",
                    "Property supplier is required.",
                    hint="Include a supplier with a supplierNumber.",
                )
            elif not isinstance(number, int):
                problems.add(
                    "supplier",
                    "E04500",
                    "No identifiers present on supplier. Please include either a self link or a supplierNumber.",
                )
            elif number not in ag.suppliers:
                problems.add(
                    "supplier", "E06000", "supplier does not exist.", number, "Find a list of resources at /suppliers."
                )
            elif ag.suppliers[number].get("barred"):
                problems.add("supplier", "E06010", "supplier is barred.", number)
            else:
                data["supplier"] = number
        # amount
        amount = raw.get("amount")
        if amount is None:
            problems.add("amount", "E04010", "Property amount is required.")
        elif isinstance(amount, bool) or not isinstance(amount, int | Decimal):
            problems.add("amount", "E04050", "amount must be a number.", str(amount))
        else:
            value = Decimal(amount)
            if value == 0:
                problems.add("amount", "E04060", "amount cannot be zero.", 0)
            elif value != value.quantize(CENT):
                problems.add(
                    "amount",
                    "E04740",
                    "amount scale cannot be greater then two decimal places.",
                    str(value),
                    "Please check the format of your data.",
                )
            else:
                data["amount"] = value.quantize(CENT)
        # accounts
        for prop in ("account", "contraAccount"):
            ref = raw.get(prop)
            required = prop == "contraAccount" and supplier_kind
            if ref is None:
                if required or (kind == "financeVouchers" and prop == "account" and "contraAccount" not in raw):
                    problems.add(prop, "E04010", f"Property {prop} is required.")
                continue
            number = ref.get("accountNumber") if isinstance(ref, dict) else None
            account = ag.accounts.get(number) if isinstance(number, int) else None
            if not isinstance(number, int):
                problems.add(
                    prop,
                    "E04500",
                    f"No identifiers present on {prop}. Please include either a self link or an accountNumber.",
                )
            elif account is None:
                problems.add(prop, "E06000", f"{prop} does not exist.", number, "Find a list of accounts at /accounts.")
            elif account["accountType"] not in ("profitAndLoss", "status"):
                problems.add(
                    prop,
                    "E06020",
                    f"{prop} {number} is a {account['accountType']} account and cannot take entries.",
                    number,
                )
            elif account.get("barred") or account.get("blockDirectEntries"):
                problems.add(prop, "E06010", f"{prop} {number} is barred.", number)
            else:
                data[prop] = number
        if supplier_kind and "account" in raw:
            problems.add("account", "E04070", "account cannot be set on supplier entries; the supplier is the account.")
        # VAT
        vat = raw.get("contraVatAccount") if "contraVatAccount" in raw else raw.get("vatAccount")
        vat_prop = "contraVatAccount" if "contraVatAccount" in raw else "vatAccount"
        if vat is not None:
            code = vat.get("vatCode") if isinstance(vat, dict) else None
            if not isinstance(code, str) or not code:
                problems.add(vat_prop, "E04500", f"No identifiers present on {vat_prop}. Include a vatCode.")
            elif len(code) > 5 or code not in ag.vat_accounts:
                problems.add(
                    vat_prop,
                    "E06000",
                    f"{vat_prop} does not exist.",
                    code,
                    "Find a list of vat accounts at /vat-accounts.",
                )
            elif ag.vat_accounts[code].get("barred"):
                problems.add(vat_prop, "E06010", f"{vat_prop} {code} is barred.", code)
            else:
                data["contraVatAccount"] = code
                given = raw.get("contraVatAmount")
                if given is None and "amount" in data:
                    rate = ag.vat_accounts[code]["ratePercentage"]
                    data["contraVatAmount"] = (abs(data["amount"]) * rate / (100 + rate)).quantize(
                        CENT, rounding=ROUND_HALF_UP
                    )
                elif given is not None:
                    if isinstance(given, bool) or not isinstance(given, int | Decimal):
                        problems.add("contraVatAmount", "E04050", "contraVatAmount must be a number.", str(given))
                    elif "amount" in data and (Decimal(given) < 0 or Decimal(given) > abs(data["amount"])):
                        problems.add(
                            "contraVatAmount", "E04080", "contraVatAmount must be between 0 and the amount.", str(given)
                        )
                    else:
                        data["contraVatAmount"] = Decimal(given).quantize(CENT)
        # currency
        currency = raw.get("currency")
        code = currency.get("code") if isinstance(currency, dict) else None
        if currency is None:
            problems.add("currency", "E04010", "Property currency is required.")
        elif code not in CURRENCIES:
            problems.add(
                "currency", "E06000", "currency does not exist.", code, "Find a list of currencies at /currencies."
            )
        else:
            data["currency"] = code
        # dates
        day = None
        raw_date = raw.get("date")
        if raw_date is None:
            problems.add("date", "E04010", "Property date is required.")
        else:
            try:
                day = date.fromisoformat(str(raw_date))
            except ValueError:
                problems.add("date", "E04090", "date must be formatted YYYY-MM-DD.", raw_date)
        if day is not None:
            entry_year = self._year_of(ag, day)
            if entry_year is None:
                problems.add(
                    "date",
                    "E07010",
                    "No accounting year exists for the date.",
                    str(raw_date),
                    "Create the accounting year first.",
                )
            elif year is not None and entry_year != year:
                problems.add("date", "E07011", f"The date is not within the accounting year {year}.", str(raw_date))
            else:
                closed = self._closed_reason(ag, entry_year, day)
                if closed:
                    problems.add(
                        "date",
                        "E07020",
                        closed,
                        str(raw_date),
                        "Reopen the period in e-conomic or use a date in an open period.",
                    )
                else:
                    data["date"] = day.isoformat()
        due = raw.get("dueDate")
        if due is not None:
            try:
                due_day = date.fromisoformat(str(due))
                if day is not None and due_day < day:
                    problems.add("dueDate", "E04100", "dueDate cannot be before date.", str(due))
                else:
                    data["dueDate"] = due_day.isoformat()
            except ValueError:
                problems.add("dueDate", "E04090", "dueDate must be formatted YYYY-MM-DD.", due)
        # texts
        text = raw.get("text")
        if text is not None:
            if not isinstance(text, str):
                problems.add("text", "E04050", "text must be a string.")
            elif len(text) > 250:
                problems.add("text", "E04020", "text cannot be longer than 250 characters.", text)
            else:
                data["text"] = text
        invoice = raw.get("supplierInvoiceNumber")
        if invoice is not None:
            if not isinstance(invoice, str) or len(invoice) > 30:
                problems.add(
                    "supplierInvoiceNumber",
                    "E04020",
                    "supplierInvoiceNumber cannot be longer than 30 characters.",
                    invoice,
                )
            else:
                data["supplierInvoiceNumber"] = invoice
        dist = raw.get("departmentalDistribution")
        if dist is not None:
            number = dist.get("departmentalDistributionNumber") if isinstance(dist, dict) else None
            found = ag.distributions.get(number) if isinstance(number, int) else None
            if found is None:
                problems.add(
                    "departmentalDistribution",
                    "E06000",
                    "departmentalDistribution does not exist.",
                    number,
                    "Find a list at /departmental-distributions.",
                )
            elif found.get("barred"):
                problems.add("departmentalDistribution", "E06010", "departmentalDistribution is barred.", number)
            else:
                data["departmentalDistribution"] = number
        return None if problems else data

    def _voucher_number(self, ag: Agreement, journal: int, year: str, wanted: Any, problems: Problems) -> int:
        used = ag.used_vouchers.setdefault((journal, year), set())
        if wanted is not None:
            if not isinstance(wanted, int) or not 1 <= wanted <= 999_999_999:
                problems.add("voucherNumber", "E04030", "Journal voucher number must be between 1-999999999.", wanted)
                return 0
            if wanted in used:
                booked = any(
                    line["voucherNumber"] == wanted and line.get("_journal") == journal
                    for line in ag.booked.get(year, [])
                )
                problems.add(
                    "voucherNumber",
                    "E07030",
                    f"Voucher number {wanted} is already used" + (" by a booked voucher." if booked else "."),
                    wanted,
                )
                return 0
            return wanted
        number = ag.next_voucher.get((journal, year), 1)
        while number in used:
            number += 1
        return number

    def _create_vouchers(self, ag: Agreement, journal: int, request: Request, base: str) -> Response:
        body = self._json_body(request)
        many = isinstance(body, list)
        vouchers = body if many else [body]
        if not vouchers or not all(isinstance(v, dict) for v in vouchers):
            raise EconomicError(
                400, error_body(400, "The request body must be a voucher or an array of vouchers.", code="E00400")
            )
        planned: list[tuple[str, int, list[tuple[str, dict[str, Any]]]]] = []
        annotated: list[dict[str, Any]] = []
        taken: dict[tuple[int, str], set[int]] = {}
        for index, voucher in enumerate(vouchers):
            problems = Problems()
            nested: dict[str, list[dict[str, Any]]] = {}
            year_raw = (
                (voucher.get("accountingYear") or {}).get("year")
                if isinstance(voucher.get("accountingYear"), dict)
                else None
            )
            year = str(year_raw) if year_raw is not None else None
            if year is None:
                problems.add("accountingYear", "E04010", "Property accountingYear is required.")
            elif year not in ag.years:
                problems.add("accountingYear", "E06000", "accountingYear does not exist.", year)
                year = None
            elif ag.years[year]["closed"]:
                problems.add("accountingYear", "E07020", f"The accounting year {year} is closed.", year)
                year = None
            body_journal = voucher.get("journal")
            if isinstance(body_journal, dict) and body_journal.get("journalNumber") not in (None, journal):
                problems.add(
                    "journal",
                    "E07040",
                    "journal.journalNumber does not match the journal in the URL.",
                    body_journal.get("journalNumber"),
                )
            entries = voucher.get("entries")
            stored: list[tuple[str, dict[str, Any]]] = []
            if not isinstance(entries, dict) or not any(entries.get(k) for k in ENTRY_KINDS):
                problems.add("entries", "E04010", "A voucher must have at least one entry.")
            else:
                for kind, items in entries.items():
                    if kind not in ENTRY_KINDS:
                        problems.add("entries", "E04110", f"Unknown entry type {kind}.")
                        continue
                    if kind not in SUPPORTED_KINDS:
                        problems.add(kind, "E05000", f"{kind} are not supported by this sandbox.")
                        continue
                    if not isinstance(items, list):
                        problems.add(kind, "E04050", f"{kind} must be an array.")
                        continue
                    for position, raw in enumerate(items):
                        inner = Problems()
                        data = self._validate_entry(ag, kind, raw, year, inner)
                        if inner:
                            nested.setdefault(kind, []).append({"arrayIndex": position, **inner.annotated()})
                        elif data is not None:
                            stored.append((kind, data))
            number = 0
            if year is not None:
                number = self._voucher_number(ag, journal, year, voucher.get("voucherNumber"), problems)
                pending = taken.setdefault((journal, year), set())
                while number and number in pending and voucher.get("voucherNumber") is None:
                    number += 1
                if number in pending:
                    problems.add("voucherNumber", "E07030", f"Voucher number {number} is used twice.", number)
                pending.add(number)
            if problems or nested:
                element = problems.annotated()
                if nested:
                    element["entries"] = nested
                annotated.append({"arrayIndex": index, **element} if many else element)
            else:
                planned.append((year, number, stored))  # type: ignore[arg-type]
        if annotated:
            errors: Any = annotated if many else annotated[0]
            raise EconomicError(
                400,
                error_body(
                    400, "Validation error.", errors=errors, hint="Inspect validation errors and correct your request."
                ),
            )
        created = []
        for year, number, stored in planned:
            ag.used_vouchers.setdefault((journal, year), set()).add(number)
            ag.next_voucher[(journal, year)] = max(ag.next_voucher.get((journal, year), 1), number + 1)
            entries = []
            for kind, data in stored:
                entry = Entry(
                    number=ag.next_entry,
                    journal=journal,
                    year=year,
                    voucher=number,
                    entry_type=ENTRY_KINDS[kind],
                    data=data,
                )
                ag.next_entry += 1
                ag.drafts[entry.number] = entry
                entries.append(entry)
            created.append(self._voucher_json(ag, journal, year, number, entries, base))
        out = created if many else created[0]
        return Response(status=201, body=dumps(out), headers={"Location": created[0]["self"]})

    def _put_entry(self, ag: Agreement, journal: int, raw_number: str, request: Request, base: str) -> Response:
        entry = self._draft(ag, journal, raw_number)
        body = self._json_body(request)
        if not isinstance(body, dict):
            raise EconomicError(400, error_body(400, "The request body must be an entry.", code="E00400"))
        problems = Problems()
        plural = {v: k for k, v in ENTRY_KINDS.items()}[entry.entry_type]
        given_type = body.get("entryType") or body.get("type")
        if given_type is not None and given_type != entry.entry_type:
            problems.add("entryType", "E07050", f"entryType cannot change from {entry.entry_type}.", given_type)
        voucher = body.get("voucher")
        if isinstance(voucher, dict):
            number = voucher.get("voucherNumber")
            year = (
                (voucher.get("accountingYear") or {}).get("year")
                if isinstance(voucher.get("accountingYear"), dict)
                else None
            )
            if (number is not None and number != entry.voucher) or (year is not None and str(year) != entry.year):
                problems.add("voucher", "E07060", "An entry cannot move to another voucher.", number)
        if body.get("journalEntryNumber") not in (None, entry.number):
            problems.add(
                "journalEntryNumber",
                "E07070",
                "journalEntryNumber does not match the URL.",
                body.get("journalEntryNumber"),
            )
        if not problems:
            data = self._validate_entry(ag, plural, body, entry.year, problems)
        if problems:
            raise EconomicError(
                400,
                error_body(
                    400,
                    "Validation error.",
                    errors=problems.annotated(),
                    hint="Inspect validation errors and correct your request.",
                ),
            )
        entry.data = data  # type: ignore[assignment]  # PUT replaces the whole entry
        return json_response(200, self._entry_json(entry, base))

    # -- booking -----------------------------------------------------------------------------------------------
    def _book_selected(self, ag: Agreement, journal: int, request: Request, base: str) -> Response:
        body = self._json_body(request)
        raw = body.get("entries") if isinstance(body, dict) else None
        if not isinstance(raw, list) or not raw:
            raise EconomicError(400, error_body(400, "entries must list the journal entries to book.", code="E04010"))
        problems: list[dict[str, Any]] = []
        chosen: list[Entry] = []
        for index, item in enumerate(raw):
            number = item.get("journalEntryNumber") if isinstance(item, dict) else None
            entry = ag.drafts.get(number) if isinstance(number, int) else None
            if entry is None or entry.journal != journal:
                if isinstance(number, int) and number in ag.booked_entries:
                    year, voucher = ag.booked_entries[number]
                    message = f"The entry is already booked (voucher {year}-{voucher})."
                    code = "E07100"
                else:
                    message, code = "The journal entry does not exist in this journal.", "E06000"
                problems.append(
                    {"arrayIndex": index, "journalEntryNumber": {"errors": [prop_error(code, message, number)]}}
                )
            else:
                chosen.append(entry)
        if problems:
            raise EconomicError(400, error_body(400, "Validation error.", errors={"entries": problems}))
        return self._book_response(ag, journal, chosen, base)

    def _book_response(self, ag: Agreement, journal: int, entries: list[Entry], base: str) -> Response:
        vouchers = self._book_checked(ag, entries)
        return json_response(
            200,
            {
                "vouchers": [
                    {
                        "accountingYear": {"year": y},
                        "voucherNumber": v,
                        "self": f"{base}/accounting-years/{y.replace('/', '_6_')}/vouchers/{v}",
                    }
                    for y, v in vouchers
                ]
            },
        )

    def _book_checked(self, ag: Agreement, entries: list[Entry]) -> list[tuple[str, int]]:
        """Book as e-conomic does (the API and the web app alike): refused whole when an entry is dated in a
        closed period or year."""
        blocked = [(e, self._closed_reason(ag, e.year, date.fromisoformat(e.data["date"]))) for e in entries]
        blocked = [(e, reason) for e, reason in blocked if reason]
        if blocked:
            entry, reason = blocked[0]
            raise EconomicError(
                400,
                error_body(
                    400,
                    "The journal cannot be booked.",
                    errors={
                        "date": {
                            "errors": [
                                prop_error(
                                    "E07020",
                                    reason,
                                    entry.data["date"],
                                    "Reopen the period or change the entry's date.",
                                )
                            ]
                        }
                    },
                ),
            )
        return self.book_entries(ag, entries)

    def book_entries(self, ag: Agreement, entries: list[Entry]) -> list[tuple[str, int]]:
        """Move drafts to the ledger: each becomes balanced ledger lines under its accounting year."""
        done: list[tuple[str, int]] = []
        for entry in sorted(entries, key=lambda e: e.number):
            data = entry.data
            amount: Decimal = data["amount"]
            common = {
                "voucherNumber": entry.voucher,
                "date": data["date"],
                "currency": data["currency"],
                "entryType": entry.entry_type,
                "text": data.get("text", ""),
            }
            if "supplier" in data:
                common["supplier"] = {"supplierNumber": data["supplier"]}
            if data.get("supplierInvoiceNumber"):
                common["supplierInvoiceNumber"] = data["supplierInvoiceNumber"]
            if data.get("dueDate"):
                common["dueDate"] = data["dueDate"]  # booked entries keep the due date (BookedEntries API v2)
            lines: list[dict[str, Any]] = []
            vat = data.get("contraVatAmount") or Decimal(0)
            if entry.entry_type == "supplierInvoice":
                lines.append({**common, "account": CREDITORS_ACCOUNT, "amount": -amount})
                expense = {**common, "account": data["contraAccount"], "amount": amount - vat}
                if data.get("contraVatAccount"):
                    expense["vatAccount"] = {"vatCode": data["contraVatAccount"]}
                if data.get("departmentalDistribution"):
                    expense["departmentalDistribution"] = {
                        "departmentalDistributionNumber": data["departmentalDistribution"]
                    }
                lines.append(expense)
                if vat:
                    lines.append(
                        {**common, "account": ag.vat_accounts[data["contraVatAccount"]]["account"], "amount": vat}
                    )
            elif entry.entry_type == "supplierPayment":
                lines.append({**common, "account": CREDITORS_ACCOUNT, "amount": amount})
                lines.append({**common, "account": data["contraAccount"], "amount": -amount})
            else:
                if "account" in data:
                    lines.append({**common, "account": data["account"], "amount": amount})
                if "contraAccount" in data:
                    lines.append({**common, "account": data["contraAccount"], "amount": -amount})
            for line in lines:
                account = line.pop("account")
                line["account"] = {"accountNumber": account}
                line["amountInBaseCurrency"] = line["amount"]
                line["entryNumber"] = ag.next_booked_line
                line["_journal"] = entry.journal
                ag.next_booked_line += 1
                ag.booked.setdefault(entry.year, []).append(line)
                if account in ag.accounts:
                    ag.accounts[account]["balance"] += line["amount"]
            ag.booked_entries[entry.number] = (entry.year, entry.voucher)
            del ag.drafts[entry.number]
            if (entry.year, entry.voucher) not in done:
                done.append((entry.year, entry.voucher))
        return done

    # -- the web app (pages for a person) -------------------------------------------------------------------------
    def _app(self, request: Request) -> Response:
        prefix = request.path[: len(request.path) - len(request.subpath)] + APP_PREFIX
        parts = [p for p in request.subpath[len(APP_PREFIX) :].split("/") if p]
        back = ""
        try:
            with self._lock:
                if request.method == "GET" and len(parts) == 3 and parts[:2] == ["secure", "journals"]:
                    return self._journal_page(parts[2], request.query_value("voucher"), prefix)
                if request.method == "GET" and len(parts) == 3 and parts[:2] == ["secure", "vouchers"]:
                    return self._voucher_page(parts[2], prefix)
                if request.method == "POST" and parts == ["secure", "act"]:
                    form = request.form()
                    back = _journal_url(prefix, form.get("journal", ""), form.get("shown", ""))
                    return self._page_action(form, prefix)
        except EconomicError as exc:
            return _page(exc.status, "Refused by e-conomic (sandbox)", _error_list(exc.body, back))
        return _page(404, "Not found", f"<p>The e-conomic sandbox has no page {html.escape(request.path)}.</p>")

    def _journal_page(self, raw_journal: str, raw_voucher: str | None, prefix: str) -> Response:
        """A journal's draft entries in every agreement that has it, the requested voucher highlighted."""
        journal = int(raw_journal) if raw_journal.isdigit() else -1
        holders = [ag for ag in self._agreements.values() if journal in ag.journals]
        if not holders:
            return _page(404, "Journal not found", f"<p>No agreement has a journal {html.escape(raw_journal)}.</p>")
        wanted = _voucher_ref(raw_voucher) if raw_voucher else None
        if raw_voucher and wanted is None:
            return _page(404, "Voucher not found", f"<p>{html.escape(raw_voucher)} is not a voucher (year-number).</p>")
        if wanted and not any(
            self._drafts_of(ag, journal, wanted) or self._ledger_lines(ag, wanted, journal) for ag in holders
        ):
            journal_url = f"{prefix}/secure/journals/{journal}"
            return _page(
                404,
                "Voucher not found",
                f"<p>Voucher {html.escape(raw_voucher or '')} is neither a draft in journal {journal} nor booked from it"
                f" (deleted?).</p><p><a href='{html.escape(journal_url)}'>All drafts of journal {journal}</a></p>",
            )
        sections = "".join(self._journal_section(ag, journal, wanted, prefix) for ag in holders)
        title = f"Journal {journal}: {holders[0].journals[journal]}"
        return _page(200, title, sections)

    def _journal_section(self, ag: Agreement, journal: int, wanted: tuple[str, int] | None, prefix: str) -> str:
        esc = html.escape
        notice = ""
        if wanted and self._ledger_lines(ag, wanted, journal):
            ref = f"{wanted[0]}-{wanted[1]}"
            url = f"{prefix}/secure/vouchers/{ref}"
            notice = f"<p class='notice'>Voucher {esc(ref)} has been booked: <a href='{esc(url)}'>see its ledger lines</a>.</p>"
        drafts = sorted(
            (e for e in ag.drafts.values() if e.journal == journal), key=lambda e: (e.year, e.voucher, e.number)
        )
        rows, seen = [], set()
        for entry in drafts:
            first = (entry.year, entry.voucher) not in seen
            seen.add((entry.year, entry.voucher))
            actions = self._voucher_buttons(ag, entry, wanted, prefix) if first else ""
            rows.append(_draft_row(ag, entry, (entry.year, entry.voucher) == wanted, actions))
        table = (
            "<table><thead><tr><th>Voucher</th><th>Entry</th><th>Type</th><th>Date</th><th>Supplier</th>"
            "<th>Invoice no.</th><th>Text</th><th>Amount</th><th>Account</th><th>VAT</th><th>Department</th>"
            f"<th>Accountant actions (sandbox)</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
            if rows
            else "<p>No draft entries.</p>"
        )
        book_all = _action_form(prefix, ag, journal, wanted, "book_journal", "Book the whole journal") if rows else ""
        return f"<section><h2>{esc(ag.name)} (agreement {ag.number})</h2>{notice}{table}<p>{book_all}</p></section>"

    def _voucher_buttons(self, ag: Agreement, entry: Entry, wanted: tuple[str, int] | None, prefix: str) -> str:
        voucher = (entry.year, entry.voucher)
        closed = self._closed_reason(ag, entry.year, date.fromisoformat(entry.data["date"]))
        period = (
            ("reopen_period", "Reopen the period of this entry's date")
            if closed
            else ("close_period", "Close the period of this entry's date")
        )
        book = _action_form(prefix, ag, entry.journal, wanted, "book_voucher", "Book this voucher", voucher)
        toggle = _action_form(prefix, ag, entry.journal, wanted, *period, voucher)
        note = f"<br><small>{html.escape(closed)}</small>" if closed else ""
        return f"{book} {toggle}{note}"

    def _voucher_page(self, raw: str, prefix: str) -> Response:
        """A booked voucher's ledger lines, in whichever agreement(s) and journal(s) booked that number."""
        wanted = _voucher_ref(raw)
        if wanted is None:
            return _page(404, "Voucher not found", f"<p>{html.escape(raw)} is not a voucher (year-number).</p>")
        ref = f"{wanted[0]}-{wanted[1]}"
        sections = []
        for ag in self._agreements.values():
            lines = self._ledger_lines(ag, wanted)
            for journal in sorted({line.get("_journal") for line in lines}, key=str):
                chosen = [line for line in lines if line.get("_journal") == journal]
                sections.append(_ledger_section(ag, journal, chosen, prefix))
        if not sections:
            drafts = [
                f"<li><a href='{html.escape(f'{prefix}/secure/journals/{e.journal}?voucher={ref}')}'>"
                f"{html.escape(ag.name)}, journal {e.journal}</a></li>"
                for ag in self._agreements.values()
                for e in ag.drafts.values()
                if (e.year, e.voucher) == wanted
            ]
            hint = f"<p>It is still a draft in:</p><ul>{''.join(dict.fromkeys(drafts))}</ul>" if drafts else ""
            return _page(404, "Voucher not found", f"<p>No booked voucher {html.escape(ref)}.</p>{hint}")
        return _page(200, f"Booked voucher {ref}", "".join(sections))

    @staticmethod
    def _drafts_of(ag: Agreement, journal: int, voucher: tuple[str, int]) -> list[Entry]:
        return [e for e in ag.drafts.values() if e.journal == journal and (e.year, e.voucher) == voucher]

    @staticmethod
    def _ledger_lines(ag: Agreement, voucher: tuple[str, int], journal: int | None = None) -> list[dict[str, Any]]:
        return [
            line
            for line in ag.booked.get(voucher[0], [])
            if line["voucherNumber"] == voucher[1] and (journal is None or line.get("_journal") == journal)
        ]

    def _page_action(self, form: dict[str, str], prefix: str) -> Response:
        """The accountant's buttons: the same booking and closing the API and the control API use."""
        ag = self._agreement_for(form.get("agreement"))
        journal = int(form["journal"]) if form.get("journal", "").isdigit() else -1
        if journal not in ag.journals:
            raise EconomicError(404, {"message": f"{ag.name} has no journal {form.get('journal')!r}"})
        action, voucher, shown = form.get("action", ""), form.get("voucher", ""), form.get("shown", "")
        journal_url = _journal_url(prefix, str(journal), shown)
        if action == "book_voucher":
            booked = self._book_checked(ag, self._chosen(ag, {"journal": journal, "vouchers": [voucher]}))
        elif action == "book_journal":
            booked = self._book_checked(ag, [e for e in ag.drafts.values() if e.journal == journal])
        elif action in ("close_period", "reopen_period"):
            entries = self._chosen(ag, {"journal": journal, "vouchers": [voucher]})
            self._action({"agreement": ag.number, "action": action, "date": entries[0].data["date"]})
            return redirect_response(journal_url)
        else:
            raise EconomicError(400, {"message": f"Unknown action {action!r}."})
        self.env.mark_dirty()
        landed = voucher if action == "book_voucher" else shown
        if _voucher_ref(landed) in booked:
            return redirect_response(f"{prefix}/secure/vouchers/{quote(landed)}")
        return redirect_response(journal_url)

    def home_html(self) -> str:
        """Each agreement with its journals and how many vouchers are draft and booked, linking to the journals."""
        with self._lock:
            parts = [_agreement_summary(ag) for ag in self._agreements.values()]
        return "".join(parts) or (
            "<p>No agreement yet: connect e-conomic from Roger's integration settings "
            "(or <code>POST /_sandbox/economic/agreements</code>).</p>"
        )

    # -- control API ---------------------------------------------------------------------------------------------
    def control(self, action: str, request: Request) -> Response:
        try:
            if action == "agreements" and request.method == "POST":
                body = self._control_body(request)
                with self._lock:
                    number = self._next_agreement
                    self._next_agreement += 1
                    agreement = seed_agreement(number, str(body.get("name") or f"Agreement {number}"))
                    self._seed_human_drafts(agreement)
                    self._agreements[number] = agreement
                    self.env.mark_dirty()
                return json_response(
                    201,
                    {
                        "agreement_number": number,
                        "agreement_grant_token": agreement.grant_token,
                        "app_secret_token": agreement.secret_token,
                        "journal_number": ROGER_JOURNAL,
                    },
                )
            if action == "state" and request.method == "GET":
                return json_response(200, self.state())
            if action == "actions" and request.method == "POST":
                return self._action(self._control_body(request))
        except EconomicError as exc:
            return json_response(exc.status, {"error": exc.body.get("message"), **exc.body})
        return json_response(404, {"error": f"unknown control action {action!r} for economic"})

    @staticmethod
    def _control_body(request: Request) -> dict[str, Any]:
        try:
            body = request.json() if request.body else {}
        except ValueError:
            raise EconomicError(400, {"message": "body must be JSON"}) from None
        if not isinstance(body, dict):
            raise EconomicError(400, {"message": "body must be a JSON object"})
        return body

    def _seed_human_drafts(self, ag: Agreement) -> None:
        """A human's drafts: one in the shared daily journal and one in Roger's journal (booking must skip it)."""
        today = date.today().isoformat()
        for journal in (HUMAN_JOURNAL, ROGER_JOURNAL):
            year = self._year_of(ag, date.today()) or str(date.today().year)
            number = ag.next_voucher.get((journal, year), 1)
            ag.used_vouchers.setdefault((journal, year), set()).add(number)
            ag.next_voucher[(journal, year)] = number + 1
            entry = Entry(
                number=ag.next_entry,
                journal=journal,
                year=year,
                voucher=number,
                entry_type="supplierInvoice",
                data={
                    "supplier": 200,
                    "amount": Decimal("500.00"),
                    "contraAccount": 2800,
                    "contraVatAccount": "I25",
                    "contraVatAmount": Decimal("100.00"),
                    "currency": "DKK",
                    "date": today,
                    "text": "Rent typed by the bookkeeper",
                    "supplierInvoiceNumber": "H-1",
                },
            )
            ag.next_entry += 1
            ag.drafts[entry.number] = entry

    def _agreement_for(self, ref: Any) -> Agreement:
        with self._lock:
            if isinstance(ref, int) or (isinstance(ref, str) and ref.isdigit()):
                found = self._agreements.get(int(ref))
            else:
                found = next((a for a in self._agreements.values() if a.grant_token == ref), None)
        if found is None:
            raise EconomicError(404, {"message": f"no agreement {ref!r}"})
        return found

    def _action(self, body: dict[str, Any]) -> Response:
        ag = self._agreement_for(body.get("agreement"))
        action = body.get("action")
        with self._lock:
            self.env.mark_dirty()
            if action == "revoke_grant":
                ag.revoked = True
                return json_response(200, {"ok": True, "revoked": True})
            if action == "book_journal":
                journal = int(body.get("journal", ROGER_JOURNAL))
                entries = [e for e in ag.drafts.values() if e.journal == journal]
                bookable = [
                    e for e in entries if not self._closed_reason(ag, e.year, date.fromisoformat(e.data["date"]))
                ]
                vouchers = self.book_entries(ag, bookable)
                return json_response(
                    200,
                    {
                        "ok": True,
                        "booked": [f"{y}-{v}" for y, v in vouchers],
                        "skipped": [e.number for e in entries if e not in bookable],
                    },
                )
            if action == "book_entries":
                chosen = self._chosen(ag, body)
                vouchers = self.book_entries(ag, chosen)
                return json_response(200, {"ok": True, "booked": [f"{y}-{v}" for y, v in vouchers]})
            if action == "delete_entry":
                for entry in self._chosen(ag, body):
                    del ag.drafts[entry.number]
                return json_response(200, {"ok": True})
            if action in ("close_period", "reopen_period"):
                closed = action == "close_period"
                changed = []
                if body.get("whole_year"):
                    year = str(body.get("year"))
                    if year not in ag.years:
                        raise EconomicError(404, {"message": f"no accounting year {year}"})
                    ag.years[year]["closed"] = closed
                    return json_response(200, {"ok": True, "year": year, "closed": closed})
                day = body.get("date")
                for year, info in ag.years.items():
                    for period in info["periods"]:
                        hit = (day and period["fromDate"] <= str(day) <= period["toDate"]) or (
                            str(body.get("year")) == year and body.get("period") == period["periodNumber"]
                        )
                        if hit:
                            period["closed"] = closed
                            changed.append({"year": year, **period})
                if not changed:
                    raise EconomicError(404, {"message": "no such period"})
                return json_response(200, {"ok": True, "periods": changed})
        raise EconomicError(400, {"message": f"unknown action {action!r}"})

    def _chosen(self, ag: Agreement, body: dict[str, Any]) -> list[Entry]:
        """Entries named by ``entries`` (journalEntryNumbers) or ``vouchers`` ("2026-7", in ``journal``)."""
        journal = int(body.get("journal", ROGER_JOURNAL))
        chosen: list[Entry] = []
        for number in body.get("entries") or []:
            entry = ag.drafts.get(int(number))
            if entry is None:
                raise EconomicError(404, {"message": f"no draft entry {number}"})
            chosen.append(entry)
        for ref in body.get("vouchers") or []:
            year, _, number = str(ref).rpartition("-")
            hits = [
                e for e in ag.drafts.values() if e.journal == journal and e.year == year and str(e.voucher) == number
            ]
            if not hits:
                raise EconomicError(404, {"message": f"no draft voucher {ref} in journal {journal}"})
            chosen.extend(hits)
        if not chosen:
            raise EconomicError(400, {"message": "name entries or vouchers"})
        return chosen

    def state(self) -> dict[str, Any]:
        base = "http://sandbox/economic"
        with self._lock:
            out: dict[str, Any] = {}
            for number, ag in self._agreements.items():
                journals = {}
                for journal, name in ag.journals.items():
                    entries = [
                        self._entry_json(e, base)
                        for e in sorted(ag.drafts.values(), key=lambda e: e.number)
                        if e.journal == journal
                    ]
                    journals[str(journal)] = {"name": name, "entries": entries}
                out[str(number)] = {
                    "name": ag.name,
                    "revoked": ag.revoked,
                    "journals": journals,
                    "bookedEntries": {
                        year: [{k: v for k, v in line.items() if not k.startswith("_")} for line in lines]
                        for year, lines in ag.booked.items()
                    },
                    "suppliers": [self._supplier_json(s, base) for s in ag.suppliers.values()],
                    "accountingYears": {year: {**info} for year, info in ag.years.items()},
                }
            return {"agreements": out}


# -- the web app's HTML (plain, like the Xero sandbox's pages; everything escaped) --------------------------------

APP_HOME = "/economic/app"  # the home page has no request to read the mount point from


def _page(status: int, title: str, body: str) -> Response:
    esc = html.escape
    return html_response(
        status,
        f"<!doctype html><html><head><meta charset='utf-8'><title>{esc(title)} — e-conomic sandbox</title>"
        "<style>tr.requested{background:#fff3b0}</style></head>"
        f"<body><p><a href='/'>ERP sandbox</a> · e-conomic sandbox</p><h1>{esc(title)}</h1>{body}"
        # A journal holds hundreds of entries: open at the one Roger's link asked for.
        "<script>document.getElementById('requested')?.scrollIntoView({block: 'center'})</script></body></html>",
    )


def _journal_url(prefix: str, journal: str, voucher: str = "") -> str:
    return f"{prefix}/secure/journals/{quote(journal)}" + (f"?voucher={quote(voucher)}" if voucher else "")


def _error_list(body: dict[str, Any], back: str = "") -> str:
    """An e-conomic error body as a list a person can read: the message, then each property's errors."""
    messages = [str(body.get("message") or "Refused.")]

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if "errorCode" in node and "message" in node:
                messages.append(f"{node['message']} ({node.get('value', '')})".replace(" ()", ""))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(body.get("errors"))
    items = "".join(f"<li>{html.escape(m)}</li>" for m in messages)
    link = f"<p><a href='{html.escape(back)}'>Back to the journal</a></p>" if back else ""
    return f"<ul class='errors'>{items}</ul>{link}"


def _voucher_ref(raw: str | None) -> tuple[str, int] | None:
    """ "2026-7" (the API's "2025_6_2026-7" too) → ("2026", 7)."""
    year, _, number = (raw or "").replace("_6_", "/").rpartition("-")
    return (year, int(number)) if year and number.isdigit() else None


def _action_form(
    prefix: str,
    ag: Agreement,
    journal: int,
    shown: tuple[str, int] | None,
    action: str,
    label: str,
    voucher: tuple[str, int] | None = None,
) -> str:
    fields = {"agreement": ag.number, "journal": journal, "action": action}
    if voucher:
        fields["voucher"] = f"{voucher[0]}-{voucher[1]}"
    if shown:
        fields["shown"] = f"{shown[0]}-{shown[1]}"  # the voucher the page was opened for, to come back to it
    hidden = "".join(
        f"<input type='hidden' name='{k}' value='{html.escape(str(v))}'>" for k, v in fields.items() if k != "action"
    )
    return (
        f"<form method='post' action='{html.escape(prefix)}/secure/act' style='display:inline'>{hidden}"
        f"<button name='action' value='{action}'>{html.escape(label)}</button></form>"
    )


def _supplier_name(ag: Agreement, number: Any) -> str:
    if number is None:
        return ""
    supplier = ag.suppliers.get(number)
    return f"{number} {supplier['name']}" if supplier else str(number)


def _account_name(ag: Agreement, number: Any) -> str:
    if number is None:
        return ""
    account = ag.accounts.get(number)
    return f"{number} {account['name']}" if account else str(number)


def _draft_row(ag: Agreement, entry: Entry, requested: bool, actions: str) -> str:
    esc = html.escape
    data = entry.data
    accounts = " / ".join(
        _account_name(ag, data[key]) for key in ("account", "contraAccount") if data.get(key) is not None
    )
    vat = f"{data['contraVatAccount']} {data.get('contraVatAmount', '')}" if data.get("contraVatAccount") else ""
    dist = ag.distributions.get(data.get("departmentalDistribution"))
    cells = [
        f"{entry.year}-{entry.voucher}",
        str(entry.number),
        entry.entry_type,
        data.get("date", ""),
        _supplier_name(ag, data.get("supplier")),
        data.get("supplierInvoiceNumber", ""),
        data.get("text", ""),
        f"{data['amount']} {data.get('currency', '')}",
        accounts,
        vat,
        dist["name"] if dist else "",
    ]
    marker = " class='requested' id='requested'" if requested else ""
    return f"<tr{marker}>{''.join(f'<td>{esc(str(c))}</td>' for c in cells)}<td>{actions}</td></tr>"


def _ledger_section(ag: Agreement, journal: Any, lines: list[dict[str, Any]], prefix: str) -> str:
    esc = html.escape
    rows = "".join(
        "<tr>"
        + "".join(
            f"<td>{esc(str(c))}</td>"
            for c in (
                line["entryNumber"],
                line["date"],
                _account_name(ag, line["account"]["accountNumber"]),
                f"{line['amount']} {line['currency']}",
                (line.get("vatAccount") or {}).get("vatCode", ""),
                _supplier_name(ag, (line.get("supplier") or {}).get("supplierNumber")),
                line.get("supplierInvoiceNumber", ""),
                line.get("dueDate", ""),
                line.get("text", ""),
            )
        )
        + "</tr>"
        for line in lines
    )
    name = ag.journals.get(journal, "") if isinstance(journal, int) else ""
    journal_link = f"<a href='{esc(f'{prefix}/secure/journals/{journal}')}'>journal {esc(str(journal))} {esc(name)}</a>"
    return (
        f"<section><h2>{esc(ag.name)} (agreement {ag.number})</h2>"
        f"<p>Booked from {journal_link} · {esc(lines[0]['entryType'])} · booked entries cannot be changed.</p>"
        "<table><thead><tr><th>Line</th><th>Date</th><th>Account</th><th>Amount</th><th>VAT</th><th>Supplier</th>"
        f"<th>Invoice no.</th><th>Due</th><th>Text</th></tr></thead><tbody>{rows}</tbody></table></section>"
    )


def _agreement_summary(ag: Agreement) -> str:
    esc = html.escape
    rows = []
    for journal, name in sorted(ag.journals.items()):
        drafts = {(e.year, e.voucher) for e in ag.drafts.values() if e.journal == journal}
        booked = {
            (year, line["voucherNumber"])
            for year, lines in ag.booked.items()
            for line in lines
            if line.get("_journal") == journal
        }
        rows.append(
            f"<tr><td><a href='{APP_HOME}/secure/journals/{journal}'>{journal} {esc(name)}</a></td>"
            f"<td>{len(drafts)}</td><td>{len(booked)}</td></tr>"
        )
    closed = [
        f"{p['fromDate']} to {p['toDate']}"
        for info in ag.years.values()
        for p in info["periods"]
        if p["closed"] or info["closed"]
    ]
    closed_note = f" · closed periods: {esc(', '.join(closed))}" if closed else ""
    revoked = " · grant revoked" if ag.revoked else ""
    return (
        f"<h3>{esc(ag.name)} (agreement {ag.number})</h3>"
        f"<p><a href='/_sandbox/economic/state'>state (JSON)</a>{revoked}{closed_note}</p>"
        "<table><thead><tr><th>Journal</th><th>Draft vouchers</th><th>Booked vouchers</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )
