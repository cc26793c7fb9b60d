"""OAuth against the Xero sandbox (issue #4): one refresh for many concurrent workers, a 401 mid-run, a refresh
whose answer or whose commit is lost, and a revoked grant → needs reconnect → the admin reconnects through the
real flow → the ERP holds the latest data.

The sandbox's request log is the ground truth for "how many refreshes"; workers are real threads, each with
its own database connection, so the row lock that serializes refreshes is the real PostgreSQL one.
"""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
import requests
from django.db import connection, connections
from django.urls import reverse
from django.utils import timezone

from documents import services as documents
from documents.models import Document
from integrations.models import ErpEntry, Integration, SyncAttempt, SyncJob
from integrations.selectors import attention_count
from integrations.sync import auth, engine
from integrations.sync.engine import jobs_state
from integrations.sync.requests import request_bulk_resync
from roger.models import Membership
from tests.engine.helpers import needs_pg, run, wait_for, xero_bills

TOKEN_PATH = "/identity/connect/token"
CLIENT = ("roger-test", "roger-test-secret")  # the Xero app of the engine conftest's xero_settings


# --- what the sandbox saw ----------------------------------------------------------------------------------------
def refreshes(sandbox, since: int = 0) -> list[dict]:
    """Calls of Xero's token endpoint with a refresh token (the log masks the token itself)."""
    return [
        r
        for r in sandbox.requests(erp="xero", since=since)
        if r["path"].endswith(TOKEN_PATH) and "grant_type=refresh_token" in r["body"]
    ]


def api_calls(sandbox, since: int = 0) -> list[dict]:
    return [r for r in sandbox.requests(erp="xero", since=since) if "/api.xro/" in r["path"]]


def log_index(sandbox) -> int:
    return len(sandbox.requests())


def sandbox_refresh(sandbox, refresh_token: str) -> requests.Response:
    """What Xero says to this refresh token now (the app's own client credentials)."""
    return requests.post(
        f"{sandbox.url}/xero{TOKEN_PATH}",
        data={"grant_type": "refresh_token", "refresh_token": refresh_token},
        auth=CLIENT,
        timeout=10,
    )


# --- the workers ----------------------------------------------------------------------------------------------------
def drain_concurrently(integration, workers: int) -> list[BaseException]:
    """``workers`` threads drain at the same moment, each on its own database connection; returns their errors."""
    start = threading.Barrier(workers)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            start.wait(timeout=10)
            engine.drain(integration.pk)
        except BaseException as exc:  # reported by the test
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a worker hung"
    return errors


# --- fixtures ------------------------------------------------------------------------------------------------------
@pytest.fixture
def small_batches(xero_settings):
    """Several batches, so that several workers each claim some jobs and need a token at the same time."""
    xero_settings.ROGER_SYNC = {**xero_settings.ROGER_SYNC, "BATCH_SIZE": 4}
    return xero_settings


@pytest.fixture
def accountant_membership(accountant, company) -> Membership:
    return Membership.objects.select_related("company", "user").get(user=accountant, company=company)


@pytest.fixture
def warm(sandbox, tenant, integration, make_document, accountant_membership):
    """The vendor's contact already exists in Xero (one earlier sync): concurrent workers then race only on
    tokens, never on creating the same contact."""
    first = make_document(invoice_number="WARM-1")
    request_bulk_resync(membership=accountant_membership, document_ids=[first.pk])
    run(integration)
    assert len(xero_bills(sandbox, tenant)) == 1
    return first


def expire_stored_token(integration: Integration) -> str:
    """Roger's copy says the access token has expired (as after a quiet half hour); returns the refresh token."""
    integration.refresh_from_db()
    integration.settings = {
        **integration.settings,
        "token_expires_at": (timezone.now() - dt.timedelta(minutes=1)).isoformat(),
    }
    integration.save(update_fields=["settings"])
    return integration.get_credentials()["refresh_token"]


def assert_each_synced_once(sandbox, tenant, documents: list, *, payments: bool = False) -> None:
    """One bill in Xero per document (found by Roger's marker, the bill's Url), linked, logged as one success."""
    urls = [bill["Url"] for bill in xero_bills(sandbox, tenant)]
    for document in documents:
        assert sum(url.endswith(f"/d/{document.public_id}/") for url in urls) == 1
        entry = ErpEntry.objects.get(document=document, kind="bill")
        assert entry.state == "synced" and entry.erp_id and not entry.needs_attention
        if payments:
            assert ErpEntry.objects.get(document=document, kind="payment").state == "synced"
    assert not SyncAttempt.objects.filter(document__in=documents).exclude(outcome="success").exists()
    assert not SyncJob.objects.filter(document__in=documents, state__in=SyncJob.OPEN_STATES).exists()


# --- a. expired token, many workers: one refresh ----------------------------------------------------------------
@needs_pg
@pytest.mark.django_db(transaction=True)
def test_an_expired_token_is_refreshed_once_for_four_concurrent_workers(
    sandbox, tenant, integration, make_document, small_batches, warm, accountant_membership
):
    docs = [make_document(invoice_number=f"EXP-{n}") for n in range(24)]
    original_refresh = expire_stored_token(integration)
    # The first refresher holds the lock a while, so the other workers really do wait on it.
    sandbox.fault(method="POST", path="connect/token$", kind="latency", latency_ms=500, count=1)
    since = log_index(sandbox)
    request_bulk_resync(membership=accountant_membership, document_ids=[d.pk for d in docs])

    assert drain_concurrently(integration, workers=4) == []
    run(integration)  # anything a worker left due (nothing is expected)

    [refresh] = refreshes(sandbox, since)
    assert refresh["status"] == 200
    assert all(r["status"] == 200 for r in api_calls(sandbox, since)), "no call may go out with the expired token"
    assert len(xero_bills(sandbox, tenant)) == 25
    assert_each_synced_once(sandbox, tenant, docs)
    integration.refresh_from_db()
    stored = integration.get_credentials()
    assert stored["refresh_token"] != original_refresh
    assert dt.datetime.fromisoformat(integration.settings["token_expires_at"]) > timezone.now() + dt.timedelta(
        minutes=25
    )
    assert sandbox_refresh(sandbox, stored["refresh_token"]).status_code == 200  # the rotated token is Xero's
    assert integration.connection == "connected"


# --- b. a 401 in the middle of a run: one refresh, nothing fails ----------------------------------------------------
@needs_pg
@pytest.mark.django_db(transaction=True)
def test_an_access_token_refused_mid_run_is_refreshed_once_and_the_run_goes_on(
    sandbox, tenant, integration, make_document, small_batches, warm, accountant_membership
):
    paid = [
        make_document(invoice_number=f"MID-{n}", status="paid", paid_on=dt.date(2026, 10, 15), marked_paid=True)
        for n in range(12)
    ]
    # One bill create is slow; while it is in flight Xero stops accepting the access token (expired there,
    # although Roger's copy says it has 29 minutes left).  That worker's next call — the payments of its
    # batch — and any other worker's next call get a 401.
    sandbox.fault(method="PUT", path="/Invoices$", kind="latency", latency_ms=1500, count=1)
    since = log_index(sandbox)
    request_bulk_resync(membership=accountant_membership, document_ids=[d.pk for d in paid])

    def slow_create_in_flight() -> bool:
        return any(
            r["method"] == "PUT" and r["path"].endswith("/Invoices") and r["status"] is None
            for r in api_calls(sandbox, since)
        )

    outcome: dict[str, list] = {}
    workers = threading.Thread(target=lambda: outcome.setdefault("errors", drain_concurrently(integration, 4)))
    workers.start()
    try:
        assert wait_for(slow_create_in_flight, every=0.05), "the slow bill create never went out"
        assert sandbox.xero_action(tenant["tenant_id"], "expire_access_token")["result"]["expired_tokens"] >= 1
    finally:
        workers.join(timeout=60)
    assert outcome["errors"] == []
    run(integration)

    refused = [r for r in api_calls(sandbox, since) if r["status"] == 401]
    assert refused and all("TokenExpired" in r["response_body"] for r in refused)
    [refresh] = refreshes(sandbox, since)
    assert refresh["status"] == 200
    assert_each_synced_once(sandbox, tenant, paid, payments=True)
    tenant_state = sandbox.state()["tenants"][tenant["tenant_id"]]
    assert len(tenant_state["Payments"]) == 12
    integration.refresh_from_db()
    assert integration.connection == "connected"


# --- the rotated refresh token is never lost ----------------------------------------------------------------------
FAIL_FIRST_TOKEN_COMMIT = """
CREATE SEQUENCE roger_test_token_commits;
CREATE FUNCTION roger_test_fail_first_token_commit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF nextval('roger_test_token_commits') = 1 THEN
        RAISE EXCEPTION 'injected: the database refused the commit';
    END IF;
    RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER roger_test_fail_first_token_commit
    AFTER UPDATE ON integrations_integration DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    WHEN (OLD.credentials_encrypted IS DISTINCT FROM NEW.credentials_encrypted)
    EXECUTE FUNCTION roger_test_fail_first_token_commit();
"""
DROP_FAIL_FIRST_TOKEN_COMMIT = """
DROP TRIGGER IF EXISTS roger_test_fail_first_token_commit ON integrations_integration;
DROP FUNCTION IF EXISTS roger_test_fail_first_token_commit();
DROP SEQUENCE IF EXISTS roger_test_token_commits;
"""


@pytest.fixture
def first_token_commit_fails(db):
    """The first COMMIT that changes an integration's credentials fails (a deferred trigger fires at commit),
    as when the database goes away between Xero's answer and Roger's commit."""
    with connection.cursor() as cursor:
        cursor.execute(DROP_FAIL_FIRST_TOKEN_COMMIT)
        cursor.execute(FAIL_FIRST_TOKEN_COMMIT)
    yield
    with connection.cursor() as cursor:
        cursor.execute(DROP_FAIL_FIRST_TOKEN_COMMIT)


@needs_pg
@pytest.mark.django_db(transaction=True)
def test_a_refresh_whose_commit_fails_is_repeated_with_the_stored_refresh_token(
    sandbox, tenant, integration, make_document, accountant_membership, first_token_commit_fails
):
    document = make_document(invoice_number="COMMIT-1")
    original_refresh = expire_stored_token(integration)
    request_bulk_resync(membership=accountant_membership, document_ids=[document.pk])

    run(integration)

    first, second = refreshes(sandbox)  # Xero rotated twice: the first answer was never stored, nor used
    assert first["status"] == second["status"] == 200
    [failed_try, success] = SyncAttempt.objects.filter(document=document).order_by("id")
    assert failed_try.outcome == "retrying" and failed_try.error_category == "temporary"
    assert "could not save" in failed_try.erp_message
    assert success.outcome == "success" and success.action == "create"
    assert len(xero_bills(sandbox, tenant)) == 1
    integration.refresh_from_db()
    stored = integration.get_credentials()["refresh_token"]
    assert integration.connection == "connected" and stored != original_refresh
    assert sandbox_refresh(sandbox, stored).status_code == 200


@pytest.mark.django_db
def test_a_lost_refresh_answer_is_retried_with_the_same_refresh_token(
    sandbox, tenant, integration, make_document, accountant_membership
):
    document = make_document(invoice_number="LOST-1")
    original_refresh = expire_stored_token(integration)
    # Xero rotates the token, then the answer never arrives (Roger's read timeout is 2 s in these tests).
    sandbox.fault(method="POST", path="connect/token$", kind="timeout_after_commit", hold_seconds=4, count=1)
    request_bulk_resync(membership=accountant_membership, document_ids=[document.pk])

    run(integration)

    lost, retried = refreshes(sandbox)
    assert lost["fault"] and retried["status"] == 200  # the old token, inside Xero's 30-minute grace period
    assert len(xero_bills(sandbox, tenant)) == 1
    assert list(SyncAttempt.objects.filter(document=document).order_by("id").values_list("outcome", flat=True)) == [
        "retrying",
        "success",
    ]
    integration.refresh_from_db()
    assert integration.connection == "connected"
    assert integration.get_credentials()["refresh_token"] != original_refresh


# --- c. revoked grant → needs reconnect → reconnect through the real flow → latest data ---------------------------
def reconnect_through_the_browser_flow(client, sandbox, integration) -> str:
    """The admin presses Reconnect, consents on Xero's page (the sandbox's, over HTTP), and comes back with the
    code; returns the page Roger sends them to at the end."""
    response = client.post(reverse("integrations:xero_connect"), {"integration": integration.pk})
    assert response.status_code == 302 and response["Location"].startswith(f"{sandbox.url}/xero/login/")
    consent = requests.get(response["Location"], allow_redirects=False, timeout=10)
    assert consent.status_code in (302, 303)
    back = urlsplit(consent.headers["Location"])
    assert back.path == reverse("integrations:xero_callback")
    response = client.get(f"{back.path}?{back.query}")
    assert response.status_code == 302
    return response["Location"]


@pytest.mark.django_db
def test_a_revoked_grant_pauses_until_the_admin_reconnects_and_then_the_latest_data_is_synced(
    sandbox, tenant, integration, make_document, company, admin_client_, accountant_membership
):
    a = make_document(invoice_number="REV-A")
    b = make_document(invoice_number="REV-B")
    request_bulk_resync(membership=accountant_membership, document_ids=[a.pk, b.pk])
    run(integration)
    assert len(xero_bills(sandbox, tenant)) == 2

    # The organisation's adviser disconnects Roger in Xero; then an accountant edits a bill in Roger.
    sandbox.xero_action(tenant["tenant_id"], "revoke_grant")
    documents.document_update(document=a, actor=None, total=Decimal("1500.00"), vat=Decimal("300.00"))
    run(integration)

    integration.refresh_from_db()
    assert integration.connection == "needs_reconnect"
    assert "disconnected in Xero" in integration.connection_message
    assert "reconnect" in integration.connection_message.lower()
    assert SyncJob.objects.get(document=a, state__in=SyncJob.OPEN_STATES).state == "paused"
    assert attention_count(company) == 0, "a refused grant is the integration's problem, not the document's"
    assert not ErpEntry.objects.filter(needs_attention=True).exists()

    # While disconnected: more edits and a new approval queue up, one paused job per document.
    a = documents.document_update(document=a, actor=None, total=Decimal("1750.00"), vat=Decimal("350.00"))
    documents.document_update(document=b, actor=None, description="Toner, corrected")
    c = make_document(invoice_number="REV-C", status="awaiting_approval")
    documents.document_approve(document=c, actor=None)
    since = log_index(sandbox)
    run(integration)
    assert sandbox.requests(since=since) == [], "nothing is sent while the integration needs reconnecting"
    open_jobs = SyncJob.objects.filter(integration=integration, state__in=SyncJob.OPEN_STATES)
    assert sorted(open_jobs.values_list("document_id", "state")) == sorted(
        [(a.pk, "paused"), (b.pk, "paused"), (c.pk, "paused")]
    )
    assert open_jobs.get(document=a).wanted_version == a.version
    assert not SyncJob.objects.filter(integration=integration, state="failed").exists()
    assert attention_count(company) == 0

    # What people see: the settings card offers Reconnect; the document says its sync is paused.
    page = admin_client_.get(reverse("integrations:settings")).content.decode()
    assert 'data-connection="needs_reconnect"' in page and "Needs reconnect" in page
    assert "disconnected in Xero" in page
    assert f'name="integration" value="{integration.pk}"' in page and ">Reconnect</button>" in page
    tab = admin_client_.get(reverse("integrations:document_tab", args=[a.pk])).content.decode()
    assert "needs to be reconnected" in tab and "Sync paused until Xero is reconnected" in tab
    listing = admin_client_.get(reverse("documents:list")).content.decode()
    assert (
        'data-state="queued"' in listing
        and "Paused" in listing
        and "waiting for the integration to be reconnected" in listing
    )

    # The admin reconnects.  Xero now offers a second organisation too: the integration keeps its own.
    sandbox.new_xero_tenant("Another Org ApS")
    landing = reconnect_through_the_browser_flow(admin_client_, sandbox, integration)
    assert landing.startswith(reverse("integrations:settings"))
    integration.refresh_from_db()
    assert integration.connection == "connected"
    assert integration.settings["tenant_id"] == tenant["tenant_id"]
    assert not SyncJob.objects.filter(integration=integration, state="paused").exists()

    run(integration)

    by_number = {bill["InvoiceNumber"]: bill for bill in xero_bills(sandbox, tenant)}
    assert sorted(by_number) == ["REV-A", "REV-B", "REV-C"]
    assert len(xero_bills(sandbox, tenant)) == 3, "one bill per document"
    assert Decimal(str(by_number["REV-A"]["Total"])) == Decimal("1750.00"), "the latest amount, not the first edit"
    assert by_number["REV-B"]["LineItems"][0]["Description"].startswith("Toner, corrected")
    assert not SyncJob.objects.filter(integration=integration, state__in=SyncJob.OPEN_STATES).exists()
    integration.refresh_from_db()
    assert integration.connection == "connected"
    for document in (a, b, c):
        entry = ErpEntry.objects.get(document=document, kind="bill")
        assert entry.state == "synced" and entry.synced_version == Document.objects.get(pk=document.pk).version


@pytest.mark.django_db
def test_a_refusal_seen_before_the_admin_reconnected_neither_undoes_the_reconnect_nor_strands_the_job(
    sandbox, tenant, integration, make_document, admin_client_, accountant_membership
):
    """The interleaving a slow worker can produce: it claims a job, Xero refuses its (old) grant, the admin
    reconnects, and only then does the worker record the refusal and finalize its job as paused."""
    document = make_document(invoice_number="RACE-1")
    request_bulk_resync(membership=accountant_membership, document_ids=[document.pk])
    token, jobs = engine.claim(integration.pk, limit=10)
    credentials_seen_by_the_worker = Integration.objects.get(pk=integration.pk).credentials_encrypted
    sandbox.xero_action(tenant["tenant_id"], "revoke_grant")

    reconnect_through_the_browser_flow(admin_client_, sandbox, integration)
    marked = auth.mark_needs_reconnect(
        integration.pk, "Xero refused access: AuthenticationUnsuccessful", credentials=credentials_seen_by_the_worker
    )
    jobs_state.finalize(token, jobs, {jobs[0].pk: "paused"}, {})

    integration.refresh_from_db()
    assert not marked and integration.connection == "connected"
    assert SyncJob.objects.get(document=document, state__in=SyncJob.OPEN_STATES).state == "pending"
    run(integration)
    assert [bill["InvoiceNumber"] for bill in xero_bills(sandbox, tenant)] == ["RACE-1"]
