"""The document's file on its bill entry, as the Integrations tab shows it (R17, issue #15).

The engine keeps on the entry the checksum of the file it last attached (``attachment_sha256``) and why the entry
lacks its file (``attachment_note``); the log keeps each upload (action ``attach``: name, size, checksum).  From
those this module says, in two queries whatever the length of the log: *attached* (which file, when), *unchanged*
(the last sync found it there and uploaded nothing), *pending* (the next sync attaches it), *refused* (why), or
*booked without its file* (the ERP booked the entry before Roger could attach the current file).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from documents.models import Document
from integrations.connectors import get_connector_class
from integrations.connectors.base import N_
from integrations.models import ErpEntry, Integration, SyncAttempt

# How the engine begins ``attachment_note`` when the ERP refused the file on a booked entry
# (``integrations.sync.engine.attachments``, which marks the same template).
BOOKED_WITHOUT_FILE = N_("Booked without its file: {reason}")
_BOOKED_PREFIX = BOOKED_WITHOUT_FILE.split("{", 1)[0]


@dataclass(frozen=True)
class EntryFile:
    state: str  # attached / unchanged / pending / refused / booked / not_supported
    name: str = ""
    size: int = 0
    when: datetime | None = None
    note: str = ""  # why it is refused or booked without it (stored English, translated when shown)
    replaced: bool = False  # attached in place of an earlier file
    erp_name: str = ""  # the name the ERP keeps it under, when the connector had to name it otherwise (Xero)


def _takes_files(integration: Integration) -> bool:
    try:
        return get_connector_class(integration.kind).attachment_limits is not None
    except LookupError:
        return False


def entry_file(document: Document, integration: Integration, entry: ErpEntry | None) -> EntryFile | None:
    """The file on the bill entry; None when the document has no file."""
    if not document.file_sha256:
        return None
    if not _takes_files(integration):
        return EntryFile("not_supported", document.file_name, document.file_size)
    if entry is None or not entry.erp_id:
        return EntryFile("pending", document.file_name, document.file_size)
    if entry.attachment_sha256 == document.file_sha256:
        return _attached(document, integration)
    note = entry.attachment_note
    if note.startswith(_BOOKED_PREFIX):
        return EntryFile("booked", document.file_name, document.file_size, note=note[len(_BOOKED_PREFIX) :])
    if note:
        return EntryFile("refused", document.file_name, document.file_size, note=note)
    return EntryFile("pending", document.file_name, document.file_size, replaced=bool(entry.attachment_sha256))


def _attached(document: Document, integration: Integration) -> EntryFile:
    """When it was attached (the log's last upload of this file), and whether a later sync found it unchanged."""
    log = SyncAttempt.objects.filter(document=document, integration=integration, entry_kind="bill")
    upload = (
        log.filter(
            action=SyncAttempt.Action.ATTACH,
            outcome=SyncAttempt.Outcome.SUCCESS,
            request_data__sha256=document.file_sha256,
        )
        .order_by("-id")
        .values("id", "created_at", "request_data")
        .first()
    )
    if upload is None:  # attached before the log recorded uploads: the entry's checksum is the evidence
        return EntryFile("attached", document.file_name, document.file_size)
    later = log.filter(id__gt=upload["id"], outcome=SyncAttempt.Outcome.SUCCESS).exclude(
        action=SyncAttempt.Action.ATTACH
    )
    sent = upload["request_data"] or {}
    sent_name = str(sent.get("file") or document.file_name)
    return EntryFile(
        "unchanged" if later.exists() else "attached",
        document.file_name,
        int(sent.get("size") or document.file_size),
        when=upload["created_at"],
        replaced=bool(sent.get("replaced")),
        erp_name=sent_name if sent_name != document.file_name else "",
    )
