"""Which Xero contact is Roger's supplier: the one Roger knows, one that matches, or a new one (issue 1).

Customers' bookkeepers created their suppliers in Xero long before Roger.  In order:

1. **Known** — ``VendorData.erp_id`` (chosen by an admin, or remembered from an earlier sync): used as is after
   checking it still exists and is not archived (``IDs=`` is an optimised filter, developer.xero.com/documentation
   /api/accounting/contacts "Optimised filtering on a list of values").
2. **Matched** — candidates come only from Xero's optimised look-ups (same page, "Optimised use of the where
   filter": ``Name``, ``EmailAddress``, ``AccountNumber`` with ``==``; and ``searchTerm``, the documented
   replacement for ``Name.Contains``, which searches Name, FirstName, LastName, ContactNumber, CompanyNumber and
   EmailAddress — "Optional parameters for GET Contacts"; Xero's OpenAPI description leaves CompanyNumber out).
   ``OR`` is not optimised for contacts, so each look-up is one call.  Roger then compares in its own code: a
   different tax number rules a contact out; the same (normalised) tax number as ``TaxNumber`` or
   ``CompanyNumber`` (there also as its digits: the Danish CVR number), Roger's supplier number as
   ``ContactNumber`` or ``AccountNumber``, are strong evidence; the same name up to case, accents and punctuation,
   or the same e-mail address, weak evidence.  One active contact with the strongest evidence wins; two are
   *ambiguous* — a setup error naming them, for an admin to choose in settings.  With many suppliers to place at
   once (a first sync), reading the whole address book page by page ("Paging contacts (recommended)", ``pageSize``
   up to 1,000) costs fewer calls than searching for each, as long as the book is not too big.
   Otherwise, before creating a supplier that has a tax number, ``tax_match.py`` looks for a contact holding that
   number under another name: a digits search, then one capped paged read of the book for the whole batch.
3. **Created** — only when nothing matches and no active contact has the name: Xero refuses a second active
   contact with the same name ("The contact name … is already assigned to another contact. The contact name must
   be unique across all active contacts.").
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from integrations.connectors.base import N_, ConnectorError, EntryKind, ErpError, ErrorCategory, VendorData, chunks
from integrations.connectors.http import dumps
from integrations.connectors.matching import normalised_name, normalised_tax, same_tax_number
from integrations.connectors.xero.bodies import contact_body
from integrations.connectors.xero.tax_match import BOOK_PAGE, book_pages, match_by_tax, same_tax
from integrations.connectors.xero.transport import XeroApi
from integrations.connectors.xero.validation import classify_validation, element_failed, messages_of
from integrations.connectors.xero.values import (
    IDS_CHUNK,
    PAGE_SIZE,
    err,
    is_uuid,
    where_equals,
)

SEARCH_PAGES = 5  # a name search reading more than this falls back to the exact-name filter
SCAN_FROM = 4  # suppliers to match in one go from which the whole address book may be read instead
ContactJson = Mapping[str, Any]


def _active(contact: ContactJson) -> bool:
    return str(contact.get("ContactStatus", "ACTIVE")).upper() == "ACTIVE"


def describe(contact: ContactJson) -> str:
    """A contact as an admin recognises it in Xero: name (number, e-mail)."""
    extra = [str(contact.get(k)) for k in ("ContactNumber", "AccountNumber", "EmailAddress") if contact.get(k)]
    return str(contact.get("Name", "?")) + (f" ({', '.join(extra)})" if extra else "")


def search_token(name: str) -> str:
    """The most telling word of a name for Xero's ``searchTerm`` (a substring search): its longest word."""
    words = re.findall(r"\w+", name or "")
    return max(words, key=len) if words else (name or "").strip()


class ContactDirectory:
    def __init__(self, api: XeroApi, *, integration_name: str = "Xero", max_batch: int = 50):
        self._api = api
        self._integration = integration_name  # named in hints: "Integrations settings → Xero → Contacts"
        self._max_batch = max_batch
        self.known: dict[str, str] = {}  # VendorData.number → ContactID, for this instance's lifetime

    # --- public -----------------------------------------------------------------------------------------------

    def resolve(self, vendors: Sequence[VendorData]) -> dict[str, str | ErpError]:
        """VendorData.number → ContactID, or the error that stops this supplier's bills."""
        result: dict[str, str | ErpError] = {}
        pending: dict[str, VendorData] = {}
        for vendor in vendors:
            if vendor.number in self.known:
                result[vendor.number] = self.known[vendor.number]
            elif vendor.number:
                pending[vendor.number] = vendor
        linked = [v for v in pending.values() if v.erp_id]
        if linked:
            self._verify(linked, result)
        to_match = [v for v in pending.values() if not v.erp_id]
        # Many suppliers at once (a first sync): reading the whole address book page by page is cheaper than three
        # searches each — when it is small enough; past that budget, the searches.
        book = self._address_book(budget=len(to_match) * 3) if len(to_match) >= SCAN_FROM else None
        to_create = []
        for vendor in to_match:
            outcome = self._match(vendor, book)
            if outcome is None:
                to_create.append(vendor)
            else:
                result[vendor.number] = outcome
        if to_create and book is None:
            # Before creating: the bookkeeper's contact that shares only the tax number (tax_match.py) — one
            # digits search per supplier, then at most one paged read of the book for the whole batch.
            by_tax = match_by_tax(self._api, to_create, self._decide)
            result.update(by_tax)
            to_create = [v for v in to_create if v.number not in by_tax]
        if to_create:
            self._create(to_create, result)
        return result

    def find(self, vendor: VendorData) -> str:
        """The supplier's ContactID when Roger knows it or it matches one contact; '' otherwise.  Never creates a
        contact (what looking an entry up needs: no contact, no entry of it)."""
        if vendor.erp_id:
            return vendor.erp_id
        if vendor.number in self.known:
            return self.known[vendor.number]
        found = self._match(vendor) if vendor.number else None
        return found if isinstance(found, str) else ""

    # --- 1. known ---------------------------------------------------------------------------------------------

    def _verify(self, vendors: Sequence[VendorData], result: dict[str, str | ErpError]) -> None:
        ids = sorted({v.erp_id.lower() for v in vendors if is_uuid(v.erp_id)})
        found: dict[str, ContactJson] = {}
        for chunk in chunks(ids, IDS_CHUNK):
            params = [("IDs", ",".join(chunk)), ("includeArchived", "true")]
            for contact in self._api.get_all("/Contacts", "Contacts", params):
                found[str(contact.get("ContactID", "")).lower()] = contact
        for vendor in vendors:
            contact = found.get(vendor.erp_id.lower())
            if contact is None:
                result[vendor.number] = self._setup(
                    N_("The Xero contact chosen for {vendor} ({contact}) is no longer in Xero").format(
                        vendor=vendor.name, contact=vendor.erp_id
                    ),
                    self._choose_hint(vendor),
                )
            elif not _active(contact):
                result[vendor.number] = self._setup(
                    N_("The Xero contact chosen for {vendor}, {contact}, is archived in Xero").format(
                        vendor=vendor.name, contact=describe(contact)
                    ),
                    self._restore_hint(vendor),
                )
            else:
                self.known[vendor.number] = result[vendor.number] = str(contact["ContactID"])

    # --- 2. matched -------------------------------------------------------------------------------------------

    def _candidates(self, vendor: VendorData) -> dict[str, ContactJson]:
        archived = ("includeArchived", "true")
        found: dict[str, ContactJson] = {}

        def add(contacts: Sequence[ContactJson]) -> None:
            found.update((str(c.get("ContactID", "")).lower(), c) for c in contacts if c.get("ContactID"))

        token = search_token(vendor.name)
        searched: list[ContactJson] = []
        for page in self._api.pages("/Contacts", "Contacts", [("searchTerm", token), archived]):
            searched.extend(page)
            if len(searched) >= SEARCH_PAGES * PAGE_SIZE:
                # A very common word: the exact name (case- and accent-insensitive in Xero) instead.
                searched = self._api.get_all("/Contacts", "Contacts", [("where", where_equals("Name", vendor.name))])
                break
        add(searched)
        add(self._api.get_all("/Contacts", "Contacts", [("searchTerm", vendor.number), archived]))
        add(self._api.get_all("/Contacts", "Contacts", [("where", where_equals("AccountNumber", vendor.number))]))
        if vendor.email:
            add(self._api.get_all("/Contacts", "Contacts", [("where", where_equals("EmailAddress", vendor.email))]))
        return found

    def _address_book(self, budget: int) -> list[ContactJson] | None:
        """Every contact (paged, 1,000 a page, summaries only — paging is what Xero recommends for reading
        contacts), or None when that would take more than ``budget`` calls."""
        book: list[ContactJson] = []
        for number, page in enumerate(book_pages(self._api), 1):
            book.extend(page)
            if number >= budget and len(page) == BOOK_PAGE:
                return None
        return book

    def _match(self, vendor: VendorData, book: Sequence[ContactJson] | None = None) -> str | ErpError | None:
        """The matching contact's id, an error (ambiguous, archived, name taken), or None: create one."""
        return self._decide(vendor, book if book is not None else self._candidates(vendor).values())

    def _decide(self, vendor: VendorData, candidates: Iterable[ContactJson]) -> str | ErpError | None:
        strong, weak, taken = [], [], []
        tax, number = normalised_tax(vendor.tax_number), vendor.number.casefold()
        name, email = normalised_name(vendor.name), vendor.email.casefold()
        unique = {str(c.get("ContactID", "")).lower(): c for c in candidates}
        for contact in unique.values():
            if _active(contact) and str(contact.get("Name", "")).strip().casefold() == vendor.name.strip().casefold():
                taken.append(contact)
            their_tax = str(contact.get("TaxNumber") or "")
            if tax and normalised_tax(their_tax) and not same_tax_number(tax, their_tax):
                continue  # another legal entity, whatever its name
            if same_tax(vendor, contact) or number in {
                str(contact.get("ContactNumber") or "").casefold(),
                str(contact.get("AccountNumber") or "").casefold(),
            }:
                strong.append(contact)
            elif normalised_name(str(contact.get("Name", ""))) == name or (
                email and str(contact.get("EmailAddress") or "").casefold() == email
            ):
                weak.append(contact)
        for tier in (strong, weak):
            active = sorted((c for c in tier if _active(c)), key=lambda c: str(c.get("ContactID")))
            if len(active) == 1:
                self.known[vendor.number] = str(active[0]["ContactID"])
                return self.known[vendor.number]
            if len(active) > 1:
                return self._setup(
                    N_("{count} Xero contacts could be the supplier {vendor}: {contacts}").format(
                        count=len(active), vendor=vendor.name, contacts="; ".join(describe(c) for c in active)
                    ),
                    self._choose_hint(vendor),
                    code="AmbiguousContact",
                )
        archived = [c for c in strong + weak if not _active(c)]
        if archived:
            return self._setup(
                N_("The Xero contact matching {vendor}, {contact}, is archived in Xero").format(
                    vendor=vendor.name, contact=describe(archived[0])
                ),
                self._restore_hint(vendor),
            )
        if taken:
            return self._name_taken(vendor, describe(taken[0]))
        return None

    # --- 3. created -------------------------------------------------------------------------------------------

    def _create(self, vendors: Sequence[VendorData], result: dict[str, str | ErpError]) -> None:
        for chunk in chunks(sorted(vendors, key=lambda v: v.number), self._max_batch):
            bodies = [contact_body(v) for v in chunk]
            key = "roger-contacts-" + hashlib.sha256(dumps([self._api.tenant_id, bodies])).hexdigest()
            try:
                reply = self._api.request(
                    "PUT",
                    "/Contacts",
                    params=[("summarizeErrors", "false")],
                    body={"Contacts": bodies},
                    idempotency_key=key,
                )
            except ConnectorError as exc:
                # The bills were not sent: their outcome is certain even if the contacts' is not (the next
                # attempt finds a contact created meanwhile by its ContactNumber).
                raise ConnectorError(replace(exc.error, uncertain=False)) from None
            data = reply.data if isinstance(reply.data, Mapping) else {}
            elements = [e for e in data.get("Elements" if reply.status == 400 else "Contacts") or []]
            for i, vendor in enumerate(chunk):
                element = elements[i] if i < len(elements) and isinstance(elements[i], Mapping) else {}
                if element and not element_failed(element) and element.get("ContactID"):
                    self.known[vendor.number] = result[vendor.number] = str(element["ContactID"])
                    continue
                messages = messages_of(element) or [N_("Xero did not create the contact")]
                if any("already assigned to another contact" in m for m in messages):
                    # Usually another worker created this very supplier a moment ago: find it again.
                    again = self._match(vendor)
                    result[vendor.number] = (
                        again if again is not None else self._name_taken(vendor, vendor.name, "; ".join(messages))
                    )
                else:
                    error = classify_validation(messages, EntryKind.BILL, status=reply.status)
                    result[vendor.number] = replace(
                        error,
                        category=ErrorCategory.VALIDATION,
                        field="vendor",
                        hint=N_(
                            "Xero would not create a contact for {vendor}: correct the supplier in Roger, or choose "
                            "an existing contact for it in Integrations settings → {integration} → Contacts; then "
                            "re-sync."
                        ).format(vendor=vendor.name, integration=self._integration),
                    )

    # --- errors -----------------------------------------------------------------------------------------------

    def _setup(self, message: str, hint: str, code: str | None = None) -> ErpError:
        return err(ErrorCategory.SETUP, message, "vendor", hint, code=code)

    def _choose_hint(self, vendor: VendorData) -> str:
        return N_(
            "Choose the Xero contact for {vendor} in Integrations settings → {integration} → Contacts, then re-sync."
        ).format(vendor=vendor.name, integration=self._integration)

    def _restore_hint(self, vendor: VendorData) -> str:
        return N_(
            "Restore it in Xero, or choose another contact for {vendor} in Integrations settings → {integration} → "
            "Contacts; then re-sync."
        ).format(vendor=vendor.name, integration=self._integration)

    def _name_taken(self, vendor: VendorData, existing: str, message: str = "") -> ErpError:
        return self._setup(
            message
            or N_("Another Xero contact is already named {vendor}: {contact}, with a different tax number").format(
                vendor=vendor.name, contact=existing
            ),
            N_(
                "If it is this supplier, choose it for {vendor} in Integrations settings → {integration} → Contacts; "
                "otherwise rename one of them in Xero or Roger. Then re-sync."
            ).format(vendor=vendor.name, integration=self._integration),
            code="ContactNameTaken",
        )
