"""Booking exactly Roger's entries ("book after sync"), never the whole journal.

``POST /journals/{journalNumber}/bookdraftentries`` with ``BookEntriesParameters {"entryNumbers": [...]}``
("The numbers of the journal entries to be booked", minItems 1), answered 204 (openapi-Journals.json,
BookSpecificEntriesWithinJournal, added in 11.1.0: "new endpoint to book specific journal entries").  The
entry numbers are the Journals API's ``DraftEntry.entryNumber`` of Roger's vouchers.  The whole-journal
``/journals/{n}/book`` is never called: a person's drafts may sit in the same journal.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from integrations.connectors import http
from integrations.connectors.base import N_, ConnectorError, EntryKind, ErpError, ErrorCategory, ItemResult, Outcome
from integrations.connectors.economic.errors import problem_error
from integrations.connectors.economic.ids import parse_erp_id, ref_number
from integrations.connectors.economic.reading import Reader
from integrations.connectors.economic.updating import blocked


class Booker:
    def __init__(self, reader: Reader) -> None:
        self.reader = reader
        self.client = reader.client

    def book(self, kind: EntryKind, erp_ids: Sequence[str]) -> list[ItemResult]:
        states, _ = self.reader.read(kind, erp_ids)
        results: dict[str, ItemResult] = {}
        to_book: list[str] = []
        for erp_id in erp_ids:
            state = states[erp_id]
            if state.status == "booked":
                results[erp_id] = ItemResult(erp_id, Outcome.UNCHANGED, state=state)
            elif not state.exists:
                results[erp_id] = ItemResult(
                    erp_id,
                    Outcome.FAILED,
                    state=state,
                    error=ErpError(
                        ErrorCategory.VALIDATION,
                        N_("Voucher {voucher} is not in e-conomic's journal").format(voucher=erp_id),
                        code="not_found",
                    ),
                )
            elif state.booked:  # a draft in a closed period cannot be booked
                results[erp_id] = blocked(erp_id, state)
            else:
                to_book.append(erp_id)
        if not to_book:
            return [results[erp_id] for erp_id in erp_ids]
        listed = self.reader.journal_drafts(v for v in (parse_erp_id(i) for i in to_book) if v)
        numbers: dict[str, int] = {}
        for erp_id in to_book:
            number = ref_number(listed.get(parse_erp_id(erp_id)), "entryNumber")  # type: ignore[arg-type]
            if number is None:
                results[erp_id] = ItemResult(
                    erp_id,
                    Outcome.FAILED,
                    state=states[erp_id],
                    error=ErpError(
                        ErrorCategory.TEMPORARY,
                        N_("Voucher {voucher} is in the journal but e-conomic's Journals API did not list it").format(
                            voucher=erp_id
                        ),
                        hint=N_("Roger reads it again and retries."),
                        code="not_listed",
                    ),
                )
            else:
                numbers[erp_id] = number
        if numbers:
            self._book(kind, numbers, states, results)
        return [results[erp_id] for erp_id in erp_ids]

    def _book(self, kind: EntryKind, numbers: dict[str, int], states: dict, results: dict[str, ItemResult]) -> None:
        body = {"entryNumbers": sorted(numbers.values())}
        key = "book-" + hashlib.sha256(http.dumps(body)).hexdigest()[:48]
        reply = self.client.request(
            "POST",
            f"/journals/{self.client.journal_number}/bookdraftentries",
            api="journals",
            body=body,
            idempotency_key=key,
            ok_statuses=(400, 404),
        )
        if reply.status in (400, 404):
            self._refused(kind, numbers, states, results, problem_error(kind, reply.body, reply.status), body)
            return
        try:
            after, _ = self.reader.read(kind, list(numbers))
        except ConnectorError as exc:
            # Booked, most likely, but unconfirmed: the engine reads the entries again later.
            unsure = ErpError(
                ErrorCategory.TEMPORARY,
                N_("e-conomic took the booking but could not be read back ({error})").format(error=exc.error.message),
                uncertain=True,
                retry_after=exc.error.retry_after,
            )
            for erp_id in numbers:
                results[erp_id] = ItemResult(erp_id, Outcome.FAILED, state=states[erp_id], sent=body, error=unsure)
            return
        for erp_id in numbers:
            state = after[erp_id]
            if state.status == "booked":
                results[erp_id] = ItemResult(erp_id, Outcome.UPDATED, state=state, sent=body)
            else:
                results[erp_id] = ItemResult(
                    erp_id,
                    Outcome.FAILED,
                    state=state,
                    sent=body,
                    error=ErpError(
                        ErrorCategory.TEMPORARY,
                        N_("e-conomic did not book voucher {voucher}").format(voucher=erp_id),
                        uncertain=True,
                    ),
                )

    def _refused(
        self,
        kind: EntryKind,
        numbers: dict[str, int],
        states: dict,
        results: dict[str, ItemResult],
        error: ErpError,
        body: dict,
    ) -> None:
        """A 400/404 to the booking.  e-conomic describes neither which entry a refusal concerns (ProblemDetails
        ``errors[]`` name a ``property``, not an entry) nor whether the rest of the request was booked, so the
        entries are read again (periods too) for each one's own outcome: one that left the journal meanwhile was
        booked (reported as ``book`` reports a booked entry: unchanged) or deleted (``JournalEntryDoesNotExist``,
        x-error-codes of DraftEntries); one now dated in a closed period is BLOCKED with e-conomic's code; the
        others were held back by those and are booked on a later run."""
        if error.code == "JournalDoesNotExist":  # x-error-codes of the journals tag: Roger's journal is gone
            error = self.client.journal_missing()
        self.reader.reference.periods = {}
        try:
            after, _ = self.reader.read(kind, list(numbers))
        except ConnectorError:
            after = {}
        outcome = Outcome.BLOCKED if error.category is ErrorCategory.BOOKED else Outcome.FAILED
        explained: dict[str, ItemResult] = {}
        for erp_id in numbers:
            now = after.get(erp_id)
            if now is None:
                continue
            if now.status == "booked":
                explained[erp_id] = ItemResult(erp_id, Outcome.UNCHANGED, state=now, sent=body)
            elif not now.exists:
                explained[erp_id] = ItemResult(
                    erp_id,
                    Outcome.FAILED,
                    state=now,
                    sent=body,
                    error=ErpError(
                        ErrorCategory.VALIDATION,
                        N_("Voucher {voucher} is not in e-conomic's journal").format(voucher=erp_id),
                        code="not_found",
                    ),
                )
            elif now.booked:
                closed = error if error.category is ErrorCategory.BOOKED else blocked(erp_id, now).error
                explained[erp_id] = ItemResult(erp_id, Outcome.BLOCKED, state=now, sent=body, error=closed)
        for erp_id in numbers:
            if erp_id in explained:
                results[erp_id] = explained[erp_id]
            elif explained:
                held = ErpError(
                    ErrorCategory.TEMPORARY, N_("e-conomic did not book voucher {voucher}").format(voucher=erp_id)
                )
                results[erp_id] = ItemResult(erp_id, Outcome.FAILED, state=after[erp_id], sent=body, error=held)
            else:
                state = after.get(erp_id) or states[erp_id]
                results[erp_id] = ItemResult(erp_id, outcome, state=state, error=error, sent=body)
