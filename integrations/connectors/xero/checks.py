"""Local checks before any HTTP call: what Roger can refuse without asking Xero (R15, R18)."""

from __future__ import annotations

from decimal import Decimal

from integrations.connectors.base import BillData, ErpError, ErrorCategory, PaymentData
from integrations.connectors.xero.values import err, is_uuid, two_decimals


def check_bill(data: BillData) -> ErpError | None:
    """A setup or validation error Roger can see without asking Xero, else None."""
    if not data.marker:
        return err(ErrorCategory.VALIDATION, "The document has no Roger marker to put in Xero's Url field")
    if not data.vendor.number:
        return err(ErrorCategory.VALIDATION, "The supplier has no number in Roger", "vendor")
    if not data.lines:
        return err(ErrorCategory.VALIDATION, "The bill has no lines to send", "total")
    for line in data.lines:
        if not line.account_code:
            return err(
                ErrorCategory.SETUP,
                "No Xero account is mapped for this document's category",
                "category",
                "Map the category to a Xero account in the integration settings.",
            )
        if not line.tax_type:
            return err(
                ErrorCategory.SETUP,
                "No Xero tax rate is mapped for this document's VAT code",
                "vat_code",
                "Map the VAT code to a Xero tax rate in the integration settings.",
            )
        if any(not t.category or not t.option for t in line.tracking):
            return err(
                ErrorCategory.SETUP,
                "No Xero tracking option is mapped for this document's department",
                "department",
                "Map the department to a Xero tracking option in the integration settings.",
            )
        if len(line.tracking) > 2:
            return err(ErrorCategory.VALIDATION, "Xero allows at most 2 tracking categories on a line", "department")
        if not (two_decimals(line.net_amount) and two_decimals(line.vat_amount)):
            return err(ErrorCategory.VALIDATION, "Amounts may have at most 2 decimals", "total")
    return _check_bill_amounts(data)


def _check_bill_amounts(data: BillData) -> ErpError | None:
    if not (two_decimals(data.total) and two_decimals(data.vat)):
        return err(ErrorCategory.VALIDATION, "Amounts may have at most 2 decimals", "total")
    if data.total < 0:
        # Roger's data carries positive magnitudes; a credit note says its direction with ``credit_note``.
        message = (
            f"The credit note's total {data.total:.2f} must be sent as a positive amount"
            if data.credit_note
            else f"The total {data.total:.2f} is negative; enter a credit note instead"
        )
        return err(ErrorCategory.VALIDATION, message, "total")
    if data.vat < 0 or data.vat > data.total:
        return err(
            ErrorCategory.VALIDATION,
            f"The VAT {data.vat:.2f} is not between 0 and the total {data.total:.2f}",
            "vat",
        )
    net = sum((line.net_amount for line in data.lines), Decimal(0))
    vat = sum((line.vat_amount for line in data.lines), Decimal(0))
    if vat != data.vat:
        return err(ErrorCategory.VALIDATION, f"The lines' VAT adds up to {vat:.2f}, not {data.vat:.2f}", "vat")
    if net + vat != data.total:
        return err(
            ErrorCategory.VALIDATION,
            f"The lines add up to {net + vat:.2f}, not the total {data.total:.2f}",
            "total",
        )
    if len(data.currency) != 3:
        return err(ErrorCategory.VALIDATION, f"{data.currency!r} is not a currency code", "currency")
    return None


def check_payment(data: PaymentData) -> ErpError | None:
    if data.allocate_to:
        return _check_allocation(data)
    if not data.marker:
        return err(ErrorCategory.VALIDATION, "The payment has no Roger marker to put in Xero's Reference")
    if not data.bank_account:
        return err(
            ErrorCategory.SETUP,
            "No Xero bank account is mapped for payments",
            "bank_account",
            "Pick the Xero bank account payments are booked against in the integration settings.",
        )
    if not two_decimals(data.amount):
        return err(ErrorCategory.VALIDATION, "Amounts may have at most 2 decimals", "amount")
    if data.amount <= 0:
        return err(ErrorCategory.VALIDATION, f"The payment amount {data.amount:.2f} must be positive", "amount")
    if data.bank_amount is not None and (not two_decimals(data.bank_amount) or data.bank_amount <= 0):
        return err(
            ErrorCategory.VALIDATION,
            f"The amount paid from the bank, {data.bank_amount}, must be positive with at most 2 decimals",
            "bank_amount",
            "Correct the payment's bank amount in Roger, then re-sync.",
        )
    if not data.bill_erp_id:
        # The engine syncs the bill first; until it is in Xero the payment simply waits (retried).
        what = (
            "credit note is not in Xero yet; the refund" if data.credit_note else "bill is not in Xero yet; the payment"
        )
        return err(
            ErrorCategory.TEMPORARY,
            f"The {what} follows once it is",
            hint="Roger will try again after it is synced.",
        )
    return None


def _check_allocation(data: PaymentData) -> ErpError | None:
    """A credit note allocated against a bill: both must be in Xero; no bank account is involved."""
    if not data.credit_note:
        return err(ErrorCategory.VALIDATION, "Only a credit note can be allocated against a bill")
    if not (two_decimals(data.amount) and data.amount > 0):
        return err(
            ErrorCategory.VALIDATION,
            f"The amount to allocate, {data.amount}, must be positive with at most 2 decimals",
            "amount",
        )
    if not data.bill_erp_id or not is_uuid(data.allocate_to):
        missing = "credit note" if not data.bill_erp_id else "bill it corrects"
        return err(
            ErrorCategory.TEMPORARY,
            f"The {missing} is not in Xero yet; the allocation follows once it is",
            hint="Roger will try again after it is synced.",
        )
    return None
