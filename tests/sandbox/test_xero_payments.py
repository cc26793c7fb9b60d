"""Payments: only on AUTHORISED bills, at most the amount due, PAID transition, delete-only updates."""

from __future__ import annotations

import pytest

from tests.fixtures_sandbox import SandboxClient, XeroApi
from tests.sandbox.helpers import create_bill, messages, pay


@pytest.fixture
def tenant(sandbox: SandboxClient) -> dict:
    return sandbox.new_xero_tenant("Payments ApS")


@pytest.fixture
def api(sandbox: SandboxClient, tenant: dict) -> XeroApi:
    return sandbox.xero(tenant)


def test_it_pays_in_part_then_in_full_and_marks_the_bill_paid(api: XeroApi) -> None:
    created = create_bill(api)
    first = pay(api, created["InvoiceID"], 25)
    assert first.status_code == 200, first.text
    payment = first.json()["Payments"][0]
    assert payment["PaymentType"] == "ACCPAYPAYMENT" and payment["Status"] == "AUTHORISED"
    assert payment["Account"]["Code"] == "090" and payment["Invoice"]["AmountDue"] == 100.0
    assert pay(api, created["InvoiceID"], 100).status_code == 200
    invoice = api.get(f"Invoices/{created['InvoiceID']}").json()["Invoices"][0]
    assert invoice["Status"] == "PAID" and invoice["AmountDue"] == 0.0 and invoice["AmountPaid"] == 125.0
    assert len(invoice["Payments"]) == 2 and "FullyPaidOnDate" in invoice


def test_it_refuses_overpayment_and_unapproved_bills(api: XeroApi) -> None:
    created = create_bill(api)
    too_much = pay(api, created["InvoiceID"], 125.01)
    assert too_much.status_code == 400
    assert messages(too_much.json()) == ["Payment amount exceeds the amount outstanding on this document"]
    draft = create_bill(api, Status="DRAFT")
    response = pay(api, draft["InvoiceID"], 1)
    assert messages(response.json()) == ["Payments can only be made against Authorised documents"]


def test_it_refuses_payments_in_a_locked_period(sandbox: SandboxClient, tenant: dict, api: XeroApi) -> None:
    created = create_bill(api)
    sandbox.xero_action(tenant["tenant_id"], "set_lock_dates", period_lock_date="2025-03-31")
    response = pay(api, created["InvoiceID"], 10, Date="2025-03-20")
    assert messages(response.json()) == [
        "The document date cannot be before the period lock date, currently set at 31-Mar-2025"]


def test_it_deletes_a_payment_and_reopens_the_bill(api: XeroApi) -> None:
    created = create_bill(api)
    payment = pay(api, created["InvoiceID"], 125).json()["Payments"][0]
    response = api.post(f"Payments/{payment['PaymentID']}", json={"Status": "DELETED"})
    assert response.status_code == 200
    assert response.json()["Payments"][0]["Status"] == "DELETED"
    invoice = api.get(f"Invoices/{created['InvoiceID']}").json()["Invoices"][0]
    assert invoice["Status"] == "AUTHORISED" and invoice["AmountDue"] == 125.0 and invoice["Payments"] == []


def test_it_accepts_only_status_on_payment_updates(api: XeroApi) -> None:
    created = create_bill(api)
    payment = pay(api, created["InvoiceID"], 5).json()["Payments"][0]
    response = api.post(f"Payments/{payment['PaymentID']}", json={"Amount": 4})
    assert response.status_code == 400
    assert messages(response.json()) == ["Only Status accepted for updates."]


def test_it_refuses_to_delete_a_reconciled_payment(sandbox: SandboxClient, tenant: dict, api: XeroApi) -> None:
    created = create_bill(api)
    payment = pay(api, created["InvoiceID"], 5).json()["Payments"][0]
    sandbox.xero_action(tenant["tenant_id"], "reconcile_payment", payment_id=payment["PaymentID"])
    response = api.post(f"Payments/{payment['PaymentID']}", json={"Status": "DELETED"})
    assert response.status_code == 400


def test_it_finds_payments_by_reference_and_invoice(api: XeroApi) -> None:
    created = create_bill(api)
    pay(api, created["InvoiceID"], 5, Reference="roger:p:1")
    pay(api, created["InvoiceID"], 6, Reference="roger:p:2")
    found = api.get("Payments", params={"where": 'Reference=="roger:p:2"'}).json()["Payments"]
    assert [p["Amount"] for p in found] == [6.0]
    by_invoice = api.get("Payments", params={
        "where": f'Invoice.InvoiceID==guid("{created["InvoiceID"]}") AND Status=="AUTHORISED"'}).json()
    assert len(by_invoice["Payments"]) == 2


def test_it_creates_one_payment_with_post(api: XeroApi) -> None:
    created = create_bill(api)
    response = api.post("Payments", json={"Invoice": {"InvoiceID": created["InvoiceID"]},
                                          "Account": {"Code": "090"}, "Date": "2025-03-21", "Amount": 10})
    assert response.status_code == 200
    assert response.json()["Payments"][0]["Amount"] == 10.0


def test_it_lets_the_accountant_pay_and_delete(sandbox: SandboxClient, tenant: dict, api: XeroApi) -> None:
    created = create_bill(api)
    paid = sandbox.xero_action(tenant["tenant_id"], "pay", invoice_id=created["InvoiceID"])
    assert paid["ok"] and paid["result"]["Invoice"]["Status"] == "PAID"
    deleted = sandbox.xero_action(tenant["tenant_id"], "delete", payment_id=paid["result"]["PaymentID"])
    assert deleted["ok"]
    assert api.get(f"Invoices/{created['InvoiceID']}").json()["Invoices"][0]["Status"] == "AUTHORISED"
