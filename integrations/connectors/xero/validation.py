"""Xero's validation messages → Roger's error categories and fields (R15); messages are kept verbatim."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from integrations.connectors.base import N_, EntryKind, ErpError, ErrorCategory
from integrations.connectors.xero.values import err


@dataclass(frozen=True)
class _Rule:
    pattern: re.Pattern[str]
    category: ErrorCategory
    bill_field: str | None
    payment_field: str | None
    hint: str


def _rule(regex: str, category: ErrorCategory, bill: str | None, payment: str | None, hint: str) -> _Rule:
    return _Rule(re.compile(regex, re.IGNORECASE), category, bill, payment, hint)


_LOCK_HINT = N_(
    "The date is in a period that is locked in Xero. Ask your adviser to move the lock date in Xero, "
    "or enter this in Xero by hand."
)
# First match wins, so the specific rules come before the generic ones.
_RULES: tuple[_Rule, ...] = (
    _rule(r"lock date", ErrorCategory.BOOKED, "issue_date", "payment_date", _LOCK_HINT),
    _rule(
        r"not of valid status for modification|cannot be edited as it has a payment|payments or credit notes "
        r"allocated|cannot be applied to the invoice",
        ErrorCategory.BOOKED,
        None,
        None,
        N_(
            "The bill changed in Xero meanwhile (paid, credited or voided). Remove the payment or credit in Xero "
            "if the bill must change, then re-sync."
        ),
    ),
    _rule(
        r"reconciled",
        ErrorCategory.BOOKED,
        None,
        None,
        N_("The payment is reconciled in Xero. Un-reconcile it in Xero, then re-sync."),
    ),
    _rule(
        # A credit note's allocation: Xero's words as integrations logged them (waynerobinson/xeroizer#320,
        # calcinai/xero-php#251), and the rules its docs state (AUTHORISED credit notes, same contact).
        r"allocated as amount is greater|already been paid off|incorrect invoice type|credit notes? can (only )?be "
        r"allocated|allocated to an authori[sz]ed|must be for the same contact|must be in the same currency",
        ErrorCategory.VALIDATION,
        None,
        "amount",
        N_(
            "The bill or the credit note changed in Xero (paid, credited, refunded or voided): check both in Xero. "
            "Allocate what is left there by hand, or correct the documents in Roger; then re-sync."
        ),
    ),
    _rule(
        r"exceeds the amount outstanding|can only be made against authori[sz]ed",
        ErrorCategory.VALIDATION,
        "total",
        "amount",
        N_(
            "Someone may have paid or changed the bill in Xero already: check the bill's payments in Xero, "
            "remove a duplicate payment there or leave it, then re-sync."
        ),
    ),
    _rule(
        r"invalid for making a payment|bank account",
        ErrorCategory.SETUP,
        "category",
        "bank_account",
        N_("Pick an active Xero bank account for payments in the integration settings."),
    ),
    _rule(
        r"account ?code|account.*(archived|deleted|does not exist|not (a )?valid)|accountid",
        ErrorCategory.SETUP,
        "category",
        "bank_account",
        N_("Map the category to an active Xero account in the integration settings."),
    ),
    _rule(r"tax ?amount", ErrorCategory.VALIDATION, "vat", None, N_("Check the document's VAT amounts.")),
    _rule(
        r"tax ?type|tax ?rate|tax ?code",
        ErrorCategory.SETUP,
        "vat_code",
        None,
        N_("Map the VAT code to a Xero tax rate that can be used on bills."),
    ),
    _rule(
        r"tracking",
        ErrorCategory.SETUP,
        "department",
        None,
        N_("Map the department to an active Xero tracking option in the integration settings."),
    ),
    _rule(
        r"contact.*archived|archived.*contact",
        ErrorCategory.SETUP,
        "vendor",
        "vendor",
        N_(
            "The supplier's contact is archived in Xero: restore it in Xero, or choose another contact for the "
            "supplier in Integrations settings → Contacts; then re-sync."
        ),
    ),
    _rule(
        r"contact",
        ErrorCategory.VALIDATION,
        "vendor",
        "vendor",
        N_("Check the supplier's contact in Xero (name, merged or archived contacts), then re-sync."),
    ),
    _rule(
        r"currenc",
        ErrorCategory.VALIDATION,
        "currency",
        "currency",
        N_("Add the currency in Xero (Settings → Currencies) or correct it on the document."),
    ),
    _rule(r"due ?date", ErrorCategory.VALIDATION, "due_date", None, N_("Check the document's due date.")),
    _rule(r"\bdate\b", ErrorCategory.VALIDATION, "issue_date", "payment_date", N_("Check the document's dates.")),
    _rule(
        r"invoice ?number",
        ErrorCategory.VALIDATION,
        "invoice_number",
        "invoice_number",
        N_("Check the document's invoice number."),
    ),
    _rule(r"description", ErrorCategory.VALIDATION, "description", None, N_("Check the document's description.")),
    _rule(r"amount|total", ErrorCategory.VALIDATION, "total", "amount", N_("Check the document's amounts.")),
)
_SEVERITY = {ErrorCategory.BOOKED: 3, ErrorCategory.SETUP: 2, ErrorCategory.VALIDATION: 1}


def classify_validation(messages: Sequence[str], kind: EntryKind, *, status: int | None = None) -> ErpError:
    """Xero's ``ValidationErrors[].Message`` texts as one ``ErpError``; the messages are kept verbatim."""
    best: tuple[int, _Rule] | None = None
    for message in messages:
        for rule in _RULES:
            if rule.pattern.search(message):
                rank = _SEVERITY.get(rule.category, 0)
                if best is None or rank > best[0]:
                    best = (rank, rule)
                break
    text = "; ".join(m for m in messages if m) or N_("Xero refused the entry without saying why")
    if best is None:
        return err(
            ErrorCategory.VALIDATION,
            text,
            None,
            N_("Correct the document and re-sync."),
            code="ValidationException",
            status=status,
        )
    rule = best[1]
    field = rule.payment_field if kind is EntryKind.PAYMENT else rule.bill_field
    return err(rule.category, text, field, rule.hint, code="ValidationException", status=status)


def messages_of(element: Mapping[str, Any]) -> list[str]:
    return [str(v.get("Message", "")) for v in element.get("ValidationErrors") or [] if isinstance(v, Mapping)]


def element_failed(element: Mapping[str, Any]) -> bool:
    return bool(
        element.get("HasErrors")
        or element.get("HasValidationErrors")
        or messages_of(element)
        or element.get("StatusAttributeString") == "ERROR"
    )


def summary_message(data: Any) -> str:
    if isinstance(data, Mapping):
        messages = [m for e in data.get("Elements") or [] if isinstance(e, Mapping) for m in messages_of(e)]
        if messages:
            return "; ".join(messages)
        if data.get("Message"):
            return str(data["Message"])
    return N_("Xero's answer did not list every element sent")


def idempotency_conflict(data: Any) -> str:
    """Xero's "Idempotency Key: … is used with a different request." message, wherever the body puts it."""
    if not isinstance(data, Mapping):
        return ""
    messages = [str(data.get("Message") or "")]
    messages += [m for e in data.get("Elements") or [] if isinstance(e, Mapping) for m in messages_of(e)]
    return next((m for m in messages if "used with a different request" in m), "")
