"""Fixtures for the UI view tests: a company with master data, a connected Xero integration and helpers that
write entries, jobs and log records directly (the engine is not run here; its own suite covers it)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from documents.models import Document
from integrations.models import ErpEntry, Integration, SyncAttempt, SyncJob
from integrations.sync.planning import EntryPlan

HTMX = {"HX-Request": "true"}


@pytest.fixture
def xero(company) -> Integration:
    integration = Integration(
        company=company,
        kind="xero",
        name="Xero",
        connection="connected",
        settings={"tenant_id": "t-1", "tenant_name": "Nordlys"},
    )
    integration.set_credentials({"access_token": "a", "refresh_token": "r"})
    integration.save()
    return integration


@pytest.fixture
def economic(company) -> Integration:
    return Integration.objects.create(
        company=company, kind="economic", name="e-conomic", connection="connected", settings={"journal_number": 1}
    )


@pytest.fixture
def foreign_integration(other_company) -> Integration:
    return Integration.objects.create(company=other_company, kind="xero", name="Xero", connection="connected")


def entry(document, integration, kind="bill", **values) -> ErpEntry:
    defaults = {"erp_id": f"id-{document.pk}-{kind}", "erp_number": f"B-{document.pk}", "state": "synced"}
    defaults["last_synced_at"] = timezone.now()
    return ErpEntry.objects.create(document=document, integration=integration, kind=kind, **(defaults | values))


def attempt(document, integration, **values) -> SyncAttempt:
    defaults = dict(
        company=document.company,
        document=document,
        integration=integration,
        entry_kind="bill",
        trigger="event",
        event="approved",
        action="create",
        outcome="success",
        duration_ms=120,
        request_data={"InvoiceNumber": document.invoice_number},
    )
    return SyncAttempt.objects.create(**(defaults | values))


def many_attempts(document, integration, n: int) -> None:
    SyncAttempt.objects.bulk_create(
        [
            SyncAttempt(
                company=document.company,
                document=document,
                integration=integration,
                entry_kind="bill",
                trigger="event",
                event="updated",
                action="update",
                outcome="success" if i % 3 else "failed",
                duration_ms=100 + i,
                request_data={"InvoiceNumber": document.invoice_number, "Total": str(i)},
                changes={"total": [str(i), str(i + 1)]},
                erp_message="" if i % 3 else "A validation exception occurred",
                hint="" if i % 3 else "Fix the field",
                reference=f"SA-T{i:06d}",
            )
            for i in range(n)
        ],
        batch_size=1000,
    )


def open_job(document, integration, **values) -> SyncJob:
    defaults = dict(wanted_version=document.version, next_attempt_at=timezone.now(), state="pending")
    return SyncJob.objects.create(document=document, integration=integration, **(defaults | values))


@pytest.fixture
def fake_plan(monkeypatch):
    """``plan_document`` reads the ERP; view tests replace it with a fixed answer and record the calls."""
    calls: list[dict] = []
    answer: dict[str, EntryPlan] = {
        "bill": EntryPlan(kind="bill", action="update", changes={"total": ("1000.00", "1250.00")}, erp_number="B-1"),
        "payment": EntryPlan(kind="payment", action="create"),
    }

    def plan_document(*, document, integration, kinds=None):
        calls.append({"document": document.pk, "integration": integration.pk, "kinds": list(kinds or [])})
        return [answer[k] for k in (kinds or ["bill", "payment"])]

    monkeypatch.setattr("integrations.sync.planning.plan_document", plan_document)
    return answer, calls


def bulk_documents(company, master, n: int, **values) -> list[Document]:
    """n documents written in bulk (no services): for measuring, not for behaviour."""
    today = dt.date(2026, 10, 1)
    rows = [
        Document(
            company=company,
            vendor=master["vendor"],
            category=master["category"],
            department=master["department"],
            vat_code=master["vat_code"],
            invoice_number=f"BULK-{i:06d}",
            issue_date=today - dt.timedelta(days=i % 365),
            due_date=today + dt.timedelta(days=30),
            currency="DKK",
            total=Decimal("100.00") + i,
            vat=Decimal("20.00"),
            status="paid" if i % 2 else "approved",
            paid_on=today if i % 2 else None,
            **values,
        )
        for i in range(n)
    ]
    return Document.objects.bulk_create(rows, batch_size=2000)
