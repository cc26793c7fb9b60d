"""Issue #14 points 5 and 6 in a real browser, in each language: a draft among approved documents is left out
(the batch runs), and a selection kept across pages or "all documents matching this filter"."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from integrations.models import BulkResync, ErpEntry
from tests.browser.conftest import login, t, tn
from tests.factories import DocumentFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def tick(page, document) -> None:
    page.locator(f"#doc-{document.pk} td.select-col").hover()
    page.locator(f"#sel-{document.pk}").check()


def test_a_draft_among_approved_documents_is_left_out_and_the_rest_syncs(page, live_server, scene, shots, lang):
    company = scene["integration"].company
    master = {k: getattr(scene["documents"][0], k) for k in ("vendor", "category", "vat_code", "department")}
    draft = DocumentFactory(company=company, invoice_number="DRAFT-1", status="draft", **master)
    login(page, live_server.url, "bob")
    for document in [*scene["documents"][:2], draft]:
        tick(page, document)
    expect(page.locator("#bulk-resync")).to_have_text(f"{t(lang, 'Re-sync')} (3)")
    page.click("#bulk-resync")
    summary = page.locator("#bulk-bar .bulk-summary")
    expect(summary).to_contain_text(f"Xero {t(lang, '%(n)s synced', n=2)}", timeout=30_000)
    expect(summary).to_contain_text(tn(lang, "%(counter)s document", "%(counter)s documents", 2))
    expect(summary.locator(".bulk-skipped")).to_contain_text(
        tn(
            lang,
            "%(counter)s selected document was left out: it is not approved yet, and only approved documents sync.",
            "%(counter)s selected documents were left out: they are not approved yet, and only approved documents "
            "sync.",
            1,
        )
    )
    shots(page, "draft-left-out", full_page=False)
    assert not ErpEntry.objects.filter(document=draft).exists()


def test_a_selection_across_pages_and_all_documents_matching_the_filter(page, live_server, scene, shots, lang):
    company = scene["integration"].company
    first = scene["documents"][0]
    master = {k: getattr(first, k) for k in ("vendor", "category", "vat_code", "department")}
    for i in range(55):  # 61 documents: two pages of 50
        DocumentFactory(
            company=company,
            invoice_number=f"MORE-{i:03d}",
            issue_date=dt.date(2026, 9, 1),
            total=Decimal("100.00") + i,
            vat=Decimal("20.00"),
            status="approved",
            **master,
        )
    login(page, live_server.url, "bob")
    on_page_one = page.locator("input[name='document_ids']").first
    on_page_one.check(force=True)
    page.click(f".pagination a:has-text('{t(lang, 'Next')}')")
    page.wait_for_url("**page=2**")
    page.locator("input[name='document_ids']").first.check(force=True)
    expect(page.locator("#bulk-resync")).to_have_text(f"{t(lang, 'Re-sync')} (2)")  # kept across pages
    expect(page.locator("#bulk-selected")).to_contain_text(t(lang, "%(count)s of them on other pages.", count=1))
    shots(page, "selection-across-pages", full_page=False)
    page.evaluate("document.getElementById('document-table').dataset.before = 'batch'")
    page.click("#bulk-resync")
    expect(page.locator("#bulk-bar .bulk-summary")).to_contain_text(
        tn(lang, "%(counter)s document", "%(counter)s documents", 2), timeout=30_000
    )
    # The table reloads when the batch ends, on the page it was on (QA walk: it jumped back to page 1).
    expect(page.locator("#document-table:not([data-before])")).to_have_count(1)
    expect(page.locator(".pagination")).to_contain_text(
        tn(
            lang,
            "Page %(number)s of %(pages)s · %(counter)s document",
            "Page %(number)s of %(pages)s · %(counter)s documents",
            61,
            number=2,
            pages=2,
        )
    )
    assert "page=2" in page.url

    page.goto(f"{live_server.url}/documents/")
    page.check("#select-all", force=True)
    offer = page.locator("#select-matching")
    expect(offer).to_be_visible()
    page.click("#select-all-matching")
    expect(page.locator("#bulk-selected")).to_contain_text(
        t(lang, "All %(count)s documents matching this filter are selected.", count=61)
    )
    expect(page.locator("#bulk-resync")).to_have_text(f"{t(lang, 'Re-sync')} (61)")
    shots(page, "all-matching-selected", full_page=False)
    page.click("#bulk-resync")
    summary = page.locator("#bulk-bar .bulk-summary")
    expect(summary).to_contain_text(f"Xero {t(lang, '%(n)s synced', n=61)}", timeout=60_000)
    bulk = BulkResync.objects.latest("created_at")
    assert bulk.total == 61 and bulk.items.count() == 61
    shots(page, "all-matching-synced", full_page=False)
