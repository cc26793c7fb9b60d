"""The Documents API (openapi-Documents.json 4.0.1, under ``/documentsapi/v4.0.1``): a file on a voucher.

* ``POST /AttachedDocuments`` (AttachPdfAsync): ``multipart/form-data`` with ``file``, ``accountingYear``,
  ``voucherNumber`` (required), ``note`` (≤250) and ``onConflict`` ("0 = Merge (default), 1 = Fail", 4.0.0) →
  201 ``CreatedResult {number}``.  "Attach a PDF or an image (JPG or PNG) to Booked or Draft Entries"; the
  ``file`` property: "Max allowed file size: 9 MB" (``x-max-file-upload-size-in-bytes`` 9437184), "Allowed
  content types: application/pdf …, image/jpeg …, image/png".  One document per voucher: with ``onConflict`` 1 a
  second file is refused (``DocumentAlreadyAttachedToVoucher``), with 0 it is merged into the voucher's document.
* ``GET /AttachedDocuments`` (cursor, ``filter`` on ``number``, ``voucherNumber``, ``accountingYear``), ``GET`` and
  ``DELETE /AttachedDocuments/{number}`` (2.1.0: "deattach the document … and delete it from storage").
* Errors: problem+json with the tag's ``x-error-codes`` only (``AccountingYearNotFound``, ``InvalidVoucherNumber``,
  ``InvalidFileData``, ``DocumentAlreadyAttachedToVoucher``, ``UnableToAttach``).

Worst cases where the description is silent: the type is judged from the content (magic bytes and an intact end),
never the name; a file over 9 MB gets an HTML 413 (what a gateway sends); a voucher dated in a closed period or
year takes no file (``UnableToAttach``); a document on a booked voucher is not deleted (400); a deleted draft's
document stays on its voucher number; a voucher number is looked up in every journal (the API names none).
Not emulated: ``/paged``, ``/count``, ``/deletebulk``, ``/{number}/pdf`` (the web page serves the file).
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, date, datetime
from typing import Any

from integrations.sandbox.economic.errors import PROBLEM_JSON, EconomicError, problem, problem_body
from integrations.sandbox.economic.formdata import FormDataError, Part, parse
from integrations.sandbox.economic.ledger import cursor_page
from integrations.sandbox.economic.model import Agreement, AttachedDocument, StoredFile
from integrations.sandbox.messages import Request, Response, json_response

MAX_FILE_BYTES = 9_437_184
ALLOWED_TYPES = ("application/pdf", "image/jpeg", "image/png")
DOCUMENT_FILTERABLE = {"number", "voucherNumber", "accountingYear"}
NOTE_MAX = 250
_PDF_PAGE = re.compile(rb"/Type\s*/Page(?![A-Za-z])")


def sniff(content: bytes) -> str:
    """The file's type judged from its bytes, "" when it is none of the allowed types or is cut off."""
    if content.startswith(b"%PDF-") and b"%%EOF" in content[-1024:]:
        return "application/pdf"
    if content.startswith(b"\x89PNG\r\n\x1a\n") and b"IEND" in content[-16:]:
        return "image/png"
    if content.startswith(b"\xff\xd8\xff") and content.rstrip(b"\x00").endswith(b"\xff\xd9"):
        return "image/jpeg"
    return ""


def pages_of(content: bytes, content_type: str) -> int:
    if content_type != "application/pdf":
        return 1
    return max(1, len(_PDF_PAGE.findall(content)))


def document_json(doc: AttachedDocument) -> dict[str, Any]:
    """``AttachedDocument`` (additionalProperties false; ``File`` dropped from GETs in 3.0.0)."""
    out: dict[str, Any] = {"number": doc.number}
    if doc.note:
        out["note"] = doc.note
    out["pageCount"] = doc.page_count
    out["voucherNumber"] = doc.voucher
    out["accountingYear"] = doc.year
    return out


def documents_api(ag: Agreement, request: Request, parts: list[str]) -> Response:
    method = request.method
    if parts and parts[0].lower() != "attacheddocuments":
        parts = []
    if method == "GET" and len(parts) == 1:
        items = [document_json(d) for d in ag.documents.values()]
        return cursor_page(request, items, "number", DOCUMENT_FILTERABLE)
    if method == "POST" and len(parts) == 1:
        return _attach(ag, request)
    if method in ("GET", "DELETE") and len(parts) == 2 and parts[1].isdigit():
        doc = ag.documents.get(int(parts[1]))
        if doc is None:
            raise problem(404, "Not found.", detail=f"No attached document {parts[1]}.")
        if method == "GET":
            return json_response(200, document_json(doc))
        if ag.voucher_booked(doc.year, doc.voucher):
            # Not documented either way: the worst case keeps a booked voucher's document.
            raise problem(
                400,
                "Bad request.",
                message=f"Document {doc.number} belongs to booked voucher {doc.year}-{doc.voucher} and is kept.",
                prop="number",
            )
        del ag.documents[doc.number]
        return Response(status=204)
    raise problem(404, "Not found.", detail=f"The Documents sandbox does not serve {method} {'/'.join(parts)}.")


def _attach(ag: Agreement, request: Request) -> Response:
    try:
        form = parse(request.body, request.header("Content-Type") or "")
    except FormDataError as exc:
        raise problem(400, "Bad request.", message=str(exc), prop="file") from None
    file, year, voucher, note, on_conflict = _fields(form)
    if file.size_over_limit:
        # What e-conomic answers above 9 MB is not described: an HTML 413, as a gateway in front would send.
        return Response(
            413, b"<html><body><h1>413 Request Entity Too Large</h1></body></html>", content_type="text/html"
        )
    content_type = sniff(file.part.content)
    if not content_type or file.part.content_type not in ALLOWED_TYPES or content_type != file.part.content_type:
        raise problem(
            400,
            "Bad request.",
            code="InvalidFileData",
            message="Failed attaching file, perhaps the file is corrupt or not of a supported file type (.pdf, .jpg, "
            ".jpeg, .png).",
            prop="file",
        )
    if year not in ag.years:
        raise problem(
            400,
            "Bad request.",
            code="AccountingYearNotFound",
            message="Accounting year name was not found",
            prop="accountingYear",
        )
    dates = ag.voucher_dates(year, voucher)
    if not dates:
        raise problem(
            400,
            "Bad request.",
            code="InvalidVoucherNumber",
            message="Voucher number does not exist in the specified accounting year",
            prop="voucherNumber",
        )
    closed = [reason for day in dates if (reason := ag.closed_reason(year, date.fromisoformat(day))[0])]
    if closed:  # not described: the worst case refuses a voucher dated in a closed period or year
        raise problem(
            400,
            "Bad request.",
            code="UnableToAttach",
            message=f"File was uploaded, but it was not attached to the entry due to errors: {closed[0]}",
            prop="voucherNumber",
        )
    stored = StoredFile(
        name=file.part.filename or "file",
        content_type=content_type,
        content=file.part.content,
        sha256=hashlib.sha256(file.part.content).hexdigest(),
        pages=pages_of(file.part.content, content_type),
    )
    existing = ag.document_of(year, voucher)
    if existing is not None:
        if on_conflict == 1:
            raise problem(
                400,
                "Bad request.",
                code="DocumentAlreadyAttachedToVoucher",
                message="The voucher already has a document attached and merging was not allowed",
                prop="voucherNumber",
            )
        existing.files.append(stored)  # "Merge (default)": the file joins the voucher's document
        return _created(existing.number)
    doc = AttachedDocument(
        number=ag.next_document,
        year=year,
        voucher=voucher,
        note=note,
        created=datetime.now(UTC).date().isoformat(),
        files=[stored],
    )
    ag.next_document += 1
    ag.documents[doc.number] = doc
    return _created(doc.number)


class _File:
    def __init__(self, part: Part) -> None:
        self.part = part
        self.size_over_limit = len(part.content) > MAX_FILE_BYTES


def _fields(form: dict[str, Part]) -> tuple[_File, str, int, str, int]:
    errors: list[dict[str, Any]] = []
    file = form.get("file")
    if file is None or file.filename is None:
        errors.append({"message": "The file field is required.", "property": "file"})
    elif not file.content:
        errors.append({"message": "The file is empty.", "errorCode": "InvalidFileData", "property": "file"})
    year = form["accountingyear"].text().strip() if "accountingyear" in form else ""
    if not year or len(year) > 11:
        errors.append(
            {"message": "The accountingYear field is required (at most 11 characters).", "property": "accountingYear"}
        )
    raw_voucher = form["vouchernumber"].text().strip() if "vouchernumber" in form else ""
    voucher = int(raw_voucher) if raw_voucher.isdigit() else 0
    if not 1 <= voucher <= 999_999_999:
        errors.append(
            {"message": "The voucherNumber field must be between 1 and 999999999.", "property": "voucherNumber"}
        )
    note = form["note"].text() if "note" in form else ""
    if len(note) > NOTE_MAX:
        errors.append({"message": f"The note can be at most {NOTE_MAX} characters.", "property": "note"})
    raw_conflict = form["onconflict"].text().strip() if "onconflict" in form else "0"
    if raw_conflict not in ("0", "1"):
        errors.append({"message": "onConflict must be 0 (Merge) or 1 (Fail).", "property": "onConflict"})
    if errors:
        body = problem_body(400, "Bad request.", detail="Your request does not pass our validation.", errors=errors)
        raise EconomicError(400, body, PROBLEM_JSON)
    return _File(file), year, voucher, note, int(raw_conflict)  # type: ignore[arg-type]


def _created(number: int) -> Response:
    return json_response(201, {"number": number}, headers={"Location": f"AttachedDocuments/{number}"})
