"""What a re-sync would do to each entry, read from the ERP's current state; nothing is written (R7).

The plan applies the engine's own rules (``integrations.sync.engine.plans``), so the modal never promises what the
run will not do: an entry whose last write may still be processing at the ERP *waits*, and a payment whose bill is
booked with other data than Roger's is *blocked* with the bill's reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from integrations.connectors.base import N_


@dataclass(frozen=True)
class EntryPlan:
    kind: str  # "bill" | "payment"
    action: str  # "create" | "update" | "no_change" | "blocked" | "waiting" | "not_applicable" | "error"
    changes: dict[str, tuple[str, str]] = field(default_factory=dict)  # field → (ERP now, Roger)
    reason: str = ""  # why blocked / waiting / not applicable / the error
    hint: str = ""  # what the accountant can do
    erp_number: str = ""
    erp_url: str = ""
    # The document's file on a bill entry (R17): attach / replace / unchanged / refused / not_supported, or "".
    file: str = ""
    file_reason: str = ""


def plan_document(*, document, integration, kinds=None) -> list[EntryPlan]:
    """Per entry: create / update (with the fields that change) / no change / blocked — read from the ERP."""
    from integrations.connectors.base import ConnectorError, EntryKind
    from integrations.models import ErpEntry
    from integrations.sync.engine import credit_notes, loading
    from integrations.sync.engine import plans as rules
    from integrations.sync.engine.work import Work

    kinds = [EntryKind(k) for k in (kinds or [EntryKind.BILL, EntryKind.PAYMENT])]
    entries = {e.kind: e for e in ErpEntry.objects.filter(document=document, integration=integration)}
    history = loading.history(integration, [document.pk])
    document = loading.load_documents([document.pk])[document.pk]
    try:
        connector = loading.build_connector(integration)
    except ConnectorError as exc:
        return [EntryPlan(kind=str(k), action="error", reason=exc.error.message, hint=exc.error.hint) for k in kinds]
    settle = rules.settle_seconds(connector)

    def work_for(kind: EntryKind) -> Work:
        entry = entries.get(kind) or ErpEntry(document=document, integration=integration, kind=kind)
        work = Work(job=None, document=document, kind=kind, entry=entry)  # type: ignore[arg-type]
        work.settle_seconds = settle
        return work

    # The payment follows its bill, so the bill is planned whenever the payment is asked about.
    bill = work_for(EntryKind.BILL)
    bill_error = _plan_one(connector, integration, bill, history)
    result: list[EntryPlan] = []
    for kind in kinds:
        if kind == EntryKind.BILL:
            result.append(bill_error or _with_file(_as_plan(bill), bill, connector))
            continue
        allocate_to = ""
        if document.is_credit_note and not document.is_paid:
            # A credit note's payment entry before any refund: its allocation against the bill it corrects.
            credited = credit_notes.credited_entries(integration, [bill])
            allocate_to = credit_notes.allocation_target(connector, credited.get(document.credits_id or 0, {}))
        if not document.is_paid and not allocate_to:
            reason = (
                N_("The credit note is allocated to its bill where the ERP can, or synced as a refund once refunded.")
                if document.is_credit_note
                else N_("The vendor payment is synced once the document is paid in full.")
            )
            result.append(EntryPlan(kind="payment", action="not_applicable", reason=reason))
            continue
        bill_id = bill.entry.erp_id
        if not bill_id:
            result.append(
                EntryPlan(
                    kind="payment",
                    action="not_applicable",
                    reason=N_("The vendor bill must be in the ERP before its payment."),
                )
            )
            continue
        payment = work_for(EntryKind.PAYMENT)
        payment.bill_erp_id = bill_id
        payment.allocate_to = allocate_to
        error = _plan_one(connector, integration, payment, history)
        if error is None and bill_error is None:
            rules.hold_payments_behind_bills([payment], {document.pk: bill}, erp_name=integration.get_kind_display())
        result.append(error or _as_plan(payment))
    return result


def _plan_one(connector, integration, work, history) -> EntryPlan | None:
    """Plan ``work`` in place; an ``EntryPlan`` of action "error" when it cannot be planned."""
    from integrations.connectors.base import ConnectorError
    from integrations.sync.engine import plans as rules

    kind = str(work.kind)
    rules.build_data(work, integration)
    if work.error is None:
        rules.hold_unsettled([work], erp_name=integration.get_kind_display())
    if work.error is not None:
        return EntryPlan(kind=kind, action="error", reason=work.error.message, hint=work.error.hint)
    if work.waiting:
        return None
    try:
        if work.entry.erp_id:
            rules.read_current(connector, work.kind, [work])
        if not work.entry.erp_id and rules.must_look_up(work, history):
            rules.reconcile(connector, work.kind, [work])
    except ConnectorError as exc:
        return EntryPlan(kind=kind, action="error", reason=exc.error.message, hint=exc.error.hint)
    if work.error is not None:
        return EntryPlan(kind=kind, action="error", reason=work.error.message, hint=work.error.hint)
    rules.plan(work)
    return None


def _with_file(plan: EntryPlan, work, connector) -> EntryPlan:
    """What a re-sync does with the document's file: the engine's own rule (its checksum against the attached one)."""
    from dataclasses import replace

    file = getattr(work.data, "file", None)
    if file is None or plan.action in ("error", "waiting"):
        return plan
    limits = connector.attachment_limits
    if limits is None:
        return replace(plan, file="not_supported", file_reason=N_("The ERP takes no files through its API."))
    if limits.refusal(file):
        return replace(plan, file="refused", file_reason=limits.refusal(file))
    if work.entry.attachment_sha256 == file.sha256:
        return replace(plan, file="unchanged", file_reason=file.name)
    return replace(plan, file="replace" if work.entry.attachment_erp_id else "attach", file_reason=file.name)


def _as_plan(work) -> EntryPlan:
    if work.waiting:
        return EntryPlan(
            kind=str(work.kind),
            action="waiting",
            reason=work.wait_reason,
            hint=N_("Nothing to do: Roger continues by itself."),
        )
    if work.error is not None:
        return EntryPlan(kind=str(work.kind), action="error", reason=work.error.message, hint=work.error.hint)
    state = work.state
    action = {"adopt": "update" if work.changes else "no_change"}.get(work.action, work.action)
    blocked = work.action == "blocked"
    return EntryPlan(
        kind=str(work.kind),
        action=action,
        changes=work.changes,
        reason=(work.blocked_reason or (state.booked_reason if state else "")) if blocked else "",
        hint=(work.blocked_hint or (state.booked_hint if state else "")) if blocked else "",
        erp_number=state.number if state else "",
        erp_url=state.url if state else "",
    )
