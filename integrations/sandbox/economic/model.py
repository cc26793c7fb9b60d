"""The e-conomic sandbox's data: agreements with accounts, VAT codes, departments, suppliers, journals, drafts and
booked ledger lines; and the seed every new agreement gets.

Money: amounts are ``Decimal`` to the cent.  An entry's ``exchangeRate`` is per 100 units of its currency (the
base currency's rate is 100: ``JournalEntryExchangeRateMustBeOneHundredForBaseCurrency``, openapi-Journals.json),
and its base-currency amount is ``amount × exchangeRate / 100``, rounded half up to the cent.
"""

from __future__ import annotations

import calendar
import secrets
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

CENT = Decimal("0.01")
BASE_CURRENCY = "DKK"
# The sandbox's default rates per 100 units (what e-conomic would set "based on entry date and currency" when a
# draft entry is written without an exchange rate; one fixed table here, whatever the date).
DEFAULT_RATES = {
    "DKK": Decimal("100"),
    "EUR": Decimal("746.12"),
    "SEK": Decimal("64.80"),
    "NOK": Decimal("63.50"),
    "USD": Decimal("690.45"),
    "GBP": Decimal("870.30"),
}
CURRENCIES = tuple(DEFAULT_RATES)
ROGER_JOURNAL = 10
HUMAN_JOURNAL = 5
CREDITORS_ACCOUNT = 6800
# Journals API DraftEntry.entryTypeNumber ↔ the legacy entryType names.
ENTRY_TYPE_NUMBERS = {
    "customerPayment": 2,
    "supplierInvoice": 3,
    "supplierPayment": 4,
    "financeVoucher": 5,
    "manualCustomerInvoice": 10,
}
ENTRY_KINDS = {
    "supplierInvoices": "supplierInvoice",
    "supplierPayments": "supplierPayment",
    "financeVouchers": "financeVoucher",
    "customerPayments": "customerPayment",
    "manualCustomerInvoices": "manualCustomerInvoice",
}
SUPPORTED_KINDS = ("supplierInvoices", "supplierPayments", "financeVouchers")

# (number, name, type, barred)
ACCOUNTS: list[tuple[int, str, str, bool]] = [
    (1000, "Income statement", "heading", False),
    (1010, "Sales of goods", "profitAndLoss", False),
    (2000, "Costs", "headingStart", False),
    (2200, "Office supplies", "profitAndLoss", False),
    (2210, "IT and software", "profitAndLoss", False),
    (2220, "Advertising", "profitAndLoss", False),
    (2230, "Cleaning", "profitAndLoss", False),
    (2240, "Consulting fees", "profitAndLoss", False),
    (2250, "Travel", "profitAndLoss", False),
    (2800, "Rent and utilities", "profitAndLoss", False),
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


@dataclass
class Entry:
    number: int  # the draft's entry number: legacy journalEntryNumber = Journals API entryNumber
    journal: int
    year: str
    voucher: int
    entry_type: str
    data: dict[str, Any]  # the writable properties as e-conomic stores them (legacy names)
    version: int = 1  # objectVersion: changes with every change of the draft

    @property
    def object_version(self) -> str:
        return f"{self.number:x}-{self.version:x}"


@dataclass
class StoredFile:
    """One uploaded file, as sent (what the web page serves back); the API never returns the bytes."""

    name: str
    content_type: str
    content: bytes
    sha256: str
    pages: int

    @property
    def size(self) -> int:
        return len(self.content)


@dataclass
class AttachedDocument:
    """The Documents API's ``AttachedDocument``: the one document of a voucher (``accountingYear`` +
    ``voucherNumber``); merging another file in adds it to ``files`` (``onConflict`` 0, "Merge")."""

    number: int
    year: str
    voucher: int
    note: str
    created: str
    files: list[StoredFile] = field(default_factory=list)

    @property
    def page_count(self) -> int:
        return sum(f.pages for f in self.files)


@dataclass
class Agreement:
    number: int
    name: str
    grant_token: str
    secret_token: str
    revoked: bool = False
    base_currency: str = BASE_CURRENCY
    roles: set[str] = field(default_factory=lambda: {"Bookkeeping"})  # the app's roles on this agreement
    modules: set[str] = field(default_factory=lambda: {"Dimension"})
    rates: dict[str, Decimal] = field(default_factory=lambda: dict(DEFAULT_RATES))
    years: dict[str, dict[str, Any]] = field(default_factory=dict)  # year → {fromDate, toDate, closed, periods}
    accounts: dict[int, dict[str, Any]] = field(default_factory=dict)
    vat_accounts: dict[str, dict[str, Any]] = field(default_factory=dict)
    departments: dict[int, dict[str, Any]] = field(default_factory=dict)
    distributions: dict[int, dict[str, Any]] = field(default_factory=dict)
    suppliers: dict[int, dict[str, Any]] = field(default_factory=dict)
    # journal number → {name, allowedEntryType (0 = all), minimumVoucherNumber, maximumVoucherNumber}
    journals: dict[int, dict[str, Any]] = field(default_factory=dict)
    drafts: dict[int, Entry] = field(default_factory=dict)  # entry number → draft entry
    booked: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # year → ledger lines
    booked_entries: dict[int, tuple[str, int]] = field(default_factory=dict)  # former draft → (year, voucher)
    used_vouchers: dict[tuple[int, str], set[int]] = field(default_factory=dict)  # (journal, year) → numbers
    next_voucher: dict[tuple[int, str], int] = field(default_factory=dict)
    pending_edits: dict[int, dict[str, Any]] = field(default_factory=dict)  # entry → edit applied before next PUT
    documents: dict[int, AttachedDocument] = field(default_factory=dict)  # Documents API: number → document
    next_entry: int = 1
    next_booked_line: int = 1
    next_document: int = 1

    def year_of(self, day: date) -> str | None:
        for year, info in self.years.items():
            if info["fromDate"] <= day.isoformat() <= info["toDate"]:
                return year
        return None

    def closed_reason(self, year: str, day: date) -> tuple[str, str]:
        """(reason, Journals API error code) when ``day`` is in a closed year or period of ``year``."""
        info = self.years[year]
        if info["closed"]:
            return f"The accounting year {year} is closed.", "JournalEntryDateAccountingYearClosed"
        for period in info["periods"]:
            if period["fromDate"] <= day.isoformat() <= period["toDate"] and period["closed"]:
                return (
                    f"The accounting period {period['fromDate']} to {period['toDate']} is closed for further "
                    "transactions.",
                    "JournalEntryDateAccountingYearPeriodBarred",
                )
        return "", ""

    def voucher_range(self, journal: int) -> tuple[int, int]:
        settings = self.journals[journal]
        return int(settings.get("minimumVoucherNumber") or 1), int(settings.get("maximumVoucherNumber") or 999_999_999)

    def next_voucher_number(self, journal: int, year: str) -> int | None:
        """The journal's next free voucher number in ``year``; None when its range is used up."""
        low, high = self.voucher_range(journal)
        used = self.used_vouchers.setdefault((journal, year), set())
        number = max(self.next_voucher.get((journal, year), low), low)
        while number in used:
            number += 1
        return number if number <= high else None

    def take_voucher(self, journal: int, year: str, number: int) -> None:
        self.used_vouchers.setdefault((journal, year), set()).add(number)
        self.next_voucher[(journal, year)] = max(self.next_voucher.get((journal, year), 1), number + 1)

    def new_entry(self, journal: int, year: str, voucher: int, entry_type: str, data: dict[str, Any]) -> Entry:
        entry = Entry(
            number=self.next_entry, journal=journal, year=year, voucher=voucher, entry_type=entry_type, data=data
        )
        self.next_entry += 1
        self.drafts[entry.number] = entry
        return entry

    def document_of(self, year: str, voucher: int) -> AttachedDocument | None:
        return next((d for d in self.documents.values() if (d.year, d.voucher) == (year, voucher)), None)

    def voucher_dates(self, year: str, voucher: int) -> list[str]:
        """The dates of a voucher's drafts (any journal: the Documents API names no journal) and booked lines."""
        drafts = [e.data["date"] for e in self.drafts.values() if (e.year, e.voucher) == (year, voucher)]
        lines = [line["date"] for line in self.booked.get(year, []) if line["voucherNumber"] == voucher]
        return drafts + lines

    def voucher_booked(self, year: str, voucher: int) -> bool:
        return any(line["voucherNumber"] == voucher for line in self.booked.get(year, []))

    def rate_for(self, currency: str) -> Decimal:
        return Decimal(100) if currency == self.base_currency else self.rates[currency]


def base_amount(amount: Decimal, rate: Decimal) -> Decimal:
    return (amount * rate / 100).quantize(CENT, rounding=ROUND_HALF_UP)


def vat_from_code(amount: Decimal, rate: Decimal) -> Decimal:
    """The VAT in an amount incl. VAT at ``rate`` percent, with the amount's sign (a credit note's is negative)."""
    vat = (abs(amount) * rate / (100 + rate)).quantize(CENT, rounding=ROUND_HALF_UP)
    return -vat if amount < 0 else vat


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
    for year in (this_year - 3, this_year - 2, this_year - 1, this_year, this_year + 1):
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
    agreement.journals = {
        HUMAN_JOURNAL: {"name": "Daily journal", "allowedEntryType": 0},
        ROGER_JOURNAL: {"name": "Roger", "allowedEntryType": 0},
    }
    return agreement
