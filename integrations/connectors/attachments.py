"""The document's source file on its ERP entry (R17): what a connector is given, and the ERP's limits.

A connector that can attach files declares ``Connector.attachment_limits`` and implements ``Connector.attach``.
The engine checks the limits before any HTTP call (a file the ERP would refuse fails without a request), attaches
after the bill entry is in the ERP, and only when the file's checksum differs from the one it last attached.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from integrations.connectors.base import N_, EntryKind


@dataclass(frozen=True)
class FileRef:
    """A stored file, described; the bytes travel only in ``AttachItem``."""

    name: str  # a safe file name (no path separators or control characters)
    content_type: str  # checked from the content when it was stored: application/pdf, image/png, image/jpeg
    size: int  # bytes
    sha256: str  # hex digest: whether the ERP already has this file


@dataclass(frozen=True)
class AttachmentLimits:
    """What the ERP documents for files on an entry (cite the source where a connector declares them)."""

    max_bytes: int
    content_types: frozenset[str]
    max_per_entry: int | None = None  # None: not limited, or not documented
    can_delete: bool = False  # False: a replaced file is added beside the old one, and the log says so

    def refusal(self, file: FileRef) -> str:
        """Why the ERP would refuse ``file``, in an accountant's words; "" when it would take it."""
        if file.content_type not in self.content_types:
            return N_("{name} is a {content_type} file, which the ERP does not take as an attachment.").format(
                name=file.name, content_type=file.content_type
            )
        if file.size > self.max_bytes:
            return N_("{name} is {size} MB; the ERP takes files of at most {limit} MB.").format(
                name=file.name, size=f"{file.size / 1_000_000:.1f}", limit=f"{self.max_bytes / 1_000_000:.0f}"
            )
        return ""


@dataclass(frozen=True)
class AttachItem:
    ref: str  # the caller's key, echoed in the result
    kind: EntryKind  # the entry the file goes on (the bill entry; for a credit note, the ERP's credit note)
    entry_erp_id: str
    credit_note: bool
    file: FileRef
    content: bytes = field(repr=False)
    replaces: str = ""  # the ERP's id of the attachment Roger added before, when the file was replaced
    idempotency_key: str = ""  # deterministic per (integration, document, file checksum)
