"""Suppliers that already exist in Xero (issue 12): the link vendor → Xero contact is remembered per vendor and
integration, an admin's choice always wins, and an ambiguous match waits for an admin in Requires attention.
The same for e-conomic's suppliers: a match is remembered, an ambiguous one waits for the Contacts editor."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from integrations import vendor_contacts
from integrations.models import ErpEntry, SyncAttempt, VendorLink
from integrations.sync import engine
from integrations.sync.requests import request_bulk_resync
from tests.engine.conftest import EconomicErp, make_economic_integration
from tests.engine.helpers import membership, run, xero_bills
from tests.factories import VendorFactory

pytestmark = pytest.mark.django_db


def _contacts(sandbox, tenant, *contacts: dict) -> list[str]:
    result = sandbox.xero_action(tenant["tenant_id"], "add_contacts", contacts=list(contacts))
    return [c["ContactID"] for c in result["result"]["Contacts"]]


def _contact_searches(sandbox) -> list[dict]:
    return [r for r in sandbox.requests(erp="xero") if r["method"] == "GET" and r["path"].endswith("/Contacts")]


def test_the_contact_a_bill_is_booked_to_is_remembered_and_used_from_then_on(
    sandbox, tenant, integration, master, make_document
):
    [existing] = _contacts(sandbox, tenant, {"Name": "DANSK KONTOR A/S.", "TaxNumber": master["vendor"].tax_number})
    first = make_document(invoice_number="A-1")
    request_bulk_resync(membership=membership(first), document_ids=[first.pk])
    run(integration)
    link = VendorLink.objects.get(integration=integration, vendor=master["vendor"])
    assert (link.erp_id, link.source, link.erp_name) == (existing, "matched", "DANSK KONTOR A/S.")
    assert [b["Contact"]["ContactID"] for b in xero_bills(sandbox, tenant)] == [existing]

    searched = len(_contact_searches(sandbox))
    second = make_document(invoice_number="A-2")
    request_bulk_resync(membership=membership(second), document_ids=[second.pk])
    run(integration)
    assert [b["Contact"]["ContactID"] for b in xero_bills(sandbox, tenant)] == [existing, existing]
    later = _contact_searches(sandbox)[searched:]
    assert all("IDs=" in r["query"] for r in later)  # only the link's check: no search, no creation
    assert len(sandbox.state()["tenants"][tenant["tenant_id"]]["Contacts"]) == 1


def test_an_admins_choice_wins_and_a_sync_never_overwrites_it(sandbox, tenant, integration, master, make_document):
    chosen, _ = _contacts(sandbox, tenant, {"Name": "Kontor Group (the admin's pick)"}, {"Name": "Dansk Kontor A/S"})
    VendorLink.objects.create(integration=integration, vendor=master["vendor"], erp_id=chosen, source="admin")
    document = make_document()
    request_bulk_resync(membership=membership(document), document_ids=[document.pk])
    run(integration)
    [bill] = xero_bills(sandbox, tenant)
    assert bill["Contact"]["ContactID"] == chosen
    assert VendorLink.objects.get(integration=integration, vendor=master["vendor"]).source == "admin"


def test_an_ambiguous_match_waits_in_requires_attention_naming_the_candidates(
    sandbox, tenant, integration, master, make_document
):
    master["vendor"].tax_number, master["vendor"].email = "", "ap@kontor.example"
    master["vendor"].save()
    _contacts(
        sandbox,
        tenant,
        {"Name": "Dansk Kontor A/S", "AccountNumber": "K-1"},
        {"Name": "Kontor Danmark", "EmailAddress": "ap@kontor.example"},
    )
    document = make_document()
    request_bulk_resync(membership=membership(document), document_ids=[document.pk])
    run(integration)
    entry = ErpEntry.objects.get(document=document, kind="bill")
    assert entry.needs_attention and entry.error_category == "setup"
    assert "Dansk Kontor A/S (K-1)" in entry.error_message
    assert entry.error_hint == (
        "Choose the Xero contact for Dansk Kontor A/S in Integrations settings → Xero → Contacts, then re-sync."
    )
    attempt = SyncAttempt.objects.filter(document=document).latest("id")
    assert attempt.error_field == "vendor"
    assert xero_bills(sandbox, tenant) == [] and not VendorLink.objects.exists()


def test_remembering_links_costs_the_same_queries_for_2_and_12_vendors(
    sandbox, tenant, integration, master, make_document, company
):
    def measure(n: int) -> int:
        docs = [make_document(vendor=VendorFactory(company=company), invoice_number=f"Q-{n}-{i}") for i in range(n)]
        request_bulk_resync(membership=membership(docs[0]), document_ids=[d.pk for d in docs])
        token, jobs = engine.claim(integration.pk, limit=50)
        with CaptureQueriesContext(connection) as queries:
            engine.run_batch(integration.pk, token, jobs)
        assert VendorLink.objects.filter(vendor__in=[d.vendor for d in docs]).count() == n
        return sum(1 for q in queries if "vendorlink" in q["sql"].lower())

    assert measure(2) == measure(12) == 2  # the batch's links read once, the new ones inserted once


# --- e-conomic ------------------------------------------------------------------------------------------------


@pytest.fixture
def eco_erp(sandbox, agreement, company, master) -> EconomicErp:
    return EconomicErp(sandbox, agreement, make_economic_integration(company, agreement, master))


def _suppliers(erp: EconomicErp, *suppliers: dict) -> list[int]:
    added = erp.eco.action(erp.agreement, "add_suppliers", suppliers=list(suppliers))["suppliers"]
    return [s["supplierNumber"] for s in added]


def test_e_conomic_the_bookkeeper_s_supplier_found_by_cvr_is_remembered(eco_erp, master, make_document):
    cvr = master["vendor"].tax_number.removeprefix("DK")  # Roger holds the VAT number, e-conomic the CVR
    [theirs] = _suppliers(eco_erp, {"name": "Dansk Kontor", "corporateIdentificationNumber": cvr})
    document = make_document()
    request_bulk_resync(membership=membership(document), document_ids=[document.pk])
    run(eco_erp.integration)
    assert ErpEntry.objects.get(document=document, kind="bill").state == "synced"
    link = VendorLink.objects.get(integration=eco_erp.integration, vendor=master["vendor"])
    assert (link.erp_id, link.source) == (str(theirs), "matched")
    assert not [r for r in eco_erp.writes() if r["path"].endswith("/suppliers")]  # none created


def test_e_conomic_an_ambiguous_supplier_waits_in_requires_attention_for_the_contacts_editor(
    eco_erp, master, make_document
):
    cvr = master["vendor"].tax_number
    first, second = _suppliers(
        eco_erp,
        {"name": "Dansk Kontor A/S", "corporateIdentificationNumber": cvr},
        {"name": "Dansk Kontor (gammel)", "corporateIdentificationNumber": cvr.removeprefix("DK")},
    )
    document = make_document()
    request_bulk_resync(membership=membership(document), document_ids=[document.pk])
    run(eco_erp.integration)
    entry = ErpEntry.objects.get(document=document, kind="bill")
    assert entry.needs_attention and entry.error_category == "setup"
    assert f"Dansk Kontor A/S ({first})" in entry.error_message
    assert f"Dansk Kontor (gammel) ({second})" in entry.error_message
    assert entry.error_hint == (
        "Choose the e-conomic supplier for Dansk Kontor A/S in Integrations settings → e-conomic → Contacts, "
        "then re-sync."
    )
    assert SyncAttempt.objects.filter(document=document).latest("id").error_field == "vendor"
    assert eco_erp.bills() == [] and not VendorLink.objects.exists()
    # The admin's editor lists the vendor as waiting for a choice, and offers e-conomic's suppliers.
    [row] = vendor_contacts.vendor_rows(integration=eco_erp.integration).object_list
    assert row.vendor == master["vendor"] and row.needs_choice
    catalogue = vendor_contacts.contact_catalogue(integration=eco_erp.integration, refresh=True)
    assert {str(first), str(second)} <= {c.code for c in catalogue}
    vendor_contacts.save_vendor_contacts(
        integration=eco_erp.integration, choices={master["vendor"].pk: str(second)}, catalogue=catalogue
    )
    request_bulk_resync(membership=membership(document), document_ids=[document.pk])
    run(eco_erp.integration)
    assert ErpEntry.objects.get(document=document, kind="bill").state == "synced"
    [voucher] = [e for e in eco_erp.eco.state(eco_erp.agreement)["journals"]["10"]["entries"] if "[roger-" in e["text"]]
    assert voucher["supplier"]["supplierNumber"] == second
