"""Real processes and threads: a qcluster worker end to end, kill -9 mid-call, concurrent re-syncs (each against
Xero and e-conomic), the CLI, and the query counts of claim and finalize."""

from __future__ import annotations

import signal
import threading
import time

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from documents import services
from integrations.models import ErpEntry, SyncAttempt, SyncJob
from integrations.sync import engine
from integrations.sync.engine import jobs_state
from integrations.sync.requests import request_bulk_resync, request_resync
from tests.engine.helpers import membership as _membership
from tests.engine.helpers import (
    needs_pg,
    run,
    start_qcluster,
    stop_qcluster,
    wait_for,
    worker_env,
    xero_bills,
)


def _worker_env(sandbox, erp=None, **extra) -> dict[str, str]:
    env = worker_env(sandbox, ROGER_RATE_LIMITS_OFF="True", **extra)
    env.update(erp.worker_env() if erp is not None else {})
    return env


@needs_pg
@pytest.mark.django_db(transaction=True)
def test_approval_reaches_the_erp_through_a_real_qcluster_worker(sandbox, erp, make_document):
    worker = start_qcluster(_worker_env(sandbox, erp))
    try:
        document = make_document(status="awaiting_approval", invoice_number="QC-1")
        started = time.monotonic()
        services.document_approve(document=document, actor=None)
        assert wait_for(lambda: ErpEntry.objects.filter(document=document, kind="bill", state="synced").exists())
        assert time.monotonic() - started < 10
        assert [b.invoice_number for b in erp.bills()] == ["QC-1"]
    finally:
        stop_qcluster(worker)


@needs_pg
@pytest.mark.django_db(transaction=True)
def test_kill_9_of_the_worker_mid_call_then_the_sweeper_leaves_exactly_one_bill(sandbox, erp, make_document):
    integration = erp.integration
    erp.fault_on_bill_create("latency", latency_ms=3000, count=1)
    worker = start_qcluster(_worker_env(sandbox, erp))
    try:
        document = make_document()
        request_resync(membership=_membership(document), document=document, integration=integration, kind="bill")
        assert wait_for(erp.bill_create_sent, 20), "the worker never sent the create"
        stop_qcluster(worker, signal.SIGKILL)  # mid-call: the sandbox still commits the bill after its latency
    finally:
        stop_qcluster(worker, signal.SIGKILL)
    assert wait_for(lambda: len(erp.bills()) == 1, 20), "the ERP never committed the create"
    job = SyncJob.objects.get(document=document, state__in=SyncJob.OPEN_STATES)
    assert job.state == "running"
    # The worker is dead: its lease runs out with nobody to renew it.  Rather than sleep through the minutes of a
    # real lease, move its expiry to now — the only thing a clock would change.
    SyncJob.objects.filter(pk=job.pk).update(lease_expires_at=timezone.now())
    assert engine.sweep() == [integration.pk]
    run(integration)
    [bill] = erp.bills()
    entry = ErpEntry.objects.get(document=document, kind="bill")
    assert entry.erp_id == bill.erp_id and entry.state == "synced"
    outcomes = list(SyncAttempt.objects.filter(document=document).order_by("id").values_list("outcome", "action"))
    assert outcomes == [("unknown", "none"), ("success", "adopt")]


@needs_pg
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_resyncs_of_one_document_create_one_bill(erp, make_document):
    integration = erp.integration
    document = make_document()
    membership = _membership(document)
    errors: list[BaseException] = []

    def resync_and_drain():
        try:
            request_resync(membership=membership, document=document, integration=integration, kind="bill")
            engine.drain(integration.pk)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=resync_and_drain) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    run(integration)
    assert len(erp.bills()) == 1
    assert SyncJob.objects.filter(document=document, state__in=SyncJob.OPEN_STATES).count() == 0


@pytest.mark.django_db
def test_claim_and_finalize_queries_do_not_grow_with_the_batch(sandbox, tenant, integration, make_document):
    def measure(n: int) -> tuple[int, int]:
        docs = [make_document() for _ in range(n)]
        request_bulk_resync(membership=_membership(docs[0]), document_ids=[d.pk for d in docs])
        with CaptureQueriesContext(connection) as claim_q:
            token, jobs = engine.claim(integration.pk, limit=100)
        with CaptureQueriesContext(connection) as finalize_q:
            jobs_state.finalize(token, jobs, {j.pk: "done" for j in jobs}, {})
        return len(claim_q), len(finalize_q)

    assert measure(3) == measure(40)


@pytest.mark.django_db
def test_queuing_a_bulk_resync_costs_the_same_queries_for_10_and_300_documents(integration, make_document):
    def measure(n: int) -> int:
        docs = [make_document() for _ in range(n)]
        membership = _membership(docs[0])
        with CaptureQueriesContext(connection) as queries:
            request_bulk_resync(membership=membership, document_ids=[d.pk for d in docs])
        return len(queries)

    assert measure(10) == measure(300)


@pytest.mark.django_db
def test_bulk_requests_refuse_bad_ids_and_queue_nothing(integration, make_document, other_company, viewer):
    from django.core.exceptions import PermissionDenied, ValidationError

    from roger.models import Membership
    from tests.factories import DocumentFactory

    mine = make_document()
    membership = _membership(mine)
    foreign = DocumentFactory(company=other_company)
    for ids, message in (
        ([mine.pk, foreign.pk], "do not exist in your company"),
        (["7", "abc"], "Not document ids"),
        ([999999], "do not exist"),
        ([], "Select at least one"),
    ):
        with pytest.raises(ValidationError, match=message):
            request_bulk_resync(membership=membership, document_ids=ids)
    with pytest.raises(PermissionDenied):
        request_bulk_resync(membership=Membership.objects.get(user=viewer), document_ids=[mine.pk])
    assert not SyncJob.objects.exists()


@needs_pg
@pytest.mark.django_db(transaction=True)
def test_the_resync_command_queues_waits_and_summarises(
    sandbox, tenant, integration, make_document, admin_user, capsys, company
):
    docs = [make_document() for _ in range(3)]
    call_command("resync", "--company", company.slug, "--dry-run", "--all")
    out = capsys.readouterr().out
    assert out.count(" create ") == 3 and "Plan: 3 create" in out
    assert xero_bills(sandbox, tenant) == []

    def worker_loop():
        time.sleep(0.5)
        engine.drain(integration.pk)
        connections.close_all()

    worker = threading.Thread(target=worker_loop)
    worker.start()
    call_command(
        "resync", "--company", company.slug, "--ids", ",".join(str(d.pk) for d in docs), "--wait", "--timeout", "30"
    )
    worker.join()
    out = capsys.readouterr().out
    assert "3/3" in out and any(line.split() == ["created", "3"] for line in out.splitlines())
    assert len(xero_bills(sandbox, tenant)) == 3
    with pytest.raises(CommandError, match="Not document ids"):
        call_command("resync", "--company", company.slug, "--ids", "1,x")
    with pytest.raises(CommandError, match="No company"):
        call_command("resync", "--company", "nope", "--all")
