"""The document's file on its bill or credit note: ``PUT /{Invoices|CreditNotes}/{id}/Attachments/{FileName}``.

What Xero documents (developer.xero.com/documentation/api/accounting/attachments, "POST Attachments" / "PUT
Attachments"):

* the body is the raw file; Roger sends it as ``application/octet-stream``, the media type Xero's OpenAPI
  description gives every attachments upload (its SDKs do the same, see ``transport.py``), and the file name's
  extension says what it is;
* "10 attachments can be uploaded per document (each up to 10mb in size)" — the invoices and credit notes pages
  say "each up to 25mb", so Roger declares the smaller figure; a larger file is refused with 413
  ``PayloadTooLarge`` (XeroAPI/Xero-Java#349);
* file names with ``< > : " / \\ | ? *`` or NUL "will be rejected as a Bad Request"; brackets must be
  percent-encoded — Roger's names use none of these;
* "If an attachment already exists on the specified document, then the attachment being uploaded will overwrite
  it": the file name is the key.  Roger's name carries the file's checksum, so the same file always has the
  same name: sending it again after an outcome Roger never saw overwrites it instead of adding a copy, and no
  look at the entry's files is needed first;
* there is no way to delete an attachment: the API offers GET, PUT and POST on attachments only (Xero's OpenAPI
  description; XeroAPI/Xero-Java#408 asks for DELETE; "you can override but not delete", calcinai/xero-php#579).
  A replaced file is therefore *added* beside the earlier one, and the result says so.

Whether Xero takes a file on a paid, voided or locked-period bill is not documented.  Roger tries; when Xero
refuses, Roger reads the entry, and a booked entry's refusal is ``BLOCKED`` with the booked reason — the file
failing, never the bill.  A refusal on an entry holding 10 files already names the limit.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from integrations.connectors.attachments import AttachItem, AttachmentLimits, FileRef
from integrations.connectors.base import N_, ConnectorError, EntryKind, ErpError, ErrorCategory, ItemResult, Outcome
from integrations.connectors.xero import credit_lookups, lookups
from integrations.connectors.xero.validation import messages_of
from integrations.connectors.xero.values import err

if TYPE_CHECKING:
    from integrations.connectors.xero.connector import XeroConnector

LIMITS = AttachmentLimits(
    max_bytes=10_000_000,
    # The files Roger keeps; all three are among the types Xero takes (community.xero.com/developer/discussion/
    # 3095073, Xero's announcement of attachments: "… gif, jpeg, jpg, … pdf, png, …").
    content_types=frozenset({"application/pdf", "image/png", "image/jpeg"}),
    max_per_entry=10,
    can_delete=False,
)
EXTENSIONS = {"application/pdf": ".pdf", "image/png": ".png", "image/jpeg": ".jpg"}
KEPT_BESIDE = N_(
    "Xero cannot remove an attachment through its API: the earlier file stays on the entry beside this one."
)
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
# Letters that do not decompose into ASCII (a Danish supplier's "Ærø" stays readable as "Aeroe").
_LETTERS = str.maketrans({"æ": "ae", "Æ": "Ae", "ø": "oe", "Ø": "Oe", "ß": "ss", "œ": "oe", "Œ": "Oe", "ł": "l",
                          "Ł": "L", "đ": "d", "Đ": "D", "þ": "th", "Þ": "Th"})  # fmt: skip


def attachment_name(file: FileRef) -> str:
    """``<name>-<first 12 hex digits of the checksum>.<ext>``: readable in Xero, unique per content, stable across
    retries, and free of the characters Xero rejects or wants encoded."""
    stem = file.name.rsplit(".", 1)[0] if "." in file.name else file.name
    ascii_stem = unicodedata.normalize("NFKD", stem.translate(_LETTERS)).encode("ascii", "ignore").decode()
    safe = _UNSAFE.sub("-", ascii_stem).strip("-._")[:60].strip("-._") or "document"
    return f"{safe}-{file.sha256[:12].lower()}{EXTENSIONS.get(file.content_type, '')}"


def _says(item: AttachItem, bill: str, credit_note: str) -> str:
    """The message about a bill or about a credit note: two whole sentences, so each is translated whole."""
    return credit_note if item.credit_note else bill


def _key(item: AttachItem, name: str) -> str:
    key = item.idempotency_key or f"roger-attach-{item.entry_erp_id}-{name}"
    return key if len(key) <= 128 else "roger-attach-" + hashlib.sha256(key.encode()).hexdigest()


def _sent(item: AttachItem, name: str) -> dict[str, Any]:
    sent: dict[str, Any] = {
        "file": name,
        "size": item.file.size,
        "sha256": item.file.sha256,
        "content_type": item.file.content_type,
        "replaced": "",
    }
    if item.replaces:
        sent.update(kept_beside=item.replaces, note=KEPT_BESIDE)
    return sent


def _local_refusal(item: AttachItem) -> str:
    """Why the file cannot go, known without asking Xero (the engine checks the limits too)."""
    refusal = LIMITS.refusal(item.file)
    if refusal:
        return refusal
    if len(item.content) != item.file.size or hashlib.sha256(item.content).hexdigest() != item.file.sha256.lower():
        return N_("{name}: the stored file does not match its recorded size and checksum").format(name=item.file.name)
    return ""


def attach_files(conn: XeroConnector, items: Sequence[AttachItem]) -> list[ItemResult]:
    results: dict[str, ItemResult] = {}
    sent_any = False
    for index, item in enumerate(items):
        name = attachment_name(item.file)
        refusal = _local_refusal(item)
        if refusal:
            hint = N_("Upload a PDF, PNG or JPEG file of at most 10 MB.")
            error = err(ErrorCategory.VALIDATION, refusal, "file", hint)
            results[item.ref] = ItemResult(item.ref, Outcome.FAILED, error=error, sent=_sent(item, name))
            continue
        try:
            results[item.ref] = _upload(conn, item, name)
            sent_any = True
        except ConnectorError as exc:
            if not sent_any:
                raise
            results[item.ref] = ItemResult(item.ref, Outcome.FAILED, error=exc.error, sent=_sent(item, name))
            for later in items[index + 1 :]:
                error = replace(exc.error, uncertain=False)  # never sent
                results[later.ref] = ItemResult(later.ref, Outcome.FAILED, error=error)
            break
    return [results[i.ref] for i in items]


def _upload(conn: XeroConnector, item: AttachItem, name: str) -> ItemResult:
    endpoint = "CreditNotes" if item.credit_note else "Invoices"
    sent = _sent(item, name)
    try:
        reply = conn.api.request(
            "PUT",
            f"/{endpoint}/{item.entry_erp_id}/Attachments/{quote(name)}",
            upload=item.content,
            idempotency_key=_key(item, name),
            allow_404=True,
        )
    except ConnectorError as exc:
        if exc.error.category is not ErrorCategory.VALIDATION:
            raise  # the call failed as a whole (network, limits, permission): the caller decides
        if exc.error.status != 413:
            return ItemResult(item.ref, Outcome.FAILED, error=replace(exc.error, field="file"), sent=sent)
        error = err(
            ErrorCategory.VALIDATION,
            N_("Xero refused {name} as too large ({size} MB)").format(
                name=item.file.name, size=f"{item.file.size / 1_000_000:.1f}"
            ),
            "file",
            N_("Xero takes files of at most 10 MB: upload a smaller scan or PDF, then re-sync."),
            code="PayloadTooLarge",
            status=413,
        )
        return ItemResult(item.ref, Outcome.FAILED, error=error, sent=sent)
    if reply.status == 404:
        error = err(
            ErrorCategory.VALIDATION,
            _says(
                item, N_("The bill {erp_id} is no longer in Xero"), N_("The credit note {erp_id} is no longer in Xero")
            ).format(erp_id=item.entry_erp_id),
            hint=N_("Re-sync the document to enter it again."),
            status=404,
        )
        return ItemResult(item.ref, Outcome.FAILED, error=error, sent=sent)
    data = reply.data if isinstance(reply.data, dict) else {}
    if reply.status >= 400:
        messages = [m for e in data.get("Elements") or [] if isinstance(e, dict) for m in messages_of(e)]
        return _refused(conn, item, endpoint, name, messages, sent)
    stored = [a for a in data.get("Attachments") or [] if isinstance(a, dict)]
    attachment = next((a for a in stored if str(a.get("FileName", "")).casefold() == name.casefold()), None)
    if attachment is None:
        error = err(
            ErrorCategory.TEMPORARY,
            N_("Xero's answer did not list {name}").format(name=name),
            hint=N_("Roger checks Xero before sending it again."),
            uncertain=True,
        )
        return ItemResult(item.ref, Outcome.FAILED, error=error, sent=sent)
    return ItemResult(item.ref, Outcome.CREATED, sent=sent, erp_ref=str(attachment.get("AttachmentID", "")))


def _refused(
    conn: XeroConnector, item: AttachItem, endpoint: str, name: str, messages: list[str], sent: dict[str, Any]
) -> ItemResult:
    """A 400 for this file: a booked entry (BLOCKED), an entry full of files, or the file itself."""
    said = "; ".join(messages) or N_("Xero refused the file")
    fetch = credit_lookups.credit_notes_by_id if item.credit_note else lookups.invoices_by_id
    entry = fetch(conn.api, [item.entry_erp_id]).get(item.entry_erp_id)
    if entry is not None:
        conn.lock_dates()
        state = conn.state_of(EntryKind.BILL, entry)
        if state.booked:
            message = _says(
                item,
                N_("{reason} — Xero took no new file on the bill (Xero said: {said})"),
                N_("{reason} — Xero took no new file on the credit note (Xero said: {said})"),
            )
            error = ErpError(
                ErrorCategory.BOOKED,
                message.format(reason=state.booked_reason, said=said),
                field="file",
                hint=_says(
                    item,
                    N_("Attach the file to the bill in Xero by hand if it must be kept there."),
                    N_("Attach the file to the credit note in Xero by hand if it must be kept there."),
                ),
                code="ValidationException",
                status=400,
            )
            return ItemResult(item.ref, Outcome.BLOCKED, state=state, error=error, sent=sent)
    reply = conn.api.request("GET", f"/{endpoint}/{item.entry_erp_id}/Attachments")
    files = [a for a in (reply.data or {}).get("Attachments") or [] if isinstance(a, dict)]
    if LIMITS.max_per_entry is not None and len(files) >= LIMITS.max_per_entry:
        message = _says(
            item,
            N_("The bill holds {count} files in Xero, the most Xero allows (Xero said: {said})"),
            N_("The credit note holds {count} files in Xero, the most Xero allows (Xero said: {said})"),
        ).format(count=len(files), said=said)
        hint = _says(
            item,
            N_("Remove a file from the bill in Xero, then re-sync."),
            N_("Remove a file from the credit note in Xero, then re-sync."),
        )
    else:
        message = N_("Xero refused {name}: {said}").format(name=name, said=said)
        hint = N_("Upload the document's file again as a PDF, PNG or JPEG, then re-sync.")
    error = err(ErrorCategory.VALIDATION, message, "file", hint, code="ValidationException", status=400)
    return ItemResult(item.ref, Outcome.FAILED, error=error, sent=sent)
