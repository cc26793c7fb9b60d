"""Changing Roger's drafts through the Journals API, under e-conomic's optimistic lock.

``PUT /draft-entries`` (openapi-Journals.json, UpdateDraftEntry) takes the whole ``DraftEntry`` with its
``entryNumber`` and the ``objectVersion`` read with it: "ObjectVersion property is mandatory in Put Requests …
If object was modified between Get and Put requests, Put request will fail with error code 409 Conflict"
(description, "Object version").  Answers: 204 done; 409 the accountant changed the draft since Roger read it;
404 the draft is gone (booked or deleted); 400 ProblemDetails with ``x-error-codes``.  The legacy API has no way
to change a journal entry (its ``journals/:n/entries/:entryNumber`` is GET only).

On 409 Roger overwrites nothing: the item fails as TEMPORARY ``conflict``; the engine retries, reads the draft
again and re-plans, so its update log shows the accountant's value as the old value before Roger writes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from integrations.connectors import http
from integrations.connectors.base import (
    N_,
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
from integrations.connectors.economic.creating import item_key
from integrations.connectors.economic.errors import CONFLICT_MESSAGE, problem_error
from integrations.connectors.economic.ids import (
    DEPARTMENT_GROUP,
    marker_token,
    money,
    parse_erp_id,
    ref_number,
    token_in,
)
from integrations.connectors.economic.reading import Reader

Departments = Callable[[Any], "int | ErpError | None"]


def gone(erp_id: str, journal: int, state: EntryState | None = None, sent: Any = None) -> ItemResult:
    return ItemResult(
        erp_id,
        Outcome.FAILED,
        state=state,
        sent=sent,
        error=ErpError(
            ErrorCategory.VALIDATION,
            N_("Voucher {voucher} is no longer in e-conomic's journal {journal}").format(
                voucher=erp_id, journal=journal
            ),
            hint=N_("It was deleted in e-conomic; Roger creates it again on re-sync."),
            code="not_found",
            status=404,
        ),
    )


def blocked(ref: str, state: EntryState, sent: Any = None) -> ItemResult:
    error = ErpError(ErrorCategory.BOOKED, state.booked_reason, hint=state.booked_hint)
    return ItemResult(ref, Outcome.BLOCKED, state=state, error=error, sent=sent)


class Updater:
    def __init__(self, reader: Reader, department: Departments) -> None:
        self.reader = reader
        self.client, self.reference, self.suppliers = reader.client, reader.reference, reader.suppliers
        self.department = department

    def update(self, kind: EntryKind, items: Sequence[WriteItem]) -> list[ItemResult]:
        results: dict[str, ItemResult] = {}
        ready: list[WriteItem] = []
        for item in items:
            problem = entries.precheck(kind, item.data)
            if problem is not None:
                results[item.ref] = ItemResult(item.ref, Outcome.FAILED, error=problem)
            else:
                ready.append(item)
        states, drafts = self.reader.read(kind, [item.erp_id for item in ready]) if ready else ({}, {})
        live = [parse_erp_id(i.erp_id) for i in ready if i.erp_id in drafts and not states[i.erp_id].booked]
        current = self.reader.journal_drafts(v for v in live if v) if live else {}
        for position, item in enumerate(ready):
            try:
                results[item.ref] = self._update_one(
                    kind,
                    item,
                    states[item.erp_id],
                    drafts.get(item.erp_id),
                    current.get(parse_erp_id(item.erp_id)),  # type: ignore[arg-type]
                )
            except ConnectorError as exc:
                if not results:
                    raise
                results[item.ref] = ItemResult(item.ref, Outcome.FAILED, error=exc.error)
                for rest in ready[position + 1 :]:  # the first whole-call failure stops the batch: the rest waits
                    results[rest.ref] = ItemResult(rest.ref, Outcome.FAILED, error=exc.error)
                break
        return [results[item.ref] for item in items]

    def _update_one(
        self,
        kind: EntryKind,
        item: WriteItem,
        state: EntryState,
        draft: dict[str, Any] | None,
        journal_draft: dict[str, Any] | None,
    ) -> ItemResult:
        if state.booked:
            return blocked(item.ref, state)
        if not state.exists or draft is None:
            return ItemResult(
                item.ref, Outcome.FAILED, state=state, error=gone(item.erp_id, self.client.journal_number).error
            )
        if token_in(str(draft.get("text") or "")) != marker_token(item.data.marker):
            return ItemResult(
                item.ref,
                Outcome.FAILED,
                state=state,
                error=ErpError(
                    ErrorCategory.VALIDATION,
                    N_(
                        "Voucher {voucher} in e-conomic no longer carries this document's marker; Roger does not "
                        "overwrite an entry it cannot prove is its own"
                    ).format(voucher=item.erp_id),
                    hint=N_(
                        "If the voucher is this document's, put its marker back in the text in e-conomic and "
                        "re-sync. If it is the other document's, leave it as it is (deleting it would remove that "
                        "document's entry) and tell support, who clear this document's link."
                    ),
                    code="not_roger_s",
                ),
            )
        supplier = self.suppliers.resolve(item.data, kind)
        if isinstance(supplier, ErpError):
            return ItemResult(item.ref, Outcome.FAILED, state=state, error=supplier)
        department = self.department(item.data)
        if isinstance(department, ErpError):
            return ItemResult(item.ref, Outcome.FAILED, state=state, error=department)
        base = self.reference.base_currency()
        wanted = entries.draft_entry(kind, item.data, supplier, self.client.journal_number, base)
        sent = http.jsonable(wanted)
        year = str(((draft.get("voucher") or {}).get("accountingYear") or {}).get("year") or "")
        new_year = self.reference.year_for(entries.entry_date(item.data))
        if new_year is not None and new_year.year != year:
            return ItemResult(
                item.ref,
                Outcome.FAILED,
                state=state,
                sent=sent,
                error=ErpError(
                    ErrorCategory.VALIDATION,
                    N_(
                        "The new date moves voucher {voucher} into accounting year {year}; e-conomic keeps a voucher "
                        "in its year"
                    ).format(voucher=item.erp_id, year=new_year.year),
                    field=entries.date_field(kind),
                    hint=N_("Delete the draft in e-conomic and re-sync, or keep the date within the year."),
                ),
            )
        has = entries.department_of(draft)
        if kind is EntryKind.BILL and department != has:
            return ItemResult(
                item.ref,
                Outcome.FAILED,
                state=state,
                sent=sent,
                error=ErpError(
                    ErrorCategory.UNSUPPORTED,
                    N_(
                        "e-conomic's Journals API, the only way to change a draft, cannot set its department "
                        "(voucher {voucher} has {has}, the bill wants {wants})"
                    ).format(
                        voucher=item.erp_id,
                        has=self._department_text(has),
                        wants=self._department_text(department),  # type: ignore[arg-type]
                    ),
                    field="department",
                    hint=N_(
                        "Set the department on the draft in e-conomic's journal, or delete the draft there and "
                        "re-sync: Roger creates it again with the department."
                    ),
                    code="department_unchangeable",
                ),
            )
        if journal_draft is None:
            return ItemResult(
                item.ref,
                Outcome.FAILED,
                state=state,
                sent=sent,
                error=ErpError(
                    ErrorCategory.TEMPORARY,
                    N_("Voucher {voucher} is in the journal but e-conomic's Journals API did not list it").format(
                        voucher=item.erp_id
                    ),
                    hint=N_("Roger reads it again and retries."),
                    code="not_listed",
                ),
            )
        same_currency = journal_draft.get("currency") == wanted["currency"]
        if "exchangeRate" not in wanted and same_currency and journal_draft.get("exchangeRate") is not None:
            wanted["exchangeRate"] = journal_draft["exchangeRate"]  # keep the rate the draft has
        vat_changed = (
            isinstance(item.data, BillData)
            and money(draft.get("contraVatAmount") or 0) != entries.direction(item.data) * item.data.vat
        )  # a credit note's VAT is negative, like its amount
        if entries.comparable(wanted) == entries.comparable(journal_draft) and not vat_changed:
            return ItemResult(item.ref, Outcome.UNCHANGED, state=state, sent=sent)
        if isinstance(item.data, BillData) and wanted.get("contraVatCode"):
            code = str(wanted["contraVatCode"])
            refusal = entries.vat_refusal(item.data, code, self.reference.vat_rate(code), N_("change the draft"))
            if refusal is not None:
                return ItemResult(item.ref, Outcome.FAILED, state=state, sent=sent, error=refusal)
        body = {
            **wanted,
            "entryNumber": ref_number(journal_draft, "entryNumber"),
            "voucherNumber": ref_number(journal_draft, "voucherNumber"),  # required on PUT (changelog 15.0.0)
            "objectVersion": journal_draft.get("objectVersion"),
        }
        reply = self.client.request(
            "PUT",
            "/draft-entries",
            api="journals",
            body=body,
            idempotency_key=item_key(item, f":put:{journal_draft.get('objectVersion')}"),
            ok_statuses=(400, 404, 409),
        )
        if reply.status == 409:
            return ItemResult(
                item.ref,
                Outcome.FAILED,
                state=state,
                sent=sent,
                error=ErpError(
                    ErrorCategory.TEMPORARY,
                    CONFLICT_MESSAGE,
                    hint=N_(
                        "Nothing to do: Roger's next run shows the accountant's change and applies the bill on top."
                    ),
                    code="conflict",
                    status=409,
                ),
            )
        if reply.status in (400, 404):
            error = problem_error(kind, reply.body, reply.status)
            if reply.status == 404 or error.code == "not_found":
                return self._gone_since_read(kind, item, sent)
            outcome = Outcome.BLOCKED if error.category is ErrorCategory.BOOKED else Outcome.FAILED
            return ItemResult(item.ref, outcome, state=state, error=error, sent=sent)
        return ItemResult(item.ref, Outcome.UPDATED, state=self._after_write(kind, item, wanted, draft), sent=sent)

    def _gone_since_read(self, kind: EntryKind, item: WriteItem, sent: Any) -> ItemResult:
        """Booked or deleted between Roger's read and its write: report what it is now."""
        fresh = self.reader.read(kind, [item.erp_id])[0][item.erp_id]
        if fresh.booked:
            return blocked(item.ref, fresh, sent)
        result = gone(item.erp_id, self.client.journal_number, fresh, sent)
        return ItemResult(item.ref, Outcome.FAILED, state=fresh, sent=sent, error=result.error)

    def _after_write(
        self, kind: EntryKind, item: WriteItem, wanted: dict[str, Any], draft: dict[str, Any]
    ) -> EntryState:
        """The draft as it is now: read again (so a department e-conomic dropped shows up as a difference), or —
        when that read fails — as written, so a committed write never looks like a failure."""
        try:
            return self.reader.read(kind, [item.erp_id])[0][item.erp_id]
        except ConnectorError:
            written = {
                **draft,
                "text": wanted.get("text"),
                "amount": wanted.get("amount"),
                "date": str(wanted.get("date"))[:10],
                "dueDate": str(wanted.get("dueDate") or "")[:10] or None,
                "supplier": {"supplierNumber": wanted.get("supplierNumber")},
                "supplierInvoiceNumber": wanted.get("supplierInvoiceNumber"),
                "currency": {"code": wanted.get("currency")},
                "contraAccount": {"accountNumber": wanted.get("contraAccountNumber")},
            }
            if isinstance(item.data, BillData):
                written["contraVatAmount"] = entries.direction(item.data) * item.data.vat
                if wanted.get("contraVatCode"):
                    written["contraVatAccount"] = {"vatCode": wanted["contraVatCode"]}
            return self.reader.draft_state(kind, written, fetch=False)

    @staticmethod
    def _department_text(number: int | None) -> str:
        return f"{DEPARTMENT_GROUP.lower()} {number}" if number else N_("no department")
