"""Credit notes as Xero documents them: /CreditNotes (invoice rules, own numbering, no Url, Reference for
ACCRECCREDIT only), allocations (AUTHORISED only, never more than is left on either side, dated by Xero, taken back
by DELETE), refunds on /Payments, their scopes, high-volume filters, pages and control actions."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from tests.fixtures_sandbox import SandboxClient, XeroApi
from tests.sandbox.helpers import create_bill, messages, pay


@pytest.fixture
def tenant(sandbox: SandboxClient) -> dict:
    return sandbox.new_xero_tenant("Credit ApS")


@pytest.fixture
def api(sandbox: SandboxClient, tenant: dict) -> XeroApi:
    return sandbox.xero(tenant)


def note(contact_id: str, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "Type": "ACCPAYCREDIT",
        "Contact": {"ContactID": contact_id},
        "CreditNoteNumber": "CN-77",
        "Reference": "roger:doc:77",
        "Url": "https://roger.example/d/77",
        "Date": "2025-03-12",
        "Status": "AUTHORISED",
        "LineAmountTypes": "Exclusive",
        "CurrencyCode": "DKK",
        "LineItems": [
            {"Description": "Returned", "Quantity": 1, "UnitAmount": 40, "AccountCode": "461", "TaxType": "INPUT"}
        ],
    }
    data.update(overrides)
    return data


def create_note(api: XeroApi, contact_id: str, **overrides: Any) -> dict[str, Any]:
    response = api.put("CreditNotes?summarizeErrors=false", json={"CreditNotes": [note(contact_id, **overrides)]})
    assert response.status_code == 200, response.text
    created = response.json()["CreditNotes"][0]
    assert created["StatusAttributeString"] == "OK", created
    return created


def allocate(api: XeroApi, credit_id: str, invoice_id: str, amount: float, **extra: Any) -> requests.Response:
    element = {"Invoice": {"InvoiceID": invoice_id}, "Amount": amount, "Date": "2025-01-01", **extra}
    return api.put(f"CreditNotes/{credit_id}/Allocations", json={"Allocations": [element]})


def test_a_supplier_credit_note_keeps_its_number_and_drops_reference_and_url(api: XeroApi) -> None:
    bill = create_bill(api)
    credit = create_note(api, bill["Contact"]["ContactID"])
    assert (credit["Type"], credit["CreditNoteNumber"], credit["Reference"]) == ("ACCPAYCREDIT", "CN-77", "")
    assert "Url" not in credit
    assert (credit["Total"], credit["TotalTax"], credit["RemainingCredit"], credit["Status"]) == (
        50,
        10,
        50,
        "AUTHORISED",
    )
    # ACCPAYCREDIT numbers are not unique ("non-unique alpha numeric code"), ACCRECCREDIT ones are Xero's own.
    again = create_note(api, bill["Contact"]["ContactID"])
    assert again["CreditNoteNumber"] == "CN-77" and again["CreditNoteID"] != credit["CreditNoteID"]
    sales = create_note(
        api, bill["Contact"]["ContactID"], Type="ACCRECCREDIT", CreditNoteNumber=None, LineItems=[
            {"Description": "Refund", "Quantity": 1, "UnitAmount": 10, "AccountCode": "200", "TaxType": "OUTPUT"}]
    )  # fmt: skip
    assert sales["CreditNoteNumber"].startswith("CN-") and sales["Reference"] == "roger:doc:77"


def test_credit_notes_follow_the_invoice_rules(sandbox: SandboxClient, tenant: dict, api: XeroApi) -> None:
    contact = create_bill(api)["Contact"]["ContactID"]
    response = api.put("CreditNotes", json={"CreditNotes": [note(contact, Status="PAID")]})
    assert response.status_code == 400 and messages(response.json()) == [
        "Credit Note not of valid status for creation (PAID)"
    ]
    missing = api.put("CreditNotes", json={"CreditNotes": [note(contact, Type="ACCPAY")]})
    assert missing.status_code == 400
    credit = create_note(api, contact)
    without_status = api.post(
        f"CreditNotes/{credit['CreditNoteID']}", json={"CreditNotes": [{"CreditNoteNumber": "X"}]}
    )
    assert messages(without_status.json()) == ["Invoice not of valid status for modification"]
    sandbox.xero_action(tenant["tenant_id"], "set_lock_dates", period_lock_date="2025-03-31")
    locked = api.put("CreditNotes", json={"CreditNotes": [note(contact)]})
    assert messages(locked.json()) == [
        "The document date cannot be before the period lock date, currently set at 31-Mar-2025"
    ]


def test_an_allocation_moves_both_documents_and_is_dated_by_xero(api: XeroApi) -> None:
    bill = create_bill(api)  # 125.00, dated 2025-03-10
    credit = create_note(api, bill["Contact"]["ContactID"])  # 50.00, dated 2025-03-12
    response = allocate(api, credit["CreditNoteID"], bill["InvoiceID"], 30)
    assert response.status_code == 200, response.text
    allocation = response.json()["Allocations"][0]
    assert allocation["Date"] == "/Date(1741737600000+0000)/"  # 2025-03-12: the later date, not the one sent
    invoice = api.get(f"Invoices/{bill['InvoiceID']}").json()["Invoices"][0]
    assert (invoice["AmountCredited"], invoice["AmountDue"]) == (30, 95)
    assert invoice["CreditNotes"][0]["CreditNoteID"] == credit["CreditNoteID"]
    assert invoice["CreditNotes"][0]["AppliedAmount"] == 30
    read = api.get(f"CreditNotes/{credit['CreditNoteID']}").json()["CreditNotes"][0]
    assert (read["RemainingCredit"], read["Allocations"][0]["AllocationID"]) == (20, allocation["AllocationID"])
    assert allocate(api, credit["CreditNoteID"], bill["InvoiceID"], 20).status_code == 200
    assert api.get(f"CreditNotes/{credit['CreditNoteID']}").json()["CreditNotes"][0]["Status"] == "PAID"
    # An edit of an allocated credit note is refused as Xero words it.
    edit = api.post(
        "CreditNotes", json={"CreditNotes": [{"CreditNoteID": credit["CreditNoteID"], "Status": "AUTHORISED"}]}
    )
    assert messages(edit.json()) == ["Invoice not of valid status for modification"]


def test_allocations_are_refused_in_xeros_words(api: XeroApi, tenant: dict, sandbox: SandboxClient) -> None:
    bill = create_bill(api)
    contact = bill["Contact"]["ContactID"]
    credit = create_note(api, contact)
    assert messages(allocate(api, credit["CreditNoteID"], bill["InvoiceID"], 50.01).json()) == [
        "Credit Note cannot be allocated as amount is greater than amount outstanding"
    ]
    draft = create_note(api, contact, Status="DRAFT")
    assert messages(allocate(api, draft["CreditNoteID"], bill["InvoiceID"], 1).json()) == [
        "Only AUTHORISED credit notes can be allocated"
    ]
    sale = create_bill(api, Type="ACCREC", InvoiceNumber=None, LineItems=[
        {"Description": "x", "Quantity": 1, "UnitAmount": 10, "AccountCode": "200", "TaxType": "OUTPUT"}])  # fmt: skip
    assert messages(allocate(api, credit["CreditNoteID"], sale["InvoiceID"], 1).json()) == [
        "Credit Note cannot be allocated to an incorrect invoice type"
    ]
    other = create_bill(api, Contact={"Name": "Borealis Print"}, InvoiceNumber="B-1")
    euro = create_bill(api, CurrencyCode="EUR", InvoiceNumber="F-EUR")
    assert messages(allocate(api, credit["CreditNoteID"], other["InvoiceID"], 1).json()) == [
        "The credit note and the invoice must be for the same contact"
    ]
    assert messages(allocate(api, credit["CreditNoteID"], euro["InvoiceID"], 1).json()) == [
        "The credit note and the invoice must be in the same currency"
    ]
    pay(api, bill["InvoiceID"], 125)
    assert messages(allocate(api, credit["CreditNoteID"], bill["InvoiceID"], 1).json()) == [
        "The invoice you are trying to allocate to has already been paid off"
    ]
    open_bill = create_bill(api, InvoiceNumber="F-2")
    sandbox.xero_action(tenant["tenant_id"], "set_lock_dates", period_lock_date="2025-03-31")
    assert messages(allocate(api, credit["CreditNoteID"], open_bill["InvoiceID"], 1).json()) == [
        "The document date cannot be before the period lock date, currently set at 31-Mar-2025"
    ]
    assert api.get(f"CreditNotes/{credit['CreditNoteID']}").json()["CreditNotes"][0]["Allocations"] == []


def test_an_allocation_is_taken_back_by_delete_except_in_a_locked_period(
    sandbox: SandboxClient, tenant: dict, api: XeroApi
) -> None:
    bill = create_bill(api)
    credit = create_note(api, bill["Contact"]["ContactID"])
    first = allocate(api, credit["CreditNoteID"], bill["InvoiceID"], 50).json()["Allocations"][0]
    deleted = api.request("DELETE", f"CreditNotes/{credit['CreditNoteID']}/Allocations/{first['AllocationID']}")
    assert deleted.status_code == 200 and deleted.json()["IsDeleted"] is True
    read = api.get(f"CreditNotes/{credit['CreditNoteID']}").json()["CreditNotes"][0]
    assert (read["Status"], read["RemainingCredit"], read["Allocations"]) == ("AUTHORISED", 50, [])
    assert api.get(f"Invoices/{bill['InvoiceID']}").json()["Invoices"][0]["AmountDue"] == 125
    second = allocate(api, credit["CreditNoteID"], bill["InvoiceID"], 10).json()["Allocations"][0]
    sandbox.xero_action(tenant["tenant_id"], "set_lock_dates", period_lock_date="2025-03-31")
    refused = api.request("DELETE", f"CreditNotes/{credit['CreditNoteID']}/Allocations/{second['AllocationID']}")
    assert refused.status_code == 400 and "period lock date" in refused.text


def test_a_refund_is_a_payment_on_the_credit_note(api: XeroApi) -> None:
    credit = create_note(api, create_bill(api)["Contact"]["ContactID"])
    element = {"CreditNote": {"CreditNoteID": credit["CreditNoteID"]}, "Account": {"Code": "090"}, "Date": "2025-03-20"}
    too_much = api.put("Payments", json={"Payments": [{**element, "Amount": 50.01}]})
    assert messages(too_much.json()) == ["Payment amount exceeds the amount outstanding on this document"]
    refund = api.put("Payments", json={"Payments": [{**element, "Amount": 50, "Reference": "back"}]})
    payment = refund.json()["Payments"][0]
    assert (payment["PaymentType"], payment["CreditNote"]["CreditNoteID"]) == (
        "APCREDITPAYMENT",
        credit["CreditNoteID"],
    )
    assert "Invoice" not in payment
    assert api.get(f"CreditNotes/{credit['CreditNoteID']}").json()["CreditNotes"][0]["Status"] == "PAID"
    assert (
        api.get("Payments", params={"where": 'Reference=="back"'}).json()["Payments"][0]["PaymentID"]
        == payment["PaymentID"]
    )
    api.post(f"Payments/{payment['PaymentID']}", json={"Status": "DELETED"})
    read = api.get(f"CreditNotes/{credit['CreditNoteID']}").json()["CreditNotes"][0]
    assert (read["Status"], read["RemainingCredit"], read["Payments"]) == ("AUTHORISED", 50, [])


def test_credit_notes_are_read_with_optimised_filters_in_a_high_volume_organisation(
    sandbox: SandboxClient, tenant: dict, api: XeroApi
) -> None:
    bill = create_bill(api)
    credit = create_note(api, bill["Contact"]["ContactID"])
    unpaged = api.get("CreditNotes").json()["CreditNotes"][0]
    assert unpaged["LineItems"] == []  # line items only when paging or reading one
    sandbox.xero_action(tenant["tenant_id"], "set_high_volume", high_volume=True)
    where = f'Type=="ACCPAYCREDIT" AND Contact.ContactID==guid("{bill["Contact"]["ContactID"]}")'
    paged = api.get("CreditNotes", params={"where": where, "page": "1"})
    assert paged.status_code == 200 and paged.json()["CreditNotes"][0]["LineItems"]
    denied = api.get("CreditNotes", params={"where": 'CreditNoteNumber=="CN-77"', "page": "1"})
    assert denied.status_code == 400 and denied.json()["Type"] == "HighVolumeException"
    assert api.get(f"CreditNotes/{credit['CreditNoteID']}").status_code == 200
    assert api.get("CreditNotes/CN-77").json()["CreditNotes"][0]["CreditNoteID"] == credit["CreditNoteID"]


def test_credit_notes_need_the_invoices_scope(sandbox: SandboxClient) -> None:
    tenant = sandbox.new_xero_tenant("No invoices", scope="offline_access accounting.payments accounting.settings")
    response = sandbox.xero(tenant).get("CreditNotes")
    assert response.status_code == 401 and response.json()["Detail"] == "AuthorizationUnsuccessful"


def test_the_credit_note_page_and_the_state(sandbox: SandboxClient, tenant: dict, api: XeroApi) -> None:
    bill = create_bill(api)
    credit = create_note(api, bill["Contact"]["ContactID"])
    sandbox.xero_action(tenant["tenant_id"], "allocate", credit_note_id=credit["CreditNoteID"],
                        invoice_id=bill["InvoiceID"], amount="20")  # fmt: skip
    page = requests.get(
        f"{sandbox.url}/xero/go/organisationlogin/default.aspx",
        params={
            "shortcode": sandbox.state()["tenants"][tenant["tenant_id"]]["Organisation"]["ShortCode"],
            "redirecturl": f"/AccountsPayable/ViewCreditNote.aspx?creditNoteID={credit['CreditNoteID']}",
        },
        timeout=5,
    )
    assert page.status_code == 200 and "Credit note CN-77" in page.text and "F-2025-001" in page.text
    assert "<span id='remaining'>30.00</span>" in page.text
    bill_page = requests.get(
        f"{sandbox.url}/xero/go/AccountsPayable/View.aspx?InvoiceID={bill['InvoiceID']}", timeout=5
    )
    assert "CN-77" in bill_page.text
    [state] = sandbox.state()["tenants"][tenant["tenant_id"]]["CreditNotes"]
    assert (state["CreditNoteID"], state["RemainingCredit"]) == (credit["CreditNoteID"], 30)
    fresh = create_note(api, bill["Contact"]["ContactID"], CreditNoteNumber="CN-78")
    voided = requests.post(
        f"{sandbox.url}/xero/go/AccountsPayable/Act",
        data={"CreditNoteID": fresh["CreditNoteID"], "action": "void_credit_note"},
        allow_redirects=False,
        timeout=5,
    )
    assert voided.status_code == 302
    assert api.get(f"CreditNotes/{fresh['CreditNoteID']}").json()["CreditNotes"][0]["Status"] == "VOIDED"
    refused = sandbox.xero_action(tenant["tenant_id"], "void", credit_note_id=credit["CreditNoteID"])
    assert refused["ok"] is False  # allocated: Xero refuses to void it
