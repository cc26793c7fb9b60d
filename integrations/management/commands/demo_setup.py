"""What `make run` needs before the web server starts: demo data when the database is empty, the sweeper's
schedule, and the demo company connected to both ERP sandboxes — a new Xero organisation and a new e-conomic
agreement, mappings filled in, the approved documents queued for their first sync to each.  Running it again
connects only what is missing."""

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
# Left out of the Xero mappings on purpose, so Requires attention has a real case to show: its documents fail
# with a setup error naming the category; an admin maps it in Integrations settings, then "Re-sync these".
XERO_UNMAPPED_CATEGORY = "Travel"
# e-conomic (the sandbox's chart of accounts): what an accountant would pick from its catalogues.
ECONOMIC_ACCOUNTS = {
    "Hosting & software": "2210",
    "Advertising": "2220",
    "Cleaning": "2230",
    "Consulting": "2240",
    "Travel": "2250",
    "Rent": "2800",
    "Electricity & heating": "2800",
}
ECONOMIC_DEFAULT_ACCOUNT = "2200"  # Office supplies
ECONOMIC_VAT = {"I25": "I25", "I0": "I0", "REV": "I0"}  # reverse charge: no input VAT on the bill itself
ECONOMIC_DEPARTMENTS = {"Operations": "Administration"}  # e-conomic has Sales, Administration, Development
ECONOMIC_BANK = "5820"
# The demo's Xero organisation already has suppliers, as customers' organisations do: the bookkeeper's own
# contacts, written their way.  Roger finds them (by name, by tax number) instead of creating second ones.
XERO_EXISTING_CONTACTS = [
    {"Name": "Dansk Kontorforsyning A/S", "AccountNumber": "L-201", "EmailAddress": "faktura@kontorforsyning.example"},
    {"Name": "NORDIC CLOUD HOSTING APS.", "TaxNumber": "DK 23 45 67 89"},
    {"Name": "Fjord Consulting AS", "EmailAddress": "ap@fjord.example"},  # a customer, not one of the vendors
]
# The e-conomic agreement too: the bookkeeper's supplier holds the CVR without the "DK" of Roger's VAT number.
ECONOMIC_EXISTING_SUPPLIERS = [{"name": "Nordic Cloud Hosting", "corporateIdentificationNumber": "23456789"}]


class Command(BaseCommand):
    help = "Prepare the demo: seed when empty, schedule the sweeper, connect the ERP sandbox."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--wait-for-sandbox", action="store_true", help="Wait up to 30 s for the ERP sandbox")

    def handle(self, *args, **options) -> None:
        call_command("seed_demo")  # idempotent: seeds an empty database, and puts the demo users right
        from integrations import tasks

        tasks.ensure_schedules()
        company = Company.objects.get(slug="nordlys")
        connected = set(Integration.objects.filter(company=company).values_list("kind", flat=True))
        missing = [kind for kind in ("xero", "economic") if kind not in connected]
        for kind in sorted(connected & {"xero", "economic"}):
            self.stdout.write(f"The demo company is already connected to {Integration.Kind(kind).label}.")
        if not missing:
            return
        if not self.sandbox_up(wait=options["wait_for_sandbox"]):
            self.stdout.write(
                self.style.WARNING(
                    f"No ERP sandbox at {settings.ROGER_SANDBOX_URL}: not connecting {', '.join(missing)}."
                )
            )
            return
        connect = {"xero": self.connect_xero, "economic": self.connect_economic}
        for kind in missing:
            integration = connect[kind](company)
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
        requests.post(
            f"{settings.ROGER_SANDBOX_URL}/_sandbox/xero/actions",
            json={"tenant_id": tenant["tenant_id"], "action": "add_contacts", "contacts": XERO_EXISTING_CONTACTS},
            timeout=10,
        ).raise_for_status()
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
                "accounts": {
                    str(c.pk): c.account_code
                    for c in Category.objects.filter(company=company).exclude(name=XERO_UNMAPPED_CATEGORY)
                },
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

    def connect_economic(self, company: Company) -> Integration:
        """As if an admin had pasted the agreement's tokens and chosen the journal and mappings in settings."""
        reply = requests.post(
            f"{settings.ROGER_SANDBOX_URL}/_sandbox/economic/agreements", json={"name": company.name}, timeout=10
        )
        reply.raise_for_status()
        agreement = reply.json()
        requests.post(
            f"{settings.ROGER_SANDBOX_URL}/_sandbox/economic/actions",
            json={
                "agreement": agreement["agreement_number"],
                "action": "add_suppliers",
                "suppliers": ECONOMIC_EXISTING_SUPPLIERS,
            },
            timeout=10,
        ).raise_for_status()
        integration = Integration(
            company=company,
            kind="economic",
            name="e-conomic",
            connection=Integration.Connection.CONNECTED,
            settings={"journal_number": agreement["journal_number"]},
        )
        # The sandbox issues an app secret per agreement; a real deployment has one (ECONOMIC_APP_SECRET_TOKEN).
        integration.set_credentials(
            {
                "agreement_grant_token": agreement["agreement_grant_token"],
                "app_secret_token": agreement["app_secret_token"],
            }
        )
        integration.connection_message = f"Connected to {company.name} (agreement {agreement['agreement_number']})."
        integration.save()  # first: the connector's rate limiter belongs to a saved integration
        integration.mappings = self.economic_mappings(company, integration)
        integration.save(update_fields=["mappings"])
        self.stdout.write(
            self.style.SUCCESS(
                f"Connected {company.name} to the e-conomic sandbox (agreement {agreement['agreement_number']})."
            )
        )
        return integration

    def economic_mappings(self, company: Company, integration: Integration) -> dict:
        """Mappings checked against e-conomic's own catalogues, read through the connector like the settings page."""
        from integrations.sync.connectors import build_connector

        connector = build_connector(integration)
        accounts = {a.code for a in connector.accounts() if a.active}
        vat_codes = {t.code for t in connector.tax_rates() if t.active}
        departments = {t.name: t.code for t in connector.tracking_options() if t.active}
        banks = [b.code for b in connector.bank_accounts() if b.active]

        def account(category: Category) -> str:
            wanted = ECONOMIC_ACCOUNTS.get(category.name, ECONOMIC_DEFAULT_ACCOUNT)
            return wanted if wanted in accounts else ECONOMIC_DEFAULT_ACCOUNT

        return {
            "accounts": {str(c.pk): account(c) for c in Category.objects.filter(company=company)},
            "tax_types": {
                str(v.pk): ECONOMIC_VAT[v.code]
                for v in VatCode.objects.filter(company=company)
                if ECONOMIC_VAT.get(v.code) in vat_codes
            },
            "tracking": {
                str(d.pk): departments[ECONOMIC_DEPARTMENTS.get(d.name, d.name)]
                for d in Department.objects.filter(company=company)
                if ECONOMIC_DEPARTMENTS.get(d.name, d.name) in departments
            },
            "bank_account": ECONOMIC_BANK if ECONOMIC_BANK in banks else (banks[0] if banks else ""),
        }

    def queue_first_sync(self, company: Company, integration: Integration) -> None:
        from integrations import jobs

        ids = list(Document.objects.filter(company=company).synced().values_list("pk", flat=True))
        jobs.stage(
            document_ids=ids, integration_ids=[integration.pk], trigger=SyncJob.Trigger.SYSTEM, event="connected"
        )
        self.stdout.write(f"Queued the first sync of {len(ids)} approved documents.")
