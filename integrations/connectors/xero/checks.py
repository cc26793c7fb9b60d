"""Local checks before any HTTP call: what Roger can refuse without asking Xero (R15, R18)."""

from __future__ import annotations

from decimal import Decimal

from integrations.connectors.base import N_, BillData, ErpError, ErrorCategory, PaymentData
from integrations.connectors.xero.values import err, is_uuid, two_decimals


def check_bill(data: BillData) -> ErpError | None:
    """A setup or validation error Roger can see without asking Xero, else None."""
    if not data.marker:
        return err(ErrorCategory.VALIDATION, N_("The document has no Roger marker to put in Xero's Url field"))
    if not data.vendor.number:
        return err(ErrorCategory.VALIDATION, N_("The supplier has no number in Roger"), "vendor")
    if not data.lines:
        return err(ErrorCategory.VALIDATION, N_("The bill has no lines to send"), "total")
    for line in data.lines:
        if not line.account_code:
            return err(
                ErrorCategory.SETUP,
                N_("No Xero account is mapped for this document's category"),
                "category",
                N_("Map the category to a Xero account in the integration settings."),
            )
        if not line.tax_type:
            return err(
                ErrorCategory.SETUP,
                N_("No Xero tax rate is mapped for this document's VAT code"),
                "vat_code",
                N_("Map the VAT code to a Xero tax rate in the integration settings."),
            )
        if any(not t.category or not t.option for t in line.tracking):
            return err(
                ErrorCategory.SETUP,
                N_("No Xero tracking option is mapped for this document's department"),
                "department",
                N_("Map the department to a Xero tracking option in the integration settings."),
            )
        if len(line.tracking) > 2:
            return err(
                ErrorCategory.VALIDATION, N_("Xero allows at most 2 tracking categories on a line"), "department"
            )
        if not (two_decimals(line.net_amount) and two_decimals(line.vat_amount)):
            return err(ErrorCategory.VALIDATION, N_("Amounts may have at most 2 decimals"), "total")
    return _check_bill_amounts(data)


def _check_bill_amounts(data: BillData) -> ErpError | None:
    if not (two_decimals(data.total) and two_decimals(data.vat)):
        return err(ErrorCategory.VALIDATION, N_("Amounts may have at most 2 decimals"), "total")
    if data.total < 0:
        # Roger's data carries positive magnitudes; a credit note says its direction with ``credit_note``.
        message = (
            N_("The credit note's total {total} must be sent as a positive amount")
            if data.credit_note
            else N_("The total {total} is negative; enter a credit note instead")
        )
        return err(ErrorCategory.VALIDATION, message.format(total=f"{data.total:.2f}"), "total")
    if data.vat < 0 or data.vat > data.total:
        return err(
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
        return err(ErrorCategory.VALIDATION, message, "vat")
    if net + vat != data.total:
        return err(
            ErrorCategory.VALIDATION,
            N_("The lines add up to {sum}, not the total {total}").format(
                sum=f"{net + vat:.2f}", total=f"{data.total:.2f}"
            ),
            "total",
        )
    if len(data.currency) != 3:
        message = N_("'{currency}' is not a currency code").format(currency=data.currency)
        return err(ErrorCategory.VALIDATION, message, "currency")
    return None


def check_payment(data: PaymentData) -> ErpError | None:
    if data.allocate_to:
        return _check_allocation(data)
    if not data.marker:
        return err(ErrorCategory.VALIDATION, N_("The payment has no Roger marker to put in Xero's Reference"))
    if not data.bank_account:
        return err(
            ErrorCategory.SETUP,
            N_("No Xero bank account is mapped for payments"),
            "bank_account",
            N_("Pick the Xero bank account payments are booked against in the integration settings."),
        )
    if not two_decimals(data.amount):
        return err(ErrorCategory.VALIDATION, N_("Amounts may have at most 2 decimals"), "amount")
    if data.amount <= 0:
        message = N_("The payment amount {amount} must be positive").format(amount=f"{data.amount:.2f}")
        return err(ErrorCategory.VALIDATION, message, "amount")
    if data.bank_amount is not None and (not two_decimals(data.bank_amount) or data.bank_amount <= 0):
        return err(
            ErrorCategory.VALIDATION,
            N_("The amount paid from the bank, {amount}, must be positive with at most 2 decimals").format(
                amount=data.bank_amount
            ),
            "bank_amount",
            N_("Correct the payment's bank amount in Roger, then re-sync."),
        )
    if not data.bill_erp_id:
        # The engine syncs the bill first; until it is in Xero the payment simply waits (retried).
        if data.credit_note:
            return err(
                ErrorCategory.TEMPORARY,
                N_("The credit note is not in Xero yet; the refund follows once it is"),
                hint=N_("Roger will try again after the credit note is synced."),
            )
        return err(
            ErrorCategory.TEMPORARY,
            N_("The bill is not in Xero yet; the payment follows once it is"),
            hint=N_("Roger will try again after the bill is synced."),
        )
    return None


def _check_allocation(data: PaymentData) -> ErpError | None:
    """A credit note allocated against a bill: both must be in Xero; no bank account is involved."""
    if not data.credit_note:
        return err(ErrorCategory.VALIDATION, N_("Only a credit note can be allocated against a bill"))
    if not (two_decimals(data.amount) and data.amount > 0):
        return err(
            ErrorCategory.VALIDATION,
            N_("The amount to allocate, {amount}, must be positive with at most 2 decimals").format(amount=data.amount),
            "amount",
        )
    if not data.bill_erp_id:
        return err(
            ErrorCategory.TEMPORARY,
            N_("The credit note is not in Xero yet; the allocation follows once it is"),
            hint=N_("Roger will try again after the credit note is synced."),
        )
    if not is_uuid(data.allocate_to):
        return err(
            ErrorCategory.TEMPORARY,
            N_("The bill it corrects is not in Xero yet; the allocation follows once it is"),
            hint=N_("Roger will try again after the bill is synced."),
        )
    return None
