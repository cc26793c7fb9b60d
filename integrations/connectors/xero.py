"""Xero: bills as ``ACCPAY`` invoices and their payments (``reference/erp_apis.md`` §1, DESIGN §6).

Shape of a call: ``throttle.slot()`` → one HTTP request with the tenant header, a bearer token from the
``TokenSource`` and, on writes, an ``Idempotency-Key`` → ``throttle.observe()`` with Xero's limit headers.
A 401 refreshes once and replays the same request once (Xero did not process it).

Markers: a bill carries Roger's marker in ``Url`` (also the "Go to Roger" link in Xero); a payment carries it
in ``Reference``.  Look-ups search those fields, so a lost link or an uncertain create is found again (R13).

Catalogue codes (what the mapping editors store):
* accounts: the account ``Code``;                 * tax rates: the ``TaxType``;
* bank accounts: the account ``Code`` (the ``AccountID`` for a bank account without a code);
* tracking options: ``"<Category name>: <Option name>"`` (group = the category name) — the same text Xero
  shows and that ``BillData.comparable()["tracking"]`` uses; ``parse_tracking_code`` splits it back;
* contacts: the ``ContactID`` (group = the ContactNumber, if any).
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

import requests

from integrations.connectors.base import (
    N_,
    BillData,
    CatalogItem,
    ConnectionInfo,
    Connector,
    ConnectorError,
    EntryKind,
    EntryState,
    ErpError,
    ErrorCategory,
    ItemResult,
    NoThrottle,
    Outcome,
    PaymentData,
    Throttle,
    TokenSource,
    TrackingRef,
    VendorData,
    WriteItem,
    batch_idempotency_key,
    chunks,
)
from integrations.connectors.http import (
    dumps,
    header_int,
    jsonable,
    make_session,
    network_error,
    parse_json_response,
    parse_retry_after,
    redact,
)

ERP = "Xero"
API_PREFIX = "/api.xro/2.0"
PAGE_SIZE = 100  # Xero returns up to 100 elements per page (line items included when paging)
WHERE_CHUNK = 10  # markers per OR-joined where filter: keeps URLs well under common 8 KB limits
IDS_CHUNK = 50  # InvoiceIDs per IDs= filter
BOOKED_BILL_STATUSES = {"PAID", "VOIDED", "DELETED"}
IDEMPOTENCY_REPLAY_WINDOW = 360.0  # Xero keeps a key for 6 minutes

_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_MS_DATE = re.compile(r"^/Date\((-?\d+)([+-]\d{4})?\)/$")
_CENT = Decimal("0.01")


# --- small pure helpers -------------------------------------------------------------------------------------


def parse_tracking_code(code: str) -> TrackingRef:
    """Split a tracking catalogue code ``"Category: Option"`` back into a ``TrackingRef``."""
    category, sep, option = code.partition(": ")
    if not sep or not category or not option:
        raise ValueError(f"not a Xero tracking code (expected 'Category: Option'): {code!r}")
    return TrackingRef(category=category, option=option)


def parse_xero_date(value: object) -> date | None:
    """Xero dates come as ``/Date(1539129600000+0000)/`` (JSON) or ISO ``2018-10-10[T00:00:00]``."""
    if not value or not isinstance(value, str):
        return None
    match = _MS_DATE.match(value.strip())
    if match:
        instant = datetime.fromtimestamp(int(match.group(1)) / 1000, UTC)
        if match.group(2):
            sign = 1 if match.group(2)[0] == "+" else -1
            instant += sign * timedelta(hours=int(match.group(2)[1:3]), minutes=int(match.group(2)[3:5]))
        return instant.date()
    try:
        return date.fromisoformat(value.strip()[:10])
    except ValueError:
        return None


def _date_of(element: Mapping[str, Any], name: str) -> date | None:
    # Xero sends both Date (/Date(ms)/) and DateString (ISO, org-local): the ISO one is unambiguous.
    return parse_xero_date(element.get(f"{name}String")) or parse_xero_date(element.get(name))


def _money(value: object) -> Decimal:
    if value is None or value == "":
        return Decimal(0)
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return Decimal(0)


def _fmt(value: object) -> str:
    return f"{_money(value):.2f}"


def _where_string(field: str, values: Iterable[str]) -> str:
    def quote(v: str) -> str:
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'

    return " OR ".join(f"{field}=={quote(v)}" for v in values)


def _where_guid(field: str, values: Iterable[str]) -> str:
    return " OR ".join(f'{field}==guid("{v}")' for v in values)


def _two_decimals(value: Decimal) -> bool:
    return value.is_finite() and value == value.quantize(_CENT)


def _err(category: ErrorCategory, message: str, field: str | None = None, hint: str = "", **kw: Any) -> ErpError:
    return ErpError(category=category, message=message, field=field, hint=hint, **kw)


# --- Xero's validation messages → Roger's fields ------------------------------------------------------------


@dataclass(frozen=True)
class _Rule:
    pattern: re.Pattern[str]
    category: ErrorCategory
    bill_field: str | None
    payment_field: str | None
    hint: str


def _rule(regex: str, category: ErrorCategory, bill: str | None, payment: str | None, hint: str) -> _Rule:
    return _Rule(re.compile(regex, re.IGNORECASE), category, bill, payment, hint)


_LOCK_HINT = N_(
    "The date is in a period that is locked in Xero. Ask your adviser to move the lock date in Xero, "
    "or enter this in Xero by hand."
)
# First match wins, so the specific rules come before the generic ones.
_RULES: tuple[_Rule, ...] = (
    _rule(r"lock date", ErrorCategory.BOOKED, "issue_date", "payment_date", _LOCK_HINT),
    _rule(
        r"not of valid status for modification|cannot be edited as it has a payment|payments or credit notes "
        r"allocated|cannot be applied to the invoice",
        ErrorCategory.BOOKED,
        None,
        None,
        N_(
            "The bill changed in Xero meanwhile (paid, credited or voided). Remove the payment or credit in Xero "
            "if the bill must change, then re-sync."
        ),
    ),
    _rule(
        r"reconciled",
        ErrorCategory.BOOKED,
        None,
        None,
        N_("The payment is reconciled in Xero. Un-reconcile it in Xero, then re-sync."),
    ),
    _rule(
        r"exceeds the amount outstanding|can only be made against authori[sz]ed",
        ErrorCategory.VALIDATION,
        "total",
        "amount",
        N_(
            "Someone may have paid or changed the bill in Xero already: check the bill's payments in Xero, "
            "remove a duplicate payment there or leave it, then re-sync."
        ),
    ),
    _rule(
        r"invalid for making a payment|bank account",
        ErrorCategory.SETUP,
        "category",
        "bank_account",
        N_("Pick an active Xero bank account for payments in the integration settings."),
    ),
    _rule(
        r"account ?code|account.*(archived|deleted|does not exist|not (a )?valid)|accountid",
        ErrorCategory.SETUP,
        "category",
        "bank_account",
        N_("Map the category to an active Xero account in the integration settings."),
    ),
    _rule(r"tax ?amount", ErrorCategory.VALIDATION, "vat", None, N_("Check the document's VAT amounts.")),
    _rule(
        r"tax ?type|tax ?rate|tax ?code",
        ErrorCategory.SETUP,
        "vat_code",
        None,
        N_("Map the VAT code to a Xero tax rate that can be used on bills."),
    ),
    _rule(
        r"tracking",
        ErrorCategory.SETUP,
        "department",
        None,
        N_("Map the department to an active Xero tracking option in the integration settings."),
    ),
    _rule(
        r"contact.*archived|archived.*contact",
        ErrorCategory.VALIDATION,
        "vendor",
        "vendor",
        N_("The supplier's contact is archived in Xero: restore it in Xero, then re-sync."),
    ),
    _rule(
        r"contact",
        ErrorCategory.VALIDATION,
        "vendor",
        "vendor",
        N_("Check the supplier's contact in Xero (name, merged or archived contacts), then re-sync."),
    ),
    _rule(
        r"currenc",
        ErrorCategory.VALIDATION,
        "currency",
        "currency",
        N_("Add the currency in Xero (Settings → Currencies) or correct it on the document."),
    ),
    _rule(r"due ?date", ErrorCategory.VALIDATION, "due_date", None, N_("Check the document's due date.")),
    _rule(r"\bdate\b", ErrorCategory.VALIDATION, "issue_date", "payment_date", N_("Check the document's dates.")),
    _rule(
        r"invoice ?number",
        ErrorCategory.VALIDATION,
        "invoice_number",
        "invoice_number",
        N_("Check the document's invoice number."),
    ),
    _rule(r"description", ErrorCategory.VALIDATION, "description", None, N_("Check the document's description.")),
    _rule(r"amount|total", ErrorCategory.VALIDATION, "total", "amount", N_("Check the document's amounts.")),
)
_SEVERITY = {ErrorCategory.BOOKED: 3, ErrorCategory.SETUP: 2, ErrorCategory.VALIDATION: 1}


def classify_validation(messages: Sequence[str], kind: EntryKind, *, status: int | None = None) -> ErpError:
    """Xero's ``ValidationErrors[].Message`` texts as one ``ErpError``; the messages are kept verbatim."""
    best: tuple[int, _Rule] | None = None
    for message in messages:
        for rule in _RULES:
            if rule.pattern.search(message):
                rank = _SEVERITY.get(rule.category, 0)
                if best is None or rank > best[0]:
                    best = (rank, rule)
                break
    text = "; ".join(m for m in messages if m) or N_("Xero refused the entry without saying why")
    if best is None:
        return _err(
            ErrorCategory.VALIDATION,
            text,
            None,
            N_("Correct the document and re-sync."),
            code="ValidationException",
            status=status,
        )
    rule = best[1]
    field = rule.payment_field if kind is EntryKind.PAYMENT else rule.bill_field
    return _err(rule.category, text, field, rule.hint, code="ValidationException", status=status)


def _messages(element: Mapping[str, Any]) -> list[str]:
    return [str(v.get("Message", "")) for v in element.get("ValidationErrors") or [] if isinstance(v, Mapping)]


def _element_failed(element: Mapping[str, Any]) -> bool:
    return bool(
        element.get("HasErrors")
        or element.get("HasValidationErrors")
        or _messages(element)
        or element.get("StatusAttributeString") == "ERROR"
    )


# --- local checks before any HTTP call (the "bad input" rules of issue 3) ------------------------------


def check_bill(data: BillData) -> ErpError | None:
    """A setup or validation error Roger can see without asking Xero, else None."""
    if not data.marker:
        return _err(ErrorCategory.VALIDATION, N_("The document has no Roger marker to put in Xero's Url field"))
    if not data.vendor.number:
        return _err(ErrorCategory.VALIDATION, N_("The supplier has no number in Roger"), "vendor")
    if not data.lines:
        return _err(ErrorCategory.VALIDATION, N_("The bill has no lines to send"), "total")
    for line in data.lines:
        if not line.account_code:
            return _err(
                ErrorCategory.SETUP,
                N_("No Xero account is mapped for this document's category"),
                "category",
                N_("Map the category to a Xero account in the integration settings."),
            )
        if not line.tax_type:
            return _err(
                ErrorCategory.SETUP,
                N_("No Xero tax rate is mapped for this document's VAT code"),
                "vat_code",
                N_("Map the VAT code to a Xero tax rate in the integration settings."),
            )
        if any(not t.category or not t.option for t in line.tracking):
            return _err(
                ErrorCategory.SETUP,
                N_("No Xero tracking option is mapped for this document's department"),
                "department",
                N_("Map the department to a Xero tracking option in the integration settings."),
            )
        if len(line.tracking) > 2:
            return _err(
                ErrorCategory.VALIDATION, N_("Xero allows at most 2 tracking categories on a line"), "department"
            )
        if not (_two_decimals(line.net_amount) and _two_decimals(line.vat_amount)):
            return _err(ErrorCategory.VALIDATION, N_("Amounts may have at most 2 decimals"), "total")
    return _check_bill_amounts(data)


def _check_bill_amounts(data: BillData) -> ErpError | None:
    if not (_two_decimals(data.total) and _two_decimals(data.vat)):
        return _err(ErrorCategory.VALIDATION, N_("Amounts may have at most 2 decimals"), "total")
    if data.total < 0:
        return _err(
            ErrorCategory.VALIDATION,
            N_("The total {total} is negative; enter a credit note instead").format(total=f"{data.total:.2f}"),
            "total",
        )
    if data.vat < 0 or data.vat > data.total:
        return _err(
            ErrorCategory.VALIDATION,
            N_("The VAT {vat} is not between 0 and the total {total}").format(
                vat=f"{data.vat:.2f}", total=f"{data.total:.2f}"
            ),
            "vat",
        )
    net = sum((line.net_amount for line in data.lines), Decimal(0))
    vat = sum((line.vat_amount for line in data.lines), Decimal(0))
    if vat != data.vat:
        message = N_("The lines' VAT adds up to {sum}, not {vat}").format(sum=f"{vat:.2f}", vat=f"{data.vat:.2f}")
        return _err(ErrorCategory.VALIDATION, message, "vat")
    if net + vat != data.total:
        return _err(
            ErrorCategory.VALIDATION,
            N_("The lines add up to {sum}, not the total {total}").format(
                sum=f"{net + vat:.2f}", total=f"{data.total:.2f}"
            ),
            "total",
        )
    if len(data.currency) != 3:
        message = N_("'{currency}' is not a currency code").format(currency=data.currency)
        return _err(ErrorCategory.VALIDATION, message, "currency")
    return None


def check_payment(data: PaymentData) -> ErpError | None:
    if not data.marker:
        return _err(ErrorCategory.VALIDATION, N_("The payment has no Roger marker to put in Xero's Reference"))
    if not data.bank_account:
        return _err(
            ErrorCategory.SETUP,
            N_("No Xero bank account is mapped for payments"),
            "bank_account",
            N_("Pick the Xero bank account payments are booked against in the integration settings."),
        )
    if not _two_decimals(data.amount):
        return _err(ErrorCategory.VALIDATION, N_("Amounts may have at most 2 decimals"), "amount")
    if data.amount <= 0:
        message = N_("The payment amount {amount} must be positive").format(amount=f"{data.amount:.2f}")
        return _err(ErrorCategory.VALIDATION, message, "amount")
    if not data.bill_erp_id:
        # The engine syncs the bill first; until it is in Xero the payment simply waits (retried).
        return _err(
            ErrorCategory.TEMPORARY,
            N_("The bill is not in Xero yet; the payment follows once it is"),
            hint=N_("Roger will try again after the bill is synced."),
        )
    return None


# --- request bodies -----------------------------------------------------------------------------------------


def bill_body(
    data: BillData,
    contact_id: str,
    *,
    invoice_id: str = "",
    line_item_ids: Sequence[str] = (),
    status: str | None = None,
) -> dict[str, Any]:
    """The ``Invoice`` element for ``data``; field order is fixed so bodies are byte-identical on retry."""
    body: dict[str, Any] = {}
    if invoice_id:
        body["InvoiceID"] = invoice_id
    body["Type"] = "ACCPAY"
    body["Contact"] = {"ContactID": contact_id}
    body["InvoiceNumber"] = data.invoice_number
    body["Url"] = data.marker
    body["Date"] = data.issue_date.isoformat()
    if data.due_date:
        body["DueDate"] = data.due_date.isoformat()
    body["CurrencyCode"] = data.currency
    # Exclusive + an explicit TaxAmount per line: Xero's Total = net + VAT = Roger's total, to the cent,
    # whatever rate Xero would have computed.
    body["LineAmountTypes"] = "Exclusive"
    body["Status"] = status or ("DRAFT" if data.draft else "AUTHORISED")
    body["LineItems"] = [
        _line_body(line, line_item_ids[i] if i < len(line_item_ids) else "") for i, line in enumerate(data.lines)
    ]
    return body


def _line_body(line: Any, line_item_id: str) -> dict[str, Any]:
    item: dict[str, Any] = {}
    if line_item_id:
        item["LineItemID"] = line_item_id  # keeps the line: without it Xero deletes and recreates lines
    if line.description:  # Xero takes a line without one; a placeholder would read as a change on every sync
        item["Description"] = line.description
    item["Quantity"] = Decimal(1)
    item["UnitAmount"] = line.net_amount
    item["LineAmount"] = line.net_amount
    item["AccountCode"] = line.account_code
    item["TaxType"] = line.tax_type
    item["TaxAmount"] = line.vat_amount
    if line.tracking:
        item["Tracking"] = [{"Name": t.category, "Option": t.option} for t in line.tracking]
    return item


def account_ref(code: str) -> dict[str, str]:
    # Not every Xero bank account has a code; the bank-account catalogue then offers its AccountID.
    return {"AccountID": code} if _UUID.match(code) else {"Code": code}


def payment_body(data: PaymentData) -> dict[str, Any]:
    return {
        "Invoice": {"InvoiceID": data.bill_erp_id},
        "Account": account_ref(data.bank_account),
        "Date": data.payment_date.isoformat(),
        "Amount": data.amount,
        "Reference": data.marker,
    }


# --- reading Xero's JSON back into EntryState ------------------------------------------------------------


@dataclass(frozen=True)
class LockDates:
    period: date | None = None
    end_of_year: date | None = None

    def reason(self, when: date | None) -> str:
        """Why an entry dated ``when`` is locked, or ''."""
        if when is None:
            return ""
        for lock, message in (
            (self.end_of_year, N_("Dated {date}, on or before Xero's end of year lock date {lock}")),
            (self.period, N_("Dated {date}, on or before Xero's period lock date {lock}")),
        ):
            if lock is not None and when <= lock:
                return message.format(date=when.isoformat(), lock=lock.isoformat())
        return ""


def _bill_booked(inv: Mapping[str, Any], locks: LockDates) -> tuple[str, str]:
    status = str(inv.get("Status", ""))
    if status == "PAID":
        return N_("Paid in Xero"), N_("Remove the payment in Xero if the bill must change, then re-sync.")
    if status == "VOIDED":
        return N_("Voided in Xero"), N_("A voided bill cannot change; enter it again in Xero if it is still owed.")
    if status == "DELETED":
        return (
            N_("Deleted in Xero"),
            N_("A deleted bill cannot be restored; enter it again in Xero if it is still owed."),
        )
    if _money(inv.get("AmountPaid")) > 0:
        return N_("Has a payment allocated in Xero"), N_("Remove the payment in Xero, then re-sync.")
    if _money(inv.get("AmountCredited")) > 0:
        return (
            N_("Has a credit note or prepayment allocated in Xero"),
            N_("Remove the credit allocation in Xero, then re-sync."),
        )
    reason = locks.reason(_date_of(inv, "Date"))
    if reason:
        return reason, N_("Ask your adviser to move the lock date, or void and re-enter the bill in Xero.")
    return "", ""


def _tracking_text(tracking: Iterable[Mapping[str, Any]]) -> str:
    return ", ".join(f"{t.get('Name', '')}: {t.get('Option', '')}" for t in tracking)


def bill_fields(inv: Mapping[str, Any]) -> dict[str, str]:
    """Xero's bill in the keys and formats of ``BillData.comparable()``."""
    lines = inv.get("LineItems") or []
    line = lines[0] if lines else {}
    issue, due = _date_of(inv, "Date"), _date_of(inv, "DueDate")
    return {
        "vendor": str((inv.get("Contact") or {}).get("Name", "")),
        "invoice_number": str(inv.get("InvoiceNumber", "") or ""),
        "issue_date": issue.isoformat() if issue else "",
        "due_date": due.isoformat() if due else "",
        "currency": str(inv.get("CurrencyCode", "") or ""),
        "total": _fmt(inv.get("Total")),
        "vat": _fmt(inv.get("TotalTax")),
        "account": str(line.get("AccountCode", "") or ""),
        "tax_type": str(line.get("TaxType", "") or ""),
        "tracking": _tracking_text(line.get("Tracking") or []),
        "description": str(line.get("Description", "") or ""),
    }


def payment_fields(pay: Mapping[str, Any]) -> dict[str, str]:
    account = pay.get("Account") or {}
    invoice = pay.get("Invoice") or {}
    when = _date_of(pay, "Date")
    return {
        "bank_account": str(account.get("Code") or account.get("AccountID") or ""),
        "payment_date": when.isoformat() if when else "",
        "amount": _fmt(pay.get("Amount")),
        "currency": str(invoice.get("CurrencyCode", "") or ""),
    }


# --- the connector ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Reply:
    status: int
    data: Any
    headers: Mapping[str, str]


class XeroConnector(Connector):
    kind = "xero"
    max_batch = 50

    def __init__(
        self,
        *,
        api_url: str = "https://api.xero.com",
        tenant_id: str,
        tokens: TokenSource,
        throttle: Throttle | None = None,
        session: requests.Session | None = None,
        go_url: str = "https://go.xero.com",
        timeout: tuple[float, float] = (3.05, 30),
    ):
        self._base = api_url.rstrip("/") + API_PREFIX
        self._tenant_id = tenant_id
        self._tokens = tokens
        self._throttle: Throttle = throttle if throttle is not None else NoThrottle()
        self._session = session if session is not None else make_session(timeout=timeout)
        self._go_url = go_url.rstrip("/")
        self._timeout = timeout
        self._contacts: dict[str, str] = {}  # VendorData.number → ContactID, for this instance's lifetime
        self._locks: LockDates | None = None
        self._organisation: Mapping[str, Any] | None = None
        self.last_rate_limits: dict[str, int | None] = {}  # Xero's X-*Limit-Remaining, from the last reply

    def __repr__(self) -> str:  # never the token source's contents
        return f"XeroConnector(tenant_id={self._tenant_id!r}, api={self._base!r})"

    # --- transport --------------------------------------------------------------------------------------

    def _send(
        self,
        method: str,
        path: str,
        params: Any,
        content: bytes | None,
        token: str,
        idempotency_key: str | None,
    ) -> requests.Response:
        headers = {
            "Authorization": f"Bearer {token}",
            "xero-tenant-id": self._tenant_id,
            "Accept": "application/json",
        }
        if content is not None:
            headers["Content-Type"] = "application/json"
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        try:
            with self._throttle.slot():
                response = self._session.request(
                    method,
                    self._base + path,
                    params=params,
                    data=content,
                    headers=headers,
                    timeout=self._timeout,
                )
        except requests.RequestException as exc:
            raise network_error(exc, erp=ERP, write=method != "GET") from None
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        self.last_rate_limits = {
            "day": header_int(response.headers, "X-DayLimit-Remaining"),
            "minute": header_int(response.headers, "X-MinLimit-Remaining"),
            "app_minute": header_int(response.headers, "X-AppMinLimit-Remaining"),
        }
        self._throttle.observe(status=response.status_code, headers=response.headers, retry_after=retry_after)
        return response

    def _request(
        self,
        method: str,
        path: str,
        *,
        params: Sequence[tuple[str, str]] | None = None,
        body: Any = None,
        idempotency_key: str | None = None,
        allow_404: bool = False,
    ) -> _Reply:
        content = dumps(body) if body is not None else None
        token = self._tokens.access_token()
        response = self._send(method, path, params, content, token, idempotency_key)
        if response.status_code == 401:
            # A 401 means Xero did not process the request: refresh once and send the very same request again.
            token = self._tokens.refresh_after_401(token)
            response = self._send(method, path, params, content, token, idempotency_key)
            if response.status_code == 401:
                raise ConnectorError(
                    _err(
                        ErrorCategory.AUTHENTICATION,
                        N_("Xero refused the access token even after a refresh"),
                        hint=N_("Reconnect the Xero integration in the integration settings."),
                        status=401,
                    )
                )
        return self._interpret(response, write=method != "GET", allow_404=allow_404, secrets=(token,))

    def _interpret(
        self, response: requests.Response, *, write: bool, allow_404: bool, secrets: Sequence[str]
    ) -> _Reply:
        status = response.status_code
        if 200 <= status < 300:
            return _Reply(status, parse_json_response(response, erp=ERP, write=write), response.headers)
        if status == 400:
            data = parse_json_response(response, erp=ERP, write=False)
            conflict = _idempotency_conflict(data)
            if conflict:
                # Another body went out under this key moments ago (Xero keeps keys for 6 minutes). Nothing
                # was processed; Xero may word it at the top level or inside Elements.
                raise ConnectorError(
                    _err(
                        ErrorCategory.TEMPORARY,
                        conflict,
                        hint=N_("Roger will send it again once Xero forgets the key."),
                        retry_after=IDEMPOTENCY_REPLAY_WINDOW,
                        code="IdempotencyKeyConflict",
                        status=400,
                    )
                )
            if isinstance(data, Mapping) and data.get("Elements"):
                return _Reply(status, data, response.headers)
            raise ConnectorError(self._error_400(data))
        if status == 404 and allow_404:
            return _Reply(status, None, response.headers)
        raise ConnectorError(self._status_error(response, write=write, secrets=secrets))

    def _error_400(self, data: Any) -> ErpError:
        message = (
            str(data.get("Message") or data.get("Detail") or N_("Xero refused the request"))
            if isinstance(data, Mapping)
            else N_("Xero refused the request")
        )
        code = str(data.get("Type") or "") if isinstance(data, Mapping) else None
        return _err(
            ErrorCategory.VALIDATION, message, hint=N_("Correct the document and re-sync."), code=code, status=400
        )

    def _status_error(self, response: requests.Response, *, write: bool, secrets: Sequence[str]) -> ErpError:
        status = response.status_code
        detail = redact(_error_text(response), secrets)
        if status == 429:
            return self._rate_limited(response, detail)
        if status in (401, 403):
            gone = "AuthenticationUnsuccessful" in detail or status == 403
            return _err(
                ErrorCategory.AUTHENTICATION,
                N_("Xero refused access: {detail}").format(detail=detail) if detail else N_("Xero refused access"),
                hint=(N_("The organisation is no longer connected to Roger.") + " " if gone else "")
                + N_("Reconnect the Xero integration in the integration settings."),
                code="AuthenticationUnsuccessful" if "AuthenticationUnsuccessful" in detail else None,
                status=status,
            )
        if status >= 500:
            return _err(
                ErrorCategory.TEMPORARY,
                N_("Xero is unavailable (HTTP {status}): {detail}").format(status=status, detail=detail)
                if detail
                else N_("Xero is unavailable (HTTP {status})").format(status=status),
                hint=(
                    N_("Xero may have saved the change; Roger checks before sending it again.")
                    if write
                    else N_("Roger will try again.")
                ),
                retry_after=parse_retry_after(response.headers.get("Retry-After")),
                uncertain=write,
                status=status,
            )
        if status == 404:
            return _err(
                ErrorCategory.VALIDATION,
                N_("Not found in Xero (HTTP 404): {detail}").format(detail=detail)
                if detail
                else N_("Not found in Xero (HTTP 404)"),
                hint=N_("The entry may have been removed in Xero; re-sync to create it again."),
                status=404,
            )
        return _err(
            ErrorCategory.VALIDATION,
            N_("Xero refused the request (HTTP {status}): {detail}").format(status=status, detail=detail)
            if detail
            else N_("Xero refused the request (HTTP {status})").format(status=status),
            status=status,
        )

    def _rate_limited(self, response: requests.Response, detail: str) -> ErpError:
        problem = response.headers.get("X-Rate-Limit-Problem") or None
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        limit = problem or "unknown"
        return _err(
            ErrorCategory.TEMPORARY,
            N_("Xero rate limit reached ({limit} limit); retry after {seconds} s").format(
                limit=limit, seconds=f"{retry_after:g}"
            )
            if retry_after is not None
            else N_("Xero rate limit reached ({limit} limit)").format(limit=limit),
            hint=N_("Roger slows down and tries again automatically."),
            retry_after=retry_after,
            code=problem,
            status=429,
        )

    def _get_all(self, path: str, key: str, params: Sequence[tuple[str, str]]) -> list[dict[str, Any]]:
        """Every element of a paged list (100 a page; paging also makes Xero include line items)."""
        out: list[dict[str, Any]] = []
        page = 1
        while True:
            reply = self._request("GET", path, params=[*params, ("page", str(page))])
            batch = list((reply.data or {}).get(key) or [])
            out.extend(batch)
            if len(batch) < PAGE_SIZE:
                return out
            page += 1

    # --- organisation and lock dates -----------------------------------------------------------------

    def _org(self) -> Mapping[str, Any]:
        if self._organisation is None:
            reply = self._request("GET", "/Organisation")
            orgs = (reply.data or {}).get("Organisations") or [{}]
            self._organisation = orgs[0]
            self._locks = LockDates(
                period=parse_xero_date(self._organisation.get("PeriodLockDate")),
                end_of_year=parse_xero_date(self._organisation.get("EndOfYearLockDate")),
            )
        return self._organisation

    def _lock_dates(self) -> LockDates:
        self._org()
        assert self._locks is not None
        return self._locks

    def check_connection(self) -> ConnectionInfo:
        try:
            self._organisation = None
            org = self._org()
        except ConnectorError as exc:
            return ConnectionInfo(ok=False, message=exc.error.message)
        return ConnectionInfo(ok=True, organisation=str(org.get("Name", "")))

    # --- states ---------------------------------------------------------------------------------------

    def deep_link(self, invoice_id: str) -> str:
        return f"{self._go_url}/AccountsPayable/View.aspx?InvoiceID={invoice_id}"

    def _bill_state(self, inv: Mapping[str, Any], locks: LockDates) -> EntryState:
        reason, hint = _bill_booked(inv, locks)
        invoice_id = str(inv.get("InvoiceID", ""))
        return EntryState(
            erp_id=invoice_id,
            kind=EntryKind.BILL,
            number=str(inv.get("InvoiceNumber", "") or ""),
            status=str(inv.get("Status", "")),
            booked=bool(reason),
            booked_reason=reason,
            booked_hint=hint,
            url=self.deep_link(invoice_id) if invoice_id else "",
            marker=str(inv.get("Url", "") or ""),
            fields=bill_fields(inv),
        )

    def _payment_state(self, pay: Mapping[str, Any], locks: LockDates) -> EntryState:
        status = str(pay.get("Status", ""))
        invoice = pay.get("Invoice") or {}
        reason, hint = "", ""
        if pay.get("IsReconciled"):
            reason, hint = (
                N_("Reconciled with a bank statement line in Xero"),
                (N_("Un-reconcile the payment in Xero, then re-sync.")),
            )
        elif status != "DELETED":
            reason = locks.reason(_date_of(pay, "Date"))
            hint = (
                N_("Ask your adviser to move the lock date, or change the payment in Xero by hand.") if reason else ""
            )
        invoice_id = str(invoice.get("InvoiceID", "") or "")
        return EntryState(
            erp_id=str(pay.get("PaymentID", "")),
            kind=EntryKind.PAYMENT,
            number=str(invoice.get("InvoiceNumber", "") or ""),
            status=status,
            booked=bool(reason),
            booked_reason=reason,
            booked_hint=hint,
            url=self.deep_link(invoice_id) if invoice_id else "",
            marker=str(pay.get("Reference", "") or ""),
            fields=payment_fields(pay),
            # A deleted payment is gone for Roger's purposes: it is how Xero "edits" payments (delete + new).
            exists=status != "DELETED",
        )

    # --- reads ----------------------------------------------------------------------------------------

    def _invoices_by_id(self, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        wanted = [i for i in dict.fromkeys(ids) if _UUID.match(i)]
        for chunk in chunks(wanted, IDS_CHUNK):
            for inv in self._get_all("/Invoices", "Invoices", [("IDs", ",".join(chunk))]):
                found[str(inv.get("InvoiceID", "")).lower()] = inv
        return {i: found[i.lower()] for i in ids if i.lower() in found}

    def _payments_by_id(self, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        wanted = [i for i in dict.fromkeys(ids) if _UUID.match(i)]
        for chunk in chunks(wanted, WHERE_CHUNK):
            for pay in self._get_all("/Payments", "Payments", [("where", _where_guid("PaymentID", chunk))]):
                found[str(pay.get("PaymentID", "")).lower()] = pay
        return {i: found[i.lower()] for i in ids if i.lower() in found}

    def read(self, kind: EntryKind, erp_ids: Sequence[str]) -> dict[str, EntryState]:
        if not erp_ids:
            return {}
        locks = self._lock_dates()
        if kind is EntryKind.BILL:
            raw = self._invoices_by_id(erp_ids)
            make: Callable[[Mapping[str, Any], LockDates], EntryState] = self._bill_state
        else:
            raw = self._payments_by_id(erp_ids)
            make = self._payment_state
        return {i: make(raw[i], locks) if i in raw else EntryState(erp_id=i, kind=kind, exists=False) for i in erp_ids}

    def lookup(self, kind: EntryKind, markers: Sequence[str]) -> dict[str, list[EntryState]]:
        out: dict[str, list[EntryState]] = {m: [] for m in markers}
        wanted = [m for m in dict.fromkeys(markers) if m]
        if not wanted:
            return out
        locks = self._lock_dates()
        for chunk in chunks(wanted, WHERE_CHUNK):
            if kind is EntryKind.BILL:
                elements = self._get_all("/Invoices", "Invoices", [("where", _where_string("Url", chunk))])
                for inv in elements:
                    # The where filter is on Url only; bills are the ACCPAY ones (a sales invoice could link
                    # to the same URL in theory, never a bill of Roger's).
                    if inv.get("Type") == "ACCPAY" and inv.get("Url") in out:
                        out[inv["Url"]].append(self._bill_state(inv, locks))
            else:
                elements = self._get_all("/Payments", "Payments", [("where", _where_string("Reference", chunk))])
                for pay in elements:
                    if pay.get("Reference") in out:
                        out[pay["Reference"]].append(self._payment_state(pay, locks))
        return out

    # --- contacts -------------------------------------------------------------------------------------

    def _contacts_where(self, field: str, values: Sequence[str]) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        for chunk in chunks(list(dict.fromkeys(values)), WHERE_CHUNK):
            # includeArchived: an archived contact is still the supplier's contact; creating a second one
            # would be the duplicate R13 forbids (Xero then says it is archived, fixable in Xero).
            found.extend(
                self._get_all(
                    "/Contacts",
                    "Contacts",
                    [("where", _where_string(field, chunk)), ("includeArchived", "true")],
                )
            )
        return found

    def resolve_contacts(self, vendors: Sequence[VendorData]) -> dict[str, str | ErpError]:
        """VendorData.number → ContactID: by ContactNumber, then TaxNumber, else created once."""
        result: dict[str, str | ErpError] = {}
        pending = {v.number: v for v in vendors if v.number}
        for number in list(pending):
            if number in self._contacts:
                result[number] = self._contacts[number]
                del pending[number]
        if pending:
            self._match_contacts(pending, result)
        if pending:
            self._create_contacts(pending, result)
        return result

    def _match_contacts(self, pending: dict[str, VendorData], result: dict[str, str | ErpError]) -> None:
        for contact in sorted(self._contacts_where("ContactNumber", list(pending)), key=_contact_rank):
            number = contact.get("ContactNumber")
            if number in pending and contact.get("ContactID"):
                self._contacts[number] = result[number] = str(contact["ContactID"])
                del pending[number]
        by_tax: dict[str, list[str]] = {}
        for v in pending.values():
            if v.tax_number:
                by_tax.setdefault(_norm_tax(v.tax_number), []).append(v.number)
        if not by_tax:
            return
        taxes = [v.tax_number for v in pending.values() if v.tax_number]
        for contact in sorted(self._contacts_where("TaxNumber", taxes), key=_contact_rank):
            for number in by_tax.get(_norm_tax(str(contact.get("TaxNumber") or "")), []):
                if number in pending and contact.get("ContactID"):
                    self._contacts[number] = result[number] = str(contact["ContactID"])
                    del pending[number]

    def _create_contacts(self, pending: dict[str, VendorData], result: dict[str, str | ErpError]) -> None:
        vendors = sorted(pending.values(), key=lambda v: v.number)
        for chunk in chunks(vendors, self.max_batch):
            bodies = [_contact_body(v) for v in chunk]
            key = "roger-contacts-" + hashlib.sha256(dumps([self._tenant_id, bodies])).hexdigest()
            try:
                reply = self._request(
                    "PUT",
                    "/Contacts",
                    params=[("summarizeErrors", "false")],
                    body={"Contacts": bodies},
                    idempotency_key=key,
                )
            except ConnectorError as exc:
                # The bills were not sent: their outcome is certain even if the contacts' is not (the next
                # attempt finds a contact created meanwhile by its ContactNumber).
                raise ConnectorError(_replace(exc.error, uncertain=False)) from None
            elements = _elements(reply, "Contacts")
            for i, vendor in enumerate(chunk):
                element = elements[i] if i < len(elements) else {}
                if element and not _element_failed(element) and element.get("ContactID"):
                    self._contacts[vendor.number] = result[vendor.number] = str(element["ContactID"])
                else:
                    error = classify_validation(
                        _messages(element) or [N_("Xero did not create the contact")],
                        EntryKind.BILL,
                        status=reply.status,
                    )
                    result[vendor.number] = _replace(
                        error,
                        category=ErrorCategory.VALIDATION,
                        field="vendor",
                        hint=N_(
                            "Xero would not create a contact for '{vendor}'. If a contact with that name already "
                            "exists in Xero, add the supplier's tax number to it (Roger then uses it) or rename one "
                            "of them; then re-sync."
                        ).format(vendor=vendor.name),
                    )
                pending.pop(vendor.number, None)

    # --- writes: shared plumbing ---------------------------------------------------------------------

    def _write_batch(
        self,
        kind: EntryKind,
        method: str,
        path: str,
        wrapper: str,
        batch: Sequence[tuple[WriteItem, dict[str, Any]]],
        outcome: Outcome,
    ) -> list[ItemResult]:
        """One batch write with ``summarizeErrors=false``: one result per element, matched by position."""
        items = [item for item, _ in batch]
        bodies = [body for _, body in batch]
        reply = self._request(
            method,
            path,
            params=[("summarizeErrors", "false")],
            body={wrapper: bodies},
            idempotency_key=batch_idempotency_key("roger", items),
        )
        elements = _elements(reply, wrapper)
        locks = self._locks or LockDates()
        results: list[ItemResult] = []
        if len(elements) != len(items):
            # Xero summarised (or lost) elements: which ones were saved is unknown, so reconcile them all.
            error = _err(
                ErrorCategory.TEMPORARY if reply.status < 400 else ErrorCategory.VALIDATION,
                _summary_message(reply.data),
                hint=N_("Roger checks Xero before sending again."),
                uncertain=True,
                code="ValidationException" if reply.status == 400 else None,
                status=reply.status,
            )
            return [ItemResult(i.ref, Outcome.FAILED, error=error, sent=jsonable(b)) for i, b in batch]
        for item, body, element in zip(items, bodies, elements, strict=True):
            if _element_failed(element):
                error = classify_validation(_messages(element), kind, status=reply.status)
                results.append(ItemResult(item.ref, Outcome.FAILED, error=error, sent=jsonable(body)))
                continue
            state = self._bill_state(element, locks) if kind is EntryKind.BILL else self._payment_state(element, locks)
            results.append(ItemResult(item.ref, outcome, state=state, sent=jsonable(body)))
        return results

    def _run_batches(
        self,
        kind: EntryKind,
        method: str,
        path: str,
        wrapper: str,
        todo: Sequence[tuple[WriteItem, dict[str, Any]]],
        outcome: Outcome,
    ) -> dict[str, ItemResult]:
        """Batches of ≤ 50.  A whole-call failure raises if nothing was written yet; after a batch went
        through, the failure is reported per item instead so the written batches' ids are not lost."""
        done: dict[str, ItemResult] = {}
        for index, batch in enumerate(chunks(todo, self.max_batch)):
            try:
                results = self._write_batch(kind, method, path, wrapper, batch, outcome)
            except ConnectorError as exc:
                if not done:
                    raise
                sent_later = [b for later in list(chunks(todo, self.max_batch))[index + 1 :] for b in later]
                for item, body in batch:
                    done[item.ref] = ItemResult(item.ref, Outcome.FAILED, error=exc.error, sent=jsonable(body))
                for item, body in sent_later:
                    done[item.ref] = ItemResult(
                        item.ref,
                        Outcome.FAILED,
                        error=_replace(exc.error, uncertain=False),
                        sent=jsonable(body),
                    )
                return done
            done.update((r.ref, r) for r in results)
        return done

    # --- create ---------------------------------------------------------------------------------------

    def create(self, kind: EntryKind, items: Sequence[WriteItem]) -> list[ItemResult]:
        if kind is EntryKind.BILL:
            return self._create_bills(items)
        return self._create_payments(items)

    def _create_bills(self, items: Sequence[WriteItem]) -> list[ItemResult]:
        results: dict[str, ItemResult] = {}
        valid = self._prechecked(items, results)
        if valid:
            self._lock_dates()
            contacts = self.resolve_contacts([_bill(i).vendor for i in valid])
            todo: list[tuple[WriteItem, dict[str, Any]]] = []
            for item in valid:
                contact = contacts.get(_bill(item).vendor.number)
                if isinstance(contact, str):
                    todo.append((item, bill_body(_bill(item), contact)))
                else:
                    results[item.ref] = ItemResult(item.ref, Outcome.FAILED, error=contact or _no_contact())
            results.update(self._run_batches(EntryKind.BILL, "PUT", "/Invoices", "Invoices", todo, Outcome.CREATED))
        return [results[i.ref] for i in items]

    def _create_payments(self, items: Sequence[WriteItem]) -> list[ItemResult]:
        results: dict[str, ItemResult] = {}
        valid = self._prechecked(items, results)
        if valid:
            self._lock_dates()
            todo = [(item, payment_body(_payment(item))) for item in valid]
            results.update(self._run_batches(EntryKind.PAYMENT, "PUT", "/Payments", "Payments", todo, Outcome.CREATED))
        return [results[i.ref] for i in items]

    def _prechecked(self, items: Sequence[WriteItem], results: dict[str, ItemResult]) -> list[WriteItem]:
        valid = []
        for item in items:
            data = item.data
            error = check_bill(data) if isinstance(data, BillData) else check_payment(data)
            if error is None:
                valid.append(item)
            else:
                results[item.ref] = ItemResult(item.ref, Outcome.FAILED, error=error)
        return valid

    # --- update ---------------------------------------------------------------------------------------

    def update(self, kind: EntryKind, items: Sequence[WriteItem]) -> list[ItemResult]:
        if kind is EntryKind.BILL:
            return self._update_bills(items)
        return self._update_payments(items)

    def _current(
        self,
        kind: EntryKind,
        items: Sequence[WriteItem],
        results: dict[str, ItemResult],
        fetch: Callable[[Sequence[str]], dict[str, dict[str, Any]]],
    ) -> list[tuple[WriteItem, dict[str, Any], EntryState]]:
        """Read what Xero has now; settle the missing and the booked ones (never written)."""
        locks = self._lock_dates()
        raw = fetch([i.erp_id for i in items])
        live = []
        for item in items:
            element = raw.get(item.erp_id)
            if element is None:
                results[item.ref] = ItemResult(
                    item.ref,
                    Outcome.FAILED,
                    state=EntryState(erp_id=item.erp_id, kind=kind, exists=False),
                    error=_err(
                        ErrorCategory.VALIDATION,
                        N_("Xero no longer has the entry {erp_id}").format(erp_id=item.erp_id),
                        hint=N_("Re-sync to create it again."),
                    ),
                )
                continue
            state = (self._bill_state if kind is EntryKind.BILL else self._payment_state)(element, locks)
            if not state.exists:
                results[item.ref] = ItemResult(
                    item.ref,
                    Outcome.FAILED,
                    state=state,
                    error=_err(
                        ErrorCategory.VALIDATION,
                        N_("The payment was deleted in Xero"),
                        hint=N_("Re-sync to create it again."),
                    ),
                )
            elif state.booked:
                results[item.ref] = ItemResult(
                    item.ref,
                    Outcome.BLOCKED,
                    state=state,
                    error=_err(ErrorCategory.BOOKED, state.booked_reason, hint=state.booked_hint),
                )
            else:
                live.append((item, element, state))
        return live

    def _update_bills(self, items: Sequence[WriteItem]) -> list[ItemResult]:
        results: dict[str, ItemResult] = {}
        valid = self._prechecked(items, results)
        live = self._current(EntryKind.BILL, valid, results, self._invoices_by_id) if valid else []
        changed = []
        for item, inv, state in live:
            status = _update_status(_bill(item), inv)
            if self._bill_unchanged(_bill(item), inv, state, status):
                results[item.ref] = ItemResult(item.ref, Outcome.UNCHANGED, state=state)
            else:
                changed.append((item, inv, status))
        if changed:
            contacts = self.resolve_contacts([_bill(i).vendor for i, _, _ in changed])
            todo = []
            for item, inv, status in changed:
                contact = contacts.get(_bill(item).vendor.number)
                if not isinstance(contact, str):
                    results[item.ref] = ItemResult(item.ref, Outcome.FAILED, error=contact or _no_contact())
                    continue
                line_ids = [str(li["LineItemID"]) for li in inv.get("LineItems") or [] if li.get("LineItemID")]
                body = bill_body(_bill(item), contact, invoice_id=item.erp_id, line_item_ids=line_ids, status=status)
                todo.append((item, body))
            results.update(self._run_batches(EntryKind.BILL, "POST", "/Invoices", "Invoices", todo, Outcome.UPDATED))
        return [results[i.ref] for i in items]

    def _bill_unchanged(self, data: BillData, inv: Mapping[str, Any], state: EntryState, status: str) -> bool:
        want, have = data.comparable(), dict(state.fields)
        # Xero may order a line's tracking categories its own way, and fills in a due date from the supplier's
        # terms when Roger sends none: neither is a difference worth an update (it would repeat forever).
        if _tracking_set(want.pop("tracking")) != _tracking_set(have.pop("tracking")):
            return False
        if not want["due_date"]:
            have["due_date"] = ""
        contact = inv.get("Contact") or {}
        same_vendor = (
            want.pop("vendor") == have.pop("vendor")
            or contact.get("ContactNumber") == data.vendor.number
            or (bool(contact.get("ContactID")) and contact.get("ContactID") == self._contacts.get(data.vendor.number))
        )
        return (
            same_vendor
            and want == have
            and state.status == status
            and inv.get("LineAmountTypes", "Exclusive") == "Exclusive"
            and (inv.get("Url") or "") == data.marker
            and _lines_signature(inv.get("LineItems") or []) == _data_lines_signature(data)
        )

    def _update_payments(self, items: Sequence[WriteItem]) -> list[ItemResult]:
        results: dict[str, ItemResult] = {}
        valid = self._prechecked(items, results)
        live = self._current(EntryKind.PAYMENT, valid, results, self._payments_by_id) if valid else []
        recreate: list[WriteItem] = []
        for item, pay, state in live:
            if _payment_unchanged(_payment(item), pay, state):
                results[item.ref] = ItemResult(item.ref, Outcome.UNCHANGED, state=state)
            else:
                recreate.append(item)
        # Xero cannot edit a payment: delete it (only Status is accepted on update), then create it anew.
        to_create = []
        for item in recreate:
            failure = self._delete_payment(item)
            if failure is None:
                to_create.append(item)
            else:
                results[item.ref] = failure
        if to_create:
            todo = [(item, payment_body(_payment(item))) for item in to_create]
            try:
                created = self._run_batches(EntryKind.PAYMENT, "PUT", "/Payments", "Payments", todo, Outcome.UPDATED)
            except ConnectorError as exc:
                # The old payments are gone already: report per item so the engine learns that.
                created = {
                    i.ref: ItemResult(
                        i.ref,
                        Outcome.FAILED,
                        error=exc.error,
                        sent=jsonable(b),
                        state=EntryState(erp_id=i.erp_id, kind=EntryKind.PAYMENT, exists=False),
                    )
                    for i, b in todo
                }
            gone = {i.ref: EntryState(erp_id=i.erp_id, kind=EntryKind.PAYMENT, exists=False) for i in to_create}
            for ref, result in created.items():
                # A failed re-create leaves no payment behind: say so, so the next sync creates one.
                results[ref] = result if result.state else dataclasses.replace(result, state=gone[ref])
        return [results[i.ref] for i in items]

    def _delete_payment(self, item: WriteItem) -> ItemResult | None:
        key = _derived_key(item.idempotency_key, "delete")
        try:
            reply = self._request("POST", f"/Payments/{item.erp_id}", body={"Status": "DELETED"}, idempotency_key=key)
        except ConnectorError as exc:
            return ItemResult(item.ref, Outcome.FAILED, error=exc.error, sent={"Status": "DELETED"})
        elements = _elements(reply, "Payments")
        if reply.status >= 400 or any(_element_failed(e) for e in elements):
            messages = [m for e in elements for m in _messages(e)] or [_summary_message(reply.data)]
            error = classify_validation(messages, EntryKind.PAYMENT, status=reply.status)
            outcome = Outcome.BLOCKED if error.category is ErrorCategory.BOOKED else Outcome.FAILED
            return ItemResult(item.ref, outcome, error=error, sent={"Status": "DELETED"})
        return None

    # --- catalogues -----------------------------------------------------------------------------------

    def accounts(self) -> list[CatalogItem]:
        reply = self._request("GET", "/Accounts", params=[("where", 'Status=="ACTIVE"')])
        out = []
        for acc in (reply.data or {}).get("Accounts") or []:
            # Bills are coded to expense-side accounts (expenses, direct costs, overheads, assets bought);
            # bank accounts are for payments and revenue accounts never take a supplier bill.
            if acc.get("Type") == "BANK" or acc.get("Class") not in ("EXPENSE", "ASSET", "LIABILITY", None):
                continue
            if not acc.get("Code") or acc.get("Status", "ACTIVE") != "ACTIVE":
                continue
            out.append(
                CatalogItem(code=str(acc["Code"]), name=str(acc.get("Name", "")), group=str(acc.get("Type", "")))
            )
        return out

    def bank_accounts(self) -> list[CatalogItem]:
        reply = self._request("GET", "/Accounts", params=[("where", 'Type=="BANK"')])
        out = []
        for acc in (reply.data or {}).get("Accounts") or []:
            if acc.get("Type") != "BANK":
                continue
            code = str(acc.get("Code") or acc.get("AccountID") or "")
            out.append(
                CatalogItem(
                    code=code,
                    name=str(acc.get("Name", "")),
                    group=str(acc.get("CurrencyCode", "")),
                    active=acc.get("Status", "ACTIVE") == "ACTIVE",
                )
            )
        return out

    def tax_rates(self) -> list[CatalogItem]:
        reply = self._request("GET", "/TaxRates")
        out = []
        for rate in (reply.data or {}).get("TaxRates") or []:
            if rate.get("CanApplyToExpenses") is False or not rate.get("TaxType"):
                continue
            shown = rate.get("DisplayTaxRate", rate.get("EffectiveRate"))
            name = str(rate.get("Name", "")) + (f" ({_money(shown).normalize():f}%)" if shown is not None else "")
            out.append(
                CatalogItem(code=str(rate["TaxType"]), name=name, active=rate.get("Status", "ACTIVE") == "ACTIVE")
            )
        return out

    def tracking_options(self) -> list[CatalogItem]:
        reply = self._request("GET", "/TrackingCategories")
        out = []
        for category in (reply.data or {}).get("TrackingCategories") or []:
            cat_name = str(category.get("Name", ""))
            cat_active = category.get("Status", "ACTIVE") == "ACTIVE"
            for option in category.get("Options") or []:
                opt_name = str(option.get("Name", ""))
                out.append(
                    CatalogItem(
                        code=f"{cat_name}: {opt_name}",
                        name=opt_name,
                        group=cat_name,
                        active=cat_active and option.get("Status", "ACTIVE") == "ACTIVE",
                    )
                )
        return out

    def contacts(self) -> list[CatalogItem]:
        out = []
        for contact in self._get_all("/Contacts", "Contacts", [("summaryOnly", "true")]):
            out.append(
                CatalogItem(
                    code=str(contact.get("ContactID", "")),
                    name=str(contact.get("Name", "")),
                    group=str(contact.get("ContactNumber", "") or ""),
                    active=contact.get("ContactStatus", "ACTIVE") == "ACTIVE",
                )
            )
        return out


# --- module helpers used by the connector -------------------------------------------------------------------


def _bill(item: WriteItem) -> BillData:
    assert isinstance(item.data, BillData)
    return item.data


def _payment(item: WriteItem) -> PaymentData:
    assert isinstance(item.data, PaymentData)
    return item.data


def _replace(error: ErpError, **changes: Any) -> ErpError:
    return dataclasses.replace(error, **changes)


def _no_contact() -> ErpError:
    return _err(ErrorCategory.VALIDATION, N_("No Xero contact could be found or created for the supplier"), "vendor")


def _contact_rank(contact: Mapping[str, Any]) -> tuple[int, str]:
    # Prefer an active contact; among equals, a stable order (by ContactID) so every run picks the same one.
    return (0 if contact.get("ContactStatus", "ACTIVE") == "ACTIVE" else 1, str(contact.get("ContactID", "")))


def _norm_tax(value: str) -> str:
    return re.sub(r"[\s.\-]", "", value).upper()


def _contact_body(vendor: VendorData) -> dict[str, Any]:
    body: dict[str, Any] = {"Name": vendor.name or vendor.number, "ContactNumber": vendor.number}
    if vendor.tax_number:
        body["TaxNumber"] = vendor.tax_number
    if vendor.email:
        body["EmailAddress"] = vendor.email
    return body


def _elements(reply: _Reply, wrapper: str) -> list[dict[str, Any]]:
    data = reply.data if isinstance(reply.data, Mapping) else {}
    if reply.status == 400:
        return [e for e in data.get("Elements") or [] if isinstance(e, Mapping)]
    return [e for e in data.get(wrapper) or [] if isinstance(e, Mapping)]


def _summary_message(data: Any) -> str:
    if isinstance(data, Mapping):
        messages = [m for e in data.get("Elements") or [] if isinstance(e, Mapping) for m in _messages(e)]
        if messages:
            return "; ".join(messages)
        if data.get("Message"):
            return str(data["Message"])
    return N_("Xero's answer did not list every element sent")


def _idempotency_conflict(data: Any) -> str:
    """Xero's "Idempotency Key: … is used with a different request." message, wherever the body puts it."""
    if not isinstance(data, Mapping):
        return ""
    messages = [str(data.get("Message") or "")]
    messages += [m for e in data.get("Elements") or [] if isinstance(e, Mapping) for m in _messages(e)]
    return next((m for m in messages if "used with a different request" in m), "")


def _error_text(response: requests.Response) -> str:
    """A short, human part of an error body: Xero's Message/Detail, never a whole HTML page."""
    try:
        data = response.json()
    except ValueError:
        return ""
    if isinstance(data, Mapping):
        for key in ("Message", "Detail", "Title", "error_description", "error"):
            if data.get(key):
                return str(data[key])[:300]
    return ""


def _tracking_set(text: str) -> list[str]:
    return sorted(t for t in text.split(", ") if t)


def _update_status(data: BillData, inv: Mapping[str, Any]) -> str:
    """The Status to send on update: an approved bill stays AUTHORISED (it cannot go back to draft, and
    Xero rejects an update of an approved bill without it)."""
    current = str(inv.get("Status", ""))
    if current == "AUTHORISED":
        return "AUTHORISED"
    if data.draft:
        # Pushing drafts: an accountant who submitted the bill for approval in Xero is not overruled.
        return current if current in ("DRAFT", "SUBMITTED") else "DRAFT"
    return "AUTHORISED"


def _lines_signature(lines: Iterable[Mapping[str, Any]]) -> list[tuple[str, ...]]:
    return [
        (
            str(li.get("Description", "") or ""),
            _fmt(li.get("LineAmount")),
            _fmt(li.get("TaxAmount")),
            str(li.get("AccountCode", "") or ""),
            str(li.get("TaxType", "") or ""),
            ", ".join(sorted(f"{t.get('Name', '')}: {t.get('Option', '')}" for t in li.get("Tracking") or [])),
        )
        for li in lines
    ]


def _data_lines_signature(data: BillData) -> list[tuple[str, ...]]:
    return [
        (
            line.description,
            f"{line.net_amount:.2f}",
            f"{line.vat_amount:.2f}",
            line.account_code,
            line.tax_type,
            ", ".join(sorted(f"{t.category}: {t.option}" for t in line.tracking)),
        )
        for line in data.lines
    ]


def _payment_unchanged(data: PaymentData, pay: Mapping[str, Any], state: EntryState) -> bool:
    have = state.fields
    account = pay.get("Account") or {}
    same_account = data.bank_account in {
        account.get("Code"),
        account.get("AccountID"),
        have.get("bank_account"),
    }
    # Xero's payment JSON may omit the currency (it is the bill's); only a present, different one counts.
    same_currency = not have.get("currency") or have.get("currency") == data.currency
    return (
        same_account
        and same_currency
        and have.get("payment_date") == data.payment_date.isoformat()
        and have.get("amount") == f"{data.amount:.2f}"
        and str((pay.get("Invoice") or {}).get("InvoiceID", data.bill_erp_id)).lower() == data.bill_erp_id.lower()
    )


def _derived_key(key: str, suffix: str, limit: int = 128) -> str:
    derived = f"{key}-{suffix}"
    if len(derived) <= limit:
        return derived
    return f"roger-{suffix}-" + hashlib.sha256(key.encode()).hexdigest()
