"""Pieces of the go.xero.com pages: a supplier credit note's page and the files on a document (each downloadable).

Everything shown is HTML-escaped; file links point at ``/xero/go/attachments/{document id}/{AttachmentID}``.
"""

from __future__ import annotations

import html

from integrations.sandbox.xero_model import CreditNote, Org


def files_section(org: Org, document_id: str, prefix: str) -> str:
    """The document's attachments: name (a link to the file), type and size."""
    files = org.attachments.get(document_id, [])
    rows = "".join(
        f"<li><a href='{prefix}/go/attachments/{document_id}/{f.AttachmentID}'>{html.escape(f.FileName)}</a>"
        f" ({html.escape(f.MimeType)}, {f.ContentLength:,} bytes)</li>"
        for f in files
    )
    return f"<h2>Files</h2><ul id='files'>{rows or '<li>None</li>'}</ul>"


def credit_note_page(org: Org, credit: CreditNote, prefix: str) -> str:
    contact = org.contacts.get(credit.ContactID)
    esc = html.escape
    rows = "".join(
        f"<tr><td>{esc(line.Description)}</td><td>{line.Quantity.normalize()}</td><td>{line.UnitAmount}</td>"
        f"<td>{esc(line.AccountCode)}</td><td>{esc(line.TaxType)}</td><td>{line.TaxAmount}</td>"
        f"<td>{line.LineAmount}</td></tr>"
        for line in credit.lines
    )
    allocations = "".join(
        f"<li>{a.Date.isoformat()}: {a.Amount} {esc(credit.CurrencyCode)} to "
        f"<a href='{prefix}/go/AccountsPayable/View.aspx?InvoiceID={a.InvoiceID}'>"
        f"{esc(org.invoices[a.InvoiceID].InvoiceNumber if a.InvoiceID in org.invoices else a.InvoiceID)}</a></li>"
        for a in org.allocations_of(credit_note_id=credit.InvoiceID)
    )
    refunds = "".join(
        f"<li>{p.Date.isoformat()}: {p.Amount} {esc(credit.CurrencyCode)} ({esc(p.Reference)})</li>"
        for p in org.refunds_of(credit.InvoiceID)
    )
    title = f"Credit note {esc(credit.InvoiceNumber) or '(no number)'}"
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{title} — Xero sandbox</title></head>"
        f"<body><p>{esc(org.name)} · Xero sandbox</p><h1>{title}</h1>"
        f"<dl><dt>From</dt><dd>{esc(contact.Name if contact else '?')}</dd>"
        f"<dt>Type</dt><dd>{esc(credit.Type)}</dd>"
        f"<dt>Status</dt><dd id='status'>{esc(credit.Status)}</dd>"
        f"<dt>Date</dt><dd>{credit.Date.isoformat()}</dd>"
        f"<dt>Currency</dt><dd>{esc(credit.CurrencyCode)}</dd>"
        f"<dt>Amounts are</dt><dd>{esc(credit.LineAmountTypes)}</dd></dl>"
        "<table><thead><tr><th>Description</th><th>Qty</th><th>Unit price</th><th>Account</th><th>Tax rate</th>"
        f"<th>Tax</th><th>Amount</th></tr></thead><tbody>{rows}</tbody></table>"
        f"<p>Subtotal {credit.SubTotal} · Tax {credit.TotalTax} · <strong>Total {credit.Total}</strong></p>"
        f"<p>Allocated {credit.AmountCredited} · Refunded {credit.AmountPaid} · "
        f"Remaining credit <span id='remaining'>{credit.AmountDue}</span></p>"
        f"<h2>Allocations</h2><ul id='allocations'>{allocations or '<li>None</li>'}</ul>"
        f"<h2>Refunds</h2><ul id='refunds'>{refunds or '<li>None</li>'}</ul>"
        f"{files_section(org, credit.InvoiceID, prefix)}{_actions(credit, prefix)}</body></html>"
    )


def _actions(credit: CreditNote, prefix: str) -> str:
    if credit.Status != "AUTHORISED" or credit.AmountCredited > 0 or credit.AmountPaid > 0:
        return ""
    return (
        "<h2>Accountant actions (sandbox)</h2>"
        f"<form method='post' action='{prefix}/go/AccountsPayable/Act'><input type='hidden' name='CreditNoteID' "
        f"value='{credit.InvoiceID}'><button name='action' value='void_credit_note'>Void this credit note in Xero"
        "</button></form>"
    )
