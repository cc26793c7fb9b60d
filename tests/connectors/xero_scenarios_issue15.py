"""Contract scenarios for issue 15 against the sandbox over HTTP: supplier credit notes (create, update, booked,
found again), their allocations and refunds, and the document's file on the bill or credit note.

With ``ROGER_XERO_OPENAPI`` set every request and answer is validated against Xero's OpenAPI description.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from integrations.connectors.base import ConnectorError, EntryKind, ErrorCategory, Outcome
from tests.connectors.xero_helpers import PDF, allocation, bill, credit_note, file_item, item, refund, vendor


def _credit_notes(env: Any) -> list[dict[str, Any]]:
    return env.org_state()["CreditNotes"]


def _files(env: Any, document_id: str) -> list[dict[str, Any]]:
    return env.org_state()["Attachments"].get(document_id, [])


def _bill_and_credit_note(env: Any, xero: Any, **credit: Any) -> tuple[str, str]:
    [created, credited] = xero.create(EntryKind.BILL, [item(bill()), item(credit_note(**credit))])
    assert (created.outcome, credited.outcome) == (Outcome.CREATED, Outcome.CREATED), (created, credited)
    return created.state.erp_id, credited.state.erp_id


# --- credit notes ------------------------------------------------------------------------------------------------
def a_credit_note_is_a_supplier_credit_note_in_xero(env: Any) -> None:
    xero = env.connector()
    bill_id, credit_id = _bill_and_credit_note(env, xero)
    [credit] = _credit_notes(env)
    assert credit["CreditNoteID"] == credit_id
    assert (credit["Type"], credit["Status"], credit["CreditNoteNumber"]) == ("ACCPAYCREDIT", "AUTHORISED", "CN-2001")
    assert (credit["Total"], credit["TotalTax"], credit["RemainingCredit"]) == (250.0, 50.0, 250.0)
    assert credit["Contact"]["ContactID"] == env.invoices()[0]["Contact"]["ContactID"]  # the bill's supplier
    assert len(env.org_state()["Contacts"]) == 1
    [state] = xero.read(EntryKind.BILL, [credit_id]).values()
    assert state.fields == credit_note().comparable()  # positive amounts, the bill's keys: compared like for like
    assert state.number == "CN-2001" and not state.booked
    short_code = env.org_state()["Organisation"]["ShortCode"]
    assert state.url == (
        f"{env.url}/xero/go/organisationlogin/default.aspx?shortcode={short_code}"
        f"&redirecturl=/AccountsPayable/ViewCreditNote.aspx%3FcreditNoteID%3D{credit_id}"
    )
    page = env.session.get(state.url, timeout=5)
    assert page.status_code == 200 and "Credit note CN-2001" in page.text and "Returned chairs" in page.text
    assert bill_id != credit_id


def a_credit_note_is_updated_in_place_and_left_alone_when_unchanged(env: Any) -> None:
    xero = env.connector()
    [created] = xero.create(EntryKind.BILL, [item(credit_note())])
    credit_id = created.state.erp_id
    line_id = _credit_notes(env)[0]["LineItems"][0]["LineItemID"]
    mark = env.mark()
    [same] = env.connector().update(EntryKind.BILL, [item(credit_note(), erp_id=credit_id, version=2)])
    assert same.outcome is Outcome.UNCHANGED and env.writes_since(mark) == []
    changed = credit_note(net="160.00", vat="40.00", description="Returned chairs (4)")
    [updated] = xero.update(EntryKind.BILL, [item(changed, erp_id=credit_id, version=3)])
    assert updated.outcome is Outcome.UPDATED, updated.error
    [credit] = _credit_notes(env)
    assert (credit["Total"], credit["Status"], credit["LineItems"][0]["LineItemID"]) == (200.0, "AUTHORISED", line_id)
    assert updated.state.fields == changed.comparable()
    writes = env.writes_since(mark)
    assert [(w["method"], w["path"].rsplit("/api.xro/2.0", 1)[1]) for w in writes] == [("POST", "/CreditNotes")]


def a_credit_note_whose_create_timed_out_is_found_and_not_entered_twice(env: Any) -> None:
    env.sandbox.fault(method="PUT", path="CreditNotes", kind="timeout_after_commit", count=1, hold_seconds=3)
    data = credit_note()
    with pytest.raises(ConnectorError) as info:
        env.connector(timeout=(3.05, 1.0)).create(EntryKind.BILL, [item(data)])
    assert info.value.error.uncertain
    # Another credit note of the same supplier, and another supplier's credit note with the same number.
    xero = env.connector()
    other_supplier = vendor("V-2", "Borealis Print", tax="DK99887766")
    same_number = dataclasses.replace(credit_note(3001), vendor=other_supplier, invoice_number="CN-2001")
    xero.create(EntryKind.BILL, [item(credit_note(2002)), item(same_number)])
    found = env.connector().lookup_entries(EntryKind.BILL, [data, credit_note(2999)])
    assert [s.number for s in found[data.marker]] == ["CN-2001"]
    assert found[credit_note(2999).marker] == []
    mine = [c for c in _credit_notes(env) if c["CreditNoteNumber"] == "CN-2001" and c["Total"] == 250.0]
    assert len(_credit_notes(env)) == 3 and found[data.marker][0].erp_id == mine[0]["CreditNoteID"]


def _booked(action: Callable[[Any, str, str], None], reason: str) -> Callable[[Any], None]:
    def scenario(env: Any) -> None:
        xero = env.connector()
        bill_id, credit_id = _bill_and_credit_note(env, xero)
        action(env, bill_id, credit_id)
        mark = env.mark()
        changed = credit_note(net="100.00", vat="25.00")
        [result] = env.connector().update(EntryKind.BILL, [item(changed, erp_id=credit_id, version=2)])
        assert result.outcome is Outcome.BLOCKED, result
        assert result.state.booked_reason.startswith(reason), result.state.booked_reason
        assert result.error.category is ErrorCategory.BOOKED and result.state.booked_hint
        assert env.writes_since(mark) == []

    scenario.__name__ = f"a_credit_note_{reason.split()[0].lower()}_in_xero_is_booked"
    return scenario


a_credit_note_allocated_in_xero_is_booked = _booked(
    lambda env, b, c: env.act("allocate", credit_note_id=c, invoice_id=b, amount="100.00"),
    "Allocated to a bill or refunded in part",
)
a_credit_note_fully_used_in_xero_is_booked = _booked(
    lambda env, b, c: env.act("refund", credit_note_id=c, date="2026-04-20"), "Fully allocated or refunded"
)
a_credit_note_voided_in_xero_is_booked = _booked(lambda env, b, c: env.act("void", credit_note_id=c), "Voided in Xero")
a_credit_note_in_a_locked_period_is_booked = _booked(
    lambda env, b, c: env.act("set_lock_dates", period_lock_date="2026-04-30"),
    "Dated 2026-04-10, on or before Xero's period lock date",
)


# --- allocations -------------------------------------------------------------------------------------------------
def a_credit_note_is_allocated_against_its_bill_once(env: Any) -> None:
    xero = env.connector()
    bill_id, credit_id = _bill_and_credit_note(env, xero)
    data = allocation(credit_id, bill_id)
    [allocated] = xero.create(EntryKind.PAYMENT, [item(data)])
    assert allocated.outcome is Outcome.CREATED, allocated.error
    assert allocated.state.erp_id == f"{credit_id}:{bill_id}"
    assert allocated.state.fields == {**data.comparable(), "payment_date": "2026-04-10"}  # Xero dates it itself
    [invoice] = env.invoices()
    assert (invoice["AmountCredited"], invoice["AmountDue"], invoice["Status"]) == (250.0, 1000.0, "AUTHORISED")
    assert invoice["CreditNotes"][0]["CreditNoteID"] == credit_id
    assert _credit_notes(env)[0]["Status"] == "PAID"
    # Read by its id, and found again by the pair (what the engine does after an unknown outcome): adopted, not
    # allocated twice.
    assert env.connector().read(EntryKind.PAYMENT, [allocated.state.erp_id])[allocated.state.erp_id].exists
    found = env.connector().lookup_entries(EntryKind.PAYMENT, [data])
    assert [s.erp_id for s in found[data.marker]] == [allocated.state.erp_id]
    mark = env.mark()
    [same] = env.connector().update(EntryKind.PAYMENT, [item(data, erp_id=allocated.state.erp_id, version=2)])
    assert same.outcome is Outcome.UNCHANGED and env.writes_since(mark) == []
    page = env.session.get(f"{env.url}/xero/go/AccountsPayable/View.aspx?InvoiceID={bill_id}", timeout=5)
    assert "CN-2001" in page.text


def a_changed_allocation_is_taken_back_and_made_again(env: Any) -> None:
    xero = env.connector()
    bill_id, credit_id = _bill_and_credit_note(env, xero)
    [allocated] = xero.create(EntryKind.PAYMENT, [item(allocation(credit_id, bill_id))])
    smaller = allocation(credit_id, bill_id, amount="100.00")
    [updated] = xero.update(EntryKind.PAYMENT, [item(smaller, erp_id=allocated.state.erp_id, version=2)])
    assert updated.outcome is Outcome.UPDATED, updated.error
    assert updated.state.fields["amount"] == "100.00"
    [credit] = _credit_notes(env)
    assert (credit["RemainingCredit"], credit["Status"], len(credit["Allocations"])) == (150.0, "AUTHORISED", 1)
    assert env.invoices()[0]["AmountCredited"] == 100.0
    deletes = [c for c in env.calls_since(0) if c["method"] == "DELETE"]
    assert len(deletes) == 1 and "/Allocations/" in deletes[0]["path"]


def an_allocation_larger_than_what_is_left_is_refused_in_xeros_words(env: Any) -> None:
    xero = env.connector()
    bill_id, credit_id = _bill_and_credit_note(env, xero)
    env.act("pay", invoice_id=bill_id, amount="1100.00", date="2026-04-11")  # 150 left on the bill
    [result] = xero.create(EntryKind.PAYMENT, [item(allocation(credit_id, bill_id))])
    assert result.outcome is Outcome.FAILED
    assert (result.error.category, result.error.field) == (ErrorCategory.VALIDATION, "amount")
    assert result.error.message == "Credit Note cannot be allocated as amount is greater than amount outstanding"
    env.act("pay", invoice_id=bill_id, date="2026-04-11")
    [paid_off] = xero.create(EntryKind.PAYMENT, [item(allocation(credit_id, bill_id, amount="10.00"), version=2)])
    assert paid_off.error.message == "The invoice you are trying to allocate to has already been paid off"
    assert _credit_notes(env)[0]["Allocations"] == []


def an_allocation_in_a_locked_period_is_blocked(env: Any) -> None:
    xero = env.connector()
    bill_id, credit_id = _bill_and_credit_note(env, xero)
    [allocated] = xero.create(EntryKind.PAYMENT, [item(allocation(credit_id, bill_id))])
    env.act("set_lock_dates", period_lock_date="2026-04-30")
    mark = env.mark()
    smaller = allocation(credit_id, bill_id, amount="100.00")
    [result] = env.connector().update(EntryKind.PAYMENT, [item(smaller, erp_id=allocated.state.erp_id, version=2)])
    assert result.outcome is Outcome.BLOCKED and "lock date" in result.state.booked_reason
    assert env.writes_since(mark) == []


# --- refunds -----------------------------------------------------------------------------------------------------
def a_refund_is_a_payment_on_the_credit_note(env: Any) -> None:
    xero = env.connector()
    [created] = xero.create(EntryKind.BILL, [item(credit_note())])
    credit_id = created.state.erp_id
    data = refund(credit_id)
    [refunded] = xero.create(EntryKind.PAYMENT, [item(data)])
    assert refunded.outcome is Outcome.CREATED, refunded.error
    [payment] = env.org_state()["Payments"]
    assert (payment["PaymentType"], payment["CreditNote"]["CreditNoteID"]) == ("APCREDITPAYMENT", credit_id)
    # Every field Roger compares, as Roger sent it (Xero's BankAmount is the same amount here: nothing converted).
    assert refunded.state.fields == data.comparable()
    assert refunded.state.number == "CN-2001"
    assert _credit_notes(env)[0]["Status"] == "PAID"
    found = env.connector().lookup_entries(EntryKind.PAYMENT, [data])
    assert [s.erp_id for s in found[data.marker]] == [refunded.state.erp_id]
    changed = refund(credit_id, amount="200.00", when=date(2026, 4, 21))
    [updated] = xero.update(EntryKind.PAYMENT, [item(changed, erp_id=refunded.state.erp_id, version=2)])
    assert updated.outcome is Outcome.UPDATED, updated.error
    statuses = {p["PaymentID"]: p["Status"] for p in env.org_state()["Payments"]}
    assert statuses == {refunded.state.erp_id: "DELETED", updated.state.erp_id: "AUTHORISED"}
    assert _credit_notes(env)[0]["RemainingCredit"] == 50.0


# --- the document's file -----------------------------------------------------------------------------------------
def the_bills_file_is_attached_once_whatever_the_retries(env: Any) -> None:
    xero = env.connector()
    [created] = xero.create(EntryKind.BILL, [item(bill())])
    bill_id = created.state.erp_id
    [attached] = xero.attach([file_item(bill_id)])
    assert attached.outcome is Outcome.CREATED, attached.error
    sha = hashlib.sha256(PDF).hexdigest()
    assert attached.sent == {
        "file": f"Invoice-1001-Acme-{sha[:12]}.pdf",
        "size": len(PDF),
        "sha256": sha,
        "content_type": "application/pdf",
        "replaced": "",
    }
    [stored] = _files(env, bill_id)
    assert (stored["AttachmentID"], stored["sha256"], stored["MimeType"]) == (attached.erp_ref, sha, "application/pdf")
    # The same file again (a retry after an outcome Roger never saw): overwritten, never a second copy.
    [again] = env.connector().attach([file_item(bill_id)])
    assert again.outcome is Outcome.CREATED and len(_files(env, bill_id)) == 1
    # The bytes never reach Roger's log; the sandbox's own log keeps size and checksum only.
    upload = next(c for c in env.calls_since(0) if c["method"] == "PUT" and "/Attachments/" in c["path"])
    assert upload["body"] == f"<{len(PDF)} bytes, sha256 {sha}>"
    page = env.session.get(f"{env.url}/xero/go/AccountsPayable/View.aspx?InvoiceID={bill_id}", timeout=5)
    assert f"Invoice-1001-Acme-{sha[:12]}.pdf" in page.text
    download = env.session.get(f"{env.url}/xero/go/attachments/{bill_id}/{attached.erp_ref}", timeout=5)
    assert (download.content, download.headers["Content-Type"]) == (PDF, "application/pdf")


def a_replaced_file_is_added_beside_the_old_one(env: Any) -> None:
    xero = env.connector()
    [created] = xero.create(EntryKind.BILL, [item(bill())])
    [first] = xero.attach([file_item(created.state.erp_id)])
    scan = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    [second] = xero.attach(
        [file_item(created.state.erp_id, scan, name="scan.png", content_type="image/png", replaces=first.erp_ref)]
    )
    assert second.outcome is Outcome.CREATED and second.erp_ref != first.erp_ref
    assert second.sent["kept_beside"] == first.erp_ref and "cannot remove" in second.sent["note"]
    assert sorted(f["MimeType"] for f in _files(env, created.state.erp_id)) == ["application/pdf", "image/png"]


def a_credit_notes_file_goes_on_the_credit_note(env: Any) -> None:
    xero = env.connector()
    [created] = xero.create(EntryKind.BILL, [item(credit_note())])
    [attached] = xero.attach([file_item(created.state.erp_id, credit_note=True, name="CN-2001.pdf")])
    assert attached.outcome is Outcome.CREATED, attached.error
    assert [f["AttachmentID"] for f in _files(env, created.state.erp_id)] == [attached.erp_ref]
    assert _credit_notes(env)[0]["HasAttachments"] is True


def a_file_on_a_paid_bill_is_blocked_not_failed(env: Any) -> None:
    xero = env.connector()
    [created] = xero.create(EntryKind.BILL, [item(bill())])
    env.act("pay", invoice_id=created.state.erp_id, date="2026-04-20")
    [result] = env.connector().attach([file_item(created.state.erp_id)])
    assert result.outcome is Outcome.BLOCKED, result
    assert result.error.category is ErrorCategory.BOOKED and result.error.field == "file"
    assert result.error.message.startswith("Paid in Xero — Xero took no new file on the bill (Xero said: ")
    assert _files(env, created.state.erp_id) == []


def an_eleventh_file_is_refused_naming_the_limit(env: Any) -> None:
    xero = env.connector()
    [created] = xero.create(EntryKind.BILL, [item(bill())])
    files = [file_item(created.state.erp_id, PDF + bytes([n]), ref=f"f{n}") for n in range(11)]
    results = xero.attach(files)
    assert [r.outcome for r in results] == [Outcome.CREATED] * 10 + [Outcome.FAILED]
    assert results[10].error.category is ErrorCategory.VALIDATION
    assert "holds 10 files in Xero, the most Xero allows" in results[10].error.message
    assert len(_files(env, created.state.erp_id)) == 10


def a_file_over_xeros_limit_is_refused_before_sending(env: Any) -> None:
    xero = env.connector()
    [created] = xero.create(EntryKind.BILL, [item(bill())])
    mark = env.mark()
    big = PDF + b"\x00" * 10_000_000
    [result] = xero.attach([file_item(created.state.erp_id, big)])
    assert result.outcome is Outcome.FAILED and result.error.category is ErrorCategory.VALIDATION
    assert "the ERP takes files of at most 10 MB" in result.error.message
    assert env.writes_since(mark) == []


def files_need_the_attachments_permission(env: Any) -> None:
    from tests.connectors.xero_scenarios_issue12 import _connector_for

    scope = "offline_access accounting.invoices accounting.payments accounting.contacts accounting.settings"
    env.tenant = {**env.tenant, **env.sandbox.new_xero_tenant("Nordlys (no files)", scope=scope)}
    xero = _connector_for(env)
    [created] = xero.create(EntryKind.BILL, [item(bill())])
    with pytest.raises(ConnectorError) as info:
        xero.attach([file_item(created.state.erp_id)])
    assert info.value.error.category is ErrorCategory.SETUP
    assert (
        info.value.error.message
        == "Roger's Xero app lacks permission accounting.attachments — reconnect and approve it"
    )


SCENARIOS: list[Callable[[Any], None]] = [
    a_credit_note_is_a_supplier_credit_note_in_xero,
    a_credit_note_is_updated_in_place_and_left_alone_when_unchanged,
    a_credit_note_whose_create_timed_out_is_found_and_not_entered_twice,
    a_credit_note_allocated_in_xero_is_booked,
    a_credit_note_fully_used_in_xero_is_booked,
    a_credit_note_voided_in_xero_is_booked,
    a_credit_note_in_a_locked_period_is_booked,
    a_credit_note_is_allocated_against_its_bill_once,
    a_changed_allocation_is_taken_back_and_made_again,
    an_allocation_larger_than_what_is_left_is_refused_in_xeros_words,
    an_allocation_in_a_locked_period_is_blocked,
    a_refund_is_a_payment_on_the_credit_note,
    the_bills_file_is_attached_once_whatever_the_retries,
    a_replaced_file_is_added_beside_the_old_one,
    a_credit_notes_file_goes_on_the_credit_note,
    a_file_on_a_paid_bill_is_blocked_not_failed,
    an_eleventh_file_is_refused_naming_the_limit,
    a_file_over_xeros_limit_is_refused_before_sending,
    files_need_the_attachments_permission,
]
