"""The document's file on its bill entry (R17): attached after the entry is in the ERP, once per change of the file.

The checksum Roger last attached (``ErpEntry.attachment_sha256``) decides: a re-sync with the same file uploads
nothing.  The ERP's documented limits are checked before any request, so a file it would refuse fails without one.
An attachment is written like any other write — under a renewed lease, with its recovery point and settle time —
and logged as its own record (name, size, checksum; never the bytes).  A refused file fails the attachment, never
the bill.
"""

from __future__ import annotations

import time

from documents.files import read_content
from integrations.connectors.attachments import AttachItem
from integrations.connectors.base import N_, Connector, ConnectorError, ErpError, ErrorCategory, ItemResult, Outcome
from integrations.sync.engine.leases import Lease
from integrations.sync.engine.work import Work
from integrations.sync.engine.writes import mark_sending, upsert_entries


def needs_file(work: Work) -> bool:
    """An entry in the ERP whose file is missing or was replaced in Roger since it was attached."""
    file = getattr(work.data, "file", None)
    if file is None or work.error is not None or work.waiting or not work.entry.erp_id:
        return False
    if work.result is not None and work.result.outcome == Outcome.FAILED:
        return False
    return work.entry.attachment_sha256 != file.sha256


def attach(connector: Connector, lease: Lease, works: list[Work]) -> None:
    limits = connector.attachment_limits
    if limits is None:
        return
    ready: list[Work] = []
    for work in works:
        refusal = limits.refusal(work.data.file)  # type: ignore[union-attr]
        if refusal:
            work.attachment = ItemResult(work.ref, Outcome.FAILED, error=_refused(refusal), sent=_sent(work))
        else:
            ready.append(work)
    for start in range(0, len(ready), connector.max_batch):
        _attach_chunk(connector, lease, ready[start : start + connector.max_batch])


def _attach_chunk(connector: Connector, lease: Lease, works: list[Work]) -> None:
    items = [
        AttachItem(
            ref=work.ref,
            kind=work.kind,
            entry_erp_id=work.entry.erp_id,
            credit_note=work.data.credit_note,  # type: ignore[union-attr]
            file=work.data.file,  # type: ignore[union-attr, arg-type]
            content=read_content(work.document),
            replaces=work.entry.attachment_erp_id,
            idempotency_key=_attach_key(work),
        )
        for work in works
    ]
    mark_sending(lease, works, uncertain=False)
    started = time.monotonic()
    try:
        results = {r.ref: r for r in connector.attach(items)}
    except ConnectorError as exc:
        results = {w.ref: ItemResult(w.ref, Outcome.FAILED, error=exc.error) for w in works}
    elapsed = int((time.monotonic() - started) * 1000)
    for work in works:
        result = results.get(work.ref) or ItemResult(
            work.ref,
            Outcome.FAILED,
            error=ErpError(ErrorCategory.TEMPORARY, N_("The ERP returned no result for this file."), uncertain=True),
        )
        work.attachment = result if result.sent else ItemResult(**{**result.__dict__, "sent": _sent(work)})
        work.attachment_ms = elapsed
        _remember(work, result)
    upsert_entries(
        [w.entry for w in works],
        fields=["attachment_sha256", "attachment_erp_id", "attachment_note", "write_sent_at", "write_generation"],
    )


def _attach_key(work: Work) -> str:
    """Per (integration, document, file, write generation): as for any write, a retry of an upload of unknown
    outcome reuses it and a later upload does not (``writes.idempotency_key``)."""
    file = work.data.file  # type: ignore[union-attr]
    return f"roger:{work.entry.integration_id}:{work.document.public_id}:file:{file.sha256[:32]}:{work.entry.write_generation}"


def _remember(work: Work, result: ItemResult) -> None:
    entry = work.entry
    if not (result.error and result.error.uncertain):
        entry.write_sent_at = None
        entry.write_generation += 1
    if result.outcome in (Outcome.CREATED, Outcome.UPDATED):
        entry.attachment_sha256 = work.data.file.sha256  # type: ignore[union-attr]
        entry.attachment_erp_id = result.erp_ref or entry.attachment_erp_id
        entry.attachment_note = ""
    elif result.outcome == Outcome.BLOCKED:
        reason = result.error.message if result.error else N_("the entry is booked")
        entry.attachment_note = N_("Booked without its file: {reason}").format(reason=reason)[:500]


def attachment_error(work: Work) -> ErpError | None:
    result = work.attachment
    if result is None or result.outcome not in (Outcome.FAILED,):
        return None
    return result.error or ErpError(ErrorCategory.TEMPORARY, N_("The ERP did not take the file."))


def _refused(message: str) -> ErpError:
    return ErpError(
        ErrorCategory.VALIDATION,
        message,
        field="file",
        hint=N_("Upload the document's file as a PDF, PNG or JPEG within the ERP's size limit, then re-sync."),
    )


def _sent(work: Work) -> dict[str, object]:
    file = work.data.file  # type: ignore[union-attr]
    return {"file": file.name, "size": file.size, "sha256": file.sha256, "content_type": file.content_type}


def outcome(works: list[Work]) -> str:
    """What happened to the document's file in this run, for bulk progress: attached / unchanged / refused /
    blocked, or "" when it has none."""
    for work in works:
        file = getattr(work.data, "file", None)
        if file is None:
            continue
        if work.attachment is not None:
            return {Outcome.CREATED: "attached", Outcome.UPDATED: "attached", Outcome.BLOCKED: "blocked"}.get(
                work.attachment.outcome, "refused"
            )
        if work.entry.attachment_sha256 == file.sha256:
            return "unchanged"
    return ""
