"""The engine end to end against the Xero sandbox: R1–R15 in the behaviour an accountant would notice."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from documents import services
from integrations.models import ErpEntry, SyncAttempt, SyncJob
from integrations.sync import engine
from integrations.sync.requests import request_bulk_resync, request_resync

pytestmark = pytest.mark.django_db


def bills(sandbox, tenant) -> list[dict]:
    return [i for i in sandbox.state()["tenants"][tenant["tenant_id"]]["Invoices"] if i["Type"] == "ACCPAY"]


def payments(sandbox, tenant) -> list[dict]:
    return sandbox.state()["tenants"][tenant["tenant_id"]]["Payments"]


def writes(sandbox) -> list[dict]:
    return [r for r in sandbox.requests(erp="xero") if r["method"] in ("PUT", "POST") and "/api.xro/" in r["path"]]


def run(integration) -> None:
    """What a worker does when woken; repeated while retries are due (the tests' clock does not wait)."""
    for _ in range(10):
        SyncJob.objects.filter(integration=integration, state="pending").update(next_attempt_at=timezone.now())
        if not engine.drain(integration.pk):
            return


def test_it_creates_the_bill_when_a_document_is_approved(sandbox, tenant, integration, make_document):
    document = make_document(status="awaiting_approval", invoice_number="INV-7")
    services.document_approve(document=document, actor=None)
    assert SyncJob.objects.filter(document=document, state="pending").count() == 1
    run(integration)
    [bill] = bills(sandbox, tenant)
    assert bill["InvoiceNumber"] == "INV-7" and bill["Status"] == "AUTHORISED"
    assert Decimal(str(bill["Total"])) == Decimal("1250.00") and bill["Url"].endswith(f"/d/{document.public_id}/")
    entry = ErpEntry.objects.get(document=document, kind="bill")
    assert entry.erp_id == bill["InvoiceID"] and entry.state == "synced" and not entry.needs_attention
    [attempt] = SyncAttempt.objects.filter(document=document)
    assert (attempt.action, attempt.outcome, attempt.trigger, attempt.event) == (
        "create",
        "success",
        "event",
        "approved",
    )
    assert (
        attempt.erp_id == bill["InvoiceID"] and attempt.request_data and "access_token" not in str(attempt.request_data)
    )


def test_it_updates_the_bill_when_a_synced_field_changes(sandbox, tenant, integration, make_document):
    document = make_document()
    request_resync(membership=_membership(document), document=document, integration=integration, kind="bill")
    run(integration)
    services.document_update(document=document, actor=None, total=Decimal("2500.00"), vat=Decimal("500.00"))
    run(integration)
    [bill] = bills(sandbox, tenant)
    assert Decimal(str(bill["Total"])) == Decimal("2500.00")
    latest = SyncAttempt.objects.filter(document=document).first()
    assert latest.action == "update" and latest.outcome == "success"
    assert latest.changes["total"] == ["1250.00", "2500.00"]


def test_an_unchanged_document_resyncs_without_writing(sandbox, tenant, integration, make_document):
    document = make_document()
    request_resync(membership=_membership(document), document=document, integration=integration, kind="bill")
    run(integration)
    before = len(writes(sandbox))
    request_resync(membership=_membership(document), document=document, integration=integration, kind="bill")
    run(integration)
    assert len(writes(sandbox)) == before
    assert SyncAttempt.objects.filter(document=document).first().action == "no_change"


def test_a_paid_document_gets_a_bill_and_a_payment(sandbox, tenant, integration, make_document):
    document = make_document(invoice_number="PAY-1")
    services.payment_register(document=document, actor=None, amount=Decimal("1250.00"), paid_on=dt.date(2026, 10, 20))
    run(integration)
    [bill] = bills(sandbox, tenant)
    [payment] = payments(sandbox, tenant)
    assert bill["Status"] == "PAID" and Decimal(str(payment["Amount"])) == Decimal("1250.00")
    kinds = set(ErpEntry.objects.filter(document=document, state="synced").values_list("kind", flat=True))
    assert kinds == {"bill", "payment"}


def test_a_booked_bill_is_never_updated_and_the_attempt_is_blocked(sandbox, tenant, integration, make_document):
    document = make_document()
    request_resync(membership=_membership(document), document=document, integration=integration, kind="bill")
    run(integration)
    [bill] = bills(sandbox, tenant)
    sandbox.xero_action(tenant["tenant_id"], "pay", invoice_id=bill["InvoiceID"], amount="100.00")
    before = len(writes(sandbox))
    services.document_update(document=document, actor=None, description="changed after payment in Xero")
    run(integration)
    assert len(writes(sandbox)) == before
    assert len(bills(sandbox, tenant)) == 1
    attempt = SyncAttempt.objects.filter(document=document, entry_kind="bill").first()
    assert attempt.outcome == "blocked" and attempt.error_category == "booked" and attempt.erp_message
    entry = ErpEntry.objects.get(document=document, kind="bill")
    assert entry.state == "blocked" and entry.needs_attention


def test_a_timeout_after_commit_leads_to_exactly_one_bill(sandbox, tenant, integration, make_document, settings):
    document = make_document()
    sandbox.fault(erp="xero", method="PUT", path="Invoices", kind="timeout_after_commit", count=1)
    request_resync(membership=_membership(document), document=document, integration=integration, kind="bill")
    engine.drain(integration.pk)
    first = SyncAttempt.objects.filter(document=document).first()
    assert first.outcome == "retrying" and first.error_category == "temporary"
    assert ErpEntry.objects.get(document=document, kind="bill").uncertain
    run(integration)
    assert len(bills(sandbox, tenant)) == 1
    entry = ErpEntry.objects.get(document=document, kind="bill")
    assert entry.erp_id == bills(sandbox, tenant)[0]["InvoiceID"] and not entry.uncertain
    assert SyncAttempt.objects.filter(document=document).first().action == "adopt"


def test_a_5xx_storm_is_retried_and_creates_one_bill(sandbox, tenant, integration, make_document):
    document = make_document()
    sandbox.fault(erp="xero", method="PUT", path="Invoices", kind="503", count=3)
    request_resync(membership=_membership(document), document=document, integration=integration, kind="bill")
    run(integration)
    assert len(bills(sandbox, tenant)) == 1
    outcomes = list(SyncAttempt.objects.filter(document=document).order_by("id").values_list("outcome", flat=True))
    assert outcomes[-1] == "success" and outcomes.count("retrying") == 3


def test_a_lost_link_finds_and_adopts_the_existing_bill(sandbox, tenant, integration, make_document):
    document = make_document()
    request_resync(membership=_membership(document), document=document, integration=integration, kind="bill")
    run(integration)
    ErpEntry.objects.filter(document=document).delete()
    request_resync(membership=_membership(document), document=document, integration=integration, kind="bill")
    run(integration)
    assert len(bills(sandbox, tenant)) == 1
    assert ErpEntry.objects.get(document=document, kind="bill").erp_id == bills(sandbox, tenant)[0]["InvoiceID"]


def test_a_missing_mapping_is_a_setup_error_before_any_http_call(sandbox, tenant, integration, make_document, company):
    from tests.factories import CategoryFactory

    document = make_document(category=CategoryFactory(company=company, name="Unmapped", account_code="4010"))
    request_resync(membership=_membership(document), document=document, integration=integration, kind="bill")
    run(integration)
    assert writes(sandbox) == []
    attempt = SyncAttempt.objects.get(document=document)
    assert attempt.outcome == "failed" and attempt.error_category == "setup" and attempt.error_field == "category"
    assert "4010" in attempt.erp_message and "Mappings" in attempt.hint
    assert ErpEntry.objects.get(document=document).needs_attention


def test_twenty_quick_edits_coalesce_into_at_most_two_updates(sandbox, tenant, integration, make_document):
    document = make_document()
    request_resync(membership=_membership(document), document=document, integration=integration, kind="bill")
    run(integration)
    before = len(writes(sandbox))
    for i in range(20):
        services.document_update(document=document, actor=None, description=f"edit {i}")
    assert SyncJob.objects.filter(document=document, state__in=SyncJob.OPEN_STATES).count() == 1
    run(integration)
    assert len(writes(sandbox)) - before <= 2
    [bill] = bills(sandbox, tenant)
    assert bill["LineItems"][0]["Description"] == "edit 19"


def test_an_edit_during_a_run_leads_to_exactly_one_more_run(sandbox, tenant, integration, make_document):
    document = make_document()
    request_resync(membership=_membership(document), document=document, integration=integration, kind="bill")
    token, jobs = engine.claim(integration.pk, limit=10)
    services.document_update(document=document, actor=None, description="while running")
    engine.run_batch(integration.pk, token, jobs)
    job = SyncJob.objects.get(document=document, state__in=SyncJob.OPEN_STATES)
    assert job.state == "pending"
    run(integration)
    assert bills(sandbox, tenant)[0]["LineItems"][0]["Description"] == "while running"
    assert not SyncJob.objects.filter(document=document, state__in=SyncJob.OPEN_STATES).exists()


def test_a_duplicate_delivery_finds_nothing_to_do(integration, make_document):
    document = make_document()
    request_resync(membership=_membership(document), document=document, integration=integration, kind="bill")
    assert engine.claim(integration.pk, limit=10) is not None
    assert engine.claim(integration.pk, limit=10) is None


def test_a_stale_worker_cannot_finalize_a_job_it_lost(integration, make_document):
    document = make_document()
    request_resync(membership=_membership(document), document=document, integration=integration, kind="bill")
    token, jobs = engine.claim(integration.pk, limit=10)
    SyncJob.objects.filter(pk=jobs[0].pk).update(lease_token="someone-else")
    engine._finalize(token, jobs, {jobs[0].pk: "done"}, {})
    assert SyncJob.objects.get(pk=jobs[0].pk).state == "running"


def test_bulk_resync_syncs_unpaid_and_paid_documents_and_counts_progress(
    sandbox, tenant, integration, make_document, company
):
    from tests.factories import CategoryFactory

    unpaid = [make_document() for _ in range(3)]
    paid = [make_document(status="paid", paid_on=dt.date(2026, 10, 15), marked_paid=True) for _ in range(3)]
    bad = make_document(category=CategoryFactory(company=company, name="Unmapped"))
    bulk = request_bulk_resync(membership=_membership(bad), document_ids=[d.pk for d in [*unpaid, *paid, bad]])
    run(integration)
    assert len(bills(sandbox, tenant)) == 6 and len(payments(sandbox, tenant)) == 3
    from integrations.sync.requests import bulk_progress

    progress = bulk_progress(bulk)
    assert progress.total == 7 and progress.finished
    assert progress.outcomes == {"created": 6, "failed": 1}
    bulk.refresh_from_db()
    assert bulk.finished_at is not None


def test_a_revoked_grant_pauses_jobs_until_reconnect(sandbox, tenant, integration, make_document):
    document = make_document()
    sandbox.xero_action(tenant["tenant_id"], "revoke_grant")
    request_resync(membership=_membership(document), document=document, integration=integration, kind="bill")
    run(integration)
    integration.refresh_from_db()
    assert integration.connection == "needs_reconnect"
    assert SyncJob.objects.get(document=document, state__in=SyncJob.OPEN_STATES).state == "paused"
    assert bills(sandbox, tenant) == []


def _membership(document):
    from roger.models import Membership
    from tests.factories import MembershipFactory

    return Membership.objects.select_related("company", "user").filter(
        company=document.company, role="accountant"
    ).first() or MembershipFactory(company=document.company, role="accountant")
