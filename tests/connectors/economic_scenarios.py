"""Shared pieces of the e-conomic connector tests: a connector on the sandbox, and Roger's bills and payments."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import requests

from integrations.connectors.base import BillData, BillLine, PaymentData, TrackingRef, VendorData, WriteItem
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
