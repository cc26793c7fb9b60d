"""Xero's own count of the minute (``X-MinLimit-Remaining``, sent with every answer,
developer.xero.com/documentation/guides/oauth2/limits/) reaches the shared limiter: once it says 0, no worker
calls the tenant before Xero's minute can have renewed — the next call waits, or the job parks — instead of meeting
a 429.  Roger's own budget (58 a minute) is far above this organisation's here, so only the header can stop it."""

from __future__ import annotations

import pytest
from django.utils import timezone

from integrations.models import SyncAttempt, SyncJob
from integrations.sync import engine
from integrations.sync.requests import request_bulk_resync
from tests.engine.helpers import needs_pg, xero_bills
from tests.engine.test_rate_limits import ROGER_XERO_BUDGET, XERO_PUBLISHED, api_calls, make_documents
from tests.factories import MembershipFactory

pytestmark = [needs_pg, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def limited(xero_settings):
    xero_settings.ROGER_RATE_LIMITS = {"xero": dict(ROGER_XERO_BUDGET)}
    xero_settings.ROGER_SYNC = {**xero_settings.ROGER_SYNC, "BATCH_SIZE": 1}
    return xero_settings


def resync(integration, master, n: int) -> None:
    ids = make_documents(integration.company, master, n, paid_every=0)
    request_bulk_resync(membership=MembershipFactory(company=integration.company, role="accountant"), document_ids=ids)


def test_a_used_up_minute_makes_the_next_call_wait_for_the_next_minute(sandbox, tenant, integration, master, limited):
    scale = 30.0  # a Xero minute lasts 2 s
    sandbox.configure(time_scale=scale, xero={**XERO_PUBLISHED, "minute_limit": 4})
    limited.ROGER_RATE_TIME_SCALE = scale
    resync(integration, master, 3)

    engine.drain(integration.pk)  # waits out each used-up minute (well under ROGER_RATE_MAX_WAIT)

    calls = api_calls(sandbox, tenant)
    assert [c for c in calls if c["status"] == 429] == []
    used_up = [c for c in calls if c["response_headers"].get("X-MinLimit-Remaining") == "0"]
    assert used_up, "the run must use up a Xero minute for the check to mean anything"
    for answer in used_up:
        later = [c for c in calls if c["started_at"] > answer["started_at"]]
        if later:
            assert min(c["started_at"] for c in later) >= answer["ended_at"] + 0.9 * 60 / scale
    assert len(xero_bills(sandbox, tenant)) == 3
    assert not SyncJob.objects.filter(integration=integration, state__in=SyncJob.OPEN_STATES).exists()


def test_a_used_up_minute_parks_the_jobs_when_the_wait_is_too_long_to_sleep(
    sandbox, tenant, integration, master, limited
):
    sandbox.configure(xero={**XERO_PUBLISHED, "minute_limit": 4})  # a real minute
    limited.ROGER_RATE_MAX_WAIT = 0.5
    resync(integration, master, 3)

    engine.drain(integration.pk)

    calls = api_calls(sandbox, tenant)
    assert calls[-1]["response_headers"]["X-MinLimit-Remaining"] == "0" and len(calls) == 4
    assert all(c["status"] == 200 for c in calls)  # stopped at Xero's 0, never a 429
    limit = integration.rate_limit
    limit.refresh_from_db()
    assert limit.blocked_reason == "minute (0 left)" and limit.blocked_until > timezone.now()
    parked = SyncJob.objects.filter(integration=integration, state="pending")
    assert parked.exists() and all(job.attempts == 0 for job in parked)  # parked, not counted as failures
    waiting = SyncAttempt.objects.filter(document_id__in=[j.document_id for j in parked])
    assert waiting and {a.outcome for a in waiting} == {"retrying"}
    assert not SyncAttempt.objects.filter(integration=integration, outcome="failed").exists()
