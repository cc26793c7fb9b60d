"""A payment from a bank account in the bill's own currency, through the engine: the bank amount the accountant
recorded (a fee on top) converts nothing, so Roger sends none (``payment_body``) — and a later re-sync must not see
it as a change, which would delete and re-create the payment in Xero on every sync."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest

from documents import services
from integrations.models import ErpEntry, SyncAttempt
from integrations.sync.planning import plan_document
from integrations.sync.requests import request_resync
from tests.engine.helpers import membership, run

pytestmark = pytest.mark.django_db


def payment_writes(sandbox, tenant) -> list[dict]:
    return [
        r
        for r in sandbox.requests(erp="xero")
        if r["tenant"] == tenant["tenant_id"] and r["method"] in ("PUT", "POST") and "/Payments" in r["path"]
    ]


def test_a_eur_payment_from_the_eur_account_is_sent_once_and_a_re_sync_changes_nothing(
    sandbox, tenant, integration, make_document
):
    integration.mappings = {**integration.mappings, "bank_account": "092"}  # the organisation's EUR account
    integration.save(update_fields=["mappings"])
    document = make_document(invoice_number="EUR-1", currency="EUR")
    services.payment_register(
        document=document,
        actor=None,
        amount=Decimal("1250.00"),
        paid_on=dt.date(2026, 10, 20),
        bank_amount=Decimal("1255.00"),
    )
    run(integration)
    [created] = payment_writes(sandbox, tenant)
    [body] = json.loads(created["body"])["Payments"]
    assert "BankAmount" not in body and "CurrencyRate" not in body
    assert ErpEntry.objects.get(document=document, kind="payment").state == "synced"

    document.refresh_from_db()
    # What the Re-sync modal tells the accountant before they confirm (R7): nothing to change in Xero.
    [preview] = plan_document(document=document, integration=integration, kinds=["payment"])
    assert (preview.action, preview.changes) == ("no_change", {})
    request_resync(membership=membership(document), document=document, integration=integration, kind="payment")
    run(integration)
    assert payment_writes(sandbox, tenant) == [created]  # no delete, no second payment
    latest = SyncAttempt.objects.filter(document=document, entry_kind="payment").latest("created_at")
    assert (latest.action, latest.outcome) == ("no_change", "success")
