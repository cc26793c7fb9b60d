"""The legacy REST API (``https://restapi.e-conomic.com``, one JSON schema per endpoint and verb in
specs/economic/legacy): what Roger reads there, ``POST /journals/:n/vouchers`` and ``POST /suppliers``.

Journal entries are read-only here (``journals.journalNumber.entries.*`` has GET schemas only): drafts change
through the Journals API.  Departments need the Dimension module ("This requires the departments module to be
enabled", ``departmentalDistribution`` in the voucher schema): without it the departments answer 403.
"""

from __future__ import annotations

from typing import Any

from integrations.sandbox.economic import legacy_shapes as shapes
from integrations.sandbox.economic.errors import Problems, legacy_body, legacy_error
from integrations.sandbox.economic.legacy_validation import validate_entry
from integrations.sandbox.economic.model import (
    CURRENCIES,
    ENTRY_KINDS,
    ENTRY_TYPE_NUMBERS,
    KNOWN_REFS,
    SUPPORTED_KINDS,
    Agreement,
)
from integrations.sandbox.messages import Request, Response, json_response


def not_found(what: str) -> Exception:
    return legacy_error(404, f"The {what} was not found.", hint="Use the links provided by the API.")


def year_key(ag: Agreement, raw: str) -> str:
    year = raw.replace("_6_", "/")
    if year not in ag.years:
        raise not_found("accounting year")
    return year


def journal_number(ag: Agreement, raw: str) -> int:
    if not raw.isdigit() or int(raw) not in ag.journals:
        raise not_found("journal")
    return int(raw)


def legacy_get(ag: Agreement, request: Request, parts: list[str], base: str) -> Response | None:
    n = len(parts)
    if parts == ["self"]:
        return json_response(200, shapes.self_json(ag, base))
    if parts == ["accounting-years"]:
        items = [shapes.year_json(ag, y, base) for y in ag.years]
        return shapes.collection(request, base, "/accounting-years", items, shapes.YEAR_FILTERABLE)
    if n == 2 and parts[0] == "accounting-years":
        return json_response(200, shapes.year_json(ag, year_key(ag, parts[1]), base))
    if n == 3 and parts[0] == "accounting-years" and parts[2] == "periods":
        year = year_key(ag, parts[1])
        periods = [shapes.period_json(year, p, base) for p in ag.years[year]["periods"]]
        return shapes.collection(
            request, base, f"/accounting-years/{parts[1]}/periods", periods, {"closed", "fromDate", "toDate"}
        )
    if n == 3 and parts[0] == "accounting-years" and parts[2] == "entries":
        year = year_key(ag, parts[1])
        lines = [shapes.ledger_json(year, line, base) for line in ag.booked.get(year, [])]
        return shapes.collection(
            request, base, f"/accounting-years/{parts[1]}/entries", lines, shapes.BOOKED_FILTERABLE
        )
    if parts == ["accounts"]:
        items = [shapes.account_json(a, base) for a in ag.accounts.values()]
        return shapes.collection(request, base, "/accounts", items, shapes.ACCOUNT_FILTERABLE)
    if n == 2 and parts[0] == "accounts":
        account = ag.accounts.get(int(parts[1])) if parts[1].isdigit() else None
        if account is None:
            raise not_found("account")
        return json_response(200, shapes.account_json(account, base))
    if parts == ["vat-accounts"]:
        return shapes.collection(
            request, base, "/vat-accounts", [shapes.vat_json(v, base) for v in ag.vat_accounts.values()], set()
        )
    if parts and parts[0] in ("departments", "departmental-distributions"):
        return _departments(ag, request, parts, base)
    if parts == ["suppliers"]:
        items = [shapes.supplier_json(s, base) for s in ag.suppliers.values()]
        return shapes.collection(
            request, base, "/suppliers", items, shapes.SUPPLIER_FILTERABLE, text=shapes.SUPPLIER_TEXT
        )
    if n == 2 and parts[0] == "suppliers":
        supplier = ag.suppliers.get(int(parts[1])) if parts[1].isdigit() else None
        if supplier is None:
            raise not_found("supplier")
        return json_response(200, shapes.supplier_json(supplier, base))
    if parts == ["journals"]:
        return shapes.collection(
            request, base, "/journals", [shapes.journal_json(ag, j, base) for j in ag.journals], set()
        )
    if n == 2 and parts[0] == "journals":
        return json_response(200, shapes.journal_json(ag, journal_number(ag, parts[1]), base))
    if n == 3 and parts[0] == "journals" and parts[2] == "entries":
        journal = journal_number(ag, parts[1])
        entries = [
            shapes.entry_json(e, base)
            for e in sorted(ag.drafts.values(), key=lambda e: e.number)
            if e.journal == journal
        ]
        return shapes.collection(request, base, f"/journals/{journal}/entries", entries, shapes.ENTRY_FILTERABLE)
    if n == 4 and parts[0] == "journals" and parts[2] == "entries":
        journal = journal_number(ag, parts[1])
        entry = ag.drafts.get(int(parts[3])) if parts[3].isdigit() else None
        if entry is None or entry.journal != journal:
            raise not_found("entry")
        return json_response(200, shapes.entry_json(entry, base))
    if n == 4 and parts[0] == "journals" and parts[2] == "vouchers":
        journal = journal_number(ag, parts[1])
        raw_year, _, number = parts[3].rpartition("-")
        year = year_key(ag, raw_year)
        entries = [
            e for e in ag.drafts.values() if e.journal == journal and e.year == year and str(e.voucher) == number
        ]
        if not entries:
            raise not_found("voucher")
        return json_response(200, shapes.voucher_json(journal, year, int(number), entries, base))
    return None


def _departments(ag: Agreement, request: Request, parts: list[str], base: str) -> Response:
    if "Dimension" not in ag.modules:
        raise legacy_error(
            403, "The agreement does not have the Dimension module.", hint="Departments require the module."
        )
    if parts == ["departments"]:
        items = [{**d, "self": f"{base}/departments/{d['departmentNumber']}"} for d in ag.departments.values()]
        return shapes.collection(request, base, "/departments", items, {"departmentNumber", "name"})
    wanted = {"departments": "department", "distributions": "distribution"}.get(parts[-1]) if len(parts) == 2 else None
    if len(parts) > 2 or (len(parts) == 2 and wanted is None):
        raise not_found("resource")
    items = [
        shapes.dist_json(d, base)
        for d in ag.distributions.values()
        if wanted is None or d["distributionType"] == wanted
    ]
    return shapes.collection(request, base, "/" + "/".join(parts), items, shapes.DIST_FILTERABLE)


def create_supplier(ag: Agreement, body: Any, base: str) -> Response:
    if not isinstance(body, dict):
        raise legacy_error(400, "The request body must be a supplier object.")
    problems = Problems()
    name = body.get("name")
    if not isinstance(name, str) or not name.strip():
        problems.add("name", "Property name is required.")
    elif len(name) > 255:
        problems.add("name", "name cannot be longer than 255 characters.", name)
    currency = body.get("currency")
    if not currency:
        problems.add("currency", "Property currency is required.")
    elif currency not in CURRENCIES:
        problems.add("currency", "currency does not exist.", currency)
    for prop, key in (
        ("supplierGroup", "supplierGroupNumber"),
        ("paymentTerms", "paymentTermsNumber"),
        ("vatZone", "vatZoneNumber"),
    ):
        ref = body.get(prop)
        if not isinstance(ref, dict) or not isinstance(ref.get(key), int):
            problems.add(prop, f"Property {prop} is required.")
        elif ref[key] not in KNOWN_REFS[prop]:
            problems.add(prop, f"{prop} does not exist.", ref[key])
    number = body.get("supplierNumber")
    if number is not None:
        if not isinstance(number, int) or not 1 <= number <= 999_999_999:
            problems.add("supplierNumber", "supplierNumber must be between 1 and 999999999.", number)
        elif number in ag.suppliers:
            problems.add("supplierNumber", "A supplier with this number already exists.", number)
    cvr = body.get("corporateIdentificationNumber")
    if cvr is not None and (not isinstance(cvr, str) or len(cvr) > 40):
        problems.add(
            "corporateIdentificationNumber", "corporateIdentificationNumber cannot be longer than 40 characters.", cvr
        )
    problems.raise_if_any()
    if number is None:
        number = max(ag.suppliers, default=0) + 1
    supplier = {
        "supplierNumber": number,
        "name": name,
        "currency": currency,
        "supplierGroup": body["supplierGroup"]["supplierGroupNumber"],
        "paymentTerms": body["paymentTerms"]["paymentTermsNumber"],
        "vatZone": body["vatZone"]["vatZoneNumber"],
    }
    for key in ("corporateIdentificationNumber", "email", "country", "address", "city", "zip", "phone"):
        if isinstance(body.get(key), str):
            supplier[key] = body[key]
    ag.suppliers[number] = supplier
    out = shapes.supplier_json(supplier, base)
    return json_response(201, out, headers={"Location": out["self"]})


def create_voucher(ag: Agreement, journal: int, voucher: Any, base: str, missing_rate: str = "default") -> Response:
    """One voucher object, validated whole before anything is created."""
    if not isinstance(voucher, dict):
        raise legacy_error(400, "The request body must be a voucher object.", hint="Send one voucher per request.")
    problems = Problems()
    nested: dict[str, list[dict[str, Any]]] = {}
    accounting_year = voucher.get("accountingYear")
    raw_year = accounting_year.get("year") if isinstance(accounting_year, dict) else None
    year = str(raw_year) if raw_year is not None else None
    if year is None:
        problems.add("accountingYear", "Property accountingYear is required.")
    elif year not in ag.years:
        problems.add("accountingYear", "accountingYear does not exist.", year)
        year = None
    elif ag.years[year]["closed"]:
        problems.add("accountingYear", f"The accounting year {year} is closed.", year)
        year = None
    body_journal = voucher.get("journal")
    if isinstance(body_journal, dict) and body_journal.get("journalNumber") not in (None, journal):
        problems.add(
            "journal", "journal.journalNumber does not match the journal in the URL.", body_journal.get("journalNumber")
        )
    allowed = int(ag.journals[journal].get("allowedEntryType") or 0)
    entries = voucher.get("entries")
    stored: list[tuple[str, dict[str, Any]]] = []
    if not isinstance(entries, dict) or not any(entries.get(k) for k in ENTRY_KINDS):
        problems.add("entries", "A voucher must have at least one entry.")
    else:
        for kind, items in entries.items():
            if kind not in ENTRY_KINDS or kind not in SUPPORTED_KINDS or not isinstance(items, list):
                problems.add("entries", f"{kind} are not supported here.")
                continue
            if allowed and ENTRY_TYPE_NUMBERS[ENTRY_KINDS[kind]] != allowed:
                problems.add(
                    "entryType",
                    f"Journal {journal} does not take {kind}.",
                    ENTRY_KINDS[kind],
                    "The journal is restricted to one entry type (settings.entryTypeRestrictedTo).",
                )
                continue
            for position, raw in enumerate(items):
                inner = Problems()
                data = validate_entry(ag, kind, raw, year, inner, missing_rate)
                if inner:
                    nested.setdefault(kind, []).append({"arrayIndex": position, **inner.annotated()})
                elif data is not None:
                    stored.append((kind, data))
    number = None
    if year is not None:
        if voucher.get("voucherNumber") is not None:
            problems.add("voucherNumber", "The sandbox numbers vouchers itself; leave voucherNumber out.")
        number = ag.next_voucher_number(journal, year)
        if number is None:
            low, high = ag.voucher_range(journal)
            problems.add("voucherNumber", f"Journal {journal} has no free voucher number left in {low}-{high}.")
    if problems or nested:
        errors = problems.annotated()
        if nested:
            errors["entries"] = nested
        raise legacy_error(
            400, "Validation error.", errors=errors, hint="Inspect validation errors and correct your request."
        )
    ag.take_voucher(journal, year, number)  # type: ignore[arg-type]
    made = [ag.new_entry(journal, year, number, ENTRY_KINDS[kind], data) for kind, data in stored]  # type: ignore[arg-type]
    out = shapes.voucher_json(journal, year, number, made, base)  # type: ignore[arg-type]
    return json_response(201, out, headers={"Location": out["self"]})


def method_not_allowed(method: str) -> Response:
    return json_response(405, legacy_body(405, f"The method {method} is not allowed on this resource."))
