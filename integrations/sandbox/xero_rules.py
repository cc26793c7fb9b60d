"""Xero's write rules: creating and updating bills, payments and contacts, one element at a time.

Every function takes the organisation (the caller holds its lock) and one submitted element, and returns an
:class:`ElementResult`: the element as Xero would echo it (created entity, or the submitted element with
``ValidationErrors``). Nothing is changed in the organisation unless the element is valid.

Messages marked *(verified)* are quoted from Xero or integrations that logged them; the others are
sandbox wording for rules Xero enforces with a message we could not confirm.
"""

from __future__ import annotations

import copy
import uuid
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from integrations.sandbox.xero_model import (
    EMPTY_ID,
    ZERO,
    Contact,
    Invoice,
    Line,
    Org,
    Payment,
    money,
    new_id,
    parse_date,
    render_contact,
    render_invoice,
    render_payment,
    today,
    utcnow,
)

# (verified) messages
NOT_VALID_STATUS = "Invoice not of valid status for modification"
HAS_PAYMENT = "This document cannot be edited as it has a payment or credit note allocated to it."
PAY_AUTHORISED_ONLY = "Payments can only be made against Authorised documents"
PAY_EXCEEDS = "Payment amount exceeds the amount outstanding on this document"
ONLY_STATUS = "Only Status accepted for updates."
CONTACT_IDENTIFY = ("The Contact must contain at least 1 of the following elements to identify the contact: "
                    "Name, ContactID, ContactNumber")
CONTACT_ARCHIVED = ("The contact with the specified contact details has been archived. The contact must be "
                    "un-archived before creating new invoices or credit notes.")
DESCRIPTION_REQUIRED = "The description field is mandatory for each line item."
# sandbox wording
VOID_WITH_PAYMENT = ("The status VOIDED cannot be applied to the invoice because it has payments or credit "
                     "notes allocated to it.")
INVOICE_NOT_FOUND = "Invoice could not be found"

TRANSITIONS = {
    "DRAFT": {"DRAFT", "SUBMITTED", "AUTHORISED", "DELETED"},
    "SUBMITTED": {"SUBMITTED", "AUTHORISED", "DRAFT", "DELETED"},
    "AUTHORISED": {"AUTHORISED", "VOIDED"},
}
CREATE_STATUSES = {"DRAFT", "SUBMITTED", "AUTHORISED"}
LINE_AMOUNT_TYPES = {"exclusive": "Exclusive", "inclusive": "Inclusive", "notax": "NoTax"}


@dataclass
class ElementResult:
    ok: bool
    data: dict[str, Any]
    errors: list[str] = field(default_factory=list)


def _dec(value: Any, name: str, errors: list[str]) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        errors.append(f"{name} must be a number")
        return None


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _error_result(data: dict[str, Any], errors: list[str], flag: str = "HasErrors") -> ElementResult:
    echoed = dict(data)
    echoed[flag] = True
    echoed["StatusAttributeString"] = "ERROR"
    echoed["ValidationErrors"] = [{"Message": message} for message in errors]
    return ElementResult(False, echoed, errors)


# -- contacts -------------------------------------------------------------------------------------------------
def resolve_contact(org: Org, raw: Any, errors: list[str]) -> tuple[Contact | None, bool]:
    """Find the bill's contact by ContactID, else ContactNumber, else Name; a new Name creates a contact.

    Returns (contact, is_new). A new contact is only stored if the whole bill is valid.
    """
    if not isinstance(raw, dict):
        errors.append(CONTACT_IDENTIFY)
        return None, False
    contact_id, number, name = _text(raw.get("ContactID")), _text(raw.get("ContactNumber")), _text(raw.get("Name"))
    contact: Contact | None = None
    if contact_id and contact_id != EMPTY_ID:
        contact = org.contacts.get(contact_id.lower())
        if contact is None:
            errors.append(f"The contact with ID {contact_id} could not be found")
            return None, False
    elif number:
        contact = org.contact_by_number(number) or (org.contact_by_name(name) if name else None)
        if contact is None and not name:
            errors.append(f"The contact with ContactNumber {number} could not be found")
            return None, False
    elif name:
        contact = org.contact_by_name(name)
    else:
        errors.append(CONTACT_IDENTIFY)
        return None, False
    if contact is None:
        return Contact(ContactID=new_id(), Name=name, ContactNumber=number), True
    if contact.ContactStatus == "ARCHIVED":
        errors.append(CONTACT_ARCHIVED)
    return contact, False


def save_contact(org: Org, raw: Any, allow_update: bool) -> ElementResult:
    if not isinstance(raw, dict):
        return _error_result({}, ["The contact element is not valid"], "HasValidationErrors")
    errors: list[str] = []
    contact_id = _text(raw.get("ContactID")).lower()
    existing = org.contacts.get(contact_id) if contact_id else None
    if contact_id and existing is None:
        errors.append(f"The contact with ID {raw.get('ContactID')} could not be found")
    if existing is None and allow_update and not contact_id and _text(raw.get("ContactNumber")):
        existing = org.contact_by_number(_text(raw.get("ContactNumber")))
    contact = copy.deepcopy(existing) if existing else Contact(ContactID=new_id(), Name="")
    for name in ("Name", "ContactNumber", "AccountNumber", "TaxNumber", "EmailAddress", "FirstName", "LastName",
                 "DefaultCurrency"):
        if name in raw:
            setattr(contact, name, _text(raw.get(name)))
    if "ContactStatus" in raw:
        status = _text(raw.get("ContactStatus")).upper()
        if status not in {"ACTIVE", "ARCHIVED"}:
            errors.append(f"ContactStatus {status} is not valid")
        contact.ContactStatus = status
    if not contact.Name:
        errors.append("The contact name must be specified")
    elif contact.ContactStatus == "ACTIVE":
        clash = org.contact_by_name(contact.Name, exclude=contact.ContactID)
        if clash and clash.ContactStatus == "ACTIVE":
            errors.append(f"The contact name {contact.Name} is already assigned to another contact. The contact "
                          "name must be unique across all active contacts.")
    if len(contact.ContactNumber) > 50:
        errors.append("The ContactNumber must not be more than 50 characters long")
    if errors:
        echoed = dict(raw)
        echoed.setdefault("ContactID", existing.ContactID if existing else EMPTY_ID)
        return _error_result(echoed, errors, "HasValidationErrors")
    contact.updated = utcnow()
    org.contacts[contact.ContactID] = contact
    return ElementResult(True, render_contact(contact) | {"StatusAttributeString": "OK"})


# -- line items and totals --------------------------------------------------------------------------------------
def _tracking(org: Org, raw: Any, where: str, errors: list[str]) -> list[dict[str, str]]:
    if raw in (None, []):
        return []
    if not isinstance(raw, list):
        errors.append(f"{where}: Tracking must be a list")
        return []
    if len(raw) > 2:
        errors.append(f"{where}: a line item can have a maximum of 2 tracking categories")
    result = []
    for item in raw:
        item = item if isinstance(item, dict) else {}
        cat_id, cat_name = _text(item.get("TrackingCategoryID")).lower(), _text(item.get("Name"))
        category = next((c for c in org.tracking if (cat_id and c["TrackingCategoryID"] == cat_id)
                         or (not cat_id and c["Name"].casefold() == cat_name.casefold())), None)
        if category is None or category["Status"] != "ACTIVE":
            errors.append(f"The tracking category {cat_name or cat_id} does not exist or has been archived")
            continue
        opt_id, opt_name = _text(item.get("TrackingOptionID")).lower(), _text(item.get("Option"))
        option = next((o for o in category["Options"] if (opt_id and o["TrackingOptionID"] == opt_id)
                       or (not opt_id and o["Name"].casefold() == opt_name.casefold())), None)
        if option is None or option["Status"] != "ACTIVE":
            errors.append(f"The tracking option {opt_name or opt_id} does not exist or has been archived in "
                          f"tracking category {category['Name']}")
            continue
        result.append({"Name": category["Name"], "Option": option["Name"],
                       "TrackingCategoryID": category["TrackingCategoryID"],
                       "TrackingOptionID": option["TrackingOptionID"]})
    return result


def _account_code(org: Org, raw: dict[str, Any], base: Line | None, errors: list[str]) -> str:
    if raw.get("AccountID"):
        account = org.account_by_id(_text(raw.get("AccountID")))
        if account is None:
            errors.append(f"Account with ID {raw.get('AccountID')} could not be found")
            return ""
        code = account["Code"]
    elif "AccountCode" in raw:
        code = _text(raw.get("AccountCode"))
    else:
        code = base.AccountCode if base else ""
    if not code:
        return ""
    account = org.account_by_code(code)
    if account is None or account["Type"] == "BANK" or account.get("SystemAccount"):
        errors.append(f"Account code '{code}' is not a valid code for this document.")
    elif account["Status"] != "ACTIVE":
        errors.append(f"Account code '{code}' has been archived, or deleted. Each line item must reference a "
                      "valid account.")
    return account["Code"] if account else code


def _amounts(raw: dict[str, Any], base: Line | None, where: str, unit_dp: int, errors: list[str]
             ) -> tuple[Decimal, Decimal, Decimal]:
    qty = _dec(raw.get("Quantity"), "Quantity", errors)
    unit = _dec(raw.get("UnitAmount"), "UnitAmount", errors)
    amount = _dec(raw.get("LineAmount"), "LineAmount", errors)
    if base is not None:  # an updated line keeps the amounts it is not given
        qty = base.Quantity if qty is None and "Quantity" not in raw else qty
        unit = base.UnitAmount if unit is None and "UnitAmount" not in raw else unit
    unit_q = Decimal(1).scaleb(-unit_dp)
    if amount is None:
        qty = Decimal("1") if qty is None and unit is not None else (qty or ZERO)
        unit = (unit or ZERO).quantize(unit_q)
        return qty, unit, money(qty * unit)
    amount = money(amount)
    if qty is None and unit is None:
        return Decimal("1"), amount, amount
    if unit is None:
        return qty, (amount / qty).quantize(unit_q) if qty else ZERO, amount  # type: ignore[operator]
    unit = unit.quantize(unit_q)
    if qty is None:
        return (amount / unit if unit else Decimal("1")), unit, amount
    expected = money(qty * unit)
    if abs(expected - amount) > Decimal("0.01") + abs(qty) * Decimal("0.005"):
        errors.append(f"{where}: the line total {amount} does not match the expected line total {expected}")
    return qty, unit, amount


def build_lines(org: Org, raw_lines: Any, old: list[Line], line_amount_types: str, status: str, unit_dp: int,
                errors: list[str]) -> list[Line]:
    """Apply Xero's LineItemID rules: known ID updates that line, no ID adds one, an omitted line is deleted."""
    if not isinstance(raw_lines, list):
        errors.append("LineItems must be a list")
        return []
    old_by_id = {line.LineItemID: line for line in old}
    lines = []
    for number, raw in enumerate(raw_lines, 1):
        where = f"Line item {number}"
        raw = raw if isinstance(raw, dict) else {}
        line_id = _text(raw.get("LineItemID")).lower()
        base = old_by_id.get(line_id) if line_id else None
        if line_id and base is None:
            errors.append(f"{where}: the LineItemID {line_id} does not exist on this document")
        line = copy.deepcopy(base) if base else Line(LineItemID=new_id())
        if "Description" in raw:
            line.Description = _text(raw.get("Description"))
        if not line.Description:
            errors.append(DESCRIPTION_REQUIRED)
        line.Quantity, line.UnitAmount, line.LineAmount = _amounts(raw, base, where, unit_dp, errors)
        line.AccountCode = _account_code(org, raw, base, errors)
        if not line.AccountCode and status in {"SUBMITTED", "AUTHORISED"}:
            errors.append(f"{where}: an account code must be specified for each line item")
        line.ItemCode = _text(raw.get("ItemCode")) if "ItemCode" in raw else line.ItemCode
        if "Tracking" in raw or base is None:
            line.Tracking = _tracking(org, raw.get("Tracking"), where, errors)
        line.TaxType, line.TaxAmount = _tax(org, raw, line, base, line_amount_types, errors)
        lines.append(line)
    return lines


def _tax(org: Org, raw: dict[str, Any], line: Line, base: Line | None, lat: str, errors: list[str]
         ) -> tuple[str, Decimal]:
    tax_type = _text(raw.get("TaxType")) or (base.TaxType if base else "")
    if not tax_type:
        account = org.account_by_code(line.AccountCode) if line.AccountCode else None
        tax_type = account["TaxType"] if account else "NONE"
    rate_row = org.tax_rate(tax_type)
    if rate_row is None or rate_row["Status"] != "ACTIVE":
        errors.append(f"The TaxType code '{tax_type}' does not exist or cannot be used for this type of "
                      "transaction.")
        return tax_type, ZERO
    if lat == "NoTax":
        return rate_row["TaxType"], ZERO
    given = _dec(raw.get("TaxAmount"), "TaxAmount", errors)
    if given is not None:  # Xero honours an explicit tax amount (to fix rounding)
        return rate_row["TaxType"], money(given)
    rate = Decimal(rate_row["EffectiveRate"])
    if lat == "Inclusive":
        return rate_row["TaxType"], money(line.LineAmount * rate / (Decimal(100) + rate))
    return rate_row["TaxType"], money(line.LineAmount * rate / Decimal(100))


def compute_totals(invoice: Invoice) -> None:
    gross = sum((line.LineAmount for line in invoice.lines), ZERO)
    tax = sum((line.TaxAmount for line in invoice.lines), ZERO)
    if invoice.LineAmountTypes == "Inclusive":
        invoice.SubTotal, invoice.TotalTax, invoice.Total = gross - tax, tax, gross
    else:
        invoice.SubTotal, invoice.TotalTax, invoice.Total = gross, tax, gross + tax


# -- bills ------------------------------------------------------------------------------------------------------
def save_invoice(org: Org, raw: Any, allow_update: bool, unit_dp: int = 2, forced_id: str | None = None
                 ) -> ElementResult:
    """PUT (``allow_update=False``) or POST one invoice element."""
    if not isinstance(raw, dict):
        return _error_result({"InvoiceID": EMPTY_ID}, ["The invoice element is not valid"])
    invoice_id = (forced_id or _text(raw.get("InvoiceID"))).lower()
    if invoice_id and invoice_id != EMPTY_ID:
        existing = org.invoices.get(invoice_id)
        if existing is None:
            return _error_result(dict(raw) | {"InvoiceID": EMPTY_ID}, [INVOICE_NOT_FOUND])
        if not allow_update:
            return _error_result(dict(raw), ["An invoice with this InvoiceID already exists; use POST to update"])
        return _update_invoice(org, existing, raw, unit_dp)
    return _create_invoice(org, raw, unit_dp)


def _header_fields(org: Org, raw: dict[str, Any], invoice: Invoice, errors: list[str]) -> None:
    """Apply the header fields present in ``raw`` to ``invoice`` (dates, number, Url, currency…)."""
    for name in ("Date", "DueDate", "PlannedPaymentDate"):
        if raw.get(name):
            try:
                setattr(invoice, name, parse_date(raw[name]))
            except (ValueError, TypeError):
                errors.append(f"{name} is not a valid date")
    for name in ("InvoiceNumber", "Reference", "Url"):
        if name in raw:
            setattr(invoice, name, _text(raw.get(name)))
    if len(invoice.InvoiceNumber) > 255:
        errors.append("InvoiceNumber must not be more than 255 characters long")
    if "LineAmountTypes" in raw:
        lat = LINE_AMOUNT_TYPES.get(_text(raw.get("LineAmountTypes")).lower())
        if lat is None:
            errors.append(f"LineAmountTypes {raw.get('LineAmountTypes')} is not valid")
        else:
            invoice.LineAmountTypes = lat
    if raw.get("CurrencyCode"):
        invoice.CurrencyCode = _text(raw.get("CurrencyCode")).upper()
    if invoice.CurrencyCode not in org.currencies:
        errors.append(f"Organisation is not subscribed to currency {invoice.CurrencyCode}")
    if raw.get("CurrencyRate") not in (None, ""):
        invoice.CurrencyRate = _dec(raw.get("CurrencyRate"), "CurrencyRate", errors) or invoice.CurrencyRate
    if "SentToContact" in raw:
        invoice.SentToContact = bool(raw.get("SentToContact"))


def _create_invoice(org: Org, raw: dict[str, Any], unit_dp: int) -> ElementResult:
    errors: list[str] = []
    kind = _text(raw.get("Type")).upper()
    if not kind:
        errors.append("Invoice Type must be specified")
    elif kind not in {"ACCPAY", "ACCREC"}:
        errors.append(f"Invoice Type {kind} is not supported on /Invoices by this sandbox")
    contact, contact_is_new = resolve_contact(org, raw.get("Contact"), errors)
    status = _text(raw.get("Status")).upper() or "DRAFT"
    if status not in CREATE_STATUSES:
        errors.append(f"Invoice not of valid status for creation ({status})")
    invoice = Invoice(InvoiceID=new_id(), Type=kind or "ACCPAY", ContactID=contact.ContactID if contact else "",
                      Date=today(), Status=status if status in CREATE_STATUSES else "DRAFT",
                      CurrencyCode=org.base_currency)
    _header_fields(org, raw, invoice, errors)
    if "LineItems" not in raw or not raw.get("LineItems"):
        errors.append("At least one line item must be specified")
    else:
        invoice.lines = build_lines(org, raw["LineItems"], [], invoice.LineAmountTypes, status, unit_dp, errors)
    compute_totals(invoice)
    _posting_checks(org, invoice, errors)
    if errors:
        return _invoice_errors(org, invoice, raw, errors, contact, EMPTY_ID)
    if contact_is_new and contact:
        org.contacts[contact.ContactID] = contact
    if contact:
        contact.IsSupplier = contact.IsSupplier or invoice.Type == "ACCPAY"
        contact.IsCustomer = contact.IsCustomer or invoice.Type == "ACCREC"
    if invoice.Type == "ACCREC" and not invoice.InvoiceNumber:
        invoice.InvoiceNumber = f"INV-{org.next_number:04d}"
        org.next_number += 1
    org.invoices[invoice.InvoiceID] = invoice
    return ElementResult(True, render_invoice(org, invoice, unit_dp=unit_dp) | {"StatusAttributeString": "OK"})


def _posting_checks(org: Org, invoice: Invoice, errors: list[str]) -> None:
    """Rules for documents that hit the ledger (AUTHORISED): lock dates and a non-negative total."""
    if invoice.Total < 0:
        errors.append("The total for this document must be greater than or equal to zero")
    if invoice.Status == "AUTHORISED":
        lock = org.lock_error(invoice.Date)
        if lock:
            errors.append(lock)


def _update_invoice(org: Org, existing: Invoice, raw: dict[str, Any], unit_dp: int) -> ElementResult:
    errors: list[str] = []
    requested = _text(raw.get("Status")).upper()
    if existing.Status in {"PAID", "VOIDED", "DELETED"}:
        errors.append(NOT_VALID_STATUS)
    elif existing.AmountPaid > 0 or existing.AmountCredited > 0:
        errors.append(VOID_WITH_PAYMENT if requested == "VOIDED" else HAS_PAYMENT)
    elif not requested and existing.Status == "AUTHORISED":
        # Xero treats an update of an approved bill that omits Status as a status change, and refuses it.
        errors.append(NOT_VALID_STATUS)
    elif (requested or existing.Status) not in TRANSITIONS[existing.Status]:
        errors.append(NOT_VALID_STATUS)
    elif existing.Status == "AUTHORISED" and org.lock_error(existing.Date):
        errors.append(org.lock_error(existing.Date) or "")
    if errors:
        return _invoice_errors(org, existing, raw, errors, org.contacts.get(existing.ContactID),
                               existing.InvoiceID)
    invoice = copy.deepcopy(existing)
    invoice.Status = requested or existing.Status
    contact = org.contacts.get(invoice.ContactID)
    contact_is_new = False
    if invoice.Status not in {"VOIDED", "DELETED"}:
        if "Contact" in raw:
            contact, contact_is_new = resolve_contact(org, raw.get("Contact"), errors)
            invoice.ContactID = contact.ContactID if contact else invoice.ContactID
        _header_fields(org, raw, invoice, errors)
        if "LineItems" in raw:
            invoice.lines = build_lines(org, raw.get("LineItems"), existing.lines, invoice.LineAmountTypes,
                                        invoice.Status, unit_dp, errors)
        elif invoice.Status in {"SUBMITTED", "AUTHORISED"}:
            build_lines(org, [{"LineItemID": line.LineItemID} for line in invoice.lines], existing.lines,
                        invoice.LineAmountTypes, invoice.Status, unit_dp, errors)
        compute_totals(invoice)
        _posting_checks(org, invoice, errors)
    if errors:
        return _invoice_errors(org, invoice, raw, errors, contact, existing.InvoiceID)
    if contact_is_new and contact:
        org.contacts[contact.ContactID] = contact
    invoice.updated = utcnow()
    org.invoices[invoice.InvoiceID] = invoice
    return ElementResult(True, render_invoice(org, invoice, unit_dp=unit_dp) | {"StatusAttributeString": "OK"})


def _invoice_errors(org: Org, invoice: Invoice, raw: dict[str, Any], errors: list[str], contact: Contact | None,
                    invoice_id: str) -> ElementResult:
    """Echo the element as Xero does: the processed invoice with the submitted contact and the messages."""
    data = render_invoice(org, invoice)
    data["InvoiceID"] = invoice_id
    if contact is not None:
        data["Contact"] = render_contact(contact, summary=True)
    elif isinstance(raw.get("Contact"), dict):
        data["Contact"] = {k: v for k, v in raw["Contact"].items() if k in {"ContactID", "Name", "ContactNumber"}}
        if not _looks_like_uuid(data["Contact"].get("ContactID")):
            data["Contact"]["ContactID"] = EMPTY_ID
    else:
        data["Contact"] = {"ContactID": EMPTY_ID}
    if invoice_id == EMPTY_ID:
        data["Payments"] = []
    return _error_result(data, errors)


def _looks_like_uuid(value: Any) -> bool:
    try:
        uuid.UUID(str(value))
        return True
    except ValueError:
        return False


# -- payments --------------------------------------------------------------------------------------------------
def _find_invoice(org: Org, raw: dict[str, Any]) -> tuple[Invoice | None, str | None]:
    ref = raw.get("Invoice") if isinstance(raw.get("Invoice"), dict) else {}
    invoice_id = _text(ref.get("InvoiceID")).lower()
    number = _text(ref.get("InvoiceNumber")) or _text(raw.get("InvoiceNumber"))
    if invoice_id:
        invoice = org.invoices.get(invoice_id)
        return invoice, None if invoice else INVOICE_NOT_FOUND
    if number:
        matches = [i for i in org.invoices.values() if i.InvoiceNumber == number and i.Status != "DELETED"]
        return (matches[0], None) if matches else (None, INVOICE_NOT_FOUND)
    return None, "You must specify either an Invoice, Credit Note, Prepayment or Overpayment for the payment"


def _find_account(org: Org, raw: dict[str, Any]) -> tuple[dict[str, Any] | None, str | None]:
    ref = raw.get("Account") if isinstance(raw.get("Account"), dict) else {}
    account_id, code = _text(ref.get("AccountID")), _text(ref.get("Code")) or _text(raw.get("Code"))
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
        return _error_result({}, ["The payment element is not valid"], "HasValidationErrors")
    errors: list[str] = []
    invoice, problem = _find_invoice(org, raw)
    if problem:
        errors.append(problem)
    account, problem = _find_account(org, raw)
    if problem:
        errors.append(problem)
    amount = _dec(raw.get("Amount"), "Amount", errors)
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
        return _error_result(echoed, errors or ["The payment is not valid"], "HasValidationErrors")
    rate = _dec(raw.get("CurrencyRate"), "CurrencyRate", []) or invoice.CurrencyRate
    payment = Payment(PaymentID=new_id(), InvoiceID=invoice.InvoiceID, AccountID=account["AccountID"], Date=day,
                      Amount=money(amount), Reference=_text(raw.get("Reference")), CurrencyRate=rate,
                      IsReconciled=bool(raw.get("IsReconciled")))
    org.payments[payment.PaymentID] = payment
    apply_payment(invoice, payment.Amount, day)
    return ElementResult(True, render_payment(org, payment) | {"StatusAttributeString": "OK"})


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
    if not isinstance(element, dict) or set(element) - {"Status", "PaymentID"} or \
            _text(element.get("Status")).upper() != "DELETED":
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
        return _error_result(render_payment(org, payment), errors, "HasValidationErrors")
    payment.Status, payment.updated = "DELETED", utcnow()
    invoice = org.invoices.get(payment.InvoiceID)
    if invoice is not None:
        apply_payment(invoice, -payment.Amount, None)
    return ElementResult(True, render_payment(org, payment) | {"StatusAttributeString": "OK"})
