"""The legacy REST API's JSON shapes (one ``*.get.schema.json`` each in specs/economic/legacy) and its paged
collections (``collection`` + ``pagination`` with ``skippages``/``pagesize``, at most 1000 a page)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from integrations.sandbox.economic.errors import legacy_error
from integrations.sandbox.economic.filters import FilterError, compile_filter, dotted
from integrations.sandbox.economic.model import ENTRY_KINDS, Agreement, Entry
from integrations.sandbox.messages import Request, Response, json_response

# What each legacy collection's schema marks "filterable": true.
ENTRY_FILTERABLE = {
    "account.accountNumber",
    "customer.customerNumber",
    "supplier.supplierNumber",
    "text",
    "amount",
    "contraAccount.accountNumber",
    "contraVatAccount.vatCode",
    "contraVatAmount",
    "currency.code",
    "date",
    "employee.employeeNumber",
    "exchangeRate",
    "entryType",
    "voucher.voucherNumber",
    "amountDefaultCurrency",
    "journalEntryNumber",
}
BOOKED_FILTERABLE = {
    "amount",
    "supplierInvoiceNumber",
    "amountInBaseCurrency",
    "currency",
    "date",
    "dueDate",
    "project.projectNumber",
    "costType.costTypeNumber",
    "entryNumber",
    "text",
    "entryType",
    "customer.customerNumber",
    "supplier.supplierNumber",
    "unit1.unitNumber",
    "unit2.unitNumber",
    "quantity1",
    "quantity2",
    "voucherNumber",
    "remainder",
    "remainderInBaseCurrency",
}
# suppliers.get.schema.json: every property marked "filterable": true; all but supplierNumber and barred are
# strings, on which the legacy API refuses $in:/$nin: ("We only allow in and not in operators on numeric
# properties", restdocs "Filtering").
SUPPLIER_TEXT = {
    "address",
    "bankAccount",
    "city",
    "corporateIdentificationNumber",
    "country",
    "currency",
    "defaultInvoiceText",
    "email",
    "name",
    "zip",
}
SUPPLIER_FILTERABLE = SUPPLIER_TEXT | {"supplierNumber", "barred"}
ACCOUNT_FILTERABLE = {"accountNumber", "accountType", "balance", "barred", "blockDirectEntries", "debitCredit", "name"}
YEAR_FILTERABLE = {"closed", "fromDate", "toDate", "year"}
DIST_FILTERABLE = {"departmentalDistributionNumber", "name"}


def year_path(year: str) -> str:
    return year.replace("/", "_6_")


def collection(
    request: Request,
    base: str,
    path: str,
    items: list[dict[str, Any]],
    filterable: set[str],
    text: frozenset[str] | set[str] = frozenset(),
) -> Response:
    """A legacy collection page; ``text``: string properties, on which ``$in:``/``$nin:`` are refused."""
    total = len(items)
    flt = request.query_value("filter")
    if flt:
        try:
            keep = compile_filter(flt, filterable, dotted, no_lists=text)
        except FilterError as exc:
            raise legacy_error(400, str(exc), hint="See the collection's schema for filterable properties.") from None
        items = [i for i in items if keep(i)]
    try:
        skip = int(request.query_value("skippages", "0") or 0)
        size = int(request.query_value("pagesize", "20") or 20)
    except ValueError:
        raise legacy_error(400, "skippages and pagesize must be integers.") from None
    if size < 1 or size > 1000 or skip < 0:
        raise legacy_error(400, "pagesize must be between 1 and 1000.")
    chunk = items[skip * size : (skip + 1) * size]
    last = max(0, (len(items) - 1) // size)

    def link(page: int) -> str:
        query = f"skippages={page}&pagesize={size}" + (f"&filter={quote(flt, safe='')}" if flt else "")
        return f"{base}{path}?{query}"

    pagination: dict[str, Any] = {
        "maxPageSizeAllowed": 1000,
        "skipPages": skip,
        "pageSize": size,
        "results": len(items),
        "resultsWithoutFilter": total,
        "firstPage": link(0),
        "lastPage": link(last),
    }
    if skip < last:
        pagination["nextPage"] = link(skip + 1)
    if skip > 0:
        pagination["previousPage"] = link(skip - 1)
    return json_response(200, {"collection": chunk, "pagination": pagination, "self": link(skip)})


def self_json(ag: Agreement, base: str) -> dict[str, Any]:
    return {
        "agreementNumber": ag.number,
        "company": {"name": ag.name},
        "settings": {"baseCurrency": ag.base_currency},
        "modules": [
            {"moduleNumber": n, "name": m, "self": f"{base}/modules/{n}"} for n, m in enumerate(sorted(ag.modules), 1)
        ],
        "self": f"{base}/self",
    }


def year_json(ag: Agreement, year: str, base: str) -> dict[str, Any]:
    info = ag.years[year]
    path = f"{base}/accounting-years/{year_path(year)}"
    out: dict[str, Any] = {
        "year": year,
        "fromDate": info["fromDate"],
        "toDate": info["toDate"],
        "entries": f"{path}/entries",
        "periods": f"{path}/periods",
        "totals": f"{path}/totals",
        "self": path,
    }
    if info["closed"]:
        out["closed"] = True  # e-conomic omits false booleans
    return out


def period_json(year: str, period: dict[str, Any], base: str) -> dict[str, Any]:
    path = f"{base}/accounting-years/{year_path(year)}"
    out = {k: v for k, v in period.items() if k != "closed"}
    if period["closed"]:
        out["closed"] = True
    out["accountingYear"] = {"year": year, "self": path}
    out["self"] = f"{path}/periods/{period['periodNumber']}"
    return out


def account_json(account: dict[str, Any], base: str) -> dict[str, Any]:
    out = {k: v for k, v in account.items() if k != "barred"}
    if account.get("barred"):
        out["barred"] = True
    out["self"] = f"{base}/accounts/{account['accountNumber']}"
    return out


def vat_json(vat: dict[str, Any], base: str) -> dict[str, Any]:
    out: dict[str, Any] = {
        "vatCode": vat["vatCode"],
        "name": vat["name"],
        "ratePercentage": vat["ratePercentage"],
        "vatType": {**vat["vatType"], "self": f"{base}/vat-types/{vat['vatType']['vatTypeNumber']}"},
        "account": {"accountNumber": vat["account"], "self": f"{base}/accounts/{vat['account']}"},
        "self": f"{base}/vat-accounts/{vat['vatCode']}",
    }
    if vat.get("barred"):
        out["barred"] = True
    return out


def dist_json(dist: dict[str, Any], base: str) -> dict[str, Any]:
    out: dict[str, Any] = {
        "departmentalDistributionNumber": dist["departmentalDistributionNumber"],
        "name": dist["name"],
        "distributionType": dist["distributionType"],
        "distributions": [
            {
                "department": {"departmentNumber": d["department"], "self": f"{base}/departments/{d['department']}"},
                "percentage": d["percentage"],
            }
            for d in dist["distributions"]
        ],
        "self": f"{base}/departmental-distributions/{dist['departmentalDistributionNumber']}",
    }
    if dist.get("barred"):
        out["barred"] = True
    return out


def supplier_json(s: dict[str, Any], base: str) -> dict[str, Any]:
    out: dict[str, Any] = {"supplierNumber": s["supplierNumber"], "name": s["name"], "currency": s["currency"]}
    for key in ("corporateIdentificationNumber", "email", "country", "address", "city", "zip", "phone"):
        if s.get(key):
            out[key] = s[key]
    out["supplierGroup"] = {
        "supplierGroupNumber": s["supplierGroup"],
        "self": f"{base}/supplier-groups/{s['supplierGroup']}",
    }
    out["paymentTerms"] = {"paymentTermsNumber": s["paymentTerms"], "self": f"{base}/payment-terms/{s['paymentTerms']}"}
    out["vatZone"] = {"vatZoneNumber": s["vatZone"], "self": f"{base}/vat-zones/{s['vatZone']}"}
    out["layout"] = {"layoutNumber": 19, "self": f"{base}/layouts/19"}  # required by suppliers.*.get schemas
    if s.get("barred"):
        out["barred"] = True
    out["self"] = f"{base}/suppliers/{s['supplierNumber']}"
    return out


def journal_json(ag: Agreement, journal: int, base: str) -> dict[str, Any]:
    settings = ag.journals[journal]
    low, high = ag.voucher_range(journal)
    out_settings: dict[str, Any] = {"voucherNumbers": {"minimumVoucherNumber": low, "maximumVoucherNumber": high}}
    allowed = int(settings.get("allowedEntryType") or 0)
    if allowed:
        out_settings["entryTypeRestrictedTo"] = next(k for k, v in _TYPE_NUMBERS.items() if v == allowed)
    return {
        "journalNumber": journal,
        "name": settings["name"],
        "settings": out_settings,
        "entries": f"{base}/journals/{journal}/entries",
        "vouchers": f"{base}/journals/{journal}/vouchers",
        "self": f"{base}/journals/{journal}",
    }


def entry_json(entry: Entry, base: str) -> dict[str, Any]:
    data = entry.data
    out: dict[str, Any] = {"journalEntryNumber": entry.number, "entryType": entry.entry_type}
    if "supplier" in data:
        out["supplier"] = {"supplierNumber": data["supplier"], "self": f"{base}/suppliers/{data['supplier']}"}
    if data.get("supplierInvoiceNumber"):
        out["supplierInvoiceNumber"] = data["supplierInvoiceNumber"]
    if data.get("text"):
        out["text"] = data["text"]
    out["amount"] = data["amount"]
    for prop in ("account", "contraAccount"):
        if prop in data:
            out[prop] = {"accountNumber": data[prop], "self": f"{base}/accounts/{data[prop]}"}
    if data.get("contraVatAccount"):
        out["contraVatAccount"] = {
            "vatCode": data["contraVatAccount"],
            "self": f"{base}/vat-accounts/{data['contraVatAccount']}",
        }
        out["contraVatAmount"] = data["contraVatAmount"]
    out["currency"] = {"code": data["currency"], "self": f"{base}/currencies/{data['currency']}"}
    out["exchangeRate"] = data["exchangeRate"]
    out["amountDefaultCurrency"] = data["amountBaseCurrency"]
    out["date"] = data["date"]
    if data.get("dueDate"):
        out["dueDate"] = data["dueDate"]
    if data.get("departmentalDistribution"):
        number = data["departmentalDistribution"]
        out["departmentalDistribution"] = {
            "departmentalDistributionNumber": number,
            "self": f"{base}/departmental-distributions/{number}",
        }
    out["journal"] = {"journalNumber": entry.journal, "self": f"{base}/journals/{entry.journal}"}
    out["voucher"] = {
        "voucherNumber": entry.voucher,
        "accountingYear": {"year": entry.year, "self": f"{base}/accounting-years/{year_path(entry.year)}"},
        "self": f"{base}/journals/{entry.journal}/vouchers/{year_path(entry.year)}-{entry.voucher}",
    }
    out["self"] = f"{base}/journals/{entry.journal}/entries/{entry.number}"
    return out


def voucher_json(journal: int, year: str, number: int, entries: list[Entry], base: str) -> dict[str, Any]:
    grouped: dict[str, list[dict[str, Any]]] = {}
    plural = {v: k for k, v in ENTRY_KINDS.items()}
    for entry in entries:
        grouped.setdefault(plural[entry.entry_type], []).append(entry_json(entry, base))
    return {
        "accountingYear": {"year": year, "self": f"{base}/accounting-years/{year_path(year)}"},
        "journal": {"journalNumber": journal, "self": f"{base}/journals/{journal}"},
        "voucherNumber": number,
        "entries": grouped,
        "self": f"{base}/journals/{journal}/vouchers/{year_path(year)}-{number}",
    }


def ledger_json(year: str, line: dict[str, Any], base: str) -> dict[str, Any]:
    """A booked ledger line as ``accounting-years.accountingYear.entries.get.schema.json`` describes it."""
    out = {k: v for k, v in line.items() if not k.startswith("_")}
    out["account"] = {**line["account"], "self": f"{base}/accounts/{line['account']['accountNumber']}"}
    if "supplier" in line:
        out["supplier"] = {**line["supplier"], "self": f"{base}/suppliers/{line['supplier']['supplierNumber']}"}
    if "vatAccount" in line:
        out["vatAccount"] = {**line["vatAccount"], "self": f"{base}/vat-accounts/{line['vatAccount']['vatCode']}"}
    if "departmentalDistribution" in line:
        number = line["departmentalDistribution"]["departmentalDistributionNumber"]
        out["departmentalDistribution"] = {
            "departmentalDistributionNumber": number,
            "self": f"{base}/departmental-distributions/{number}",
        }
    out["self"] = f"{base}/accounting-years/{year_path(year)}/entries/{line['entryNumber']}"
    return out


_TYPE_NUMBERS = {
    "customerPayment": 2,
    "supplierInvoice": 3,
    "supplierPayment": 4,
    "financeVoucher": 5,
    "manualCustomerInvoice": 10,
}
