"""The engine end to end against each ERP's sandbox (``erp`` runs every test for Xero and for e-conomic):
R1–R15 in the behaviour an accountant would notice."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from documents import services
from integrations.connectors.economic import marker_token
from integrations.models import ErpEntry, SyncAttempt, SyncJob
from integrations.sync import engine, mapper
from integrations.sync.engine import jobs_state
from integrations.sync.requests import bulk_progress, request_bulk_resync, request_resync
from tests.engine.helpers import membership, run
from tests.factories import CategoryFactory

pytestmark = pytest.mark.django_db


def resync_bill(erp, document) -> None:
    request_resync(membership=membership(document), document=document, integration=erp.integration, kind="bill")


def once(integration) -> None:
    """One pass of one worker (``drain`` would loop straight into the retry, its backoff being milliseconds)."""
    token, jobs = engine.claim(integration.pk, limit=10)
    engine.run_batch(integration.pk, token, jobs)


def carries_the_marker(erp, bill, document) -> bool:
    """Roger's marker on the ERP's bill: Xero's ``Url`` (the link back to Roger), e-conomic's text token."""
    if erp.kind == "xero":
        [invoice] = [i for i in erp._tenant_state()["Invoices"] if i["InvoiceID"] == bill.erp_id]
        return invoice["Url"].endswith(f"/d/{document.public_id}/")
    [entry] = [e for _, e in erp._entries("supplierInvoice") if erp._erp_id(e) == bill.erp_id]
    return f"[{marker_token(mapper.bill_marker(document))}]" in entry["text"]


def test_it_creates_the_bill_when_a_document_is_approved(erp, make_document):
    document = make_document(status="awaiting_approval", invoice_number="INV-7")
    services.document_approve(document=document, actor=None)
    assert SyncJob.objects.filter(document=document, state="pending").count() == 1
    run(erp.integration)
    [bill] = erp.bills()
    assert bill.invoice_number == "INV-7" and bill.status == erp.created_status
    assert bill.total == Decimal("1250.00") and carries_the_marker(erp, bill, document)
    entry = ErpEntry.objects.get(document=document, kind="bill")
    assert entry.erp_id == bill.erp_id and entry.state == "synced" and not entry.needs_attention
    [attempt] = SyncAttempt.objects.filter(document=document)
    assert (attempt.action, attempt.outcome, attempt.trigger, attempt.event) == (
        "create",
        "success",
        "event",
        "approved",
    )
    assert attempt.erp_id == bill.erp_id and attempt.request_data
    sent = str(attempt.request_data)
    assert "access_token" not in sent and all(secret not in sent for secret in erp.integration.get_credentials().values())


def test_it_updates_the_bill_when_a_synced_field_changes(erp, make_document):
    document = make_document()
    resync_bill(erp, document)
    run(erp.integration)
    services.document_update(document=document, actor=None, total=Decimal("2500.00"), vat=Decimal("500.00"))
    run(erp.integration)
    [bill] = erp.bills()
    assert bill.total == Decimal("2500.00")
    latest = SyncAttempt.objects.filter(document=document).first()
    assert latest.action == "update" and latest.outcome == "success"
    assert latest.changes["total"] == ["1250.00", "2500.00"]


def test_an_unchanged_document_resyncs_without_writing(erp, make_document):
    document = make_document()
    resync_bill(erp, document)
    run(erp.integration)
    before = len(erp.writes())
    resync_bill(erp, document)
    run(erp.integration)
    assert len(erp.writes()) == before
    assert SyncAttempt.objects.filter(document=document).first().action == "no_change"


def test_a_paid_document_gets_a_bill_and_a_payment(erp, make_document):
    document = make_document(invoice_number="PAY-1")
    services.payment_register(document=document, actor=None, amount=Decimal("1250.00"), paid_on=dt.date(2026, 10, 20))
    run(erp.integration)
    [bill] = erp.bills()
    [payment] = erp.payments()
    assert bill.status == erp.paid_status and payment.amount == Decimal("1250.00")
    kinds = set(ErpEntry.objects.filter(document=document, state="synced").values_list("kind", flat=True))
    assert kinds == {"bill", "payment"}
    # The bill's card says what the ERP says after the payment (Xero: PAID, so booked), not what it said before.
    entry = ErpEntry.objects.get(document=document, kind="bill")
    assert (entry.erp_status, entry.booked) == (erp.paid_status, erp.kind == "xero")


def test_paying_a_synced_bill_refreshes_the_bills_state_in_roger(erp, make_document):
    document = make_document(invoice_number="PAY-2")
    resync_bill(erp, document)
    run(erp.integration)
    assert ErpEntry.objects.get(document=document, kind="bill").erp_status == erp.created_status
    services.payment_register(document=document, actor=None, amount=Decimal("1250.00"), paid_on=dt.date(2026, 10, 20))
    SyncJob.objects.filter(document=document).delete()  # only the payment is re-synced: its bill is not in the run
    document.refresh_from_db()
    request_resync(membership=membership(document), document=document, integration=erp.integration, kind="payment")
    run(erp.integration)
    [bill] = erp.bills()
    entry = ErpEntry.objects.get(document=document, kind="bill")
    assert bill.status == erp.paid_status and entry.erp_status == erp.paid_status
    assert entry.booked == (erp.kind == "xero") and entry.state == "synced" and not entry.needs_attention
    if erp.kind == "xero":
        assert "paid" in entry.booked_reason.lower()


def test_a_booked_bill_is_never_updated_and_the_attempt_is_blocked(erp, make_document):
    document = make_document()
    resync_bill(erp, document)
    run(erp.integration)
    [bill] = erp.bills()
    erp.book(bill)
    before = len(erp.writes())
    services.document_update(document=document, actor=None, description="changed after booking in the ERP")
    run(erp.integration)
    assert len(erp.writes()) == before
    assert len(erp.bills()) == 1
    attempt = SyncAttempt.objects.filter(document=document, entry_kind="bill").first()
    assert attempt.outcome == "blocked" and attempt.error_category == "booked" and attempt.erp_message
    entry = ErpEntry.objects.get(document=document, kind="bill")
    assert entry.state == "blocked" and entry.needs_attention


def test_a_timeout_after_commit_leads_to_exactly_one_bill(erp, make_document):
    document = make_document()
    erp.fault_on_bill_create("timeout_after_commit", count=1)
    resync_bill(erp, document)
    once(erp.integration)
    first = SyncAttempt.objects.filter(document=document).first()
    assert first.outcome == "retrying" and first.error_category == "temporary"
    assert ErpEntry.objects.get(document=document, kind="bill").uncertain
    run(erp.integration)
    [bill] = erp.bills()
    entry = ErpEntry.objects.get(document=document, kind="bill")
    assert entry.erp_id == bill.erp_id and not entry.uncertain
    assert SyncAttempt.objects.filter(document=document).first().action == "adopt"


def test_a_5xx_storm_is_retried_and_creates_one_bill(erp, make_document):
    document = make_document()
    erp.fault_on_bill_create("503", count=3)
    resync_bill(erp, document)
    run(erp.integration)
    assert len(erp.bills()) == 1
    outcomes = list(SyncAttempt.objects.filter(document=document).order_by("id").values_list("outcome", flat=True))
    assert outcomes[-1] == "success" and outcomes.count("retrying") == 3


def test_a_lost_link_finds_and_adopts_the_existing_bill(erp, make_document):
    document = make_document()
    resync_bill(erp, document)
    run(erp.integration)
    ErpEntry.objects.filter(document=document).delete()
    resync_bill(erp, document)
    run(erp.integration)
    [bill] = erp.bills()
    assert ErpEntry.objects.get(document=document, kind="bill").erp_id == bill.erp_id


def test_a_missing_mapping_is_a_setup_error_before_any_http_call(erp, make_document, company):
    document = make_document(category=CategoryFactory(company=company, name="Unmapped", account_code="4010"))
    resync_bill(erp, document)
    run(erp.integration)
    assert erp.writes() == []
    attempt = SyncAttempt.objects.get(document=document)
    assert attempt.outcome == "failed" and attempt.error_category == "setup" and attempt.error_field == "category"
    assert "4010" in attempt.erp_message and "Mappings" in attempt.hint
    assert ErpEntry.objects.get(document=document).needs_attention


def test_twenty_quick_edits_coalesce_into_at_most_two_updates(erp, make_document):
    document = make_document()
    resync_bill(erp, document)
    run(erp.integration)
    before = len(erp.writes())
    for i in range(20):
        services.document_update(document=document, actor=None, description=f"edit {i}")
    assert SyncJob.objects.filter(document=document, state__in=SyncJob.OPEN_STATES).count() == 1
    run(erp.integration)
    assert len(erp.writes()) - before <= 2
    [bill] = erp.bills()
    assert bill.description == "edit 19"


def test_an_edit_during_a_run_leads_to_exactly_one_more_run(erp, make_document):
    document = make_document()
    resync_bill(erp, document)
    token, jobs = engine.claim(erp.integration.pk, limit=10)
    services.document_update(document=document, actor=None, description="while running")
    engine.run_batch(erp.integration.pk, token, jobs)
    job = SyncJob.objects.get(document=document, state__in=SyncJob.OPEN_STATES)
    assert job.state == "pending"
    run(erp.integration)
    assert erp.bills()[0].description == "while running"
    assert not SyncJob.objects.filter(document=document, state__in=SyncJob.OPEN_STATES).exists()


def test_a_duplicate_delivery_finds_nothing_to_do(integration, make_document):
    document = make_document()
    request_resync(membership=membership(document), document=document, integration=integration, kind="bill")
    assert engine.claim(integration.pk, limit=10) is not None
    assert engine.claim(integration.pk, limit=10) is None


def test_a_stale_worker_cannot_finalize_a_job_it_lost(integration, make_document):
    document = make_document()
    request_resync(membership=membership(document), document=document, integration=integration, kind="bill")
    token, jobs = engine.claim(integration.pk, limit=10)
    SyncJob.objects.filter(pk=jobs[0].pk).update(lease_token="someone-else")
    jobs_state.finalize(token, jobs, {jobs[0].pk: "done"}, {})
    assert SyncJob.objects.get(pk=jobs[0].pk).state == "running"


def test_bulk_resync_syncs_unpaid_and_paid_documents_and_counts_progress(erp, make_document, company):
    unpaid = [make_document() for _ in range(3)]
    paid = [make_document(status="paid", paid_on=dt.date(2026, 10, 15), marked_paid=True) for _ in range(3)]
    bad = make_document(category=CategoryFactory(company=company, name="Unmapped"))
    bulk = request_bulk_resync(membership=membership(bad), document_ids=[d.pk for d in [*unpaid, *paid, bad]])
    run(erp.integration)
    assert len(erp.bills()) == 6 and len(erp.payments()) == 3
    progress = bulk_progress(bulk)
    assert progress.total == 7 and progress.finished
    assert progress.outcomes == {"created": 6, "failed": 1}
    bulk.refresh_from_db()
    assert bulk.finished_at is not None


def test_a_revoked_grant_pauses_jobs_until_reconnect(erp, make_document):
    document = make_document()
    erp.revoke()
    resync_bill(erp, document)
    run(erp.integration)
    erp.integration.refresh_from_db()
    assert erp.integration.connection == "needs_reconnect"
    assert SyncJob.objects.get(document=document, state__in=SyncJob.OPEN_STATES).state == "paused"
    assert erp.bills() == []
