"""Creating Roger's entries: one voucher per bill or payment, in Roger's journal, numbered by e-conomic.

Legacy ``POST /journals/:n/vouchers`` with one voucher object (``journals.journalNumber.vouchers.post.schema.json``
describes an object, so Roger sends one per request): ``accountingYear``, ``journal`` and
``entries.supplierInvoices[]`` / ``supplierPayments[]``, with the department.  No ``voucherNumber``: e-conomic
takes the journal's next number, inside the journal's range.  Answer 201 with the voucher.

A foreign-currency entry whose rate Roger does not know is sent without ``exchangeRate``.  The legacy schema does
not say what e-conomic then does; its Journals API sets "a default exchange rate … based on entry date and
currency" (changelog 8.0.0) for the same drafts.  Roger does not depend on it: the answer's ``exchangeRate`` is
checked, and a foreign entry that came back without a rate, or at 100 (1:1 with the base currency), is deleted
again (Journals API ``DELETE /draft-entries/{entryNumber}``) and reported — never left at a wrong amount.  A
refusal (400 on ``exchangeRate``) is reported as it is.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from typing import Any

from integrations.connectors import http
from integrations.connectors.base import (
    N_,
    ConnectorError,
    EntryKind,
    ErpError,
    ErrorCategory,
    ItemResult,
    Outcome,
    WriteItem,
)
from integrations.connectors.economic import entries
from integrations.connectors.economic.errors import CLOSED_HINT, legacy_errors
from integrations.connectors.economic.ids import ENTRY_TYPES, money, ref_number
from integrations.connectors.economic.reading import Reader

Departments = Callable[[Any], "int | ErpError | None"]


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
                N_("No accounting year in e-conomic covers {date}").format(date=day),
                field=entries.date_field(kind),
                hint=N_("Create the accounting year in e-conomic, then re-sync."),
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
                    N_("e-conomic's answer lacks the created voucher"),
                    hint=N_("Roger looks the entry up by its marker before sending it again."),
                    uncertain=True,
                    code="unexpected_response",
                )
            )
        raw = dict(made)
        raw["voucher"] = {
            "voucherNumber": number,
            "accountingYear": voucher.get("accountingYear") or body["accountingYear"],
        }
        if entries.is_foreign(item.data, base) and "exchangeRate" not in entry:
            wrong = self._rate_refusal(item, raw)
            if wrong is not None:
                return ItemResult(item.ref, Outcome.FAILED, error=wrong, sent=sent)
        state = self.reader.draft_state(kind, raw, fetch=False)
        return ItemResult(item.ref, Outcome.CREATED, state=state, sent=sent)

    def _rate_refusal(self, item: WriteItem, made: dict[str, Any]) -> ErpError | None:
        """None when e-conomic gave the foreign entry a rate of its own; else the draft is deleted and named."""
        rate = money(made.get("exchangeRate"))
        if rate is not None and rate > 0 and rate != 100:
            return None
        voucher = made.get("voucher") or {}
        key = (str((voucher.get("accountingYear") or {}).get("year") or ""), ref_number(voucher, "voucherNumber") or 0)
        deleted = False
        try:
            # The Journals API's own entry number, found by journal and voucher number (not assumed to equal the
            # legacy journalEntryNumber).
            number = ref_number(self.reader.journal_drafts([key]).get(key), "entryNumber")  # type: ignore[arg-type]
            if number is not None:
                reply = self.client.request("DELETE", f"/draft-entries/{number}", api="journals", ok_statuses=(404,))
                deleted = reply.status == 204
        except ConnectorError:
            deleted = False
        return ErpError(
            ErrorCategory.VALIDATION,
            (
                N_(
                    "e-conomic gave the {currency} entry no exchange rate of its own (Roger deleted the draft again), "
                    "and Roger knows no rate for it"
                )
                if deleted
                else N_(
                    "e-conomic gave the {currency} entry no exchange rate of its own (delete the draft in e-conomic), "
                    "and Roger knows no rate for it"
                )
            ).format(currency=item.data.currency),
            field="currency",
            hint=N_("Book the bill by hand at the day's rate, or record it in the base currency."),
            code="no_exchange_rate",
        )
