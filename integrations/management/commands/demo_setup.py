"""What `make run` needs before the web server starts: demo data when the database is empty, the sweeper's
schedule, and the demo company connected to the ERP sandbox (a new sandbox organisation, mappings filled in,
the approved documents queued for their first sync)."""

from __future__ import annotations

import datetime as dt
import time

import requests
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.utils import timezone

from documents.models import Category, Department, Document, VatCode
from integrations.models import Integration, SyncJob
from roger.models import Company

TAX_TYPES = {"I25": "INPUT", "I0": "NONE", "REV": "EXEMPTEXPENSES"}
TRACKING = {
    "Administration": "Administration",
    "Sales": "Sales",
    "Development": "Engineering",
    "Operations": "Marketing",
}


class Command(BaseCommand):
    help = "Prepare the demo: seed when empty, schedule the sweeper, connect the ERP sandbox."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--wait-for-sandbox", action="store_true", help="Wait up to 30 s for the ERP sandbox")

    def handle(self, *args, **options) -> None:
        if not Document.objects.exists():
            call_command("seed_demo")
        from integrations import tasks

        tasks.ensure_schedules()
        company = Company.objects.get(slug="nordlys")
        if Integration.objects.filter(company=company, kind="xero").exists():
            self.stdout.write("The demo company is already connected to Xero.")
            return
        if not self.sandbox_up(wait=options["wait_for_sandbox"]):
            self.stdout.write(
                self.style.WARNING(f"No ERP sandbox at {settings.ROGER_SANDBOX_URL}: not connecting Xero.")
            )
            return
        integration = self.connect_xero(company)
        self.queue_first_sync(company, integration)

    def sandbox_up(self, *, wait: bool) -> bool:
        deadline = time.monotonic() + (30 if wait else 0)
        while True:
            try:
                requests.get(f"{settings.ROGER_SANDBOX_URL}/_sandbox/health", timeout=2).raise_for_status()
                return True
            except requests.RequestException:
                if time.monotonic() > deadline:
                    return False
                time.sleep(0.5)

    def connect_xero(self, company: Company) -> Integration:
        """As if an admin had connected through OAuth and filled in the mappings (the browser flow also works)."""
        reply = requests.post(
            f"{settings.ROGER_SANDBOX_URL}/_sandbox/xero/tenants",
            json={"name": company.name, "base_currency": "DKK"},
            timeout=10,
        )
        reply.raise_for_status()
        tenant = reply.json()
        expires = timezone.now() + dt.timedelta(seconds=int(tenant.get("expires_in", 1800)))
        integration = Integration(
            company=company,
            kind="xero",
            name="Xero",
            connection=Integration.Connection.CONNECTED,
            settings={
                "tenant_id": tenant["tenant_id"],
                "tenant_name": tenant.get("name", company.name),
                "token_expires_at": expires.isoformat(),
            },
            mappings={
                "accounts": {str(c.pk): c.account_code for c in Category.objects.filter(company=company)},
                "tax_types": {
                    str(v.pk): TAX_TYPES.get(v.code, "NONE") for v in VatCode.objects.filter(company=company)
                },
                "tracking": {
                    str(d.pk): f"Department: {TRACKING.get(d.name, d.name)}"
                    for d in Department.objects.filter(company=company)
                },
                "bank_account": "090",
            },
        )
        integration.set_credentials({"access_token": tenant["access_token"], "refresh_token": tenant["refresh_token"]})
        integration.save()
        self.stdout.write(self.style.SUCCESS(f"Connected {company.name} to the Xero sandbox ({tenant['tenant_id']})."))
        return integration

    def queue_first_sync(self, company: Company, integration: Integration) -> None:
        from integrations import jobs

        ids = list(Document.objects.filter(company=company).synced().values_list("pk", flat=True))
        jobs.stage(
            document_ids=ids, integration_ids=[integration.pk], trigger=SyncJob.Trigger.SYSTEM, event="connected"
        )
        self.stdout.write(f"Queued the first sync of {len(ids)} approved documents.")
