"""The e-conomic connector where e-conomic (or what Roger finds there) refuses Roger's write: a voucher under
Roger's link carrying another document's token, and a booking e-conomic answers with 400 or 404 — against the
sandbox over real HTTP (every exchange validated against e-conomic's descriptions under ``make contract``)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from integrations.connectors.base import EntryKind, ErrorCategory, Outcome
from integrations.connectors.economic import marker_token
from tests.connectors.economic_scenarios import (
    YEAR,
    bill,
    connector,
    journal_entries,
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
    assert result.state.erp_id == erp_id and result.state.marker == marker_token(bill(2).marker)
    assert writes_since(eco, since) == []  # no PUT, no delete, no new voucher
    entry = voucher_entry(eco, agreement, erp_id)
    assert (entry["text"], entry["amount"]) == (other, 990.0)
