"""GET handlers of the Accounting API: ``where``/``order``/paging/``If-Modified-Since`` over Xero's JSON shapes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from integrations.sandbox.messages import Request, Response, json_response
from integrations.sandbox.xero_model import Invoice, Org, Payment, ms_date, ms_datetime
from integrations.sandbox.xero_render import (
    render_contact,
    render_contact_summary_only,
    render_invoice,
    render_organisation,
    render_payment,
)
from integrations.sandbox.xero_responses import (
    csv_values,
    find_invoice,
    not_found,
    unit_decimals,
    validation_error_message,
)
from integrations.sandbox.xero_where import WhereError, compile_where


class ReadsMixin:
    """Part of ``XeroModule`` (``xero.py``): uses its ``envelope``."""

    envelope: Any

    # -- reading ---------------------------------------------------------------------------------------------------
    def _listing(
        self,
        request: Request,
        key: str,
        rows: list[Any],
        view: Callable[[Any], dict[str, Any]],
        render: Callable[[Any, bool], dict[str, Any]],
        page_size_default: int = 100,
        paged: bool = False,
    ) -> Response:
        """Apply ``where``, ``order``, ``If-Modified-Since`` and paging, then render."""
        try:
            predicate = compile_where(request.query_value("where") or "")
        except WhereError as exc:
            return json_response(400, {"ErrorNumber": 16, "Type": "QueryParseException", "Message": str(exc)})
        views = [(row, view(row)) for row in rows]
        views = [(row, v) for row, v in views if predicate(v)]
        since = modified_since(request.header("If-Modified-Since"))
        if since is not None:
            views = [(row, v) for row, v in views if getattr(row, "updated", since) > since]
        order = (request.query_value("order") or "").strip()
        if order:
            field_name, _, direction = order.partition(" ")
            views.sort(
                key=lambda pair: str(pair[1].get(field_name, "")).casefold(),
                reverse=direction.strip().upper() == "DESC",
            )
        page_text = request.query_value("page") or ("1" if paged else "")
        if not page_text:
            return self.envelope(key, [render(row, False) for row, _ in views])
        try:
            page = max(1, int(page_text))
            size = min(1000, max(1, int(request.query_value("pageSize") or page_size_default)))
        except ValueError:
            return validation_error_message("page and pageSize must be integers")
        chosen = views[(page - 1) * size : page * size]
        pagination = {"page": page, "pageSize": size, "pageCount": -(-len(views) // size), "itemCount": len(views)}
        return self.envelope(key, [render(row, True) for row, _ in chosen], {"pagination": pagination})

    def _get_invoices(self, request: Request, org: Org, _ident: str | None) -> Response:
        rows = list(org.invoices.values())
        ids = {i.lower() for i in csv_values(request.query_value("IDs"))}
        numbers = set(csv_values(request.query_value("InvoiceNumbers")))
        contacts = {c.lower() for c in csv_values(request.query_value("ContactIDs"))}
        statuses = {s.upper() for s in csv_values(request.query_value("Statuses"))}
        term = (request.query_value("searchTerm") or "").casefold()
        # "createdByMyApp: When set to true you'll only retrieve Invoices created by your app" (invoices docs).
        mine = request.client if (request.query_value("createdByMyApp") or "").lower() == "true" else None
        rows = [
            i
            for i in rows
            if (mine is None or i.created_by == mine)
            if (not ids or i.InvoiceID in ids)
            and (not numbers or i.InvoiceNumber in numbers)
            and (not contacts or i.ContactID in contacts)
            and (not statuses or i.Status in statuses)
            and (not term or term in i.InvoiceNumber.casefold() or term in i.Reference.casefold())
        ]
        unit_dp = unit_decimals(request)
        # Xero returns line items for a list only when paging (or when fetching one invoice).
        return self._listing(
            request,
            "Invoices",
            rows,
            lambda i: invoice_view(org, i),
            lambda i, paged: render_invoice(org, i, with_lines=paged, unit_dp=unit_dp),
        )

    def _get_invoice(self, request: Request, org: Org, ident: str | None) -> Response:
        invoice = find_invoice(org, ident or "")
        if invoice is None:
            return not_found()
        return self.envelope("Invoices", [render_invoice(org, invoice, unit_dp=unit_decimals(request))])

    def _get_payments(self, request: Request, org: Org, _ident: str | None) -> Response:
        return self._listing(
            request,
            "Payments",
            list(org.payments.values()),
            lambda p: payment_view(org, p),
            lambda p, _paged: render_payment(org, p),
        )

    def _get_payment(self, request: Request, org: Org, ident: str | None) -> Response:
        payment = org.payments.get((ident or "").lower())
        return self.envelope("Payments", [render_payment(org, payment)]) if payment else not_found()

    def _get_contacts(self, request: Request, org: Org, _ident: str | None) -> Response:
        ids = {i.lower() for i in csv_values(request.query_value("IDs"))}
        archived = (request.query_value("includeArchived") or "").lower() == "true"
        term = (request.query_value("searchTerm") or "").casefold()
        rows = [
            c
            for c in org.contacts.values()
            if (not ids or c.ContactID in ids)
            and (archived or ids or c.ContactStatus != "ARCHIVED")
            # searchTerm: "a case-insensitive text search across the fields: Name, FirstName, LastName,
            # ContactNumber, CompanyNumber, EmailAddress" (contacts docs; the OpenAPI description leaves out
            # CompanyNumber).  Not TaxNumber: neither source lists it.
            and (not term or any(term in v.casefold() for v in _searched(c)))
        ]
        if (request.query_value("summaryOnly") or "").lower() == "true":
            # "when this parameter is used, pagination is enforced by default" (contacts docs, summaryOnly).
            return self._listing(
                request, "Contacts", rows, render_contact, lambda c, _p: render_contact_summary_only(c), paged=True
            )
        return self._listing(request, "Contacts", rows, render_contact, lambda c, _p: render_contact(c))

    def _get_contact(self, request: Request, org: Org, ident: str | None) -> Response:
        contact = org.contacts.get((ident or "").lower()) or org.contact_by_number(ident or "")
        return self.envelope("Contacts", [render_contact(contact)]) if contact else not_found()

    def _get_accounts(self, request: Request, org: Org, _ident: str | None) -> Response:
        return self._listing(request, "Accounts", org.accounts, dict, lambda a, _p: dict(a))

    def _get_account(self, request: Request, org: Org, ident: str | None) -> Response:
        account = org.account_by_id(ident or "")
        return self.envelope("Accounts", [dict(account)]) if account else not_found()

    def _get_tax_rates(self, request: Request, org: Org, _ident: str | None) -> Response:
        return self._listing(request, "TaxRates", org.tax_rates, dict, lambda t, _p: dict(t))

    def _get_tracking(self, request: Request, org: Org, _ident: str | None) -> Response:
        archived = (request.query_value("includeArchived") or "").lower() == "true"

        def render(category: dict[str, Any], _paged: bool) -> dict[str, Any]:
            options = [o for o in category["Options"] if archived or o["Status"] == "ACTIVE"]
            return {**category, "Options": [dict(o) for o in options]}

        rows = [c for c in org.tracking if archived or c["Status"] == "ACTIVE"]
        return self._listing(request, "TrackingCategories", rows, dict, render)

    def _get_tracking_one(self, request: Request, org: Org, ident: str | None) -> Response:
        category = next((c for c in org.tracking if c["TrackingCategoryID"] == (ident or "").lower()), None)
        return self.envelope("TrackingCategories", [dict(category)]) if category else not_found()

    def _get_organisation(self, request: Request, org: Org, _ident: str | None) -> Response:
        return self.envelope("Organisations", [render_organisation(org)])

    def _get_currencies(self, request: Request, org: Org, _ident: str | None) -> Response:
        return self.envelope("Currencies", [{"Code": code, "Description": code} for code in org.currencies])


def _searched(contact: Any) -> tuple[str, ...]:
    fields = ("Name", "FirstName", "LastName", "ContactNumber", "CompanyNumber", "EmailAddress")
    return tuple(str(getattr(contact, name, "") or "") for name in fields)


def modified_since(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        try:
            moment = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def invoice_view(org: Org, invoice: Invoice) -> dict[str, Any]:
    """The fields ``where`` can see, cheap to build (rendering every bill per query would be slow)."""
    contact = org.contacts.get(invoice.ContactID)
    return {
        "Type": invoice.Type,
        "InvoiceID": invoice.InvoiceID,
        "InvoiceNumber": invoice.InvoiceNumber,
        "Reference": invoice.Reference,
        "Url": invoice.Url,
        "Status": invoice.Status,
        "Contact": {
            "ContactID": invoice.ContactID,
            "Name": contact.Name if contact else "",
            "ContactNumber": contact.ContactNumber if contact else "",
        },
        "Date": ms_date(invoice.Date),
        "DueDate": ms_date(invoice.DueDate) if invoice.DueDate else None,
        "CurrencyCode": invoice.CurrencyCode,
        "Total": invoice.Total,
        "SubTotal": invoice.SubTotal,
        "TotalTax": invoice.TotalTax,
        "AmountDue": invoice.AmountDue,
        "AmountPaid": invoice.AmountPaid,
        "AmountCredited": invoice.AmountCredited,
        "UpdatedDateUTC": ms_datetime(invoice.updated),
        "LineAmountTypes": invoice.LineAmountTypes,
    }


def payment_view(org: Org, payment: Payment) -> dict[str, Any]:
    invoice = org.invoices.get(payment.InvoiceID)
    account = org.account_by_id(payment.AccountID) or {}
    return {
        "PaymentID": payment.PaymentID,
        "Reference": payment.Reference,
        "Status": payment.Status,
        "PaymentType": "ACCPAYPAYMENT" if not invoice or invoice.Type == "ACCPAY" else "ACCRECPAYMENT",
        "Date": ms_date(payment.Date),
        "Amount": payment.Amount,
        "IsReconciled": payment.IsReconciled,
        "Invoice": {
            "InvoiceID": payment.InvoiceID,
            "InvoiceNumber": invoice.InvoiceNumber if invoice else "",
            "Type": invoice.Type if invoice else "",
            "Contact": {"ContactID": invoice.ContactID if invoice else ""},
        },
        "Account": {"AccountID": payment.AccountID, "Code": account.get("Code", "")},
        "UpdatedDateUTC": ms_datetime(payment.updated),
    }
