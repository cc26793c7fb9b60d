from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from integrations.models import Integration
from tests.factories import DocumentFactory
from tests.ui.conftest import HTMX, attempt, entry, many_attempts, open_job

pytestmark = pytest.mark.django_db


def tab_url(document) -> str:
    return reverse("integrations:document_tab", args=[document.pk])


def test_it_renders_the_full_page(accountant_client, make_document, xero):
    document = make_document(invoice_number="TAB-1")
    r = accountant_client.get(tab_url(document))
    html = r.content.decode()
    assert r.status_code == 200 and "<html" in html and "TAB-1" in html and 'id="integration-panel"' in html
    assert "HX-Request" in r["Vary"]


def test_it_renders_the_panel_for_htmx(accountant_client, make_document, xero):
    document = make_document()
    html = accountant_client.get(tab_url(document), headers=HTMX).content.decode()
    assert html.lstrip().startswith('<div id="integration-panel"') and "<html" not in html
    assert 'hx-trigger="syncStarted from:body"' in html


def test_the_document_page_links_to_the_tab(accountant_client, make_document, xero):
    document = make_document()
    html = accountant_client.get(reverse("documents:detail", args=[document.pk]), {"tab": "integrations"}).content
    assert tab_url(document).encode() in html


def test_it_shows_entries_and_the_log_newest_first(accountant_client, make_document, xero, economic):
    document = make_document(status="paid", paid_on="2026-10-10")
    entry(
        document, xero, erp_number="BILL-77", erp_url="http://xero.test/b/1", booked=True, booked_reason="Paid in Xero"
    )
    attempt(document, xero, reference="SA-OLD0001", action="create")
    attempt(
        document,
        xero,
        reference="SA-NEW0002",
        action="update",
        outcome="failed",
        error_category="validation",
        error_field="due_date",
        erp_message="Due date must not be earlier than invoice date",
        hint="Correct the due date",
        changes={"total": ["1000.00", "1250.00"]},
    )
    attempt(document, economic, reference="SA-ECO0003")
    html = accountant_client.get(tab_url(document), {"integration": xero.pk}, headers=HTMX).content.decode()
    assert html.index("SA-NEW0002") < html.index("SA-OLD0001") and "SA-ECO0003" not in html
    assert "BILL-77" in html and "http://xero.test/b/1" in html and "Paid in Xero" in html
    assert "Due date must not be earlier than invoice date" in html and "Correct the due date" in html
    assert "Vendor payment" in html and "Not in Xero yet" in html  # paid: the payment row shows, not synced yet
    assert "&quot;InvoiceNumber&quot;" in html  # the data sent, pretty-printed


def test_the_dropdown_switches_integration(accountant_client, make_document, xero, economic):
    document = make_document()
    attempt(document, economic, reference="SA-ECO0003")
    html = accountant_client.get(tab_url(document), {"integration": economic.pk}, headers=HTMX).content.decode()
    assert "SA-ECO0003" in html and f'<option value="{economic.pk}" selected>' in html


def test_it_polls_while_a_job_is_open_and_stops_after(accountant_client, make_document, xero):
    document = make_document()
    job = open_job(document, xero)
    html = accountant_client.get(tab_url(document), headers=HTMX).content.decode()
    assert 'hx-trigger="every 1s"' in html
    type(job).objects.filter(pk=job.pk).update(state="done")
    html = accountant_client.get(tab_url(document), headers=HTMX).content.decode()
    assert "every 1s" not in html


def test_it_explains_the_log_needs_an_integration(accountant_client, admin_client_, make_document):
    document = make_document()
    html = accountant_client.get(tab_url(document)).content.decode()
    assert "exists only once an integration is connected" in html and "Ask a company admin" in html
    html = admin_client_.get(tab_url(document)).content.decode()
    assert "Connect an integration" in html and reverse("integrations:settings") in html


def test_viewers_see_the_log_but_no_resync_button(viewer_client, make_document, xero):
    document = make_document()
    attempt(document, xero, reference="SA-VIEW001")
    html = viewer_client.get(tab_url(document)).content.decode()
    assert "SA-VIEW001" in html and "Re-sync integration" not in html


def test_it_checks_ownership(accountant_client, make_document, other_company, foreign_integration, xero):
    foreign_document = DocumentFactory(company=other_company)
    assert accountant_client.get(tab_url(foreign_document)).status_code == 404
    document = make_document()
    assert accountant_client.get(tab_url(document), {"integration": foreign_integration.pk}).status_code == 404
    assert accountant_client.get(tab_url(document), {"integration": "abc"}).status_code == 404


def test_it_rejects_post(accountant_client, make_document, xero):
    assert accountant_client.post(tab_url(make_document())).status_code == 405


def test_it_pages_the_log(accountant_client, make_document, xero):
    document = make_document()
    many_attempts(document, xero, 120)
    html = accountant_client.get(tab_url(document), headers=HTMX).content.decode()
    assert html.count('class="log-record') == 50 and "Show older records" in html
    oldest_shown = document.sync_attempts.order_by("-id")[49]
    html = accountant_client.get(tab_url(document), {"before": oldest_shown.pk}, headers=HTMX).content.decode()
    assert html.count('class="log-record') == 50 and 'id="integration-panel"' not in html


def _count(client, document) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(tab_url(document), headers=HTMX).status_code == 200
    return len(ctx.captured_queries)


def test_its_query_count_does_not_grow_with_the_log(accountant_client, make_document, xero):
    document = make_document(status="paid", paid_on="2026-10-10")
    entry(document, xero)
    entry(document, xero, kind="payment")
    many_attempts(document, xero, 10)
    few = _count(accountant_client, document)
    many_attempts_more = 990
    from integrations.models import SyncAttempt

    SyncAttempt.objects.bulk_create(
        [
            SyncAttempt(
                company=document.company,
                document=document,
                integration=xero,
                entry_kind="payment",
                trigger="manual",
                triggered_by_id=None,
                action="update",
                outcome="success",
                reference=f"SA-M{i:06d}",
            )
            for i in range(many_attempts_more)
        ]
    )
    many = _count(accountant_client, document)
    assert few == many, (few, many)
    print(f"integrations tab queries: 10 records={few}, 1,000 records={many}")


def test_a_disabled_integration_is_listed_but_the_enabled_one_is_chosen(
    accountant_client, make_document, company, xero
):
    Integration.objects.create(company=company, kind="economic", name="Aaa old", enabled=False)
    html = accountant_client.get(tab_url(make_document()), headers=HTMX).content.decode()
    assert f'<option value="{xero.pk}" selected>' in html and "— disabled" in html
