"""Refusals of one entry → ``ErpError`` in Roger's words, from either API's error body.

The Journals API publishes its error codes (``x-error-codes`` of the DraftEntries tag, openapi-Journals.json);
those decide the category here.  The legacy API publishes no error codes for closed periods or booked entries,
so nothing here reads its wording: a legacy refusal is classified by the property it names, and closed periods
are found before writing from the documented ``closed`` flags of accounting years and periods.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from integrations.connectors.base import N_, EntryKind, ErpError, ErrorCategory

BOOKED_REASON = N_("Booked in e-conomic (voucher {voucher})")
BOOKED_CAUSE = N_("Booked in e-conomic")  # what Requires attention groups booked entries under, whatever the voucher
BOOKED_HINT = N_("Booked entries cannot change; post a correction (counter-entry) in e-conomic")
CLOSED_HINT = N_(
    "The accounting period is closed in e-conomic. Reopen it there, or post the change as a correction in an "
    "open period."
)
CONFLICT_MESSAGE = N_(
    "The draft was changed in e-conomic after Roger read it; Roger reads it again and re-plans — nothing was "
    "overwritten"
)

# Journals API codes (x-error-codes, DraftEntries) meaning "this date can no longer take entries".
CLOSED_CODES = {
    "JournalEntryDateAccountingYearPeriodBarred",
    "JournalEntryDateAccountingYearClosed",
    "JournalVoucherAccountingYearClosed",
}
GONE_CODES = {"JournalEntryDoesNotExist"}
JOURNAL_CODES = {
    "JournalEntryTypeNotCorrect": N_("Roger's journal does not take this entry type ({message})"),
    "JournalEntryVoucherNumberNotWithinBoundaries": N_("The voucher number is outside the journal's range ({message})"),
    "JournalVoucherNextNumberNotWithinBoundaries": N_("Roger's journal has used up its voucher numbers ({message})"),
    "JournalNumberCannotBeChangedOnDraftEntry": N_("A draft cannot move to another journal ({message})"),
}
JOURNAL_HINT = N_(
    "Open the journal's settings in e-conomic: allow supplier invoices and supplier payments and widen its "
    "voucher number range, or choose another journal in Roger's integration settings."
)
YEAR_CODES = {"JournalEntryDateAccountingYearDoesNotExist", "JournalVoucherAccountingYearDoesNotExist"}

# e-conomic property → Roger's field name, per entry kind (what an accountant fixes in Roger).  Legacy names
# (supplier.supplierNumber, contraAccount, contraVatAccount) and Journals API names (supplierNumber,
# contraAccountNumber, contraVatCode) alike.
FIELD_NAMES: dict[EntryKind, dict[str, str]] = {
    EntryKind.BILL: {
        "supplier": "vendor",
        "suppliernumber": "vendor",
        "supplierinvoicenumber": "invoice_number",
        "date": "issue_date",
        "accountingyear": "issue_date",
        "duedate": "due_date",
        "currency": "currency",
        "exchangerate": "currency",
        "amount": "total",
        "contravatamount": "vat",
        "contraaccount": "category",
        "contraaccountnumber": "category",
        "account": "category",
        "contravataccount": "vat_code",
        "contravatcode": "vat_code",
        "vatcode": "vat_code",
        "departmentaldistribution": "department",
        "text": "description",
        "entrytype": "journal",
        "journal": "journal",
        "vouchernumber": "journal",
    },
    EntryKind.PAYMENT: {
        "supplier": "vendor",
        "suppliernumber": "vendor",
        "supplierinvoicenumber": "invoice_number",
        "date": "payment_date",
        "accountingyear": "payment_date",
        "currency": "currency",
        "exchangerate": "currency",
        "amount": "amount",
        "contraaccount": "bank_account",
        "contraaccountnumber": "bank_account",
        "account": "bank_account",
        "text": "reference",
        "entrytype": "journal",
        "journal": "journal",
        "vouchernumber": "journal",
    },
}
SETUP_HINTS = {
    "category": N_("Map the category to an existing e-conomic account in the integration's settings."),
    "vat_code": N_("Map the VAT code to an existing e-conomic VAT code in the integration's settings."),
    "department": N_("Map the department to an existing e-conomic department in the integration's settings."),
    "bank_account": N_("Choose an existing e-conomic bank account for payments in the integration's settings."),
    "journal": JOURNAL_HINT,
}
# Journals API codes naming a reference that does not exist or cannot take entries: a mapping to fix.
SETUP_CODE_WORDS = ("NotFound", "NotAccessible", "IsBlockedForDirectEntries", "WrongContraAccountType")


def setup_error(message: str, field: str) -> ErpError:
    """A mapping Roger lacks for e-conomic: names the Roger field and says where to fix it."""
    return ErpError(ErrorCategory.SETUP, message, field=field, hint=SETUP_HINTS[field])


def field_for(kind: EntryKind, prop: str) -> str | None:
    last = prop.replace("]", "").split(".")[-1].split("[")[0]
    return FIELD_NAMES[kind].get(last.lower())


def by_field(kind: EntryKind, field: str | None, message: str, code: str | None, hint: str, status: int) -> ErpError:
    if field in SETUP_HINTS and (code is None or any(w in code for w in SETUP_CODE_WORDS)):
        return ErpError(ErrorCategory.SETUP, message, field=field, hint=SETUP_HINTS[field], code=code, status=status)
    if field:
        hint = (
            N_("Correct the document's {field} in Roger and re-sync. (e-conomic: {detail})").format(
                field=field.replace("_", " "), detail=hint
            )
            if hint
            else N_("Correct the document's {field} in Roger and re-sync.").format(field=field.replace("_", " "))
        )
    return ErpError(ErrorCategory.VALIDATION, message, field=field, hint=hint, code=code, status=status)


def problem_codes(body: Any) -> tuple[set[str], str]:
    """Every error code of a problem+json body (its own and its ``errors[]``), and its first human sentence."""
    if not isinstance(body, Mapping):
        return set(), ""
    errors = [e for e in body.get("errors") or [] if isinstance(e, Mapping)]
    codes = {str(c) for c in [body.get("errorCode"), *(e.get("errorCode") for e in errors)] if c}
    message = next((str(e["message"]) for e in errors if e.get("message")), "")
    return codes, message or str(body.get("detail") or body.get("title") or "")


def problem_error(kind: EntryKind, body: Any, status: int) -> ErpError:
    """A problem+json refusal (Journals API) → one error: its first ``errors[]`` element decides."""
    errors = body.get("errors") if isinstance(body, Mapping) else None
    first: Mapping[str, Any] = next((e for e in errors or [] if isinstance(e, Mapping)), {})
    code = str(first.get("errorCode") or (body.get("errorCode") if isinstance(body, Mapping) else "") or "") or None
    message = str(first.get("message") or "")
    if not message and isinstance(body, Mapping):
        message = str(body.get("detail") or body.get("title") or "")
    message = message or N_("e-conomic refused the entry (HTTP {status})").format(status=status)
    field = field_for(kind, str(first.get("property") or ""))
    if code in CLOSED_CODES:
        return ErpError(ErrorCategory.BOOKED, message, hint=CLOSED_HINT, code=code, status=status)
    if code in GONE_CODES:
        return ErpError(ErrorCategory.VALIDATION, message, code="not_found", status=status)
    if code in JOURNAL_CODES:
        return ErpError(
            ErrorCategory.SETUP,
            JOURNAL_CODES[code].format(message=message),
            field="journal",
            hint=JOURNAL_HINT,
            code=code,
        )
    if code in YEAR_CODES:
        return ErpError(
            ErrorCategory.SETUP,
            message,
            field="issue_date" if kind is EntryKind.BILL else "payment_date",
            hint=N_("Create the accounting year in e-conomic, then re-sync."),
            code=code,
            status=status,
        )
    return by_field(kind, field, message, code, "", status)


def legacy_errors(kind: EntryKind, body: Any) -> ErpError:
    """A legacy annotated 400 body (``errors: {<prop>: {errors: [{errorCode, message, value, developerHint}]}}``,
    nested for voucher entries) → the first error, which is what the accountant fixes first."""
    leaves: list[tuple[list[str], dict[str, Any]]] = []

    def walk(node: Any, path: list[str]) -> None:
        if isinstance(node, Mapping):
            errs = node.get("errors")
            if isinstance(errs, list) and errs and all(isinstance(e, Mapping) for e in errs):
                leaves.extend((path, dict(e)) for e in errs)
                return
            for key, value in node.items():
                if key != "arrayIndex":
                    walk(value, [*path, str(key)])
        elif isinstance(node, list):
            for element in node:
                walk(element, path)

    if isinstance(body, Mapping) and body.get("errors") is not None:
        walk(body["errors"], [])
    if not leaves:
        message = str(body.get("message") or "") if isinstance(body, Mapping) else ""
        code = str(body.get("errorCode") or "") if isinstance(body, Mapping) else ""
        return ErpError(
            ErrorCategory.VALIDATION, message or N_("e-conomic refused the request"), code=code or None, status=400
        )
    path, err = leaves[0]
    props = [p for p in path if p not in ("entries", "supplierInvoices", "supplierPayments", "errors")]
    field = next((f for f in (field_for(kind, p) for p in reversed(props)) if f), None)
    message = str(err.get("message") or N_("e-conomic refused the value"))
    hint = str(err.get("developerHint") or "")
    code = str(err.get("errorCode") or "") or None
    if field in SETUP_HINTS:  # a refused account, VAT code, department or bank account is a mapping to fix
        return ErpError(ErrorCategory.SETUP, message, field=field, hint=SETUP_HINTS[field], code=code, status=400)
    return by_field(kind, field, message, code, hint, 400)
