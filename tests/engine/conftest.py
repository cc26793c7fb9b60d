"""Engine tests run against the real Xero sandbox over HTTP and the real database; the worker is called directly
(``engine.drain``) except in the end-to-end test that goes through a real ``qcluster`` process."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from documents.models import Document
from integrations.models import Integration
from tests.factories import CategoryFactory, DepartmentFactory, DocumentFactory, VatCodeFactory, VendorFactory


@pytest.fixture
def xero_settings(settings, sandbox):
    settings.XERO_API_URL = f"{sandbox.url}/xero"
    settings.XERO_IDENTITY_URL = f"{sandbox.url}/xero/identity"
    settings.XERO_LOGIN_URL = f"{sandbox.url}/xero/login"
    settings.XERO_GO_URL = f"{sandbox.url}/xero/go"
    settings.XERO_CLIENT_ID = "roger-test"
    settings.XERO_CLIENT_SECRET = "roger-test-secret"
    settings.ROGER_RATE_LIMITS = {}
    settings.ROGER_ERP_TIMEOUT = (2, 2)  # the sandbox's injected timeouts hold far longer
    settings.ROGER_SYNC = {**settings.ROGER_SYNC, "BACKOFF_BASE_SECONDS": 0.01, "BACKOFF_CAP_SECONDS": 0.05}
    return settings


@pytest.fixture
def master(company):
    return {
        "vendor": VendorFactory(company=company, name="Dansk Kontor A/S", number="V1001"),
        "category": CategoryFactory(company=company, name="General", account_code="429"),
        "vat_code": VatCodeFactory(company=company, code="I25"),
        "department": DepartmentFactory(company=company, name="Sales"),
    }


@pytest.fixture
def tenant(sandbox, xero_settings):
    return sandbox.new_xero_tenant("Nordlys ApS (test)")


def make_integration(company, tenant, master, **overrides) -> Integration:
    integration = Integration(
        company=company,
        kind="xero",
        name="Xero",
        connection="connected",
        settings={
            "tenant_id": tenant["tenant_id"],
            "tenant_name": "Nordlys",
            "token_expires_at": (timezone.now() + dt.timedelta(minutes=29)).isoformat(),
        },
        mappings={
            "accounts": {str(master["category"].pk): "429"},
            "tax_types": {str(master["vat_code"].pk): "INPUT"},
            "tracking": {str(master["department"].pk): "Department: Sales"},
            "bank_account": "090",
        },
        **overrides,
    )
    integration.set_credentials({"access_token": tenant["access_token"], "refresh_token": tenant["refresh_token"]})
    integration.save()
    return integration


@pytest.fixture
def integration(company, tenant, master):
    return make_integration(company, tenant, master)


@pytest.fixture
def make_document(company, master):
    def make(**overrides) -> Document:
        values = dict(company=company, status="approved", total=Decimal("1250.00"), vat=Decimal("250.00"), **master)
        values.update(overrides)
        return DocumentFactory(**values)

    return make
