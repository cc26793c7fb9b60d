"""The e-conomic part of the sandbox control API (``/_sandbox/economic/<action>``): what a person or e-conomic
itself does to an agreement, for tests and the demo.

* ``agreements`` (POST ``{"name"}``) → tokens and Roger's journal number;
* ``state`` (GET) → every agreement's journals, drafts (legacy shape), booked ledger lines and attached documents
  (per file: name, size, SHA-256, content type, pages — never the bytes);
* ``actions`` (POST ``{"agreement", "action", …}``):
  ``book_journal`` / ``book_entries`` (``entries`` or ``vouchers``) — the accountant books;
  ``delete_entry`` — the accountant deletes drafts;
  ``edit_entry`` (``vouchers``, ``changes`` in legacy names, e.g. ``{"text": …, "amount": …}``; with
  ``"before_next_update": true`` the edit lands right before the next ``PUT /draft-entries`` of that entry, i.e.
  between Roger's read and its write) — the accountant edits a draft: its ``objectVersion`` changes;
  ``close_period`` / ``reopen_period`` (``date``, or ``year`` + ``period``, or ``year`` + ``whole_year``);
  ``revoke_grant``; ``set_roles`` (``roles``: e.g. ``[]`` to take Bookkeeping away); ``set_modules``
  (``modules``: e.g. ``[]`` to switch the Dimension module off); ``journal_settings`` (``journal``,
  ``allowedEntryType``, ``minimumVoucherNumber``, ``maximumVoucherNumber``); ``set_rate`` (``currency``,
  ``rate`` per 100); ``add_suppliers`` (``suppliers``: ``[{"name", "corporateIdentificationNumber", "email",
  "barred", "supplierNumber"?}]``) — the bookkeeper's own suppliers, typed their way (duplicate names allowed, as
  in e-conomic).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from integrations.sandbox.economic import legacy_shapes as shapes
from integrations.sandbox.economic.errors import EconomicError
from integrations.sandbox.economic.ledger import book_entries
from integrations.sandbox.economic.model import (
    HUMAN_JOURNAL,
    ROGER_JOURNAL,
    Agreement,
    AttachedDocument,
    Entry,
    base_amount,
    seed_agreement,
    vat_from_code,
)
from integrations.sandbox.messages import Request, Response, json_response


def _refuse(status: int, message: str) -> EconomicError:
    return EconomicError(status, {"message": message})


def control(module: Any, action: str, request: Request) -> Response:
    try:
        if action == "agreements" and request.method == "POST":
            body = _body(request)
            with module.lock:
                number = module.next_agreement
                module.next_agreement += 1
                agreement = seed_agreement(number, str(body.get("name") or f"Agreement {number}"))
                _seed_human_drafts(agreement)
                module.agreements[number] = agreement
                module.env.mark_dirty()
            return json_response(
                201,
                {
                    "agreement_number": number,
                    "agreement_grant_token": agreement.grant_token,
                    "app_secret_token": agreement.secret_token,
                    "journal_number": ROGER_JOURNAL,
                },
            )
        if action == "state" and request.method == "GET":
            return json_response(200, state(module))
        if action == "actions" and request.method == "POST":
            with module.lock:
                module.env.mark_dirty()
                return json_response(200, act(module, _body(request)))
    except EconomicError as exc:
        return json_response(exc.status, {"error": exc.body.get("message"), **exc.body})
    return json_response(404, {"error": f"unknown control action {action!r} for economic"})


def _body(request: Request) -> dict[str, Any]:
    try:
        body = request.json() if request.body else {}
    except ValueError:
        raise _refuse(400, "body must be JSON") from None
    if not isinstance(body, dict):
        raise _refuse(400, "body must be a JSON object")
    return body


def _seed_human_drafts(ag: Agreement) -> None:
    """A person's drafts: one in the shared daily journal and one in Roger's journal (booking must skip it)."""
    today = date.today().isoformat()
    year = ag.year_of(date.today()) or str(date.today().year)
    for journal in (HUMAN_JOURNAL, ROGER_JOURNAL):
        number = ag.next_voucher_number(journal, year) or 1
        ag.take_voucher(journal, year, number)
        data = {
            "supplier": 200,
            "amount": Decimal("500.00"),
            "contraAccount": 2800,
            "contraVatAccount": "I25",
            "contraVatAmount": Decimal("100.00"),
            "currency": "DKK",
            "exchangeRate": Decimal(100),
            "amountBaseCurrency": Decimal("500.00"),
            "date": today,
            "text": "Rent typed by the bookkeeper",
            "supplierInvoiceNumber": "H-1",
        }
        ag.new_entry(journal, year, number, "supplierInvoice", data)


def agreement_for(module: Any, ref: Any) -> Agreement:
    with module.lock:
        if isinstance(ref, int) or (isinstance(ref, str) and ref.isdigit()):
            found = module.agreements.get(int(ref))
        else:
            found = next((a for a in module.agreements.values() if a.grant_token == ref), None)
    if found is None:
        raise _refuse(404, f"no agreement {ref!r}")
    return found


def chosen(ag: Agreement, body: dict[str, Any]) -> list[Entry]:
    """Entries named by ``entries`` (entry numbers) or ``vouchers`` ("2026-7", in ``journal``)."""
    journal = int(body.get("journal", ROGER_JOURNAL))
    picked: list[Entry] = []
    for number in body.get("entries") or []:
        entry = ag.drafts.get(int(number))
        if entry is None:
            raise _refuse(404, f"no draft entry {number}")
        picked.append(entry)
    for ref in body.get("vouchers") or []:
        year, _, number = str(ref).rpartition("-")
        hits = [e for e in ag.drafts.values() if e.journal == journal and e.year == year and str(e.voucher) == number]
        if not hits:
            raise _refuse(404, f"no draft voucher {ref} in journal {journal}")
        picked.extend(hits)
    if not picked:
        raise _refuse(400, "name entries or vouchers")
    return picked


def act(module: Any, body: dict[str, Any]) -> dict[str, Any]:
    ag = agreement_for(module, body.get("agreement"))
    action = body.get("action")
    if action == "revoke_grant":
        ag.revoked = True
        return {"ok": True, "revoked": True}
    if action == "book_journal":
        journal = int(body.get("journal", ROGER_JOURNAL))
        entries = [e for e in ag.drafts.values() if e.journal == journal]
        bookable = [e for e in entries if not ag.closed_reason(e.year, date.fromisoformat(e.data["date"]))[0]]
        vouchers = book_entries(ag, bookable)
        return {
            "ok": True,
            "booked": [f"{y}-{v}" for y, v in vouchers],
            "skipped": [e.number for e in entries if e not in bookable],
        }
    if action == "book_entries":
        return {"ok": True, "booked": [f"{y}-{v}" for y, v in book_entries(ag, chosen(ag, body))]}
    if action == "delete_entry":
        for entry in chosen(ag, body):
            del ag.drafts[entry.number]
        return {"ok": True}
    if action == "edit_entry":
        changes = _changes(body.get("changes"))
        for entry in chosen(ag, body):
            if body.get("before_next_update"):
                ag.pending_edits[entry.number] = changes
            else:
                apply_edit(ag, entry, changes)
        return {"ok": True}
    if action in ("close_period", "reopen_period"):
        return _period(ag, body, closed=action == "close_period")
    if action == "set_roles":
        ag.roles = {str(r) for r in body.get("roles") or []}
        return {"ok": True, "roles": sorted(ag.roles)}
    if action == "set_modules":
        ag.modules = {str(m) for m in body.get("modules") or []}
        return {"ok": True, "modules": sorted(ag.modules)}
    if action == "journal_settings":
        journal = int(body.get("journal", ROGER_JOURNAL))
        if journal not in ag.journals:
            raise _refuse(404, f"no journal {journal}")
        for key in ("allowedEntryType", "minimumVoucherNumber", "maximumVoucherNumber"):
            if key in body:
                ag.journals[journal][key] = body[key]
        return {"ok": True, "journal": ag.journals[journal]}
    if action == "add_suppliers":
        return {"ok": True, "suppliers": [_add_supplier(ag, raw) for raw in body.get("suppliers") or []]}
    if action == "set_rate":
        ag.rates[str(body["currency"])] = Decimal(str(body["rate"]))
        return {"ok": True}
    raise _refuse(400, f"unknown action {action!r}")


def _add_supplier(ag: Agreement, raw: Any) -> dict[str, Any]:
    if not isinstance(raw, dict) or not str(raw.get("name") or "").strip():
        raise _refuse(400, "each supplier needs a name")
    number = int(raw.get("supplierNumber") or max(ag.suppliers, default=0) + 1)
    if number in ag.suppliers:
        raise _refuse(400, f"supplier {number} exists")
    supplier: dict[str, Any] = {
        "supplierNumber": number,
        "name": str(raw["name"]),
        "currency": str(raw.get("currency") or "DKK"),
        "supplierGroup": 1,
        "paymentTerms": 1,
        "vatZone": 1,
    }
    for key in ("corporateIdentificationNumber", "email", "country"):
        if raw.get(key):
            supplier[key] = str(raw[key])
    if raw.get("barred"):
        supplier["barred"] = True
    ag.suppliers[number] = supplier
    return {"supplierNumber": number, "name": supplier["name"]}


def _changes(raw: Any) -> dict[str, Any]:
    if not isinstance(raw, dict) or not raw:
        raise _refuse(400, "changes must name the properties the accountant changes")
    allowed = {"text", "amount", "supplierInvoiceNumber", "dueDate", "date"}
    unknown = set(raw) - allowed
    if unknown:
        raise _refuse(400, f"the sandbox's edit changes only {', '.join(sorted(allowed))}")
    return {k: Decimal(str(v)).quantize(Decimal("0.01")) if k == "amount" else v for k, v in raw.items()}


def apply_edit(ag: Agreement, entry: Entry, changes: dict[str, Any]) -> None:
    """An accountant's change in e-conomic's journal: amounts keep their VAT and base amount consistent."""
    entry.data.update(changes)
    data = entry.data
    if "amount" in changes:
        if data.get("contraVatAccount"):
            data["contraVatAmount"] = vat_from_code(
                data["amount"], ag.vat_accounts[data["contraVatAccount"]]["ratePercentage"]
            )
        data["amountBaseCurrency"] = base_amount(data["amount"], data.get("exchangeRate") or Decimal(100))
    entry.version += 1


def _period(ag: Agreement, body: dict[str, Any], *, closed: bool) -> dict[str, Any]:
    if body.get("whole_year"):
        year = str(body.get("year"))
        if year not in ag.years:
            raise _refuse(404, f"no accounting year {year}")
        ag.years[year]["closed"] = closed
        return {"ok": True, "year": year, "closed": closed}
    day, changed = body.get("date"), []
    for year, info in ag.years.items():
        for period in info["periods"]:
            hit = (day and period["fromDate"] <= str(day) <= period["toDate"]) or (
                str(body.get("year")) == year and body.get("period") == period["periodNumber"]
            )
            if hit:
                period["closed"] = closed
                changed.append({"year": year, **period})
    if not changed:
        raise _refuse(404, "no such period")
    return {"ok": True, "periods": changed}


def document_state(doc: AttachedDocument) -> dict[str, Any]:
    """An attached document's metadata for tests and the demo: what was uploaded, described, never the bytes."""
    return {
        "number": doc.number,
        "accountingYear": doc.year,
        "voucherNumber": doc.voucher,
        "note": doc.note,
        "createdAt": doc.created,
        "pageCount": doc.page_count,
        "files": [
            {"name": f.name, "size": f.size, "sha256": f.sha256, "contentType": f.content_type, "pages": f.pages}
            for f in doc.files
        ],
    }


def state(module: Any) -> dict[str, Any]:
    base = "http://sandbox/economic"
    with module.lock:
        out: dict[str, Any] = {}
        for number, ag in module.agreements.items():
            journals = {}
            for journal, settings in ag.journals.items():
                entries = [
                    shapes.entry_json(e, base) | {"objectVersion": e.object_version}
                    for e in sorted(ag.drafts.values(), key=lambda e: e.number)
                    if e.journal == journal
                ]
                journals[str(journal)] = {"name": settings["name"], "entries": entries}
            out[str(number)] = {
                "name": ag.name,
                "revoked": ag.revoked,
                "baseCurrency": ag.base_currency,
                "journals": journals,
                "bookedEntries": {
                    year: [{k: v for k, v in line.items() if not k.startswith("_")} for line in lines]
                    for year, lines in ag.booked.items()
                },
                "suppliers": [shapes.supplier_json(s, base) for s in ag.suppliers.values()],
                "attachedDocuments": [document_state(d) for d in sorted(ag.documents.values(), key=lambda d: d.number)],
                "accountingYears": {year: {**info} for year, info in ag.years.items()},
            }
        return {"agreements": out}
