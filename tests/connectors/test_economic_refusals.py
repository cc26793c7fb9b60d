"""The e-conomic connector where e-conomic (or what Roger finds there) refuses Roger's write: a voucher under
Roger's link carrying another document's token, and a booking e-conomic answers with 400 or 404 — against the
sandbox over real HTTP (every exchange validated against e-conomic's descriptions under ``make contract``)."""

from __future__ import annotations

import threading
import time
from decimal import Decimal
from typing import Any

import pytest

from integrations.connectors.base import EntryKind, ErrorCategory, Outcome
from integrations.connectors.economic import marker_token
from tests.connectors.economic_scenarios import (
    DAY,
    YEAR,
    bill,
    connector,
    journal_entries,
    roger_entries,
    write,
    writes_since,
)
from tests.sandbox.economic_helpers import EconomicSandbox

BOOK_PATH = "/economic/journalsapi/v15.0.0/journals/10/bookdraftentries"


@pytest.fixture
def eco(sandbox) -> EconomicSandbox:
    return EconomicSandbox(sandbox)


@pytest.fixture
def agreement(eco) -> dict[str, Any]:
    return eco.agreement("Nordlys ApS")


@pytest.fixture
def conn(eco, agreement, economic_http):
    return connector(eco, agreement, economic_http)


def created(conn, data, key: str) -> str:
    [result] = conn.create(EntryKind.BILL, [write(data, key=key)])
    assert result.outcome is Outcome.CREATED, result.error
    return result.state.erp_id


def voucher_entry(eco, agreement, erp_id: str) -> dict[str, Any]:
    [entry] = [e for e in journal_entries(eco, agreement) if f"{YEAR}-{e['voucher']['voucherNumber']}" == erp_id]
    return entry


def booked_vouchers(eco, agreement) -> set[int]:
    lines = eco.state(agreement)["bookedEntries"].get(str(YEAR), [])
    return {line["voucherNumber"] for line in lines}


# --- a voucher under Roger's link that carries another document's token ---------------------------------------


def test_a_voucher_carrying_another_document_s_token_is_not_overwritten(conn, eco, agreement):
    erp_id = created(conn, bill(1), key="k-1")
    # In e-conomic the draft now says it belongs to document 2 (its text copied over from document 2's voucher).
    other = f"Office chairs [{marker_token(bill(2).marker)}]"
    eco.action(agreement, "edit_entry", vouchers=[erp_id], changes={"text": other, "amount": "990.00"})
    since = len(eco.requests())

    changed = bill(1, total=Decimal("1500.00"), vat=Decimal("300.00"))
    [result] = conn.update(EntryKind.BILL, [write(changed, key="k-1b", erp_id=erp_id)])

    assert result.outcome is Outcome.FAILED
    assert (result.error.category, result.error.code) == (ErrorCategory.VALIDATION, "not_roger_s")
    assert result.error.message == (
        f"Voucher {erp_id} in e-conomic no longer carries this document's marker; Roger does not overwrite an entry "
        "it cannot prove is its own"
    )
    assert result.error.hint.startswith("If the voucher is this document's, put its marker back in the text")
    assert "deleting it would remove that document's entry" in result.error.hint
    assert result.state.erp_id == erp_id and result.state.marker == marker_token(bill(2).marker)
    assert writes_since(eco, since) == []  # no PUT, no delete, no new voucher
    entry = voucher_entry(eco, agreement, erp_id)
    assert (entry["text"], entry["amount"]) == (other, 990.0)


# --- booking refused by e-conomic -----------------------------------------------------------------------------


def book_while(conn, eco, kind: EntryKind, erp_ids: list[str], meanwhile) -> list:
    """``conn.book`` with ``meanwhile()`` run once e-conomic has received the booking request but not yet processed
    it (the sandbox holds it 1 s, within the connector's 2 s read timeout): a change an accountant makes between
    Roger's read and Roger's booking."""
    eco.fault(method="POST", path="/bookdraftentries$", kind="latency", latency_ms=1000)
    since = len(eco.requests())
    out: list = []

    def booking() -> None:
        try:
            out.append(conn.book(kind, erp_ids))
        except Exception as exc:  # shown by the assertion below
            out.append(exc)

    worker = threading.Thread(target=booking)
    worker.start()
    deadline = time.monotonic() + 10
    while not any(r["path"] == BOOK_PATH for r in eco.requests()[since:]):
        assert time.monotonic() < deadline, "the booking request never reached the sandbox"
        time.sleep(0.02)
    meanwhile()
    worker.join(15)
    assert out and isinstance(out[0], list), out
    return out[0]


@pytest.mark.parametrize(
    ("close", "code"),
    [
        ({"date": DAY.isoformat()}, "JournalEntryDateAccountingYearPeriodBarred"),
        ({"whole_year": True, "year": str(YEAR)}, "JournalEntryDateAccountingYearClosed"),
    ],
)
def test_a_booking_into_a_period_closed_meanwhile_is_blocked_and_books_nothing(conn, eco, agreement, close, code):
    mine = created(conn, bill(1), key="k-1")
    other = created(conn, bill(2), key="k-2")
    results = book_while(conn, eco, EntryKind.BILL, [mine], lambda: eco.action(agreement, "close_period", **close))

    [result] = results
    assert result.outcome is Outcome.BLOCKED
    assert (result.error.category, result.error.code, result.error.status) == (ErrorCategory.BOOKED, code, 400)
    assert result.error.message.startswith("The accounting ")  # e-conomic's own sentence
    assert result.error.hint.startswith("The accounting period is closed in e-conomic. Reopen it there")
    assert result.sent == {"entryNumbers": [voucher_entry(eco, agreement, mine)["journalEntryNumber"]]}
    assert booked_vouchers(eco, agreement) == set()
    assert sorted(f"{YEAR}-{e['voucher']['voucherNumber']}" for e in roger_entries(eco, agreement)) == [mine, other]
    assert [e["text"] for e in journal_entries(eco, agreement) if "[roger-" not in e["text"]] == [
        "Rent typed by the bookkeeper"
    ]


def test_a_draft_the_accountant_booked_meanwhile_is_reported_booked_not_missing(conn, eco, agreement):
    """e-conomic answers 400 JournalEntryDoesNotExist: the draft left the journal — booked by the accountant."""
    mine = created(conn, bill(1), key="k-1")
    results = book_while(
        conn, eco, EntryKind.BILL, [mine], lambda: eco.action(agreement, "book_entries", vouchers=[mine])
    )
    [result] = results
    assert result.outcome is Outcome.UNCHANGED, result.error
    assert result.state.booked and result.state.status == "booked" and result.error is None


def test_a_draft_deleted_meanwhile_is_reported_gone_and_nothing_else_is_booked(conn, eco, agreement):
    mine = created(conn, bill(1), key="k-1")
    other = created(conn, bill(2), key="k-2")
    results = book_while(
        conn, eco, EntryKind.BILL, [mine], lambda: eco.action(agreement, "delete_entry", vouchers=[mine])
    )
    [result] = results
    assert result.outcome is Outcome.FAILED
    assert (result.error.category, result.error.code) == (ErrorCategory.VALIDATION, "not_found")
    assert result.state is not None and result.state.exists is False
    assert booked_vouchers(eco, agreement) == set()
    assert [f"{YEAR}-{e['voucher']['voucherNumber']}" for e in roger_entries(eco, agreement)] == [other]


def test_one_refused_entry_does_not_blame_the_others_of_the_same_booking(conn, eco, agreement):
    """e-conomic refuses the whole request for one entry in a closed period; the other entry of the same booking is
    not in that period: it is not booked either, but it is retried — never reported as blocked."""
    closed = created(conn, bill(1), key="k-1")
    open_ = created(conn, bill(2, issue_date=DAY.replace(month=5), due_date=DAY.replace(month=6)), key="k-2")
    results = book_while(
        conn, eco, EntryKind.BILL, [closed, open_], lambda: eco.action(agreement, "close_period", date=DAY.isoformat())
    )
    assert [r.outcome for r in results] == [Outcome.BLOCKED, Outcome.FAILED]
    assert results[0].error.code == "JournalEntryDateAccountingYearPeriodBarred"
    assert results[1].error.category is ErrorCategory.TEMPORARY and not results[1].error.uncertain
    assert results[1].error.message == f"e-conomic did not book voucher {open_}"
    assert booked_vouchers(eco, agreement) == set()
