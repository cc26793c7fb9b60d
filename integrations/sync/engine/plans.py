"""Plan each entry against the ERP's current state (DESIGN §5 steps 4–5): create, update, no change or blocked.

Also the two rules that keep a plan from writing when writing could be wrong:

* **settle** — after a write whose outcome is unknown, the ERP may still be processing it (a client's timeout is
  not the ERP's).  Until the ERP's settle time has passed since that write was *sent*, the entry is left alone
  (the job waits, which is not an attempt); then it is read or looked up by marker again, right before any write.
* **a payment follows its bill** — a change the ERP cannot take on a booked bill is not pushed into the ERP
  through the bill's payment either (R12): the payment is blocked with the bill's reason, and a payment whose
  bill could not be brought in line waits for it.
"""

from __future__ import annotations

import hashlib
import json

from django.utils import formats, timezone

from integrations.connectors.base import N_, Connector, EntryKind, ErpError, ErrorCategory, chunks
from integrations.models import Integration
from integrations.sync import mapper
from integrations.sync.engine.work import Data, Work, conf


# --- data ------------------------------------------------------------------------------------------------------
def build_data(work: Work, integration: Integration) -> None:
    try:
        if work.kind == EntryKind.BILL:
            work.data = mapper.bill_data(work.document, integration)
        else:
            work.data = mapper.payment_data(work.document, integration, work.bill_erp_id, work.allocate_to)
    except mapper.MappingError as exc:
        work.error = exc.error


def fingerprint(data: Data | None) -> str:
    if data is None:
        return ""
    payload = json.dumps({"marker": data.marker, **data.comparable()}, sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()


# --- settle: writes of unknown outcome ---------------------------------------------------------------------------
def settle_seconds(connector: Connector) -> float:
    """How long after sending a write the ERP may still process it: what the ERP documents, else our setting."""
    documented = connector.write_settle_seconds
    return float(documented) if documented is not None else float(conf("WRITE_SETTLE_SECONDS"))


def hold_unsettled(works: list[Work], *, erp_name: str) -> None:
    """Leave alone every entry whose last write may still be processing at the ERP, until it cannot be."""
    now = timezone.now()
    for work in works:
        until = work.settles_at
        if until is not None and until > now:
            work.wait_until = until
            when = formats.time_format(timezone.localtime(until), "H:i:s")
            work.wait_reason = N_(
                "Outcome unknown — waiting until {when} before checking {erp} again, in case it is still "
                "processing Roger's earlier request (nothing is sent twice)."
            ).format(when=when, erp=erp_name)


# --- reads, reconciliation, plan -----------------------------------------------------------------------------
def read_current(connector: Connector, kind: EntryKind, works: list[Work]) -> None:
    for chunk in chunks(works, connector.max_batch):
        states = connector.read(kind, [w.entry.erp_id for w in chunk])
        for work in chunk:
            state = states.get(work.entry.erp_id)
            if state is None or not state.exists:
                # Gone from the ERP (deleted there): look it up by marker before anything is created again.
                work.entry.erp_id = ""
                work.entry.uncertain = True
            else:
                work.state = state


def must_look_up(work: Work, history: set) -> bool:
    """Look up by marker after an uncertain outcome or when a link Roger once had is missing (R13)."""
    return work.entry.uncertain or (work.entry.pk is None and (work.document.pk, work.kind.value) in history)


def reconcile(connector: Connector, kind: EntryKind, works: list[Work]) -> None:
    for chunk in chunks(works, connector.max_batch):
        found = connector.lookup_entries(kind, [w.data for w in chunk])  # type: ignore[misc]
        for work in chunk:
            hits = [s for s in found.get(work.data.marker, []) if s.exists]  # type: ignore[union-attr]
            if len(hits) == 1:
                work.state, work.adopted = hits[0], True
                work.entry.erp_id = hits[0].erp_id
            elif len(hits) > 1:
                numbers = ", ".join(h.number or h.erp_id for h in hits)
                work.error = ErpError(
                    ErrorCategory.VALIDATION,
                    N_(
                        "{count} entries in the ERP carry this document's marker ({numbers}); Roger will not guess."
                    ).format(count=len(hits), numbers=numbers),
                    field="marker",
                    hint=N_("Void or delete the duplicates in the ERP so that one remains, then re-sync."),
                )
            work.entry.uncertain = False


def plan(work: Work) -> None:
    wanted = work.data.comparable()  # type: ignore[union-attr]
    if work.state is None:
        work.action = "create"
        work.changes = {k: ("", v) for k, v in wanted.items() if v}
        return
    current = dict(work.state.fields)
    # A bank amount is compared only where the ERP reports one (``PaymentData.comparable``): a payment from an
    # account in the bill's own currency converts nothing, so the ERP has no other figure to hold.
    unreported = {"bank_amount"} - set(current)
    work.changes = {
        k: (current.get(k, ""), v) for k, v in wanted.items() if k not in unreported and current.get(k, "") != v
    }
    if not work.changes:
        work.action = "adopt" if work.adopted else "no_change"
    elif work.state.booked and work.entry.fingerprint and work.entry.fingerprint == fingerprint(work.data):
        # Booked, and the document still says what Roger last sent: nothing to change.  An ERP may not report
        # every field of a booked entry (e-conomic's ledger lines have no due date), which is not a change.
        work.action, work.changes = "no_change", {}
    elif work.state.booked:
        work.action = "blocked"
    else:
        work.action = "adopt" if work.adopted else "update"


def writes(work: Work) -> bool:
    return (
        work.error is None
        and not work.waiting
        and (work.action == "create" or (work.action in ("update", "adopt") and bool(work.changes)))
    )


# --- a payment follows its bill ---------------------------------------------------------------------------------
def hold_payments_behind_bills(payments: list[Work], bills: dict[int, Work], *, erp_name: str) -> None:
    """Per payment about to be written, look at its bill's plan in this run: blocked → blocked, failed → waits."""
    for work in payments:
        bill = bills.get(work.document.pk)
        if bill is None or not writes(work):
            continue
        if bill.waiting:
            work.wait_reason, work.wait_until = bill.wait_reason, bill.wait_until
        elif bill.action == "blocked":
            reason = bill.state.booked_reason if bill.state else N_("The vendor bill is booked.")
            changed = ", ".join(f"{field} {old or '—'} → {new or '—'}" for field, (old, new) in bill.changes.items())
            work.action = "blocked"
            work.blocked_reason = (
                N_("The vendor bill is booked in {erp} and still has other data than Roger ({changed}).").format(
                    erp=erp_name, changed=changed
                )
                + " "
                + N_("Writing the payment would leave the bill and its payment disagreeing, so nothing was sent.")
                + f" {reason}"
            )
            work.blocked_hint = ((bill.state.booked_hint + " ") if bill.state and bill.state.booked_hint else "") + N_(
                "Bring the bill in line in the ERP first (or correct Roger), then re-sync the payment."
            )
        elif bill.error is not None and bill.action in ("create", "update", "adopt"):
            temporary = bill.error.category == ErrorCategory.TEMPORARY
            work.error = ErpError(
                ErrorCategory.TEMPORARY if temporary else ErrorCategory.VALIDATION,
                N_("The vendor payment waits for the vendor bill, which could not be brought in line with Roger."),
                field="bill",
                hint=N_("Nothing to do: it follows the bill's retry.")
                if temporary
                else N_("Fix the vendor bill's error first; the payment follows on the next sync."),
            )
