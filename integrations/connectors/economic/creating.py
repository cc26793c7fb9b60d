"""Creating Roger's entries: one voucher per bill or payment, in Roger's journal, numbered by e-conomic.

* Legacy ``POST /journals/:n/vouchers`` with one voucher object (``journals.journalNumber.vouchers.post.schema.
  json`` describes an object, so Roger sends one per request): ``accountingYear``, ``journal`` and
  ``entries.supplierInvoices[]`` / ``supplierPayments[]``.  No ``voucherNumber``: e-conomic takes the journal's
  next number, inside the journal's range.  Answer 201 with the voucher.
* A foreign-currency entry whose exchange rate Roger does not know goes through the Journals API
  (``POST /draft-entries``, answer 201 ``DraftEntryCreatedResult {entryNumber}``), leaving ``exchangeRate`` out
  so e-conomic sets its default rate for the date (Journals changelog 8.0.0; see ``entries``); its voucher
  number is then read with ``GET /draft-entries/{entryNumber}``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from integrations.connectors import http
from integrations.connectors.base import (
    BillData,
    ConnectorError,
    EntryKind,
    EntryState,
    ErpError,
    ErrorCategory,
    ItemResult,
    Outcome,
    WriteItem,
)
from integrations.connectors.economic import entries
from integrations.connectors.economic.errors import CLOSED_HINT, legacy_errors, problem_error
from integrations.connectors.economic.ids import ENTRY_TYPES, money, parse_date, ref_number
from integrations.connectors.economic.reading import Reader

Departments = Callable[[BillData | Any], "int | ErpError | None"]


def item_key(item: WriteItem, suffix: str = "") -> str:
    key = item.idempotency_key + suffix
    return key if len(key) <= 128 else "roger-" + hashlib.sha256(key.encode()).hexdigest()


class Creator:
    def __init__(self, reader: Reader, department: Departments) -> None:
        self.reader = reader
        self.client, self.reference, self.suppliers = reader.client, reader.reference, reader.suppliers
        self.department = department

    def create(self, kind: EntryKind, items: Sequence[WriteItem]) -> list[ItemResult]:
        results: dict[str, ItemResult] = {}
        for position, item in enumerate(items):
            try:
                results[item.ref] = self._create_one(kind, item)
            except ConnectorError as exc:
                if not results:
                    raise  # nothing to report yet: the whole call failed
                results[item.ref] = ItemResult(item.ref, Outcome.FAILED, error=exc.error)
                # Stop at the first whole-call failure (rate limit, outage, revoked grant): the rest waits.
                later = ErpError(
                    exc.error.category,
                    exc.error.message,
                    hint=exc.error.hint,
                    retry_after=exc.error.retry_after,
                    code=exc.error.code,
                    status=exc.error.status,
                )
                for rest in items[position + 1 :]:
                    results[rest.ref] = ItemResult(rest.ref, Outcome.FAILED, error=later)
                break
        return [results[item.ref] for item in items]

    def _problem(self, kind: EntryKind, item: WriteItem) -> ErpError | int:
        """Why this item cannot be sent (refused without a call), or the supplier number to send it with."""
        problem = entries.precheck(kind, item.data)
        if problem is not None:
            return problem
        day = entries.entry_date(item.data)
        year = self.reference.year_for(day)
        if year is None:
            return ErpError(
                ErrorCategory.SETUP,
                f"No accounting year in e-conomic covers {day}",
                field=entries.date_field(kind),
                hint="Create the accounting year in e-conomic, then re-sync.",
            )
        closed = self.reference.closed_reason(year.year, day)
        if closed:
            return ErpError(ErrorCategory.BOOKED, closed, hint=CLOSED_HINT, code="closed_period")
        return self.suppliers.resolve(item.data, kind)

    def _create_one(self, kind: EntryKind, item: WriteItem) -> ItemResult:
        supplier = self._problem(kind, item)
        if isinstance(supplier, ErpError):
            return ItemResult(item.ref, Outcome.FAILED, error=supplier)
        department = self.department(item.data)
        if isinstance(department, ErpError):
            return ItemResult(item.ref, Outcome.FAILED, error=department)
        base = self.reference.base_currency()
        if entries.is_foreign(item.data, base) and entries.known_rate(item.data, base) is None:
            return self._create_in_journals_api(kind, item, supplier, department, base)
        entry = entries.legacy_entry(kind, item.data, supplier, department, base)
        year = self.reference.year_for(entries.entry_date(item.data))
        body = {
            "accountingYear": {"year": year.year},  # type: ignore[union-attr]
            "journal": {"journalNumber": self.client.journal_number},
            "entries": {ENTRY_TYPES[kind].plural: [entry]},
        }
        reply = self.client.request(
            "POST",
            f"/journals/{self.client.journal_number}/vouchers",
            body=body,
            idempotency_key=item_key(item),
            ok_statuses=(400,),
        )
        sent = http.jsonable(entry)
        if reply.status == 400:
            return ItemResult(item.ref, Outcome.FAILED, error=legacy_errors(kind, reply.body), sent=sent)
        voucher = reply.body if isinstance(reply.body, dict) else {}
        made = ((voucher.get("entries") or {}).get(ENTRY_TYPES[kind].plural) or [None])[0]
        number = ref_number(voucher, "voucherNumber") or ref_number((made or {}).get("voucher"), "voucherNumber")
        if not isinstance(made, dict) or not number:
            raise ConnectorError(
                ErpError(
                    ErrorCategory.TEMPORARY,
                    "e-conomic's answer lacks the created voucher",
                    hint="Roger looks the entry up by its marker before sending it again.",
                    uncertain=True,
                    code="unexpected_response",
                )
            )
        raw = dict(made)
        raw["voucher"] = {
            "voucherNumber": number,
            "accountingYear": voucher.get("accountingYear") or body["accountingYear"],
        }
        state = self.reader.draft_state(kind, raw, fetch=False)
        return ItemResult(item.ref, Outcome.CREATED, state=state, sent=sent)

    def _create_in_journals_api(
        self, kind: EntryKind, item: WriteItem, supplier: int, department: int | None, base: str
    ) -> ItemResult:
        data = item.data
        if department is not None:
            return ItemResult(
                item.ref,
                Outcome.FAILED,
                error=ErpError(
                    ErrorCategory.UNSUPPORTED,
                    f"A {data.currency} bill without a known exchange rate goes through e-conomic's Journals API, "
                    "which takes no department",
                    field="department",
                    hint="Leave the department out (set it in e-conomic afterwards), or post the bill by hand.",
                ),
            )
        entry = entries.draft_entry(kind, data, supplier, self.client.journal_number, base)
        if isinstance(data, BillData):
            code = data.lines[0].tax_type.strip()
            refusal = entries.vat_refusal(data, code, self.reference.vat_rate(code) if code else None, "create it")
            if refusal is not None:
                return ItemResult(item.ref, Outcome.FAILED, error=refusal, sent=http.jsonable(entry))
        reply = self.client.request(
            "POST", "/draft-entries", api="journals", body=entry, idempotency_key=item_key(item), ok_statuses=(400,)
        )
        sent = http.jsonable(entry)
        if reply.status == 400:
            return ItemResult(item.ref, Outcome.FAILED, error=problem_error(kind, reply.body, 400), sent=sent)
        number = ref_number(reply.body, "entryNumber")
        try:
            made = self.client.request("GET", f"/draft-entries/{number}", api="journals").body if number else None
        except ConnectorError as exc:
            made, cause = None, exc.error.message
        else:
            cause = "no entry number in the answer"
        state = self._state_from_draft_entry(kind, made) if isinstance(made, dict) else None
        if state is None:
            return ItemResult(
                item.ref,
                Outcome.FAILED,
                sent=sent,
                error=ErpError(
                    ErrorCategory.TEMPORARY,
                    f"e-conomic created the draft but Roger could not read its voucher number ({cause})",
                    hint="Roger finds the entry by its marker before sending anything again.",
                    uncertain=True,
                    code="unconfirmed",
                ),
            )
        return ItemResult(item.ref, Outcome.CREATED, state=state, sent=sent)

    def _state_from_draft_entry(self, kind: EntryKind, made: dict[str, Any]) -> EntryState | None:
        day = parse_date(made.get("date"))
        year = self.reference.year_for(day) if day else None
        number = ref_number(made, "voucherNumber")
        if year is None or not number:
            return None
        legacy_like: dict[str, Any] = {
            "voucher": {"voucherNumber": number, "accountingYear": {"year": year.year}},
            "text": made.get("text"),
            "supplier": {"supplierNumber": made.get("supplierNumber")},
            "supplierInvoiceNumber": made.get("supplierInvoiceNumber"),
            "amount": made.get("amount"),
            "currency": {"code": made.get("currency")},
            "date": str(made.get("date") or "")[:10],
            "dueDate": str(made.get("dueDate") or "")[:10] or None,
            "contraAccount": {"accountNumber": made.get("contraAccountNumber")},
        }
        if made.get("contraVatCode"):
            legacy_like["contraVatAccount"] = {"vatCode": made["contraVatCode"]}
            rate = self.reference.vat_rate(str(made["contraVatCode"]))
            amount = money(made.get("amount"))
            if rate is not None and amount is not None:  # what e-conomic derives from the code (see entries)
                legacy_like["contraVatAmount"] = (amount * rate / (100 + rate)).quantize(Decimal("0.01"), ROUND_HALF_UP)
        return self.reader.draft_state(kind, legacy_like, fetch=False)
