"""Xero's payment rules: only on approved bills, never more than is due, immutable except for deletion.

A payment may also refund a credit note ("To refund credit notes use the payments endpoint", developer.xero.com/
documentation/api/accounting/creditnotes): ``CreditNote`` instead of ``Invoice`` (spec ``Payment``), under the
same rules against the credit note's remaining credit."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from integrations.sandbox.xero_model import EMPTY_ID, Invoice, Org, Payment, money, new_id, parse_date, today, utcnow
from integrations.sandbox.xero_render import render_payment
from integrations.sandbox.xero_results import (
    INVOICE_NOT_FOUND,
    ONLY_STATUS,
    PAY_AUTHORISED_ONLY,
    PAY_EXCEEDS,
    ElementResult,
    dec,
    error_result,
    text,
)


def _find_invoice(org: Org, raw: dict[str, Any]) -> tuple[Invoice | None, str | None]:
    credit = raw.get("CreditNote") if isinstance(raw.get("CreditNote"), dict) else None
    if credit is not None or raw.get("CreditNoteNumber"):
        credit = credit or {}
        credit_id = text(credit.get("CreditNoteID")).lower()
        number = text(credit.get("CreditNoteNumber")) or text(raw.get("CreditNoteNumber"))
        found = org.credit_notes.get(credit_id) if credit_id else None
        if found is None and number and not credit_id:
            found = next((c for c in org.credit_notes.values() if c.InvoiceNumber == number), None)
        return found, None if found else "Credit Note could not be found"
    ref = raw.get("Invoice") if isinstance(raw.get("Invoice"), dict) else {}
    invoice_id = text(ref.get("InvoiceID")).lower()
    number = text(ref.get("InvoiceNumber")) or text(raw.get("InvoiceNumber"))
    if invoice_id:
        invoice = org.invoices.get(invoice_id)
        return invoice, None if invoice else INVOICE_NOT_FOUND
    if number:
        matches = [i for i in org.invoices.values() if i.InvoiceNumber == number and i.Status != "DELETED"]
        return (matches[0], None) if matches else (None, INVOICE_NOT_FOUND)
    return None, "You must specify either an Invoice, Credit Note, Prepayment or Overpayment for the payment"


def _find_account(org: Org, raw: dict[str, Any]) -> tuple[dict[str, Any] | None, str | None]:
    ref = raw.get("Account") if isinstance(raw.get("Account"), dict) else {}
    account_id, code = text(ref.get("AccountID")), text(ref.get("Code")) or text(raw.get("Code"))
    if not account_id and not code:
        return None, "You must specify an Account (AccountID or Code) for the payment"
    account = org.account_by_id(account_id) if account_id else org.account_by_code(code)
    if account is None:
        return None, "Account could not be found"
    if account["Type"] != "BANK" and not account.get("EnablePaymentsToAccount"):
        return None, "Account type is invalid for making a payment to/from"
    if account["Status"] != "ACTIVE":
        return None, "The account has been archived and cannot be used for payments"
    return account, None


def save_payment(org: Org, raw: Any) -> ElementResult:
    if not isinstance(raw, dict):
        return error_result({}, ["The payment element is not valid"], "HasValidationErrors")
    errors: list[str] = []
    invoice, problem = _find_invoice(org, raw)
    if problem:
        errors.append(problem)
    account, problem = _find_account(org, raw)
    if problem:
        errors.append(problem)
    amount = dec(raw.get("Amount"), "Amount", errors)
    if amount is None or amount <= 0:
        errors.append("The payment amount must be greater than zero")
    try:
        day = parse_date(raw["Date"]) if raw.get("Date") else today()
    except (ValueError, TypeError):
        errors.append("Date is not a valid date")
        day = today()
    if invoice is not None and not errors:
        if invoice.Status != "AUTHORISED":
            errors.append(PAY_AUTHORISED_ONLY)
        elif amount is not None and money(amount) > invoice.AmountDue:
            errors.append(PAY_EXCEEDS)
        lock = org.lock_error(day)
        if lock:
            errors.append(lock)
    if errors or invoice is None or account is None or amount is None:
        echoed = dict(raw)
        echoed.setdefault("PaymentID", EMPTY_ID)
        return error_result(echoed, errors or ["The payment is not valid"], "HasValidationErrors")
    rate, bank_amount = _rate_and_bank_amount(org, raw, invoice, account, money(amount))
    refund = invoice.InvoiceID in org.credit_notes
    payment = Payment(
        PaymentID=new_id(),
        InvoiceID="" if refund else invoice.InvoiceID,
        CreditNoteID=invoice.InvoiceID if refund else "",
        AccountID=account["AccountID"],
        Date=day,
        Amount=money(amount),
        Reference=text(raw.get("Reference")),
        CurrencyRate=rate,
        BankAmount=bank_amount,
        IsReconciled=bool(raw.get("IsReconciled")),
    )
    org.payments[payment.PaymentID] = payment
    apply_payment(invoice, payment.Amount, day)
    return ElementResult(True, render_payment(org, payment) | {"StatusAttributeString": "OK"})


def _rate_and_bank_amount(
    org: Org, raw: dict[str, Any], invoice: Invoice, account: dict[str, Any], amount: Decimal
) -> tuple[Decimal, Decimal | None]:
    """The payment's rate and what left the bank.  ``CurrencyRate`` is "only used for non base currency invoices"
    (units of the invoice's currency per unit of the base currency); ``BankAmount`` is "the amount of the payment
    in the currency of the bank account" (spec ``Payment``).  Without either, Xero books its own day rate — here
    the bill's rate.  Whether Xero takes a given ``BankAmount`` over the rate is undocumented: kept as sent."""
    rate = dec(raw.get("CurrencyRate"), "CurrencyRate", []) or invoice.CurrencyRate
    if invoice.CurrencyCode == org.base_currency:
        rate = Decimal("1")
    given = dec(raw.get("BankAmount"), "BankAmount", [])
    bank_currency = account.get("CurrencyCode") or org.base_currency
    if given is not None:
        return rate, money(given)
    if bank_currency == invoice.CurrencyCode:
        return rate, None
    return rate, money(amount / rate) if rate else None


def apply_payment(invoice: Invoice, amount: Decimal, day: Any) -> None:
    """Xero sets PAID itself once nothing is due, and reopens the bill when a payment goes away."""
    invoice.AmountPaid = money(invoice.AmountPaid + amount)
    if invoice.AmountDue <= 0 and invoice.Status == "AUTHORISED":
        invoice.Status, invoice.FullyPaidOnDate = "PAID", day
    elif invoice.AmountDue > 0 and invoice.Status == "PAID":
        invoice.Status, invoice.FullyPaidOnDate = "AUTHORISED", None
    invoice.updated = utcnow()


def delete_payment(org: Org, payment: Payment, raw: Any) -> ElementResult:
    """POST /Payments/{id}: only ``{"Status": "DELETED"}`` is accepted (payments are immutable)."""
    element = raw
    if isinstance(raw, dict) and isinstance(raw.get("Payments"), list) and raw["Payments"]:
        element = raw["Payments"][0]
    errors: list[str] = []
    if (
        not isinstance(element, dict)
        or set(element) - {"Status", "PaymentID"}
        or text(element.get("Status")).upper() != "DELETED"
    ):
        errors.append(ONLY_STATUS)
    elif payment.Status == "DELETED":
        errors.append("This payment has already been deleted")
    elif payment.IsReconciled:
        errors.append("This payment has been reconciled and cannot be deleted")
    else:
        lock = org.lock_error(payment.Date)
        if lock:
            errors.append(lock)
    if errors:
        return error_result(render_payment(org, payment), errors, "HasValidationErrors")
    payment.Status, payment.updated = "DELETED", utcnow()
    invoice = org.invoices.get(payment.InvoiceID) or org.credit_notes.get(payment.CreditNoteID)
    if invoice is not None:
        apply_payment(invoice, -payment.Amount, None)
    return ElementResult(True, render_payment(org, payment) | {"StatusAttributeString": "OK"})
