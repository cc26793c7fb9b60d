"""The Journals API (openapi-Journals.json 15.0.0, under ``/journalsapi/v15.0.0``): draft entries, journals,
booking specific entries.

* ``GET /draft-entries`` (cursor, ``filter`` on the ``x-filterable`` properties), ``GET`` and ``DELETE
  /draft-entries/{n}`` (204).
* ``POST /draft-entries``: 201 ``{entryNumber}``; ``voucherNumber`` may be left out (15.0.0: "the server
  generates a unique voucher number for the journal"); ``exchangeRate`` may be left out (8.0.0: "A default
  exchange rate will be set based on entry date and currency").
* ``PUT /draft-entries``: the whole DraftEntry with ``entryNumber``, ``voucherNumber`` and ``objectVersion``; a
  stale ``objectVersion`` is 409 ("If object was modified between Get and Put requests, Put request will fail with
  error code 409 Conflict"); 204 otherwise.  The DraftEntry has no VAT amount (the VAT follows ``contraVatCode``)
  and no department (dimensions are their own resource since 9.0.0: a PUT leaves the draft's department alone).
* ``GET /journals/{number}``; ``POST /journals/{journalNumber}/bookdraftentries`` ``{"entryNumbers": [...]}``
  → 204.
Errors are problem+json with codes from ``x-error-codes`` only.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from integrations.sandbox.economic.errors import PROBLEM_JSON, EconomicError, problem, problem_body
from integrations.sandbox.economic.journals_validation import TYPE_NAMES, validate
from integrations.sandbox.economic.ledger import book_entries, closed_entries, cursor_page
from integrations.sandbox.economic.model import (
    ENTRY_TYPE_NUMBERS,
    Agreement,
    Entry,
)
from integrations.sandbox.messages import Request, Response, dumps, json_response

DRAFT_FILTERABLE = {
    "entryNumber",
    "entryTypeNumber",
    "voucherNumber",
    "journalNumber",
    "date",
    "accountNumber",
    "currency",
    "contraAccountNumber",
    "projectNumber",
    "customerNumber",
    "supplierNumber",
}


def draft_json(entry: Entry) -> dict[str, Any]:
    data = entry.data
    out: dict[str, Any] = {
        "entryNumber": entry.number,
        "entryTypeNumber": ENTRY_TYPE_NUMBERS[entry.entry_type],
        "voucherNumber": entry.voucher,
        "journalNumber": entry.journal,
        "date": f"{data['date']}T00:00:00Z",
        "amount": data["amount"],
        "currency": data["currency"],
        "exchangeRate": data["exchangeRate"],
    }
    if "account" in data:
        out["accountNumber"] = data["account"]
    if "contraAccount" in data:
        out["contraAccountNumber"] = data["contraAccount"]
    if data.get("contraVatAccount"):
        out["contraVatCode"] = data["contraVatAccount"]
    if data.get("text"):
        out["text"] = data["text"]
    if "supplier" in data:
        out["supplierNumber"] = data["supplier"]
    if data.get("supplierInvoiceNumber"):
        out["supplierInvoiceNumber"] = data["supplierInvoiceNumber"]
    if data.get("dueDate"):
        out["dueDate"] = f"{data['dueDate']}T00:00:00Z"
    out["objectVersion"] = entry.object_version
    return out


def journal_json(ag: Agreement, number: int) -> dict[str, Any]:
    settings = ag.journals[number]
    low, high = ag.voucher_range(number)
    year = ag.year_of(date.today()) or ""
    following = ag.next_voucher_number(number, year) if year else low
    out: dict[str, Any] = {
        "number": number,
        "name": settings["name"],
        "balancingBehavior": False,
        "autoApprove": False,
        "isStandingJournal": False,
        "requireAdminApproval": False,
        "lockVatCodes": False,
        "allowPartialBooking": False,
        "requireBalancePerVoucherId": False,
        "repeatText": False,
        "minimumVoucherNumber": low,
        "maximumVoucherNumber": high,
        "nextVoucherNumber": following if following is not None else high + 1,
        "allowedEntryType": int(settings.get("allowedEntryType") or 0),
        "objectVersion": f"j{number}",
    }
    return out


def journals_api(ag: Agreement, request: Request, parts: list[str], json_body: Any) -> Response:
    method = request.method
    if method == "GET" and parts == ["draft-entries"]:
        return cursor_page(request, [draft_json(e) for e in ag.drafts.values()], "entryNumber", DRAFT_FILTERABLE)
    if method == "GET" and len(parts) == 2 and parts[0] == "draft-entries":
        entry = ag.drafts.get(int(parts[1])) if parts[1].isdigit() else None
        if entry is None:
            raise problem(
                404,
                "Not found.",
                code="JournalEntryDoesNotExist",
                message="The entry does not exist.",
                prop="entryNumber",
            )
        return json_response(200, draft_json(entry))
    if method == "DELETE" and len(parts) == 2 and parts[0] == "draft-entries":
        entry = ag.drafts.get(int(parts[1])) if parts[1].isdigit() else None
        if entry is None:
            raise problem(
                404,
                "Not found.",
                code="JournalEntryDoesNotExist",
                message="The entry does not exist.",
                prop="entryNumber",
            )
        del ag.drafts[entry.number]  # its voucher number stays used: e-conomic never hands it out again
        return Response(status=204)
    if method == "POST" and parts == ["draft-entries"]:
        return _create(ag, json_body())
    if method == "PUT" and parts == ["draft-entries"]:
        return _update(ag, json_body())
    if method == "GET" and len(parts) == 2 and parts[0] == "journals":
        number = int(parts[1]) if parts[1].isdigit() else -1
        if number not in ag.journals:
            raise problem(
                404, "Not found.", code="JournalDoesNotExist", message="Journal does not exist.", prop="number"
            )
        return json_response(200, journal_json(ag, number))
    if method == "POST" and len(parts) == 3 and parts[0] == "journals" and parts[2] == "bookdraftentries":
        return _book(ag, parts[1], json_body())
    raise problem(
        404, "Not found.", detail=f"The sandbox does not serve {method} {'/'.join(parts)} of the Journals API."
    )


def _create(ag: Agreement, raw: Any) -> Response:
    data, kind, year, voucher = validate(ag, raw, None)
    journal = raw["journalNumber"]
    if voucher is None:
        voucher = ag.next_voucher_number(journal, year)
        if voucher is None:
            raise problem(
                400,
                "Bad request.",
                code="JournalVoucherNextNumberNotWithinBoundaries",
                message="The journal's voucher numbers are used up.",
                prop="voucherNumber",
            )
    ag.take_voucher(journal, year, voucher)
    entry = ag.new_entry(journal, year, voucher, TYPE_NAMES[kind], data)
    return json_response(201, {"entryNumber": entry.number})


def _update(ag: Agreement, raw: Any) -> Response:
    number = raw.get("entryNumber") if isinstance(raw, dict) else None
    entry = ag.drafts.get(number) if isinstance(number, int) else None
    if entry is None:
        raise problem(
            404, "Not found.", code="JournalEntryDoesNotExist", message="The entry does not exist.", prop="entryNumber"
        )
    edit = ag.pending_edits.pop(entry.number, None)
    if edit is not None:  # an accountant's change lands between Roger's read and this write
        entry.data.update(edit)
        entry.version += 1
    if raw.get("objectVersion") != entry.object_version:
        raise EconomicError(
            409,
            problem_body(
                409,
                "Update conflict. Version does not match.",
                detail="The resource has been updated by another user. Retrieve the resource/object and try the "
                "update again. This is needed in order to prevent you from rolling back another user's update.",
                errors=[{"message": "Update conflict. Version does not match.", "property": "objectVersion"}],
            ),
            PROBLEM_JSON,
        )
    if raw.get("voucherNumber") is None:
        raise problem(400, "Bad request.", message="PUT requests require voucherNumber.", prop="voucherNumber")
    data, _kind, _year, voucher = validate(ag, raw, entry)
    if voucher != entry.voucher:
        raise problem(
            400,
            "Bad request.",
            code="JournalVoucherEntityAlreadyExistsError",
            message="The sandbox keeps a draft in its voucher.",
            prop="voucherNumber",
        )
    if entry.data.get("departmentalDistribution"):
        data["departmentalDistribution"] = entry.data["departmentalDistribution"]
    entry.data = data
    entry.version += 1
    return Response(status=204)


def _book(ag: Agreement, raw_journal: str, raw: Any) -> Response:
    journal = int(raw_journal) if raw_journal.isdigit() else -1
    if journal not in ag.journals:
        raise problem(
            404, "Not found.", code="JournalDoesNotExist", message="Journal does not exist.", prop="journalNumber"
        )
    numbers = raw.get("entryNumbers") if isinstance(raw, dict) else None
    if not isinstance(numbers, list) or not numbers or not all(isinstance(n, int) for n in numbers):
        raise problem(
            400,
            "Bad request.",
            code="OneAPIEntriesListCannotBeEmpty",
            message="entryNumbers must list the entries to book.",
            prop="entryNumbers",
        )
    chosen = []
    for number in numbers:
        entry = ag.drafts.get(number)
        if entry is None or entry.journal != journal:
            raise problem(
                400,
                "Bad request.",
                code="JournalEntryDoesNotExist",
                message=f"Entry {number} does not exist in journal {journal}.",
                prop="entryNumbers",
            )
        chosen.append(entry)
    closed = closed_entries(ag, chosen)
    if closed:
        entry, reason, code = closed[0]
        raise problem(400, "Bad request.", code=code, message=reason, prop="date")
    book_entries(ag, chosen)
    return Response(status=204)


__all__ = ["dumps", "journals_api"]
