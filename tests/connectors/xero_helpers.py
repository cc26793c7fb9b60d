"""Builders shared by the Xero connector tests (unit and contract)."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator, Mapping
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from integrations.connectors.base import (
    BillData,
    BillLine,
    ConnectorError,
    ErpError,
    ErrorCategory,
    PaymentData,
    TrackingRef,
    VendorData,
    WriteItem,
)
from integrations.sandbox.xero_render import SUMMARY_ONLY_EXCLUDES

FIXTURES = Path(__file__).parent / "fixtures" / "xero"
TENANT = "70784a63-d24b-46a9-a4db-0e70a274b056"
API = "https://api.xero.com/api.xro/2.0"
ACCESS = "eyJhbGciOiJSUzI1NiJ9.access-AAA"


def load(name: str) -> Any:
    return json.loads((FIXTURES / f"{name}.json").read_text())


def fixture_text(name: str) -> str:
    return (FIXTURES / f"{name}.json").read_text()


def vendor(number: str = "V-1", name: str = "Acme Supplies", tax: str = "DK12345678") -> VendorData:
    return VendorData(number=number, name=name, tax_number=tax, email="ap@acme.example")


def bill(
    n: int = 1001,
    *,
    vendor_data: VendorData | None = None,
    net: str = "1000.00",
    vat: str = "250.00",
    account: str = "429",
    tax_type: str = "INPUT",
    tracking: tuple[TrackingRef, ...] = (TrackingRef("Department", "Engineering"),),
    issue: date = date(2026, 4, 10),
    due: date | None = date(2026, 5, 10),
    description: str = "Office chairs",
    draft: bool = False,
    marker_base: str = "https://roger.example/d",
    currency: str = "DKK",
) -> BillData:
    net_d, vat_d = Decimal(net), Decimal(vat)
    return BillData(
        marker=f"{marker_base}/{n}",
        vendor=vendor_data or vendor(),
        invoice_number=f"INV-{n}",
        issue_date=issue,
        due_date=due,
        currency=currency,
        total=net_d + vat_d,
        vat=vat_d,
        description=description,
        lines=(BillLine(description, net_d, vat_d, account, tax_type, tracking),),
        draft=draft,
    )


def payment(
    bill_id: str = "6c1a0a62-1f0e-4b8e-9a55-0d2b7c9e1a01",
    *,
    n: int = 1001,
    amount: str = "1250.00",
    when: date = date(2026, 4, 17),
    bank: str = "090",
    marker_base: str = "https://roger.example/d",
) -> PaymentData:
    return PaymentData(
        marker=f"{marker_base}/{n}#payment",
        bill_erp_id=bill_id,
        bill_marker=f"{marker_base}/{n}",
        vendor=vendor(),
        invoice_number=f"INV-{n}",
        bank_account=bank,
        payment_date=when,
        amount=Decimal(amount),
        currency="DKK",
        reference="Bank transfer",
    )


def item(data: BillData | PaymentData, *, version: int = 1, erp_id: str = "", ref: str | None = None) -> WriteItem:
    kind = "bill" if isinstance(data, BillData) else "payment"
    return WriteItem(
        ref=ref or data.marker,
        data=data,
        idempotency_key=f"roger-int1-{data.marker.rsplit('/', 1)[-1]}-{kind}-v{version}",
        erp_id=erp_id,
    )


class FakeTokens:
    """A TokenSource handing out ``tokens`` in order; ``refresh_after_401`` moves to the next one."""

    def __init__(self, *tokens: str, fail_refresh: bool = False):
        self.tokens = list(tokens or [ACCESS])
        self.current = 0
        self.refreshed_from: list[str] = []
        self.fail_refresh = fail_refresh

    def access_token(self) -> str:
        return self.tokens[self.current]

    def refresh_after_401(self, stale: str) -> str:
        self.refreshed_from.append(stale)
        if self.fail_refresh:
            raise ConnectorError(ErpError(ErrorCategory.AUTHENTICATION, "invalid_grant", code="invalid_grant"))
        self.current = min(self.current + 1, len(self.tokens) - 1)
        return self.tokens[self.current]


class RecordingThrottle:
    def __init__(self) -> None:
        self.slots = 0
        self.observed: list[dict[str, Any]] = []

    @contextlib.contextmanager
    def slot(self) -> Iterator[None]:
        self.slots += 1
        yield

    def observe(self, *, status: int, headers: Mapping[str, str], retry_after: float | None) -> None:
        self.observed.append({"status": status, "headers": dict(headers), "retry_after": retry_after})


class FakeContacts:
    """``GET /Contacts`` answered from a list, as Xero documents its optimised look-ups (``IDs``, ``searchTerm``,
    ``where`` with ``Name``/``EmailAddress``/``AccountNumber`` ``==``); every query is kept to assert on.  Any
    other filter fails the test: the connector must only use what Xero optimises."""

    OPTIMISED_WHERE = ("Name", "EmailAddress", "AccountNumber")
    # "The following fields will be excluded from the response" with summaryOnly=true (contacts page): the same
    # list the sandbox plays.
    SUMMARY_EXCLUDES = tuple(sorted(SUMMARY_ONLY_EXCLUDES))

    def __init__(self, rsps: Any, contacts: list[dict[str, Any]], api: str = API) -> None:
        import re
        from urllib.parse import parse_qs, urlsplit

        self.contacts = contacts
        self.queries: list[dict[str, str]] = []
        where = re.compile(r'^(\w+)=="((?:[^"\\]|\\.)*)"$')

        def answer(request: Any) -> tuple[int, dict[str, str], str]:
            query = {k: v[0] for k, v in parse_qs(urlsplit(request.url).query).items()}
            self.queries.append(query)
            rows = list(self.contacts)
            if query.get("includeArchived") != "true" and "IDs" not in query:
                rows = [c for c in rows if c.get("ContactStatus", "ACTIVE") == "ACTIVE"]
            if "IDs" in query:
                wanted = {i.lower() for i in query["IDs"].split(",")}
                rows = [c for c in rows if c["ContactID"].lower() in wanted]
            if "searchTerm" in query:
                term = query["searchTerm"].casefold()
                fields = ("Name", "FirstName", "LastName", "ContactNumber", "CompanyNumber", "EmailAddress")
                rows = [c for c in rows if any(term in str(c.get(f) or "").casefold() for f in fields)]
            if "where" in query:
                match = where.match(query["where"])
                assert match and match.group(1) in self.OPTIMISED_WHERE, f"unoptimised where: {query['where']}"
                rows = [c for c in rows if str(c.get(match.group(1)) or "").casefold() == match.group(2).casefold()]
            page, size = int(query.get("page", "1")), int(query.get("pageSize", "100"))
            rows = rows[(page - 1) * size : page * size]
            if query.get("summaryOnly") == "true":
                rows = [{k: v for k, v in c.items() if k not in self.SUMMARY_EXCLUDES} for c in rows]
            return 200, {}, json.dumps({"Contacts": rows})

        rsps.add_callback("GET", f"{api}/Contacts", callback=answer)


def contact(n: int, name: str, **fields: Any) -> dict[str, Any]:
    return {"ContactID": f"c0ffee00-0000-4000-8000-{n:012d}", "Name": name, "ContactStatus": "ACTIVE", **fields}


# --- issue 15: credit notes, allocations, refunds, files ------------------------------------------------------------
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def credit_note(n: int = 2001, **kwargs: Any) -> BillData:
    """A supplier's credit note as Roger sends it: positive magnitudes, ``credit_note=True``."""
    import dataclasses

    kwargs.setdefault("net", "200.00")
    kwargs.setdefault("vat", "50.00")
    kwargs.setdefault("description", "Returned chairs")
    kwargs.setdefault("due", None)
    return dataclasses.replace(bill(n, **kwargs), credit_note=True, invoice_number=f"CN-{n}")


def allocation(
    credit_note_id: str,
    bill_id: str,
    *,
    n: int = 2001,
    amount: str = "250.00",
    when: date = date(2026, 4, 12),
    marker_base: str = "https://roger.example/d",
) -> PaymentData:
    """The credit note ``n`` allocated against the bill ``bill_id`` (its payment entry)."""
    return PaymentData(
        marker=f"{marker_base}/{n}#payment",
        bill_erp_id=credit_note_id,
        bill_marker=f"{marker_base}/{n}",
        vendor=vendor(),
        invoice_number=f"CN-{n}",
        bank_account="",
        payment_date=when,
        amount=Decimal(amount),
        currency="DKK",
        reference="",
        credit_note=True,
        allocate_to=bill_id,
    )


def refund(
    credit_note_id: str, *, n: int = 2001, amount: str = "250.00", when: date = date(2026, 4, 20)
) -> PaymentData:
    """Money the supplier paid back for the credit note ``n``, into bank account 090."""
    import dataclasses

    return dataclasses.replace(
        payment(credit_note_id, n=n, amount=amount, when=when), credit_note=True, invoice_number=f"CN-{n}"
    )


def file_item(
    entry_id: str,
    content: bytes = PDF,
    *,
    name: str = "Invoice 1001 (Acme).pdf",
    content_type: str = "application/pdf",
    credit_note: bool = False,
    replaces: str = "",
    ref: str = "doc-1001-file",
) -> Any:
    """What the engine hands ``attach`` for a document's file."""
    import hashlib

    from integrations.connectors.attachments import AttachItem, FileRef
    from integrations.connectors.base import EntryKind

    digest = hashlib.sha256(content).hexdigest()
    return AttachItem(
        ref=ref,
        kind=EntryKind.BILL,
        entry_erp_id=entry_id,
        credit_note=credit_note,
        file=FileRef(name=name, content_type=content_type, size=len(content), sha256=digest),
        content=content,
        replaces=replaces,
        idempotency_key=f"roger-int1-{ref}-{digest[:16]}",
    )
