"""The e-conomic web app's HTML (plain, like the Xero sandbox's pages; everything escaped): journal rows, booked
ledger lines, a voucher's attached document, the home summary."""

from __future__ import annotations

import html
from typing import Any
from urllib.parse import quote

from integrations.sandbox.economic.model import CREDITORS_ACCOUNT, Agreement, AttachedDocument, Entry, StoredFile
from integrations.sandbox.messages import Response, html_response

APP_HOME = "/economic/app"  # the home page has no request to read the mount point from


def page(status: int, title: str, body: str) -> Response:
    esc = html.escape
    return html_response(
        status,
        f"<!doctype html><html><head><meta charset='utf-8'><title>{esc(title)} — e-conomic sandbox</title>"
        "<style>tr.requested{background:#fff3b0}</style></head>"
        f"<body><p><a href='/'>ERP sandbox</a> · e-conomic sandbox</p><h1>{esc(title)}</h1>{body}"
        # A journal holds hundreds of entries: open at the one Roger's link asked for.
        "<script>document.getElementById('requested')?.scrollIntoView({block: 'center'})</script></body></html>",
    )


def journal_url(prefix: str, journal: str, voucher: str = "") -> str:
    return f"{prefix}/secure/journals/{quote(journal)}" + (f"?voucher={quote(voucher)}" if voucher else "")


def error_list(body: dict[str, Any], back: str = "") -> str:
    """An e-conomic error body as a list a person can read: the message, then each property's errors."""
    messages = [str(body.get("message") or "Refused.")]

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if "message" in node and ("value" in node or "developerHint" in node or "property" in node):
                messages.append(f"{node['message']} ({node.get('value', '')})".replace(" ()", ""))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(body.get("errors"))
    items = "".join(f"<li>{html.escape(m)}</li>" for m in messages)
    link = f"<p><a href='{html.escape(back)}'>Back to the journal</a></p>" if back else ""
    return f"<ul class='errors'>{items}</ul>{link}"


def voucher_ref(raw: str | None) -> tuple[str, int] | None:
    """ "2026-7" (the API's "2025_6_2026-7" too) → ("2026", 7)."""
    year, _, number = (raw or "").replace("_6_", "/").rpartition("-")
    return (year, int(number)) if year and number.isdigit() else None


def action_form(
    prefix: str,
    ag: Agreement,
    journal: int,
    shown: tuple[str, int] | None,
    action: str,
    label: str,
    voucher: tuple[str, int] | None = None,
) -> str:
    fields = {"agreement": ag.number, "journal": journal, "action": action}
    if voucher:
        fields["voucher"] = f"{voucher[0]}-{voucher[1]}"
    if shown:
        fields["shown"] = f"{shown[0]}-{shown[1]}"  # the voucher the page was opened for, to come back to it
    hidden = "".join(
        f"<input type='hidden' name='{k}' value='{html.escape(str(v))}'>" for k, v in fields.items() if k != "action"
    )
    return (
        f"<form method='post' action='{html.escape(prefix)}/secure/act' style='display:inline'>{hidden}"
        f"<button name='action' value='{action}'>{html.escape(label)}</button></form>"
    )


def supplier_name(ag: Agreement, number: Any) -> str:
    if number is None:
        return ""
    supplier = ag.suppliers.get(number)
    return f"{number} {supplier['name']}" if supplier else str(number)


def account_name(ag: Agreement, number: Any) -> str:
    if number is None:
        return ""
    account = ag.accounts.get(number)
    return f"{number} {account['name']}" if account else str(number)


def kind_label(entry_type: str, amount: Any) -> str:
    """The entry type as e-conomic's journal shows it; a negative supplier invoice is a supplier's credit note, a
    negative supplier payment a refund from the supplier."""
    if amount is not None and amount < 0:
        if entry_type == "supplierInvoice":
            return "supplierInvoice (credit note)"
        if entry_type == "supplierPayment":
            return "supplierPayment (refund)"
    return entry_type


def entered_amount(lines: list[dict[str, Any]]) -> Any:
    """The amount the voucher's entry was typed with, read back from its supplier (creditors) line: a supplier
    invoice credits the supplier, a supplier payment debits it."""
    line = next((x for x in lines if x["account"]["accountNumber"] == CREDITORS_ACCOUNT), None)
    if line is None:
        return None
    return -line["amount"] if line["entryType"] == "supplierInvoice" else line["amount"]


def document_links(ag: Agreement, doc: AttachedDocument | None, prefix: str) -> str:
    """A voucher's attached document: each file's name and size, linked to the file itself (escaped HTML)."""
    if doc is None:
        return ""
    esc = html.escape
    links = []
    for index, stored in enumerate(doc.files):
        url = f"{prefix}/secure/documents/{ag.number}/{doc.number}?file={index}"
        links.append(
            f"<a class='attachment' href='{esc(url)}'>{esc(stored.name)}</a> "
            f"<small>({stored.size:,} bytes, {esc(stored.content_type)})</small>"
        )
    note = f"<br><small>{esc(doc.note)}</small>" if doc.note else ""
    return f"Document {doc.number}: " + "; ".join(links) + note


def file_response(stored: StoredFile) -> Response:
    """The file as uploaded, shown inline; its name in RFC 6266 / RFC 5987 form (never raw in the header)."""
    ascii_name = "".join(c if c.isalnum() or c in "._- " else "_" for c in stored.name)[:100] or "file"
    return Response(
        200,
        stored.content,
        headers={
            "Content-Disposition": f"inline; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(stored.name)}",
            "X-Content-Type-Options": "nosniff",
        },
        content_type=stored.content_type,
    )


def draft_row(ag: Agreement, entry: Entry, requested: bool, actions: str, document: str = "") -> str:
    esc = html.escape
    data = entry.data
    accounts = " / ".join(
        account_name(ag, data[key]) for key in ("account", "contraAccount") if data.get(key) is not None
    )
    vat = f"{data['contraVatAccount']} {data.get('contraVatAmount', '')}" if data.get("contraVatAccount") else ""
    dist = ag.distributions.get(data.get("departmentalDistribution"))
    cells = [
        f"{entry.year}-{entry.voucher}",
        str(entry.number),
        kind_label(entry.entry_type, data.get("amount")),
        data.get("date", ""),
        supplier_name(ag, data.get("supplier")),
        data.get("supplierInvoiceNumber", ""),
        data.get("text", ""),
        f"{data['amount']} {data.get('currency', '')}",
        accounts,
        vat,
        dist["name"] if dist else "",
    ]
    marker = " class='requested' id='requested'" if requested else ""
    return f"<tr{marker}>{''.join(f'<td>{esc(str(c))}</td>' for c in cells)}<td>{document}</td><td>{actions}</td></tr>"


def ledger_section(
    ag: Agreement, journal: Any, lines: list[dict[str, Any]], prefix: str, document: AttachedDocument | None = None
) -> str:
    esc = html.escape
    rows = "".join(
        "<tr>"
        + "".join(
            f"<td>{esc(str(c))}</td>"
            for c in (
                line["entryNumber"],
                line["date"],
                account_name(ag, line["account"]["accountNumber"]),
                f"{line['amount']} {line['currency']}",
                (line.get("vatAccount") or {}).get("vatCode", ""),
                supplier_name(ag, (line.get("supplier") or {}).get("supplierNumber")),
                line.get("supplierInvoiceNumber", ""),
                line.get("dueDate", ""),
                line.get("text", ""),
            )
        )
        + "</tr>"
        for line in lines
    )
    name = ag.journals.get(journal, {}).get("name", "") if isinstance(journal, int) else ""
    journal_link = f"<a href='{esc(f'{prefix}/secure/journals/{journal}')}'>journal {esc(str(journal))} {esc(name)}</a>"
    kind = kind_label(lines[0]["entryType"], entered_amount(lines))
    attached = document_links(ag, document, prefix) or "no document attached"
    return (
        f"<section><h2>{esc(ag.name)} (agreement {ag.number})</h2>"
        f"<p>Booked from {journal_link} · {esc(kind)} · booked entries cannot be changed.</p>"
        f"<p class='document'>{attached}</p>"
        "<table><thead><tr><th>Line</th><th>Date</th><th>Account</th><th>Amount</th><th>VAT</th><th>Supplier</th>"
        f"<th>Invoice no.</th><th>Due</th><th>Text</th></tr></thead><tbody>{rows}</tbody></table></section>"
    )


def agreement_summary(ag: Agreement) -> str:
    esc = html.escape
    rows = []
    for journal, settings in sorted(ag.journals.items()):
        name = settings["name"]
        drafts = {(e.year, e.voucher) for e in ag.drafts.values() if e.journal == journal}
        booked = {
            (year, line["voucherNumber"])
            for year, lines in ag.booked.items()
            for line in lines
            if line.get("_journal") == journal
        }
        rows.append(
            f"<tr><td><a href='{APP_HOME}/secure/journals/{journal}'>{journal} {esc(name)}</a></td>"
            f"<td>{len(drafts)}</td><td>{len(booked)}</td></tr>"
        )
    closed = [
        f"{p['fromDate']} to {p['toDate']}"
        for info in ag.years.values()
        for p in info["periods"]
        if p["closed"] or info["closed"]
    ]
    closed_note = f" · closed periods: {esc(', '.join(closed))}" if closed else ""
    revoked = " · grant revoked" if ag.revoked else ""
    return (
        f"<h3>{esc(ag.name)} (agreement {ag.number})</h3>"
        f"<p><a href='/_sandbox/economic/state'>state (JSON)</a>{revoked}{closed_note}</p>"
        "<table><thead><tr><th>Journal</th><th>Draft vouchers</th><th>Booked vouchers</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )
