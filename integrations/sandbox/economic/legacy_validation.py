"""Checking one entry of a legacy voucher (``journals.journalNumber.vouchers.post.schema.json``): required
properties, references that must exist and not be barred, lengths, dates inside an open period of the voucher's
accounting year, and the currency's exchange rate.

Exchange rates: the legacy schema has ``exchangeRate`` ("The exchange rate between the base currency and the
invoice currency") and ``amountBaseCurrency`` but documents no default when both are left out.  What the sandbox
does then is the config ``economic.legacy_missing_rate``: ``"default"`` (the rate the Journals API documents it
sets, "based on entry date and currency"; the default, so the demo's foreign bills go through), ``"refuse"``
(400 on ``exchangeRate``) or ``"one_to_one"`` (rate 100, the silent worst case the connector must catch).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from integrations.sandbox.economic.errors import Problems
from integrations.sandbox.economic.model import CENT, CURRENCIES, Agreement, base_amount, vat_from_code


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        return None
    return Decimal(value)


def validate_entry(
    ag: Agreement, kind: str, raw: Any, year: str | None, problems: Problems, missing_rate: str = "default"
) -> dict[str, Any] | None:
    """Check one entry; return its stored form (or None when ``problems`` got errors)."""
    if not isinstance(raw, dict):
        problems.add("entry", "An entry must be an object.")
        return None
    data: dict[str, Any] = {}
    supplier_kind = kind in ("supplierInvoices", "supplierPayments")
    supplier = raw.get("supplier")
    if supplier is not None or supplier_kind:
        number = supplier.get("supplierNumber") if isinstance(supplier, dict) else None
        if supplier is None:
            problems.add("supplier", "Property supplier is required.", hint="Include a supplier with a supplierNumber.")
        elif not isinstance(number, int):
            problems.add(
                "supplier", "No identifiers present on supplier. Include either a self link or a supplierNumber."
            )
        elif number not in ag.suppliers:
            problems.add("supplier", "supplier does not exist.", number, "Find a list of resources at /suppliers.")
        elif ag.suppliers[number].get("barred"):
            problems.add("supplier", "supplier is barred.", number)
        else:
            data["supplier"] = number
    amount = raw.get("amount")
    value = _number(amount)
    if amount is None:
        problems.add("amount", "Property amount is required.")
    elif value is None:
        problems.add("amount", "amount must be a number.", str(amount))
    elif value == 0:
        problems.add("amount", "amount cannot be zero.", 0)
    elif value != value.quantize(CENT):
        problems.add("amount", "amount scale cannot be greater then two decimal places.", str(value))
    else:
        data["amount"] = value.quantize(CENT)
    for prop in ("account", "contraAccount"):
        _account(ag, kind, prop, raw, data, problems, supplier_kind)
    if supplier_kind and "account" in raw:
        problems.add("account", "account cannot be set on supplier entries; the supplier is the account.")
    _vat(ag, raw, data, problems)
    _currency(ag, raw, data, problems, missing_rate)
    _dates(ag, raw, year, data, problems)
    text = raw.get("text")
    if text is not None:
        if not isinstance(text, str):
            problems.add("text", "text must be a string.")
        elif len(text) > 250:
            problems.add("text", "text cannot be longer than 250 characters.", text)
        else:
            data["text"] = text
    invoice = raw.get("supplierInvoiceNumber")
    if invoice is not None:
        if not isinstance(invoice, str) or len(invoice) > 30:
            problems.add("supplierInvoiceNumber", "supplierInvoiceNumber cannot be longer than 30 characters.", invoice)
        else:
            data["supplierInvoiceNumber"] = invoice
    _department(ag, raw, data, problems)
    return None if problems else data


def _account(
    ag: Agreement,
    kind: str,
    prop: str,
    raw: dict[str, Any],
    data: dict[str, Any],
    problems: Problems,
    supplier_kind: bool,
) -> None:
    ref = raw.get(prop)
    required = prop == "contraAccount" and supplier_kind
    if ref is None:
        if required or (kind == "financeVouchers" and prop == "account" and "contraAccount" not in raw):
            problems.add(prop, f"Property {prop} is required.")
        return
    number = ref.get("accountNumber") if isinstance(ref, dict) else None
    account = ag.accounts.get(number) if isinstance(number, int) else None
    if not isinstance(number, int):
        problems.add(prop, f"No identifiers present on {prop}. Include either a self link or an accountNumber.")
    elif account is None:
        problems.add(prop, f"{prop} does not exist.", number, "Find a list of accounts at /accounts.")
    elif account["accountType"] not in ("profitAndLoss", "status"):
        problems.add(prop, f"{prop} {number} is a {account['accountType']} account and cannot take entries.", number)
    elif account.get("barred") or account.get("blockDirectEntries"):
        problems.add(prop, f"{prop} {number} is barred.", number)
    else:
        data[prop] = number


def _vat(ag: Agreement, raw: dict[str, Any], data: dict[str, Any], problems: Problems) -> None:
    vat = raw.get("contraVatAccount")
    if vat is None:
        return
    code = vat.get("vatCode") if isinstance(vat, dict) else None
    if not isinstance(code, str) or not code:
        problems.add("contraVatAccount", "No identifiers present on contraVatAccount. Include a vatCode.")
    elif len(code) > 5 or code not in ag.vat_accounts:
        problems.add("contraVatAccount", "contraVatAccount does not exist.", code, "Find a list at /vat-accounts.")
    elif ag.vat_accounts[code].get("barred"):
        problems.add("contraVatAccount", f"contraVatAccount {code} is barred.", code)
    else:
        data["contraVatAccount"] = code
        given = raw.get("contraVatAmount")
        if given is None and "amount" in data:
            data["contraVatAmount"] = vat_from_code(data["amount"], ag.vat_accounts[code]["ratePercentage"])
        elif given is not None:
            value = _number(given)
            if value is None:
                problems.add("contraVatAmount", "contraVatAmount must be a number.", str(given))
            elif "amount" in data and (value * data["amount"] < 0 or abs(value) > abs(data["amount"])):
                # A credit note (negative amount) has negative VAT; the schema says nothing of the sign, so VAT
                # against the amount's direction is refused rather than booked the wrong way (worst case).
                problems.add(
                    "contraVatAmount",
                    "contraVatAmount must have the amount's sign and be at most the amount.",
                    str(given),
                )
            else:
                data["contraVatAmount"] = value.quantize(CENT)


def _currency(ag: Agreement, raw: dict[str, Any], data: dict[str, Any], problems: Problems, missing_rate: str) -> None:
    currency = raw.get("currency")
    code = currency.get("code") if isinstance(currency, dict) else None
    if currency is None:
        problems.add("currency", "Property currency is required.")
        return
    if code not in CURRENCIES:
        problems.add("currency", "currency does not exist.", code, "Find a list of currencies at /currencies.")
        return
    data["currency"] = code
    rate = _number(raw.get("exchangeRate")) if raw.get("exchangeRate") is not None else None
    given_base = _number(raw.get("amountBaseCurrency")) if raw.get("amountBaseCurrency") is not None else None
    if code == ag.base_currency:
        if rate is not None and rate != 100:
            problems.add("exchangeRate", "The exchange rate of the base currency is 100.", str(rate))
            return
        rate = Decimal(100)
    elif rate is None and given_base is None and missing_rate == "refuse":
        problems.add(
            "exchangeRate",
            f"An entry in {code} needs an exchangeRate (per 100 {code}) or an amountBaseCurrency.",
            hint="Send the rate the entry was made at.",
        )
        return
    elif rate is None and given_base is None:
        rate = Decimal(100) if missing_rate == "one_to_one" else ag.rate_for(code)
    elif rate is not None and rate <= 0:
        problems.add("exchangeRate", "exchangeRate must be positive.", str(rate))
        return
    if "amount" not in data:
        return
    if rate is None and given_base is not None:
        rate = (given_base / data["amount"] * 100).quantize(Decimal("0.000001"))
    data["exchangeRate"] = rate
    data["amountBaseCurrency"] = (
        given_base.quantize(CENT) if given_base is not None else base_amount(data["amount"], rate)
    )  # type: ignore[arg-type]


def _dates(ag: Agreement, raw: dict[str, Any], year: str | None, data: dict[str, Any], problems: Problems) -> None:
    day = None
    raw_date = raw.get("date")
    if raw_date is None:
        problems.add("date", "Property date is required.")
    else:
        try:
            day = date.fromisoformat(str(raw_date))
        except ValueError:
            problems.add("date", "date must be formatted YYYY-MM-DD.", raw_date)
    if day is not None:
        entry_year = ag.year_of(day)
        if entry_year is None:
            problems.add(
                "date", "No accounting year exists for the date.", str(raw_date), "Create the accounting year first."
            )
        elif year is not None and entry_year != year:
            problems.add("date", f"The date is not within the accounting year {year}.", str(raw_date))
        else:
            closed, _ = ag.closed_reason(entry_year, day)
            if closed:
                problems.add(
                    "date", closed, str(raw_date), "Reopen the period in e-conomic or use a date in an open period."
                )
            else:
                data["date"] = day.isoformat()
    due = raw.get("dueDate")
    if due is not None:
        try:
            due_day = date.fromisoformat(str(due))
        except ValueError:
            problems.add("dueDate", "dueDate must be formatted YYYY-MM-DD.", due)
            return
        if day is not None and due_day < day:
            problems.add("dueDate", "dueDate cannot be before date.", str(due))
        else:
            data["dueDate"] = due_day.isoformat()


def _department(ag: Agreement, raw: dict[str, Any], data: dict[str, Any], problems: Problems) -> None:
    dist = raw.get("departmentalDistribution")
    if dist is None:
        return
    if "Dimension" not in ag.modules:
        problems.add("departmentalDistribution", "A departmental distribution requires the departments module.")
        return
    number = dist.get("departmentalDistributionNumber") if isinstance(dist, dict) else None
    found = ag.distributions.get(number) if isinstance(number, int) else None
    if found is None:
        problems.add("departmentalDistribution", "departmentalDistribution does not exist.", number)
    elif found.get("barred"):
        problems.add("departmentalDistribution", "departmentalDistribution is barred.", number)
    else:
        data["departmentalDistribution"] = number
