"""The unit the engine works on: one entry (bill or payment) of one document within a claimed batch."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings

from documents.models import Document
from integrations.connectors.base import BillData, EntryKind, EntryState, ErpError, ItemResult, PaymentData
from integrations.models import ErpEntry, SyncJob

Data = BillData | PaymentData


def conf(name: str):
    return settings.ROGER_SYNC[name]


@dataclass
class Work:
    job: SyncJob
    document: Document
    kind: EntryKind
    entry: ErpEntry
    data: Data | None = None
    state: EntryState | None = None  # the ERP's current copy, when there is one
    action: str = ""  # create / update / no_change / blocked / adopt
    adopted: bool = False
    changes: dict[str, tuple[str, str]] = field(default_factory=dict)
    result: ItemResult | None = None
    error: ErpError | None = None
    duration_ms: int = 0
    booking: ItemResult | None = None  # "book after sync": the ERP's answer to booking this entry
    booking_ms: int = 0
    attachment: ItemResult | None = None  # the ERP's answer to attaching the document's file (R17)
    attachment_ms: int = 0
    after_payment: EntryState | None = None  # a bill read again after its payment was written
    bill_erp_id: str = ""  # a payment's bill in the ERP (for a credit note's payment entry: the ERP's credit note)
    allocate_to: str = ""  # a credit note's allocation: the ERP id of the bill it corrects
    # Why this entry is left alone by this run (a write of unknown outcome may still be processing at the ERP, or
    # its bill is in that state): the job waits until ``wait_until`` and then runs again.  Not an attempt.
    wait_reason: str = ""
    wait_until: datetime | None = None
    settle_seconds: float = 0.0  # how long the ERP may still process a write the client gave up on (connector)
    blocked_reason: str = ""  # a payment blocked because of its bill: the bill's reason, in the payment's words
    blocked_hint: str = ""

    @property
    def ref(self) -> str:
        return f"{self.document.pk}:{self.kind}"

    @property
    def settles_at(self) -> datetime | None:
        """When the entry's last write of unknown outcome can no longer be processing at the ERP."""
        sent = self.entry.write_sent_at
        return sent + timedelta(seconds=self.settle_seconds) if sent else None

    @property
    def waiting(self) -> bool:
        return bool(self.wait_reason)
