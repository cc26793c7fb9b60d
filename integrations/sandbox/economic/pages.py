"""The e-conomic web app's pages (``/economic/app/secure/…``): what Roger's "open in e-conomic" links show.

No tokens, no fair use, no faults (a login session in real e-conomic).  The journal page lists a journal's
drafts with an accountant's buttons (book a voucher or the whole journal, close/reopen the period of an entry);
the voucher page shows a booked voucher's ledger lines.  Booking here is the same booking the API does.  A
voucher's attached document (Documents API) is listed on both, each file downloadable as it was uploaded
(``/secure/documents/{agreement}/{number}?file=i``).  The HTML itself is in ``page_html``.
"""

from __future__ import annotations

import html
from datetime import date
from typing import Any
from urllib.parse import quote

from integrations.sandbox.economic import page_html as view
from integrations.sandbox.economic.control import act, agreement_for, chosen
from integrations.sandbox.economic.errors import EconomicError, legacy_error
from integrations.sandbox.economic.ledger import book_entries, closed_entries
from integrations.sandbox.economic.model import Agreement, Entry
from integrations.sandbox.messages import Request, Response, redirect_response

APP_PREFIX = "/app"  # below /economic: the web app's pages (ECONOMIC_APP_URL = <sandbox>/economic/app)


def handle(module: Any, request: Request) -> Response:
    return _Pages(module).app(request)


def home_html(module: Any) -> str:
    """Each agreement with its journals and how many vouchers are draft and booked, linking to the journals."""
    with module.lock:
        parts = [view.agreement_summary(ag) for ag in module.agreements.values()]
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
                if request.method == "GET" and len(parts) == 4 and parts[:2] == ["secure", "documents"]:
                    return self._download(parts[2], parts[3], request.query_value("file") or "0")
                if request.method == "POST" and parts == ["secure", "act"]:
                    form = request.form()
                    back = view.journal_url(prefix, form.get("journal", ""), form.get("shown", ""))
                    return self._page_action(form, prefix)
        except EconomicError as exc:
            return view.page(exc.status, "Refused by e-conomic (sandbox)", view.error_list(exc.body, back))
        return view.page(404, "Not found", f"<p>The e-conomic sandbox has no page {html.escape(request.path)}.</p>")

    def _download(self, raw_agreement: str, raw_number: str, raw_index: str) -> Response:
        """One file of an attached document, as uploaded (inline, so a browser shows the PDF or image)."""
        ag = self._agreements.get(int(raw_agreement)) if raw_agreement.isdigit() else None
        doc = ag.documents.get(int(raw_number)) if ag is not None and raw_number.isdigit() else None
        index = int(raw_index) if raw_index.isdigit() else -1
        if doc is None or not 0 <= index < len(doc.files):
            return view.page(404, "Document not found", "<p>No such attached document (deleted?).</p>")
        return view.file_response(doc.files[index])

    def _journal_page(self, raw_journal: str, raw_voucher: str | None, prefix: str) -> Response:
        """A journal's draft entries in every agreement that has it, the requested voucher highlighted."""
        journal = int(raw_journal) if raw_journal.isdigit() else -1
        holders = [ag for ag in self._agreements.values() if journal in ag.journals]
        if not holders:
            return view.page(404, "Journal not found", f"<p>No agreement has a journal {html.escape(raw_journal)}.</p>")
        wanted = view.voucher_ref(raw_voucher) if raw_voucher else None
        if raw_voucher and wanted is None:
            return view.page(
                404, "Voucher not found", f"<p>{html.escape(raw_voucher)} is not a voucher (year-number).</p>"
            )
        if wanted and not any(
            self._drafts_of(ag, journal, wanted) or self._ledger_lines(ag, wanted, journal) for ag in holders
        ):
            journal_url = f"{prefix}/secure/journals/{journal}"
            return view.page(
                404,
                "Voucher not found",
                f"<p>Voucher {html.escape(raw_voucher or '')} is neither a draft in journal {journal} nor booked from it"
                f" (deleted?).</p><p><a href='{html.escape(journal_url)}'>All drafts of journal {journal}</a></p>",
            )
        sections = "".join(self._journal_section(ag, journal, wanted, prefix) for ag in holders)
        title = f"Journal {journal}: {holders[0].journals[journal]['name']}"
        return view.page(200, title, sections)

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
            document = view.document_links(ag, ag.document_of(entry.year, entry.voucher), prefix) if first else ""
            rows.append(view.draft_row(ag, entry, (entry.year, entry.voucher) == wanted, actions, document))
        table = (
            "<table><thead><tr><th>Voucher</th><th>Entry</th><th>Type</th><th>Date</th><th>Supplier</th>"
            "<th>Invoice no.</th><th>Text</th><th>Amount</th><th>Account</th><th>VAT</th><th>Department</th>"
            "<th>Document</th>"
            f"<th>Accountant actions (sandbox)</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
            if rows
            else "<p>No draft entries.</p>"
        )
        book_all = (
            view.action_form(prefix, ag, journal, wanted, "book_journal", "Book the whole journal") if rows else ""
        )
        return f"<section><h2>{esc(ag.name)} (agreement {ag.number})</h2>{notice}{table}<p>{book_all}</p></section>"

    def _voucher_buttons(self, ag: Agreement, entry: Entry, wanted: tuple[str, int] | None, prefix: str) -> str:
        voucher = (entry.year, entry.voucher)
        closed, _ = ag.closed_reason(entry.year, date.fromisoformat(entry.data["date"]))
        period = (
            ("reopen_period", "Reopen the period of this entry's date")
            if closed
            else ("close_period", "Close the period of this entry's date")
        )
        book = view.action_form(prefix, ag, entry.journal, wanted, "book_voucher", "Book this voucher", voucher)
        toggle = view.action_form(prefix, ag, entry.journal, wanted, *period, voucher)
        note = f"<br><small>{html.escape(closed)}</small>" if closed else ""
        return f"{book} {toggle}{note}"

    def _voucher_page(self, raw: str, prefix: str) -> Response:
        """A booked voucher's ledger lines, in whichever agreement(s) and journal(s) booked that number."""
        wanted = view.voucher_ref(raw)
        if wanted is None:
            return view.page(404, "Voucher not found", f"<p>{html.escape(raw)} is not a voucher (year-number).</p>")
        ref = f"{wanted[0]}-{wanted[1]}"
        sections = []
        for ag in self._agreements.values():
            lines = self._ledger_lines(ag, wanted)
            for journal in sorted({line.get("_journal") for line in lines}, key=str):
                chosen = [line for line in lines if line.get("_journal") == journal]
                document = ag.document_of(*wanted)
                sections.append(view.ledger_section(ag, journal, chosen, prefix, document))
        if not sections:
            drafts = [
                f"<li><a href='{html.escape(f'{prefix}/secure/journals/{e.journal}?voucher={ref}')}'>"
                f"{html.escape(ag.name)}, journal {e.journal}</a></li>"
                for ag in self._agreements.values()
                for e in ag.drafts.values()
                if (e.year, e.voucher) == wanted
            ]
            hint = f"<p>It is still a draft in:</p><ul>{''.join(dict.fromkeys(drafts))}</ul>" if drafts else ""
            return view.page(404, "Voucher not found", f"<p>No booked voucher {html.escape(ref)}.</p>{hint}")
        return view.page(200, f"Booked voucher {ref}", "".join(sections))

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
        journal_url = view.journal_url(prefix, str(journal), shown)
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
        if view.voucher_ref(landed) in booked:
            return redirect_response(f"{prefix}/secure/vouchers/{quote(landed)}")
        return redirect_response(journal_url)
