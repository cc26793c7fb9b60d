"""Xero's bills and payments read back into ``EntryState``: fields, booked or not, deep link (R4, R12).  Credit
notes and their allocations are in ``credit_states``; a refund of a credit note is a payment, read here."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from integrations.connectors.base import N_, BillData, EntryKind, EntryState, PaymentData
from integrations.connectors.xero.values import date_of, fmt, money


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


def bill_booked(inv: Mapping[str, Any], locks: LockDates) -> tuple[str, str]:
    """(reason, hint) when Xero no longer accepts changes to the bill (reference/erp_apis.md §1.3), else ('', '')."""
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
    if money(inv.get("AmountPaid")) > 0:
        return N_("Has a payment allocated in Xero"), N_("Remove the payment in Xero, then re-sync.")
    if money(inv.get("AmountCredited")) > 0:
        return (
            N_("Has a credit note or prepayment allocated in Xero"),
            N_("Remove the credit allocation in Xero, then re-sync."),
        )
    reason = locks.reason(date_of(inv, "Date"))
    if reason:
        return reason, N_("Ask your adviser to move the lock date, or void and re-enter the bill in Xero.")
    return "", ""


def _tracking_text(tracking: Iterable[Mapping[str, Any]]) -> str:
    return ", ".join(f"{t.get('Name', '')}: {t.get('Option', '')}" for t in tracking)


def bill_fields(inv: Mapping[str, Any]) -> dict[str, str]:
    """Xero's bill in the keys and formats of ``BillData.comparable()``."""
    lines = inv.get("LineItems") or []
    line = lines[0] if lines else {}
    issue, due = date_of(inv, "Date"), date_of(inv, "DueDate")
    return {
        "vendor": str((inv.get("Contact") or {}).get("Name", "")),
        "invoice_number": str(inv.get("InvoiceNumber", "") or ""),
        "issue_date": issue.isoformat() if issue else "",
        "due_date": due.isoformat() if due else "",
        "currency": str(inv.get("CurrencyCode", "") or ""),
        "total": fmt(inv.get("Total")),
        "vat": fmt(inv.get("TotalTax")),
        "account": str(line.get("AccountCode", "") or ""),
        "tax_type": str(line.get("TaxType", "") or ""),
        "tracking": _tracking_text(line.get("Tracking") or []),
        "description": str(line.get("Description", "") or ""),
    }


def paid_document(pay: Mapping[str, Any]) -> Mapping[str, Any]:
    """What a payment pays: its ``Invoice``, or the ``CreditNote`` it refunds (spec ``Payment``)."""
    return pay.get("CreditNote") or pay.get("Invoice") or {}


def paid_document_id(pay: Mapping[str, Any]) -> str:
    document = paid_document(pay)
    return str(document.get("CreditNoteID") or document.get("InvoiceID") or "")


def payment_fields(pay: Mapping[str, Any]) -> dict[str, str]:
    account = pay.get("Account") or {}
    invoice = paid_document(pay)
    when = date_of(pay, "Date")
    fields = {
        "bank_account": str(account.get("Code") or account.get("AccountID") or ""),
        "payment_date": when.isoformat() if when else "",
        "amount": fmt(pay.get("Amount")),
        "currency": str(invoice.get("CurrencyCode", "") or ""),
    }
    # What left the bank, in the account's currency ("The amount of the payment in the currency of the bank
    # account", spec ``Payment.BankAmount``).  Xero reports one on every payment, equal to Amount when nothing was
    # converted (Xero's OpenAPI description, XeroAPI/Xero-OpenAPI xero_accounting.yaml, the Payments examples:
    # NZD bills, Amount 200.00, BankAmount 200.00).  Roger sends none then (bodies.py), so a bank amount the
    # accountant recorded for such a payment (a fee on top) is no change to make in Xero.
    bank = pay.get("BankAmount")
    if bank not in (None, "") and fmt(bank) != fields["amount"]:
        fields["bank_amount"] = fmt(bank)
    return fields


Link = Callable[..., str]  # (entry id, credit_note=False) → deep link


def bill_state(inv: Mapping[str, Any], locks: LockDates, link: Link) -> EntryState:
    reason, hint = bill_booked(inv, locks)
    invoice_id = str(inv.get("InvoiceID", ""))
    return EntryState(
        erp_id=invoice_id,
        kind=EntryKind.BILL,
        number=str(inv.get("InvoiceNumber", "") or ""),
        status=str(inv.get("Status", "")),
        booked=bool(reason),
        booked_reason=reason,
        booked_hint=hint,
        url=link(invoice_id) if invoice_id else "",
        marker=str(inv.get("Url", "") or ""),
        fields=bill_fields(inv),
        vendor_erp_id=str((inv.get("Contact") or {}).get("ContactID", "") or ""),
    )


def payment_state(pay: Mapping[str, Any], locks: LockDates, link: Link) -> EntryState:
    status = str(pay.get("Status", ""))
    invoice = paid_document(pay)
    refund = bool(pay.get("CreditNote"))
    reason, hint = "", ""
    if pay.get("IsReconciled"):
        reason, hint = (
            N_("Reconciled with a bank statement line in Xero"),
            N_("Un-reconcile the payment in Xero, then re-sync."),
        )
    elif status != "DELETED":
        reason = locks.reason(date_of(pay, "Date"))
        hint = N_("Ask your adviser to move the lock date, or change the payment in Xero by hand.") if reason else ""
    invoice_id = paid_document_id(pay)
    return EntryState(
        erp_id=str(pay.get("PaymentID", "")),
        kind=EntryKind.PAYMENT,
        number=str(invoice.get("CreditNoteNumber" if refund else "InvoiceNumber", "") or ""),
        status=status,
        booked=bool(reason),
        booked_reason=reason,
        booked_hint=hint,
        url=link(invoice_id, refund) if invoice_id else "",
        marker=str(pay.get("Reference", "") or ""),
        fields=payment_fields(pay),
        # A deleted payment is gone for Roger's purposes: it is how Xero "edits" payments (delete + new).
        exists=status != "DELETED",
        vendor_erp_id=str(((invoice.get("Contact") or {}).get("ContactID")) or ""),
    )


# --- "nothing to change": what an update compares ------------------------------------------------------------


def tracking_set(text: str) -> list[str]:
    return sorted(t for t in text.split(", ") if t)


def lines_signature(lines: Iterable[Mapping[str, Any]]) -> list[tuple[str, ...]]:
    return [
        (
            str(li.get("Description", "") or ""),
            fmt(li.get("LineAmount")),
            fmt(li.get("TaxAmount")),
            str(li.get("AccountCode", "") or ""),
            str(li.get("TaxType", "") or ""),
            ", ".join(sorted(f"{t.get('Name', '')}: {t.get('Option', '')}" for t in li.get("Tracking") or [])),
        )
        for li in lines
    ]


def data_lines_signature(data: BillData) -> list[tuple[str, ...]]:
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


def payment_unchanged(data: PaymentData, pay: Mapping[str, Any], state: EntryState) -> bool:
    have = state.fields
    account = pay.get("Account") or {}
    same_account = data.bank_account in {account.get("Code"), account.get("AccountID"), have.get("bank_account")}
    # Xero's payment JSON may omit the currency (it is the bill's); only a present, different one counts.
    same_currency = not have.get("currency") or have.get("currency") == data.currency
    # The bank amount counts when Roger knows it and Xero reports one (a same-currency payment's equals Amount).
    same_bank = data.bank_amount is None or have.get("bank_amount", f"{data.bank_amount:.2f}") == (
        f"{data.bank_amount:.2f}"
    )
    return (
        same_account
        and same_currency
        and same_bank
        and have.get("payment_date") == data.payment_date.isoformat()
        and have.get("amount") == f"{data.amount:.2f}"
        and (paid_document_id(pay) or data.bill_erp_id).lower() == data.bill_erp_id.lower()
    )
