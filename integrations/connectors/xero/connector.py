"""Xero: bills as ``ACCPAY`` invoices and their payments; supplier credit notes as ``ACCPAYCREDIT`` with their
allocations and refunds; the document's file as an attachment (``reference/erp_apis.md`` §1, DESIGN §6).

Markers: a bill carries Roger's document URL in ``Url`` (also the "Go to Roger" link in Xero); a payment or refund
carries Roger's payment marker in ``Reference``.  Both contain the document's public id, which is what look-ups
compare (``lookups.py``), so a lost link or an uncertain create is found again (R13) even after ``SITE_URL``
changed.  A credit note has no field for a marker and is found by its supplier and number, an allocation by its
credit note and bill (``credit_lookups.py``, ``credit_states.py``); ``routing.py`` says which is which.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

import requests

from integrations.connectors.attachments import AttachItem
from integrations.connectors.base import (
    BillData,
    CatalogItem,
    ConnectionInfo,
    Connector,
    ConnectorError,
    EntryKind,
    EntryState,
    ErpError,
    ItemResult,
    NoThrottle,
    PaymentData,
    Throttle,
    TokenSource,
    VendorData,
    WriteItem,
)
from integrations.connectors.http import make_session
from integrations.connectors.xero import catalogues, files, lookups, routing
from integrations.connectors.xero.contacts import ContactDirectory
from integrations.connectors.xero.credit_states import allocation_state, credit_note_state, is_credit_note
from integrations.connectors.xero.scopes import DEFAULT_SCOPES
from integrations.connectors.xero.states import LockDates, bill_state, payment_state
from integrations.connectors.xero.transport import XeroApi
from integrations.connectors.xero.values import marker_key, parse_xero_date


class XeroConnector(Connector):
    kind = "xero"
    max_batch = 50
    # Xero documents no bound on how long it may still process a write after the client gave up (its
    # idempotency guide only says keys are kept 6 minutes, which bounds replays, not processing), so there is no
    # settle time to declare: the engine uses its own conservative setting.
    write_settle_seconds = None
    # PUT /CreditNotes/{id}/Allocations (developer.xero.com/documentation/api/accounting/creditnotes).
    supports_allocation = True
    attachment_limits = files.LIMITS

    def __init__(
        self,
        *,
        api_url: str = "https://api.xero.com",
        tenant_id: str,
        tokens: TokenSource,
        throttle: Throttle | None = None,
        session: requests.Session | None = None,
        go_url: str = "https://go.xero.com",
        timeout: tuple[float, float] = (3.05, 30),
        scopes: Sequence[str] = DEFAULT_SCOPES,
        name: str = "Xero",
    ):
        self.api = XeroApi(
            api_url=api_url,
            tenant_id=tenant_id,
            tokens=tokens,
            throttle=throttle if throttle is not None else NoThrottle(),
            session=session if session is not None else make_session(timeout=timeout),
            timeout=timeout,
            scopes=scopes,
        )
        self.directory = ContactDirectory(self.api, integration_name=name, max_batch=self.max_batch)
        self._go_url = go_url.rstrip("/")
        self._organisation: Mapping[str, Any] | None = None
        self._locks: LockDates | None = None
        self._bank_currencies: dict[str, str] | None = None

    def __repr__(self) -> str:  # never the token source's contents
        return f"XeroConnector(tenant_id={self.api.tenant_id!r}, api={self.api.base!r})"

    @property
    def last_rate_limits(self) -> dict[str, int | None]:
        return self.api.last_rate_limits

    # --- the organisation: lock dates, short code, base currency --------------------------------------------

    def _org(self) -> Mapping[str, Any]:
        if self._organisation is None:
            reply = self.api.request("GET", "/Organisation")
            orgs = (reply.data or {}).get("Organisations") or [{}]
            self._organisation = orgs[0]
            self._locks = LockDates(
                period=parse_xero_date(self._organisation.get("PeriodLockDate")),
                end_of_year=parse_xero_date(self._organisation.get("EndOfYearLockDate")),
            )
        return self._organisation

    def lock_dates(self) -> LockDates:
        self._org()
        assert self._locks is not None
        return self._locks

    def base_currency(self) -> str:
        return str(self._org().get("BaseCurrency") or "")

    def bank_currencies(self) -> dict[str, str]:
        """Bank account code (or id) → its currency, read once per connector."""
        if self._bank_currencies is None:
            self._bank_currencies = {}
            for account in catalogues.bank_accounts(self.api):
                self._bank_currencies[account.code] = account.group or self.base_currency()
        return self._bank_currencies

    def check_connection(self) -> ConnectionInfo:
        try:
            self._organisation = None
            org = self._org()
        except ConnectorError as exc:
            return ConnectionInfo(ok=False, message=exc.error.message)
        return ConnectionInfo(ok=True, organisation=str(org.get("Name", "")))

    # --- states -----------------------------------------------------------------------------------------------

    def deep_link(self, entry_id: str, credit_note: bool = False) -> str:
        """A link that opens the bill in the right organisation: Xero's documented form is
        ``organisationlogin/default.aspx?shortcode=<Organisation.ShortCode>&redirecturl=/AccountsPayable/…``
        (developer.xero.com/documentation/guides/how-to-guides/deep-link-xero/, "View a bill": ``Edit.aspx``,
        which Xero shows read-only once the bill is approved).  A supplier credit note opens at
        ``/AccountsPayable/ViewCreditNote.aspx?creditNoteID=…`` (Xero's own XeroAPI/xero-mcp-server,
        ``src/consts/deeplinks.ts``, ``creditNoteDeepLink``)."""
        page = (
            f"/AccountsPayable/ViewCreditNote.aspx?creditNoteID={entry_id}"
            if credit_note
            else f"/AccountsPayable/Edit.aspx?InvoiceID={entry_id}"
        )
        short_code = str((self._organisation or {}).get("ShortCode") or "")
        if not short_code:
            return self._go_url + page
        return (
            f"{self._go_url}/organisationlogin/default.aspx?shortcode={quote(short_code, safe='!')}"
            f"&redirecturl={quote(page, safe='/')}"
        )

    def state_of(self, kind: EntryKind, element: Mapping[str, Any]) -> EntryState:
        """A bill, credit note or payment (refunds included) as Xero has it."""
        locks = self._locks or LockDates()
        if kind is EntryKind.BILL:
            maker = credit_note_state if is_credit_note(element) else bill_state
        else:
            maker = payment_state
        return maker(element, locks, self.deep_link)

    def allocation_state(self, credit: Mapping[str, Any], invoice_id: str) -> EntryState:
        return allocation_state(credit, invoice_id, self._locks or LockDates(), self.deep_link)

    # --- reads --------------------------------------------------------------------------------------------------

    def read(self, kind: EntryKind, erp_ids: Sequence[str]) -> dict[str, EntryState]:
        """By ERP id: bills or credit notes; payments, refunds or allocations (``routing.py``)."""
        if not erp_ids:
            return {}
        self.lock_dates()
        return routing.read(self, kind, erp_ids)

    def lookup(self, kind: EntryKind, markers: Sequence[str]) -> dict[str, list[EntryState]]:
        """Knowing only the markers, Roger has to read every bill (or payment) its app made: prefer
        ``lookup_entries``, which narrows the search with the optimised filters first — and is the only way to
        find a credit note or an allocation, which carry no marker."""
        out: dict[str, list[EntryState]] = {m: [] for m in markers}
        if not any(markers):
            return out
        self.lock_dates()
        scan = lookups.scan_bills if kind is EntryKind.BILL else lookups.scan_payments
        found = scan(self.api, [m for m in markers if m])
        for marker in markers:
            out[marker] = [self.state_of(kind, e) for e in found.get(marker_key(marker), [])]
        return out

    def lookup_entries(self, kind: EntryKind, items: Sequence[BillData | PaymentData]) -> dict[str, list[EntryState]]:
        out: dict[str, list[EntryState]] = {item.marker: [] for item in items}
        wanted = [item for item in items if item.marker]
        if not wanted:
            return out
        self.lock_dates()
        out.update(routing.lookup_entries(self, kind, wanted))
        return out

    # --- writes -------------------------------------------------------------------------------------------------

    def create(self, kind: EntryKind, items: Sequence[WriteItem]) -> list[ItemResult]:
        return routing.write(self, kind, items, update=False)

    def update(self, kind: EntryKind, items: Sequence[WriteItem]) -> list[ItemResult]:
        return routing.write(self, kind, items, update=True)

    def attach(self, items: Sequence[AttachItem]) -> list[ItemResult]:
        """The document's file on its bill or credit note (``files.py``)."""
        return files.attach_files(self, items)

    def resolve_contacts(self, vendors: Sequence[VendorData]) -> dict[str, str | ErpError]:
        """VendorData.number → ContactID (or why not): known, matched or created (``contacts.py``)."""
        return self.directory.resolve(vendors)

    # --- catalogues ---------------------------------------------------------------------------------------------

    def accounts(self) -> list[CatalogItem]:
        return catalogues.accounts(self.api)

    def bank_accounts(self) -> list[CatalogItem]:
        return catalogues.bank_accounts(self.api)

    def tax_rates(self) -> list[CatalogItem]:
        return catalogues.tax_rates(self.api)

    def tracking_options(self) -> list[CatalogItem]:
        return catalogues.tracking_options(self.api)

    def contacts(self) -> list[CatalogItem]:
        return catalogues.contacts(self.api)


__all__ = ["XeroConnector"]
