"""Issue #11: exactly once when the ERP answers late, and nothing written past a booked bill (both ERPs).

A request the client gave up on is not a request the ERP gave up on: the sandbox's ``latency`` fault processes
the request only after the delay, long after Roger's read timeout (2 s in tests) has fired.
"""

from __future__ import annotations

import datetime as dt
import signal
import threading
import time
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone
from django_q.models import Schedule

from documents import services
from integrations.models import ErpEntry, SyncAttempt, SyncJob
from integrations.sync import engine
from integrations.sync.requests import request_bulk_resync, request_resync
from tests.engine.helpers import membership, needs_pg, run, start_qcluster, stop_qcluster, wait_for, worker_env

pytestmark = pytest.mark.django_db

SETTLE = 5.0  # seconds the ERP may still process a write here (production: ROGER_WRITE_SETTLE_SECONDS, 600)


@pytest.fixture
def settle(settings):
    settings.ROGER_SYNC = {**settings.ROGER_SYNC, "WRITE_SETTLE_SECONDS": SETTLE}


def once(integration) -> None:
    """One pass of one worker over whatever is due."""
    claimed = engine.claim(integration.pk, limit=10)
    if claimed is not None:
        engine.run_batch(integration.pk, *claimed)


def due_now(document) -> None:
    """As if the job's next attempt had come: the test does not wait for backoffs (the settle wait is per entry)."""
    SyncJob.objects.filter(document=document, state="pending").update(next_attempt_at=timezone.now())


def test_a_create_the_erp_commits_after_roger_gave_up_is_never_sent_again_and_ends_with_the_latest_data(
    erp, make_document, settle, django_capture_on_commit_callbacks
):
    document = make_document(invoice_number="LATE-1")
    erp.fault_on_bill_create("latency", latency_ms=3500, count=1)  # commits 1.5 s after Roger's timeout
    request_resync(membership=membership(document), document=document, integration=erp.integration, kind="bill")
    once(erp.integration)  # times out after 2 s: outcome unknown

    entry = ErpEntry.objects.get(document=document, kind="bill")
    assert entry.state == "uncertain" and entry.write_sent_at is not None and not entry.needs_attention
    [timed_out] = SyncAttempt.objects.filter(document=document)
    assert timed_out.outcome == "retrying" and timed_out.retry_at >= entry.write_sent_at + dt.timedelta(seconds=SETTLE)
    document = services.document_update(document=document, actor=None, total=Decimal("999.00"), vat=Decimal("199.80"))

    due_now(document)
    with django_capture_on_commit_callbacks(execute=True):
        once(erp.integration)  # the ERP is still processing the first request: Roger must not create again
    waiting = SyncAttempt.objects.filter(document=document).order_by("id").last()
    assert waiting.action == "none" and waiting.outcome == "retrying"
    wake_ups = Schedule.objects.filter(name__startswith=f"roger-wake-{erp.integration.pk}-")
    assert wake_ups.filter(next_run__gte=waiting.retry_at).exists(), "nothing wakes the job when the wait ends"
    assert "Outcome unknown — waiting until" in waiting.erp_message
    assert waiting.retry_at == entry.write_sent_at + dt.timedelta(seconds=SETTLE)
    entry.refresh_from_db()
    assert entry.state == "uncertain" and not entry.needs_attention  # pending, not failed
    assert wait_for(lambda: len(erp.bills()) == 1, 10), "the ERP never committed the late create"

    wait_until(entry.write_sent_at + dt.timedelta(seconds=SETTLE))
    run(erp.integration)
    [bill] = erp.bills()
    assert bill.total == Decimal("999.00"), "the late bill was not brought in line with the latest data"
    assert erp.bill_creates() == 1
    entry.refresh_from_db()
    assert entry.erp_id == bill.erp_id and entry.state == "synced" and entry.write_sent_at is None
    actions = list(SyncAttempt.objects.filter(document=document).order_by("id").values_list("action", flat=True))
    assert actions[-1] == "adopt"


def wait_until(moment: dt.datetime) -> None:
    time.sleep(max(0.0, (moment - timezone.now()).total_seconds()) + 0.05)


def test_the_modal_says_the_entry_waits_while_a_write_may_still_be_processing(erp, make_document, settle):
    from integrations.sync.planning import plan_document

    document = make_document()
    erp.fault_on_bill_create("latency", latency_ms=2500, count=1)
    request_resync(membership=membership(document), document=document, integration=erp.integration, kind="bill")
    once(erp.integration)
    [plan] = plan_document(document=document, integration=erp.integration, kinds=["bill"])
    assert plan.action == "waiting" and "Outcome unknown" in plan.reason


# --- a payment follows its bill (R12) ---------------------------------------------------------------------------
@pytest.mark.parametrize("cause", ["booked", "period_closed"])
def test_a_payment_is_not_rewritten_when_its_bill_is_booked_with_other_data(erp, make_document, cause):
    paid_on = dt.date(2026, 10, 15)
    document = make_document(status="paid", paid_on=paid_on, marked_paid=True, total=Decimal("3444.11"))
    request_bulk_resync(membership=membership(document), document_ids=[document.pk])
    run(erp.integration)
    [bill] = erp.bills()
    [payment] = erp.payments()
    if cause == "booked":
        erp.book_paid_bill(bill)
    else:
        erp.close_period(paid_on)
    writes_before = len(erp.writes())

    services.document_update(document=document, actor=None, total=Decimal("2525.21"), vat=Decimal("0"))
    run(erp.integration)

    assert len(erp.writes()) == writes_before, "something was written past a booked bill"
    assert [p.amount for p in erp.payments()] == [payment.amount]
    records = {a.entry_kind: a for a in SyncAttempt.objects.filter(document=document).order_by("id")}
    assert (records["bill"].action, records["bill"].outcome) == ("blocked", "blocked")
    assert (records["payment"].action, records["payment"].outcome) == ("blocked", "blocked")
    assert records["payment"].erp_message and records["payment"].hint
    payment_entry = ErpEntry.objects.get(document=document, kind="payment")
    assert payment_entry.state == "blocked" and payment_entry.needs_attention


# --- real processes: a killed worker, a long batch --------------------------------------------------------------
@needs_pg
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_while_the_erp_still_processes_its_create_leaves_exactly_one_bill(sandbox, erp, make_document):
    erp.fault_on_bill_create("latency", latency_ms=3000, count=1)
    env = worker_env(sandbox, ROGER_RATE_LIMITS_OFF="True", ROGER_WRITE_SETTLE_SECONDS=str(SETTLE), **erp.worker_env())
    first = start_qcluster(env)
    try:
        document = make_document()
        request_resync(membership=membership(document), document=document, integration=erp.integration, kind="bill")
        assert wait_for(erp.bill_create_sent, 20), "the worker never sent the create"
        stop_qcluster(first, signal.SIGKILL)  # mid-call: the ERP goes on and commits the bill later
    finally:
        stop_qcluster(first, signal.SIGKILL)
    # The dead worker's lease runs out with nobody to renew it (moved to now rather than slept through).
    SyncJob.objects.filter(document=document, state="running").update(lease_expires_at=timezone.now())
    second = start_qcluster(env)
    try:
        engine.sweep()  # what the minute's sweeper does: the new worker takes the job over at once…
        assert wait_for(
            lambda: SyncAttempt.objects.filter(document=document, erp_message__contains="waiting until").exists(), 20
        )
        assert wait_for(lambda: len(erp.bills()) == 1, 10), "the ERP never committed the first create"
        assert erp.bill_creates() == 1  # …and sent nothing while the first request could still be processing
        entry = ErpEntry.objects.get(document=document, kind="bill")
        wait_until(entry.write_sent_at + dt.timedelta(seconds=SETTLE))
        engine.sweep()  # the wait is over (in production a one-off wake-up or the sweeper, within seconds)
        assert wait_for(lambda: ErpEntry.objects.filter(document=document, state="synced").exists(), 20)
    finally:
        stop_qcluster(second)
    [bill] = erp.bills()
    assert ErpEntry.objects.get(document=document, kind="bill").erp_id == bill.erp_id
    assert erp.bill_creates() == 1


@needs_pg
@pytest.mark.django_db(transaction=True)
def test_a_batch_longer_than_its_lease_keeps_it_and_no_second_worker_writes(sandbox, erp, make_document, settings):
    """Every ERP call is slow (1.2 s) and the lease short (3 s): the batch outlasts several leases, renewing as it
    goes, while a second worker keeps trying to claim its jobs."""
    settings.ROGER_SYNC = {**settings.ROGER_SYNC, "LEASE_SECONDS": 3}
    docs = [make_document(status="paid", paid_on=dt.date(2026, 10, 15), marked_paid=True) for _ in range(3)]
    request_bulk_resync(membership=membership(docs[0]), document_ids=[d.pk for d in docs])
    sandbox.fault(erp=erp.kind, kind="latency", latency_ms=1200, count=1000)
    token, jobs = engine.claim(erp.integration.pk, limit=10)
    taken: list[int] = []
    done = threading.Event()

    def second_worker() -> None:
        try:
            while not done.is_set():
                claimed = engine.claim(erp.integration.pk, limit=10)
                if claimed is not None:
                    taken.extend(job.pk for job in claimed[1])
                    engine.run_batch(erp.integration.pk, *claimed)
                time.sleep(0.1)
        finally:
            connection.close()

    rival = threading.Thread(target=second_worker, daemon=True)
    rival.start()
    started = time.monotonic()
    try:
        engine.run_batch(erp.integration.pk, token, jobs)
    finally:
        done.set()
        rival.join(30)
    assert time.monotonic() - started > 3 * 1.5, "the batch was not longer than its lease"
    assert taken == [], "a second worker took over jobs whose lease was still being renewed"
    assert len(erp.bills()) == 3 and len(erp.payments()) == 3
    assert not SyncAttempt.objects.filter(outcome="unknown").exists()  # nobody found an abandoned job


@pytest.mark.parametrize("erp", ["xero"], indirect=True)  # Xero keeps a key's answer, an error too, for 6 minutes
def test_a_resync_after_the_admin_fixed_a_mapping_is_a_new_request_not_the_old_refusal_again(erp, make_document, master):
    integration = erp.integration
    integration.mappings["accounts"][str(master["category"].pk)] = "999"  # no such account in Xero
    integration.save()
    document = make_document(invoice_number="MAP-1")
    request_resync(membership=membership(document), document=document, integration=integration, kind="bill")
    run(integration)
    refused = SyncAttempt.objects.get(document=document)
    assert (refused.outcome, refused.error_category) == ("failed", "setup") and erp.bills() == []

    integration.mappings["accounts"][str(master["category"].pk)] = "429"  # the admin fixes the mapping
    integration.save()
    request_resync(membership=membership(document), document=document, integration=integration, kind="bill")
    run(integration)  # the same document version, a minute later: a new request with the new account
    assert len(erp.bills()) == 1
    last = SyncAttempt.objects.filter(document=document).latest("id")
    assert (last.action, last.outcome) == ("create", "success"), last.erp_message
