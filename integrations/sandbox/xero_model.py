"""Xero organisations, their chart of accounts, contacts, bills, credit notes, payments, allocations and
attachments, in Xero's own JSON shapes.

Built from Xero's published OpenAPI description (schemas Invoice, LineItem, Payment, Contact, Account,
TaxRate, TrackingCategory, Organisation) and the developer docs' rules; no project code is shared.
Money is ``Decimal`` throughout; rendering turns it into JSON numbers.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

ZERO = Decimal("0")
CENT = Decimal("0.01")
EMPTY_ID = "00000000-0000-0000-0000-000000000000"
DEMO_COMPANY = "Demo Company (sandbox)"  # the organisation the authorize page creates when there is none

# (code, name, type, default tax type, status)
EXPENSE_ACCOUNTS = [
    ("400", "Advertising"),
    ("404", "Bank Fees"),
    ("408", "Cleaning"),
    ("412", "Consulting & Accounting"),
    ("429", "General Expenses"),
    ("433", "Insurance"),
    ("445", "Light, Power, Heating"),
    ("461", "Printing & Stationery"),
    ("469", "Rent"),
    ("489", "Telephone & Internet"),
    ("493", "Travel - National"),
]
# (tax type, name, rate, report tax type, status)
TAX_RATES = [
    ("INPUT", "Tax on Purchases", Decimal("25.0000"), "INPUT", "ACTIVE"),
    ("INPUT2", "Reduced Tax on Purchases", Decimal("12.5000"), "INPUT", "ACTIVE"),
    ("EXEMPTEXPENSES", "Exempt Expenses", Decimal("0.0000"), "EXEMPTEXPENSES", "ACTIVE"),
    ("NONE", "No Tax", Decimal("0.0000"), "NONE", "ACTIVE"),
    ("OUTPUT", "Tax on Sales", Decimal("25.0000"), "OUTPUT", "ACTIVE"),
    ("TAX001", "Old Tax on Purchases", Decimal("20.0000"), "INPUT", "DELETED"),
]
TRACKING = [
    ("Department", ["Administration", "Engineering", "Marketing", "Sales"], ["Legacy"]),
    ("Region", ["North", "South"], []),
]


def new_id() -> str:
    return str(uuid.uuid4())


def utcnow() -> datetime:
    return datetime.now(UTC)


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


# -- Xero's JSON date forms -----------------------------------------------------------------------------------
def ms_date(day: date) -> str:
    """A calendar date as Xero's ``/Date(1700000000000+0000)/`` (midnight UTC)."""
    moment = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return f"/Date({int(moment.timestamp() * 1000)}+0000)/"


def ms_datetime(moment: datetime, offset: bool = True) -> str:
    suffix = "+0000" if offset else ""
    return f"/Date({int(moment.timestamp() * 1000)}{suffix})/"


def date_string(day: date) -> str:
    return f"{day.isoformat()}T00:00:00"


def iso_utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def lock_text(day: date) -> str:
    """Xero prints lock dates as ``30-Nov-2018`` in its messages."""
    return day.strftime("%d-%b-%Y")


def parse_date(value: Any) -> date:
    """Accept ``YYYY-MM-DD``, ``YYYY-MM-DDThh:mm:ss`` and ``/Date(ms+0000)/``; raise ``ValueError`` otherwise."""
    if isinstance(value, date):
        return value
    text = str(value).strip()
    if text.startswith("/Date("):
        millis = int(text[6:].split(")")[0].split("+")[0].split("-")[0] or "0")
        return datetime.fromtimestamp(millis / 1000, UTC).date()
    return datetime.fromisoformat(text[:19] if "T" in text else text[:10]).date()


# -- the data -----------------------------------------------------------------------------------------------------
@dataclass
class Contact:
    ContactID: str
    Name: str
    ContactNumber: str = ""
    AccountNumber: str = ""
    TaxNumber: str = ""
    EmailAddress: str = ""
    FirstName: str = ""
    LastName: str = ""
    CompanyNumber: str = ""
    ContactStatus: str = "ACTIVE"
    DefaultCurrency: str = ""
    IsSupplier: bool = False
    IsCustomer: bool = False
    updated: datetime = field(default_factory=utcnow)


@dataclass
class Line:
    LineItemID: str
    Description: str = ""
    Quantity: Decimal = Decimal("1")
    UnitAmount: Decimal = ZERO
    LineAmount: Decimal = ZERO
    AccountCode: str = ""
    AccountID: str = ""
    TaxType: str = ""
    TaxAmount: Decimal = ZERO
    ItemCode: str = ""
    Tracking: list[dict[str, str]] = field(default_factory=list)


@dataclass
class Invoice:
    InvoiceID: str
    Type: str
    ContactID: str
    Date: date
    DueDate: date | None = None
    Status: str = "DRAFT"
    LineAmountTypes: str = "Exclusive"
    InvoiceNumber: str = ""
    Reference: str = ""
    Url: str = ""
    CurrencyCode: str = ""
    CurrencyRate: Decimal = Decimal("1")
    PlannedPaymentDate: date | None = None
    SentToContact: bool = False
    created_by: str = ""  # the app (client id) that created it: what createdByMyApp filters on
    lines: list[Line] = field(default_factory=list)
    SubTotal: Decimal = ZERO
    TotalTax: Decimal = ZERO
    Total: Decimal = ZERO
    AmountPaid: Decimal = ZERO
    AmountCredited: Decimal = ZERO
    FullyPaidOnDate: date | None = None
    updated: datetime = field(default_factory=utcnow)

    @property
    def AmountDue(self) -> Decimal:
        return self.Total - self.AmountPaid - self.AmountCredited


class CreditNote(Invoice):
    """A credit note (``ACCPAYCREDIT`` from a supplier, ``ACCRECCREDIT`` to a customer): the shape of an invoice
    (developer.xero.com/documentation/api/accounting/creditnotes: "See Invoice Line Items"), stored apart.
    ``InvoiceID`` holds the CreditNoteID and ``InvoiceNumber`` the CreditNoteNumber; ``AmountPaid`` is what was
    refunded and ``AmountCredited`` what was allocated, so ``AmountDue`` is its RemainingCredit."""

    @property
    def CreditNoteID(self) -> str:
        return self.InvoiceID


@dataclass
class Payment:
    PaymentID: str
    InvoiceID: str  # the invoice paid, or the credit note refunded (see CreditNoteID)
    AccountID: str
    Date: date
    Amount: Decimal
    Reference: str = ""
    CurrencyRate: Decimal = Decimal("1")
    BankAmount: Decimal | None = None  # in the bank account's currency; None: the same as Amount
    IsReconciled: bool = False
    Status: str = "AUTHORISED"
    updated: datetime = field(default_factory=utcnow)
    CreditNoteID: str = ""  # set for a refund of a credit note (then InvoiceID is empty)


@dataclass
class Allocation:
    """Part of a credit note applied to an invoice of the same contact (``PUT /CreditNotes/{id}/Allocations``)."""

    AllocationID: str
    CreditNoteID: str
    InvoiceID: str
    Amount: Decimal
    Date: date  # read-only in Xero: the later of the invoice's and the credit note's date
    IsDeleted: bool = False
    updated: datetime = field(default_factory=utcnow)


@dataclass
class Attachment:
    """A file on a document (``/{Endpoint}/{Guid}/Attachments/{FileName}``); the bytes stay in the sandbox."""

    AttachmentID: str
    FileName: str
    MimeType: str
    content: bytes = field(repr=False)
    IncludeOnline: bool = False
    updated: datetime = field(default_factory=utcnow)
    sha256: str = ""  # computed once on upload, for the control API's state

    @property
    def ContentLength(self) -> int:
        return len(self.content)


@dataclass
class Org:
    tenant_id: str
    name: str
    base_currency: str
    currencies: list[str]
    created: datetime = field(default_factory=utcnow)
    short_code: str = field(default_factory=lambda: "!" + secrets.token_hex(3))
    high_volume: bool = False  # more than 100,000 invoices: unoptimised reads are denied (xero_volume.py)
    accounts: list[dict[str, Any]] = field(default_factory=list)
    tax_rates: list[dict[str, Any]] = field(default_factory=list)
    tracking: list[dict[str, Any]] = field(default_factory=list)
    contacts: dict[str, Contact] = field(default_factory=dict)
    invoices: dict[str, Invoice] = field(default_factory=dict)
    payments: dict[str, Payment] = field(default_factory=dict)
    credit_notes: dict[str, CreditNote] = field(default_factory=dict)
    allocations: dict[str, Allocation] = field(default_factory=dict)
    attachments: dict[str, list[Attachment]] = field(default_factory=dict)  # document id → its files
    period_lock_date: date | None = None
    end_of_year_lock_date: date | None = None
    next_number: int = 1

    # -- look-ups --------------------------------------------------------------------------------------------
    def account_by_code(self, code: str) -> dict[str, Any] | None:
        return next((a for a in self.accounts if a["Code"].lower() == code.strip().lower()), None)

    def account_by_id(self, account_id: str) -> dict[str, Any] | None:
        return next((a for a in self.accounts if a["AccountID"] == str(account_id).lower()), None)

    def tax_rate(self, tax_type: str) -> dict[str, Any] | None:
        return next((t for t in self.tax_rates if t["TaxType"].lower() == tax_type.strip().lower()), None)

    def contact_by_number(self, number: str) -> Contact | None:
        wanted = number.strip().casefold()
        return next((c for c in self.contacts.values() if c.ContactNumber.casefold() == wanted), None)

    def contact_by_name(self, name: str, exclude: str | None = None) -> Contact | None:
        wanted = name.strip().casefold()
        return next((c for c in self.contacts.values() if c.Name.casefold() == wanted and c.ContactID != exclude), None)

    def payments_of(self, invoice_id: str) -> list[Payment]:
        return [p for p in self.payments.values() if p.InvoiceID == invoice_id and p.Status == "AUTHORISED"]

    def refunds_of(self, credit_note_id: str) -> list[Payment]:
        return [p for p in self.payments.values() if p.CreditNoteID == credit_note_id and p.Status == "AUTHORISED"]

    def allocations_of(self, *, credit_note_id: str = "", invoice_id: str = "") -> list[Allocation]:
        return [
            a
            for a in self.allocations.values()
            if not a.IsDeleted
            and (not credit_note_id or a.CreditNoteID == credit_note_id)
            and (not invoice_id or a.InvoiceID == invoice_id)
        ]

    def document(self, document_id: str) -> Invoice | None:
        """An invoice or a credit note by its id (what attachments hang on)."""
        key = document_id.strip().lower()
        return self.invoices.get(key) or self.credit_notes.get(key)

    def lock_error(self, day: date) -> str | None:
        """Xero's message for a ledger-affecting write dated on/before a lock date, else None."""
        if self.end_of_year_lock_date and day <= self.end_of_year_lock_date:
            return (
                "The document date cannot be before the end of year lock date, currently set at "
                f"{lock_text(self.end_of_year_lock_date)}"
            )
        if self.period_lock_date and day <= self.period_lock_date:
            return (
                "The document date cannot be before the period lock date, currently set at "
                f"{lock_text(self.period_lock_date)}"
            )
        return None


def seed_org(name: str, base_currency: str = "DKK", currencies: list[str] | None = None) -> Org:
    """A new organisation with a small Danish-style chart of accounts, tax rates and tracking."""
    org = Org(
        tenant_id=new_id(),
        name=name,
        base_currency=base_currency,
        currencies=sorted(set(currencies or ["DKK", "EUR", "USD", "GBP"]) | {base_currency}),
    )
    stamp = ms_datetime(org.created)
    org.accounts = [_account(code, label, "EXPENSE", "INPUT", stamp) for code, label in EXPENSE_ACCOUNTS]
    org.accounts.append(_account("477", "Salaries (archived)", "EXPENSE", "NONE", stamp, status="ARCHIVED"))
    org.accounts.append(_account("200", "Sales", "REVENUE", "OUTPUT", stamp))
    org.accounts.append(_account("610", "Accounts Receivable", "CURRENT", "NONE", stamp, system="DEBTORS"))
    org.accounts.append(_account("800", "Accounts Payable", "CURRLIAB", "NONE", stamp, system="CREDITORS"))
    for code, label, number, currency in (
        ("090", "Business Bank Account", "5301-0001234567", base_currency),
        ("091", "Business Savings Account", "5301-0007654321", base_currency),
        ("092", "EUR Bank Account", "5301-0009999999", "EUR"),
    ):
        bank = _account(code, label, "BANK", "NONE", stamp)
        bank.update(
            BankAccountNumber=number,
            BankAccountType="BANK",
            CurrencyCode=currency,
            EnablePaymentsToAccount=False,
            ShowInExpenseClaims=False,
        )
        org.accounts.append(bank)
    org.tax_rates = [_tax_rate(*row) for row in TAX_RATES]
    org.tracking = [_tracking(label, active, archived) for label, active, archived in TRACKING]
    return org


def _account(
    code: str, name: str, kind: str, tax: str, stamp: str, status: str = "ACTIVE", system: str = ""
) -> dict[str, Any]:
    classes = {"EXPENSE": "EXPENSE", "REVENUE": "REVENUE", "CURRENT": "ASSET", "BANK": "ASSET", "CURRLIAB": "LIABILITY"}
    account: dict[str, Any] = {
        "AccountID": new_id(),
        "Code": code,
        "Name": name,
        "Type": kind,
        "Status": status,
        "TaxType": tax,
        "Class": classes[kind],
        "EnablePaymentsToAccount": False,
        "ShowInExpenseClaims": kind == "EXPENSE",
        "BankAccountType": "",
        "ReportingCode": "",
        "HasAttachments": False,
        "UpdatedDateUTC": stamp,
        "AddToWatchlist": False,
    }
    if system:
        account["SystemAccount"] = system
    return account


def _tax_rate(tax_type: str, name: str, rate: Decimal, report: str, status: str) -> dict[str, Any]:
    return {
        "Name": name,
        "TaxType": tax_type,
        "ReportTaxType": report,
        "Status": status,
        "CanApplyToAssets": True,
        "CanApplyToEquity": True,
        "CanApplyToExpenses": True,
        "CanApplyToLiabilities": True,
        "CanApplyToRevenue": tax_type == "OUTPUT" or rate == 0,
        "DisplayTaxRate": rate,
        "EffectiveRate": rate,
        "TaxComponents": [
            {"Name": "VAT" if rate else "No tax", "Rate": rate, "IsCompound": False, "IsNonRecoverable": False}
        ],
    }


def _tracking(name: str, active: list[str], archived: list[str]) -> dict[str, Any]:
    category_id = new_id()
    options = [
        {"TrackingOptionID": new_id(), "Name": option, "Status": "ACTIVE", "TrackingCategoryID": category_id}
        for option in active
    ]
    options += [
        {"TrackingOptionID": new_id(), "Name": option, "Status": "ARCHIVED", "TrackingCategoryID": category_id}
        for option in archived
    ]
    return {"TrackingCategoryID": category_id, "Name": name, "Status": "ACTIVE", "Options": options}


def today() -> date:
    return utcnow().date()


def days_from_today(days: int) -> date:
    return today() + timedelta(days=days)
