"""Reading Roger's entries back: drafts in the journal, booked entries in the ledger, found by filter.

* Drafts: legacy ``GET /journals/:n/entries`` — ``entryType``, ``voucher.voucherNumber`` and ``text`` are
  ``filterable`` there (``journals.journalNumber.entries.get.schema.json``), and the entry carries what the
  Journals API's DraftEntry lacks (``contraVatAmount``, ``departmentalDistribution``).  For a change or a booking,
  the same drafts are read from the Journals API (``GET /draft-entries``, ``journalNumber`` and ``voucherNumber``
  filterable "eq … in, nin"), which gives their ``entryNumber`` and ``objectVersion``.
* Booked entries, by marker: the BookedEntries API (``GET /booked-entries``, cursor paged) across all accounting
  years at once — ``text`` is filterable with ``like``, ``type`` with ``eq`` (openapi-BookedEntries.json,
  BookedEntry).  No horizon: a bill booked years ago and found again by its marker is exactly what prevents a
  duplicate.
* Booked entries, by voucher: the legacy ``accounting-years/:year/entries`` (the year is part of Roger's id),
  filtered on ``entryType`` and ``voucherNumber`` (both ``filterable`` in
  ``accounting-years.accountingYear.entries.get.schema.json``); its lines carry the department.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from integrations.connectors.base import EntryKind, EntryState, chunks
from integrations.connectors.economic.client import EconomicHttp
from integrations.connectors.economic.errors import BOOKED_HINT, BOOKED_REASON, CLOSED_HINT
from integrations.connectors.economic.ids import (
    DEPARTMENT_GROUP,
    ENTRY_TYPES,
    IN_MAX,
    fmt,
    magnitude,
    money,
    parse_date,
    parse_erp_id,
    ref_number,
    token_in,
    without_token,
    year_path,
)
from integrations.connectors.economic.reference import Reference
from integrations.connectors.economic.suppliers import Suppliers

TOKENS_PER_FILTER = 20  # $or of text$like: predicates per request, to keep URLs short


class Reader:
    def __init__(self, client: EconomicHttp, reference: Reference, suppliers: Suppliers, app_url: str) -> None:
        self.client, self.reference, self.suppliers = client, reference, suppliers
        self.journal = client.journal_number
        self.app_url = app_url.rstrip("/")

    # -- drafts ----------------------------------------------------------------------------------------------
    def drafts(self, kind: EntryKind, extra_filter: str = "") -> list[dict[str, Any]]:
        flt = f"entryType$eq:{ENTRY_TYPES[kind].name}" + (f"$and:{extra_filter}" if extra_filter else "")
        return list(self.client.paged(f"/journals/{self.journal}/entries", {"filter": flt}))

    def journal_drafts(self, vouchers: Iterable[tuple[str, int]]) -> dict[tuple[str, int], dict[str, Any]]:
        """The Journals API's DraftEntry of each (year, voucher number) in Roger's journal."""
        wanted = set(vouchers)
        out: dict[tuple[str, int], dict[str, Any]] = {}
        numbers = sorted({n for _, n in wanted})
        for group in chunks(numbers, IN_MAX):
            flt = f"journalNumber$eq:{self.journal}$and:voucherNumber$in:[{','.join(str(n) for n in group)}]"
            for entry in self.client.cursor("journals", "/draft-entries", {"filter": flt}):
                day = parse_date(entry.get("date"))
                year = self.reference.year_for(day) if day else None
                key = (year.year if year else "", ref_number(entry, "voucherNumber") or 0)
                if key in wanted and key not in out:
                    out[key] = entry
        return out

    def draft_state(self, kind: EntryKind, entry: Mapping[str, Any], *, fetch: bool = True) -> EntryState:
        """A legacy draft entry's state.  ``fetch=False`` after a write: only what this call already knows is used,
        so a failing extra GET can never turn a committed write into an apparent failure (and then a duplicate)."""
        voucher = entry.get("voucher") or {}
        number = ref_number(voucher, "voucherNumber") or 0
        year = str((voucher.get("accountingYear") or {}).get("year") or "")
        text = str(entry.get("text") or "")
        supplier = ref_number(entry.get("supplier"), "supplierNumber")
        day = parse_date(entry.get("date"))
        if kind is EntryKind.BILL:
            known = supplier is not None and (fetch or supplier in self.suppliers.known)
            dist = ref_number(entry.get("departmentalDistribution"), "departmentalDistributionNumber")
            fields = {
                "vendor": self.suppliers.name(supplier) if known else "",
                "invoice_number": str(entry.get("supplierInvoiceNumber") or ""),
                "issue_date": day.isoformat() if day else "",
                "due_date": str(entry.get("dueDate") or "")[:10],
                "currency": str((entry.get("currency") or {}).get("code") or ""),
                "total": magnitude(entry.get("amount")),
                "vat": magnitude(entry.get("contraVatAmount") or 0),
                "account": str(ref_number(entry.get("contraAccount"), "accountNumber") or ""),
                "tax_type": str((entry.get("contraVatAccount") or {}).get("vatCode") or ""),
                "tracking": f"{DEPARTMENT_GROUP}: {dist}" if dist else "",
                "description": without_token(text),
            }
        else:
            fields = {
                "bank_account": str(ref_number(entry.get("contraAccount"), "accountNumber") or ""),
                "payment_date": day.isoformat() if day else "",
                "amount": magnitude(entry.get("amount")),
                "currency": str((entry.get("currency") or {}).get("code") or ""),
            }
        closed = self.reference.closed_reason(year, day, fetch=fetch)
        return EntryState(
            erp_id=f"{year}-{number}",
            kind=kind,
            number=str(number),
            status="draft",
            booked=bool(closed),
            booked_reason=closed,
            booked_hint=CLOSED_HINT if closed else "",
            url=f"{self.app_url}/secure/journals/{self.journal}?voucher={year}-{number}",
            marker=token_in(text),
            fields=fields,
            vendor_erp_id=str(supplier or ""),
        )

    # -- booked entries ------------------------------------------------------------------------------------------
    def booked_lines(self, kind: EntryKind, year: str, numbers: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
        """Roger's booked vouchers of ``kind`` among ``numbers`` in ``year``: voucher number → ledger lines.

        Legacy ``accounting-years/:year/entries`` filtered on ``entryType`` and ``voucherNumber``: its lines carry
        the department and VAT code, which the BookedEntries API's ``BookedEntry`` does not.  Voucher numbers
        repeat across journals, so a voucher is Roger's only if its lines carry a Roger token."""
        if self.reference.year_named(year) is None:
            return {}
        out: dict[int, list[dict[str, Any]]] = {}
        for group in chunks(sorted(set(numbers)), IN_MAX):
            flt = f"entryType$eq:{ENTRY_TYPES[kind].name}$and:voucherNumber$in:[{','.join(str(n) for n in group)}]"
            for line in self.client.paged(f"/accounting-years/{year_path(year)}/entries", {"filter": flt}):
                number = ref_number(line, "voucherNumber")
                if number is not None and token_in(str(line.get("text") or "")):
                    out.setdefault(number, []).append(line)
        return out

    def booked_by_token(self, kind: EntryKind, tokens: Sequence[str]) -> dict[tuple[str, int], list[dict[str, Any]]]:
        """Booked vouchers whose text carries one of ``tokens``, in any accounting year: the BookedEntries API
        filters across years at once (``type$eq``, ``text$like``), then each year's lines are read as above."""
        found: dict[str, set[int]] = {}
        for group in chunks(sorted(set(tokens)), TOKENS_PER_FILTER):
            flt = f"type$eq:{ENTRY_TYPES[kind].number}$and:(" + "$or:".join(f"text$like:{t}" for t in group) + ")"
            for line in self.client.cursor("booked", "/booked-entries", {"filter": flt}):
                day = parse_date(line.get("date"))
                year = self.reference.year_for(day) if day else None
                number = ref_number(line, "voucherNumber")
                if year is not None and number is not None and token_in(str(line.get("text") or "")):
                    found.setdefault(year.year, set()).add(number)
        out: dict[tuple[str, int], list[dict[str, Any]]] = {}
        for year, numbers in sorted(found.items()):
            for number, lines in self.booked_lines(kind, year, sorted(numbers)).items():
                out[(year, number)] = lines
        return out

    def booked_state(self, kind: EntryKind, year: str, number: int, lines: Sequence[Mapping[str, Any]]) -> EntryState:
        text = next((str(line.get("text") or "") for line in lines if line.get("text")), "")
        # A supplier invoice books several ledger lines (supplier, expense, VAT): the largest is the total.
        amounts = [abs(money(line.get("amount")) or Decimal(0)) for line in lines]
        total = max(amounts, default=Decimal(0))
        day = parse_date(lines[0].get("date")) if lines else None
        currency = str(lines[0].get("currency") or "") if lines else ""
        supplier = next((n for n in (ref_number(line.get("supplier"), "supplierNumber") for line in lines) if n), None)
        fields: dict[str, str]
        if kind is EntryKind.BILL:
            fields = {
                "issue_date": day.isoformat() if day else "",
                "total": fmt(total),
                "description": without_token(text),
                "currency": currency,
            }
            fields.update(self._booked_bill_fields(lines, total, supplier))
        else:
            fields = {"payment_date": day.isoformat() if day else "", "amount": fmt(total), "currency": currency}
        return EntryState(
            erp_id=f"{year}-{number}",
            kind=kind,
            number=str(number),
            status="booked",
            booked=True,
            booked_reason=BOOKED_REASON.format(voucher=number),
            booked_hint=BOOKED_HINT,
            url=f"{self.app_url}/secure/vouchers/{year}-{number}",
            marker=token_in(text),
            fields=fields,
            vendor_erp_id=str(supplier or ""),
        )

    def _booked_bill_fields(
        self, lines: Sequence[Mapping[str, Any]], total: Decimal, supplier: int | None
    ) -> dict[str, str]:
        """What else the ledger lines tell of a booked supplier invoice, so a plan diffs only real changes: supplier
        and invoice number when the lines name them, the due date, and the expense account, VAT code, VAT amount
        and department from the line booked with a VAT code.  A field left out reads as changed (the engine still
        calls an unchanged document "no change" by its fingerprint)."""
        out: dict[str, str] = {}
        invoice_numbers = [line["supplierInvoiceNumber"] for line in lines if line.get("supplierInvoiceNumber")]
        if invoice_numbers:
            out["invoice_number"] = str(invoice_numbers[0])
        due = next((parse_date(line.get("dueDate")) for line in lines if line.get("dueDate")), None)
        if due:
            out["due_date"] = due.isoformat()
        if supplier:
            out["vendor"] = self.suppliers.name(supplier)
        expense = next((line for line in lines if (line.get("vatAccount") or {}).get("vatCode")), None)
        if expense is not None:
            dist = ref_number(expense.get("departmentalDistribution"), "departmentalDistributionNumber")
            out["account"] = str(ref_number(expense.get("account"), "accountNumber") or "")
            out["tax_type"] = str(expense["vatAccount"]["vatCode"])
            out["vat"] = fmt(total - abs(money(expense.get("amount")) or Decimal(0)))
            out["tracking"] = f"{DEPARTMENT_GROUP}: {dist}" if dist else ""
        return out

    # -- by id -------------------------------------------------------------------------------------------------
    def read(self, kind: EntryKind, erp_ids: Sequence[str]) -> tuple[dict[str, EntryState], dict[str, dict[str, Any]]]:
        """States by id, and the raw legacy draft entries by id."""
        wanted: dict[str, tuple[str, int]] = {}
        states: dict[str, EntryState] = {}
        for erp_id in erp_ids:
            parsed = parse_erp_id(erp_id)
            if parsed is None:
                states[erp_id] = EntryState(erp_id=erp_id, kind=kind, exists=False)
            else:
                wanted[erp_id] = parsed
        drafts: dict[str, dict[str, Any]] = {}
        for group in chunks(sorted({n for _, n in wanted.values()}), IN_MAX):
            flt = "voucher.voucherNumber$in:[" + ",".join(str(n) for n in group) + "]"
            for entry in self.drafts(kind, flt):
                voucher = entry.get("voucher") or {}
                key = f"{(voucher.get('accountingYear') or {}).get('year')}-{ref_number(voucher, 'voucherNumber')}"
                # A voucher is Roger's only while it carries Roger's marker token: a person's draft that took the
                # number (or a voucher a person rewrote) is never adopted by its number (issue point 7).
                if key in wanted and key not in drafts and token_in(str(entry.get("text") or "")):
                    drafts[key] = entry
        for erp_id, entry in drafts.items():
            states[erp_id] = self.draft_state(kind, entry)
        missing = [i for i in wanted if i not in drafts]
        for year in sorted({wanted[i][0] for i in missing}):
            numbers = [wanted[i][1] for i in missing if wanted[i][0] == year]
            booked = self.booked_lines(kind, year, numbers)
            for erp_id in missing:
                y, number = wanted[erp_id]
                if y == year and number in booked:
                    states[erp_id] = self.booked_state(kind, year, number, booked[number])
        for erp_id in missing:
            # Neither a draft nor booked: a human deleted the draft.
            states.setdefault(erp_id, EntryState(erp_id=erp_id, kind=kind, exists=False, status="deleted"))
        return states, drafts
