"""Checking a Journals API ``DraftEntry`` (openapi-Journals.json, required ``amount``, ``currency``, ``date``,
``entryTypeNumber``, ``journalNumber``), refusing with the DraftEntries tag's ``x-error-codes``.

The body has no VAT amount: the VAT follows ``contraVatCode`` (rate from the VAT account).  ``exchangeRate`` left
out or null: "A default exchange rate will be set based on entry date and currency" (changelog 8.0.0); a base
currency rate must be 100 (``JournalEntryExchangeRateMustBeOneHundredForBaseCurrency``).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from integrations.sandbox.economic.errors import PROBLEM_JSON, EconomicError, problem_body
from integrations.sandbox.economic.model import (
    CENT,
    CURRENCIES,
    ENTRY_TYPE_NUMBERS,
    Agreement,
    Entry,
    base_amount,
    vat_from_code,
)

TYPE_NAMES = {number: name for name, number in ENTRY_TYPE_NUMBERS.items()}
SUPPORTED_TYPES = (3, 4)


class _Errors:
    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []

    def add(self, prop: str, message: str, code: str = "") -> None:
        error: dict[str, Any] = {"message": message}
        if code:
            error["errorCode"] = code
        error["property"] = prop
        self.items.append(error)

    def raise_if_any(self) -> None:
        if self.items:
            body = problem_body(
                400, "Bad request.", detail="Your request does not pass our validation.", errors=self.items
            )
            raise EconomicError(400, body, PROBLEM_JSON)


def _number(raw: dict[str, Any], prop: str) -> Any:
    value = raw.get(prop)
    return None if isinstance(value, bool) else value


def _day(raw: Any) -> date | None:
    try:
        return date.fromisoformat(str(raw)[:10]) if raw else None
    except ValueError:
        return None


def validate(ag: Agreement, raw: Any, current: Entry | None) -> tuple[dict[str, Any], int, str, int | None]:
    """A DraftEntry body → (stored data, entry type number, year, voucher number or None); 400 on refusal."""
    errors = _Errors()
    if not isinstance(raw, dict):
        errors.add("body", "The request body must be a draft entry.")
        errors.raise_if_any()
    for prop in ("amount", "currency", "date", "entryTypeNumber", "journalNumber"):
        if raw.get(prop) is None:
            errors.add(prop, f"The {prop} field is required.")
    errors.raise_if_any()
    kind, journal = _number(raw, "entryTypeNumber"), _number(raw, "journalNumber")
    if journal not in ag.journals:
        errors.add("journalNumber", "Journal does not exist.", "JournalDoesNotExist")
        errors.raise_if_any()
    if current is not None and journal != current.journal:
        errors.add(
            "journalNumber", "The journal of a draft entry cannot change.", "JournalNumberCannotBeChangedOnDraftEntry"
        )
    allowed = int(ag.journals[journal].get("allowedEntryType") or 0)
    if (
        kind not in SUPPORTED_TYPES
        or (allowed and kind != allowed)
        or (current and TYPE_NAMES.get(kind) != current.entry_type)
    ):
        errors.add("entryTypeNumber", "The entry type is not allowed here.", "JournalEntryTypeNotCorrect")
    data: dict[str, Any] = {}
    amount = raw.get("amount")
    if not isinstance(amount, int | Decimal) or isinstance(amount, bool) or amount == 0:
        errors.add("amount", "An amount is required.", "JournalEntryEitherAmountsNotSet")
    elif Decimal(amount) != Decimal(amount).quantize(CENT):
        errors.add("amount", "The amount has more than two decimals.", "JournalEntryAmountExceedsDigitLimit")
    else:
        data["amount"] = Decimal(amount).quantize(CENT)
    day = _day(raw.get("date"))
    year = ag.year_of(day) if day else None
    if day is None or year is None:
        errors.add(
            "date", "The entry date's accounting year does not exist.", "JournalEntryDateAccountingYearDoesNotExist"
        )
    else:
        reason, code = ag.closed_reason(year, day)
        if reason:
            errors.add("date", reason, code)
        elif current is not None and year != current.year:
            errors.add(
                "date",
                "The entry is not within its voucher's accounting year.",
                "JournalEntryNotWithinEnclosingVoucherAccountingYear",
            )
        data["date"] = day.isoformat()
    supplier = _number(raw, "supplierNumber")
    if supplier is None:
        errors.add("supplierNumber", "A supplier is required.", "JournalEntrySupplierNotSet")
    elif supplier not in ag.suppliers or ag.suppliers[supplier].get("barred"):
        errors.add("supplierNumber", "The supplier was not found.", "JournalEntrySupplierNotFound")
    else:
        data["supplier"] = supplier
    _contra(ag, raw, data, errors)
    _currency(ag, raw, data, errors)
    text = raw.get("text")
    if text is not None:
        if not isinstance(text, str) or len(text) > 250:
            errors.add("text", "The text is too long.", "JournalEntryTextTooLong")
        else:
            data["text"] = text
    invoice = raw.get("supplierInvoiceNumber")
    if invoice is not None:
        if not isinstance(invoice, str) or len(invoice) > 30:
            errors.add(
                "supplierInvoiceNumber", "The supplier invoice number is too long.", "JournalEntrySupplierInvoiceTooBig"
            )
        else:
            data["supplierInvoiceNumber"] = invoice
    due = _day(raw.get("dueDate")) if raw.get("dueDate") is not None else None
    if raw.get("dueDate") is not None and (due is None or (day is not None and due < day)):
        errors.add("dueDate", "The due date is not within the allowed range.", "JournalEntryDueDateNotInRange")
    elif due is not None:
        data["dueDate"] = due.isoformat()
    voucher = _number(raw, "voucherNumber")
    if voucher is not None:
        low, high = ag.voucher_range(journal)
        if not isinstance(voucher, int) or not low <= voucher <= high:
            errors.add(
                "voucherNumber",
                f"The voucher number must be within {low} to {high}.",
                "JournalEntryVoucherNumberNotWithinBoundaries",
            )
    errors.raise_if_any()
    return data, kind, year, voucher  # type: ignore[return-value]


def _contra(ag: Agreement, raw: dict[str, Any], data: dict[str, Any], errors: _Errors) -> None:
    number = _number(raw, "contraAccountNumber")
    account = ag.accounts.get(number) if isinstance(number, int) else None
    if number is None:
        errors.add("contraAccountNumber", "A contra account is required.", "JournalEntryAccountAndContraAccountNotSet")
    elif account is None:
        errors.add("contraAccountNumber", "The contra account was not found.", "JournalEntryContraAccountNotFound")
    elif account["accountType"] not in ("profitAndLoss", "status"):
        errors.add(
            "contraAccountNumber", "The contra account cannot take entries.", "JournalEntryWrongContraAccountType"
        )
    elif account.get("barred") or account.get("blockDirectEntries"):
        errors.add(
            "contraAccountNumber",
            "The contra account is blocked.",
            "JournalEntryContraAccountIsBlockedForDirectEntries",
        )
    else:
        data["contraAccount"] = number
    code = raw.get("contraVatCode")
    if code is not None:
        if code not in ag.vat_accounts or ag.vat_accounts[code].get("barred"):
            errors.add("contraVatCode", f"The VAT code {code} does not exist.")
        else:
            data["contraVatAccount"] = code
            if "amount" in data:  # no VAT amount in a DraftEntry: e-conomic derives it from the code
                data["contraVatAmount"] = vat_from_code(data["amount"], ag.vat_accounts[code]["ratePercentage"])


def _currency(ag: Agreement, raw: dict[str, Any], data: dict[str, Any], errors: _Errors) -> None:
    code = raw.get("currency")
    if code not in CURRENCIES:
        errors.add("currency", "The currency was not found.", "JournalEntryCurrencyNotFound")
        return
    data["currency"] = code
    rate = raw.get("exchangeRate")
    if rate is None:
        rate = ag.rate_for(code)  # the default rate "based on entry date and currency"
    elif isinstance(rate, bool) or not isinstance(rate, int | Decimal) or rate <= 0:
        errors.add("exchangeRate", "The exchange rate is not valid.", "JournalEntryExchangeRateError")
        return
    elif code == ag.base_currency and rate != 100:
        errors.add(
            "exchangeRate",
            "The base currency's rate is 100.",
            "JournalEntryExchangeRateMustBeOneHundredForBaseCurrency",
        )
        return
    data["exchangeRate"] = Decimal(rate)
    if "amount" in data:
        data["amountBaseCurrency"] = base_amount(data["amount"], Decimal(rate))
