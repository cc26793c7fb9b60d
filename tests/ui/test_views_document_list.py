from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from integrations.models import ErpEntry
from tests.factories import VendorFactory
from tests.ui.conftest import HTMX, bulk_documents, entry, open_job

pytestmark = pytest.mark.django_db
URL = reverse("documents:list")


def test_it_renders_the_full_page_with_tabs_and_counts(accountant_client, make_document, xero):
    make_document(invoice_number="U-1")
    make_document(invoice_number="P-1", status="paid", paid_on="2026-10-05")
    failed = make_document(invoice_number="F-1")
    entry(
        failed,
        xero,
        state="failed",
        needs_attention=True,
        error_category="setup",
        error_message="Account 4010 is not mapped",
    )
    r = accountant_client.get(URL)
    html = r.content.decode()
    assert r.status_code == 200 and "<html" in html
    assert 'data-count="all">3<' in html and 'data-count="unpaid">2<' in html and 'data-count="paid">1<' in html
    assert 'data-count="attention">1<' in html and "Requires attention" in html
    assert 'id="bulk-resync"' in html and 'name="document_ids"' in html and 'id="select-all"' in html
    assert r["Vary"] and "HX-Request" in r["Vary"]


def test_it_renders_only_the_table_for_htmx(accountant_client, make_document, xero):
    make_document(invoice_number="U-1")
    r = accountant_client.get(URL, {"q": "U-1"}, headers=HTMX)
    html = r.content.decode()
    assert 'id="document-table"' in html and "<html" not in html and "U-1" in html and 'id="row-ids"' in html


def test_it_shows_one_badge_per_integration_with_its_state(accountant_client, make_document, xero, economic):
    synced = make_document(invoice_number="S-1")
    entry(synced, xero)
    queued = make_document(invoice_number="Q-1")
    open_job(queued, xero)
    blocked = make_document(invoice_number="B-1")
    entry(blocked, xero, state="blocked", booked=True, booked_reason="The bill is paid in Xero")
    html = accountant_client.get(URL).content.decode()
    assert html.count(f'data-integration="{xero.pk}"') == 3 and html.count(f'data-integration="{economic.pk}"') == 3
    assert 'data-state="synced"' in html and 'data-state="queued"' in html and 'data-state="blocked"' in html
    assert "The bill is paid in Xero" in html  # the tooltip
    assert 'data-state="not_synced"' in html  # e-conomic has none of them


@pytest.mark.parametrize(
    ("state", "shown", "hidden"),
    [("synced", "S-1", "F-1"), ("failed", "F-1", "S-1"), ("queued", "Q-1", "S-1"), ("not_synced", "N-1", "S-1")],
)
def test_it_filters_by_sync_state(accountant_client, make_document, xero, state, shown, hidden):
    entry(make_document(invoice_number="S-1"), xero)
    entry(make_document(invoice_number="F-1"), xero, state="failed", needs_attention=True)
    open_job(make_document(invoice_number="Q-1"), xero)
    make_document(invoice_number="N-1")
    html = accountant_client.get(URL, {"sync": state}, headers=HTMX).content.decode()
    assert shown in html and hidden not in html


def test_it_lists_requires_attention_grouped_by_cause(accountant_client, make_document, xero):
    for i in range(3):
        entry(
            make_document(invoice_number=f"F-{i}"),
            xero,
            state="failed",
            needs_attention=True,
            error_category="setup",
            error_message="Account 4010 is not mapped in Xero",
            error_hint="Map the category",
        )
    entry(make_document(invoice_number="OK-1"), xero)
    html = accountant_client.get(URL, {"tab": "attention"}).content.decode()
    assert "3 documents</strong>: Account 4010 is not mapped in Xero" in html
    assert "F-0" in html and "OK-1" not in html and "Re-sync these" in html
    assert "An admin can fix this" in html  # accountants can't open the settings


def test_admins_get_a_link_to_the_mapping_that_fixes_it(admin_client_, make_document, xero):
    entry(make_document(), xero, state="failed", needs_attention=True, error_category="setup", error_message="x")
    html = admin_client_.get(URL, {"tab": "attention"}).content.decode()
    assert f"#mappings-{xero.pk}" in html and "Fix the mapping" in html


def test_viewers_see_no_selection_or_resync_controls(viewer_client, make_document, xero):
    make_document()
    html = viewer_client.get(URL).content.decode()
    assert 'name="document_ids"' not in html and "bulk-resync" not in html and 'id="select-all"' not in html


def test_the_vendor_filter_lists_the_companys_vendors_and_keeps_the_choice(accountant_client, company, other_company):
    chosen = VendorFactory(company=company, name="Bølger & <Søn> A/S")
    VendorFactory(company=company, name="Atlas Travel Ltd")
    VendorFactory(company=other_company, name="Foreign Vendor")
    html = accountant_client.get(URL, {"vendor": str(chosen.pk)}).content.decode()
    assert f'<option value="{chosen.pk}" selected>Bølger &amp; &lt;Søn&gt; A/S</option>' in html
    assert "Atlas Travel Ltd</option>" in html and "Foreign Vendor" not in html
    assert html.index("Atlas Travel Ltd") < html.index("Bølger")  # by name


def test_it_paginates_keeping_the_filters(accountant_client, company, master, xero):
    bulk_documents(company, master, 120)
    html = accountant_client.get(URL, {"sort": "total", "tab": "all"}).content.decode()
    assert "Page 1 of 3" in html and "sort=total&amp;tab=all&amp;page=2" in html


def _count_queries(client, **params) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(URL, params)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_its_query_count_does_not_grow_with_the_documents(accountant_client, company, master, xero, economic):
    docs = bulk_documents(company, master, 10)
    for d in docs[:5]:
        entry(d, xero)
    few = _count_queries(accountant_client)
    few_attention = _count_queries(accountant_client, tab="attention", sync="synced")
    docs = bulk_documents(company, master, 9990)
    ErpEntry.objects.bulk_create(
        [ErpEntry(document=d, integration=xero, kind="bill", erp_id=f"x{d.pk}", state="synced") for d in docs[:3000]]
    )
    many = _count_queries(accountant_client)
    many_attention = _count_queries(accountant_client, tab="attention", sync="synced")
    assert few == many, (few, many)
    assert few_attention == many_attention
    print(f"document list queries: 10 docs={few}, 10,000 docs={many}")
