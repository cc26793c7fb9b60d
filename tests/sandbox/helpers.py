"""Shared helpers for the sandbox tests."""

from __future__ import annotations

from typing import Any

from tests.fixtures_sandbox import XeroApi


def bill(**overrides: Any) -> dict[str, Any]:
    """A valid ACCPAY bill as a connector would send it."""
    data: dict[str, Any] = {
        "Type": "ACCPAY",
        "Contact": {"Name": "Nordic Paper ApS", "ContactNumber": "V-100"},
        "InvoiceNumber": "F-2025-001",
        "Url": "https://roger.example/documents/1",
        "Date": "2025-03-10",
        "DueDate": "2025-04-10",
        "Status": "AUTHORISED",
        "LineAmountTypes": "Exclusive",
        "CurrencyCode": "DKK",
        "LineItems": [{"Description": "Paper", "Quantity": 1, "UnitAmount": 100, "AccountCode": "461",
                       "TaxType": "INPUT", "Tracking": [{"Name": "Department", "Option": "Sales"}]}],
    }
    data.update(overrides)
    return data


def create_bill(api: XeroApi, **overrides: Any) -> dict[str, Any]:
    response = api.put("Invoices?summarizeErrors=false", json={"Invoices": [bill(**overrides)]})
    assert response.status_code == 200, response.text
    created = response.json()["Invoices"][0]
    assert created["StatusAttributeString"] == "OK", created
    return created


def pay(api: XeroApi, invoice_id: str, amount: float, **overrides: Any) -> Any:
    payment = {"Invoice": {"InvoiceID": invoice_id}, "Account": {"Code": "090"}, "Date": "2025-03-20",
               "Amount": amount, "Reference": "roger:payment:1", **overrides}
    return api.put("Payments", json={"Payments": [payment]})


def messages(body: dict[str, Any]) -> list[str]:
    """Every ValidationErrors message in a Xero body (400 ValidationException or 200 with errors)."""
    elements = body.get("Elements") or body.get("Invoices") or body.get("Payments") or body.get("Contacts") or []
    return [error["Message"] for element in elements for error in element.get("ValidationErrors", [])]
