"""Reference data the connector checks against: the agreement, accounting years and periods, the journal, VAT.

* ``GET /self`` (legacy, ``self.get.schema.json``): ``company.name`` and ``settings.baseCurrency`` ("The ISO 4217
  code of the company's base currency") — what "foreign currency" means for this agreement.
* ``GET /accounting-years`` and ``/accounting-years/:year/periods`` (legacy): ``fromDate``, ``toDate`` and the
  ``closed`` flag of years and periods, so a write into a closed period is refused before it is sent.
* ``GET /journals/{number}`` (Journals API, ``Journal``): ``allowedEntryType`` ("Restricts entries within the
  journal to a specific entry type … 0: All types, 3: Supplier Invoice, 4: Supplier Payment"; the legacy
  ``settings.entryTypeRestrictedTo``) and ``minimumVoucherNumber``/``maximumVoucherNumber``/``nextVoucherNumber``.
  Roger writes supplier invoices *and* supplier payments into one journal, so a restricted journal is refused at
  connect and on Test connection with what to change.  Roger never picks voucher numbers: e-conomic numbers a
  voucher created without one ("On create, omit to have the server generate a unique voucher number for the
  journal", DraftEntry.voucherNumber), inside the journal's range.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from integrations.connectors.base import N_, ConnectorError, ErpError, ErrorCategory
from integrations.connectors.economic.client import EconomicHttp
from integrations.connectors.economic.ids import money, year_path

ENTRY_TYPE_NAMES = {
    2: N_("customer payments"),
    3: N_("supplier invoices"),
    4: N_("supplier payments"),
    5: N_("finance vouchers"),
    10: N_("manual customer invoices"),
}


@dataclass(frozen=True)
class Year:
    year: str
    from_date: date
    to_date: date
    closed: bool


class Reference:
    """Slowly changing facts, read once per connector (years, agreement) or per call (periods, VAT rates)."""

    def __init__(self, client: EconomicHttp) -> None:
        self.client = client
        self._years: list[Year] | None = None
        self._self: dict[str, Any] | None = None
        self.periods: dict[str, list[dict[str, Any]]] = {}
        self.vat_rates: dict[str, Decimal] | None = None

    # -- the agreement -------------------------------------------------------------------------------------------
    def agreement(self) -> dict[str, Any]:
        if self._self is None:
            body = self.client.request("GET", "/self").body
            self._self = dict(body) if isinstance(body, dict) else {}
        return self._self

    def base_currency(self) -> str:
        return str((self.agreement().get("settings") or {}).get("baseCurrency") or "").upper()

    def company(self) -> str:
        me = self.agreement()
        return str((me.get("company") or {}).get("name") or me.get("agreementNumber") or "")

    # -- accounting years and periods -------------------------------------------------------------------------
    def years(self) -> list[Year]:
        if self._years is None:
            found = []
            for item in self.client.paged("/accounting-years"):
                try:
                    found.append(
                        Year(
                            year=str(item["year"]),
                            from_date=date.fromisoformat(str(item["fromDate"])),
                            to_date=date.fromisoformat(str(item["toDate"])),
                            closed=bool(item.get("closed")),
                        )
                    )
                except (KeyError, ValueError):
                    continue
            self._years = sorted(found, key=lambda y: y.from_date)
        return self._years

    def year_for(self, day: date) -> Year | None:
        return next((y for y in self.years() if y.from_date <= day <= y.to_date), None)

    def year_named(self, name: str) -> Year | None:
        return next((y for y in self.years() if y.year == name), None)

    def closed_reason(self, year: str, day: date | None, *, fetch: bool = True) -> str:
        """A non-empty reason when ``day`` lies in a closed period or year of e-conomic."""
        if day is None or not year:
            return ""
        info = self.year_named(year)
        if info is not None and info.closed:
            return N_("The accounting year {year} is closed in e-conomic").format(year=year)
        if year not in self.periods:
            if not fetch:
                return ""
            self.periods[year] = list(self.client.paged(f"/accounting-years/{year_path(year)}/periods"))
        for period in self.periods[year]:
            try:
                start = date.fromisoformat(str(period["fromDate"]))
                end = date.fromisoformat(str(period["toDate"]))
            except (KeyError, ValueError):
                continue
            if start <= day <= end and period.get("closed"):
                return N_("Dated in a closed accounting period in e-conomic ({start} to {end})").format(
                    start=start, end=end
                )
        return ""

    # -- VAT ---------------------------------------------------------------------------------------------------
    def vat_rate(self, code: str) -> Decimal | None:
        if self.vat_rates is None:
            self.vat_rates = {}
            for item in self.client.paged("/vat-accounts"):
                rate = money(item.get("ratePercentage"))
                if item.get("vatCode") and rate is not None:
                    self.vat_rates[str(item["vatCode"])] = rate
        return self.vat_rates.get(code)

    # -- the journal ---------------------------------------------------------------------------------------------
    def journal_problem(self) -> ErpError | None:
        """Why Roger's journal cannot take Roger's entries, in words saying what to change; None when it can."""
        number = self.client.journal_number
        reply = self.client.request("GET", f"/journals/{number}", api="journals", ok_statuses=(404,))
        if reply.status == 404 or not isinstance(reply.body, dict):
            return self.client.journal_missing()
        journal = reply.body
        name = str(journal.get("name") or number)
        allowed = journal.get("allowedEntryType")
        if allowed not in (None, 0):
            only = ENTRY_TYPE_NAMES.get(int(allowed), N_("entry type {number}").format(number=allowed))
            return ErpError(
                ErrorCategory.SETUP,
                N_(
                    "Journal {journal} ({name}) only takes {only}; Roger writes supplier invoices and supplier "
                    "payments there"
                ).format(journal=number, name=name, only=only),
                field="journal",
                hint=N_(
                    "In e-conomic, open the journal's settings and set the allowed entry type to all types, or "
                    "choose a journal without that restriction in Roger's integration settings."
                ),
                code="journal_restricted",
            )
        low, high = journal.get("minimumVoucherNumber"), journal.get("maximumVoucherNumber")
        following = journal.get("nextVoucherNumber")
        if isinstance(high, int) and isinstance(following, int) and following > high:
            return ErpError(
                ErrorCategory.SETUP,
                N_("Journal {journal} ({name}) has used up its voucher numbers ({low} to {high})").format(
                    journal=number, name=name, low=low or 1, high=high
                ),
                field="journal",
                hint=N_("Widen the journal's voucher number range in e-conomic, or choose another journal."),
                code="journal_numbers_used_up",
            )
        return None

    def check_journal(self) -> None:
        problem = self.journal_problem()
        if problem is not None:
            raise ConnectorError(problem)
