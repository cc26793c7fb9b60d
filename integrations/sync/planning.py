"""What a re-sync would do to each entry, read from the ERP's current state; nothing is written (R7)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class EntryPlan:
    kind: str  # "bill" | "payment"
    action: str  # "create" | "update" | "no_change" | "blocked" | "not_applicable" | "error"
    changes: dict[str, tuple[str, str]] = field(default_factory=dict)  # field → (ERP now, Roger)
    reason: str = ""  # why blocked / not applicable / the error
    hint: str = ""  # what the accountant can do
    erp_number: str = ""
    erp_url: str = ""


def plan_document(*, document, integration, kinds=None) -> list[EntryPlan]:
    """Per entry: create / update (with the fields that change) / no change / blocked — read from the ERP."""
    from integrations.connectors.base import ConnectorError, EntryKind
    from integrations.models import ErpEntry
    from integrations.sync import engine

    kinds = list(kinds or [EntryKind.BILL, EntryKind.PAYMENT])
    plans: list[EntryPlan] = []
    entries = {e.kind: e for e in ErpEntry.objects.filter(document=document, integration=integration)}
    history = engine._history(integration, [document.pk])
    document = engine._load_documents([document.pk])[document.pk]
    try:
        connector = engine._connector(integration)
    except ConnectorError as exc:
        return [EntryPlan(kind=str(k), action="error", reason=exc.error.message, hint=exc.error.hint) for k in kinds]
    bill_id = entries[EntryKind.BILL].erp_id if EntryKind.BILL in entries else ""
    for kind in kinds:
        if kind == EntryKind.PAYMENT and not document.is_paid:
            plans.append(EntryPlan(kind=str(kind), action="not_applicable",
                                   reason="The vendor payment is synced once the document is paid."))
            continue
        entry = entries.get(kind) or ErpEntry(document=document, integration=integration, kind=kind)
        work = engine.Work(job=None, document=document, kind=EntryKind(kind), entry=entry)  # type: ignore[arg-type]
        if kind == EntryKind.PAYMENT:
            if not bill_id:
                plans.append(EntryPlan(kind=str(kind), action="not_applicable",
                                       reason="The vendor bill must be in the ERP before its payment."))
                continue
            work.bill_erp_id = bill_id  # type: ignore[attr-defined]
        plans.append(_plan_one(connector, integration, work, history))
    return plans


def _plan_one(connector, integration, work, history) -> EntryPlan:
    from integrations.connectors.base import ConnectorError
    from integrations.sync import engine

    kind = str(work.kind)
    engine._build_data(work, integration)
    if work.error is not None:
        return EntryPlan(kind=kind, action="error", reason=work.error.message, hint=work.error.hint)
    try:
        if work.entry.erp_id:
            engine._read_current(connector, work.kind, [work])
        if not work.entry.erp_id and engine._must_look_up(work, history):
            engine._reconcile(connector, work.kind, [work])
    except ConnectorError as exc:
        return EntryPlan(kind=kind, action="error", reason=exc.error.message, hint=exc.error.hint)
    if work.error is not None:
        return EntryPlan(kind=kind, action="error", reason=work.error.message, hint=work.error.hint)
    engine._plan(work)
    state = work.state
    action = {"adopt": "update" if work.changes else "no_change"}.get(work.action, work.action)
    return EntryPlan(
        kind=kind, action=action, changes=work.changes,
        reason=state.booked_reason if state and work.action == "blocked" else "",
        hint=state.booked_hint if state and work.action == "blocked" else "",
        erp_number=state.number if state else "", erp_url=state.url if state else "",
    )
