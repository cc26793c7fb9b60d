"""A Xero payment's currency fields (issue #12, point 4) beyond the base-currency account already covered by the
issue-12 contract scenario: what ``payment_body`` sends when the bank account is in a foreign currency other than
the bill's, and when it is in the bill's own currency — in the body, over the wire to the sandbox, and on re-sync.

``CurrencyRate`` is "only used for non base currency invoices" and is a rate against the base currency;
``BankAmount`` is "the amount of the payment in the currency of the bank account" (Xero's OpenAPI ``Payment``).
"""

from __future__ import annotations

import dataclasses
import json
from decimal import Decimal

import pytest

from integrations.connectors.base import EntryKind, Outcome
from integrations.connectors.xero.bodies import payment_body
from tests.connectors.xero_helpers import bill, item, payment
from tests.connectors.xero_scenarios import XeroEnv

BASE, EUR_BANK = "DKK", "092"  # the sandbox organisation's base currency and its EUR bank account


def paid(currency: str, *, bank: str, bank_amount: str | None, amount: str = "1250.00", bill_id: str = ""):
    data = payment(bill_id or "6c1a0a62-1f0e-4b8e-9a55-0d2b7c9e1a01", bank=bank, amount=amount)
    return dataclasses.replace(
        data, currency=currency, bank_amount=Decimal(bank_amount) if bank_amount is not None else None
    )


# --- the body ---------------------------------------------------------------------------------------------------
def test_a_foreign_bill_from_another_foreign_account_sends_what_left_the_bank_without_a_rate():
    # A USD bill paid from the EUR account of a DKK organisation: no rate against the base currency follows from
    # the two amounts, so Roger sends only BankAmount (in EUR).
    body = payment_body(paid("USD", bank=EUR_BANK, bank_amount="1150.00"), base_currency=BASE, bank_currency="EUR")
    assert body["BankAmount"] == Decimal("1150.00")
    assert "CurrencyRate" not in body
    assert body["Amount"] == Decimal("1250.00")  # still in the bill's currency


def test_a_base_currency_bill_from_a_foreign_account_sends_what_left_the_bank_without_a_rate():
    # Xero lets a base-currency bill be reconciled against a foreign-currency account's statement line
    # (help.xero.com/au/Reconcile-FX-Payment-with-Base-Transaction); CurrencyRate applies to non-base invoices only.
    body = payment_body(paid("DKK", bank=EUR_BANK, bank_amount="167.50"), base_currency=BASE, bank_currency="EUR")
    assert body["BankAmount"] == Decimal("167.50") and "CurrencyRate" not in body


@pytest.mark.parametrize(
    ("currency", "bank", "bank_currency"),
    [("EUR", EUR_BANK, "EUR"), ("DKK", "090", "DKK")],
    ids=["foreign-from-same-foreign", "base-from-base"],
)
def test_a_payment_from_an_account_in_the_bills_currency_carries_no_conversion(currency, bank, bank_currency):
    # The accountant recorded a bank amount (here with a fee on top); with nothing to convert it is not sent.
    data = paid(currency, bank=bank, bank_amount="1255.00")
    body = payment_body(data, base_currency=BASE, bank_currency=bank_currency)
    assert "BankAmount" not in body and "CurrencyRate" not in body
    assert list(body) == ["Invoice", "Account", "Date", "Amount", "Reference"]


# --- against the sandbox ----------------------------------------------------------------------------------------
def _pay(env: XeroEnv, currency: str, *, bank_amount: str):
    xero = env.connector()
    [made] = xero.create(EntryKind.BILL, [item(bill(currency=currency))])
    assert made.outcome is Outcome.CREATED, made.error
    data = paid(currency, bank=EUR_BANK, bank_amount=bank_amount, bill_id=made.state.erp_id)
    mark = env.mark()
    [result] = xero.create(EntryKind.PAYMENT, [item(data)])
    assert result.outcome is Outcome.CREATED, result.error
    [sent] = [c for c in env.writes_since(mark) if c["path"].endswith("/Payments")]
    [body] = json.loads(sent["body"])["Payments"]
    [stored] = env.org_state()["Payments"]
    return data, result, body, stored


def _resync_changes_nothing(env: XeroEnv, data, erp_id: str) -> None:
    mark = env.mark()
    [again] = env.connector().update(EntryKind.PAYMENT, [item(data, erp_id=erp_id)])
    assert again.outcome is Outcome.UNCHANGED and env.writes_since(mark) == []


def test_a_usd_bill_paid_from_the_eur_account_reaches_xero_with_the_eur_amount_only(sandbox, xero_http):
    env = XeroEnv(sandbox, xero_http)
    data, result, body, stored = _pay(env, "USD", bank_amount="1150.00")
    assert body["BankAmount"] == 1150.0 and "CurrencyRate" not in body
    assert (stored["Amount"], stored["BankAmount"]) == (1250.0, 1150.0)
    [state] = env.connector().read(EntryKind.PAYMENT, [result.state.erp_id]).values()
    assert dict(state.fields) == data.comparable()  # what the engine's plan compares: nothing to change
    _resync_changes_nothing(env, data, result.state.erp_id)


def test_a_eur_bill_paid_from_the_eur_account_reaches_xero_without_conversion(sandbox, xero_http):
    env = XeroEnv(sandbox, xero_http)
    data, result, body, stored = _pay(env, "EUR", bank_amount="1255.00")  # a fee on top, recorded by the accountant
    assert "BankAmount" not in body and "CurrencyRate" not in body
    [invoice] = env.invoices()
    assert stored["CurrencyRate"] == invoice["CurrencyRate"]  # Xero keeps the bill's own rate
    # Xero reports BankAmount = Amount here: not a bank amount to compare with the one Roger never sent, so a
    # re-sync neither shows a change nor deletes and re-creates the payment (tests/engine/test_payment_currencies).
    [state] = env.connector().read(EntryKind.PAYMENT, [result.state.erp_id]).values()
    assert "bank_amount" not in state.fields
    _resync_changes_nothing(env, data, result.state.erp_id)
