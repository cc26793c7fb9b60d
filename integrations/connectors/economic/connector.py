"""The e-conomic connector: Roger's bills and payments as draft vouchers in a dedicated journal.

Which API does what (each module cites its sources):
* create — always legacy ``POST /journals/:n/vouchers`` (``creating``): only the legacy voucher carries the VAT
  amount and the department, which the Journals API's ``DraftEntry`` lacks.  A foreign-currency entry whose rate
  Roger does not know goes there too, without a rate; the rate e-conomic applied is checked in the answer, and a
  draft left without one (or at 1:1) is deleted again through the Journals API;
* read and look up — legacy journal entries for drafts, the BookedEntries API for booked entries (``reading``);
* update — Journals API ``PUT /draft-entries`` with ``objectVersion`` (``updating``);
* book — Journals API ``POST /journals/{n}/bookdraftentries`` (``booking``);
* the document's file — Documents API ``/AttachedDocuments`` (``attaching``);
* credit notes — a supplier invoice entry with a negative amount, a refund a supplier payment with a negative
  amount (``entries``); matching a credit note against its bill is left to the accountant (below);
* catalogues, suppliers, accounting years — legacy API (``catalogues``, ``suppliers``, ``reference``).
"""

from __future__ import annotations

from collections.abc import Sequence

import requests

from integrations.connectors.attachments import AttachItem
from integrations.connectors.base import (
    CatalogItem,
    ConnectionInfo,
    Connector,
    ConnectorError,
    EntryKind,
    EntryState,
    ItemResult,
    Throttle,
    WriteItem,
    chunks,
)
from integrations.connectors.economic.attaching import LIMITS, Attacher
from integrations.connectors.economic.booking import Booker
from integrations.connectors.economic.catalogues import Catalogues, DepartmentResolver
from integrations.connectors.economic.client import EconomicHttp
from integrations.connectors.economic.creating import Creator
from integrations.connectors.economic.errors import BOOKED_CAUSE, BOOKED_REASON
from integrations.connectors.economic.ids import marker_token, token_in, with_marker
from integrations.connectors.economic.reading import TOKENS_PER_FILTER, Reader
from integrations.connectors.economic.reference import Reference
from integrations.connectors.economic.suppliers import Suppliers
from integrations.connectors.economic.updating import Updater


class EconomicConnector(Connector):
    kind = "economic"
    max_batch = 50
    supports_booking = True
    payments_change_bills = False  # a supplier payment is an entry of its own; the invoice entry is untouched
    # e-conomic documents no bound on how long a write may still be processed after the client gave up (the
    # descriptions name only the idempotency cache's "one hour window", which is not a processing bound), so the
    # engine's conservative setting applies.
    write_settle_seconds = None
    # e-conomic publishes matching of booked entries (openapi-BookedEntries.json 4.0.0, BookedEntriesMatching:
    # ``POST /booked-entries/match {"entryIds": [...]}``, "linking … supplier payments to supplier invoices"), but
    # only for booked entries, for payments against invoices (a supplier credit note is itself a supplier invoice
    # entry; matching one against an invoice, or a part of an amount, is not described), picking the ledger lines
    # to match is left undescribed, and no endpoint undoes a match.  A wrong match could not be taken back, so
    # Roger does not match: a credit note stays an open item the accountant matches in e-conomic ("Udlign
    # posteringer på din leverandør", the guide that tag links to).
    supports_allocation = False
    attention_causes = {BOOKED_REASON: BOOKED_CAUSE}  # one group in Requires attention, not one per voucher
    attachment_limits = LIMITS  # Documents API: PDF/JPEG/PNG, 9 MB, one document per voucher (``attaching``)

    def __init__(
        self,
        *,
        api_url: str = "https://restapi.e-conomic.com",
        apis_url: str = "https://apis.e-conomic.com",
        app_secret_token: str,
        agreement_grant_token: str,
        journal_number: int,
        throttle: Throttle | None = None,
        session: requests.Session | None = None,
        app_url: str = "https://secure.e-conomic.com",
        timeout: tuple[float, float] = (3.05, 30),
        supplier_group: int = 1,
        payment_terms: int = 1,
        vat_zone: int = 1,
        name: str = "e-conomic",
    ):
        self.client = EconomicHttp(
            api_url=api_url,
            apis_url=apis_url,
            app_secret_token=app_secret_token,
            agreement_grant_token=agreement_grant_token,
            journal_number=int(journal_number),
            throttle=throttle,
            session=session,
            timeout=timeout,
        )
        self.journal_number = int(journal_number)
        self.app_url = app_url.rstrip("/")
        # Defaults for suppliers Roger creates (required by POST /suppliers).
        self.supplier_defaults = {"group": supplier_group, "payment_terms": payment_terms, "vat_zone": vat_zone}
        self.name = name  # the integration's name, as the admin's hints name it ("Integrations settings → <name>")
        self.reference = Reference(self.client)  # years and the agreement: read once per connector

    def __repr__(self) -> str:  # never show the tokens
        return f"EconomicConnector(api_url={self.client.api_url!r}, journal_number={self.journal_number})"

    def _reader(self) -> Reader:
        """A reader with per-call memory (suppliers, periods, VAT rates): each is fetched at most once a call."""
        self.reference.periods, self.reference.vat_rates = {}, None
        suppliers = Suppliers(self.client, **self.supplier_defaults, integration=self.name)
        return Reader(self.client, self.reference, suppliers, self.app_url)

    # -- reads -------------------------------------------------------------------------------------------------
    def check_connection(self) -> ConnectionInfo:
        try:
            company = self.reference.company()
            problem = self.reference.journal_problem()
        except ConnectorError as exc:
            if exc.error.category == "authentication":
                raise
            return ConnectionInfo(ok=False, message=" ".join(p for p in (exc.error.message + ".", exc.error.hint) if p))
        if problem is not None:
            return ConnectionInfo(ok=False, organisation=company, message=f"{problem.message}. {problem.hint}")
        return ConnectionInfo(ok=True, organisation=company)

    def lookup(self, kind: EntryKind, markers: Sequence[str]) -> dict[str, list[EntryState]]:
        reader = self._reader()
        by_token = {marker_token(m): m for m in markers}
        found: dict[str, list[EntryState]] = {m: [] for m in markers}
        for group in chunks(sorted(by_token), TOKENS_PER_FILTER):
            flt = "(" + "$or:".join(f"text$like:{token}" for token in group) + ")"
            for entry in reader.drafts(kind, flt):
                token = token_in(str(entry.get("text") or ""))
                if token in by_token:
                    found[by_token[token]].append(with_marker(reader.draft_state(kind, entry), by_token[token]))
        for (year, number), lines in sorted(reader.booked_by_token(kind, list(by_token)).items()):
            token = token_in(" ".join(str(line.get("text") or "") for line in lines))
            if token in by_token:
                state = reader.booked_state(kind, year, number, lines)
                found[by_token[token]].append(with_marker(state, by_token[token]))
        return found

    def read(self, kind: EntryKind, erp_ids: Sequence[str]) -> dict[str, EntryState]:
        return self._reader().read(kind, erp_ids)[0]

    # -- writes ------------------------------------------------------------------------------------------------
    def create(self, kind: EntryKind, items: Sequence[WriteItem]) -> list[ItemResult]:
        return Creator(self._reader(), DepartmentResolver(self.client)).create(kind, items)

    def update(self, kind: EntryKind, items: Sequence[WriteItem]) -> list[ItemResult]:
        return Updater(self._reader(), DepartmentResolver(self.client)).update(kind, items)

    def attach(self, items: Sequence[AttachItem]) -> list[ItemResult]:
        """The document's file on its voucher, draft or booked (Documents API, see ``attaching``)."""
        return Attacher(self._reader()).attach(items)

    def book(self, kind: EntryKind, erp_ids: Sequence[str]) -> list[ItemResult]:
        """Book exactly these vouchers (entry-specific booking), never the whole journal."""
        return Booker(self._reader()).book(kind, erp_ids)

    # -- catalogues ----------------------------------------------------------------------------------------------
    def accounts(self) -> list[CatalogItem]:
        return Catalogues(self.client).accounts()

    def tax_rates(self) -> list[CatalogItem]:
        return Catalogues(self.client).tax_rates()

    def tracking_options(self) -> list[CatalogItem]:
        return Catalogues(self.client).tracking_options()

    def bank_accounts(self) -> list[CatalogItem]:
        return Catalogues(self.client).bank_accounts()

    def contacts(self) -> list[CatalogItem]:
        return Catalogues(self.client).contacts()
