"""The last look before Roger creates a Xero contact: the bookkeeper's contact that shares only the supplier's tax
number (issue 12, point 1).

In Denmark the CVR/VAT number is what identifies a supplier; bookkeepers keep it in ``TaxNumber`` (the VAT number,
"DK12345678") and sometimes in ``CompanyNumber`` (the CVR number, "12345678"), under a name of their own.  The
optimised look-ups of ``contacts.py`` search by name, number and e-mail, so a contact named otherwise is found only
when the whole address book is read.  So, for each supplier with a tax number that nothing matched:

a. ``searchTerm=<the tax number's digits>``: Xero's ``searchTerm`` searches "Name, FirstName, LastName,
   ContactNumber, CompanyNumber, EmailAddress" (developer.xero.com/documentation/api/accounting/contacts,
   "Optional parameters for GET Contacts").  Xero's OpenAPI description leaves ``CompanyNumber`` out of that list
   (XeroAPI/Xero-OpenAPI ``xero_accounting.yaml``, getContacts ``searchTerm``), so nothing rests on this call
   alone: it saves the read below when the number is in ``CompanyNumber``.  ``TaxNumber`` is searched by neither.
b. The address book, page by page (``pageSize`` 1,000, "Paging contacts (recommended)"), with
   ``summaryOnly=true``: the same page lists ``TaxNumber`` and ``CompanyNumber`` among the contact's fields and
   names the ones a summary *excludes* — Addresses, Balances, ContactGroups, ContactPersons, IsCustomer,
   IsSupplier, Purchases/SalesDefaultAccountCode, Purchases/SalesTrackingCategories ("Retrieving a smaller
   lightweight response using the 'summaryOnly' parameter") — so a summary keeps both numbers.  One read serves
   every supplier of the batch; it stops at the first page where each has a tax match, or at the end of the book,
   or after ``TAX_SCAN_PAGES`` pages.

Only tax evidence counts here (a name or e-mail was already looked for), and the usual rules decide: one active
contact wins, two are ambiguous (a setup error naming them), an archived one is an error to restore it.  A match
in (a) ends the look, and (b) stops at the first page with a match: another contact with the same number further
on (which would have made the match ambiguous) goes unseen — the contact used still carries the supplier's tax
number, so no duplicate is made either way.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

from integrations.connectors.base import ErpError, VendorData
from integrations.connectors.matching import normalised_tax, same_tax_number
from integrations.connectors.xero.transport import XeroApi

ContactJson = Mapping[str, Any]
Outcome = str | ErpError | None

BOOK_PAGE = 1000  # Xero's largest pageSize
# 10 pages = 10,000 contacts.  Past that, a supplier whose tax number is in Xero only under another name is not
# found and a contact is created for it, as before issue 12 — an admin can still link the two in Integrations
# settings.  A constant on purpose: reading a bigger book before every new supplier would spend a Starter-tier
# organisation's 1,000 calls a day.
TAX_SCAN_PAGES = 10
TAX_SEARCH_PAGES = 5  # a digits search is narrow; this only guards against a runaway answer
TAX_SEARCH_MIN_DIGITS = 6  # fewer digits would match too much to be worth a call (a CVR number has 8)


def tax_digits(value: str) -> str:
    return re.sub(r"\D", "", value or "")


def same_tax(vendor: VendorData, contact: ContactJson) -> bool:
    """The contact carries the supplier's tax number: as its ``TaxNumber`` (normalised), or as its
    ``CompanyNumber`` — the VAT number itself, or its digits (the Danish CVR number is the VAT number without
    "DK")."""
    tax = normalised_tax(vendor.tax_number)
    if not tax:
        return False
    if same_tax_number(tax, str(contact.get("TaxNumber") or "")):
        return True
    company = normalised_tax(str(contact.get("CompanyNumber") or ""))
    return bool(company) and company in {tax, tax_digits(tax)}


def book_pages(api: XeroApi) -> Iterator[list[dict[str, Any]]]:
    """The address book, 1,000 summaries a page (archived contacts included: one of them must not be duplicated)."""
    params = [("summaryOnly", "true"), ("includeArchived", "true"), ("pageSize", str(BOOK_PAGE))]
    return api.pages("/Contacts", "Contacts", params, page_size=BOOK_PAGE)


def match_by_tax(
    api: XeroApi, vendors: Sequence[VendorData], decide: Callable[[VendorData, Iterable[ContactJson]], Outcome]
) -> dict[str, str | ErpError]:
    """VendorData.number → the outcome of (a) then (b) for each supplier with a tax number; those absent from the
    answer matched nothing (create them)."""
    found: dict[str, str | ErpError] = {}
    taxed = [v for v in vendors if normalised_tax(v.tax_number)]
    for vendor in taxed:
        digits = tax_digits(vendor.tax_number)
        if len(digits) < TAX_SEARCH_MIN_DIGITS:
            continue
        params = [("searchTerm", digits), ("includeArchived", "true")]
        searched: list[ContactJson] = []
        for number, page in enumerate(api.pages("/Contacts", "Contacts", params), 1):
            searched.extend(c for c in page if same_tax(vendor, c))
            if number >= TAX_SEARCH_PAGES:
                break
        outcome = decide(vendor, searched)
        if outcome is not None:
            found[vendor.number] = outcome
    waiting = [v for v in taxed if v.number not in found]
    if not waiting:
        return found  # no book read when no supplier in need has a tax number, or all were found in (a)
    for number, page in enumerate(book_pages(api), 1):
        for vendor in list(waiting):
            # Decided on the first page with a match for this supplier (see the module's docstring).
            outcome = decide(vendor, [c for c in page if same_tax(vendor, c)])
            if outcome is not None:
                found[vendor.number] = outcome
                waiting.remove(vendor)
        if not waiting or number >= TAX_SCAN_PAGES:
            break
    return found
