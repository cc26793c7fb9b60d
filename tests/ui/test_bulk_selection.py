"""Issue #14 points 5–8: a draft among approved documents no longer refuses the batch; "select all N documents
matching this filter" (the filter sent, not the ids), within ROGER_BULK_MAX_DOCUMENTS and in constant queries;
progress and summaries counted in documents with each ERP beside them; Requires attention's groups refresh when
its batch ends, with the progress next to the button that started it."""

from __future__ import annotations

import json

import pytest
from django.conf import settings
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from integrations.models import BulkResync, BulkResyncItem, SyncJob
from tests.ui.conftest import HTMX, bulk_documents, entry

pytestmark = pytest.mark.django_db
BULK_URL = reverse("integrations:bulk_resync")
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def test_drafts_among_approved_documents_are_left_out_not_refusing_the_batch(accountant_client, make_document, xero):
    approved = [make_document(), make_document(status="paid", paid_on="2026-10-05")]
    draft = make_document(status="draft")
    waiting = make_document(status="awaiting_approval")
    ids = [d.pk for d in [*approved, draft, waiting]]
    r = accountant_client.post(BULK_URL, {"document_ids": ids}, headers=HTMX, **EN)
    html = r.content.decode()
    bulk = BulkResync.objects.get()
    assert r.status_code == 200 and "bulk-error" not in html
    assert set(bulk.items.values_list("document_id", flat=True)) == {d.pk for d in approved} and bulk.total == 2
    assert not SyncJob.objects.filter(document__in=[draft, waiting]).exists()
    assert bulk.skipped == {"not_approved": 2}
    assert "2 not approved yet: left out." in html
    BulkResyncItem.objects.filter(bulk=bulk).update(state="done", outcome="updated")
    html = accountant_client.get(reverse("integrations:bulk_status", args=[bulk.pk]), headers=HTMX, **EN).content
    assert "2 selected documents were left out: they are not approved yet" in html.decode()


def test_only_drafts_are_refused_and_an_integration_that_pushes_drafts_gets_them(
    accountant_client, make_document, xero, economic
):
    draft = make_document(status="draft")
    r = accountant_client.post(BULK_URL, {"document_ids": [draft.pk]}, headers=HTMX, **EN)
    assert "None of the selected documents is approved yet" in r.content.decode() and not BulkResync.objects.exists()
    economic.push_drafts = True
    economic.save(update_fields=["push_drafts"])
    approved = make_document()
    accountant_client.post(BULK_URL, {"document_ids": [draft.pk, approved.pk]}, headers=HTMX)
    bulk = BulkResync.objects.get()
    pairs = set(bulk.items.values_list("document_id", "integration_id"))
    assert pairs == {(approved.pk, xero.pk), (approved.pk, economic.pk), (draft.pk, economic.pk)}
    assert bulk.skipped == {"not_approved": 1}  # left out of Xero, which syncs from approval on


def test_selected_ids_from_other_pages_are_queued_too(accountant_client, make_document, xero):
    docs = [make_document() for _ in range(3)]
    data = {"document_ids": [docs[0].pk], "selected_ids": f"{docs[1].pk},{docs[2].pk}"}
    accountant_client.post(BULK_URL, data, headers=HTMX)
    assert set(BulkResync.objects.get().items.values_list("document_id", flat=True)) == {d.pk for d in docs}


def test_select_all_matching_the_filter_sends_the_filter_and_queues_in_constant_queries(
    accountant_client, company, master, xero
):
    bulk_documents(company, master, 20)

    def queue(**filters) -> int:
        BulkResync.objects.all().delete()
        SyncJob.objects.all().delete()
        with CaptureQueriesContext(connection) as ctx:
            r = accountant_client.post(BULK_URL, {"select": "filter", "tab": "unpaid", **filters}, headers=HTMX)
        assert r.status_code == 200 and "bulk-error" not in r.content.decode()
        return len(ctx.captured_queries)

    queue(q="bulk-00001")  # BULK-000010 … BULK-000019, of which the unpaid (even) ones
    bulk = BulkResync.objects.get()
    assert sorted(bulk.items.values_list("document__invoice_number", flat=True)) == [
        f"BULK-0000{i}" for i in range(10, 20, 2)
    ]
    few = queue()
    assert BulkResync.objects.get().total == 10
    bulk_documents(company, master, 2000)
    many = queue()
    assert BulkResync.objects.get().total == 1010 and few == many


def test_select_all_matching_stays_within_the_bulk_limit(accountant_client, company, master, xero):
    bulk_documents(company, master, 60)  # more than a page of 50
    with override_settings(ROGER_SYNC={**settings.ROGER_SYNC, "BULK_MAX_DOCUMENTS": 10}):
        r = accountant_client.post(BULK_URL, {"select": "filter", "tab": "all"}, headers=HTMX, **EN)
        html = r.content.decode()
        assert "The filter matches 60 documents; a bulk re-sync takes at most 10." in html
        assert not BulkResync.objects.exists()
        page = accountant_client.get(reverse("documents:list"), {"tab": "all"}, **EN).content.decode()
        assert "a bulk re-sync takes at most 10. Narrow the filter" in page and 'id="select-all-matching"' not in page
    page = accountant_client.get(reverse("documents:list"), {"tab": "all"}, **EN).content.decode()
    assert 'id="select-all-matching"' in page and "Select all 60 documents matching this filter" in page


def test_progress_and_summary_count_documents_with_each_erp_beside(accountant_client, make_document, xero, economic):
    docs = [make_document() for _ in range(5)]
    accountant_client.post(BULK_URL, {"document_ids": [d.pk for d in docs]}, headers=HTMX)
    bulk = BulkResync.objects.get()
    items = BulkResyncItem.objects.filter(bulk=bulk)
    items.filter(integration=xero, document__in=docs[:3]).update(state="done", outcome="created")
    url = reverse("integrations:bulk_status", args=[bulk.pk])
    html = accountant_client.get(url, headers=HTMX, **EN).content.decode()
    assert "0 of 5 documents" in html and "Xero 3 synced, 2 to go" in html and "e-conomic 5 to go" in html
    items.filter(integration=economic).update(state="done", outcome="unchanged")
    items.filter(integration=xero, document__in=docs[3:4]).update(state="done", outcome="updated")
    items.filter(integration=xero, document__in=docs[4:]).update(state="done", outcome="blocked")
    r = accountant_client.get(url, headers=HTMX, **EN)
    html = r.content.decode()
    assert "5 documents" in html and "Xero 4 synced, 1 blocked" in html and "e-conomic 5 synced" in html
    assert "bulkFinished" in json.loads(r["HX-Trigger"])


def test_resync_these_shows_its_progress_beside_its_button_and_the_groups_refresh(
    accountant_client, make_document, xero
):
    group = [make_document() for _ in range(2)]
    for d in group:
        entry(d, xero, state="failed", needs_attention=True, error_category="setup", error_message="Account 4010")
    page = accountant_client.get(reverse("documents:list"), {"tab": "attention"}, **EN).content.decode()
    assert 'hx-target="#attention-progress-1"' in page and 'id="attention-progress-1"' in page
    assert 'hx-trigger="bulkFinished from:body"' in page  # the groups, and the table, refresh when a batch ends
    assert page.count("bulkFinished from:body") == 2
    r = accountant_client.post(
        reverse("integrations:attention_resync"),
        {"integration": xero.pk, "category": "setup", "message": "Account 4010"},
        headers=HTMX,
        **EN,
    )
    assert "0 of 2 documents" in r.content.decode()
    bulk = BulkResync.objects.get()
    # The batch ends: the entries are synced now, so the group is gone and the section says what happened.
    bulk.items.update(state="done", outcome="updated")
    from integrations.models import ErpEntry

    ErpEntry.objects.filter(document__in=group).update(state="synced", needs_attention=False)
    html = accountant_client.get(reverse("integrations:attention_groups"), {"bulk": bulk.pk}, headers=HTMX, **EN)
    html = html.content.decode()
    assert html.lstrip().startswith('<section class="card attention" id="attention-section"')
    assert "Nothing requires attention." in html and "2 documents" in html and "Xero 2 synced" in html


def test_the_attention_groups_check_ownership(accountant_client, other_company):
    foreign = BulkResync.objects.create(company=other_company, total=0)
    r = accountant_client.get(reverse("integrations:attention_groups"), {"bulk": foreign.pk}, headers=HTMX)
    assert r.status_code == 404


def _bulk_finished_listeners(html: str) -> list[dict[str, str]]:
    """The elements that reload something when a batch ends (``hx-trigger="bulkFinished from:body"``)."""
    from html.parser import HTMLParser

    found: list[dict[str, str]] = []

    class Parser(HTMLParser):
        def handle_starttag(self, tag, attrs):
            attributes = {k: v or "" for k, v in attrs}
            if "bulkFinished" in attributes.get("hx-trigger", ""):
                found.append({"tag": tag, **attributes})

    Parser().feed(html)
    return found


def test_the_table_reloads_the_page_it_was_on_when_a_batch_ends(accountant_client, company, master, xero):
    """QA walk: a re-sync started on page 2 reloaded page 1 (the filter form, which carries no page, answered the
    event and pushed its own address).  The table reloads the address that drew it: page, filter and order."""
    bulk_documents(company, master, 120)  # all: three pages of 50; unpaid: two
    query = {"tab": "unpaid", "q": "BULK", "sort": "total", "page": "2"}
    html = accountant_client.get(reverse("documents:list"), query, **EN).content.decode()
    [table] = [e for e in _bulk_finished_listeners(html) if e.get("hx-target") == "#document-table"]
    assert table["tag"] != "form" and "hx-push-url" not in table
    url = table["hx-get"]
    assert url.startswith(reverse("documents:list") + "?")
    assert {"page=2", "sort=total", "q=BULK", "tab=unpaid"} <= set(url.split("?")[1].split("&"))
    again = accountant_client.get(url, headers=HTMX, **EN).content.decode()
    assert again.lstrip().startswith('<div id="document-table"') and "Page 2 of 2 · 60 documents" in again
    # A table drawn by an htmx filter change (its address pushed) reloads that address, not the first page.
    html = accountant_client.get(reverse("documents:list"), {**query, "tab": "all", "page": "3"}, headers=HTMX)
    [table] = _bulk_finished_listeners(html.content.decode())
    assert {"page=3", "tab=all"} <= set(table["hx-get"].split("?")[1].split("&"))
    again = accountant_client.get(table["hx-get"], headers=HTMX, **EN).content.decode()
    assert "Page 3 of 3 · 120 documents" in again
