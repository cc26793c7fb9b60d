"""What attaching a file to a voucher ends in (see ``attaching``): the results, and the refusals in Roger's words."""

from __future__ import annotations

from typing import Any

from integrations.connectors.attachments import AttachItem
from integrations.connectors.base import N_, EntryState, ErpError, ErrorCategory, ItemResult, Outcome
from integrations.connectors.economic.ids import ref_number

KEEPS_FILE_HINT = N_("The booked voucher keeps the file it has. Attach a corrected file in e-conomic if it needs one.")
FILE_HINT = N_("Open the file to check it is a readable PDF, PNG or JPEG, replace it in Roger if not, and re-sync.")


def done(item: AttachItem, sent: dict[str, Any], doc: dict[str, Any], *, replaced: bool) -> ItemResult:
    outcome = Outcome.UPDATED if replaced else Outcome.CREATED
    return ItemResult(item.ref, outcome, sent=sent, erp_ref=str(ref_number(doc, "number") or ""))


def failed(item: AttachItem, sent: dict[str, Any], error: ErpError) -> ItemResult:
    return ItemResult(item.ref, Outcome.FAILED, error=error, sent=sent)


def kept_on_booked(item: AttachItem, state: EntryState, sent: dict[str, Any], number: int | None) -> ItemResult:
    error = ErpError(
        ErrorCategory.BOOKED,
        N_("{reason}: it keeps the file Roger attached before (document {document})").format(
            reason=state.booked_reason, document=number
        ),
        hint=KEEPS_FILE_HINT,
        code="booked_keeps_file",
    )
    return ItemResult(item.ref, Outcome.BLOCKED, state=state, error=error, sent=sent)


def gone_error(item: AttachItem, detail: str = "") -> ErpError:
    return ErpError(
        ErrorCategory.VALIDATION,
        N_("Voucher {voucher} is no longer in e-conomic ({detail})").format(voucher=item.entry_erp_id, detail=detail)
        if detail
        else N_("Voucher {voucher} is no longer in e-conomic").format(voucher=item.entry_erp_id),
        hint=N_("It was deleted in e-conomic; Roger attaches the file once the bill is back in e-conomic."),
        code="not_found",
    )


def person_s_document(item: AttachItem, doc: dict[str, Any]) -> ErpError:
    number = ref_number(doc, "number")
    message = (
        N_(
            "Voucher {voucher} in e-conomic already has a document (document {document}) that Roger did not attach; "
            "e-conomic keeps one document per voucher, and Roger neither merges its file into it nor deletes it"
        ).format(voucher=item.entry_erp_id, document=number)
        if number
        else N_(
            "Voucher {voucher} in e-conomic already has a document that Roger did not attach; e-conomic keeps one "
            "document per voucher, and Roger neither merges its file into it nor deletes it"
        ).format(voucher=item.entry_erp_id)
    )
    return ErpError(
        ErrorCategory.VALIDATION,
        message,
        field="file",
        hint=N_(
            "If that document is this bill, nothing needs doing. To have Roger's file there instead, delete the "
            "document from the voucher in e-conomic and re-sync."
        ),
        code="voucher_has_document",
    )


def too_big_or_wrong_type(item: AttachItem, status: int) -> ErpError:
    message = (
        N_("e-conomic refused {file} as too large (HTTP {status})")
        if status == 413
        else N_("e-conomic refused {file} as of a type it does not take (HTTP {status})")
    )
    return ErpError(
        ErrorCategory.VALIDATION,
        message.format(file=item.file.name, status=status),
        field="file",
        hint=FILE_HINT,
        code="file_refused",
        status=status,
    )
