"""Supplier credit notes and refunds in e-conomic (issue #15): EconomicConnector against the sandbox over real
HTTP.  A credit note is a supplier invoice entry with a negative amount and VAT; a refund a supplier payment with
a negative amount (money into the bank).  Roger's data and what is read back are positive magnitudes."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from integrations.connectors.base import EntryKind, ErrorCategory, Outcome
from integrations.connectors.economic import EconomicConnector, marker_token
from tests.connectors.economic_scenarios import YEAR, bill, connector, payment, roger_entries, write, writes_since
from tests.sandbox.economic_helpers import EconomicSandbox


@pytest.fixture
def eco(sandbox) -> EconomicSandbox:
    return EconomicSandbox(sandbox)


@pytest.fixture
def agreement(eco) -> dict[str, Any]:
    return eco.agreement("Nordlys ApS")


@pytest.fixture
def conn(eco, agreement, economic_http) -> EconomicConnector:
    return connector(eco, agreement, economic_http)


def credit_note(n: int = 1, **overrides: Any):
    return bill(n, credit_note=True, **overrides)


def refund(n: int = 1, **overrides: Any):
    return payment(n, credit_note=True, **overrides)


def created(conn, data, kind: EntryKind = EntryKind.BILL, key: str = "k-cn-1"):
    [result] = conn.create(kind, [write(data, key=key)])
    assert result.outcome is Outcome.CREATED, result.error
    return result


def test_a_credit_note_is_a_supplier_invoice_with_negative_amount_and_vat(conn, eco, agreement):
    result = created(conn, credit_note())

    [entry] = roger_entries(eco, agreement)
    assert entry["entryType"] == "supplierInvoice"
    assert (entry["amount"], entry["contraVatAmount"]) == (-1250.0, -250.0)
    assert entry["text"] == f"Office chairs [{marker_token(credit_note().marker)}]"
    assert result.sent["amount"] == -1250.0
    assert dict(result.state.fields) == credit_note().comparable()  # positive magnitudes, the same keys
    assert conn.read(EntryKind.BILL, [result.state.erp_id])[result.state.erp_id].fields == result.state.fields


def test_a_credit_note_is_found_by_its_marker_as_a_draft_and_once_booked(conn, eco, agreement):
    erp_id = created(conn, credit_note()).state.erp_id
    [found] = conn.lookup(EntryKind.BILL, [credit_note().marker])[credit_note().marker]
    assert found.erp_id == erp_id and not found.booked

    [booked] = conn.book(EntryKind.BILL, [erp_id])
    assert booked.outcome is Outcome.UPDATED
    [again] = conn.lookup(EntryKind.BILL, [credit_note().marker])[credit_note().marker]
    assert again.booked and again.erp_id == erp_id
    assert dict(again.fields) == credit_note().comparable()
    lines = eco.state(agreement)["bookedEntries"][str(YEAR)]
    by_account = {
        line["account"]["accountNumber"]: line["amount"]
        for line in lines
        if line["voucherNumber"] == int(erp_id.split("-")[1])
    }
    # the supplier is debited (we are owed), the expense and the input VAT are reduced
    assert by_account == {6800: 1250.0, 2200: -1000.0, 6902: -250.0}


def test_a_changed_credit_note_is_updated_with_its_sign_and_an_unchanged_one_is_not_written(conn, eco, agreement):
    erp_id = created(conn, credit_note()).state.erp_id
    changed = credit_note(total=Decimal("1500.00"), vat=Decimal("300.00"))

    [result] = conn.update(EntryKind.BILL, [write(changed, key="k-cn-1b", erp_id=erp_id)])

    assert result.outcome is Outcome.UPDATED, result.error
    [entry] = roger_entries(eco, agreement)
    assert (entry["amount"], entry["contraVatAmount"]) == (-1500.0, -300.0)
    assert dict(result.state.fields) == changed.comparable()
    since = len(eco.requests())
    [same] = conn.update(EntryKind.BILL, [write(changed, key="k-cn-1c", erp_id=erp_id)])
    assert same.outcome is Outcome.UNCHANGED
    assert writes_since(eco, since) == []


def test_an_invoice_that_becomes_a_credit_note_changes_sign(conn, eco, agreement):
    erp_id = created(conn, bill()).state.erp_id
    [result] = conn.update(EntryKind.BILL, [write(credit_note(), key="k-cn-1b", erp_id=erp_id)])
    assert result.outcome is Outcome.UPDATED, result.error
    [entry] = roger_entries(eco, agreement)
    assert (entry["amount"], entry["contraVatAmount"]) == (-1250.0, -250.0)


def test_a_booked_credit_note_is_blocked_and_a_closed_period_refused_before_sending(conn, eco, agreement):
    erp_id = created(conn, credit_note()).state.erp_id
    eco.action(agreement, "book_entries", vouchers=[erp_id])
    [blocked] = conn.update(
        EntryKind.BILL, [write(credit_note(total=Decimal("10.00"), vat=Decimal("2.00")), key="k2", erp_id=erp_id)]
    )
    assert blocked.outcome is Outcome.BLOCKED and blocked.error.category is ErrorCategory.BOOKED

    eco.action(agreement, "close_period", date=credit_note(2).issue_date.isoformat())
    since = len(eco.requests())
    [refused] = conn.create(EntryKind.BILL, [write(credit_note(2), key="k-cn-2")])
    assert refused.outcome is Outcome.FAILED and refused.error.category is ErrorCategory.BOOKED
    assert writes_since(eco, since) == []


def test_a_refund_is_a_supplier_payment_into_the_bank(conn, eco, agreement):
    result = created(conn, refund(), EntryKind.PAYMENT, key="k-refund-1")

    [entry] = roger_entries(eco, agreement)
    assert (entry["entryType"], entry["amount"]) == ("supplierPayment", -1250.0)
    assert entry["text"].startswith("Refund Chairs A/S INV-1 [")
    assert dict(result.state.fields) == refund().comparable()
    [found] = conn.lookup(EntryKind.PAYMENT, [refund().marker])[refund().marker]
    assert found.erp_id == result.state.erp_id

    conn.book(EntryKind.PAYMENT, [result.state.erp_id])
    lines = eco.state(agreement)["bookedEntries"][str(YEAR)]
    by_account = {line["account"]["accountNumber"]: line["amount"] for line in lines}
    assert by_account == {6800: -1250.0, 5820: 1250.0}  # money in: the bank is debited
    booked = conn.read(EntryKind.PAYMENT, [result.state.erp_id])[result.state.erp_id]
    assert booked.booked and booked.fields["amount"] == "1250.00"


def test_a_foreign_currency_refund_carries_the_bank_s_amount_with_its_sign(conn, eco, agreement):
    data = refund(currency="EUR", amount=Decimal("100.00"), bank_amount=Decimal("745.00"))
    result = created(conn, data, EntryKind.PAYMENT, key="k-refund-eur")
    [entry] = roger_entries(eco, agreement)
    assert (entry["amount"], entry["exchangeRate"]) == (-100.0, 745.0)
    assert result.sent["amountBaseCurrency"] == -745.0


def test_an_allocation_is_left_to_the_accountant_without_a_call(conn, eco):
    since = len(eco.requests())
    allocation = payment(credit_note=True, allocate_to=f"{YEAR}-2", bill_erp_id=f"{YEAR}-3")
    [result] = conn.create(EntryKind.PAYMENT, [write(allocation, key="k-alloc")])
    assert result.outcome is Outcome.FAILED
    assert (result.error.category, result.error.code) == (ErrorCategory.UNSUPPORTED, "allocation_unsupported")
    assert "in e-conomic" in result.error.hint
    assert eco.requests()[since:] == []
