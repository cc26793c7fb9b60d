"""Issue #14 point 9: the integration log in words people use — labels instead of field and event codes, mapped
codes by name, "Data sent" only when something was sent, the ERP's answer for successes, one phrase per record
(never "Blocked · Blocked"), and the chosen integration kept in the address."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories import CategoryFactory, DepartmentFactory
from tests.ui.conftest import HTMX, attempt

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def tab(client, document, integration, **headers) -> str:
    url = reverse("integrations:document_tab", args=[document.pk])
    return client.get(url, {"integration": integration.pk}, headers=HTMX | headers, **EN).content.decode()


def _record(html: str, reference: str) -> str:
    start = html.index(f'data-reference="{reference}"')
    return html[start : html.index("</li>", start)]


def test_fields_and_events_have_human_labels(accountant_client, make_document, xero):
    document = make_document()
    attempt(
        document,
        xero,
        reference="SA-LABELS01",
        action="update",
        event="payment_registered",
        changes={"due_date": ["2026-10-31", "2026-11-15"], "total": ["1000.00", "1250.00"]},
    )
    record = _record(tab(accountant_client, document, xero), "SA-LABELS01")
    assert "Due date" in record and "due_date" not in record.replace('data-field="due_date"', "")
    assert "Payment registered" in record and "payment_registered" not in record
    assert "31 Oct 2026" in record and "15 Nov 2026" in record and "1,250.00" in record  # values as people read them


def test_mapped_accounts_show_the_categories_booked_to_them(accountant_client, make_document, xero, company, master):
    hosting = CategoryFactory(company=company, name="Hosting & software")
    xero.mappings = {"accounts": {str(master["category"].pk): "461", str(hosting.pk): "489"}}
    xero.save(update_fields=["mappings"])
    document = make_document()
    attempt(document, xero, reference="SA-ACCOUNT1", action="update", changes={"account": ["461", "489"]})
    record = _record(tab(accountant_client, document, xero), "SA-ACCOUNT1")
    assert "461 · General" in record and "489 · Hosting &amp; software" in record and ">Account<" in record


def test_mapped_tracking_options_show_the_departments_booked_to_them(
    accountant_client, make_document, xero, company, master
):
    support = DepartmentFactory(company=company, name="Customer support")
    xero.mappings = {"tracking": {str(master["department"].pk): "Region: North", str(support.pk): "Region: South"}}
    xero.save(update_fields=["mappings"])
    document = make_document()
    changes = {"tracking": ["Region: North", "Region: South"]}
    attempt(document, xero, reference="SA-TRACKIN1", action="update", changes=changes)
    record = _record(tab(accountant_client, document, xero), "SA-TRACKIN1")
    assert ">Department (tracking)<" in record
    assert "<del>Region: North · Sales</del>" in record and "<ins>Region: South · Customer support</ins>" in record
    url = reverse("integrations:document_tab", args=[document.pk])
    html = accountant_client.get(url, {"integration": xero.pk}, headers=HTMX, HTTP_ACCEPT_LANGUAGE="da").content
    da = _record(html.decode(), "SA-TRACKIN1")
    assert ">Afdeling (sporing)<" in da and "<ins>Region: South · Customer support</ins>" in da


def test_one_phrase_per_record_never_the_code_twice(accountant_client, make_document, xero):
    document = make_document()
    attempt(document, xero, reference="SA-BLOCKED1", action="blocked", outcome="blocked", erp_message="Paid in Xero")
    attempt(
        document,
        xero,
        reference="SA-NOTSENT1",
        action="none",
        outcome="failed",
        error_category="setup",
        erp_message="Category “Travel” is not mapped to an account in Xero.",
        request_data={},
    )
    html = tab(accountant_client, document, xero)
    blocked, not_sent = _record(html, "SA-BLOCKED1"), _record(html, "SA-NOTSENT1")
    assert "Blocked: booked in the ERP" in blocked and blocked.count("Blocked") == 1
    assert "Failed before anything was sent" in not_sent and "Not attempted" not in not_sent


def test_data_sent_shows_only_when_something_was_sent(accountant_client, make_document, xero):
    document = make_document()
    attempt(document, xero, reference="SA-CREATED1", action="create", erp_id="inv-77", erp_number="BILL-77")
    attempt(document, xero, reference="SA-NOCHANG1", action="no_change")
    attempt(document, xero, reference="SA-BLOCKED2", action="blocked", outcome="blocked")
    html = tab(accountant_client, document, xero)
    created = _record(html, "SA-CREATED1")
    assert "Data sent" in created
    assert "The ERP's answer" in created and "BILL-77" in created and "ERP id inv-77" in created
    assert "Data sent" not in _record(html, "SA-NOCHANG1") and "Already up to date" in _record(html, "SA-NOCHANG1")
    assert "Data sent" not in _record(html, "SA-BLOCKED2")


def test_the_chosen_integration_stays_in_the_address(accountant_client, make_document, xero, economic):
    document = make_document()
    url = reverse("integrations:document_tab", args=[document.pk])
    r = accountant_client.get(
        url, {"integration": economic.pk}, headers=HTMX | {"HX-Trigger": "integration-picker"}, **EN
    )
    detail = reverse("documents:detail", args=[document.pk])
    assert r["HX-Push-Url"] == f"{detail}?tab=integrations&integration={economic.pk}"
    page = accountant_client.get(detail, {"tab": "integrations", "integration": economic.pk}, **EN).content.decode()
    assert f'hx-get="{url}?integration={economic.pk}"' in page
    # Without JavaScript the picker submits to the document page with the same parameters.
    panel = tab(accountant_client, document, xero)
    assert f'action="{detail}"' in panel and 'name="tab" value="integrations"' in panel
