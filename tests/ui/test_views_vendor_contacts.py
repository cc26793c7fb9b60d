"""The vendor → Xero contact editor on the integration's settings (issue 12): only the vendors that need a choice
or have one, a search for the others, one shared list of contacts, and an admin's choice saved as the admin's."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from integrations.connectors.base import CatalogItem, ConnectorError, ErpError, ErrorCategory
from integrations.models import VendorLink
from tests.factories import VendorFactory
from tests.ui.conftest import entry

pytestmark = pytest.mark.django_db

ACME = CatalogItem("c0ffee00-0000-4000-8000-000000000001", "Acme Supplies", group="V-1")
ACME_AS = CatalogItem("c0ffee00-0000-4000-8000-000000000002", "Acme Supplies A/S", group="")
ARCHIVED = CatalogItem("c0ffee00-0000-4000-8000-000000000003", "Acme (old)", active=False)
WAITING = "Choose the Xero contact for Dansk Kontor A/S in Integrations settings → Xero → Contacts, then re-sync."


class Contacts:
    def __init__(self, items=(ACME, ACME_AS, ARCHIVED), error: ErpError | None = None):
        self.items, self.error, self.calls = list(items), error, 0

    def contacts(self):
        self.calls += 1
        if self.error:
            raise ConnectorError(self.error)
        return self.items


@pytest.fixture
def erp(monkeypatch):
    holder = Contacts()
    monkeypatch.setattr("integrations.vendor_contacts._connector", lambda integration: holder)
    return holder


def url(integration, **query) -> str:
    base = reverse("integrations:contacts", args=[integration.pk])
    return base + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def test_it_lists_the_vendors_that_need_a_choice_and_those_linked(admin_client_, xero, master, make_document, erp):
    waiting = make_document()
    entry(waiting, xero, state="failed", needs_attention=True, error_category="setup", error_hint=WAITING)
    linked = VendorFactory(company=xero.company, name="Borealis Print", number="V-BOR")
    VendorLink.objects.create(integration=xero, vendor=linked, erp_id=ACME_AS.code, source="matched")
    VendorFactory(company=xero.company, name="Quiet Vendor", number="V-Q")  # neither: not listed
    html = admin_client_.get(url(xero)).content.decode()
    assert "Dansk Kontor A/S" in html and "Needs a choice" in html
    assert "Borealis Print" in html and "Found in the ERP" in html and f"Acme Supplies A/S · {ACME_AS.code}" in html
    assert "Quiet Vendor" not in html
    assert "Acme Supplies · V-1 · c0ffee00-0000-4000-8000-000000000001" in html  # the shared list of contacts
    assert "Acme (old)" not in html  # archived contacts are not offered
    assert html.count("<datalist") == 1


def test_a_search_finds_any_vendor(admin_client_, xero, erp):
    VendorFactory(company=xero.company, name="Quiet Vendor", number="V777")
    assert "Quiet Vendor" in admin_client_.get(url(xero, q="V777")).content.decode()
    assert "No vendor matches" in admin_client_.get(url(xero, q="nobody")).content.decode()


def test_saving_makes_the_choice_the_admins(admin_client_, xero, master, make_document, erp):
    vendor = master["vendor"]
    waiting = make_document()
    entry(waiting, xero, state="failed", needs_attention=True, error_category="setup", error_hint=WAITING)
    field = f"contact-{vendor.pk}"
    r = admin_client_.post(url(xero), {field: f"Acme Supplies · V-1 · {ACME.code}"})
    assert r.status_code == 302
    link = VendorLink.objects.get(integration=xero, vendor=vendor)
    assert (link.erp_id, link.erp_name, link.source) == (ACME.code, "Acme Supplies", "admin")
    admin_client_.post(url(xero), {field: ""})  # cleared: the next sync matches again
    assert not VendorLink.objects.filter(integration=xero, vendor=vendor).exists()


def test_a_contact_not_in_the_erps_list_is_refused(admin_client_, xero, master, erp):
    VendorLink.objects.create(integration=xero, vendor=master["vendor"], erp_id=ACME.code, source="matched")
    r = admin_client_.post(url(xero), {f"contact-{master['vendor'].pk}": "Someone · 123"})
    assert r.status_code == 200 and "Choose a contact from the list." in r.content.decode()
    assert VendorLink.objects.get(vendor=master["vendor"]).source == "matched"


def test_it_explains_when_the_erp_cannot_list_its_contacts(admin_client_, xero, erp):
    erp.error = ErpError(ErrorCategory.TEMPORARY, "Xero is unavailable (HTTP 503)")
    html = admin_client_.get(url(xero)).content.decode()
    assert "Could not load the contacts from Xero: Xero is unavailable (HTTP 503)" in html and "Try again" in html


@pytest.mark.parametrize("client_fixture", ["accountant_client", "viewer_client"])
def test_it_is_for_admins_of_the_company_only(request, client_fixture, xero, foreign_integration, admin_client_, erp):
    assert request.getfixturevalue(client_fixture).get(url(xero)).status_code == 403
    assert admin_client_.get(url(foreign_integration)).status_code == 404


def test_another_companys_vendor_cannot_be_linked(admin_client_, xero, other_company, erp):
    foreign = VendorFactory(company=other_company)
    admin_client_.post(url(xero, q=foreign.number), {f"contact-{foreign.pk}": f"Acme Supplies · V-1 · {ACME.code}"})
    assert not VendorLink.objects.exists()


def test_its_queries_do_not_grow_with_the_vendors(admin_client_, xero, erp):
    def measure(n: int) -> int:
        VendorLink.objects.filter(integration=xero).delete()
        for _ in range(n):
            VendorLink.objects.create(
                integration=xero, vendor=VendorFactory(company=xero.company), erp_id=ACME.code, source="matched"
            )
        with CaptureQueriesContext(connection) as queries:
            assert admin_client_.get(url(xero)).status_code == 200
        return len(queries)

    assert measure(3) == measure(40)
    assert erp.calls == 1  # the contacts are cached between pages
