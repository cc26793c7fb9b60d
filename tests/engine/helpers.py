"""Plain helpers for the engine tests (fixtures live in conftest.py): the worker loop, real ``qcluster``
processes sharing the test database, and what the Xero sandbox holds."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from integrations.models import SyncJob
from integrations.sync import engine

ROOT = Path(__file__).resolve().parents[2]

needs_pg = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="worker processes and threads share the test database only on PostgreSQL (make test's database)",
)


def run(integration) -> None:
    """What a worker does when woken; repeated while retries are due (the tests' clock does not wait)."""
    for _ in range(10):
        SyncJob.objects.filter(integration=integration, state="pending").update(next_attempt_at=timezone.now())
        if not engine.drain(integration.pk):
            return


def membership(document):
    """An accountant of the document's company (created when there is none): who presses Re-sync."""
    from roger.models import Membership
    from tests.factories import MembershipFactory

    return Membership.objects.select_related("company", "user").filter(
        company=document.company, role="accountant"
    ).first() or MembershipFactory(company=document.company, role="accountant")


def xero_bills(sandbox, tenant) -> list[dict]:
    return [i for i in sandbox.state()["tenants"][tenant["tenant_id"]]["Invoices"] if i["Type"] == "ACCPAY"]


def wait_for(predicate: Callable[[], object], seconds: float = 30.0, *, every: float = 0.2) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(every)
    return False


# --- real worker processes ------------------------------------------------------------------------------------
def worker_env(sandbox, **overrides: str) -> dict[str, str]:
    """The environment of a ``qcluster`` on the test database, talking to the sandbox as the tests' Xero app."""
    db = connection.settings_dict
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update(
        DATABASE_URL=f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        XERO_API_URL=f"{sandbox.url}/xero",
        XERO_IDENTITY_URL=f"{sandbox.url}/xero/identity",
        XERO_LOGIN_URL=f"{sandbox.url}/xero/login",
        XERO_GO_URL=f"{sandbox.url}/xero/go",
        XERO_CLIENT_ID="roger-test",
        XERO_CLIENT_SECRET="roger-test-secret",
        Q_WORKERS="1",
        Q_POLL="0.1",
        LOG_LEVEL="WARNING",
    )
    env.update(overrides)
    return env


def start_qcluster(env: dict[str, str]) -> subprocess.Popen:
    """``manage.py qcluster`` in its own process group, so a stop reaches its worker processes too."""
    return subprocess.Popen(
        [sys.executable, "manage.py", "qcluster"],
        cwd=ROOT,
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def stop_qcluster(process: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    try:
        os.killpg(process.pid, sig)
        process.wait(timeout=5)
    except ProcessLookupError:
        return
    except subprocess.TimeoutExpired:  # a graceful stop may wait for the broker; the test is over anyway
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
