"""The ERP-neutral connector interface.

Everything here is plain Python: frozen dataclasses in, frozen dataclasses out, no Django.  The sync engine
(``integrations.sync``) builds ``BillData`` / ``PaymentData`` from documents through the mapper, hands them to a
connector in batches, and gets one ``ItemResult`` per item back.  A connector never writes Roger's database; it
only talks to its ERP.

Errors follow the taxonomy of DESIGN R15.  A connector raises ``ConnectorError`` when a *whole call* fails
(network down, 401, 429, a malformed response) and returns a per-item ``ErpError`` inside ``ItemResult`` when
one element of a batch is refused.
"""

from __future__ import annotations

import abc
import contextlib
import hashlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from integrations.connectors.attachments import AttachItem, AttachmentLimits, FileRef


class ErrorCategory(StrEnum):
    TEMPORARY = "temporary"  # ERP down, timeout, rate limited: retried automatically with backoff
    AUTHENTICATION = "authentication"  # reconnect the integration
    SETUP = "setup"  # a missing account / tax / bank / tracking mapping
    VALIDATION = "validation"  # the ERP rejected a field
    BOOKED = "booked"  # the entry is booked in the ERP and can no longer change (R12)
    UNSUPPORTED = "unsupported"  # the ERP plan or API cannot do it


@dataclass(frozen=True)
class ErpError:
    """One failure, in words an accountant can act on."""

    category: ErrorCategory
    message: str  # the ERP's own message (or ours when the ERP was never asked)
    field: str | None = None  # Roger's name of the field concerned, e.g. "category", "vat", "bank_account"
    hint: str = ""  # what to do about it
    retry_after: float | None = None  # seconds; for TEMPORARY errors when the ERP said when to come back
    uncertain: bool = False  # a write whose outcome is unknown (timeout, 5xx): reconcile before creating again
    code: str | None = None  # the ERP's error code or limit name ("minute", "day", "ValidationException"…)
    status: int | None = None  # HTTP status, when there was one


class ConnectorError(Exception):
    """A whole call failed; carries the classified error."""

    def __init__(self, error: ErpError):
        super().__init__(error.message)
        self.error = error


class Outcome(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    BLOCKED = "blocked"
    FAILED = "failed"


class EntryKind(StrEnum):
    BILL = "bill"
    PAYMENT = "payment"


@dataclass(frozen=True)
class VendorData:
    number: str  # Roger's stable supplier key (Xero ContactNumber, e-conomic supplier number source)
    name: str
    tax_number: str = ""
    email: str = ""
    country: str = ""
    # The ERP's own id of this supplier (Xero ContactID, e-conomic supplier number) when Roger knows it: chosen by
    # an admin in the vendor → contact mapping, or remembered from an earlier sync.  Empty: the connector matches.
    erp_id: str = ""


@dataclass(frozen=True)
class TrackingRef:
    category: str  # tracking category / dimension name or id, from the mappings
    option: str  # option name or id


@dataclass(frozen=True)
class BillLine:
    description: str
    net_amount: Decimal  # excluding VAT
    vat_amount: Decimal
    account_code: str
    tax_type: str
    tracking: tuple[TrackingRef, ...] = ()


@dataclass(frozen=True)
class BillData:
    """A vendor bill as Roger wants it to look in the ERP."""

    marker: str  # Roger's unique marker for this document (its URL); how the entry is found again
    vendor: VendorData
    invoice_number: str
    issue_date: date
    due_date: date | None
    currency: str
    total: Decimal  # including VAT
    vat: Decimal
    description: str
    lines: tuple[BillLine, ...]
    draft: bool = False  # push as a draft instead of an approved bill (integration option)
    # A supplier's credit note (Xero ACCPAYCREDIT, e-conomic's credit entry).  Amounts here and in the lines are
    # always positive magnitudes; this flag says which way they go.
    credit_note: bool = False
    file: FileRef | None = None  # the document's source file; attached by the engine, not part of the comparison

    def comparable(self) -> dict[str, str]:
        """The fields an accountant recognises, as strings: what a plan diffs against the ERP's copy."""
        line = self.lines[0] if self.lines else None
        return {
            "vendor": self.vendor.name,
            "invoice_number": self.invoice_number,
            "issue_date": self.issue_date.isoformat(),
            "due_date": self.due_date.isoformat() if self.due_date else "",
            "currency": self.currency,
            "total": f"{self.total:.2f}",
            "vat": f"{self.vat:.2f}",
            "account": line.account_code if line else "",
            "tax_type": line.tax_type if line else "",
            "tracking": ", ".join(f"{t.category}: {t.option}" for t in line.tracking) if line else "",
            "description": line.description if line else "",
        }


@dataclass(frozen=True)
class PaymentData:
    """The vendor payment of a paid document: one ERP payment per document and integration (R4)."""

    marker: str  # Roger's unique marker for the payment entry
    bill_erp_id: str  # the ERP id of the bill this pays
    bill_marker: str
    vendor: VendorData
    invoice_number: str
    bank_account: str  # the bank (or contra) account code payments are booked against
    payment_date: date
    amount: Decimal
    currency: str
    reference: str
    # What left the bank account, in the bank account's currency, when the accountant recorded it (a EUR bill paid
    # from a DKK account): the connector derives the ERP's exchange rate from it.  None: same currency, or unknown.
    bank_amount: Decimal | None = None
    # For a credit note (``bill_erp_id`` is then the ERP's credit note): with ``allocate_to`` (the ERP id of the bill
    # it corrects) an allocation of the credit note against that bill; without, a refund the supplier paid into
    # ``bank_account``.  Amounts stay positive magnitudes.
    credit_note: bool = False
    allocate_to: str = ""

    def comparable(self) -> dict[str, str]:
        if self.allocate_to:
            return {
                "allocated_to": self.allocate_to,
                "payment_date": self.payment_date.isoformat(),
                "amount": f"{self.amount:.2f}",
                "currency": self.currency,
            }
        fields = {
            "bank_account": self.bank_account,
            "payment_date": self.payment_date.isoformat(),
            "amount": f"{self.amount:.2f}",
            "currency": self.currency,
        }
        if self.bank_amount is not None:  # compared only when Roger knows it (a connector reports it as read)
            fields["bank_amount"] = f"{self.bank_amount:.2f}"
        return fields


@dataclass(frozen=True)
class EntryState:
    """An entry as the ERP has it now."""

    erp_id: str
    kind: EntryKind
    number: str = ""  # what the accountant sees in the ERP (bill number / voucher number)
    status: str = ""  # the ERP's own status word
    booked: bool = False
    booked_reason: str = ""  # why the ERP no longer accepts changes
    booked_hint: str = ""  # what the accountant can do in the ERP instead
    url: str = ""  # deep link into the ERP
    marker: str = ""  # Roger's marker as found on the entry
    fields: Mapping[str, str] = field(default_factory=dict)  # same keys as BillData/PaymentData.comparable()
    exists: bool = True  # False when the ERP says it is gone (deleted)
    vendor_erp_id: str = ""  # the ERP supplier/contact the entry is booked to; the engine remembers it per vendor


@dataclass(frozen=True)
class WriteItem:
    """One element of a batch write."""

    ref: str  # the caller's key, echoed in the result
    data: BillData | PaymentData
    idempotency_key: str  # deterministic per (integration, document, entry, version)
    erp_id: str = ""  # set for updates


@dataclass(frozen=True)
class ItemResult:
    ref: str
    outcome: Outcome
    state: EntryState | None = None
    error: ErpError | None = None
    sent: Mapping[str, object] | None = None  # the payload sent for this element (no secrets)
    erp_ref: str = ""  # the ERP's id of what was written when it is not the entry itself (an attachment)


@dataclass(frozen=True)
class CatalogItem:
    code: str  # what goes into mappings (account code, tax type, option id…)
    name: str
    group: str = ""  # e.g. the tracking category an option belongs to, or the account type
    active: bool = True


@dataclass(frozen=True)
class ConnectionInfo:
    ok: bool
    organisation: str = ""
    message: str = ""


class Throttle(Protocol):
    """Rate-limit gate shared by every worker (implemented by the engine, e.g. a token bucket in PostgreSQL).

    ``slot()`` blocks until one call may go out (minute/day budget and concurrency cap) and holds a
    concurrency slot while the call runs; ``observe()`` feeds back what the ERP said (remaining-quota headers,
    429 with Retry-After) so every worker slows down together.
    """

    def slot(self) -> contextlib.AbstractContextManager[None]: ...

    def observe(self, *, status: int, headers: Mapping[str, str], retry_after: float | None) -> None: ...


class TokenSource(Protocol):
    """Where an OAuth connector gets its access token (implemented by the engine, which owns persistence).

    ``access_token()`` returns a token valid for the next call (refreshed ahead of expiry, serialized per
    integration under a row lock, the rotated refresh token stored before use).  ``refresh_after_401(stale)``
    is called once when the ERP refused ``stale``; it returns a fresh token, or raises ``ConnectorError`` with
    category AUTHENTICATION when the grant is gone.
    """

    def access_token(self) -> str: ...

    def refresh_after_401(self, stale: str) -> str: ...


class NoThrottle:
    """For tools and tests that talk to an unlimited sandbox."""

    @contextlib.contextmanager
    def slot(self) -> Iterator[None]:
        yield

    def observe(self, *, status: int, headers: Mapping[str, str], retry_after: float | None) -> None:
        return None


class Connector(abc.ABC):
    """One ERP.  Operations take lists (a single document is a batch of one) and return one result per item."""

    kind: str = ""
    max_batch: int = 50

    @abc.abstractmethod
    def check_connection(self) -> ConnectionInfo: ...

    # --- reads -------------------------------------------------------------------------------------------
    @abc.abstractmethod
    def lookup(self, kind: EntryKind, markers: Sequence[str]) -> dict[str, list[EntryState]]:
        """Entries carrying Roger's marker, drafts and booked ones alike; every marker is a key."""

    def lookup_entries(self, kind: EntryKind, items: Sequence[BillData | PaymentData]) -> dict[str, list[EntryState]]:
        """``lookup`` for entries Roger knows more about than the marker (its supplier, number, the bill a payment
        pays), so a connector can search with the ERP's indexed filters and compare the marker itself.  Keyed by
        each item's marker, like ``lookup``."""
        return self.lookup(kind, [item.marker for item in items])

    @abc.abstractmethod
    def read(self, kind: EntryKind, erp_ids: Sequence[str]) -> dict[str, EntryState]:
        """Current state by ERP id; an id the ERP no longer knows maps to a state with ``exists=False``."""

    # --- writes ------------------------------------------------------------------------------------------
    @abc.abstractmethod
    def create(self, kind: EntryKind, items: Sequence[WriteItem]) -> list[ItemResult]: ...

    @abc.abstractmethod
    def update(self, kind: EntryKind, items: Sequence[WriteItem]) -> list[ItemResult]:
        """Bring existing entries in line; a booked entry is returned BLOCKED and never written."""

    # Whether writing a payment can change its bill in the ERP (Xero: a bill with a payment allocated is PAID and
    # can no longer be edited), so the engine reads those bills again after their payments are written.
    payments_change_bills: bool = True

    # The longest the ERP (or anything in front of it) may still process a write after the client stopped waiting,
    # in seconds, when the ERP documents it; None when it does not (the engine then uses its conservative setting).
    # After a write with an unknown outcome, nothing is written to that entry again until this has passed.
    write_settle_seconds: float | None = None

    # Whether the ERP allocates a credit note against a bill through its API; without, a credit note's
    # allocation is left to the accountant in the ERP (the engine says so once, and does not fail).
    supports_allocation: bool = False

    # Stored messages whose ``{placeholders}`` carry one entry's details, not its cause ("Booked in e-conomic
    # (voucher {voucher})"), each with the cause Requires attention groups them under; the detail stays on the row.
    attention_causes: Mapping[str, str] = {}

    # --- optional: the document's file on its entry (R17) -----------------------------------------------
    attachment_limits: AttachmentLimits | None = None  # None: the ERP takes no files through its API

    def attach(self, items: Sequence[AttachItem]) -> list[ItemResult]:
        """Attach each item's file to its entry, replacing ``item.replaces`` where the ERP can delete: one result
        per item — CREATED (attached), UPDATED (replaced), BLOCKED (the entry is booked and takes no files) or
        FAILED (a classified error: a file the ERP refuses fails its attachment, never the bill)."""
        raise NotImplementedError

    # --- optional: book entries Roger created (e-conomic's "book after sync") ----------------------------
    supports_booking: bool = False

    def book(self, kind: EntryKind, erp_ids: Sequence[str]) -> list[ItemResult]:
        """Book (post) the given entries; only for connectors with ``supports_booking``."""
        raise NotImplementedError

    # --- catalogues for the mapping editors --------------------------------------------------------------
    @abc.abstractmethod
    def accounts(self) -> list[CatalogItem]: ...

    @abc.abstractmethod
    def tax_rates(self) -> list[CatalogItem]: ...

    @abc.abstractmethod
    def tracking_options(self) -> list[CatalogItem]: ...

    @abc.abstractmethod
    def bank_accounts(self) -> list[CatalogItem]: ...

    @abc.abstractmethod
    def contacts(self) -> list[CatalogItem]: ...


def batch_idempotency_key(prefix: str, items: Sequence[WriteItem], limit: int = 128) -> str:
    """One key for a batch, derived from its items' keys: a retry of the same batch sends the same key."""
    if len(items) == 1:
        key = items[0].idempotency_key
        if len(key) <= limit:
            return key
    digest = hashlib.sha256("|".join(i.idempotency_key for i in items).encode()).hexdigest()
    return f"{prefix}-{digest}"[:limit]


def chunks[T](seq: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(seq), size):
        yield seq[start : start + size]


def N_(message: str) -> str:
    """Marks a message Roger writes in English and stores (log records, entries, connection states) so that
    ``makemessages`` collects it; ``integrations.stored_text`` translates it when a person reads it.  Connectors
    cannot import Django, so the marker does nothing here.  Parameterised: ``N_("… “{name}” …").format(name=…)``."""
    return message
