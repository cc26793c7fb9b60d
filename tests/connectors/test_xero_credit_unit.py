"""Issue 15 on recorded answers (no network): credit note bodies and states, allocations read back, refunds,
attachment names and every path of ``attach`` that the sandbox cannot produce on demand."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from decimal import Decimal

import pytest
import responses

from integrations.connectors.base import ConnectorError, EntryKind, ErrorCategory, Outcome
from integrations.connectors.xero import XeroConnector, classify_validation
from integrations.connectors.xero.bodies import credit_note_body, payment_body
from integrations.connectors.xero.checks import check_bill, check_payment
from integrations.connectors.xero.files import LIMITS, attachment_name
from integrations.connectors.xero.scopes import permission_for
from tests.connectors.xero_helpers import (
    API,
    PDF,
    TENANT,
    FakeTokens,
    RecordingThrottle,
    allocation,
    credit_note,
    file_item,
    load,
    refund,
)

CREDIT_ID = "7df8949c-b71f-40c0-bbcf-39f2f450f286"
BILL_ID = "673dd7cc-beb7-4697-83d4-0c47cb400cc2"
CONTACT_ID = "c0ffee00-0000-4000-8000-00000000a001"


@pytest.fixture
def rsps():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def xero():
    return XeroConnector(tenant_id=TENANT, tokens=FakeTokens(), throttle=RecordingThrottle())


def org(rsps, period: str | None = None) -> None:
    data = load("organisation")
    data["Organisations"][0].pop("EndOfYearLockDate", None)
    data["Organisations"][0]["PeriodLockDate"] = period
    if period is None:
        del data["Organisations"][0]["PeriodLockDate"]
    rsps.get(f"{API}/Organisation", json=data)


def credit_json(**changes) -> dict:
    """A supplier credit note as Xero's credit notes page shows one (its example, amounts ours)."""
    data = {
        "CreditNoteID": CREDIT_ID,
        "CreditNoteNumber": "CN-2001",
        "Type": "ACCPAYCREDIT",
        "Contact": {"ContactID": CONTACT_ID, "Name": "Acme Supplies"},
        "DateString": "2026-04-10T00:00:00",
        "Date": "/Date(1775779200000+0000)/",
        "Status": "AUTHORISED",
        "LineAmountTypes": "Exclusive",
        "LineItems": [
            {
                "Description": "Returned chairs",
                "UnitAmount": 200.0,
                "TaxType": "INPUT",
                "TaxAmount": 50.0,
                "LineAmount": 200.0,
                "AccountCode": "429",
                "Tracking": [{"Name": "Department", "Option": "Engineering"}],
                "Quantity": 1.0,
            }
        ],
        "SubTotal": 200.0,
        "TotalTax": 50.0,
        "Total": 250.0,
        "CurrencyCode": "DKK",
        "RemainingCredit": 250.0,
        "Allocations": [],
        "Payments": [],
    }
    data.update(changes)
    return data


# --- bodies and checks ----------------------------------------------------------------------------------------


def test_a_credit_note_body_is_an_accpaycredit_with_the_suppliers_number_and_positive_amounts():
    body = credit_note_body(credit_note(), CONTACT_ID)
    assert (body["Type"], body["CreditNoteNumber"], body["Status"]) == ("ACCPAYCREDIT", "CN-2001", "AUTHORISED")
    assert "Url" not in body and "Reference" not in body and "DueDate" not in body
    line = body["LineItems"][0]
    assert (line["LineAmount"], line["TaxAmount"]) == (Decimal("200.00"), Decimal("250.00") - Decimal("200.00"))


def test_a_refund_names_the_credit_note_and_an_allocation_needs_no_bank_account():
    body = payment_body(refund(CREDIT_ID))
    assert body["CreditNote"] == {"CreditNoteID": CREDIT_ID} and "Invoice" not in body
    assert check_payment(allocation(CREDIT_ID, BILL_ID)) is None
    waiting = check_payment(allocation("", BILL_ID))
    assert waiting.category is ErrorCategory.TEMPORARY and "credit note is not in Xero yet" in waiting.message
    assert "bill it corrects" in check_payment(allocation(CREDIT_ID, "INV-1001")).message
    negative = check_bill(dataclasses.replace(credit_note(), total=Decimal("-250.00")))
    assert negative.message == "The credit note's total -250.00 must be sent as a positive amount"


def test_xeros_allocation_messages_are_classified_on_the_amount():
    for message in (
        "Credit Note cannot be allocated as amount is greater than amount outstanding",
        "The invoice you are trying to allocate to has already been paid off",
        "Credit Note cannot be allocated to an incorrect invoice type",
    ):
        error = classify_validation([message], EntryKind.PAYMENT)
        assert (error.category, error.field, error.message) == (ErrorCategory.VALIDATION, "amount", message)


def test_files_and_credit_notes_name_their_own_permission():
    assert permission_for(f"/Invoices/{BILL_ID}/Attachments/a.pdf", ()) == "accounting.attachments"
    assert permission_for(f"/CreditNotes/{CREDIT_ID}/Attachments/a.pdf", ()) == "accounting.attachments"
    assert permission_for(f"/CreditNotes/{CREDIT_ID}/Allocations", ()) == "accounting.invoices"
    assert permission_for("/CreditNotes", ("accounting.transactions",)) == "accounting.transactions"


# --- states ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({}, ""),
        ({"Status": "PAID", "RemainingCredit": 0.0}, "Fully allocated or refunded in Xero"),
        ({"Status": "VOIDED"}, "Voided in Xero"),
        ({"RemainingCredit": 200.0}, "Allocated to a bill or refunded in part in Xero"),
        ({"Allocations": [{"Amount": 1.0, "Invoice": {"InvoiceID": BILL_ID}}]}, "Allocated to a bill"),
    ],
)
def test_a_credit_note_reads_as_its_bill_fields_and_knows_when_it_is_booked(rsps, xero, changes, reason):
    org(rsps)
    rsps.get(f"{API}/Invoices", json={"Invoices": []})
    rsps.get(f"{API}/CreditNotes/{CREDIT_ID}", json={"CreditNotes": [credit_json(**changes)]})
    state = xero.read(EntryKind.BILL, [CREDIT_ID])[CREDIT_ID]
    assert state.fields == credit_note().comparable()
    assert state.booked_reason.startswith(reason) and state.booked is bool(reason)
    assert state.url.endswith(f"/AccountsPayable/ViewCreditNote.aspx%3FcreditNoteID%3D{CREDIT_ID}")


def test_a_credit_note_in_a_locked_period_is_booked(rsps, xero):
    org(rsps, period="/Date(1777507200000+0000)/")  # 2026-04-30
    rsps.get(f"{API}/Invoices", json={"Invoices": []})
    rsps.get(f"{API}/CreditNotes/{CREDIT_ID}", json={"CreditNotes": [credit_json()]})
    state = xero.read(EntryKind.BILL, [CREDIT_ID])[CREDIT_ID]
    assert state.booked_reason == "Dated 2026-04-10, on or before Xero's period lock date 2026-04-30"


def test_an_allocation_is_read_through_its_credit_note_by_the_pair_of_ids(rsps, xero):
    org(rsps)
    allocations = [
        {"AllocationID": "b12335f4-a1e5-4431-aeb4-488e5547558e", "Amount": 100.0,
         "Date": "/Date(1775779200000+0000)/", "Invoice": {"InvoiceID": BILL_ID.upper()}},
        {"AllocationID": "b12335f4-a1e5-4431-aeb4-488e5547558f", "Amount": 50.0,
         "Date": "/Date(1775865600000+0000)/", "Invoice": {"InvoiceID": BILL_ID}},
        {"AllocationID": "b12335f4-a1e5-4431-aeb4-488e55475590", "Amount": 99.0,
         "Date": "/Date(1775865600000+0000)/", "Invoice": {"InvoiceID": "11111111-1111-4111-8111-111111111111"}},
    ]  # fmt: skip
    rsps.get(f"{API}/CreditNotes/{CREDIT_ID}", json={"CreditNotes": [credit_json(Allocations=allocations)]})
    other = "22222222-2222-4222-8222-222222222222"
    states = xero.read(EntryKind.PAYMENT, [f"{CREDIT_ID}:{BILL_ID}", f"{CREDIT_ID}:{other}"])
    state = states[f"{CREDIT_ID}:{BILL_ID}"]
    assert state.fields == {
        "allocated_to": BILL_ID,
        "payment_date": "2026-04-11",
        "amount": "150.00",
        "currency": "DKK",
    }
    assert (state.status, state.number, state.booked) == ("ALLOCATED", "CN-2001", False)
    assert states[f"{CREDIT_ID}:{other}"].exists is False
    assert len([c for c in rsps.calls if "/CreditNotes/" in c.request.url]) == 1  # one read for both


# --- attach ---------------------------------------------------------------------------------------------------


def test_attachment_names_are_safe_stable_and_carry_the_checksum():
    item = file_item(BILL_ID, name='Faktura Ærø <1>/"2":?*.pdf')
    name = attachment_name(item.file)
    digest = hashlib.sha256(PDF).hexdigest()
    assert name == f"Faktura-Aeroe-1-2-{digest[:12]}.pdf"
    assert not set(name) & set('<>:"/\\|?*\0()[]') and attachment_name(item.file) == name
    assert attachment_name(file_item(BILL_ID, name="....pdf").file) == f"document-{digest[:12]}.pdf"
    jpeg = file_item(BILL_ID, b"\xff\xd8\xff", name="scan.jpeg", content_type="image/jpeg").file
    assert attachment_name(jpeg).endswith(".jpg") and LIMITS.refusal(jpeg) == ""


def test_the_file_goes_as_raw_bytes_under_its_name_with_the_items_key(rsps, xero):
    item = file_item(BILL_ID)
    name = attachment_name(item.file)
    rsps.put(
        f"{API}/Invoices/{BILL_ID}/Attachments/{name}",
        json={"Attachments": [{"AttachmentID": "5a500c1a-5a02-48de-939e-1d234fd170d4", "FileName": name}]},
    )
    [result] = xero.attach([item])
    assert (result.outcome, result.erp_ref) == (Outcome.CREATED, "5a500c1a-5a02-48de-939e-1d234fd170d4")
    request = rsps.calls[0].request
    assert request.body == PDF and request.headers["Content-Type"] == "application/octet-stream"
    assert request.headers["Idempotency-Key"] == item.idempotency_key
    assert "bytes" not in json.dumps(result.sent) and result.sent["sha256"] == item.file.sha256


def test_a_file_that_does_not_match_its_checksum_is_never_sent(rsps, xero):
    item = dataclasses.replace(file_item(BILL_ID), content=PDF + b"tampered")
    [result] = xero.attach([item])
    assert result.outcome is Outcome.FAILED and "does not match its recorded size and checksum" in result.error.message
    assert len(rsps.calls) == 0


def test_a_413_is_the_files_fault_with_xeros_limit_named(rsps, xero):
    item = file_item(BILL_ID)
    problem = {"Title": "RequestEntityTooLarge", "Status": 413, "Detail": "PayloadTooLarge", "Extensions": {}}
    rsps.put(f"{API}/Invoices/{BILL_ID}/Attachments/{attachment_name(item.file)}", status=413, json=problem)
    [result] = xero.attach([item])
    assert (result.outcome, result.error.category, result.error.code) == (
        Outcome.FAILED, ErrorCategory.VALIDATION, "PayloadTooLarge",
    )  # fmt: skip
    assert "at most 10 MB" in result.error.hint


def test_a_refusal_on_an_open_bill_is_the_files_with_xeros_words(rsps, xero):
    item = file_item(BILL_ID)
    refused = {
        "ErrorNumber": 10,
        "Type": "ValidationException",
        "Message": "A validation exception occurred",
        "Elements": [{"FileName": "x", "ValidationErrors": [{"Message": "The file is corrupt"}]}],
    }
    rsps.put(f"{API}/Invoices/{BILL_ID}/Attachments/{attachment_name(item.file)}", status=400, json=refused)
    org(rsps)
    rsps.get(f"{API}/Invoices", json={"Invoices": [{"InvoiceID": BILL_ID, "Type": "ACCPAY", "Status": "AUTHORISED"}]})
    rsps.get(f"{API}/Invoices/{BILL_ID}/Attachments", json={"Attachments": [{"FileName": "a.pdf"}] * 3})
    [result] = xero.attach([item])
    assert result.outcome is Outcome.FAILED and result.error.category is ErrorCategory.VALIDATION
    assert result.error.message == f"Xero refused {attachment_name(item.file)}: The file is corrupt"


def test_a_whole_call_failure_after_a_file_went_is_reported_per_file(rsps, xero):
    first, second, third = (file_item(BILL_ID, PDF + bytes([n]), ref=f"f{n}") for n in range(3))
    rsps.put(
        f"{API}/Invoices/{BILL_ID}/Attachments/{attachment_name(first.file)}",
        json={"Attachments": [{"AttachmentID": "5a500c1a-5a02-48de-939e-1d234fd170d4",
                               "FileName": attachment_name(first.file)}]},
    )  # fmt: skip
    rsps.put(f"{API}/Invoices/{BILL_ID}/Attachments/{attachment_name(second.file)}", status=503, body="offline")
    results = xero.attach([first, second, third])
    assert [r.outcome for r in results] == [Outcome.CREATED, Outcome.FAILED, Outcome.FAILED]
    assert results[1].error.uncertain is True and results[2].error.uncertain is False
    with pytest.raises(ConnectorError):
        xero.attach([second])  # nothing went: the whole call failed


def test_a_plain_bad_request_fails_that_file_only(rsps, xero):
    first, second = (file_item(BILL_ID, PDF + bytes([n]), ref=f"f{n}") for n in range(2))
    rsps.put(
        f"{API}/Invoices/{BILL_ID}/Attachments/{attachment_name(first.file)}",
        status=400,
        json={"ErrorNumber": 10, "Type": "ValidationException", "Message": "Bad Request"},
    )
    rsps.put(
        f"{API}/Invoices/{BILL_ID}/Attachments/{attachment_name(second.file)}",
        json={"Attachments": [{"AttachmentID": "5a500c1a-5a02-48de-939e-1d234fd170d4",
                               "FileName": attachment_name(second.file)}]},
    )  # fmt: skip
    results = xero.attach([first, second])
    assert [r.outcome for r in results] == [Outcome.FAILED, Outcome.CREATED]
    assert (results[0].error.category, results[0].error.field) == (ErrorCategory.VALIDATION, "file")
    assert results[0].error.message == "Bad Request" and results[0].sent["sha256"] == first.file.sha256
