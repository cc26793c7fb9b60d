"""Batch writes shared by bills and payments: ``summarizeErrors=false``, one result per element, and the
current state of entries about to be updated (the booked ones are never written, R12)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from integrations.connectors.base import (
    N_,
    BillData,
    ConnectorError,
    EntryKind,
    EntryState,
    ErrorCategory,
    ItemResult,
    Outcome,
    WriteItem,
    batch_idempotency_key,
    chunks,
)
from integrations.connectors.http import jsonable
from integrations.connectors.xero.checks import check_bill, check_payment
from integrations.connectors.xero.transport import Reply
from integrations.connectors.xero.validation import classify_validation, element_failed, messages_of, summary_message
from integrations.connectors.xero.values import err

if TYPE_CHECKING:
    from integrations.connectors.xero.connector import XeroConnector

Todo = Sequence[tuple[WriteItem, dict[str, Any]]]


def elements_of(reply: Reply, wrapper: str) -> list[dict[str, Any]]:
    data = reply.data if isinstance(reply.data, Mapping) else {}
    if reply.status == 400:
        return [e for e in data.get("Elements") or [] if isinstance(e, Mapping)]
    return [e for e in data.get(wrapper) or [] if isinstance(e, Mapping)]


def prechecked(items: Sequence[WriteItem], results: dict[str, ItemResult]) -> list[WriteItem]:
    valid = []
    for item in items:
        data = item.data
        error = check_bill(data) if isinstance(data, BillData) else check_payment(data)
        if error is None:
            valid.append(item)
        else:
            results[item.ref] = ItemResult(item.ref, Outcome.FAILED, error=error)
    return valid


def write_batch(
    conn: XeroConnector, kind: EntryKind, method: str, path: str, wrapper: str, batch: Todo, outcome: Outcome
) -> list[ItemResult]:
    """One batch write with ``summarizeErrors=false``: one result per element, matched by position.  Without it
    Xero answers 400 for one bad element while still creating the valid ones (XeroAPI/xero-ruby#247)."""
    items = [item for item, _ in batch]
    bodies = [body for _, body in batch]
    reply = conn.api.request(
        method,
        path,
        params=[("summarizeErrors", "false")],
        body={wrapper: bodies},
        idempotency_key=batch_idempotency_key("roger", items),
    )
    elements = elements_of(reply, wrapper)
    if len(elements) != len(items):
        # Xero summarised (or lost) elements: which ones were saved is unknown, so reconcile them all.
        error = err(
            ErrorCategory.TEMPORARY if reply.status < 400 else ErrorCategory.VALIDATION,
            summary_message(reply.data),
            hint=N_("Roger checks Xero before sending again."),
            uncertain=True,
            code="ValidationException" if reply.status == 400 else None,
            status=reply.status,
        )
        return [ItemResult(i.ref, Outcome.FAILED, error=error, sent=jsonable(b)) for i, b in batch]
    results: list[ItemResult] = []
    for item, body, element in zip(items, bodies, elements, strict=True):
        if element_failed(element):
            error = classify_validation(messages_of(element), kind, status=reply.status)
            results.append(ItemResult(item.ref, Outcome.FAILED, error=error, sent=jsonable(body)))
        else:
            results.append(ItemResult(item.ref, outcome, state=conn.state_of(kind, element), sent=jsonable(body)))
    return results


def run_batches(
    conn: XeroConnector, kind: EntryKind, method: str, path: str, wrapper: str, todo: Todo, outcome: Outcome
) -> dict[str, ItemResult]:
    """Batches of ≤ 50.  A whole-call failure raises if nothing was written yet; after a batch went
    through, the failure is reported per item instead so the written batches' ids are not lost."""
    done: dict[str, ItemResult] = {}
    batches = list(chunks(todo, conn.max_batch))
    for index, batch in enumerate(batches):
        try:
            results = write_batch(conn, kind, method, path, wrapper, batch, outcome)
        except ConnectorError as exc:
            if not done:
                raise
            for item, body in batch:
                done[item.ref] = ItemResult(item.ref, Outcome.FAILED, error=exc.error, sent=jsonable(body))
            for later in batches[index + 1 :]:
                for item, body in later:
                    error = replace(exc.error, uncertain=False)  # never sent
                    done[item.ref] = ItemResult(item.ref, Outcome.FAILED, error=error, sent=jsonable(body))
            return done
        done.update((r.ref, r) for r in results)
    return done


def current(
    conn: XeroConnector,
    kind: EntryKind,
    items: Sequence[WriteItem],
    results: dict[str, ItemResult],
    fetch: Callable[[Sequence[str]], dict[str, dict[str, Any]]],
) -> list[tuple[WriteItem, dict[str, Any], EntryState]]:
    """Read what Xero has now; settle the missing and the booked ones (never written)."""
    conn.lock_dates()
    raw = fetch([i.erp_id for i in items])
    live = []
    for item in items:
        element = raw.get(item.erp_id)
        if element is None:
            results[item.ref] = ItemResult(
                item.ref,
                Outcome.FAILED,
                state=EntryState(erp_id=item.erp_id, kind=kind, exists=False),
                error=err(
                    ErrorCategory.VALIDATION,
                    N_("Xero no longer has the entry {erp_id}").format(erp_id=item.erp_id),
                    hint=N_("Re-sync to create it again."),
                ),
            )
            continue
        state = conn.state_of(kind, element)
        if not state.exists:
            results[item.ref] = ItemResult(
                item.ref,
                Outcome.FAILED,
                state=state,
                error=err(
                    ErrorCategory.VALIDATION,
                    N_("The payment was deleted in Xero"),
                    hint=N_("Re-sync to create it again."),
                ),
            )
        elif state.booked:
            results[item.ref] = ItemResult(
                item.ref,
                Outcome.BLOCKED,
                state=state,
                error=err(ErrorCategory.BOOKED, state.booked_reason, hint=state.booked_hint),
            )
        else:
            live.append((item, element, state))
    return live
