"""Xero's high volume threshold: in an organisation with more than 100,000 invoices (contacts, payments), a GET
that filters or orders on anything but the optimised fields is denied with a 400, and so is one that would
return more than 100,000 elements (developer.xero.com/documentation/api/accounting/invoices and /contacts,
"High volume threshold limit" and "Optimised use of the where filter"; payments' optimised fields as listed
for Xero's Payments endpoint).  The sandbox plays it for an organisation flagged ``high_volume`` (control API).

Optimised, individually or joined by ``AND`` with ``==`` (ranges only where noted): invoices ``Status``,
``Contact.ContactID``, ``Contact.Name``, ``Contact.ContactNumber``, ``Reference``, ``InvoiceNumber``,
``InvoiceId``, ``Type``, ``AmountPaid``, and ``Date``/``DueDate``/``AmountDue`` (also ranges); ``OR`` only on
``InvoiceId``.  Contacts ``Name``, ``EmailAddress``, ``AccountNumber``.  Payments ``PaymentType``, ``Status``,
``Date`` (also ranges), ``Invoice.InvoiceId``, ``Reference``; ``OR`` on ``Invoice.InvoiceId`` and ``PaymentID``.
``Contains``/``StartsWith``/``EndsWith``, ``!=`` and ``NOT`` are never optimised ("Avoid unoptimised filtering").
The list parameters (``IDs``, ``InvoiceNumbers``, ``ContactIDs``, ``Statuses``), ``searchTerm``, paging and
``If-Modified-Since`` are the documented optimised alternatives.
"""

from __future__ import annotations

from dataclasses import dataclass

from integrations.sandbox.messages import Request, Response, json_response
from integrations.sandbox.xero_where import WhereError, where_terms


@dataclass(frozen=True)
class _Optimised:
    equals: frozenset[str]
    ranges: frozenset[str]
    with_or: frozenset[str]
    order: frozenset[str]
    narrowing: tuple[str, ...]  # query parameters that keep a read small without paging


OPTIMISED = {
    "invoices": _Optimised(
        equals=frozenset(
            {
                "status",
                "contact.contactid",
                "contact.name",
                "contact.contactnumber",
                "reference",
                "invoicenumber",
                "invoiceid",
                "date",
                "type",
                "amountdue",
                "amountpaid",
                "duedate",
            }
        ),
        ranges=frozenset({"date", "duedate", "amountdue"}),
        with_or=frozenset({"invoiceid"}),
        order=frozenset({"invoiceid", "updateddateutc", "date"}),
        narrowing=("IDs", "InvoiceNumbers", "ContactIDs"),
    ),
    "contacts": _Optimised(
        equals=frozenset({"name", "emailaddress", "accountnumber"}),
        ranges=frozenset(),
        with_or=frozenset(),
        order=frozenset({"contactid", "updateddateutc", "name"}),
        narrowing=("IDs", "searchTerm"),
    ),
    # developer.xero.com/documentation/api/accounting/creditnotes, "High volume threshold limit" and "Optimised
    # filtering using the where parameter" / "Optimised ordering".
    "creditnotes": _Optimised(
        equals=frozenset(
            {"status", "date", "reference", "contact.contactid", "contact.name", "contact.contactnumber", "type"}
        ),
        ranges=frozenset({"date"}),
        with_or=frozenset(),
        order=frozenset({"creditnoteid", "updateddateutc", "date"}),
        narrowing=(),
    ),
    "payments": _Optimised(
        equals=frozenset({"paymenttype", "status", "date", "invoice.invoiceid", "reference", "paymentid"}),
        ranges=frozenset({"date"}),
        with_or=frozenset({"invoice.invoiceid", "paymentid"}),
        order=frozenset({"paymentid", "updateddateutc", "date"}),
        narrowing=(),
    ),
}


def unoptimised(resource: str, request: Request) -> str:
    """Why this GET would be denied in a high-volume organisation, or ''."""
    rules = OPTIMISED.get(resource)
    if rules is None:
        return ""
    try:
        terms = where_terms(request.query_value("where") or "")
    except WhereError:
        return ""  # the parser's own 400 answers it
    for term in terms:
        if term.negated or term.operator in {"!=", "contains", "startswith", "endswith"}:
            return f"'{term.field} {term.operator}' is not an optimised filter"
        if term.field not in rules.equals or (term.operator != "==" and term.field not in rules.ranges):
            return f"'{term.field}' is not an optimised filter field"
        if term.in_or and term.field not in rules.with_or:
            return f"OR on '{term.field}' is not optimised"
    order = (request.query_value("order") or "").strip().split(" ")[0].lower()
    if order and order not in rules.order:
        return f"ordering by '{order}' is not optimised"
    narrowed = terms or any(request.query_value(name) for name in rules.narrowing)
    if not request.query_value("page") and not narrowed:
        return "more than 100,000 elements would be returned without paging"
    return ""


def high_volume_exception(reason: str) -> Response:
    # ErrorNumber and Type as integrations quote Xero's answer (reference/erp_apis.md §1.8); the wording is ours.
    return json_response(
        400,
        {
            "ErrorNumber": 51,
            "Type": "HighVolumeException",
            "Message": f"The request exceeds the high volume threshold: {reason}. Use optimised filters or paging.",
        },
    )
