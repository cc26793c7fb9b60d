"""Visma e-conomic: supplier invoices and supplier payments as draft vouchers in a dedicated journal.

Shapes follow e-conomic's legacy REST API (restapi.e-conomic.com, documented in ``e-conomic/slate``), which
is what ``reference/erp_apis.md`` §2 could verify.  What this module relies on, and where it comes from:

* ``POST /journals/:n/vouchers`` with ``[{accountingYear:{year}, journal:{journalNumber},
  entries:{supplierInvoices:[…]} | {supplierPayments:[…]}}]`` — the voucher body and the entry properties
  (``supplier``, ``supplierInvoiceNumber`` ≤ 30, ``text`` ≤ 250, ``amount``, ``contraAccount``,
  ``contraVatAccount.vatCode``, ``contraVatAmount``, ``currency.code``, ``date``, ``dueDate``,
  ``departmentalDistribution``) are from the documented schema [verified, slate].  That bulk creation takes
  a JSON *array* of vouchers and answers with an array in the same order is our reading of "Bulk creation is
  supported" [unverified].
* ``GET /journals/:n/entries`` with ``filter=`` on ``entryType``, ``voucher.voucherNumber`` and ``text``
  (documented as filterable) and ``skippages``/``pagesize`` pagination [verified].
* ``PUT /journals/:n/entries/:journalEntryNumber`` with the full entry (legacy PUT semantics: the whole
  document) [unverified: the legacy docs list only GET and DELETE there; the newer journals API has PUT with
  ``entryNumber``].
* Booked entries: ``GET /accounting-years/:year/entries`` (text, voucherNumber, entryType, amount, account)
  [verified]; it is filterable only on date and currency, so look-ups page through it.
* Entry-specific booking: ``POST /journals/:n/bookdraftentries`` with ``{"entries":[{"journalEntryNumber"}]}``
  [path quoted by third parties for the new API; body unverified].  The whole-journal ``/book`` is never
  called: a human's drafts may sit in the journal.
* Annotated error body ``{message, developerHint, logId, httpStatusCode, errors:{<prop>:{errors:[{errorCode,
  message, value, developerHint}]}}, logTime}``, with ``arrayIndex`` on array payloads [verified]; the error
  codes for closed periods and booked entries are not published, so those are recognised by wording.
* ``Idempotency-Key`` on writes: documented for the OpenAPI services only; sent anyway (harmless if ignored).

Identifiers
* ``erp_id`` = ``"<accountingYear>-<voucherNumber>"``, e-conomic's own voucher address
  (``/journals/:n/vouchers/:accountingYear-voucherNumber``).  It survives booking, unlike the draft's
  ``journalEntryNumber``.  Each Roger entry is one voucher with one entry.
* Marker: the entry text ends with ``[roger-<16 hex>]``, the first 64 bits of SHA-256 of Roger's marker
  (``BillData.marker`` is a URL and would not fit the 250-character text beside a description).  Look-ups
  search drafts with ``text$like:`` and page through booked entries for the token.
* Suppliers: ``supplierNumber`` = ``VendorData.number`` when it is 1-9 digits, else ``100000000 +
  SHA-256(number) mod 899999999`` (a 9-digit number, deterministic).  The supplier with that number is used
  unless its ``corporateIdentificationNumber`` (CVR) contradicts the vendor's tax number; failing that, a
  supplier with the vendor's CVR is adopted; else one is created with that number.

Catalogue codes (what the mapping editors store)
* accounts: ``accountNumber`` of ``profitAndLoss`` and ``status`` accounts (headings and totals take no
  entries; group = the account type);   * tax rates: the VAT account's ``vatCode`` (group = the VAT type);
* tracking options: ``"Department: <departmentalDistributionNumber>"`` (Xero's ``"<category>: <option>"``
  form, so the mapper's split yields the number); a bare number or a department *name* also works;
* bank accounts: ``status`` accounts whose name reads like bank/cash (``bank``, ``kasse``, ``giro``…), or every
  open ``status`` account when none does (the legacy API has no bank flag);
* contacts: ``supplierNumber`` (group = the supplier group number).

Mapping a bill: one ``supplierInvoice`` entry per voucher with ``amount`` = the total incl. VAT (positive, as
in the documented example; the sign convention is unverified), ``contraAccount`` = the expense account,
``contraVatAccount``/``contraVatAmount`` = VAT code and Roger's VAT, ``departmentalDistribution`` = the
department.  Lines with different accounts, VAT codes or departments are UNSUPPORTED (one voucher, one
expense account).  A payment is one ``supplierPayment`` with ``contraAccount`` = the bank account.
Error fields use Roger's names: vendor, invoice_number, issue_date/payment_date, due_date, currency,
total/amount, vat (amount), vat_code, category, department, bank_account, journal.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import quote

import requests

from integrations.connectors import http
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
    WriteItem,
    batch_idempotency_key,
    chunks,
)

log = logging.getLogger(__name__)

ERP = "e-conomic"
TEXT_MAX = 250  # journal entry text (booked entries allow 255)
INVOICE_NUMBER_MAX = 30
PAGE_SIZE = 1000  # the legacy API's maximum page size
TOKEN_RE = re.compile(r"\[roger-([0-9a-f]{16})\]")
DEPARTMENT_GROUP = "Department"  # CatalogItem.group of tracking options, and the category in fields["tracking"]

BOOKED_REASON = N_("Booked in e-conomic (voucher {voucher})")
BOOKED_HINT = N_("Booked entries cannot change; post a correction (counter-entry) in e-conomic")
CLOSED_HINT = N_(
    "The accounting period is closed in e-conomic. Reopen it there, or post the change as a correction in an "
    "open period."
)

_ENTRY_KEYS = {
    EntryKind.BILL: ("supplierInvoices", "supplierInvoice"),
    EntryKind.PAYMENT: ("supplierPayments", "supplierPayment"),
}
# e-conomic property → Roger's field name, per entry kind (what an accountant fixes in Roger).
_FIELD_NAMES: dict[EntryKind, dict[str, str]] = {
    EntryKind.BILL: {
        "supplier": "vendor",
        "supplierNumber": "vendor",
        "supplierInvoiceNumber": "invoice_number",
        "date": "issue_date",
        "accountingYear": "issue_date",
        "dueDate": "due_date",
        "currency": "currency",
        "amount": "total",
        "contraVatAmount": "vat",
        "contraAccount": "category",
        "account": "category",
        "contraVatAccount": "vat_code",
        "vatAccount": "vat_code",
        "vatCode": "vat_code",
        "departmentalDistribution": "department",
        "text": "description",
    },
    EntryKind.PAYMENT: {
        "supplier": "vendor",
        "supplierNumber": "vendor",
        "supplierInvoiceNumber": "invoice_number",
        "date": "payment_date",
        "accountingYear": "payment_date",
        "currency": "currency",
        "amount": "amount",
        "contraAccount": "bank_account",
        "account": "bank_account",
        "text": "reference",
    },
}
# Fields that are mappings in Roger's settings: an unknown value there is a setup problem, not a typo.
_SETUP_FIELDS = {"category", "vat_code", "department", "bank_account"}
_SETUP_HINTS = {
    "category": N_("Map the category to an existing e-conomic account in the integration's settings."),
    "vat_code": N_("Map the VAT code to an existing e-conomic VAT code in the integration's settings."),
    "department": N_("Map the department to an existing e-conomic department in the integration's settings."),
    "bank_account": N_("Choose an existing e-conomic bank account for payments in the integration's settings."),
}


def _setup_error(message: str, field: str) -> ErpError:
    """A mapping Roger lacks for e-conomic: names the Roger field and says where to fix it."""
    return ErpError(ErrorCategory.SETUP, message, field=field, hint=_SETUP_HINTS[field])


def marker_token(marker: str) -> str:
    """The compact, deterministic token Roger writes into the entry text for ``marker``."""
    return "roger-" + hashlib.sha256(marker.encode("utf-8")).hexdigest()[:16]


def supplier_number_for(vendor_number: str) -> int:
    """Roger's vendor key → the e-conomic supplier number (see the module docstring)."""
    number = vendor_number.strip()
    if number.isdigit() and 1 <= int(number) <= 999_999_999:
        return int(number)
    digest = int(hashlib.sha256(number.encode("utf-8")).hexdigest(), 16)
    return 100_000_000 + digest % 899_999_999


def _money(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        return None


def _fmt(value: Any) -> str:
    amount = _money(value)
    return f"{amount:.2f}" if amount is not None else ""


def _ref_number(obj: Any, key: str) -> int | None:
    if isinstance(obj, Mapping):
        value = obj.get(key)
        if isinstance(value, int | Decimal) or (isinstance(value, str) and value.isdigit()):
            return int(value)
    return None


def _decimals_ok(amount: Decimal) -> bool:
    return amount == amount.quantize(Decimal("0.01"))


@dataclass(frozen=True)
class _Year:
    year: str
    from_date: date
    to_date: date
    closed: bool


@dataclass
class _Response:
    status: int
    body: Any
    headers: Mapping[str, str]


class _Ctx:
    """Per-call memo of slowly changing lookups (accounting years, suppliers): each is fetched once a call."""

    def __init__(self) -> None:
        self.suppliers: dict[int, dict[str, Any] | None] = {}
        self.periods: dict[str, list[dict[str, Any]]] = {}
        self.booked: dict[str, list[dict[str, Any]]] = {}
        self.distributions: dict[str, int] | None = None  # lower-cased name → departmentalDistributionNumber


class EconomicConnector(Connector):
    kind = "economic"
    max_batch = 50
    supports_booking = True
    payments_change_bills = False  # a supplier payment is an entry of its own; the invoice entry is untouched

    def __init__(
        self,
        *,
        api_url: str = "https://restapi.e-conomic.com",
        app_secret_token: str,
        agreement_grant_token: str,
        journal_number: int,
        throttle: Throttle | None = None,
        session: requests.Session | None = None,
        app_url: str = "https://secure.e-conomic.com",
        timeout: tuple[float, float] = (3.05, 30),
        supplier_group: int = 1,
        payment_terms: int = 1,
        vat_zone: int = 1,
        booked_years: int = 2,
    ):
        self.api_url = api_url.rstrip("/")
        self.app_url = app_url.rstrip("/")
        self.journal_number = int(journal_number)
        self.throttle: Throttle = throttle if throttle is not None else NoThrottle()
        self.timeout = timeout
        self.session = session if session is not None else http.make_session(timeout=timeout)
        # Defaults for suppliers Roger creates (required by POST /suppliers).
        self.supplier_group = supplier_group
        self.payment_terms = payment_terms
        self.vat_zone = vat_zone
        # How many of the most recent accounting years a look-up by marker pages through for booked entries.
        self.booked_years = booked_years
        self._secret = app_secret_token
        self._grant = agreement_grant_token
        self._years: list[_Year] | None = None

    def __repr__(self) -> str:  # never show the tokens
        return f"EconomicConnector(api_url={self.api_url!r}, journal_number={self.journal_number})"

    # ------------------------------------------------------------------------------------------------------
    # HTTP
    # ------------------------------------------------------------------------------------------------------
    def _request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        body: Any = None,
        idempotency_key: str | None = None,
        ok_statuses: tuple[int, ...] = (),
    ) -> _Response:
        """One call; raises ``ConnectorError`` for everything the caller cannot act on per item.

        Statuses in ``ok_statuses`` (besides 2xx) come back to the caller with their parsed body: 400 for
        per-element validation, 404 for "gone".
        """
        write = method in http.WRITE_METHODS
        headers = {"X-AppSecretToken": self._secret, "X-AgreementGrantToken": self._grant}
        data = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            data = http.dumps(body)
        if idempotency_key and write:
            headers["Idempotency-Key"] = idempotency_key
        url = self.api_url + path
        with self.throttle.slot():
            try:
                response = self.session.request(
                    method, url, params=params, data=data, headers=headers, timeout=self.timeout
                )
            except requests.RequestException as exc:
                log.info("e-conomic %s %s failed: %s", method, path, type(exc).__name__)
                raise http.network_error(exc, erp=ERP, write=write) from None
        retry_after = http.parse_retry_after(response.headers.get("Retry-After"))
        self.throttle.observe(status=response.status_code, headers=response.headers, retry_after=retry_after)
        log.debug("e-conomic %s %s -> %s", method, path, response.status_code)
        status = response.status_code
        if status == 204 or (not response.content and status < 300):
            return _Response(status, None, response.headers)
        if status == 429:
            raise ConnectorError(
                ErpError(
                    category=ErrorCategory.TEMPORARY,
                    message=self._message(response) or "e-conomic's fair-use limit was reached (HTTP 429)",
                    hint=N_("Roger waits as e-conomic asks and tries again."),
                    retry_after=retry_after,
                    code="rate_limited",
                    status=429,
                )
            )
        if status >= 500:
            raise ConnectorError(
                ErpError(
                    category=ErrorCategory.TEMPORARY,
                    message=self._message(response) or f"e-conomic had a server error (HTTP {status})",
                    hint=(
                        "e-conomic may have saved the change; Roger checks before sending it again."
                        if write
                        else N_("Roger will try again.")
                    ),
                    retry_after=retry_after,
                    uncertain=write,
                    code=str(status),
                    status=status,
                )
            )
        if status in (401, 403):
            raise ConnectorError(self._auth_error(response))
        parsed = http.parse_json_response(response, erp=ERP, write=write and status < 300)
        if 200 <= status < 300 or status in ok_statuses:
            return _Response(status, parsed, response.headers)
        if isinstance(parsed, Mapping) and str(parsed.get("errorCode", "")).startswith("E03"):
            raise ConnectorError(self._auth_error(response, parsed))
        if status == 404 and path.startswith(f"/journals/{self.journal_number}"):
            raise ConnectorError(
                ErpError(
                    ErrorCategory.SETUP,
                    N_("Journal {journal} does not exist in e-conomic").format(journal=self.journal_number),
                    field="journal",
                    hint=N_("Choose an existing journal (kassekladde) in the integration's settings."),
                    code="journal_not_found",
                    status=404,
                )
            )
        raise ConnectorError(self._whole_call_error(status, parsed))

    def _message(self, response: requests.Response) -> str:
        try:
            parsed = http.loads(response.content)
        except (ValueError, UnicodeDecodeError):
            return ""
        if isinstance(parsed, Mapping):
            return http.redact(str(parsed.get("message") or ""), (self._secret, self._grant))
        return ""

    def _auth_error(self, response: requests.Response, parsed: Any = None) -> ErpError:
        message = ""
        code = None
        if parsed is None:
            try:
                parsed = http.loads(response.content)
            except (ValueError, UnicodeDecodeError):
                parsed = None
        if isinstance(parsed, Mapping):
            message = str(parsed.get("message") or "")
            code = parsed.get("errorCode")
        return ErpError(
            category=ErrorCategory.AUTHENTICATION,
            message=http.redact(
                message or f"e-conomic refused the tokens (HTTP {response.status_code})",
                (self._secret, self._grant),
            ),
            hint=N_("Reconnect the e-conomic integration: the agreement's grant may have been revoked."),
            code=str(code) if code else str(response.status_code),
            status=response.status_code,
        )

    def _whole_call_error(self, status: int, parsed: Any) -> ErpError:
        message = str(parsed.get("message") or "") if isinstance(parsed, Mapping) else ""
        return ErpError(
            category=ErrorCategory.VALIDATION if status < 500 else ErrorCategory.TEMPORARY,
            message=http.redact(
                message or f"e-conomic refused the request (HTTP {status})", (self._secret, self._grant)
            ),
            code=str(parsed.get("errorCode") or status) if isinstance(parsed, Mapping) else str(status),
            status=status,
        )

    def _paged(self, path: str, params: Mapping[str, str] | None = None) -> Iterator[dict[str, Any]]:
        """Every item of a collection, page by page (``skippages``/``pagesize``)."""
        skip = 0
        while True:
            query = {**(params or {}), "skippages": str(skip), "pagesize": str(PAGE_SIZE)}
            body = self._request("GET", path, params=query).body or {}
            items = body.get("collection") or [] if isinstance(body, Mapping) else []
            yield from items
            pagination = body.get("pagination") or {} if isinstance(body, Mapping) else {}
            if len(items) < PAGE_SIZE or not pagination.get("nextPage"):
                return
            skip += 1

    # ------------------------------------------------------------------------------------------------------
    # Error bodies → per-item errors
    # ------------------------------------------------------------------------------------------------------
    def _item_errors(self, body: Any, kind: EntryKind, count: int) -> dict[int | None, ErpError]:
        """Annotated 400 body → one error per array index (``None``: not tied to an element)."""
        leaves: list[tuple[int | None, list[str], dict[str, Any]]] = []

        def walk(node: Any, path: list[str], index: int | None) -> None:
            if isinstance(node, Mapping):
                errs = node.get("errors")
                if isinstance(errs, list) and errs and all(isinstance(e, Mapping) for e in errs):
                    for err in errs:
                        leaves.append((index, path, dict(err)))
                    return
                if "arrayIndex" in node and index is None and not path:
                    index = _ref_number(node, "arrayIndex")
                for key, value in node.items():
                    if key != "arrayIndex":
                        walk(value, [*path, str(key)], index)
            elif isinstance(node, list):
                for element in node:
                    walk(element, path, index)

        errors_node = body.get("errors") if isinstance(body, Mapping) else None
        if errors_node is not None:
            walk(errors_node, [], None)
        if count == 1:
            leaves = [(0, p, e) for _, p, e in leaves]
        out: dict[int | None, ErpError] = {}
        for index, path, err in leaves:
            if index in out:
                continue  # the first error per element is what the accountant fixes first
            out[index] = self._classify(kind, path, err)
        if not out:
            message = str(body.get("message") or "") if isinstance(body, Mapping) else ""
            out[None] = ErpError(
                category=ErrorCategory.VALIDATION,
                message=message or "e-conomic refused the request",
                code=str(body.get("errorCode") or "400") if isinstance(body, Mapping) else "400",
                status=400,
            )
        return out

    def _classify(self, kind: EntryKind, path: list[str], err: Mapping[str, Any]) -> ErpError:
        props = [p for p in path if p not in ("entries", "supplierInvoices", "supplierPayments", "errors")]
        prop = next((p for p in reversed(props) if p in _FIELD_NAMES[kind]), props[-1] if props else "")
        field = _FIELD_NAMES[kind].get(prop)
        code = str(err.get("errorCode") or "") or None
        message = str(err.get("message") or "e-conomic refused the value")
        hint = str(err.get("developerHint") or "")
        lowered = message.lower()
        if code and code.startswith("E03"):
            category = ErrorCategory.AUTHENTICATION
            hint = N_("Reconnect the e-conomic integration.")
        elif "booked" in lowered:
            category, hint = ErrorCategory.BOOKED, BOOKED_HINT
        elif "closed" in lowered and field in ("issue_date", "payment_date", None):
            category, hint = ErrorCategory.BOOKED, CLOSED_HINT
        elif field in _SETUP_FIELDS and (
            "not exist" in lowered or "not found" in lowered or "barred" in lowered or code == "E06000"
        ):
            category, hint = ErrorCategory.SETUP, _SETUP_HINTS[field]
        else:
            category = ErrorCategory.VALIDATION
            if field:
                hint = (
                    N_("Correct the document's {field} in Roger and re-sync. (e-conomic: {detail})")
                    if hint
                    else N_("Correct the document's {field} in Roger and re-sync.")
                ).format(field=field.replace("_", " "), detail=hint)
        return ErpError(category=category, message=message, field=field, hint=hint, code=code, status=400)

    # ------------------------------------------------------------------------------------------------------
    # Reference data
    # ------------------------------------------------------------------------------------------------------
    def _accounting_years(self) -> list[_Year]:
        if self._years is None:
            years = []
            for item in self._paged("/accounting-years"):
                try:
                    years.append(
                        _Year(
                            year=str(item["year"]),
                            from_date=date.fromisoformat(str(item["fromDate"])),
                            to_date=date.fromisoformat(str(item["toDate"])),
                            closed=bool(item.get("closed")),
                        )
                    )
                except (KeyError, ValueError):
                    continue
            self._years = sorted(years, key=lambda y: y.from_date)
        return self._years

    def _recent_years(self) -> list[str]:
        """Years a look-up pages through for booked entries: the ``booked_years`` latest that have begun, and
        any that begin later (usually empty).  Older years are left out to bound the cost of a look-up."""
        today = date.today()
        years = self._accounting_years()
        started = [y.year for y in years if y.from_date <= today][-self.booked_years :]
        return started + [y.year for y in years if y.from_date > today]

    def _year_for(self, day: date) -> _Year | None:
        return next((y for y in self._accounting_years() if y.from_date <= day <= y.to_date), None)

    def _periods(self, ctx: _Ctx, year: str) -> list[dict[str, Any]]:
        if year not in ctx.periods:
            ctx.periods[year] = list(self._paged(f"/accounting-years/{self._year_path(year)}/periods"))
        return ctx.periods[year]

    def _closed_period(self, ctx: _Ctx, year: str, day: date | None) -> str:
        """A non-empty reason when ``day`` lies in a closed period or year of e-conomic."""
        if day is None:
            return ""
        info = next((y for y in self._accounting_years() if y.year == year), None)
        if info is not None and info.closed:
            return N_("The accounting year {year} is closed in e-conomic").format(year=year)
        for period in self._periods(ctx, year):
            try:
                start = date.fromisoformat(str(period["fromDate"]))
                end = date.fromisoformat(str(period["toDate"]))
            except (KeyError, ValueError):
                continue
            if start <= day <= end and period.get("closed"):
                return N_("Dated in a closed accounting period in e-conomic ({start} to {end})").format(
                    start=start, end=end
                )
        return ""

    @staticmethod
    def _year_path(year: str) -> str:
        # e-conomic's self-link encoding: "2025/2026" → "2025_6_2026".
        return quote(year.replace("/", "_6_"), safe="_")

    # ------------------------------------------------------------------------------------------------------
    # Suppliers
    # ------------------------------------------------------------------------------------------------------
    def _supplier(self, ctx: _Ctx, number: int) -> dict[str, Any] | None:
        if number not in ctx.suppliers:
            response = self._request("GET", f"/suppliers/{number}", ok_statuses=(404,))
            ctx.suppliers[number] = response.body if response.status == 200 else None
        return ctx.suppliers[number]

    def _resolve_supplier(self, ctx: _Ctx, data: BillData | PaymentData, kind: EntryKind) -> int | ErpError:
        vendor = data.vendor
        number = supplier_number_for(vendor.number)
        existing = self._supplier(ctx, number)
        tax = vendor.tax_number.strip()
        if existing is not None:
            theirs = str(existing.get("corporateIdentificationNumber") or "").strip()
            if tax and theirs and theirs != tax:
                return ErpError(
                    category=ErrorCategory.VALIDATION,
                    message=(
                        N_("Supplier {number} in e-conomic ({name}) has CVR {theirs}, not {tax}").format(
                            number=number, name=existing.get("name", ""), theirs=theirs, tax=tax
                        )
                    ),
                    field="vendor",
                    hint=N_(
                        "Roger reserves that supplier number for this vendor; renumber the supplier in "
                        "e-conomic or correct the vendor's tax number."
                    ),
                    code="supplier_conflict",
                )
            return number
        if tax:
            response = self._request(
                "GET", "/suppliers", params={"filter": f"corporateIdentificationNumber$eq:{_escape(tax)}"}
            )
            matches = (response.body or {}).get("collection") or []
            if len(matches) == 1 and _ref_number(matches[0], "supplierNumber"):
                found = int(matches[0]["supplierNumber"])
                ctx.suppliers[found] = matches[0]
                return found
        payload: dict[str, Any] = {
            "supplierNumber": number,
            "name": vendor.name[:255] or vendor.number,
            "currency": data.currency,
            "supplierGroup": {"supplierGroupNumber": self.supplier_group},
            "paymentTerms": {"paymentTermsNumber": self.payment_terms},
            "vatZone": {"vatZoneNumber": self.vat_zone},
        }
        if tax:
            payload["corporateIdentificationNumber"] = tax[:40]
        if vendor.email:
            payload["email"] = vendor.email[:100]
        if vendor.country:
            payload["country"] = vendor.country[:50]
        key = "supplier-" + hashlib.sha256(http.dumps(payload)).hexdigest()[:40]
        response = self._request("POST", "/suppliers", body=payload, idempotency_key=key, ok_statuses=(400,))
        if response.status == 400:
            return self._item_errors(response.body, kind, 1).get(0) or ErpError(
                ErrorCategory.VALIDATION, "e-conomic refused the supplier", field="vendor"
            )
        ctx.suppliers[number] = response.body if isinstance(response.body, dict) else payload
        return number

    # ------------------------------------------------------------------------------------------------------
    # Building entries
    # ------------------------------------------------------------------------------------------------------
    def _precheck(self, kind: EntryKind, data: BillData | PaymentData) -> ErpError | None:
        """Refuse, before any call, what e-conomic would refuse or what Roger cannot express there."""
        if isinstance(data, BillData):
            if kind is not EntryKind.BILL:
                return ErpError(ErrorCategory.VALIDATION, N_("A bill was sent as a payment"))
            if not data.lines:
                return _setup_error(N_("The bill has no account line"), "category")
            first = data.lines[0]
            mapping = (first.account_code, first.tax_type, first.tracking)
            if any((line.account_code, line.tax_type, line.tracking) != mapping for line in data.lines[1:]):
                return ErpError(
                    ErrorCategory.UNSUPPORTED,
                    N_(
                        "Roger posts an e-conomic supplier invoice to one expense account, VAT code and "
                        "department; this bill's lines use several"
                    ),
                    hint=N_("Use one category, VAT rate and department for the document, or post it by hand."),
                )
            if not first.account_code.strip():
                return _setup_error(N_("No e-conomic account is mapped for the category"), "category")
            if not first.account_code.strip().isdigit():
                return _setup_error(f"'{first.account_code}' is not an e-conomic account number", "category")
            if data.vat and not first.tax_type.strip():
                return _setup_error(N_("No e-conomic VAT code is mapped for the VAT rate"), "vat_code")
            if len(first.tax_type.strip()) > 5:
                return _setup_error(f"'{first.tax_type}' is not an e-conomic VAT code", "vat_code")
            if len(first.tracking) > 1:
                return ErpError(
                    ErrorCategory.UNSUPPORTED, "e-conomic takes one department per entry", field="department"
                )
            if data.total <= 0:
                return ErpError(ErrorCategory.VALIDATION, N_("The total must be positive"), field="total")
            if not _decimals_ok(data.total):
                return ErpError(ErrorCategory.VALIDATION, N_("The total has more than 2 decimals"), field="total")
            if data.vat < 0 or data.vat > data.total or not _decimals_ok(data.vat):
                return ErpError(
                    ErrorCategory.VALIDATION,
                    N_("The VAT must be between 0 and the total, to the cent"),
                    field="vat",
                )
            if len(data.invoice_number) > INVOICE_NUMBER_MAX:
                return ErpError(
                    ErrorCategory.VALIDATION,
                    f"e-conomic takes supplier invoice numbers of at most {INVOICE_NUMBER_MAX} characters",
                    field="invoice_number",
                )
        else:
            if kind is not EntryKind.PAYMENT:
                return ErpError(ErrorCategory.VALIDATION, N_("A payment was sent as a bill"))
            if not data.bank_account.strip():
                return _setup_error(N_("No e-conomic bank account is chosen for payments"), "bank_account")
            if not data.bank_account.strip().isdigit():
                return _setup_error(f"'{data.bank_account}' is not an e-conomic account number", "bank_account")
            if data.amount <= 0 or not _decimals_ok(data.amount):
                return ErpError(
                    ErrorCategory.VALIDATION, N_("The amount must be positive, to the cent"), field="amount"
                )
            if len(data.invoice_number) > INVOICE_NUMBER_MAX:
                return ErpError(
                    ErrorCategory.VALIDATION,
                    f"e-conomic takes supplier invoice numbers of at most {INVOICE_NUMBER_MAX} characters",
                    field="invoice_number",
                )
        if len(data.currency) != 3:
            return ErpError(ErrorCategory.VALIDATION, f"'{data.currency}' is not a currency code", field="currency")
        return None

    @staticmethod
    def _text(data: BillData | PaymentData) -> str:
        """Entry text: what the accountant reads, then Roger's marker token (never cut off)."""
        suffix = f" [{marker_token(data.marker)}]"
        if isinstance(data, BillData):
            words = (data.lines[0].description if data.lines else "") or data.description
            human = words.strip() or f"{data.vendor.name} {data.invoice_number}".strip()
        else:
            human = data.reference.strip() or f"Payment {data.vendor.name} {data.invoice_number}".strip()
        human = " ".join(human.split())
        return human[: TEXT_MAX - len(suffix)] + suffix

    def _department(self, ctx: _Ctx, data: BillData | PaymentData) -> int | ErpError | None:
        """The departmental distribution of a bill: the mapping's number (catalogue code ``"Department: 2"``,
        split by the mapper), or a department's name looked up once per call."""
        if not isinstance(data, BillData) or not data.lines or not data.lines[0].tracking:
            return None
        option = data.lines[0].tracking[0].option.strip()
        if option.isdigit():
            return int(option)
        if ctx.distributions is None:
            ctx.distributions = {
                str(item.get("name") or "").strip().lower(): int(item["departmentalDistributionNumber"])
                for item in self._paged("/departmental-distributions")
                if _ref_number(item, "departmentalDistributionNumber") and not item.get("barred")
            }
        number = ctx.distributions.get(option.lower())
        if number is None:
            return _setup_error(f"e-conomic has no department '{option}'", "department")
        return number

    def _entry(
        self, kind: EntryKind, data: BillData | PaymentData, supplier: int, department: int | None = None
    ) -> dict[str, Any]:
        entry: dict[str, Any] = {"supplier": {"supplierNumber": supplier}}
        if isinstance(data, BillData):
            line = data.lines[0]
            if data.invoice_number:
                entry["supplierInvoiceNumber"] = data.invoice_number
            entry["text"] = self._text(data)
            entry["amount"] = data.total
            entry["contraAccount"] = {"accountNumber": int(line.account_code)}
            if line.tax_type.strip():
                entry["contraVatAccount"] = {"vatCode": line.tax_type.strip()}
                entry["contraVatAmount"] = data.vat
            entry["currency"] = {"code": data.currency}
            entry["date"] = data.issue_date.isoformat()
            if data.due_date:
                entry["dueDate"] = data.due_date.isoformat()
            if department is not None:
                entry["departmentalDistribution"] = {"departmentalDistributionNumber": department}
        else:
            if data.invoice_number:
                entry["supplierInvoiceNumber"] = data.invoice_number
            entry["text"] = self._text(data)
            entry["amount"] = data.amount
            entry["contraAccount"] = {"accountNumber": int(data.bank_account)}
            entry["currency"] = {"code": data.currency}
            entry["date"] = data.payment_date.isoformat()
        entry["type"] = _ENTRY_KEYS[kind][1]
        return entry

    @staticmethod
    def _entry_date(data: BillData | PaymentData) -> date:
        return data.issue_date if isinstance(data, BillData) else data.payment_date

    # ------------------------------------------------------------------------------------------------------
    # Reading entries
    # ------------------------------------------------------------------------------------------------------
    def _drafts(self, kind: EntryKind, extra_filter: str = "") -> list[dict[str, Any]]:
        flt = f"entryType$eq:{_ENTRY_KEYS[kind][1]}" + (f"$and:{extra_filter}" if extra_filter else "")
        return list(self._paged(f"/journals/{self.journal_number}/entries", {"filter": flt}))

    def _booked_lines(self, ctx: _Ctx, year: str) -> list[dict[str, Any]]:
        if year not in ctx.booked:
            ctx.booked[year] = list(self._paged(f"/accounting-years/{self._year_path(year)}/entries"))
        return ctx.booked[year]

    def _booked_vouchers(self, ctx: _Ctx, kind: EntryKind, year: str) -> dict[int, list[dict[str, Any]]]:
        """Booked Roger vouchers of ``kind`` in ``year``: voucher number → ledger lines.

        Voucher numbers repeat across journals' number series, so a voucher is Roger's only if its lines carry
        a Roger token; lines of other types (a human's finance voucher with the same number) are ignored.
        """
        out: dict[int, list[dict[str, Any]]] = {}
        for line in self._booked_lines(ctx, year):
            if line.get("entryType") != _ENTRY_KEYS[kind][1]:
                continue
            if not TOKEN_RE.search(str(line.get("text") or "")):
                continue
            number = _ref_number(line, "voucherNumber")
            if number is not None:
                out.setdefault(number, []).append(line)
        return out

    def _state_from_draft(
        self, ctx: _Ctx, kind: EntryKind, entry: Mapping[str, Any], *, fetch: bool = True
    ) -> EntryState:
        """The entry's state.  ``fetch=False`` after a write: only what this call already knows is used, so a
        failing extra GET can never turn a committed write into an apparent failure (and then a duplicate)."""
        voucher = entry.get("voucher") or {}
        number = _ref_number(voucher, "voucherNumber") or 0
        year = str((voucher.get("accountingYear") or {}).get("year") or "")
        text = str(entry.get("text") or "")
        match = TOKEN_RE.search(text)
        description = TOKEN_RE.sub("", text).strip()
        supplier_number = _ref_number(entry.get("supplier"), "supplierNumber")
        day = _parse_date(entry.get("date"))
        if kind is EntryKind.BILL:
            if supplier_number and (fetch or supplier_number in ctx.suppliers):
                supplier = self._supplier(ctx, supplier_number)
            else:
                supplier = None
            dist = _ref_number(entry.get("departmentalDistribution"), "departmentalDistributionNumber")
            fields = {
                "vendor": str((supplier or {}).get("name") or ""),
                "invoice_number": str(entry.get("supplierInvoiceNumber") or ""),
                "issue_date": day.isoformat() if day else "",
                "due_date": str(entry.get("dueDate") or ""),
                "currency": str((entry.get("currency") or {}).get("code") or ""),
                "total": _fmt(entry.get("amount")),
                "vat": _fmt(entry.get("contraVatAmount") or 0),
                "account": str(_ref_number(entry.get("contraAccount"), "accountNumber") or ""),
                "tax_type": str((entry.get("contraVatAccount") or {}).get("vatCode") or ""),
                "tracking": f"{DEPARTMENT_GROUP}: {dist}" if dist else "",
                "description": description,
            }
        else:
            fields = {
                "bank_account": str(_ref_number(entry.get("contraAccount"), "accountNumber") or ""),
                "payment_date": day.isoformat() if day else "",
                "amount": _fmt(entry.get("amount")),
                "currency": str((entry.get("currency") or {}).get("code") or ""),
            }
        closed = self._closed_period(ctx, year, day) if year and (fetch or year in ctx.periods) else ""
        return EntryState(
            erp_id=f"{year}-{number}",
            kind=kind,
            number=str(number),
            status="draft",
            booked=bool(closed),
            booked_reason=closed,
            booked_hint=CLOSED_HINT if closed else "",
            url=f"{self.app_url}/secure/journals/{self.journal_number}?voucher={year}-{number}",
            marker=match.group(0)[1:-1] if match else "",
            fields=fields,
        )

    def _state_from_booked(
        self, ctx: _Ctx, kind: EntryKind, year: str, number: int, lines: Sequence[Mapping[str, Any]]
    ) -> EntryState:
        text = next((str(line.get("text") or "") for line in lines if line.get("text")), "")
        match = TOKEN_RE.search(text)
        # A supplier invoice books several ledger lines (supplier, expense, VAT): the largest is the total.
        amounts = [abs(_money(line.get("amount")) or Decimal(0)) for line in lines]
        day = _parse_date(lines[0].get("date")) if lines else None
        fields: dict[str, str]
        if kind is EntryKind.BILL:
            fields = {
                "issue_date": day.isoformat() if day else "",
                "total": _fmt(max(amounts, default=0)),
                "description": TOKEN_RE.sub("", text).strip(),
                "currency": str(lines[0].get("currency") or "") if lines else "",
            }
            fields.update(self._booked_bill_fields(ctx, lines, max(amounts, default=Decimal(0))))
        else:
            fields = {
                "payment_date": day.isoformat() if day else "",
                "amount": _fmt(max(amounts, default=0)),
                "currency": str(lines[0].get("currency") or "") if lines else "",
            }
        return EntryState(
            erp_id=f"{year}-{number}",
            kind=kind,
            number=str(number),
            status="booked",
            booked=True,
            booked_reason=BOOKED_REASON.format(voucher=number),
            booked_hint=BOOKED_HINT,
            url=f"{self.app_url}/secure/vouchers/{year}-{number}",
            marker=match.group(0)[1:-1] if match else "",
            fields=fields,
        )

    def _booked_bill_fields(self, ctx: _Ctx, lines: Sequence[Mapping[str, Any]], total: Decimal) -> dict[str, str]:
        """What else the ledger lines tell of a booked supplier invoice, so a plan diffs only real changes.

        Only fields the lines carry are reported: supplier and invoice number when the lines name them, and
        the expense account, VAT code, VAT amount and department from the line booked with a VAT code.  A field
        left out reads as changed (the engine still calls an unchanged document "no change" by its fingerprint).
        The due date is read when the lines carry one (the BookedEntries API has ``DueDate`` since v2.0.0).
        """
        out: dict[str, str] = {}
        invoice_numbers = [line["supplierInvoiceNumber"] for line in lines if line.get("supplierInvoiceNumber")]
        if invoice_numbers:
            out["invoice_number"] = str(invoice_numbers[0])
        due_dates = [_parse_date(line.get("dueDate")) for line in lines if line.get("dueDate")]
        if due_dates and due_dates[0]:
            out["due_date"] = due_dates[0].isoformat()
        supplier = next((n for n in (_ref_number(line.get("supplier"), "supplierNumber") for line in lines) if n), None)
        if supplier:
            out["vendor"] = str((self._supplier(ctx, supplier) or {}).get("name") or "")
        expense = next((line for line in lines if (line.get("vatAccount") or {}).get("vatCode")), None)
        if expense is not None:
            dist = _ref_number(expense.get("departmentalDistribution"), "departmentalDistributionNumber")
            out["account"] = str(_ref_number(expense.get("account"), "accountNumber") or "")
            out["tax_type"] = str(expense["vatAccount"]["vatCode"])
            out["vat"] = _fmt(total - abs(_money(expense.get("amount")) or Decimal(0)))
            out["tracking"] = f"{DEPARTMENT_GROUP}: {dist}" if dist else ""
        return out

    def _read(
        self, ctx: _Ctx, kind: EntryKind, erp_ids: Sequence[str]
    ) -> tuple[dict[str, EntryState], dict[str, dict[str, Any]]]:
        """States by id, and the raw draft entries (for updates) by id."""
        wanted: dict[str, tuple[str, int]] = {}
        states: dict[str, EntryState] = {}
        for erp_id in erp_ids:
            parsed = _parse_erp_id(erp_id)
            if parsed is None:
                states[erp_id] = EntryState(erp_id=erp_id, kind=kind, exists=False)
            else:
                wanted[erp_id] = parsed
        drafts: dict[str, dict[str, Any]] = {}
        numbers = sorted({n for _, n in wanted.values()})
        for group in chunks(numbers, 200):  # $in: takes at most 200 values
            flt = "voucher.voucherNumber$in:[" + ",".join(str(n) for n in group) + "]"
            for entry in self._drafts(kind, flt):
                voucher = entry.get("voucher") or {}
                year = (voucher.get("accountingYear") or {}).get("year")
                key = f"{year}-{_ref_number(voucher, 'voucherNumber')}"
                if key in wanted and key not in drafts:
                    drafts[key] = entry
        for erp_id, entry in drafts.items():
            states[erp_id] = self._state_from_draft(ctx, kind, entry)
        missing = [i for i in wanted if i not in drafts]
        for year in sorted({wanted[i][0] for i in missing}):
            booked = self._booked_vouchers(ctx, kind, year)
            for erp_id in missing:
                y, number = wanted[erp_id]
                if y == year and number in booked:
                    states[erp_id] = self._state_from_booked(ctx, kind, year, number, booked[number])
        for erp_id in missing:
            if erp_id not in states:
                # Neither a draft nor booked: a human deleted the draft.
                states[erp_id] = EntryState(erp_id=erp_id, kind=kind, exists=False, status="deleted")
        return states, drafts

    # ------------------------------------------------------------------------------------------------------
    # Connector API: reads
    # ------------------------------------------------------------------------------------------------------
    def check_connection(self) -> ConnectionInfo:
        try:
            me = self._request("GET", "/self").body or {}
            journal = self._request("GET", f"/journals/{self.journal_number}", ok_statuses=(404,))
        except ConnectorError as exc:
            return ConnectionInfo(ok=False, message=exc.error.message)
        company = (me.get("company") or {}).get("name") or me.get("agreementNumber") or ""
        if journal.status == 404:
            return ConnectionInfo(
                ok=False,
                organisation=str(company),
                message=N_("Journal {journal} does not exist in e-conomic").format(journal=self.journal_number),
            )
        return ConnectionInfo(ok=True, organisation=str(company))

    def lookup(self, kind: EntryKind, markers: Sequence[str]) -> dict[str, list[EntryState]]:
        ctx = _Ctx()
        by_token = {marker_token(m): m for m in markers}
        found: dict[str, list[EntryState]] = {m: [] for m in markers}
        for entry in self._drafts(kind):
            match = TOKEN_RE.search(str(entry.get("text") or ""))
            if match and match.group(0)[1:-1] in by_token:
                marker = by_token[match.group(0)[1:-1]]
                state = self._state_from_draft(ctx, kind, entry)
                found[marker].append(_with_marker(state, marker))
        for year in self._recent_years():
            for number, lines in sorted(self._booked_vouchers(ctx, kind, year).items()):
                token = TOKEN_RE.search(" ".join(str(line.get("text") or "") for line in lines))
                if token and token.group(0)[1:-1] in by_token:
                    marker = by_token[token.group(0)[1:-1]]
                    found[marker].append(_with_marker(self._state_from_booked(ctx, kind, year, number, lines), marker))
        return found

    def read(self, kind: EntryKind, erp_ids: Sequence[str]) -> dict[str, EntryState]:
        states, _ = self._read(_Ctx(), kind, erp_ids)
        return states

    # ------------------------------------------------------------------------------------------------------
    # Connector API: writes
    # ------------------------------------------------------------------------------------------------------
    def create(self, kind: EntryKind, items: Sequence[WriteItem]) -> list[ItemResult]:
        ctx = _Ctx()
        results: dict[str, ItemResult] = {}
        ready: list[tuple[WriteItem, dict[str, Any]]] = []
        try:
            for item in items:
                problem = self._precheck(kind, item.data)
                if problem is None:
                    year = self._year_for(self._entry_date(item.data))
                    if year is None:
                        problem = ErpError(
                            ErrorCategory.SETUP,
                            N_("No accounting year in e-conomic covers {date}").format(
                                date=self._entry_date(item.data)
                            ),
                            field="issue_date" if kind is EntryKind.BILL else "payment_date",
                            hint=N_("Create the accounting year in e-conomic, then re-sync."),
                        )
                    elif year.closed:
                        problem = ErpError(
                            ErrorCategory.BOOKED,
                            N_("The accounting year {year} is closed in e-conomic").format(year=year.year),
                            hint=CLOSED_HINT,
                        )
                if problem is None:
                    supplier = self._resolve_supplier(ctx, item.data, kind)
                    if isinstance(supplier, ErpError):
                        problem = supplier
                if problem is not None:
                    results[item.ref] = ItemResult(item.ref, Outcome.FAILED, error=problem)
                    continue
                department = self._department(ctx, item.data)
                if isinstance(department, ErpError):
                    results[item.ref] = ItemResult(item.ref, Outcome.FAILED, error=department)
                    continue
                entry = self._entry(kind, item.data, supplier, department)  # type: ignore[arg-type]
                ready.append((item, entry))
        except ConnectorError as exc:
            if not results and not ready:
                raise
            for item in items:
                results.setdefault(item.ref, ItemResult(item.ref, Outcome.FAILED, error=exc.error))
            return [results[item.ref] for item in items]

        for group in chunks(ready, self.max_batch):
            try:
                self._post_vouchers(ctx, kind, list(group), results)
            except ConnectorError as exc:
                # Raise only when nothing has a result yet; else keep what earlier chunks achieved.
                if not results:
                    raise
                for item, entry in group:
                    results[item.ref] = ItemResult(item.ref, Outcome.FAILED, error=exc.error, sent=http.jsonable(entry))
        return [results[item.ref] for item in items]

    def _post_vouchers(
        self,
        ctx: _Ctx,
        kind: EntryKind,
        group: list[tuple[WriteItem, dict[str, Any]]],
        results: dict[str, ItemResult],
    ) -> bool:
        """POST one array of vouchers; on a 400, retry once without the refused elements.

        e-conomic validates the whole payload before creating anything, so a refused element means nothing
        was created; the rest are sent again (under their own idempotency key).
        """
        plural = _ENTRY_KEYS[kind][0]
        attempt = group
        for _round in range(2):
            if not attempt:
                return False
            body = [
                {
                    "accountingYear": {"year": self._year_for(self._entry_date(item.data)).year},  # type: ignore[union-attr]
                    "journal": {"journalNumber": self.journal_number},
                    "entries": {plural: [entry]},
                }
                for item, entry in attempt
            ]
            key = batch_idempotency_key("economic-vouchers", [item for item, _ in attempt])
            response = self._request(
                "POST",
                f"/journals/{self.journal_number}/vouchers",
                body=body,
                idempotency_key=key,
                ok_statuses=(400,),
            )
            if response.status == 400:
                errors = self._item_errors(response.body, kind, len(attempt))
                if None in errors and len(errors) == 1:
                    for item, entry in attempt:
                        results[item.ref] = ItemResult(
                            item.ref, Outcome.FAILED, error=errors[None], sent=http.jsonable(entry)
                        )
                    return False
                survivors = []
                for index, (item, entry) in enumerate(attempt):
                    if index in errors:
                        results[item.ref] = ItemResult(
                            item.ref, Outcome.FAILED, error=errors[index], sent=http.jsonable(entry)
                        )
                    else:
                        survivors.append((item, entry))
                attempt = survivors
                continue
            created = response.body if isinstance(response.body, list) else [response.body]
            if len(created) != len(attempt):
                raise ConnectorError(
                    ErpError(
                        ErrorCategory.TEMPORARY,
                        "e-conomic answered with a different number of vouchers than sent",
                        hint=N_("Roger looks the entries up before sending them again."),
                        uncertain=True,
                        code="unexpected_response",
                    )
                )
            for (item, entry), voucher in zip(attempt, created, strict=True):
                made = ((voucher or {}).get("entries") or {}).get(plural) or []
                if not made:
                    raise ConnectorError(
                        ErpError(
                            ErrorCategory.TEMPORARY,
                            "e-conomic's answer lacks the created entry",
                            hint=N_("Roger looks the entries up before sending them again."),
                            uncertain=True,
                            code="unexpected_response",
                        )
                    )
                raw = dict(made[0])
                if "voucher" not in raw or not _ref_number(raw.get("voucher"), "voucherNumber"):
                    raw["voucher"] = {
                        "voucherNumber": voucher.get("voucherNumber"),
                        "accountingYear": voucher.get("accountingYear") or {},
                    }
                state = self._state_from_draft(ctx, kind, raw, fetch=False)
                results[item.ref] = ItemResult(item.ref, Outcome.CREATED, state=state, sent=http.jsonable(entry))
            return True
        return False

    def update(self, kind: EntryKind, items: Sequence[WriteItem]) -> list[ItemResult]:
        ctx = _Ctx()
        results: dict[str, ItemResult] = {}
        prechecked: list[WriteItem] = []
        for item in items:
            problem = self._precheck(kind, item.data)
            if problem is not None:
                results[item.ref] = ItemResult(item.ref, Outcome.FAILED, error=problem)
            else:
                prechecked.append(item)
        if prechecked:
            states, drafts = self._read(ctx, kind, [item.erp_id for item in prechecked])
        else:
            states, drafts = {}, {}
        for position, item in enumerate(prechecked):
            try:
                results[item.ref] = self._update_one(ctx, kind, item, states[item.erp_id], drafts.get(item.erp_id))
            except ConnectorError as exc:
                if not results:  # nothing to report yet: the whole call failed
                    raise
                results[item.ref] = ItemResult(item.ref, Outcome.FAILED, error=exc.error)
                # Stop at the first whole-call failure (rate limit, outage, revoked grant): the rest waits.
                later = ErpError(
                    exc.error.category,
                    exc.error.message,
                    hint=exc.error.hint,
                    retry_after=exc.error.retry_after,
                    code=exc.error.code,
                    status=exc.error.status,
                )
                for rest in prechecked[position + 1 :]:
                    results[rest.ref] = ItemResult(rest.ref, Outcome.FAILED, error=later)
                break
        return [results[item.ref] for item in items]

    def _update_one(
        self, ctx: _Ctx, kind: EntryKind, item: WriteItem, state: EntryState, draft: dict[str, Any] | None
    ) -> ItemResult:
        if state.booked:
            return ItemResult(
                item.ref,
                Outcome.BLOCKED,
                state=state,
                error=ErpError(ErrorCategory.BOOKED, state.booked_reason, hint=state.booked_hint),
            )
        if not state.exists or draft is None:
            return ItemResult(
                item.ref,
                Outcome.FAILED,
                state=state,
                error=ErpError(
                    ErrorCategory.VALIDATION,
                    N_("Voucher {voucher} is no longer in e-conomic's journal {journal}").format(
                        voucher=item.erp_id, journal=self.journal_number
                    ),
                    hint=N_("It was deleted in e-conomic; Roger creates it again on re-sync."),
                    code="not_found",
                    status=404,
                ),
            )
        supplier = self._resolve_supplier(ctx, item.data, kind)
        if isinstance(supplier, ErpError):
            return ItemResult(item.ref, Outcome.FAILED, state=state, error=supplier)
        department = self._department(ctx, item.data)
        if isinstance(department, ErpError):
            return ItemResult(item.ref, Outcome.FAILED, state=state, error=department)
        wanted = self._entry(kind, item.data, supplier, department)
        voucher = draft.get("voucher") or {}
        year = str((voucher.get("accountingYear") or {}).get("year") or "")
        new_year = self._year_for(self._entry_date(item.data))
        if new_year is not None and new_year.year != year:
            return ItemResult(
                item.ref,
                Outcome.FAILED,
                state=state,
                sent=http.jsonable(wanted),
                error=ErpError(
                    ErrorCategory.VALIDATION,
                    N_(
                        "The new date moves voucher {voucher} into accounting year {year}; e-conomic keeps a voucher "
                        "in its year"
                    ).format(voucher=item.erp_id, year=new_year.year),
                    field="issue_date" if kind is EntryKind.BILL else "payment_date",
                    hint=N_("Delete the draft in e-conomic and re-sync, or keep the date within the year."),
                ),
            )
        if _comparable_entry(wanted) == _comparable_entry(draft):
            return ItemResult(item.ref, Outcome.UNCHANGED, state=state, sent=http.jsonable(wanted))
        entry_number = _ref_number(draft, "journalEntryNumber")
        body = {
            **wanted,
            "journalEntryNumber": entry_number,
            "journal": {"journalNumber": self.journal_number},
            "voucher": {
                "voucherNumber": _ref_number(voucher, "voucherNumber"),
                "accountingYear": {"year": year},
            },
        }
        key = item.idempotency_key + ":put"
        if len(key) > 128:
            key = "put-" + hashlib.sha256(item.idempotency_key.encode()).hexdigest()
        response = self._request(
            "PUT",
            f"/journals/{self.journal_number}/entries/{entry_number}",
            body=body,
            idempotency_key=key,
            ok_statuses=(400, 404),
        )
        if response.status == 404:
            # Booked or deleted between our read and the write: report what it is now.
            now, _ = self._read(_Ctx(), kind, [item.erp_id])
            fresh = now[item.erp_id]
            if fresh.booked:
                return ItemResult(
                    item.ref,
                    Outcome.BLOCKED,
                    state=fresh,
                    sent=http.jsonable(wanted),
                    error=ErpError(ErrorCategory.BOOKED, fresh.booked_reason, hint=fresh.booked_hint),
                )
            return ItemResult(
                item.ref,
                Outcome.FAILED,
                state=fresh,
                sent=http.jsonable(wanted),
                error=ErpError(
                    ErrorCategory.VALIDATION,
                    N_("Voucher {voucher} is no longer in e-conomic").format(voucher=item.erp_id),
                    code="not_found",
                    status=404,
                    hint=N_("It was deleted in e-conomic; Roger creates it again on re-sync."),
                ),
            )
        if response.status == 400:
            error = self._item_errors(response.body, kind, 1)
            failure = error.get(0) or error[None]
            outcome = Outcome.BLOCKED if failure.category is ErrorCategory.BOOKED else Outcome.FAILED
            return ItemResult(item.ref, outcome, state=state, error=failure, sent=http.jsonable(wanted))
        updated = dict(response.body) if isinstance(response.body, Mapping) else dict(body)
        updated.setdefault("voucher", body["voucher"])
        return ItemResult(
            item.ref,
            Outcome.UPDATED,
            state=self._state_from_draft(ctx, kind, updated, fetch=False),
            sent=http.jsonable(wanted),
        )

    def book(self, kind: EntryKind, erp_ids: Sequence[str]) -> list[ItemResult]:
        """Book exactly these vouchers (entry-specific booking), never the whole journal."""
        ctx = _Ctx()
        states, drafts = self._read(ctx, kind, erp_ids)
        results: dict[str, ItemResult] = {}
        to_book: list[str] = []
        for erp_id in erp_ids:
            state = states[erp_id]
            if state.status == "booked":
                results[erp_id] = ItemResult(erp_id, Outcome.UNCHANGED, state=state)
            elif not state.exists:
                results[erp_id] = ItemResult(
                    erp_id,
                    Outcome.FAILED,
                    state=state,
                    error=ErpError(
                        ErrorCategory.VALIDATION,
                        N_("Voucher {voucher} is not in e-conomic's journal").format(voucher=erp_id),
                        code="not_found",
                    ),
                )
            elif state.booked:  # a draft in a closed period cannot be booked
                results[erp_id] = ItemResult(
                    erp_id,
                    Outcome.BLOCKED,
                    state=state,
                    error=ErpError(ErrorCategory.BOOKED, state.booked_reason, hint=state.booked_hint),
                )
            else:
                to_book.append(erp_id)
        if to_book:
            numbers = sorted(_ref_number(drafts[i], "journalEntryNumber") or 0 for i in to_book)
            body = {"entries": [{"journalEntryNumber": n} for n in numbers]}
            key = "book-" + hashlib.sha256(http.dumps(body)).hexdigest()[:48]
            response = self._request(
                "POST",
                f"/journals/{self.journal_number}/bookdraftentries",
                body=body,
                idempotency_key=key,
                ok_statuses=(400,),
            )
            if response.status == 400:
                errors = self._item_errors(response.body, kind, len(to_book))
                error = next(iter(errors.values()))
                for erp_id in to_book:
                    outcome = Outcome.BLOCKED if error.category is ErrorCategory.BOOKED else Outcome.FAILED
                    results[erp_id] = ItemResult(erp_id, outcome, state=states[erp_id], error=error, sent=body)
            else:
                try:
                    after, _ = self._read(_Ctx(), kind, to_book)
                except ConnectorError as exc:
                    # Booked, most likely, but unconfirmed: the engine reads the entries again later.
                    unsure = ErpError(
                        ErrorCategory.TEMPORARY,
                        f"e-conomic took the booking but could not be read back ({exc.error.message})",
                        uncertain=True,
                        retry_after=exc.error.retry_after,
                    )
                    for erp_id in to_book:
                        results[erp_id] = ItemResult(
                            erp_id, Outcome.FAILED, state=states[erp_id], sent=body, error=unsure
                        )
                    return [results[erp_id] for erp_id in erp_ids]
                for erp_id in to_book:
                    state = after[erp_id]
                    if state.status == "booked":
                        results[erp_id] = ItemResult(erp_id, Outcome.UPDATED, state=state, sent=body)
                    else:
                        results[erp_id] = ItemResult(
                            erp_id,
                            Outcome.FAILED,
                            state=state,
                            sent=body,
                            error=ErpError(
                                ErrorCategory.TEMPORARY,
                                f"e-conomic did not book voucher {erp_id}",
                                uncertain=True,
                            ),
                        )
        return [results[erp_id] for erp_id in erp_ids]

    # ------------------------------------------------------------------------------------------------------
    # Catalogues
    # ------------------------------------------------------------------------------------------------------
    def accounts(self) -> list[CatalogItem]:
        """Accounts that take entries (``profitAndLoss`` and ``status``); headings and totals cannot."""
        out = []
        for item in self._paged("/accounts"):
            if item.get("accountType") not in ("profitAndLoss", "status"):
                continue
            out.append(
                CatalogItem(
                    code=str(item.get("accountNumber")),
                    name=str(item.get("name") or ""),
                    group=str(item.get("accountType")),
                    active=not item.get("barred") and not item.get("blockDirectEntries"),
                )
            )
        return out

    def tax_rates(self) -> list[CatalogItem]:
        out = []
        for item in self._paged("/vat-accounts"):
            rate = _money(item.get("ratePercentage"))
            name = str(item.get("name") or item.get("vatCode"))
            out.append(
                CatalogItem(
                    code=str(item.get("vatCode")),
                    name=f"{name} ({rate.normalize():f}%)" if rate is not None else name,
                    group=str((item.get("vatType") or {}).get("name") or ""),
                    active=not item.get("barred"),
                )
            )
        return out

    def tracking_options(self) -> list[CatalogItem]:
        """Departmental distributions, coded ``"Department: <departmentalDistributionNumber>"``.

        The same ``"<category>: <option>"`` text as Xero's codes, so the mapper's split gives the number as the
        option and ``BillData.comparable()["tracking"]`` equals what ``read`` reports.
        """
        return [
            CatalogItem(
                code=f"{DEPARTMENT_GROUP}: {item.get('departmentalDistributionNumber')}",
                name=str(item.get("name") or ""),
                group=DEPARTMENT_GROUP,
                active=not item.get("barred"),
            )
            for item in self._paged("/departmental-distributions")
        ]

    BANK_WORDS = re.compile(r"bank|kasse|cash|giro|konto|mobilepay|account", re.IGNORECASE)

    def bank_accounts(self) -> list[CatalogItem]:
        """Balance-sheet (``status``) accounts whose name reads like a bank or cash account.

        The legacy API has no bank flag on accounts; when no name matches, every open ``status`` account is
        offered so the admin can still choose.
        """
        status = [a for a in self.accounts() if a.group == "status" and a.active]
        banks = [a for a in status if self.BANK_WORDS.search(a.name)]
        return banks or status

    def contacts(self) -> list[CatalogItem]:
        return [
            CatalogItem(
                code=str(item.get("supplierNumber")),
                name=str(item.get("name") or ""),
                group=str((item.get("supplierGroup") or {}).get("supplierGroupNumber") or ""),
                active=not item.get("barred"),
            )
            for item in self._paged("/suppliers")
        ]


# ----------------------------------------------------------------------------------------------------------
# helpers
# ----------------------------------------------------------------------------------------------------------
def _escape(value: str) -> str:
    """e-conomic's filter escaping ($ first, then the operators' characters)."""
    out = value.replace("$", "$$")
    for ch in "()*,[]":
        out = out.replace(ch, "$" + ch)
    return out


def _parse_date(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def _parse_erp_id(erp_id: str) -> tuple[str, int] | None:
    year, sep, number = erp_id.rpartition("-")
    if not sep or not year or not number.isdigit():
        return None
    return year, int(number)


def _with_marker(state: EntryState, marker: str) -> EntryState:
    return EntryState(**{**state.__dict__, "marker": marker})


def _comparable_entry(entry: Mapping[str, Any]) -> dict[str, Any]:
    """The properties Roger writes, normalised, to tell whether a PUT would change anything."""
    return {
        "supplier": _ref_number(entry.get("supplier"), "supplierNumber"),
        "supplierInvoiceNumber": str(entry.get("supplierInvoiceNumber") or ""),
        "text": str(entry.get("text") or ""),
        "amount": _money(entry.get("amount")),
        "contraAccount": _ref_number(entry.get("contraAccount"), "accountNumber"),
        "vatCode": str((entry.get("contraVatAccount") or {}).get("vatCode") or ""),
        "contraVatAmount": _money(entry.get("contraVatAmount")) if entry.get("contraVatAccount") else None,
        "currency": str((entry.get("currency") or {}).get("code") or ""),
        "date": str(entry.get("date") or "")[:10],
        "dueDate": str(entry.get("dueDate") or "")[:10],
        "department": _ref_number(entry.get("departmentalDistribution"), "departmentalDistributionNumber"),
    }
