"""What a run leaves behind per entry (R14): one append-only log record per attempt, and the entry's new state."""

from __future__ import annotations

import json
from datetime import datetime

from integrations.connectors.base import N_, EntryState, ErpError, ErrorCategory, Outcome
from integrations.models import ErpEntry, Integration, SyncAttempt
from integrations.sync.engine.attachments import attachment_error
from integrations.sync.engine.plans import fingerprint
from integrations.sync.engine.work import Data, Work
from integrations.sync.engine.writes import apply_state, booking_error, current_state

ACTION_OF = {
    Outcome.CREATED: SyncAttempt.Action.CREATE,
    Outcome.UPDATED: SyncAttempt.Action.UPDATE,
    Outcome.UNCHANGED: SyncAttempt.Action.NO_CHANGE,
    Outcome.BLOCKED: SyncAttempt.Action.BLOCKED,
}


def final_error(work: Work) -> ErpError | None:
    if work.error is not None:
        return work.error
    if work.result is not None and work.result.outcome == Outcome.FAILED:
        return work.result.error or ErpError(ErrorCategory.TEMPORARY, N_("The ERP refused the entry without a reason."))
    return None


def blocked(work: Work) -> bool:
    return (work.result is not None and work.result.outcome == Outcome.BLOCKED) or work.action == "blocked"


def attempt(integration: Integration, work: Work, retry_at: datetime | None, *, final: bool) -> SyncAttempt:
    error = final_error(work)
    result = work.result
    state = current_state(work)
    if work.waiting:
        return _log_record(
            integration,
            work,
            state,
            ErpError(ErrorCategory.TEMPORARY, work.wait_reason),
            action=SyncAttempt.Action.NONE,
            outcome=SyncAttempt.Outcome.RETRYING,
            duration_ms=0,
            request_data={},
            changes={},
            hint=N_("Nothing to do: Roger continues by itself."),
            retry_at=work.wait_until,
        )
    if error is not None:
        action = {"create": "create", "update": "update", "adopt": "adopt", "blocked": "blocked"}.get(
            work.action, "none"
        )
        outcome = SyncAttempt.Outcome.FAILED if final else SyncAttempt.Outcome.RETRYING
    elif result is not None:
        action = SyncAttempt.Action.ADOPT if work.adopted else ACTION_OF.get(result.outcome, SyncAttempt.Action.UPDATE)
        outcome = SyncAttempt.Outcome.BLOCKED if result.outcome == Outcome.BLOCKED else SyncAttempt.Outcome.SUCCESS
    else:
        action = {"blocked": "blocked", "adopt": "adopt"}.get(work.action, "no_change")
        outcome = SyncAttempt.Outcome.BLOCKED if work.action == "blocked" else SyncAttempt.Outcome.SUCCESS
    shown = error or _blocked_error(work, state, outcome) or (result.error if result else None)
    sent = dict(result.sent) if result and result.sent else describe(work.data)
    return _log_record(
        integration,
        work,
        state,
        shown,
        action=action,
        outcome=outcome,
        duration_ms=work.duration_ms,
        request_data=jsonable(sent),
        changes={k: list(v) for k, v in work.changes.items()},
        hint=hint(shown, adopted=work.adopted)[:500],
        retry_at=retry_at if not final else None,
    )


def _blocked_error(work: Work, state: EntryState | None, outcome: str) -> ErpError | None:
    if outcome != SyncAttempt.Outcome.BLOCKED:
        return None
    if work.blocked_reason:
        return ErpError(ErrorCategory.BOOKED, work.blocked_reason, hint=work.blocked_hint)
    if state is None:
        return None
    return ErpError(
        ErrorCategory.BOOKED,
        state.booked_reason or N_("Booked in the ERP."),
        hint=state.booked_hint or N_("Change it in the ERP, or leave it as booked."),
    )


def booking_attempt(integration: Integration, work: Work, retry_at: datetime | None, *, final: bool) -> SyncAttempt:
    """The log record of booking an entry after its sync (a second record beside the create/update one)."""
    booking = work.booking
    assert booking is not None
    error = booking_error(work)
    state = booking.state or current_state(work)
    if error is None:
        outcome = SyncAttempt.Outcome.SUCCESS
    elif booking.outcome == Outcome.BLOCKED:
        outcome = SyncAttempt.Outcome.BLOCKED
    else:
        outcome = SyncAttempt.Outcome.FAILED if final else SyncAttempt.Outcome.RETRYING
    return _log_record(
        integration,
        work,
        state,
        error,
        action=SyncAttempt.Action.BOOK,
        outcome=outcome,
        duration_ms=work.booking_ms,
        request_data=jsonable(dict(booking.sent) if booking.sent else {"book": work.entry.erp_id}),
        hint=hint(error, adopted=False)[:500] if error else "",
        retry_at=retry_at if not final else None,
    )


def attachment_attempt(integration: Integration, work: Work, retry_at: datetime | None, *, final: bool) -> SyncAttempt:
    """The log record of attaching the document's file to its entry: what was sent (never the bytes)."""
    result = work.attachment
    assert result is not None
    error = attachment_error(work)
    if result.outcome == Outcome.BLOCKED:
        outcome = SyncAttempt.Outcome.BLOCKED
        error = result.error or ErpError(ErrorCategory.BOOKED, N_("The entry is booked and takes no files."))
    elif error is None:
        outcome = SyncAttempt.Outcome.SUCCESS
    else:
        outcome = SyncAttempt.Outcome.FAILED if final else SyncAttempt.Outcome.RETRYING
    return _log_record(
        integration,
        work,
        current_state(work),
        error,
        action=SyncAttempt.Action.ATTACH,
        outcome=outcome,
        duration_ms=work.attachment_ms,
        request_data=jsonable(dict(result.sent or {})),
        hint=hint(error, adopted=False)[:500] if error else "",
        retry_at=retry_at if not final and error is not None else None,
    )


def _log_record(integration: Integration, work: Work, state, shown: ErpError | None, **fields) -> SyncAttempt:
    """One integration log record of ``work``: who and what triggered it, where the entry is, what went wrong."""
    return SyncAttempt(
        company_id=integration.company_id,
        document=work.document,
        integration=integration,
        entry_kind=work.kind.value,
        document_version=work.document.version,
        trigger=work.job.trigger,
        event=work.job.event,
        triggered_by_id=work.job.requested_by_id,
        bulk_id=work.job.bulk_id,
        erp_id=(state.erp_id if state else work.entry.erp_id),
        erp_number=(state.number if state else work.entry.erp_number)[:100],
        erp_url=(state.url if state else work.entry.erp_url)[:500],
        erp_status=(state.status if state else work.entry.erp_status)[:40],
        error_category=shown.category.value if shown else "",
        error_field=(shown.field or "")[:50] if shown else "",
        erp_message=shown.message if shown else "",
        **fields,
    )


def hint(error: ErpError | None, *, adopted: bool) -> str:
    if error is not None:
        return error.hint or {
            "temporary": N_("Nothing to do: Roger retries automatically."),
            "authentication": N_(
                "Reconnect the integration in Integrations settings; Roger then syncs the latest data."
            ),
            "setup": N_("Complete the mapping in Integrations settings, then re-sync."),
            "validation": N_("Correct the field named above in Roger, then re-sync."),
            "booked": N_("The entry is booked in the ERP; change it there if it must change."),
            "unsupported": N_("The ERP cannot do this; contact support."),
        }.get(error.category.value, "")
    return (
        N_("Found the entry Roger had created earlier by its marker and linked it; no duplicate was made.")
        if adopted
        else ""
    )


def describe(data: Data | None) -> dict:
    if data is None:
        return {}
    return {"marker": data.marker, **data.comparable()}


def jsonable(value):
    return json.loads(json.dumps(value, default=str))


def update_entry(work: Work, now, *, final: bool) -> None:
    entry = work.entry
    if work.waiting:
        return  # nothing was read or written: the entry keeps its state while its job waits
    _update_bill(work, now, final=final)
    refused = attachment_error(work)
    if refused is not None and entry.state == ErpEntry.State.SYNCED:
        # The bill is in step; its file is not: say why, and ask a person once retries are over (R15).
        entry.attachment_note = refused.message[:500]
        entry.needs_attention = entry.needs_attention or final


def _update_bill(work: Work, now, *, final: bool) -> None:
    entry = work.entry
    error = final_error(work) or booking_error(work)
    state = (work.booking.state if work.booking else None) or work.after_payment or current_state(work)
    if state is not None:
        apply_state(entry, state)
    if error is None:
        is_blocked = blocked(work)
        shown = _blocked_error(work, state, SyncAttempt.Outcome.BLOCKED) if is_blocked else None
        entry.state = ErpEntry.State.BLOCKED if is_blocked else ErpEntry.State.SYNCED
        entry.needs_attention = is_blocked  # a change that could not reach a booked entry needs a human
        entry.error_category = ErrorCategory.BOOKED if is_blocked else ""
        entry.error_message = (shown.message if shown else "")[:1000]
        entry.error_hint = (shown.hint if shown else "")[:500]
        if not is_blocked:
            entry.fingerprint = fingerprint(work.data)
            entry.synced_version = work.document.version
            entry.last_synced_at = now
        return
    if error.code == "parked":
        return  # nothing reached the ERP: the entry keeps its state while the open job waits for the limit
    if error.category == ErrorCategory.AUTHENTICATION:
        # Not this document's failure: the integration needs reconnecting and the job waits (paused); the
        # integration card says so, and the document syncs by itself after the reconnect.
        entry.error_category = error.category.value
        entry.error_message = error.message[:1000]
        entry.error_hint = hint(error, adopted=False)[:500]
        return
    pending = entry.write_sent_at is not None and not final
    entry.state = ErpEntry.State.UNCERTAIN if (error.uncertain or pending) else ErpEntry.State.FAILED
    entry.uncertain = entry.uncertain or (error.uncertain and not entry.erp_id)
    entry.needs_attention = final  # only failures that remain after automatic retries (R15)
    entry.error_category = error.category.value
    entry.error_message = error.message[:1000]
    entry.error_hint = hint(error, adopted=False)[:500]


def document_outcome(works: list[Work], job_state: str) -> tuple[str, str]:
    """The worst outcome of a document's entries, for bulk progress: failed > blocked > created > updated…"""
    if job_state == "failed" or any(final_error(w) for w in works):
        message = next((e.message for e in (final_error(w) for w in works) if e), "Failed")
        return "failed", message[:500]
    outcomes = set()
    for work in works:
        if work.result is not None:
            outcomes.add(work.result.outcome.value)
        else:
            outcomes.add({"blocked": "blocked", "adopt": "updated"}.get(work.action, "unchanged"))
    for candidate in ("blocked", "created", "updated"):
        if candidate in outcomes:
            return candidate, ""
    return "unchanged", ""


ENTRY_FIELDS = [
    "erp_id",
    "erp_number",
    "erp_url",
    "erp_status",
    "booked",
    "booked_reason",
    "state",
    "fingerprint",
    "synced_version",
    "last_synced_at",
    "uncertain",
    "write_sent_at",
    "write_generation",
    "attachment_note",
    "needs_attention",
    "error_category",
    "error_message",
    "error_hint",
]
