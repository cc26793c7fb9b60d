"""Shared pieces of the e-conomic connector tests: a connector on the sandbox, and Roger's bills and payments."""

from __future__ import annotations

import hashlib
from datetime import date
from decimal import Decimal
from typing import Any

import requests

from integrations.connectors.attachments import AttachItem, FileRef
from integrations.connectors.base import (
    BillData,
    BillLine,
    EntryKind,
    PaymentData,
    TrackingRef,
    VendorData,
    WriteItem,
)
from integrations.connectors.economic import EconomicConnector

YEAR = date.today().year
DAY = date(YEAR, 2, 10)


def connector(eco: Any, agreement: dict[str, Any], session: requests.Session, **kw: Any) -> EconomicConnector:
    return EconomicConnector(
        api_url=f"{eco.url}/economic",
        apis_url=f"{eco.url}/economic",
        session=session,
        app_secret_token=agreement["app_secret_token"],
        agreement_grant_token=agreement["agreement_grant_token"],
        journal_number=10,
        timeout=kw.pop("timeout", (3.05, 2)),
        **kw,
    )


def bill(n: int = 1, **overrides: Any) -> BillData:
    values: dict[str, Any] = {
        "marker": f"https://roger.example/documents/{n}/",
        "vendor": VendorData(number="1001", name="Chairs A/S", tax_number="DK12345678"),
        "invoice_number": f"INV-{n}",
        "issue_date": DAY,
        "due_date": date(YEAR, 3, 10),
        "currency": "DKK",
        "total": Decimal("1250.00"),
        "vat": Decimal("250.00"),
        "description": "Office chairs",
        "lines": (
            BillLine(
                "Office chairs", Decimal("1000.00"), Decimal("250.00"), "2200", "I25", (TrackingRef("Department", "2"),)
            ),
        ),
    }
    values.update(overrides)
    return BillData(**values)


def payment(n: int = 1, **overrides: Any) -> PaymentData:
    values: dict[str, Any] = {
        "marker": f"https://roger.example/documents/{n}/#payment",
        "bill_erp_id": "",
        "bill_marker": f"https://roger.example/documents/{n}/",
        "vendor": VendorData(number="1001", name="Chairs A/S", tax_number="DK12345678"),
        "invoice_number": f"INV-{n}",
        "bank_account": "5820",
        "payment_date": date(YEAR, 2, 20),
        "amount": Decimal("1250.00"),
        "currency": "DKK",
        "reference": "",
    }
    values.update(overrides)
    return PaymentData(**values)


def write(data: BillData | PaymentData, key: str = "roger-1-doc1-bill-v1", erp_id: str = "", ref: str = "doc-1"):
    return WriteItem(ref=ref, data=data, idempotency_key=key, erp_id=erp_id)


def journal_entries(eco: Any, agreement: dict[str, Any]) -> list[dict[str, Any]]:
    return eco.state(agreement)["journals"]["10"]["entries"]


def roger_entries(eco: Any, agreement: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for e in journal_entries(eco, agreement) if "[roger-" in e.get("text", "")]


def writes_since(eco: Any, since: int) -> list[dict[str, Any]]:
    return [r for r in eco.requests()[since:] if r["method"] in ("POST", "PUT", "DELETE", "PATCH")]


# --- files (issue #15) -----------------------------------------------------------------------------------------

PDF = (
    b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Count 1 >> endobj\n"
    b"3 0 obj << /Type /Page /Parent 2 0 R >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(17) + b"\x00\x00\x00\x00IEND\xaeB`\x82"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(32) + b"\xff\xd9"


def file_ref(content: bytes, name: str = "invoice.pdf", content_type: str = "application/pdf") -> FileRef:
    return FileRef(name=name, content_type=content_type, size=len(content), sha256=hashlib.sha256(content).hexdigest())


def attach_item(
    erp_id: str,
    content: bytes = PDF,
    name: str = "invoice.pdf",
    content_type: str = "application/pdf",
    *,
    ref: str = "doc-1",
    replaces: str = "",
    credit_note: bool = False,
) -> AttachItem:
    file = file_ref(content, name, content_type)
    return AttachItem(
        ref=ref,
        kind=EntryKind.BILL,
        entry_erp_id=erp_id,
        credit_note=credit_note,
        file=file,
        content=content,
        replaces=replaces,
        idempotency_key=f"roger-{ref}-file-{file.sha256[:16]}",
    )


def documents(eco: Any, agreement: dict[str, Any]) -> list[dict[str, Any]]:
    return eco.state(agreement)["attachedDocuments"]
