"""Supplier credit notes (``ACCPAYCREDIT``) and their allocations read back into ``EntryState``.

A credit note's state carries the same ``fields`` as a bill's (``BillData.comparable()``), with positive amounts as
Xero keeps them, so plans compare like for like.  An allocation has no id Roger can read it by alone (it lives
inside its credit note: ``GET /CreditNotes/{id}`` lists ``Allocations``), so Roger names it
``"<CreditNoteID>:<InvoiceID>"`` — the credit note and the bill it is applied to — and reads it through the credit
note.  Allocations carry no free text either, so that pair is also how an allocation Roger made is recognised.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from integrations.connectors.base import N_, EntryKind, EntryState
from integrations.connectors.xero.states import Link, LockDates, bill_fields
from integrations.connectors.xero.values import date_of, fmt, money

ALLOCATION_SEPARATOR = ":"


def allocation_id(credit_note_id: str, invoice_id: str) -> str:
    return f"{credit_note_id.lower()}{ALLOCATION_SEPARATOR}{invoice_id.lower()}"


def split_allocation_id(erp_id: str) -> tuple[str, str]:
    """``(credit note id, invoice id)`` of an allocation's id, or ``("", "")`` when it is not one."""
    credit, sep, invoice = erp_id.partition(ALLOCATION_SEPARATOR)
    return (credit, invoice) if sep and credit and invoice else ("", "")


def is_credit_note(element: Mapping[str, Any]) -> bool:
    return bool(element.get("CreditNoteID"))


def credit_note_booked(credit: Mapping[str, Any], locks: LockDates) -> tuple[str, str]:
    """(reason, hint) when Xero no longer accepts changes to the credit note, else ('', '').  As for bills
    (developer.xero.com/documentation/api/accounting/creditnotes: PAID is "Credit notes with payments applied";
    a document with an allocation "cannot be edited as it has a payment or credit note allocated to it",
    waynerobinson/xeroizer#211; approved documents dated in a locked period cannot change)."""
    status = str(credit.get("Status", ""))
    if status == "PAID":
        return (
            N_("Fully allocated or refunded in Xero"),
            N_("Remove the allocations or refunds in Xero if the credit note must change, then re-sync."),
        )
    if status == "VOIDED":
        return N_("Voided in Xero"), N_(
            "A voided credit note cannot change; enter it again in Xero if it still applies."
        )
    if status == "DELETED":
        return N_("Deleted in Xero"), N_(
            "A deleted credit note cannot be restored; enter it again in Xero if it applies."
        )
    used = money(credit.get("Total")) - money(credit.get("RemainingCredit", credit.get("Total")))
    if credit.get("Allocations") or credit.get("Payments") or used > 0:
        return (
            N_("Allocated to a bill or refunded in part in Xero"),
            N_("Remove the allocation or refund in Xero, then re-sync."),
        )
    reason = locks.reason(date_of(credit, "Date"))
    if reason:
        return reason, N_("Ask your adviser to move the lock date, or void and re-enter the credit note in Xero.")
    return "", ""


def credit_note_fields(credit: Mapping[str, Any]) -> dict[str, str]:
    """The credit note in the keys of ``BillData.comparable()``: its number is ``CreditNoteNumber``."""
    return bill_fields({**credit, "InvoiceNumber": credit.get("CreditNoteNumber", "")})


def credit_note_state(credit: Mapping[str, Any], locks: LockDates, link: Link) -> EntryState:
    reason, hint = credit_note_booked(credit, locks)
    credit_id = str(credit.get("CreditNoteID", ""))
    return EntryState(
        erp_id=credit_id,
        kind=EntryKind.BILL,
        number=str(credit.get("CreditNoteNumber", "") or ""),
        status=str(credit.get("Status", "")),
        booked=bool(reason),
        booked_reason=reason,
        booked_hint=hint,
        url=link(credit_id, True) if credit_id else "",
        marker=str(credit.get("Reference", "") or ""),
        fields=credit_note_fields(credit),
        vendor_erp_id=str((credit.get("Contact") or {}).get("ContactID", "") or ""),
    )


def allocations_to(credit: Mapping[str, Any], invoice_id: str) -> list[Mapping[str, Any]]:
    """The credit note's allocations against one invoice (Xero lists them in ``Allocations``)."""
    return [
        a
        for a in credit.get("Allocations") or []
        if isinstance(a, Mapping)
        and str((a.get("Invoice") or {}).get("InvoiceID", "")).lower() == invoice_id.lower()
        and not a.get("IsDeleted")
    ]


def allocation_state(credit: Mapping[str, Any], invoice_id: str, locks: LockDates, link: Link) -> EntryState:
    """What the credit note has allocated to ``invoice_id``: amounts summed, dated the latest; gone when none."""
    credit_id = str(credit.get("CreditNoteID", ""))
    erp_id = allocation_id(credit_id, invoice_id)
    found = allocations_to(credit, invoice_id)
    if not found:
        return EntryState(erp_id=erp_id, kind=EntryKind.PAYMENT, exists=False)
    dates = [d for d in (date_of(a, "Date") for a in found) if d is not None]
    when: date | None = max(dates) if dates else None
    reason = locks.reason(when)
    fields = {
        "allocated_to": invoice_id.lower(),
        "payment_date": when.isoformat() if when else "",
        "amount": fmt(sum((money(a.get("Amount")) for a in found), money(0))),
        "currency": str(credit.get("CurrencyCode", "") or ""),
    }
    return EntryState(
        erp_id=erp_id,
        kind=EntryKind.PAYMENT,
        number=str(credit.get("CreditNoteNumber", "") or ""),
        status="ALLOCATED",
        booked=bool(reason),
        booked_reason=reason,
        booked_hint=N_("Ask your adviser to move the lock date, or change the allocation in Xero by hand.")
        if reason
        else "",
        url=link(credit_id, True) if credit_id else "",
        fields=fields,
        vendor_erp_id=str((credit.get("Contact") or {}).get("ContactID", "") or ""),
    )
