"""Engine figures of DESIGN §10 on PostgreSQL, with real worker processes and the sandbox over HTTP.

    python -m bench.engine [figure ...]     # all figures, or the named ones; one JSON line each
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

from integrations.sandbox.reqlog import busiest_window, most_in_flight

ROOT = Path(__file__).resolve().parents[1]
DB_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/roger_bench")
DB_NAME = DB_URL.rsplit("/", 1)[-1]  # dropped and re-created by every run


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _point_at(sandbox_url: str) -> None:
    """Worker processes inherit these: the ERP is the given sandbox."""
    os.environ.update(XERO_API_URL=f"{sandbox_url}/xero", XERO_IDENTITY_URL=f"{sandbox_url}/xero/identity",
                      XERO_LOGIN_URL=f"{sandbox_url}/xero/login", XERO_GO_URL=f"{sandbox_url}/xero/go")


def _setup_django(sandbox_url: str, **env: str) -> None:
    os.environ.update(DATABASE_URL=DB_URL, DJANGO_SETTINGS_MODULE="roger.settings", Q_WORKERS="2",
                      XERO_CLIENT_ID="bench", XERO_CLIENT_SECRET="bench-secret", LOG_LEVEL="WARNING", **env)
    _point_at(sandbox_url)
    subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-q", "-c", f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)"],
                   check=False, capture_output=True)
    subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-q", "-c", f"CREATE DATABASE {DB_NAME}"],
                   check=True, capture_output=True)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


class Sandbox:
    def __init__(self, time_scale: float = 1.0):
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "integrations.sandbox", "--port", str(self.port), "--time-scale", str(time_scale)],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        import requests

        for _ in range(100):
            try:
                requests.get(f"{self.url}/_sandbox/health", timeout=1)
                return
            except requests.RequestException:
                time.sleep(0.1)
        raise RuntimeError("sandbox did not start")

    def post(self, path: str, body: dict) -> dict:
        import requests

        return requests.post(f"{self.url}{path}", json=body, timeout=10).json()

    def requests(self) -> list[dict]:
        import requests

        return requests.get(f"{self.url}/_sandbox/requests", timeout=30).json()["requests"]

    def stop(self) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)


def _worker(env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "manage.py", "qcluster"], cwd=ROOT, env={**os.environ, **env},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


def _stop(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    except ProcessLookupError:
        pass


def _scene(sandbox: Sandbox, n: int):
    """A company with n approved documents (half paid) and a Xero integration on a fresh sandbox tenant."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from documents.models import Category, Department, Document, VatCode, Vendor
    from integrations.models import Integration
    from roger.models import Company, Membership

    company = Company.objects.create(name=f"Bench {time.time()}", slug=f"bench-{time.time_ns()}")
    user = get_user_model().objects.create(username=f"bench-{time.time_ns()}")
    membership = Membership.objects.create(user=user, company=company, role="admin")
    vendors = [Vendor.objects.create(company=company, number=f"B{i}", name=f"Bench Vendor {i}") for i in range(8)]
    category = Category.objects.create(company=company, name="General", account_code="429")
    vat = VatCode.objects.create(company=company, code="I25", name="VAT", rate=Decimal("25"))
    dept = Department.objects.create(company=company, name="Sales")
    docs = [Document(company=company, vendor=vendors[i % 8], invoice_number=f"BN-{i}", issue_date=dt.date(2026, 10, 1),
                     due_date=dt.date(2026, 10, 31), currency="DKK", total=Decimal("1250.00"), vat=Decimal("250.00"),
                     vat_code=vat, category=category, department=dept, description=f"Bench {i}",
                     status="paid" if i % 2 else "approved", paid_on=dt.date(2026, 10, 20) if i % 2 else None,
                     marked_paid=bool(i % 2)) for i in range(n)]
    Document.objects.bulk_create(docs, batch_size=1000)
    tenant = sandbox.post("/_sandbox/xero/tenants", {"name": "Bench"})
    integration = Integration(company=company, kind="xero", name="Xero", connection="connected", settings={
        "tenant_id": tenant["tenant_id"], "token_expires_at": (timezone.now() + dt.timedelta(minutes=29)).isoformat()},
        mappings={"accounts": {str(category.pk): "429"}, "tax_types": {str(vat.pk): "INPUT"},
                  "tracking": {str(dept.pk): "Department: Sales"}, "bank_account": "090"})
    integration.set_credentials({"access_token": tenant["access_token"], "refresh_token": tenant["refresh_token"]})
    integration.save()
    ids = list(Document.objects.filter(company=company).values_list("pk", flat=True))
    return membership, integration, ids


def _bulk_run(sandbox: Sandbox, n: int, worker_env: dict[str, str], timeout: float) -> tuple[float, int, dict]:
    from django.conf import settings

    membership, integration, ids = _scene(sandbox, n)
    # The bulk fans out to as many workers as the cluster has (jobs.stage reads this setting).
    settings.Q_CLUSTER["workers"] = int(worker_env.get("Q_WORKERS", os.environ["Q_WORKERS"]))
    worker = _worker(worker_env)
    time.sleep(2.0)  # the cluster is up before the clock starts
    try:
        elapsed, outcomes, _files = _bulk_run_ids(membership, ids, timeout)
    finally:
        _stop(worker)
    tenant = integration.settings["tenant_id"]
    calls = [r for r in sandbox.requests() if "/api.xro/" in r["path"] and r.get("tenant") == tenant]
    return elapsed, len(calls), outcomes


def _bulk_run_ids(membership, ids: list[int], timeout: float) -> tuple[float, dict, dict]:
    """Queue a bulk re-sync of ``ids`` for the running workers and wait until it finishes: seconds, outcomes and
    what happened to the documents' files."""
    from integrations.sync.requests import bulk_progress, request_bulk_resync

    started = time.monotonic()
    bulk = request_bulk_resync(membership=membership, document_ids=ids)
    while time.monotonic() - started < timeout:
        progress = bulk_progress(bulk)
        if progress.finished:
            break
        time.sleep(0.1)
    return time.monotonic() - started, progress.outcomes, progress.files


def line(name: str, value, unit: str, target, command: str, **extra) -> None:
    print(json.dumps({"name": name, "value": value, "unit": unit, "target": target, "command": command, **extra}),
          flush=True)


def bench_unlimited(sandbox: Sandbox) -> None:
    sandbox.post("/_sandbox/config", {"xero": {"minute_limit": 10**9, "day_limit": 10**9, "concurrent_limit": 10**6,
                                               "app_minute_limit": 10**9}})
    elapsed, calls, outcomes = _bulk_run(sandbox, 1000, {"ROGER_RATE_LIMITS_OFF": "True"}, timeout=120)
    line("bulk_1000_unlimited_s", round(elapsed, 2), "s", 10, "python -m bench.engine bulk_1000_unlimited_s",
         erp_calls=calls, outcomes=outcomes)
    line("xero_calls_per_entry", round(calls / 1500, 4), "calls/entry", 0.05,
         "python -m bench.engine bulk_1000_unlimited_s", entries=1500)


def bench_xero_limits(scale: float = 5.0) -> None:
    """Xero's real limits with the minute lasting 60/scale s.  The scale is low enough that the allowance, not
    the engine's own speed, bounds the run (at 60 a "minute" is 1 s and the run measured the engine instead)."""
    sandbox = Sandbox(time_scale=scale)
    _point_at(sandbox.url)
    try:
        worker_env = {"ROGER_RATE_TIME_SCALE": str(scale), "Q_WORKERS": "4"}  # 4 workers, Roger's cap of 4 calls
        elapsed, calls, outcomes = _bulk_run(sandbox, 1000, worker_env, timeout=300)
        allowance = 58 * scale / 60  # Roger's budget: 58 calls per (scaled) minute
        ideal = calls / allowance
        api = [r for r in sandbox.requests() if "/api.xro/" in r["path"]]
        problems = sum(1 for r in api if r.get("status") == 429)
        cmd = "python -m bench.engine bulk_1000_xero_limits_s"
        line("bulk_1000_xero_limits_s", round(elapsed, 2), "s", round(ideal * 1.2, 2), cmd, erp_calls=calls,
             responses_429=problems, time_scale=scale, outcomes=outcomes, ideal_s=round(ideal, 2),
             busiest_scaled_minute=busiest_window(api, 60 / scale), peak_in_flight=most_in_flight(api))
        line("bulk_1000_xero_limits_ratio", round(elapsed / ideal, 3), "ratio", 1.2, cmd)
    finally:
        sandbox.stop()






def bench_queue(sandbox: Sandbox) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from integrations.models import Integration, SyncJob
    from integrations.sync.requests import request_bulk_resync

    samples, queries = [], 0
    for _ in range(5):
        membership, integration, ids = _scene(sandbox, 1000)
        membership = type(membership).objects.select_related("company", "user").get(pk=membership.pk)
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            request_bulk_resync(membership=membership, document_ids=ids)
            samples.append((time.perf_counter() - started) * 1000)
        queries = len(captured)
        # Only the queuing is measured: these jobs must not be drained by the next figure's workers.
        SyncJob.objects.filter(integration=integration).delete()
        Integration.objects.filter(pk=integration.pk).update(enabled=False)
    cmd = "python -m bench.engine queue_1000_ms"
    line("queue_1000_ms", round(statistics.median(samples), 1), "ms", 200, cmd)
    line("queue_1000_queries", queries, "queries", "constant", cmd)


def bench_approval(sandbox: Sandbox) -> None:
    from documents import services
    from documents.models import Document
    from integrations.models import ErpEntry

    _membership, _integration, ids = _scene(sandbox, 10)
    worker = _worker({"ROGER_RATE_LIMITS_OFF": "True"})
    time.sleep(3.0)
    samples = []
    try:
        for pk in ids[:5]:
            Document.objects.filter(pk=pk).update(status="awaiting_approval", paid_on=None, marked_paid=False)
            started = time.monotonic()
            services.document_approve(document=Document.objects.get(pk=pk), actor=None)
            while not ErpEntry.objects.filter(document_id=pk, kind="bill", state="synced").exists():
                if time.monotonic() - started > 30:
                    break
                time.sleep(0.02)
            samples.append((time.monotonic() - started) * 1000)
    finally:
        _stop(worker)
    line("approval_to_entry_ms", round(statistics.median(samples)), "ms", 2000, "python -m bench.engine approval_to_entry_ms")


def main(argv: list[str]) -> None:
    wanted = set(argv) or {"bulk_1000_unlimited_s", "queue_1000_ms", "approval_to_entry_ms", "bulk_1000_xero_limits_s"}
    sandbox = Sandbox()
    try:
        _setup_django(sandbox.url)
        if wanted & {"queue_1000_ms", "queue_1000_queries"}:
            bench_queue(sandbox)
        if wanted & {"bulk_1000_unlimited_s", "xero_calls_per_entry"}:
            bench_unlimited(sandbox)
        if "approval_to_entry_ms" in wanted:
            bench_approval(sandbox)
    finally:
        sandbox.stop()
    if wanted & {"bulk_1000_xero_limits_s", "bulk_1000_xero_limits_ratio"}:
        if "DJANGO_SETTINGS_MODULE" not in os.environ or not _django_ready():
            _setup_django("http://127.0.0.1:1")
        bench_xero_limits()


def _django_ready() -> bool:
    from django.apps import apps

    return apps.ready


if __name__ == "__main__":
    main(sys.argv[1:])
