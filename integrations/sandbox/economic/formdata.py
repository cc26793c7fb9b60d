"""``multipart/form-data`` bodies (RFC 7578), read with the standard library's e-mail parser.

Field names are matched case-insensitively, as the ASP.NET model binding behind e-conomic's OpenAPI services
does (the Documents description's own example sends ``File``/``AccountingYear``/``VoucherNumber`` where its schema
says ``file``/``accountingYear``/``voucherNumber``).
"""

from __future__ import annotations

from dataclasses import dataclass
from email import policy
from email.parser import BytesParser


class FormDataError(ValueError):
    """A body that is not readable form data (400)."""


@dataclass(frozen=True)
class Part:
    name: str
    filename: str | None  # None for a plain field
    content_type: str  # as declared in the part ("" when none was)
    content: bytes

    def text(self) -> str:
        return self.content.decode("utf-8", "replace")


def parse(body: bytes, content_type: str) -> dict[str, Part]:
    """The parts of a form by lower-cased field name (the first of a repeated name wins)."""
    if not content_type.lower().startswith("multipart/form-data") or "boundary=" not in content_type.lower():
        raise FormDataError("The request must be multipart/form-data with a boundary.")
    header = b"Content-Type: " + content_type.encode("latin-1", "replace") + b"\r\n\r\n"
    message = BytesParser(policy=policy.HTTP).parsebytes(header + body)
    if not message.is_multipart() or message.defects:
        raise FormDataError("The multipart body could not be read.")
    parts: dict[str, Part] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str) or not name:
            continue
        payload = part.get_payload(decode=True)
        declared = part.get_content_type() if part.get("Content-Type") else ""
        parts.setdefault(
            name.lower(),
            Part(name, part.get_filename(), declared, payload if isinstance(payload, bytes) else b""),
        )
    return parts
