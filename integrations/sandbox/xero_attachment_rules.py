"""Xero's rules for files on a document (``PUT``/``POST /{Endpoint}/{Guid}/Attachments/{FileName}``).

From developer.xero.com/documentation/api/accounting/attachments: the body is the raw file; "PUT is identical to
POST. If an attachment already exists on the specified document, then the attachment being uploaded will overwrite
it" (the file name is the key); "10 attachments can be uploaded per document (each up to 10mb in size)" — the
invoices and credit notes pages say 25mb, so the sandbox plays the smaller figure; file names with ``< > : " / \\ |
? *`` or NUL "will be rejected as a Bad Request".  There is no DELETE (Xero's OpenAPI description has GET, PUT and
POST only).  A file over the limit is refused before Xero's application sees it:
``413 {"Title":"RequestEntityTooLarge","Status":413,"Detail":"PayloadTooLarge",…}`` (XeroAPI/Xero-Java#349).

Not documented, so the sandbox plays the worst case: a *booked* document (PAID, VOIDED, DELETED, with a payment
or credit applied, or approved and dated in a locked period) takes no new file; an empty file is refused; the type
comes from the request's ``Content-Type`` unless that is ``application/octet-stream`` (what Xero's SDKs send),
else from the file name's extension, and only the types Xero lists are taken.  These messages are the sandbox's.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from integrations.sandbox.xero_model import EMPTY_ID, Attachment, Invoice, Org, new_id

MAX_BYTES = 10_000_000
MAX_PER_DOCUMENT = 10
FORBIDDEN = frozenset('<>:"/\\|?*\0')
# The file types Xero's announcement of attachments listed (community.xero.com/developer/discussion/3095073),
# by extension, with the MIME type the sandbox reports for each.
TYPES = {
    "bmp": "image/bmp", "csv": "text/csv", "doc": "application/msword",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "gif": "image/gif",
    "jpeg": "image/jpeg", "jpg": "image/jpeg", "odf": "application/vnd.oasis.opendocument.formula",
    "pdf": "application/pdf", "png": "image/png", "ppt": "application/vnd.ms-powerpoint",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "rar": "application/vnd.rar", "rtf": "application/rtf", "tif": "image/tiff", "tiff": "image/tiff",
    "txt": "text/plain", "xls": "application/vnd.ms-excel",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "zip": "application/zip",
}  # fmt: skip
BAD_NAME = 'The file name {name!r} contains a character Xero does not allow (< > : " / \\ | ? * or NUL)'
EMPTY = "The file {name} is empty"
BAD_TYPE = "Files of type {ext!r} cannot be attached"
TOO_MANY = "A document can have at most 10 attachments; {name} would be the 11th"
BOOKED = "Files cannot be attached to this document: it is {why}"


@dataclass
class Refusal:
    status: int  # 400 (validation exception) or 413 (refused before the application)
    message: str


def why_booked(org: Org, document: Invoice) -> str:
    """Why a document takes no new file (the sandbox's worst case), or ''."""
    if document.Status in {"PAID", "VOIDED", "DELETED"}:
        return document.Status.lower()
    if document.AmountPaid > 0 or document.AmountCredited > 0:
        return "paid or credited in part"
    if document.Status == "AUTHORISED" and org.lock_error(document.Date):
        return "dated in a locked period"
    return ""


def check_upload(org: Org, document: Invoice, name: str, size: int) -> Refusal | None:
    if size > MAX_BYTES:
        return Refusal(413, "PayloadTooLarge")
    if not name or any(ch in FORBIDDEN for ch in name):
        return Refusal(400, BAD_NAME.format(name=name))
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in TYPES:
        return Refusal(400, BAD_TYPE.format(ext=extension or name))
    if size == 0:
        return Refusal(400, EMPTY.format(name=name))
    booked = why_booked(org, document)
    if booked:
        return Refusal(400, BOOKED.format(why=booked))
    files = org.attachments.get(document.InvoiceID, [])
    if len(files) >= MAX_PER_DOCUMENT and not any(f.FileName.casefold() == name.casefold() for f in files):
        return Refusal(400, TOO_MANY.format(name=name))
    return None


def store(org: Org, document: Invoice, name: str, content: bytes, content_type: str, online: bool) -> Attachment:
    """Add the file, or overwrite the one of the same name (a new AttachmentID: Xero does not say it keeps it)."""
    declared = (content_type or "").split(";")[0].strip().lower()
    mime = TYPES[name.rsplit(".", 1)[-1].lower()] if declared in {"", "application/octet-stream"} else declared
    attachment = Attachment(
        AttachmentID=new_id(),
        FileName=name,
        MimeType=mime,
        content=content,
        IncludeOnline=online,
        sha256=hashlib.sha256(content).hexdigest(),
    )
    files = [f for f in org.attachments.get(document.InvoiceID, []) if f.FileName.casefold() != name.casefold()]
    org.attachments[document.InvoiceID] = [*files, attachment]
    return attachment


def refused_element(name: str, size: int, message: str) -> dict[str, Any]:
    """The refused file as Xero echoes it in a ValidationException (XeroAPI/Xero-Java#126)."""
    return {
        "AttachmentID": EMPTY_ID,
        "FileName": name,
        "ContentLength": size,
        "ValidationErrors": [{"Message": message}],
    }


def find(org: Org, document_id: str, key: str) -> Attachment | None:
    """An attachment by its AttachmentID or its file name."""
    files = org.attachments.get(document_id.lower(), [])
    return next((f for f in files if f.AttachmentID == key.lower() or f.FileName.casefold() == key.casefold()), None)
