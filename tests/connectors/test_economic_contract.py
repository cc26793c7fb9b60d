"""Contract: EconomicConnector against the e-conomic sandbox over real HTTP (the Xero issue's matrix).

They run in the normal suite; with ``ROGER_ECONOMIC_SPECS`` set (``make contract``) every exchange on the
connector's session is also validated against e-conomic's published descriptions (``economic_http``).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from integrations.connectors.base import (
    BillData,
    BillLine,
    ConnectorError,
    EntryKind,
    ErrorCategory,
    Outcome,
    PaymentData,
)
from integrations.connectors.economic import EconomicConnector, marker_token
from tests.connectors.economic_scenarios import (
    DAY,
    YEAR,
    bill,
    connector,
    payment,
    roger_entries,
    write,
    writes_since,
)
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


def created(conn, data: BillData | PaymentData, kind: EntryKind = EntryKind.BILL, **kw: Any):
    [result] = conn.create(kind, [write(data, **kw)])
    assert result.outcome is Outcome.CREATED, result.error
    return result


# --- create / update / unchanged ----------------------------------------------------------------------------


def test_create_posts_a_draft_voucher_and_the_supplier(conn, eco, agreement):
    result = created(conn, bill())
    assert result.state.erp_id == f"{YEAR}-2"  # voucher 1 of journal 10 is the human's draft
    assert result.state.status == "draft" and not result.state.booked

    [entry] = roger_entries(eco, agreement)
    assert entry["text"] == f"Office chairs [{marker_token(bill().marker)}]"
    assert entry["supplier"]["supplierNumber"] == 1001
    assert entry["contraAccount"]["accountNumber"] == 2200
    assert entry["contraVatAccount"]["vatCode"] == "I25"
    assert entry["departmentalDistribution"]["departmentalDistributionNumber"] == 2
    suppliers = {s["supplierNumber"]: s for s in eco.state(agreement)["suppliers"]}
    assert suppliers[1001]["corporateIdentificationNumber"] == "DK12345678"
    assert conn.read(EntryKind.BILL, [result.state.erp_id])[result.state.erp_id].fields == result.state.fields


def test_a_payment_is_a_supplier_payment_against_the_bank(conn, eco, agreement):
    result = created(conn, payment(), EntryKind.PAYMENT, key="roger-1-doc1-payment-v1")
    [entry] = roger_entries(eco, agreement)
    assert entry["entryType"] == "supplierPayment"
    assert entry["contraAccount"]["accountNumber"] == 5820
    assert result.state.fields == {
        "bank_account": "5820",
        "payment_date": f"{YEAR}-02-20",
        "amount": "1250.00",
        "currency": "DKK",
    }


def test_update_changes_the_draft_in_place(conn, eco, agreement):
    erp_id = created(conn, bill()).state.erp_id
    changed = bill(total=Decimal("1500.00"), vat=Decimal("300.00"), due_date=date(YEAR, 3, 20))
    [result] = conn.update(EntryKind.BILL, [write(changed, key="roger-1-doc1-bill-v2", erp_id=erp_id)])

    assert result.outcome is Outcome.UPDATED, result.error
    assert result.state.erp_id == erp_id
    [entry] = roger_entries(eco, agreement)
    assert (entry["amount"], entry["contraVatAmount"], entry["dueDate"]) == (1500.0, 300.0, f"{YEAR}-03-20")


def test_an_unchanged_entry_is_not_written(conn, eco):
    erp_id = created(conn, bill()).state.erp_id
    since = len(eco.requests())
    [result] = conn.update(EntryKind.BILL, [write(bill(), key="roger-1-doc1-bill-v2", erp_id=erp_id)])
    assert result.outcome is Outcome.UNCHANGED
    assert writes_since(eco, since) == []


# --- booked --------------------------------------------------------------------------------------------------


def test_a_booked_entry_is_blocked_with_no_write(conn, eco, agreement):
    erp_id = created(conn, bill()).state.erp_id
    eco.action(agreement, "book_journal", journal=10)  # the accountant books the journal in e-conomic
    since = len(eco.requests())

    state = conn.read(EntryKind.BILL, [erp_id])[erp_id]
    assert state.booked and state.booked_reason == "Booked in e-conomic (voucher 2)"
    assert state.booked_hint == "Booked entries cannot change; post a correction (counter-entry) in e-conomic"
    [result] = conn.update(
        EntryKind.BILL,
        [write(bill(total=Decimal("9.00"), vat=Decimal("0.00")), key="roger-1-doc1-bill-v2", erp_id=erp_id)],
    )
    assert result.outcome is Outcome.BLOCKED
    assert result.error.category is ErrorCategory.BOOKED
    assert writes_since(eco, since) == []


def test_a_booked_bill_reads_back_as_it_was_sent(conn, eco, agreement):
    """The ledger lines of a booked voucher tell the same story as its draft, so a plan lists real changes only."""
    draft = created(conn, bill())
    erp_id = draft.state.erp_id
    eco.action(agreement, "book_entries", vouchers=[erp_id])
    booked = conn.read(EntryKind.BILL, [erp_id])[erp_id]
    assert booked.booked and booked.status == "booked"
    assert dict(booked.fields) == dict(draft.state.fields) == bill().comparable()
    assert conn.lookup(EntryKind.BILL, [bill().marker])[bill().marker][0].fields == booked.fields


def test_a_booked_payment_is_blocked_too(conn, eco, agreement):
    erp_id = created(conn, payment(), EntryKind.PAYMENT).state.erp_id
    eco.action(agreement, "book_entries", vouchers=[erp_id])
    [result] = conn.update(
        EntryKind.PAYMENT, [write(payment(amount=Decimal("1.00")), erp_id=erp_id, key="roger-1-doc1-payment-v2")]
    )
    assert result.outcome is Outcome.BLOCKED


def test_a_draft_a_human_deleted_reads_as_gone(conn, eco, agreement):
    erp_id = created(conn, bill()).state.erp_id
    eco.action(agreement, "delete_entry", vouchers=[erp_id])
    assert conn.read(EntryKind.BILL, [erp_id])[erp_id].exists is False


# --- closed periods ------------------------------------------------------------------------------------------


def test_a_closed_period_is_booked_for_new_and_existing_entries(conn, eco, agreement):
    erp_id = created(conn, bill(2), key="k-2").state.erp_id
    eco.action(agreement, "close_period", date=DAY.isoformat())

    [new] = conn.create(EntryKind.BILL, [write(bill())])
    assert new.outcome is Outcome.FAILED
    assert new.error.category is ErrorCategory.BOOKED
    assert "closed" in new.error.message
    assert new.error.hint
    since = len(eco.requests())
    [old] = conn.update(
        EntryKind.BILL, [write(bill(2, total=Decimal("99.00"), vat=Decimal("0")), erp_id=erp_id, key="k-2b")]
    )
    assert old.outcome is Outcome.BLOCKED
    assert "closed accounting period" in old.state.booked_reason
    assert writes_since(eco, since) == []


# --- validation / setup ---------------------------------------------------------------------------------------


def test_e_conomic_s_validation_errors_name_roger_s_field(conn, eco, agreement):
    line = BillLine("Chairs", Decimal("1000"), Decimal("250"), "2200", "X99")
    [vat] = conn.create(EntryKind.BILL, [write(bill(lines=(line,)))])
    assert vat.error.category is ErrorCategory.SETUP
    assert vat.error.field == "vat_code"
    heading = BillLine("C", Decimal(1000), Decimal(250), "1000", "I25")  # a heading takes no entries
    [account] = conn.create(EntryKind.BILL, [write(bill(lines=(heading,)), key="k-heading")])
    # the mapping points at an account that takes no entries: a setup problem, named by Roger's field
    assert (account.error.category, account.error.field) == (ErrorCategory.SETUP, "category")
    plain = BillLine("Chairs", Decimal("1000"), Decimal("250"), "2200", "I25")
    [currency] = conn.create(EntryKind.BILL, [write(bill(currency="ZUL", lines=(plain,)), key="k-currency")])
    assert (currency.error.category, currency.error.field) == (ErrorCategory.VALIDATION, "currency")
    assert roger_entries(eco, agreement) == []


def test_one_bad_element_in_a_batch_does_not_stop_the_others(conn, eco, agreement):
    bad = bill(2, lines=(BillLine("C", Decimal(1000), Decimal(250), "9999", "I25"),))
    results = conn.create(
        EntryKind.BILL,
        [write(bill(1), key="k-1", ref="a"), write(bad, key="k-2", ref="b"), write(bill(3), key="k-3", ref="c")],
    )
    assert [r.outcome for r in results] == [Outcome.CREATED, Outcome.FAILED, Outcome.CREATED]
    assert (results[1].error.category, results[1].error.field) == (ErrorCategory.SETUP, "category")
    assert len(roger_entries(eco, agreement)) == 2


# --- rate limits, timeouts, revoked grant ----------------------------------------------------------------------


def test_a_429_is_temporary_with_retry_after(conn, eco):
    eco.fault(method="POST", path="/journals/10/vouchers", kind="429", retry_after=17)
    with pytest.raises(ConnectorError) as caught:
        conn.create(EntryKind.BILL, [write(bill())])
    assert caught.value.error.category is ErrorCategory.TEMPORARY
    assert caught.value.error.retry_after == 17
    assert not caught.value.error.uncertain


def test_the_fair_use_limit_is_a_temporary_error(conn, eco):
    eco.configure(calls_per_minute=2)
    with pytest.raises(ConnectorError) as caught:
        conn.create(EntryKind.BILL, [write(bill())])
    assert caught.value.error.category is ErrorCategory.TEMPORARY
    # e-conomic names no rate-limit headers: the sandbox sends none, and Roger's engine backs off on its own
    assert caught.value.error.retry_after is None


def test_timeout_after_commit_leaves_exactly_one_voucher_found_by_marker(conn, eco, agreement):
    eco.fault(method="POST", path="/journals/10/vouchers", kind="timeout_after_commit", hold_seconds=4)
    with pytest.raises(ConnectorError) as caught:
        conn.create(EntryKind.BILL, [write(bill())])
    assert caught.value.error.category is ErrorCategory.TEMPORARY
    assert caught.value.error.uncertain is True

    # the engine reconciles before creating again (R13): one hit, adopted
    found = conn.lookup(EntryKind.BILL, [bill().marker])[bill().marker]
    assert len(found) == 1
    assert found[0].erp_id == f"{YEAR}-2" and found[0].marker == bill().marker
    # a blind retry with the same key is replayed by e-conomic, not created twice
    [again] = conn.create(EntryKind.BILL, [write(bill())])
    assert again.state.erp_id == found[0].erp_id
    assert len(roger_entries(eco, agreement)) == 1


def test_a_5xx_on_create_is_uncertain(conn, eco, agreement):
    eco.fault(method="POST", path="/journals/10/vouchers", kind="500")
    with pytest.raises(ConnectorError) as caught:
        conn.create(EntryKind.BILL, [write(bill())])
    assert caught.value.error.uncertain is True
    assert roger_entries(eco, agreement) == []


def test_a_revoked_grant_is_an_authentication_error(conn, eco, agreement):
    eco.action(agreement, "revoke_grant")
    with pytest.raises(ConnectorError) as caught:
        conn.read(EntryKind.BILL, [f"{YEAR}-2"])
    assert caught.value.error.category is ErrorCategory.AUTHENTICATION
    with pytest.raises(ConnectorError) as checked:  # Test connection marks the integration "needs reconnect"
        conn.check_connection()
    assert checked.value.error.category is ErrorCategory.AUTHENTICATION


# --- lost link and booking ------------------------------------------------------------------------------------


def test_a_lost_link_is_found_by_marker_among_drafts_and_booked_entries(conn, eco, agreement):
    draft = created(conn, bill(1), key="k-1").state.erp_id
    booked = created(conn, bill(2), key="k-2").state.erp_id
    eco.action(agreement, "book_entries", vouchers=[booked])

    found = conn.lookup(EntryKind.BILL, [bill(1).marker, bill(2).marker, bill(3).marker])
    assert [s.erp_id for s in found[bill(1).marker]] == [draft]
    assert [(s.erp_id, s.booked) for s in found[bill(2).marker]] == [(booked, True)]
    assert found[bill(3).marker] == []


def test_book_after_sync_books_only_roger_s_entries(conn, eco, agreement):
    mine = created(conn, bill(1), key="k-1").state.erp_id
    other = created(conn, bill(2), key="k-2").state.erp_id
    since = len(eco.requests())
    [result] = conn.book(EntryKind.BILL, [mine])

    assert result.outcome is Outcome.UPDATED
    assert result.state.booked
    remaining = eco.state(agreement)["journals"]["10"]["entries"]
    assert [e["text"] for e in remaining if "[roger-" not in e["text"]] == ["Rent typed by the bookkeeper"]
    assert [f"{YEAR}-{e['voucher']['voucherNumber']}" for e in remaining if "[roger-" in e["text"]] == [other]
    paths = [r["path"] for r in writes_since(eco, since)]
    assert paths == ["/economic/journalsapi/v15.0.0/journals/10/bookdraftentries"]
    assert conn.read(EntryKind.BILL, [mine])[mine].booked


def test_catalogues_and_connection(conn):
    assert conn.check_connection().organisation == "Nordlys ApS"
    assert "2200" in [a.code for a in conn.accounts()]
    assert [a.code for a in conn.bank_accounts()] == ["5820", "5830"]
    assert "I25" in [t.code for t in conn.tax_rates()]
    assert [t.code for t in conn.tracking_options()] == [
        "Department: 1",
        "Department: 2",
        "Department: 3",
        "Department: 10",
    ]
    assert "Existing Supplier ApS" in [c.name for c in conn.contacts()]
