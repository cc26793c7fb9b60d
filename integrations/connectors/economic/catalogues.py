"""What the mapping editors offer (legacy API collections), and a department mapping → its distribution number.

* accounts: ``accountNumber`` of ``profitAndLoss`` and ``status`` accounts (headings and totals take no
  entries; group = the account type);  * tax rates: the VAT account's ``vatCode`` (group = the VAT type);
* tracking options: ``"Department: <departmentalDistributionNumber>"`` (Xero's ``"<category>: <option>"``
  form, so the mapper's split yields the number); a bare number or a department *name* also works;
* bank accounts: ``status`` accounts whose name reads like bank/cash (``bank``, ``kasse``, ``giro``…), or every
  open ``status`` account when none does (the legacy API has no bank flag);
* contacts: ``supplierNumber`` (group = the supplier group number).
"""

from __future__ import annotations

import re

from integrations.connectors.base import N_, BillData, CatalogItem, ErpError, PaymentData
from integrations.connectors.economic.client import EconomicHttp
from integrations.connectors.economic.errors import setup_error
from integrations.connectors.economic.ids import DEPARTMENT_GROUP, money, ref_number

BANK_WORDS = re.compile(r"bank|kasse|cash|giro|konto|mobilepay|account", re.IGNORECASE)


class Catalogues:
    def __init__(self, client: EconomicHttp) -> None:
        self.client = client

    def accounts(self) -> list[CatalogItem]:
        """Accounts that take entries (``profitAndLoss`` and ``status``); headings and totals cannot."""
        return [
            CatalogItem(
                code=str(item.get("accountNumber")),
                name=str(item.get("name") or ""),
                group=str(item.get("accountType")),
                active=not item.get("barred") and not item.get("blockDirectEntries"),
            )
            for item in self.client.paged("/accounts")
            if item.get("accountType") in ("profitAndLoss", "status")
        ]

    def tax_rates(self) -> list[CatalogItem]:
        out = []
        for item in self.client.paged("/vat-accounts"):
            rate = money(item.get("ratePercentage"))
            name = str(item.get("name") or item.get("vatCode"))
            out.append(
                CatalogItem(
                    code=str(item.get("vatCode")),
                    name=f"{name} ({rate.normalize():f}%)" if rate is not None else name,
                    group=str((item.get("vatType") or {}).get("name") or ""),
                    active=not item.get("barred"),
                )
            )
        return out

    def tracking_options(self) -> list[CatalogItem]:
        return [
            CatalogItem(
                code=f"{DEPARTMENT_GROUP}: {item.get('departmentalDistributionNumber')}",
                name=str(item.get("name") or ""),
                group=DEPARTMENT_GROUP,
                active=not item.get("barred"),
            )
            for item in self.client.paged("/departmental-distributions")
        ]

    def bank_accounts(self) -> list[CatalogItem]:
        status = [a for a in self.accounts() if a.group == "status" and a.active]
        banks = [a for a in status if BANK_WORDS.search(a.name)]
        return banks or status

    def contacts(self) -> list[CatalogItem]:
        return [
            CatalogItem(
                code=str(item.get("supplierNumber")),
                name=str(item.get("name") or ""),
                group=str((item.get("supplierGroup") or {}).get("supplierGroupNumber") or ""),
                active=not item.get("barred"),
            )
            for item in self.client.paged("/suppliers")
        ]


class DepartmentResolver:
    """A bill's department mapping → ``departmentalDistributionNumber`` (names looked up once per call)."""

    def __init__(self, client: EconomicHttp) -> None:
        self.client = client
        self.by_name: dict[str, int] | None = None

    def __call__(self, data: BillData | PaymentData) -> int | ErpError | None:
        if not isinstance(data, BillData) or not data.lines or not data.lines[0].tracking:
            return None
        option = data.lines[0].tracking[0].option.strip()
        if option.isdigit():
            return int(option)
        if self.by_name is None:
            self.by_name = {
                str(item.get("name") or "").strip().lower(): int(item["departmentalDistributionNumber"])
                for item in self.client.paged("/departmental-distributions")
                if ref_number(item, "departmentalDistributionNumber") and not item.get("barred")
            }
        number = self.by_name.get(option.lower())
        if number is None:
            return setup_error(N_("e-conomic has no department '{department}'").format(department=option), "department")
        return number
