"""The document's file on its voucher, through e-conomic's Documents API (``openapi-Documents.json`` 4.0.1,
tag ``AttachedDocuments``, server ``https://apis.e-conomic.com/documentsapi/v4.0.1/``).

Why this API: ``POST /AttachedDocuments`` (AttachPdfAsync) is documented to "attach a PDF or an image (JPG or PNG)
to Booked or Draft Entries", addressed by ``accountingYear`` + ``voucherNumber`` — Roger's entry id, which
survives booking.  The legacy ``/journals/:n/vouchers/:year-:number/attachment/file`` (restdocs, e-conomic/slate
``_journals.md``) addresses a voucher inside a journal, so a booked voucher is out of its reach; it is not used.

What the description says, and how Roger uses it:
* ``AttachedDocumentCreate.file``: "Max allowed file size: 9 MB", ``x-max-file-upload-size-in-bytes: 9437184``;
  "Allowed content types: application/pdf (.pdf), image/jpeg (.jpg), image/jpeg (.jpeg), image/png (.png)"
  (changelog 3.0.1 added JPG/PNG) → ``LIMITS``, checked before any call.
* One document per voucher: ``onConflict`` "Action when the voucher already has a document attached. 0 = Merge
  (default), 1 = Fail" (4.0.0), error ``DocumentAlreadyAttachedToVoucher``.  Roger always sends 1 (Fail): it never
  merges its file into a document a person attached, and an upload that landed although its answer was lost
  cannot be added a second time → ``max_per_entry = 1``.
* ``note`` (maxLength 250) is stored with the document and read back (``AttachedDocument.note``): Roger writes the
  file name, its entry's marker token and the first 16 hex digits of the file's SHA-256.  Before uploading, one
  ``GET /AttachedDocuments?filter=accountingYear$eq:…$and:voucherNumber$in:[…]`` per accounting year and batch
  (both ``x-filterable``) shows what each voucher has: a document carrying this file's checksum is adopted (a
  retry after an unknown outcome uploads nothing), Roger's earlier file is deleted, a person's is left alone.
* ``DELETE /AttachedDocuments/{number}`` (2.1.0: "deattach the document from the associated voucher number and
  delete it from storage") → ``can_delete``: a replaced file replaces Roger's document.
* ``Idempotency-Key`` ("Idempotency tokens", one hour; a cached answer carries ``X-ResultFromCache: true``): sent,
  derived from the engine's key and what was deleted first; a cached answer is checked against the list, so a
  replay naming a document since deleted never passes for an attached file.
* Errors (tag ``x-error-codes``): ``InvalidFileData``, ``CannotAttachToElectronicInvoice`` → VALIDATION naming
  the file; ``AccountingYearNotFound``, ``InvalidVoucherNumber`` → the voucher is gone; ``UnableToAttach`` ("File
  was uploaded, but it was not attached to the entry due to errors") → BLOCKED when the voucher is booked or in a
  closed period, else VALIDATION.

Booked vouchers: one without a file gets it (documented above); one with Roger's file keeps it — Roger deletes
nothing there (a booked entry keeps its file, issue #15; whether e-conomic would delete it is not documented) and
answers BLOCKED, as it does when e-conomic refuses a file on a booked voucher or one in a closed period.  Not
documented, so not relied on: whether e-conomic attaches in a closed period, what it answers to a file over 9 MB
(never sent; a 413/415 is read as the file refused).  A file whose first bytes are not its type's signature is
refused before anything is removed from the voucher.  Voucher numbers are per journal but the
Documents API knows none: a document found on the voucher that carries another entry's token is not Roger's.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from typing import Any

from urllib3 import encode_multipart_formdata

from integrations.connectors.attachments import AttachItem, AttachmentLimits
from integrations.connectors.base import (
    N_,
    ConnectorError,
    EntryState,
    ErpError,
    ErrorCategory,
    ItemResult,
    Outcome,
    chunks,
)
from integrations.connectors.economic.attach_results import (
    FILE_HINT,
    KEEPS_FILE_HINT,
    done,
    failed,
    gone_error,
    kept_on_booked,
    person_s_document,
    too_big_or_wrong_type,
)
from integrations.connectors.economic.errors import problem_codes
from integrations.connectors.economic.ids import IN_MAX, parse_erp_id, ref_number
from integrations.connectors.economic.reading import Reader

LIMITS = AttachmentLimits(
    max_bytes=9_437_184,
    content_types=frozenset({"application/pdf", "image/jpeg", "image/png"}),
    max_per_entry=1,
    can_delete=True,
)
NOTE_MAX = 250
NOTE_RE = re.compile(r"\[(roger-[0-9a-f]{16}) sha256:([0-9a-f]{16})\]")
# How each allowed type begins (PDF 1.7 §7.5.2 header, PNG signature, JPEG SOI marker).
SIGNATURES = {"application/pdf": b"%PDF-", "image/png": b"\x89PNG\r\n\x1a\n", "image/jpeg": b"\xff\xd8\xff"}
FAIL_ON_CONFLICT = "1"  # VoucherDocumentConflictAction: 0 = Merge (default), 1 = Fail
GONE_CODES = {"AccountingYearNotFound", "InvalidVoucherNumber"}
FILE_CODES = {"InvalidFileData", "CannotAttachToElectronicInvoice"}
Voucher = tuple[str, int]


def note_for(token: str, sha256: str, name: str) -> str:
    tag = f" [{token} sha256:{sha256[:16]}]"
    return name[: NOTE_MAX - len(tag)] + tag


def request_key(item: AttachItem, deleted: Sequence[int], suffix: str = "") -> str:
    """The engine's key, made specific to this upload: a file attached again after its replacement was deleted is
    a new request, not a replay of the first one's cached answer."""
    raw = f"{item.idempotency_key}|attach|{','.join(map(str, deleted))}{suffix}"
    return "roger-attach-" + hashlib.sha256(raw.encode()).hexdigest()[:48]


class Attacher:
    def __init__(self, reader: Reader) -> None:
        self.reader = reader
        self.client = reader.client

    def attach(self, items: Sequence[AttachItem]) -> list[ItemResult]:
        results: dict[str, ItemResult] = {}
        ready: list[tuple[AttachItem, Voucher]] = []
        for item in items:
            voucher = parse_erp_id(item.entry_erp_id)
            problem = self._precheck(item, voucher)
            if problem is not None:
                results[item.ref] = ItemResult(item.ref, Outcome.FAILED, error=problem, sent=sent_of(item))
            else:
                ready.append((item, voucher))  # type: ignore[arg-type]
        if ready:
            states: dict[str, EntryState] = {}
            for kind in {item.kind for item, _ in ready}:
                states.update(self.reader.read(kind, [i.entry_erp_id for i, _ in ready if i.kind is kind])[0])
            documents = self.documents([voucher for _, voucher in ready])
            for position, (item, voucher) in enumerate(ready):
                try:
                    results[item.ref] = self._attach_one(
                        item, voucher, states[item.entry_erp_id], documents.get(voucher, [])
                    )
                except ConnectorError as exc:
                    if not results:
                        raise  # nothing to report yet: the whole call failed
                    results[item.ref] = ItemResult(item.ref, Outcome.FAILED, error=exc.error, sent=sent_of(item))
                    for rest, _ in ready[position + 1 :]:  # the first whole-call failure stops the batch
                        results[rest.ref] = ItemResult(rest.ref, Outcome.FAILED, error=exc.error, sent=sent_of(rest))
                    break
        return [results[item.ref] for item in items]

    # -- reading what the vouchers have ------------------------------------------------------------------------
    def documents(self, vouchers: Sequence[Voucher]) -> dict[Voucher, list[dict[str, Any]]]:
        """The attached documents of each voucher, one cursor read per accounting year and 200 vouchers."""
        found: dict[Voucher, list[dict[str, Any]]] = {}
        for year in sorted({y for y, _ in vouchers}):
            numbers = sorted({n for y, n in vouchers if y == year})
            for group in chunks(numbers, IN_MAX):
                flt = f"accountingYear$eq:{year}$and:voucherNumber$in:[{','.join(map(str, group))}]"
                for doc in self.client.cursor("documents", "/AttachedDocuments", {"filter": flt}):
                    key = (str(doc.get("accountingYear") or ""), ref_number(doc, "voucherNumber") or 0)
                    found.setdefault(key, []).append(doc)
        return found

    # -- one file ----------------------------------------------------------------------------------------------
    @staticmethod
    def _precheck(item: AttachItem, voucher: Voucher | None) -> ErpError | None:
        refusal = LIMITS.refusal(item.file)
        if refusal:
            return ErpError(ErrorCategory.VALIDATION, refusal, field="file", hint=FILE_HINT, code="file_refused")
        if not item.content or len(item.content) != item.file.size:
            return ErpError(
                ErrorCategory.VALIDATION,
                N_("{file} is empty or not the stored file").format(file=item.file.name),
                field="file",
            )
        if hashlib.sha256(item.content).hexdigest() != item.file.sha256:
            return ErpError(
                ErrorCategory.VALIDATION,
                N_("{file} does not match its checksum").format(file=item.file.name),
                field="file",
            )
        if not item.content.startswith(SIGNATURES[item.file.content_type]):
            # Checked before anything is removed from the voucher: e-conomic refuses such a file as InvalidFileData.
            return ErpError(
                ErrorCategory.VALIDATION,
                N_("{file} is not a readable {content_type} file").format(
                    file=item.file.name, content_type=item.file.content_type
                ),
                field="file",
                hint=FILE_HINT,
                code="InvalidFileData",
            )
        if voucher is None:
            return ErpError(
                ErrorCategory.VALIDATION,
                N_("'{voucher}' is not an e-conomic voucher").format(voucher=item.entry_erp_id),
                code="not_found",
            )
        return None

    def _attach_one(
        self, item: AttachItem, voucher: Voucher, state: EntryState, documents: list[dict[str, Any]]
    ) -> ItemResult:
        sent = sent_of(item)
        if not state.exists:
            return failed(item, sent, gone_error(item))
        token = state.marker  # read() knows a voucher as Roger's only by its token, so it is never empty here
        mine = [
            d for d in documents if (token and _token_of(d) == token) or str(ref_number(d, "number")) == item.replaces
        ]
        same = next((d for d in mine if _checksum_of(d) == item.file.sha256[:16]), None)
        if same is not None:  # this very file is attached already (a retry after an unknown outcome): adopt it
            return done(item, {**sent, "found": ref_number(same, "number")}, same, replaced=bool(item.replaces))
        others = [d for d in documents if d not in mine]
        if others:
            return failed(item, sent, person_s_document(item, others[0]))
        if mine and state.booked:  # a booked entry (or one in a closed period) keeps the file it has (issue #15)
            return kept_on_booked(item, state, sent, ref_number(mine[0], "number"))
        deleted: list[int] = []
        for doc in mine:
            number = ref_number(doc, "number")
            if number is None:
                continue
            reply = self.client.request(
                "DELETE", f"/AttachedDocuments/{number}", api="documents", ok_statuses=(400, 404)
            )
            if reply.status == 400:
                return self._refused(item, state, {**sent, "replaced": ""}, reply.body, deleting=number)
            deleted.append(number)
        sent = {**sent, "replaced": ",".join(map(str, deleted))}
        return self._upload(item, voucher, state, token, sent, deleted)

    def _upload(
        self, item: AttachItem, voucher: Voucher, state: EntryState, token: str, sent: dict[str, Any], deleted: list
    ) -> ItemResult:
        note = note_for(token, item.file.sha256, item.file.name)
        body = encode_multipart_formdata(
            {
                "file": (item.file.name, item.content, item.file.content_type),
                "accountingYear": voucher[0],
                "voucherNumber": str(voucher[1]),
                "note": note,
                "onConflict": FAIL_ON_CONFLICT,
            },
            # A fixed boundary per file: a retried request is byte-identical to the first.
            boundary="roger-" + item.file.sha256[:32],
        )
        sent = {**sent, "note": note}
        for attempt in ("", ":again"):
            reply = self.client.request(
                "POST",
                "/AttachedDocuments",
                api="documents",
                multipart=body,
                idempotency_key=request_key(item, deleted, attempt),
                ok_statuses=(400, 404, 413, 415),
            )
            if reply.status in (413, 415):
                return failed(item, sent, too_big_or_wrong_type(item, reply.status))
            if reply.status in (400, 404):
                return self._refused(item, state, sent, reply.body, voucher=voucher)
            number = ref_number(reply.body, "number")
            if number is None:
                raise ConnectorError(
                    ErpError(
                        ErrorCategory.TEMPORARY,
                        N_("e-conomic's answer lacks the attached document's number"),
                        hint=N_("Roger looks at the voucher's documents before sending the file again."),
                        uncertain=True,
                        code="unexpected_response",
                    )
                )
            if str(reply.headers.get("X-ResultFromCache", "")).lower() != "true":
                return done(item, sent, {"number": number}, replaced=bool(deleted or item.replaces))
            # A cached answer: the document it names must still be on the voucher.
            current = self.documents([voucher]).get(voucher, [])
            if any(ref_number(d, "number") == number for d in current):
                return done(item, sent, {"number": number}, replaced=bool(deleted or item.replaces))
        raise ConnectorError(
            ErpError(
                ErrorCategory.TEMPORARY,
                N_("e-conomic answered the upload of {file} from its cache with a document it no longer has").format(
                    file=item.file.name
                ),
                hint=N_("Roger tries again later."),
                code="stale_cache",
            )
        )

    def _refused(
        self,
        item: AttachItem,
        state: EntryState,
        sent: dict[str, Any],
        body: Any,
        *,
        voucher: Voucher | None = None,
        deleting: int | None = None,
    ) -> ItemResult:
        codes, message = problem_codes(body)
        message = message or N_("e-conomic refused the file")
        if sent.get("replaced"):  # said plainly: the voucher has no file until the next attempt succeeds
            message = N_("{message} (Roger had removed its earlier file, document {document}, first)").format(
                message=message, document=sent["replaced"]
            )
        if "DocumentAlreadyAttachedToVoucher" in codes and voucher is not None:
            # Someone attached a document between Roger's look and its upload (or this very upload landed).
            current = self.documents([voucher]).get(voucher, [])
            same = next(
                (d for d in current if _token_of(d) == state.marker and _checksum_of(d) == item.file.sha256[:16]),
                None,
            )
            if same is not None:
                return done(item, {**sent, "found": ref_number(same, "number")}, same, replaced=bool(item.replaces))
            return failed(item, sent, person_s_document(item, current[0] if current else {}))
        if codes & GONE_CODES:
            return failed(item, sent, gone_error(item, message))
        if codes & FILE_CODES:
            error = ErpError(
                ErrorCategory.VALIDATION,
                N_("e-conomic refused {file}: {message}").format(file=item.file.name, message=message),
                field="file",
                hint=FILE_HINT,
                code=next(iter(codes & FILE_CODES)),
                status=400,
            )
            return failed(item, sent, error)
        fresh = self.reader.read(item.kind, [item.entry_erp_id])[0][item.entry_erp_id]
        if fresh.booked:
            refused = (
                N_("{reason}: e-conomic would not remove the earlier file (document {document}) ({message})").format(
                    reason=fresh.booked_reason, document=deleting, message=message
                )
                if deleting
                else N_("{reason}: e-conomic would not take {file} ({message})").format(
                    reason=fresh.booked_reason, file=item.file.name, message=message
                )
            )
            error = ErpError(
                ErrorCategory.BOOKED,
                refused,
                hint=KEEPS_FILE_HINT,
                code=next(iter(codes), None),
                status=400,
            )
            return ItemResult(item.ref, Outcome.BLOCKED, state=fresh, error=error, sent=sent)
        error = ErpError(
            ErrorCategory.VALIDATION,
            N_("e-conomic did not attach {file} to voucher {voucher}: {message}").format(
                file=item.file.name, voucher=item.entry_erp_id, message=message
            ),
            field="file",
            hint=N_("Re-sync to try again; if it keeps failing, attach the file in e-conomic."),
            code=next(iter(codes), None),
            status=400,
        )
        return failed(item, sent, error)


def _token_of(doc: dict[str, Any]) -> str:
    match = NOTE_RE.search(str(doc.get("note") or ""))
    return match.group(1) if match else ""


def _checksum_of(doc: dict[str, Any]) -> str:
    match = NOTE_RE.search(str(doc.get("note") or ""))
    return match.group(2) if match else ""


def sent_of(item: AttachItem) -> dict[str, Any]:
    """What is logged for an upload: the file described, never its bytes."""
    return {
        "file": item.file.name,
        "size": item.file.size,
        "sha256": item.file.sha256,
        "content_type": item.file.content_type,
        "replaced": item.replaces,
        "voucher": item.entry_erp_id,
    }


__all__ = ["LIMITS", "Attacher"]
