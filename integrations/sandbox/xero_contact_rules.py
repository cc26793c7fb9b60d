"""Xero's contact rules: how a bill names its contact, and contact names unique among active contacts."""

from __future__ import annotations

import copy
from typing import Any

from integrations.sandbox.xero_model import EMPTY_ID, Contact, Org, new_id, utcnow
from integrations.sandbox.xero_render import render_contact
from integrations.sandbox.xero_results import CONTACT_ARCHIVED, CONTACT_IDENTIFY, ElementResult, error_result, text


def resolve_contact(org: Org, raw: Any, errors: list[str]) -> tuple[Contact | None, bool]:
    """Find the bill's contact by ContactID, else ContactNumber, else Name; a new Name creates a contact.

    Returns (contact, is_new). A new contact is only stored if the whole bill is valid.
    """
    if not isinstance(raw, dict):
        errors.append(CONTACT_IDENTIFY)
        return None, False
    contact_id, number, name = text(raw.get("ContactID")), text(raw.get("ContactNumber")), text(raw.get("Name"))
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
        return error_result({}, ["The contact element is not valid"], "HasValidationErrors")
    errors: list[str] = []
    contact_id = text(raw.get("ContactID")).lower()
    existing = org.contacts.get(contact_id) if contact_id else None
    if contact_id and existing is None:
        errors.append(f"The contact with ID {raw.get('ContactID')} could not be found")
    if existing is None and allow_update and not contact_id and text(raw.get("ContactNumber")):
        existing = org.contact_by_number(text(raw.get("ContactNumber")))
    contact = copy.deepcopy(existing) if existing else Contact(ContactID=new_id(), Name="")
    for name in (
        "Name",
        "ContactNumber",
        "AccountNumber",
        "TaxNumber",
        "EmailAddress",
        "FirstName",
        "LastName",
        "CompanyNumber",
        "DefaultCurrency",
    ):
        if name in raw:
            setattr(contact, name, text(raw.get(name)))
    if "ContactStatus" in raw:
        status = text(raw.get("ContactStatus")).upper()
        if status not in {"ACTIVE", "ARCHIVED"}:
            errors.append(f"ContactStatus {status} is not valid")
        contact.ContactStatus = status
    if not contact.Name:
        errors.append("The contact name must be specified")
    elif contact.ContactStatus == "ACTIVE":
        clash = org.contact_by_name(contact.Name, exclude=contact.ContactID)
        if clash and clash.ContactStatus == "ACTIVE":
            errors.append(
                f"The contact name {contact.Name} is already assigned to another contact. The contact "
                "name must be unique across all active contacts."
            )
    if len(contact.ContactNumber) > 50:
        errors.append("The ContactNumber must not be more than 50 characters long")
    if errors:
        echoed = dict(raw)
        echoed.setdefault("ContactID", existing.ContactID if existing else EMPTY_ID)
        return error_result(echoed, errors, "HasValidationErrors")
    contact.updated = utcnow()
    org.contacts[contact.ContactID] = contact
    return ElementResult(True, render_contact(contact) | {"StatusAttributeString": "OK"})
