"""The e-conomic web app's pages (``/economic/app/secure/…``): what Roger's "open in e-conomic" links show.

No tokens, no fair use, no faults (a login session in real e-conomic).  The journal page lists a journal's
drafts with an accountant's buttons (book a voucher or the whole journal, close/reopen the period of an entry);
the voucher page shows a booked voucher's ledger lines.  Booking here is the same booking the API does.
"""

from __future__ import annotations

import html
from datetime import date
from typing import Any
from urllib.parse import quote

from integrations.sandbox.economic.control import act, agreement_for, chosen
from integrations.sandbox.economic.errors import EconomicError, legacy_error
from integrations.sandbox.economic.ledger import book_entries, closed_entries
from integrations.sandbox.economic.model import Agreement, Entry
from integrations.sandbox.messages import Request, Response, html_response, redirect_response

APP_PREFIX = "/app"  # below /economic: the web app's pages (ECONOMIC_APP_URL = <sandbox>/economic/app)


def handle(module: Any, request: Request) -> Response:
    return _Pages(module).app(request)


def home_html(module: Any) -> str:
    """Each agreement with its journals and how many vouchers are draft and booked, linking to the journals."""
    with module.lock:
        parts = [_agreement_summary(ag) for ag in module.agreements.values()]
    return "".join(parts) or (
        "<p>No agreement yet: connect e-conomic from Roger's integration settings "
        "(or <code>POST /_sandbox/economic/agreements</code>).</p>"
    )


def book_checked(ag: Agreement, entries: list[Entry]) -> list[tuple[str, int]]:
    """Book as e-conomic does: refused whole when an entry is dated in a closed period or year."""
    closed = closed_entries(ag, entries)
    if closed:
        entry, reason, _code = closed[0]
        errors = {"date": {"errors": [{"message": reason, "value": entry.data["date"]}]}}
        raise legacy_error(
            400, "The journal cannot be booked.", errors=errors, hint="Reopen the period or change the date."
        )
    return book_entries(ag, entries)


class _Pages:
    def __init__(self, module: Any) -> None:
        self.module = module
        self._agreements = module.agreements
        self._lock = module.lock

    def app(self, request: Request) -> Response:
        prefix = request.path[: len(request.path) - len(request.subpath)] + APP_PREFIX
        parts = [p for p in request.subpath[len(APP_PREFIX) :].split("/") if p]
        back = ""
        try:
            with self._lock:
                if request.method == "GET" and len(parts) == 3 and parts[:2] == ["secure", "journals"]:
                    return self._journal_page(parts[2], request.query_value("voucher"), prefix)
                if request.method == "GET" and len(parts) == 3 and parts[:2] == ["secure", "vouchers"]:
                    return self._voucher_page(parts[2], prefix)
                if request.method == "POST" and parts == ["secure", "act"]:
                    form = request.form()
                    back = _journal_url(prefix, form.get("journal", ""), form.get("shown", ""))
                    return self._page_action(form, prefix)
        except EconomicError as exc:
            return _page(exc.status, "Refused by e-conomic (sandbox)", _error_list(exc.body, back))
        return _page(404, "Not found", f"<p>The e-conomic sandbox has no page {html.escape(request.path)}.</p>")

    def _journal_page(self, raw_journal: str, raw_voucher: str | None, prefix: str) -> Response:
        """A journal's draft entries in every agreement that has it, the requested voucher highlighted."""
        journal = int(raw_journal) if raw_journal.isdigit() else -1
        holders = [ag for ag in self._agreements.values() if journal in ag.journals]
        if not holders:
            return _page(404, "Journal not found", f"<p>No agreement has a journal {html.escape(raw_journal)}.</p>")
        wanted = _voucher_ref(raw_voucher) if raw_voucher else None
        if raw_voucher and wanted is None:
            return _page(404, "Voucher not found", f"<p>{html.escape(raw_voucher)} is not a voucher (year-number).</p>")
        if wanted and not any(
            self._drafts_of(ag, journal, wanted) or self._ledger_lines(ag, wanted, journal) for ag in holders
        ):
            journal_url = f"{prefix}/secure/journals/{journal}"
            return _page(
                404,
                "Voucher not found",
                f"<p>Voucher {html.escape(raw_voucher or '')} is neither a draft in journal {journal} nor booked from it"
                f" (deleted?).</p><p><a href='{html.escape(journal_url)}'>All drafts of journal {journal}</a></p>",
            )
        sections = "".join(self._journal_section(ag, journal, wanted, prefix) for ag in holders)
        title = f"Journal {journal}: {holders[0].journals[journal]['name']}"
        return _page(200, title, sections)

    def _journal_section(self, ag: Agreement, journal: int, wanted: tuple[str, int] | None, prefix: str) -> str:
        esc = html.escape
        notice = ""
        if wanted and self._ledger_lines(ag, wanted, journal):
            ref = f"{wanted[0]}-{wanted[1]}"
            url = f"{prefix}/secure/vouchers/{ref}"
            notice = f"<p class='notice'>Voucher {esc(ref)} has been booked: <a href='{esc(url)}'>see its ledger lines</a>.</p>"
        drafts = sorted(
            (e for e in ag.drafts.values() if e.journal == journal), key=lambda e: (e.year, e.voucher, e.number)
        )
        rows, seen = [], set()
        for entry in drafts:
            first = (entry.year, entry.voucher) not in seen
            seen.add((entry.year, entry.voucher))
            actions = self._voucher_buttons(ag, entry, wanted, prefix) if first else ""
            rows.append(_draft_row(ag, entry, (entry.year, entry.voucher) == wanted, actions))
        table = (
            "<table><thead><tr><th>Voucher</th><th>Entry</th><th>Type</th><th>Date</th><th>Supplier</th>"
            "<th>Invoice no.</th><th>Text</th><th>Amount</th><th>Account</th><th>VAT</th><th>Department</th>"
            f"<th>Accountant actions (sandbox)</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
            if rows
            else "<p>No draft entries.</p>"
        )
        book_all = _action_form(prefix, ag, journal, wanted, "book_journal", "Book the whole journal") if rows else ""
        return f"<section><h2>{esc(ag.name)} (agreement {ag.number})</h2>{notice}{table}<p>{book_all}</p></section>"

    def _voucher_buttons(self, ag: Agreement, entry: Entry, wanted: tuple[str, int] | None, prefix: str) -> str:
        voucher = (entry.year, entry.voucher)
        closed, _ = ag.closed_reason(entry.year, date.fromisoformat(entry.data["date"]))
        period = (
            ("reopen_period", "Reopen the period of this entry's date")
            if closed
            else ("close_period", "Close the period of this entry's date")
        )
        book = _action_form(prefix, ag, entry.journal, wanted, "book_voucher", "Book this voucher", voucher)
        toggle = _action_form(prefix, ag, entry.journal, wanted, *period, voucher)
        note = f"<br><small>{html.escape(closed)}</small>" if closed else ""
        return f"{book} {toggle}{note}"

    def _voucher_page(self, raw: str, prefix: str) -> Response:
        """A booked voucher's ledger lines, in whichever agreement(s) and journal(s) booked that number."""
        wanted = _voucher_ref(raw)
        if wanted is None:
            return _page(404, "Voucher not found", f"<p>{html.escape(raw)} is not a voucher (year-number).</p>")
        ref = f"{wanted[0]}-{wanted[1]}"
        sections = []
        for ag in self._agreements.values():
            lines = self._ledger_lines(ag, wanted)
            for journal in sorted({line.get("_journal") for line in lines}, key=str):
                chosen = [line for line in lines if line.get("_journal") == journal]
                sections.append(_ledger_section(ag, journal, chosen, prefix))
        if not sections:
            drafts = [
                f"<li><a href='{html.escape(f'{prefix}/secure/journals/{e.journal}?voucher={ref}')}'>"
                f"{html.escape(ag.name)}, journal {e.journal}</a></li>"
                for ag in self._agreements.values()
                for e in ag.drafts.values()
                if (e.year, e.voucher) == wanted
            ]
            hint = f"<p>It is still a draft in:</p><ul>{''.join(dict.fromkeys(drafts))}</ul>" if drafts else ""
            return _page(404, "Voucher not found", f"<p>No booked voucher {html.escape(ref)}.</p>{hint}")
        return _page(200, f"Booked voucher {ref}", "".join(sections))

    @staticmethod
    def _drafts_of(ag: Agreement, journal: int, voucher: tuple[str, int]) -> list[Entry]:
        return [e for e in ag.drafts.values() if e.journal == journal and (e.year, e.voucher) == voucher]

    @staticmethod
    def _ledger_lines(ag: Agreement, voucher: tuple[str, int], journal: int | None = None) -> list[dict[str, Any]]:
        return [
            line
            for line in ag.booked.get(voucher[0], [])
            if line["voucherNumber"] == voucher[1] and (journal is None or line.get("_journal") == journal)
        ]

    def _page_action(self, form: dict[str, str], prefix: str) -> Response:
        """The accountant's buttons: the same booking and closing the API and the control API use."""
        ag = agreement_for(self.module, form.get("agreement"))
        journal = int(form["journal"]) if form.get("journal", "").isdigit() else -1
        if journal not in ag.journals:
            raise EconomicError(404, {"message": f"{ag.name} has no journal {form.get('journal')!r}"})
        action, voucher, shown = form.get("action", ""), form.get("voucher", ""), form.get("shown", "")
        journal_url = _journal_url(prefix, str(journal), shown)
        if action == "book_voucher":
            booked = book_checked(ag, chosen(ag, {"journal": journal, "vouchers": [voucher]}))
        elif action == "book_journal":
            booked = book_checked(ag, [e for e in ag.drafts.values() if e.journal == journal])
        elif action in ("close_period", "reopen_period"):
            entries = chosen(ag, {"journal": journal, "vouchers": [voucher]})
            act(self.module, {"agreement": ag.number, "action": action, "date": entries[0].data["date"]})
            return redirect_response(journal_url)
        else:
            raise EconomicError(400, {"message": f"Unknown action {action!r}."})
        self.module.env.mark_dirty()
        landed = voucher if action == "book_voucher" else shown
        if _voucher_ref(landed) in booked:
            return redirect_response(f"{prefix}/secure/vouchers/{quote(landed)}")
        return redirect_response(journal_url)


# -- the web app's HTML (plain, like the Xero sandbox's pages; everything escaped) --------------------------------

APP_HOME = "/economic/app"  # the home page has no request to read the mount point from


def _page(status: int, title: str, body: str) -> Response:
    esc = html.escape
    return html_response(
        status,
        f"<!doctype html><html><head><meta charset='utf-8'><title>{esc(title)} — e-conomic sandbox</title>"
        "<style>tr.requested{background:#fff3b0}</style></head>"
        f"<body><p><a href='/'>ERP sandbox</a> · e-conomic sandbox</p><h1>{esc(title)}</h1>{body}"
        # A journal holds hundreds of entries: open at the one Roger's link asked for.
        "<script>document.getElementById('requested')?.scrollIntoView({block: 'center'})</script></body></html>",
    )


def _journal_url(prefix: str, journal: str, voucher: str = "") -> str:
    return f"{prefix}/secure/journals/{quote(journal)}" + (f"?voucher={quote(voucher)}" if voucher else "")


def _error_list(body: dict[str, Any], back: str = "") -> str:
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


def _voucher_ref(raw: str | None) -> tuple[str, int] | None:
    """ "2026-7" (the API's "2025_6_2026-7" too) → ("2026", 7)."""
    year, _, number = (raw or "").replace("_6_", "/").rpartition("-")
    return (year, int(number)) if year and number.isdigit() else None


def _action_form(
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


def _supplier_name(ag: Agreement, number: Any) -> str:
    if number is None:
        return ""
    supplier = ag.suppliers.get(number)
    return f"{number} {supplier['name']}" if supplier else str(number)


def _account_name(ag: Agreement, number: Any) -> str:
    if number is None:
        return ""
    account = ag.accounts.get(number)
    return f"{number} {account['name']}" if account else str(number)


def _draft_row(ag: Agreement, entry: Entry, requested: bool, actions: str) -> str:
    esc = html.escape
    data = entry.data
    accounts = " / ".join(
        _account_name(ag, data[key]) for key in ("account", "contraAccount") if data.get(key) is not None
    )
    vat = f"{data['contraVatAccount']} {data.get('contraVatAmount', '')}" if data.get("contraVatAccount") else ""
    dist = ag.distributions.get(data.get("departmentalDistribution"))
    cells = [
        f"{entry.year}-{entry.voucher}",
        str(entry.number),
        entry.entry_type,
        data.get("date", ""),
        _supplier_name(ag, data.get("supplier")),
        data.get("supplierInvoiceNumber", ""),
        data.get("text", ""),
        f"{data['amount']} {data.get('currency', '')}",
        accounts,
        vat,
        dist["name"] if dist else "",
    ]
    marker = " class='requested' id='requested'" if requested else ""
    return f"<tr{marker}>{''.join(f'<td>{esc(str(c))}</td>' for c in cells)}<td>{actions}</td></tr>"


def _ledger_section(ag: Agreement, journal: Any, lines: list[dict[str, Any]], prefix: str) -> str:
    esc = html.escape
    rows = "".join(
        "<tr>"
        + "".join(
            f"<td>{esc(str(c))}</td>"
            for c in (
                line["entryNumber"],
                line["date"],
                _account_name(ag, line["account"]["accountNumber"]),
                f"{line['amount']} {line['currency']}",
                (line.get("vatAccount") or {}).get("vatCode", ""),
                _supplier_name(ag, (line.get("supplier") or {}).get("supplierNumber")),
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
    return (
        f"<section><h2>{esc(ag.name)} (agreement {ag.number})</h2>"
        f"<p>Booked from {journal_link} · {esc(lines[0]['entryType'])} · booked entries cannot be changed.</p>"
        "<table><thead><tr><th>Line</th><th>Date</th><th>Account</th><th>Amount</th><th>VAT</th><th>Supplier</th>"
        f"<th>Invoice no.</th><th>Due</th><th>Text</th></tr></thead><tbody>{rows}</tbody></table></section>"
    )


def _agreement_summary(ag: Agreement) -> str:
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
