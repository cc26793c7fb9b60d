"""Booking drafts into the ledger, and the BookedEntries API that reads the ledger back.

Booking moves a draft out of its journal into balanced ledger lines of its accounting year, with its voucher
number (legacy ``accounting-years/:year/entries``; BookedEntries API ``/booked-entries``).  Booked entries never
change.  Refused whole when an entry is dated in a closed period or year (``JournalEntryDateAccountingYear…``).

``GET /booked-entries`` (openapi-BookedEntries.json, v4.0.0): cursor pages of at most 1000 ``BookedEntry`` items
("x-cursor-page-size": 1000; "If the cursor is not present in the response … no more items"), filterable on the
properties marked ``x-filterable``.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from integrations.sandbox.economic.errors import problem
from integrations.sandbox.economic.filters import FilterError, compile_filter
from integrations.sandbox.economic.model import CREDITORS_ACCOUNT, ENTRY_TYPE_NUMBERS, Agreement, Entry, base_amount
from integrations.sandbox.messages import Request, Response, json_response

PAGE = 1000
BOOKED_ENTRY_FILTERABLE = {
    "entryNumber",
    "accountNumber",
    "projectNumber",
    "amount",
    "amountInBaseCurrency",
    "currencyCode",
    "date",
    "dueDate",
    "text",
    "type",
    "vatAccountNumber",
    "voucherNumber",
    "customerNumber",
    "customerInvoiceNumber",
    "supplierNumber",
    "supplierInvoiceNumber",
    "remainder",
}


def closed_entries(ag: Agreement, entries: list[Entry]) -> list[tuple[Entry, str, str]]:
    found = []
    for entry in entries:
        reason, code = ag.closed_reason(entry.year, date.fromisoformat(entry.data["date"]))
        if reason:
            found.append((entry, reason, code))
    return found


def book_entries(ag: Agreement, entries: list[Entry]) -> list[tuple[str, int]]:
    """Move drafts to the ledger: each becomes balanced ledger lines under its accounting year."""
    done: list[tuple[str, int]] = []
    for entry in sorted(entries, key=lambda e: e.number):
        data = entry.data
        amount: Decimal = data["amount"]
        rate: Decimal = data.get("exchangeRate") or Decimal(100)
        common: dict[str, Any] = {
            "voucherNumber": entry.voucher,
            "date": data["date"],
            "currency": data["currency"],
            "entryType": entry.entry_type,
            "text": data.get("text", ""),
        }
        if "supplier" in data:
            common["supplier"] = {"supplierNumber": data["supplier"]}
        if data.get("supplierInvoiceNumber"):
            common["supplierInvoiceNumber"] = data["supplierInvoiceNumber"]
        if data.get("dueDate"):
            common["dueDate"] = data["dueDate"]
        lines: list[dict[str, Any]] = []
        vat = data.get("contraVatAmount") or Decimal(0)
        if entry.entry_type == "supplierInvoice":
            lines.append({**common, "account": CREDITORS_ACCOUNT, "amount": -amount})
            expense: dict[str, Any] = {**common, "account": data["contraAccount"], "amount": amount - vat}
            if data.get("contraVatAccount"):
                expense["vatAccount"] = {"vatCode": data["contraVatAccount"]}
            if data.get("departmentalDistribution"):
                expense["departmentalDistribution"] = {
                    "departmentalDistributionNumber": data["departmentalDistribution"]
                }
            lines.append(expense)
            if vat:
                lines.append({**common, "account": ag.vat_accounts[data["contraVatAccount"]]["account"], "amount": vat})
        elif entry.entry_type == "supplierPayment":
            lines.append({**common, "account": CREDITORS_ACCOUNT, "amount": amount})
            lines.append({**common, "account": data["contraAccount"], "amount": -amount})
        else:
            if "account" in data:
                lines.append({**common, "account": data["account"], "amount": amount})
            if "contraAccount" in data:
                lines.append({**common, "account": data["contraAccount"], "amount": -amount})
        for line in lines:
            account = line.pop("account")
            line["account"] = {"accountNumber": account}
            line["amountInBaseCurrency"] = base_amount(line["amount"], rate)
            line["entryNumber"] = ag.next_booked_line
            line["_journal"] = entry.journal
            ag.next_booked_line += 1
            ag.booked.setdefault(entry.year, []).append(line)
            if account in ag.accounts:
                ag.accounts[account]["balance"] += line["amountInBaseCurrency"]
        ag.booked_entries[entry.number] = (entry.year, entry.voucher)
        del ag.drafts[entry.number]
        if (entry.year, entry.voucher) not in done:
            done.append((entry.year, entry.voucher))
    return done


def booked_entry_json(line: dict[str, Any]) -> dict[str, Any]:
    """A ledger line as the BookedEntries API's ``BookedEntry`` (additionalProperties false)."""
    out: dict[str, Any] = {
        "entryNumber": line["entryNumber"],
        "accountNumber": line["account"]["accountNumber"],
        "amount": line["amount"],
        "amountInBaseCurrency": line["amountInBaseCurrency"],
        "currencyCode": line["currency"],
        "date": f"{line['date']}T00:00:00Z",
        "text": line.get("text") or "",
        "type": ENTRY_TYPE_NUMBERS.get(line["entryType"], 0),
        "voucherNumber": line["voucherNumber"],
    }
    if line.get("dueDate"):
        out["dueDate"] = f"{line['dueDate']}T00:00:00Z"
    if line.get("vatAccount"):
        out["vatAccountNumber"] = line["vatAccount"]["vatCode"]
    if line.get("supplier"):
        out["supplierNumber"] = line["supplier"]["supplierNumber"]
    if line.get("supplierInvoiceNumber"):
        out["supplierInvoiceNumber"] = line["supplierInvoiceNumber"]
    return out


def cursor_page(request: Request, items: list[dict[str, Any]], key: str, filterable: set[str]) -> Response:
    """One cursor page of ``items`` (sorted by ``key``), after the request's filter."""
    flt = request.query_value("filter")
    if flt:
        try:
            keep = compile_filter(flt, filterable, lambda item, prop: item.get(prop))
        except FilterError as exc:
            raise problem(400, "Bad request.", message=str(exc), prop="filter") from None
        items = [i for i in items if keep(i)]
    items = sorted(items, key=lambda i: i[key])
    cursor = request.query_value("cursor")
    if cursor:
        if not cursor.isdigit():
            raise problem(400, "Bad request.", message="The cursor is not valid.", prop="cursor")
        items = [i for i in items if i[key] >= int(cursor)]
    page, rest = items[:PAGE], items[PAGE:]
    body: dict[str, Any] = {"items": page}
    if rest:
        body["cursor"] = str(rest[0][key])
    return json_response(200, body)


def booked_entries_api(ag: Agreement, request: Request, parts: list[str]) -> Response:
    if request.method == "GET" and parts == ["booked-entries"]:
        lines = [booked_entry_json(line) for lines in ag.booked.values() for line in lines]
        return cursor_page(request, lines, "entryNumber", BOOKED_ENTRY_FILTERABLE)
    raise problem(404, "Not found.", detail="The BookedEntries sandbox serves GET /booked-entries only.")
