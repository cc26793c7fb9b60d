"""Issue #10 (R2a): a re-sync asked for while a sync runs is answered by one more run after it, and every bulk
re-sync ends with an outcome per item — whatever happens to its jobs.  Each test runs against both ERPs."""

from __future__ import annotations

import datetime as dt
import re
import threading

import pytest
from django.core.management import call_command
from django.utils import timezone

from documents import services
from integrations.models import BulkResync, BulkResyncItem, SyncAttempt, SyncJob
from integrations.sync import engine
from integrations.sync.requests import bulk_progress, request_bulk_resync, request_resync
from tests.engine.helpers import membership, needs_pg, run, start_qcluster, stop_qcluster, wait_for, worker_env

pytestmark = pytest.mark.django_db


def approved(make_document, n: int) -> list:
    docs = [make_document(status="awaiting_approval", invoice_number=f"RUN-{i}") for i in range(n)]
    return [services.document_approve(document=document, actor=None) for document in docs]


def test_a_bulk_asked_for_while_the_documents_sync_is_answered_by_one_more_run(erp, make_document):
    docs = approved(make_document, 3)
    token, jobs = engine.claim(erp.integration.pk, limit=10)  # the automatic sync has started
    accountant = membership(docs[0])
    bulk = request_bulk_resync(membership=accountant, document_ids=[d.pk for d in docs])
    engine.run_batch(erp.integration.pk, token, jobs)  # …and ends after the request came

    assert len(erp.bills()) == 3
    progress = bulk_progress(bulk)
    assert progress.done == 0 and not progress.finished, "a run that started before the request answered it"
    assert set(SyncJob.objects.filter(document__in=docs, state="pending").values_list("trigger", "bulk")) == {
        ("bulk", bulk.pk)
    }

    run(erp.integration)
    progress = bulk_progress(bulk)
    assert progress.finished and progress.outcomes == {"unchanged": 3}
    bulk.refresh_from_db()
    assert bulk.finished_at is not None
    for document in docs:
        [record] = SyncAttempt.objects.filter(document=document, bulk=bulk)
        assert (record.trigger, record.triggered_by_id, record.action) == ("bulk", accountant.user_id, "no_change")
        assert record.created_at >= bulk.created_at
    assert len(erp.bills()) == 3


def test_a_manual_resync_pressed_during_an_automatic_sync_gets_its_own_log_record(erp, make_document):
    [document] = approved(make_document, 1)
    token, jobs = engine.claim(erp.integration.pk, limit=10)
    accountant = membership(document)
    request_resync(membership=accountant, document=document, integration=erp.integration, kind="bill")
    engine.run_batch(erp.integration.pk, token, jobs)
    run(erp.integration)
    records = list(SyncAttempt.objects.filter(document=document).order_by("id").values_list("trigger", "action"))
    assert records == [("event", "create"), ("manual", "no_change")]
    manual = SyncAttempt.objects.get(document=document, trigger="manual")
    assert manual.triggered_by_id == accountant.user_id and manual.event == "resync_bill"


def test_ten_requests_during_one_run_give_one_more_run_not_ten(erp, make_document):
    [document] = approved(make_document, 1)
    token, jobs = engine.claim(erp.integration.pk, limit=10)
    accountant = membership(document)
    for _ in range(5):
        request_resync(membership=accountant, document=document, integration=erp.integration, kind="bill")
        request_bulk_resync(membership=accountant, document_ids=[document.pk])
    services.document_update(document=document, actor=None, description="Edited meanwhile")
    engine.run_batch(erp.integration.pk, token, jobs)
    run(erp.integration)
    triggers = list(SyncAttempt.objects.filter(document=document).order_by("id").values_list("trigger", flat=True))
    assert triggers == ["event", "bulk"]  # the last request labels the one more run; the edit rides along
    [bill] = erp.bills()
    assert bill.description == "Edited meanwhile"
    assert BulkResyncItem.objects.filter(document=document).exclude(state="done").count() == 0


def test_an_automatic_event_does_not_relabel_a_request_no_run_has_answered(erp, make_document):
    [document] = approved(make_document, 1)
    token, jobs = engine.claim(erp.integration.pk, limit=10)
    accountant = membership(document)
    request_resync(membership=accountant, document=document, integration=erp.integration, kind="bill")
    services.document_update(document=document, actor=None, description="After the request")
    engine.run_batch(erp.integration.pk, token, jobs)
    run(erp.integration)
    last = SyncAttempt.objects.filter(document=document).order_by("id").last()
    assert (last.trigger, last.triggered_by_id, last.event) == ("manual", accountant.user_id, "resync_bill")


def test_an_edit_while_a_request_runs_does_not_relabel_it_when_its_worker_dies(erp, make_document):
    """Found by the interleavings test (seed 65857): a bulk's run was going when the document was edited, then its
    worker was killed; the worker that took the job over logged and re-ran it as an automatic sync, so the bulk's
    request ended without a record of its own."""
    [document] = approved(make_document, 1)
    run(erp.integration)  # the approval's sync
    accountant = membership(document)
    bulk = request_bulk_resync(membership=accountant, document_ids=[document.pk])
    token, _ = engine.claim(erp.integration.pk, limit=10)  # the bulk's run starts…
    services.document_update(document=document, actor=None, description="Edited during the bulk's run")
    # …and its worker is killed (kill -9): nothing finalizes; its lease runs out.
    SyncJob.objects.filter(lease_token=token).update(lease_expires_at=timezone.now() - dt.timedelta(seconds=1))
    run(erp.integration)

    records = SyncAttempt.objects.filter(document=document, created_at__gte=bulk.created_at)
    assert records.exists()
    assert set(records.values_list("trigger", "bulk", "triggered_by")) == {("bulk", bulk.pk, accountant.user_id)}
    assert erp.bills()[0].description == "Edited during the bulk's run"
    assert bulk_progress(bulk).finished


def test_a_bulk_item_retried_with_backoff_waits_and_the_bulk_finishes_then_takes_its_final_outcome(erp, make_document):
    [document] = [make_document(invoice_number="RETRY-1")]
    bulk = request_bulk_resync(membership=membership(document), document_ids=[document.pk])
    erp.fault_on_bill_create("503", count=1)
    token, jobs = engine.claim(erp.integration.pk, limit=10)
    engine.run_batch(erp.integration.pk, token, jobs)

    progress = bulk_progress(bulk)
    assert progress.finished and progress.outcomes == {"waiting": 1} and progress.next_retry_at is not None
    item = BulkResyncItem.objects.get(bulk=bulk)
    assert item.state == "waiting" and item.retry_at == SyncJob.objects.get(pk=jobs[0].pk).next_attempt_at
    assert item.message  # why it waits, in the ERP's words

    run(erp.integration)
    item.refresh_from_db()
    assert (item.state, item.outcome) == ("done", "created")
    assert bulk_progress(bulk).outcomes == {"created": 1}


def test_a_bulk_waits_for_a_reconnect_and_finishes_with_the_items_saying_so(erp, make_document):
    docs = [make_document() for _ in range(2)]
    erp.revoke()
    bulk = request_bulk_resync(membership=membership(docs[0]), document_ids=[d.pk for d in docs])
    run(erp.integration)
    progress = bulk_progress(bulk)
    assert progress.finished and progress.outcomes == {"waiting": 2}
    assert set(BulkResyncItem.objects.filter(bulk=bulk).values_list("message", flat=True)) == {
        f"Waiting for {erp.integration.name} to be reconnected."
    }
    # Asked for again while the integration still needs reconnecting: waiting from the start, finished at once.
    again = request_bulk_resync(membership=membership(docs[0]), document_ids=[d.pk for d in docs])
    assert bulk_progress(again).finished and bulk_progress(again).waiting == 2


def test_an_integration_disabled_before_its_jobs_run_ends_the_items_as_failed_with_the_reason(erp, make_document):
    document = make_document()
    bulk = request_bulk_resync(membership=membership(document), document_ids=[document.pk])
    erp.integration.enabled = False
    erp.integration.save()
    run(erp.integration)
    item = BulkResyncItem.objects.get(bulk=bulk)
    assert (item.state, item.outcome) == ("done", "failed") and "was disabled" in item.message
    bulk.refresh_from_db()
    assert bulk.finished_at is not None and erp.bills() == []


def test_a_bulk_finishes_when_its_document_or_integration_is_deleted_meanwhile(erp, make_document):
    kept, deleted = make_document(), make_document()
    bulk = request_bulk_resync(membership=membership(kept), document_ids=[kept.pk, deleted.pk])
    deleted.delete()  # never synced, so it has no log to protect it
    run(erp.integration)
    progress = bulk_progress(bulk)
    assert progress.finished and progress.total == 1 and progress.outcomes == {"created": 1}

    other = request_bulk_resync(membership=membership(kept), document_ids=[kept.pk])
    SyncJob.objects.filter(document=kept).delete()  # as when its integration is deleted with its jobs
    assert not bulk_progress(other).finished
    engine.sweep()  # the sweeper answers what no job will answer any more
    item = BulkResyncItem.objects.get(bulk=other)
    assert (item.state, item.outcome) == ("done", "unchanged")
    other.refresh_from_db()
    assert other.finished_at is not None


# --- real processes --------------------------------------------------------------------------------------------
@needs_pg
@pytest.mark.django_db(transaction=True)
def test_bulk_and_cli_resync_asked_for_during_the_first_sync_finish_with_a_record_per_entry(
    sandbox, erp, make_document, admin_user
):
    """The reproduction of issue #10: while the first automatic sync runs (a slow ERP), the accountant re-syncs
    every document from the list and from the CLI; both finish, and each entry has a log record of the bulk."""
    erp.fault_on_bill_create("latency", latency_ms=1500, count=1)
    env = worker_env(sandbox, ROGER_RATE_LIMITS_OFF="True", **erp.worker_env())
    worker = start_qcluster(env)
    try:
        docs = approved(make_document, 4)
        assert wait_for(erp.bill_create_sent, 20), "the automatic sync never started"
        assert SyncJob.objects.filter(document__in=docs, state="running").exists()
        bulk = request_bulk_resync(membership=membership(docs[0]), document_ids=[d.pk for d in docs])
        out: list[str] = []
        cli = threading.Thread(
            target=lambda: out.append(_resync_cli(docs[0].company.slug, [d.pk for d in docs])), daemon=True
        )
        cli.start()
        assert wait_for(lambda: bulk_progress(bulk).finished, 30), bulk_progress(bulk)
        cli.join(40)
        assert out and "Timed out" not in out[0], out
    finally:
        stop_qcluster(worker)
    assert bulk_progress(bulk).outcomes == {"unchanged": 4}
    # Both requests came during the same run, so one more run answers both; its records name the later bulk.
    cli_bulk = int(re.search(r"Queued bulk re-sync #(\d+)", out[0]).group(1))
    assert BulkResync.objects.get(pk=cli_bulk).finished_at is not None
    for document in docs:
        records = SyncAttempt.objects.filter(document=document, trigger="bulk", created_at__gte=bulk.created_at)
        assert set(records.values_list("bulk", flat=True)) <= {bulk.pk, cli_bulk} and records.exists()
    assert len(erp.bills()) == 4


def _resync_cli(company_slug: str, ids: list[int]) -> str:
    """``manage.py resync --wait`` as the operator runs it (in a thread: the test waits beside it)."""
    from io import StringIO

    from django.db import connection

    stdout = StringIO()
    try:
        call_command(
            "resync",
            "--company",
            company_slug,
            "--ids",
            ",".join(map(str, ids)),
            "--wait",
            "--timeout",
            "30",
            stdout=stdout,
        )
    except Exception as exc:  # the command's own refusal or time-out, reported to the test
        return f"{stdout.getvalue()}\n{exc}"
    finally:
        connection.close()
    return stdout.getvalue()
