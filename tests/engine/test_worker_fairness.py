"""One tenant never stalls another (DESIGN §11) when workers are few: a worker is not handed to an integration that
another worker already drains while a different integration's due work has no worker.

Seen in the demo (2 workers): e-conomic's first sync finished its first batch, handed over because Xero had due
jobs, and the freed worker took a second drain of Xero — whose batches sleep out Xero's minute — so both workers sat
in Xero and e-conomic's remaining documents waited about 50 s.  Here tenant A's ERP (Xero) answers every bill
batch slowly, and the sandbox's request log shows whether tenant B (e-conomic) was served meanwhile."""

from __future__ import annotations

import signal

import pytest

from integrations.models import ErpEntry, SyncJob
from integrations.sync.requests import request_bulk_resync
from tests.engine.conftest import EconomicErp, make_economic_integration
from tests.engine.helpers import needs_pg, start_qcluster, stop_qcluster, wait_for, worker_env
from tests.engine.test_rate_limits import make_documents
from tests.factories import (
    CategoryFactory,
    CompanyFactory,
    DepartmentFactory,
    MembershipFactory,
    VatCodeFactory,
    VendorFactory,
)

SLOW_BATCH_MS = 10_000  # every PUT /Invoices of tenant A's Xero


def _economic_company(sandbox, agreement) -> tuple[EconomicErp, dict]:
    company = CompanyFactory()
    master = {
        "vendor": VendorFactory(company=company, name="Fjord Supplies AS", number="V2001"),
        "category": CategoryFactory(company=company, name="General", account_code="2200"),
        "vat_code": VatCodeFactory(company=company, code="I25"),
        "department": DepartmentFactory(company=company, name="Sales"),
    }
    return EconomicErp(sandbox, agreement, make_economic_integration(company, agreement, master)), master


@needs_pg
@pytest.mark.django_db(transaction=True)
def test_a_second_worker_serves_the_waiting_tenant_not_the_one_a_worker_already_drains(
    sandbox, tenant, integration, master, agreement
):
    sandbox.fault(erp="xero", method="PUT", path=r"/Invoices$", kind="latency", latency_ms=SLOW_BATCH_MS, count=100)
    a_ids = make_documents(integration.company, master, 40, paid_every=0, prefix="A")
    eco, b_master = _economic_company(sandbox, agreement)
    b_ids = make_documents(eco.integration.company, b_master, 30, paid_every=0, prefix="B")
    env = worker_env(
        sandbox,
        Q_WORKERS="2",
        ROGER_SYNC_BATCH_SIZE="10",
        ROGER_SYNC_TURN_SECONDS="0",  # every batch ends a turn: the hand-over rule decides after each
        ROGER_RATE_LIMITS_OFF="True",
        **eco.worker_env(),
    )
    a_member = MembershipFactory(company=integration.company, role="accountant")

    def a_bill_batches(ended: bool) -> list[dict]:
        return [
            r
            for r in sandbox.requests(erp="xero")
            if r["method"] == "PUT" and r["path"].endswith("/Invoices") and (r["ended_at"] is not None) == ended
        ]

    cluster = start_qcluster(env)
    try:
        request_bulk_resync(membership=a_member, document_ids=a_ids)
        assert wait_for(lambda: a_bill_batches(ended=False), 20), "tenant A's first batch never reached Xero"
        # While one worker waits for Xero, tenant B asks for its re-sync, and tenant A for another one (a second
        # drain of A is queued: the situation in which the free worker used to join A instead of serving B).
        request_bulk_resync(
            membership=MembershipFactory(company=eco.integration.company, role="accountant"), document_ids=b_ids
        )
        request_bulk_resync(membership=a_member, document_ids=a_ids[-10:])

        def b_done() -> bool:
            synced = ErpEntry.objects.filter(integration=eco.integration, state="synced").count() == len(b_ids)
            open_jobs = SyncJob.objects.filter(integration=eco.integration, state__in=SyncJob.OPEN_STATES)
            return synced and not open_jobs.exists()

        assert wait_for(b_done, 60), "tenant B's re-sync never finished"
        first_a_batch_answered = min((r["ended_at"] for r in a_bill_batches(ended=True)), default=float("inf"))
        b_writes = [r for r in eco.writes() if r["path"].endswith("/vouchers")]
        assert len(b_writes) == len(b_ids)  # one voucher per document
        last_b_write = max(r["ended_at"] for r in b_writes)
    finally:
        stop_qcluster(cluster, signal.SIGKILL)
    # The second worker served B while the first one waited for A's first batch: B was done before Xero answered it.
    assert last_b_write < first_a_batch_answered, (
        f"tenant B's last voucher was written {last_b_write - first_a_batch_answered:.1f} s after tenant A's first "
        "batch was answered: the free worker joined A instead of serving B"
    )
