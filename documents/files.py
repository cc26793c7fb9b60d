"""A document's source file (R17): what is accepted, read from the content and never from the name.

An upload is accepted when it is a PDF, PNG or JPEG that a maintained parser can open (pypdf, Pillow), not empty,
within ``ROGER_DOCUMENT_MAX_BYTES``, and named without path separators or control characters.  Everything else is
refused with a message that names the problem, before anything is stored.
"""

from __future__ import annotations

import hashlib
import io
import unicodedata
from dataclasses import dataclass
from pathlib import PurePosixPath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

PDF, PNG, JPEG = "application/pdf", "image/png", "image/jpeg"
EXTENSION = {PDF: ".pdf", PNG: ".png", JPEG: ".jpg"}
_SIGNATURES = ((b"%PDF-", PDF), (b"\x89PNG\r\n\x1a\n", PNG), (b"\xff\xd8\xff", JPEG))


@dataclass(frozen=True)
class CheckedFile:
    name: str  # the uploaded name, with the extension its content calls for
    content_type: str
    content: bytes
    sha256: str

    @property
    def size(self) -> int:
        return len(self.content)


def check_upload(upload: UploadedFile) -> CheckedFile:
    """The upload, checked; ``ValidationError`` on the ``file`` field otherwise.  Reads it once, within the limit."""
    name = _checked_name(upload.name or "")
    limit = settings.ROGER_DOCUMENT_MAX_BYTES
    if upload.size is not None and upload.size > limit:
        raise _refuse(_("%(name)s is %(size)s; files of at most %(limit)s are accepted."), name, upload.size, limit)
    content = upload.read(limit + 1)
    if not content:
        raise ValidationError({"file": _("%(name)s is empty.") % {"name": name}})
    if len(content) > limit:
        raise _refuse(_("%(name)s is %(size)s; files of at most %(limit)s are accepted."), name, len(content), limit)
    content_type = _sniff(content)
    if content_type is None:
        raise ValidationError(
            {
                "file": _("%(name)s is not a PDF, PNG or JPEG file (its content says so, whatever its name).")
                % {"name": name}
            }
        )
    _check_readable(content, content_type, name)
    stem = PurePosixPath(name).stem or "document"
    return CheckedFile(
        name=f"{stem}{EXTENSION[content_type]}",
        content_type=content_type,
        content=content,
        sha256=hashlib.sha256(content).hexdigest(),
    )


def _checked_name(name: str) -> str:
    if not name.strip():
        raise ValidationError({"file": _("The file has no name.")})
    if "/" in name or "\\" in name:
        raise ValidationError({"file": _("The file name “%(name)s” contains a path separator.") % {"name": name}})
    if any(unicodedata.category(ch) == "Cc" for ch in name):
        shown = name.encode("unicode_escape").decode("ascii")
        raise ValidationError({"file": _("The file name “%(name)s” contains control characters.") % {"name": shown}})
    if len(name) > 150:
        raise ValidationError({"file": _("The file name is longer than 150 characters.")})
    return unicodedata.normalize("NFC", name.strip())


def _sniff(content: bytes) -> str | None:
    for signature, content_type in _SIGNATURES:
        if content.startswith(signature):
            return content_type
    return None


def _check_readable(content: bytes, content_type: str, name: str) -> None:
    """A file that starts like a PDF or an image but cannot be opened is refused: the ERP and the auditor could not
    open it either."""
    try:
        if content_type == PDF:
            from pypdf import PdfReader

            if len(PdfReader(io.BytesIO(content), strict=False).pages) < 1:
                raise ValueError("no pages")
        else:
            from PIL import Image

            with Image.open(io.BytesIO(content)) as image:
                image.verify()
    except Exception as exc:  # every parser failure means the same to the accountant: the file is broken
        raise ValidationError(
            {
                "file": _("%(name)s looks like a %(kind)s but cannot be opened (%(why)s).")
                % {"name": name, "kind": EXTENSION[content_type][1:].upper(), "why": type(exc).__name__}
            }
        ) from None


def _refuse(message: str, name: str, size: int, limit: int) -> ValidationError:
    return ValidationError({"file": message % {"name": name, "size": human_size(size), "limit": human_size(limit)}})


def human_size(size: int) -> str:
    if size >= 1_000_000:
        return f"{size / 1_000_000:.1f} MB"
    if size >= 1_000:
        return f"{size / 1_000:.0f} kB"
    return f"{size} B"


def read_content(document) -> bytes:
    """The stored file's bytes (for the ERP upload), through the storage that holds them."""
    with document.file.open("rb") as handle:
        return handle.read()
