"""The lists the mapping editors offer (DESIGN §6): accounts, bank accounts, tax rates, tracking options, contacts.

Catalogue codes (what the mapping editors store):
* accounts: the account ``Code``;                 * tax rates: the ``TaxType``;
* bank accounts: the account ``Code`` (the ``AccountID`` for a bank account without a code);
* tracking options: ``"<Category name>: <Option name>"`` (group = the category name) — the same text Xero
  shows and that ``BillData.comparable()["tracking"]`` uses; ``parse_tracking_code`` splits it back;
* contacts: the ``ContactID`` (group = the ContactNumber or AccountNumber, if any).
"""

from __future__ import annotations

from integrations.connectors.base import CatalogItem
from integrations.connectors.xero.transport import XeroApi
from integrations.connectors.xero.values import money


def accounts(api: XeroApi) -> list[CatalogItem]:
    reply = api.request("GET", "/Accounts", params=[("where", 'Status=="ACTIVE"')])
    out = []
    for acc in (reply.data or {}).get("Accounts") or []:
        # Bills are coded to expense-side accounts (expenses, direct costs, overheads, assets bought);
        # bank accounts are for payments and revenue accounts never take a supplier bill.
        if acc.get("Type") == "BANK" or acc.get("Class") not in ("EXPENSE", "ASSET", "LIABILITY", None):
            continue
        if not acc.get("Code") or acc.get("Status", "ACTIVE") != "ACTIVE":
            continue
        out.append(CatalogItem(code=str(acc["Code"]), name=str(acc.get("Name", "")), group=str(acc.get("Type", ""))))
    return out


def bank_accounts(api: XeroApi) -> list[CatalogItem]:
    reply = api.request("GET", "/Accounts", params=[("where", 'Type=="BANK"')])
    out = []
    for acc in (reply.data or {}).get("Accounts") or []:
        if acc.get("Type") != "BANK":
            continue
        code = str(acc.get("Code") or acc.get("AccountID") or "")
        out.append(
            CatalogItem(
                code=code,
                name=str(acc.get("Name", "")),
                group=str(acc.get("CurrencyCode", "")),
                active=acc.get("Status", "ACTIVE") == "ACTIVE",
            )
        )
    return out


def tax_rates(api: XeroApi) -> list[CatalogItem]:
    reply = api.request("GET", "/TaxRates")
    out = []
    for rate in (reply.data or {}).get("TaxRates") or []:
        if rate.get("CanApplyToExpenses") is False or not rate.get("TaxType"):
            continue
        shown = rate.get("DisplayTaxRate", rate.get("EffectiveRate"))
        name = str(rate.get("Name", "")) + (f" ({money(shown).normalize():f}%)" if shown is not None else "")
        out.append(CatalogItem(code=str(rate["TaxType"]), name=name, active=rate.get("Status", "ACTIVE") == "ACTIVE"))
    return out


def tracking_options(api: XeroApi) -> list[CatalogItem]:
    reply = api.request("GET", "/TrackingCategories")
    out = []
    for category in (reply.data or {}).get("TrackingCategories") or []:
        cat_name = str(category.get("Name", ""))
        cat_active = category.get("Status", "ACTIVE") == "ACTIVE"
        for option in category.get("Options") or []:
            opt_name = str(option.get("Name", ""))
            out.append(
                CatalogItem(
                    code=f"{cat_name}: {opt_name}",
                    name=opt_name,
                    group=cat_name,
                    active=cat_active and option.get("Status", "ACTIVE") == "ACTIVE",
                )
            )
    return out


def contacts(api: XeroApi) -> list[CatalogItem]:
    """Every contact, paged (100 a page is what paging is for: developer.xero.com/documentation/api/accounting/
    contacts, "Paging contacts (recommended)"); ``summaryOnly`` keeps each page light."""
    out = []
    for contact in api.get_all("/Contacts", "Contacts", [("summaryOnly", "true")]):
        number = contact.get("ContactNumber") or contact.get("AccountNumber") or ""
        out.append(
            CatalogItem(
                code=str(contact.get("ContactID", "")),
                name=str(contact.get("Name", "")),
                group=str(number),
                active=contact.get("ContactStatus", "ACTIVE") == "ACTIVE",
            )
        )
    return out
