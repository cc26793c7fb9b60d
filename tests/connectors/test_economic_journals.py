"""The e-conomic connector where the Journals API, the journal's settings, roles, modules and currencies decide,
against the sandbox over real HTTP (every exchange validated against e-conomic's descriptions under
``make contract``)."""

from __future__ import annotations

import time
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from integrations.connectors.base import BillLine, ConnectorError, EntryKind, ErrorCategory, Outcome, TrackingRef
from tests.connectors.economic_scenarios import (
    YEAR,
    bill,
    connector,
    payment,
    roger_entries,
    write,
    writes_since,
)
from tests.sandbox.economic_helpers import EconomicSandbox

PLAIN = (BillLine("Office chairs", Decimal("1000.00"), Decimal("250.00"), "2200", "I25"),)


@pytest.fixture
def eco(sandbox) -> EconomicSandbox:
    return EconomicSandbox(sandbox)


@pytest.fixture
def agreement(eco) -> dict[str, Any]:
    return eco.agreement("Nordlys ApS")


@pytest.fixture
def conn(eco, agreement, economic_http):
    return connector(eco, agreement, economic_http)


def created(conn, data, kind=EntryKind.BILL, key="k-1"):
    [result] = conn.create(kind, [write(data, key=key)])
    assert result.outcome is Outcome.CREATED, result.error
    return result.state.erp_id


# --- objectVersion --------------------------------------------------------------------------------------------


def test_a_draft_changed_in_e_conomic_since_roger_read_it_is_not_overwritten(conn, eco, agreement):
    erp_id = created(conn, bill())
    eco.action(
        agreement,
        "edit_entry",
        vouchers=[erp_id],
        changes={"text": "Chairs, approved by Mette [roger-x]"},
        before_next_update=True,
    )
    changed = bill(total=Decimal("1500.00"), vat=Decimal("300.00"))
    [conflict] = conn.update(EntryKind.BILL, [write(changed, key="k-2", erp_id=erp_id)])

    assert conflict.outcome is Outcome.FAILED
    assert (conflict.error.category, conflict.error.code, conflict.error.status) == (
        ErrorCategory.TEMPORARY,
        "conflict",
        409,
    )
    assert conflict.error.message == (
        "The draft was changed in e-conomic after Roger read it; Roger reads it again and re-plans — nothing was "
        "overwritten"
    )
    [entry] = [
        e
        for e in eco.state(agreement)["journals"]["10"]["entries"]
        if e["voucher"]["voucherNumber"] == int(erp_id.split("-")[1])
    ]
    assert entry["text"] == "Chairs, approved by Mette [roger-x]" and entry["amount"] == 1250.0


def test_the_change_is_applied_once_roger_has_read_the_draft_again(conn, eco, agreement):
    erp_id = created(conn, bill())
    eco.action(agreement, "edit_entry", vouchers=[erp_id], changes={"amount": "1300.00"})
    seen = conn.read(EntryKind.BILL, [erp_id])[erp_id]
    assert seen.fields["total"] == "1300.00"  # what the accountant typed, shown as the old value in Roger's plan
    [result] = conn.update(
        EntryKind.BILL, [write(bill(total=Decimal("1500.00"), vat=Decimal("300.00")), key="k-2", erp_id=erp_id)]
    )
    assert result.outcome is Outcome.UPDATED, result.error
    assert result.state.fields["total"] == "1500.00"
    assert result.state.fields["tracking"] == "Department: 2"  # the department survived the Journals API's PUT


def test_a_department_change_is_refused_without_a_write(conn, eco, agreement):
    erp_id = created(conn, bill())
    since = len(eco.requests())
    other = (
        BillLine(
            "Office chairs", Decimal("1000.00"), Decimal("250.00"), "2200", "I25", (TrackingRef("Department", "3"),)
        ),
    )
    [result] = conn.update(EntryKind.BILL, [write(bill(lines=other), key="k-2", erp_id=erp_id)])
    assert (result.outcome, result.error.category, result.error.field) == (
        Outcome.FAILED,
        ErrorCategory.UNSUPPORTED,
        "department",
    )
    assert "set the department on the draft in e-conomic" in result.error.hint.lower()
    assert writes_since(eco, since) == []


def test_a_vat_e_conomic_would_compute_differently_is_refused_before_the_write(conn, eco, agreement):
    erp_id = created(conn, bill())
    since = len(eco.requests())
    [result] = conn.update(
        EntryKind.BILL, [write(bill(total=Decimal("1500.00"), vat=Decimal("250.00")), key="k-2", erp_id=erp_id)]
    )
    assert (result.error.category, result.error.field, result.error.code) == (
        ErrorCategory.VALIDATION,
        "vat",
        "vat_mismatch",
    )
    assert "300.00" in result.error.message and "250.00" in result.error.message
    assert writes_since(eco, since) == []


def test_a_draft_booked_between_read_and_write_is_blocked(conn, eco, agreement):
    erp_id = created(conn, bill())
    eco.fault(method="PUT", path="/draft-entries$", kind="latency", latency_ms=1)  # harmless: the PUT still runs
    state = conn.read(EntryKind.BILL, [erp_id])[erp_id]
    assert not state.booked
    eco.action(agreement, "book_entries", vouchers=[erp_id])
    [result] = conn.update(
        EntryKind.BILL, [write(bill(total=Decimal("1500.00"), vat=Decimal("300.00")), key="k-2", erp_id=erp_id)]
    )
    assert result.outcome is Outcome.BLOCKED and result.error.category is ErrorCategory.BOOKED


# --- the journal, roles and modules -----------------------------------------------------------------------------


def test_test_connection_says_what_to_change_on_a_journal_restricted_to_one_entry_type(conn, eco, agreement):
    assert conn.check_connection().ok
    eco.action(agreement, "journal_settings", journal=10, allowedEntryType=3)
    info = conn.check_connection()
    assert not info.ok and info.organisation == "Nordlys ApS"
    assert "only takes supplier invoices" in info.message
    assert "allowed entry type to all types" in info.message
    # and a payment sent there anyway is refused with the journal named as the thing to fix
    [result] = conn.create(EntryKind.PAYMENT, [write(payment(), key="k-p")])
    assert (result.error.category, result.error.field) == (ErrorCategory.SETUP, "journal")


def test_a_journal_whose_voucher_numbers_are_used_up_is_named(conn, eco, agreement):
    eco.action(agreement, "journal_settings", journal=10, minimumVoucherNumber=1, maximumVoucherNumber=2)
    created(conn, bill())  # voucher 2, the last one
    info = conn.check_connection()
    assert not info.ok and "used up its voucher numbers (1 to 2)" in info.message
    [result] = conn.create(EntryKind.BILL, [write(bill(2), key="k-2")])
    assert (result.error.category, result.error.field) == (ErrorCategory.SETUP, "journal")


def test_a_missing_bookkeeping_role_is_a_setup_error_not_a_reconnect(conn, eco, agreement):
    erp_id = created(conn, bill())
    eco.action(agreement, "set_roles", roles=[])
    with pytest.raises(ConnectorError) as caught:
        conn.update(
            EntryKind.BILL, [write(bill(total=Decimal("1500.00"), vat=Decimal("300.00")), key="k-2", erp_id=erp_id)]
        )
    assert (caught.value.error.category, caught.value.error.status) == (ErrorCategory.SETUP, 403)
    assert (
        "Bookkeeping role" in caught.value.error.message
        and "Reconnecting alone does not help" in caught.value.error.hint
    )
    info = conn.check_connection()
    assert not info.ok and "Bookkeeping role" in info.message


def test_departments_without_the_dimension_module_are_a_setup_error(conn, eco, agreement):
    eco.action(agreement, "set_modules", modules=[])
    with pytest.raises(ConnectorError) as caught:
        conn.tracking_options()
    assert caught.value.error.category is ErrorCategory.SETUP and "Dimension module" in caught.value.error.message
    [result] = conn.create(EntryKind.BILL, [write(bill())])
    assert (result.error.category, result.error.field) == (ErrorCategory.SETUP, "department")


# --- currencies -------------------------------------------------------------------------------------------------


def test_a_eur_bill_gets_e_conomic_s_rate_per_100_and_its_base_amount(conn, eco, agreement):
    erp_id = created(conn, bill(currency="EUR", total=Decimal("1000.00"), vat=Decimal("200.00")))
    [entry] = roger_entries(eco, agreement)
    assert (entry["currency"]["code"], entry["exchangeRate"], entry["amountDefaultCurrency"]) == ("EUR", 746.12, 7461.2)
    assert conn.read(EntryKind.BILL, [erp_id])[erp_id].fields["currency"] == "EUR"


def test_a_eur_payment_carries_the_rate_of_what_left_the_bank(conn, eco, agreement):
    data = payment(currency="EUR", amount=Decimal("1000.00"), bank_amount=Decimal("7450.00"))
    created(conn, data, EntryKind.PAYMENT)
    [entry] = roger_entries(eco, agreement)
    assert (entry["exchangeRate"], entry["amountDefaultCurrency"]) == (745.0, 7450.0)


@pytest.mark.parametrize("behaviour", ["refuse", "one_to_one"])
def test_a_foreign_bill_e_conomic_gives_no_rate_is_reported_and_leaves_nothing_wrong(conn, eco, agreement, behaviour):
    eco.configure(legacy_missing_rate=behaviour)
    [result] = conn.create(
        EntryKind.BILL, [write(bill(currency="EUR", total=Decimal("1000.00"), vat=Decimal("200.00")))]
    )
    assert (result.outcome, result.error.category, result.error.field) == (
        Outcome.FAILED,
        ErrorCategory.VALIDATION,
        "currency",
    )
    assert roger_entries(eco, agreement) == []  # a 1:1 draft was deleted again


# --- writes that land late -----------------------------------------------------------------------------------------


def test_a_write_committed_after_the_client_gave_up_is_found_once_it_lands(conn, eco, agreement):
    eco.fault(method="POST", path="/journals/10/vouchers$", kind="commit_after_timeout", hold_seconds=3)
    with pytest.raises(ConnectorError) as caught:
        conn.create(EntryKind.BILL, [write(bill())])
    assert caught.value.error.uncertain is True
    assert conn.lookup(EntryKind.BILL, [bill().marker])[bill().marker] == []  # not there yet: Roger must wait
    deadline = time.monotonic() + 10
    while not roger_entries(eco, agreement) and time.monotonic() < deadline:
        time.sleep(0.2)
    [found] = conn.lookup(EntryKind.BILL, [bill().marker])[bill().marker]
    assert found.marker == bill().marker and len(roger_entries(eco, agreement)) == 1
    assert conn.write_settle_seconds is None  # e-conomic documents no bound: the engine's setting applies


def test_an_old_booked_bill_is_found_by_its_marker_whatever_its_year(conn, eco, agreement):
    old = bill(issue_date=date(YEAR - 3, 5, 1), due_date=date(YEAR - 3, 6, 1))
    erp_id = created(conn, old)
    eco.action(agreement, "book_entries", vouchers=[erp_id])
    [found] = conn.lookup(EntryKind.BILL, [old.marker])[old.marker]
    assert (found.erp_id, found.booked) == (erp_id, True) and erp_id.startswith(f"{YEAR - 3}-")
