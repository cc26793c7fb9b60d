"""What a write rule returns, and the messages Xero words that way.

Messages marked *(verified)* are quoted from Xero or integrations that logged them; the others are sandbox wording
for rules Xero enforces with a message we could not confirm.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

# (verified) messages
NOT_VALID_STATUS = "Invoice not of valid status for modification"
HAS_PAYMENT = "This document cannot be edited as it has a payment or credit note allocated to it."
PAY_AUTHORISED_ONLY = "Payments can only be made against Authorised documents"
PAY_EXCEEDS = "Payment amount exceeds the amount outstanding on this document"
ONLY_STATUS = "Only Status accepted for updates."
CONTACT_IDENTIFY = (
    "The Contact must contain at least 1 of the following elements to identify the contact: "
    "Name, ContactID, ContactNumber"
)
CONTACT_ARCHIVED = (
    "The contact with the specified contact details has been archived. The contact must be "
    "un-archived before creating new invoices or credit notes."
)
DESCRIPTION_REQUIRED = "The description field is mandatory for each line item."
# sandbox wording
VOID_WITH_PAYMENT = (
    "The status VOIDED cannot be applied to the invoice because it has payments or credit notes allocated to it."
)
INVOICE_NOT_FOUND = "Invoice could not be found"


@dataclass
class ElementResult:
    ok: bool
    data: dict[str, Any]
    errors: list[str] = field(default_factory=list)


def dec(value: Any, name: str, errors: list[str]) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        errors.append(f"{name} must be a number")
        return None


def text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def error_result(data: dict[str, Any], errors: list[str], flag: str = "HasErrors") -> ElementResult:
    echoed = dict(data)
    echoed[flag] = True
    echoed["StatusAttributeString"] = "ERROR"
    echoed["ValidationErrors"] = [{"Message": message} for message in errors]
    return ElementResult(False, echoed, errors)
