"""Rate limits shared by every worker (DESIGN §11, issue #4), judged by the sandbox's request log.

The sandbox enforces Xero's published limits (60 calls a minute, 5 in flight, 5,000 a day per organisation)
on a clock that runs ``time_scale`` times faster; Roger's limiter runs on the same scale
(``ROGER_RATE_TIME_SCALE``).  The log records when each request arrived and when its answer left, so every
check here is on what the ERP saw, not on the test's own timing.
"""

from __future__ import annotations

import datetime as dt
import signal
import time
from decimal import Decimal

import pytest
from django.utils import timezone

from documents import services
from documents.models import Document
from integrations.models import ErpEntry, SyncAttempt, SyncJob
from integrations.sandbox.reqlog import busiest_window, most_in_flight
from integrations.sync import engine
from integrations.sync.requests import bulk_progress, request_bulk_resync
from tests.engine.conftest import make_integration
from tests.engine.helpers import needs_pg, start_qcluster, stop_qcluster, wait_for, worker_env, xero_bills
from tests.factories import (
    CategoryFactory,
    CompanyFactory,
    DepartmentFactory,
    MembershipFactory,
    VatCodeFactory,
    VendorFactory,
)

XERO_PUBLISHED = {"minute_limit": 60, "day_limit": 5000, "concurrent_limit": 5, "app_minute_limit": 10000}
ROGER_XERO_BUDGET = {"per_minute": 58, "concurrent": 4, "per_day": 4900}  # as roger/settings.py


# --- helpers ----------------------------------------------------------------------------------------------------
def api_calls(sandbox, tenant) -> list[dict]:
    """The tenant's Accounting API requests, in arrival order (token and connection calls are not limited)."""
    return [
        r
        for r in sandbox.requests(erp="xero")
        if "/api.xro/" in r["path"] and r["tenant"] == tenant["tenant_id"] and r["ended_at"] is not None
    ]


def make_documents(company, master, n: int, *, paid_every: int = 2, prefix: str = "RL") -> list[int]:
    """``n`` approved documents, every ``paid_every``-th one paid (bulk insert: scene setting, not behaviour)."""
    docs = [
        Document(
            company=company,
            vendor=master["vendor"],
            category=master["category"],
            department=master["department"],
            vat_code=master["vat_code"],
            invoice_number=f"{prefix}-{i}",
            issue_date=dt.date(2026, 10, 1),
            due_date=dt.date(2026, 10, 31),
            currency="DKK",
            total=Decimal("1250.00"),
            vat=Decimal("250.00"),
            description=f"Rate limit {i}",
            status="paid" if paid_every and i % paid_every else "approved",
            paid_on=dt.date(2026, 10, 20) if paid_every and i % paid_every else None,
            marked_paid=bool(paid_every and i % paid_every),
        )
        for i in range(n)
    ]
    Document.objects.bulk_create(docs)
    return list(
        Document.objects.filter(company=company, invoice_number__startswith=f"{prefix}-").values_list("pk", flat=True)
    )


def limited_worker_env(sandbox, *, scale: float, workers: int, batch: int) -> dict[str, str]:
    """A qcluster with Roger's real Xero budget, on the sandbox's clock."""
    return worker_env(
        sandbox,
        ROGER_RATE_LIMITS_OFF="False",
        ROGER_RATE_TIME_SCALE=str(scale),
        ROGER_SYNC_BATCH_SIZE=str(batch),
        Q_WORKERS=str(workers),
    )


def drain_until_settled(integration, seconds: float = 20.0) -> None:
    """A worker woken again and again (as the sweeper does) until no job is open; the clock really passes."""
    deadline = time.monotonic() + seconds
    while SyncJob.objects.filter(integration=integration, state__in=SyncJob.OPEN_STATES).exists():
        assert time.monotonic() < deadline, "jobs still open"
        engine.drain(integration.pk)
        time.sleep(0.1)


@pytest.fixture
def limited(xero_settings):
    """Roger's real Xero budget (the engine fixtures lift limits for speed)."""
    xero_settings.ROGER_RATE_LIMITS = {"xero": dict(ROGER_XERO_BUDGET)}
    xero_settings.ROGER_RATE_TIME_SCALE = 1.0
    return xero_settings


# --- a. many workers, one tenant: the ERP never sees more than its limits ------------------------------------------
@needs_pg
@pytest.mark.django_db(transaction=True)
def test_500_jobs_over_4_worker_processes_stay_within_xeros_limits(sandbox, tenant, integration, master, limited):
    scale, batch = 10.0, 5  # a Xero minute lasts 6 s; small batches make ~3 minutes' worth of calls
    sandbox.configure(time_scale=scale, xero=XERO_PUBLISHED)
    limited.ROGER_SYNC = {**limited.ROGER_SYNC, "BATCH_SIZE": batch}
    limited.Q_CLUSTER = {**limited.Q_CLUSTER, "workers": 4}  # a bulk fans out to every worker
    ids = make_documents(integration.company, master, 500)
    cluster = start_qcluster(limited_worker_env(sandbox, scale=scale, workers=4, batch=batch))
    try:
        bulk = request_bulk_resync(
            membership=MembershipFactory(company=integration.company, role="accountant"), document_ids=ids
        )
        assert wait_for(lambda: bulk_progress(bulk).finished, 90), bulk_progress(bulk)
    finally:
        stop_qcluster(cluster, signal.SIGKILL)

    calls = api_calls(sandbox, tenant)
    assert len(calls) > 3 * 60, "the run must span several Xero minutes for the check to mean anything"
    assert busiest_window(calls, 60 / scale) <= 60
    assert most_in_flight(calls) <= 5
    assert [c for c in calls if c["status"] == 429] == []
    made = xero_bills(sandbox, tenant)
    assert len(made) == 500 and len({b["Url"] for b in made}) == 500  # exactly one bill per document
    assert len(sandbox.state()["tenants"][tenant["tenant_id"]]["Payments"]) == 250
    assert ErpEntry.objects.filter(integration=integration, state="synced").count() == 750
    assert not ErpEntry.objects.filter(integration=integration, needs_attention=True).exists()


# --- b. a 429 is honoured by every call that follows ------------------------------------------------------------
@needs_pg
@pytest.mark.django_db(transaction=True)
def test_a_429_stops_all_calls_to_the_tenant_until_retry_after_then_the_job_succeeds(
    sandbox, tenant, integration, master, limited
):
    limited.ROGER_SYNC = {**limited.ROGER_SYNC, "BATCH_SIZE": 1}  # one document per batch: later ones must wait
    ids = make_documents(integration.company, master, 3, paid_every=0)
    request_bulk_resync(membership=MembershipFactory(company=integration.company, role="accountant"), document_ids=ids)
    sandbox.fault(kind="429", method="PUT", path="Invoices$", retry_after=2, count=1)

    drain_until_settled(integration)

    calls = api_calls(sandbox, tenant)
    [refused] = [c for c in calls if c["status"] == 429]
    after = [c for c in calls if c["started_at"] > refused["started_at"]]
    assert after, "nothing was sent after the 429"
    assert min(c["started_at"] for c in after) >= refused["ended_at"] + 2.0
    assert len(xero_bills(sandbox, tenant)) == 3
    assert ErpEntry.objects.filter(integration=integration, kind="bill", state="synced").count() == 3
    assert not ErpEntry.objects.filter(integration=integration, needs_attention=True).exists()
    assert not SyncAttempt.objects.filter(integration=integration, outcome="failed").exists()
    retried = SyncAttempt.objects.filter(integration=integration, outcome="retrying").get()
    assert "rate limit" in retried.erp_message and retried.error_category == "temporary"
    assert SyncAttempt.objects.filter(document_id=retried.document_id, outcome="success").count() == 1


# --- c. the day limit parks the tenant ------------------------------------------------------------------------------
@needs_pg
@pytest.mark.django_db(transaction=True)
def test_a_used_up_day_parks_the_jobs_without_failing_documents_and_they_sync_after_it(
    sandbox, tenant, integration, master, limited
):
    scale, per_day = 14400.0, 8  # a Xero day lasts 6 s; eight calls a day (the first bill takes five)
    day = 86400 / scale
    sandbox.configure(time_scale=scale, xero={**XERO_PUBLISHED, "day_limit": per_day})
    limited.ROGER_RATE_TIME_SCALE = scale
    limited.ROGER_RATE_LIMITS = {"xero": {**ROGER_XERO_BUDGET, "per_day": per_day}}
    limited.ROGER_RATE_MAX_WAIT = 1.0  # in production a day's wait is hours; 20 s of sleep is the same decision
    limited.ROGER_SYNC = {**limited.ROGER_SYNC, "BATCH_SIZE": 1}
    ids = make_documents(integration.company, master, 6, paid_every=0)
    request_bulk_resync(membership=MembershipFactory(company=integration.company, role="accountant"), document_ids=ids)

    engine.drain(integration.pk)  # spends the day, then parks what is left instead of sleeping through it

    calls = api_calls(sandbox, tenant)
    assert len(calls) == per_day and all(c["status"] == 200 for c in calls)
    parked = SyncJob.objects.filter(integration=integration, state="pending")
    assert parked.count() >= 1 and len(xero_bills(sandbox, tenant)) == 6 - parked.count() >= 1
    day_ends = dt.datetime.fromtimestamp(calls[0]["started_at"] + day, tz=dt.UTC)
    assert all(job.next_attempt_at >= day_ends and job.attempts == 0 for job in parked)
    waiting = SyncAttempt.objects.filter(document_id__in=[j.document_id for j in parked])
    assert {a.outcome for a in waiting} == {"retrying"}
    assert all("Roger waits" in a.erp_message and a.retry_at >= day_ends for a in waiting)
    assert not ErpEntry.objects.filter(integration=integration, needs_attention=True).exists()
    assert not ErpEntry.objects.filter(integration=integration, state__in=["failed", "uncertain"]).exists()

    while timezone.now() < day_ends:  # the woken worker finds nothing due until the day has passed
        assert engine.drain(integration.pk) == 0
        time.sleep(0.5)
    drain_until_settled(integration)
    assert len(xero_bills(sandbox, tenant)) == 6
    assert not SyncAttempt.objects.filter(integration=integration, outcome="failed").exists()
    assert [c for c in api_calls(sandbox, tenant) if c["status"] == 429] == []


@needs_pg
@pytest.mark.django_db(transaction=True)
def test_the_organisations_own_day_limit_is_read_from_xeros_headers_and_parks_before_a_429(
    sandbox, tenant, integration, master, limited
):
    """Roger's budget says 4,900 a day; this organisation (Xero's Starter tier: 1,000) has far fewer left.
    X-DayLimit-Remaining tells, and the jobs park instead of meeting Xero's 429."""
    sandbox.configure(xero={**XERO_PUBLISHED, "day_limit": 14})  # a Starter day, nearly spent
    limited.ROGER_RATE_MAX_WAIT = 1.0
    limited.ROGER_SYNC = {**limited.ROGER_SYNC, "BATCH_SIZE": 1}
    ids = make_documents(integration.company, master, 8, paid_every=0)
    request_bulk_resync(membership=MembershipFactory(company=integration.company, role="accountant"), document_ids=ids)

    engine.drain(integration.pk)

    calls = api_calls(sandbox, tenant)
    assert calls and all(c["status"] == 200 for c in calls), [c["status"] for c in calls]  # never a 429
    assert int(calls[-1]["response_headers"]["X-DayLimit-Remaining"]) <= ROGER_XERO_BUDGET["concurrent"]
    limit = integration.rate_limit
    limit.refresh_from_db()
    assert limit.blocked_reason.startswith("day") and limit.blocked_until > timezone.now()
    parked = SyncJob.objects.filter(integration=integration, state="pending")
    assert parked.count() >= 1 and all(job.attempts == 0 for job in parked)
    assert not SyncAttempt.objects.filter(integration=integration, outcome="failed").exists()
    assert not ErpEntry.objects.filter(integration=integration, needs_attention=True).exists()


# --- d. one tenant never stalls another -----------------------------------------------------------------------------
def _second_company(sandbox):
    company = CompanyFactory()
    master = {
        "vendor": VendorFactory(company=company, name="Fjord Supplies AS", number="V2001"),
        "category": CategoryFactory(company=company, name="General", account_code="429"),
        "vat_code": VatCodeFactory(company=company, code="I25"),
        "department": DepartmentFactory(company=company, name="Sales"),
    }
    tenant = sandbox.new_xero_tenant("Fjord AS (test)")
    return make_integration(company, tenant, master), tenant, master


@needs_pg
@pytest.mark.django_db(transaction=True)
def test_a_blocked_tenant_does_not_hold_up_another_tenants_sync(sandbox, tenant, integration, master, limited):
    """Tenant A got a 429 asking for a minute's pause: its jobs park; tenant B syncs at once meanwhile."""
    limited.ROGER_SYNC = {**limited.ROGER_SYNC, "BATCH_SIZE": 1}
    ids = make_documents(integration.company, master, 3, paid_every=0)
    membership = MembershipFactory(company=integration.company, role="accountant")
    sandbox.fault(kind="429", method="PUT", path="Invoices$", retry_after=60, count=1)
    request_bulk_resync(membership=membership, document_ids=ids)
    engine.drain(integration.pk)
    assert SyncJob.objects.filter(integration=integration, state="pending").count() == 3

    other, other_tenant, other_master = _second_company(sandbox)
    [doc_b] = make_documents(other.company, other_master, 1, paid_every=0, prefix="B")
    started = time.monotonic()
    engine.drain(integration.pk)  # A's worker comes round again: it must not sleep out A's minute
    request_bulk_resync(membership=MembershipFactory(company=other.company, role="accountant"), document_ids=[doc_b])
    engine.drain(other.pk)
    assert time.monotonic() - started < 5
    assert len(xero_bills(sandbox, other_tenant)) == 1
    assert xero_bills(sandbox, tenant) == []
    assert not ErpEntry.objects.filter(needs_attention=True).exists()


@needs_pg
@pytest.mark.django_db(transaction=True)
def test_a_tenant_busy_with_a_rate_limited_bulk_does_not_hold_up_another_tenant(
    sandbox, tenant, integration, master, limited
):
    """Real workers (2, the default): A's big re-sync runs at A's allowance; B's approval still syncs promptly."""
    scale, batch = 10.0, 5
    sandbox.configure(time_scale=scale, xero=XERO_PUBLISHED)
    limited.ROGER_SYNC = {**limited.ROGER_SYNC, "BATCH_SIZE": batch}
    limited.Q_CLUSTER = {**limited.Q_CLUSTER, "workers": 2}
    ids = make_documents(integration.company, master, 600)  # ~25 s of A's allowance: it outlasts the test
    other, other_tenant, other_master = _second_company(sandbox)
    [doc_b] = make_documents(other.company, other_master, 1, paid_every=0, prefix="B")
    Document.objects.filter(pk=doc_b).update(status="awaiting_approval")
    cluster = start_qcluster(limited_worker_env(sandbox, scale=scale, workers=2, batch=batch))
    try:
        request_bulk_resync(
            membership=MembershipFactory(company=integration.company, role="accountant"), document_ids=ids
        )
        assert wait_for(lambda: len(api_calls(sandbox, tenant)) >= 60, 30), "tenant A's bulk never got going"
        approved_at = time.time()
        services.document_approve(document=Document.objects.get(pk=doc_b), actor=None)
        assert wait_for(lambda: ErpEntry.objects.filter(document_id=doc_b, state="synced").exists(), 60)
        [b_bill] = [
            c for c in api_calls(sandbox, other_tenant) if c["method"] == "PUT" and c["path"].endswith("/Invoices")
        ]
        # A's bulk was still going when B synced: A calls Xero again after B's bill (its calls are paced, so the
        # next one may be a moment away — the cluster is not stopped before it comes).
        assert wait_for(lambda: any(c["started_at"] > b_bill["ended_at"] for c in api_calls(sandbox, tenant)), 10), (
            "A's bulk was over before B synced"
        )
    finally:
        stop_qcluster(cluster, signal.SIGKILL)
    waited = b_bill["ended_at"] - approved_at
    print(f"tenant B's bill reached the ERP {waited:.2f} s after approval")
    assert waited < 8.0, f"tenant B waited {waited:.1f} s behind tenant A's rate-limited bulk"
