"""The pages a person sees: go.xero.com deep links to a bill or a supplier credit note (with the accountant's buttons
and the files attached, downloadable) and the home section.  Like Xero's web app they need no API token."""

from __future__ import annotations

import html
from typing import Any

from integrations.sandbox.messages import Request, Response, html_response, redirect_response
from integrations.sandbox.xero_attachment_rules import find
from integrations.sandbox.xero_model import Invoice, Org
from integrations.sandbox.xero_page_parts import credit_note_page, files_section
from integrations.sandbox.xero_responses import mount_prefix
from integrations.sandbox.xero_results import ElementResult


class PagesMixin:
    """Part of ``XeroModule`` (``xero.py``): uses its ``orgs``, ``_org_lock``, ``env`` and the control actions."""

    orgs: Any
    env: Any
    _org_lock: Any
    _act_pay: Any
    _act_lock_dates: Any
    _act_status: Any

    # -- deep link (go.xero.com) --------------------------------------------------------------------------------
    def _deep_link(self, request: Request) -> Response:
        """``/organisationlogin/default.aspx?shortcode=!abc&redirecturl=/AccountsPayable/Edit.aspx?InvoiceID=…``
        opens the bill in the organisation with that short code (developer.xero.com/documentation/guides/how-to-
        guides/deep-link-xero/); a plain ``/AccountsPayable/View.aspx?InvoiceID=…`` looks in every organisation."""
        if request.subpath.lower().startswith("/go/attachments/"):
            return self._download(request)
        redirect = request.query_value("redirecturl") or ""
        orgs = list(self.orgs.values())
        if request.subpath.lower().startswith("/go/organisationlogin/"):
            short_code = request.query_value("shortcode") or ""
            orgs = [org for org in orgs if org.short_code == short_code]
            if not orgs:
                return html_response(404, "<h1>Xero sandbox</h1><p>No organisation with that short code.</p>")
        invoice_id = (request.query_value("InvoiceID") or request.query_value("invoiceId") or "").lower()
        if not invoice_id and "invoiceid=" in redirect.lower():
            invoice_id = redirect[redirect.lower().index("invoiceid=") + 10 :].split("&")[0].lower()
        # "View a credit note": ``/AccountsPayable/ViewCreditNote.aspx?creditNoteID=…`` (XeroAPI/xero-mcp-server,
        # src/consts/deeplinks.ts).
        credit_id = (request.query_value("creditNoteID") or "").lower()
        if not credit_id and "creditnoteid=" in redirect.lower():
            credit_id = redirect[redirect.lower().index("creditnoteid=") + 13 :].split("&")[0].lower()
        for org in orgs:
            with self._org_lock(org.tenant_id):
                invoice = org.invoices.get(invoice_id)
                if invoice is not None:
                    return html_response(200, bill_page(org, invoice, mount_prefix(request)))
                credit = org.credit_notes.get(credit_id)
                if credit is not None:
                    return html_response(200, credit_note_page(org, credit, mount_prefix(request)))
        what = "credit note with that creditNoteID" if credit_id else "bill with that InvoiceID"
        return html_response(404, f"<h1>Xero sandbox</h1><p>No {what}.</p>")

    def _download(self, request: Request) -> Response:
        """``/go/attachments/{document id}/{AttachmentID}``: the file as it was uploaded, with its type."""
        parts = [p for p in request.subpath.split("/") if p]
        if len(parts) == 4:
            for org in list(self.orgs.values()):
                with self._org_lock(org.tenant_id):
                    found = find(org, parts[2], parts[3])
                if found is not None:
                    response = Response(200, found.content, content_type=found.MimeType)
                    response.headers["Content-Disposition"] = f'inline; filename="{found.FileName}"'
                    return response
        return html_response(404, "<h1>Xero sandbox</h1><p>No such file.</p>")

    def home_html(self) -> str:
        """Each organisation's bills, newest first, linking to the bill pages (where an accountant can book)."""
        parts = []
        for org in list(self.orgs.values()):
            with self._org_lock(org.tenant_id):
                bills = sorted(
                    (i for i in org.invoices.values() if i.Type == "ACCPAY"), key=lambda i: i.updated, reverse=True
                )[:200]
                rows = "".join(
                    f"<tr><td><a href='/xero/go/AccountsPayable/View.aspx?InvoiceID={i.InvoiceID}'>"
                    f"{html.escape(i.InvoiceNumber) or '(no number)'}</a></td><td>{html.escape(i.Status)}</td>"
                    f"<td>{i.Total} {html.escape(i.CurrencyCode)}</td></tr>"
                    for i in bills
                )
                credits = sorted(org.credit_notes.values(), key=lambda c: c.updated, reverse=True)[:200]
                rows += "".join(
                    f"<tr><td><a href='/xero/go/AccountsPayable/ViewCreditNote.aspx?creditNoteID={c.InvoiceID}'>"
                    f"Credit note {html.escape(c.InvoiceNumber) or '(no number)'}</a></td>"
                    f"<td>{html.escape(c.Status)}</td><td>{c.Total} {html.escape(c.CurrencyCode)}</td></tr>"
                    for c in credits
                )
                parts.append(
                    f"<h3>{html.escape(org.name)}</h3><p>{len(org.invoices)} invoices, {len(org.credit_notes)} credit "
                    f"notes, {len(org.payments)} payments · <a href='/_sandbox/xero/state'>state (JSON)</a></p>"
                    f"<table><thead><tr><th>Bill</th><th>Status</th><th>Total</th></tr></thead><tbody>{rows}</tbody>"
                    "</table>"
                )
        return "".join(parts) or "<p>No organisation yet: connect Xero from Roger's integration settings.</p>"

    def _deep_link_action(self, request: Request) -> Response:
        """The bill page's buttons: what an accountant does in Xero that makes a bill *booked* for Roger, so the
        demo's R12 can be walked in a browser.  Same effect as the control API's actions."""
        form = request.form()
        invoice_id, action = form.get("InvoiceID", "").lower(), form.get("action", "")
        page = f"{mount_prefix(request)}/go/AccountsPayable/View.aspx?InvoiceID={invoice_id}"
        credit_id = form.get("CreditNoteID", "").lower()
        if credit_id:
            page = f"{mount_prefix(request)}/go/AccountsPayable/ViewCreditNote.aspx?creditNoteID={credit_id}"
        for org in list(self.orgs.values()):
            with self._org_lock(org.tenant_id):
                invoice = org.invoices.get(invoice_id) or org.credit_notes.get(credit_id)
                if invoice is None:
                    continue
                body = {"invoice_id": invoice_id, "credit_note_id": credit_id}
                if action == "void_credit_note" and credit_id:
                    outcome = self._act_status("VOIDED")(org, body)
                elif action == "pay":
                    outcome = self._act_pay(org, body)
                elif action == "lock_period":
                    outcome = self._act_lock_dates(org, {"period_lock_date": invoice.Date.isoformat()})
                elif action == "unlock_period":
                    outcome = self._act_lock_dates(org, {"period_lock_date": None})
                else:
                    return html_response(400, f"<h1>Xero sandbox</h1><p>Unknown action {html.escape(action)!r}.</p>")
            if isinstance(outcome, ElementResult) and not outcome.ok:
                errors = "".join(f"<li>{html.escape(str(e))}</li>" for e in outcome.errors)
                return html_response(400, f"<h1>Xero sandbox</h1><ul>{errors}</ul><p><a href='{page}'>Back</a></p>")
            self.env.mark_dirty()
            return redirect_response(page)
        return html_response(404, "<h1>Xero sandbox</h1><p>No bill with that InvoiceID.</p>")


def bill_page(org: Org, invoice: Invoice, prefix: str) -> str:
    contact = org.contacts.get(invoice.ContactID)
    esc = html.escape
    rows = "".join(
        f"<tr><td>{esc(line.Description)}</td><td>{line.Quantity.normalize()}</td><td>{line.UnitAmount}</td>"
        f"<td>{esc(line.AccountCode)}</td><td>{esc(line.TaxType)}</td><td>{line.TaxAmount}</td>"
        f"<td>{line.LineAmount}</td></tr>"
        for line in invoice.lines
    )
    payments = "".join(
        f"<li>{p.Date.isoformat()}: {p.Amount} {esc(invoice.CurrencyCode)} ({esc(p.Reference)})"
        f"{' reconciled' if p.IsReconciled else ''}</li>"
        for p in org.payments_of(invoice.InvoiceID)
    )
    link = f'<p><a href="{esc(invoice.Url)}">Go to Roger</a></p>' if invoice.Url else ""
    applied = org.allocations_of(invoice_id=invoice.InvoiceID)
    credits = (
        "<h2>Credit notes</h2><ul id='credit-notes'>"
        + "".join(
            f"<li><a href='{prefix}/go/AccountsPayable/ViewCreditNote.aspx?creditNoteID={a.CreditNoteID}'>"
            f"{esc(org.credit_notes[a.CreditNoteID].InvoiceNumber or '(no number)')}</a>: {a.Amount} on "
            f"{a.Date.isoformat()}</li>"
            for a in applied
            if a.CreditNoteID in org.credit_notes
        )
        + "</ul>"
        if applied
        else ""
    )
    title = f"Bill {esc(invoice.InvoiceNumber) or '(no number)'}"
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{title} — Xero sandbox</title></head>"
        f"<body><p>{esc(org.name)} · Xero sandbox</p><h1>{title}</h1>"
        f"<dl><dt>From</dt><dd>{esc(contact.Name if contact else '?')}</dd>"
        f"<dt>Status</dt><dd id='status'>{esc(invoice.Status)}</dd>"
        f"<dt>Date</dt><dd>{invoice.Date.isoformat()}</dd>"
        f"<dt>Due</dt><dd>{invoice.DueDate.isoformat() if invoice.DueDate else ''}</dd>"
        f"<dt>Currency</dt><dd>{esc(invoice.CurrencyCode)}</dd>"
        f"<dt>Amounts are</dt><dd>{esc(invoice.LineAmountTypes)}</dd></dl>"
        "<table><thead><tr><th>Description</th><th>Qty</th><th>Unit price</th><th>Account</th><th>Tax rate</th>"
        f"<th>Tax</th><th>Amount</th></tr></thead><tbody>{rows}</tbody></table>"
        f"<p>Subtotal {invoice.SubTotal} · Tax {invoice.TotalTax} · <strong>Total {invoice.Total}</strong></p>"
        f"<p>Paid {invoice.AmountPaid} · Credited {invoice.AmountCredited} · Due {invoice.AmountDue}</p>"
        f"<h2>Payments</h2><ul>{payments or '<li>None</li>'}</ul>{credits}{link}"
        f"{files_section(org, invoice.InvoiceID, prefix)}"
        f"{accountant_actions(org, invoice, prefix)}</body></html>"
    )


def accountant_actions(org: Org, invoice: Invoice, prefix: str) -> str:
    """Buttons for what an accountant does in Xero; each one makes the bill *booked* as Roger sees it."""
    lock = org.period_lock_date
    buttons = []
    if invoice.Status == "AUTHORISED" and invoice.AmountDue > 0:
        buttons.append(("pay", f"Pay {invoice.AmountDue} {invoice.CurrencyCode} in Xero (the bill is then booked)"))
    if lock is None or lock < invoice.Date:
        buttons.append(("lock_period", f"Lock the period up to {invoice.Date.isoformat()}"))
    else:
        buttons.append(("unlock_period", f"Remove the period lock date ({lock.isoformat()})"))
    forms = "".join(
        f"<form method='post' action='{prefix}/go/AccountsPayable/Act' style='display:inline'><input type='hidden' name='InvoiceID' "
        f"value='{invoice.InvoiceID}'><button name='action' value='{name}'>{html.escape(label)}</button></form> "
        for name, label in buttons
    )
    return f"<h2>Accountant actions (sandbox)</h2><p>{forms}</p>"
