from __future__ import annotations

import json
import re

import pytest
from django.urls import reverse

from integrations.models import BulkResync, BulkResyncItem, SyncJob
from tests.factories import DocumentFactory
from tests.ui.conftest import HTMX, entry

pytestmark = pytest.mark.django_db
BULK_URL = reverse("integrations:bulk_resync")


def status_url(bulk) -> str:
    return reverse("integrations:bulk_status", args=[bulk.pk])


def test_it_queues_a_bulk_resync_and_starts_polling(accountant_client, make_document, xero):
    docs = [make_document() for _ in range(3)]
    row_ids = ",".join(str(d.pk) for d in docs)
    r = accountant_client.post(
        BULK_URL, {"document_ids": [d.pk for d in docs], "row_ids": row_ids, "tab": "all"}, headers=HTMX
    )
    html = r.content.decode()
    bulk = BulkResync.objects.get()
    assert r.status_code == 200 and bulk.total == 3 and SyncJob.objects.filter(bulk=bulk).count() == 3
    assert json.loads(r["HX-Trigger"])["bulkStarted"] == {"bulk": bulk.pk, "total": 3}
    assert "bulk-started" in html and "bulk-check" in html  # the confirming animation
    assert 'hx-trigger="every 1s"' in html and "0 of 3 documents" in html
    # the rows on screen get their badges out of band, now "queued"
    assert html.count('hx-swap-oob="true"') == 3 and html.count('data-state="queued"') == 3


def test_without_htmx_it_redirects_to_the_progress_page(accountant_client, make_document, xero):
    r = accountant_client.post(BULK_URL, {"document_ids": [make_document().pk]})
    bulk = BulkResync.objects.get()
    assert r.status_code == 302 and r["Location"] == status_url(bulk)
    html = accountant_client.get(status_url(bulk)).content.decode()
    assert "<html" in html and "0 of 1 document" in html


def test_it_reports_progress_then_a_summary_and_stops_polling(accountant_client, make_document, xero):
    docs = [make_document() for _ in range(3)]
    accountant_client.post(BULK_URL, {"document_ids": [d.pk for d in docs]}, headers=HTMX)
    bulk = BulkResync.objects.get()
    items = list(BulkResyncItem.objects.filter(bulk=bulk).order_by("id"))
    BulkResyncItem.objects.filter(pk=items[0].pk).update(state="done", outcome="created")
    r = accountant_client.get(status_url(bulk), {"row_ids": ",".join(str(d.pk) for d in docs)}, headers=HTMX)
    assert "1 of 3 documents" in r.content.decode() and "every 1s" in r.content.decode() and "HX-Trigger" not in r
    BulkResyncItem.objects.filter(pk=items[1].pk).update(state="done", outcome="updated")
    BulkResyncItem.objects.filter(pk=items[2].pk).update(state="done", outcome="failed")
    SyncJob.objects.update(state="done")
    entry(docs[0], xero)
    entry(docs[2], xero, state="failed", needs_attention=True, error_message="Account missing")
    r = accountant_client.get(status_url(bulk), {"row_ids": ",".join(str(d.pk) for d in docs)}, headers=HTMX)
    html = r.content.decode()
    assert "every 1s" not in html and "3 documents" in html and "Xero 2 synced, 1 failed" in html
    assert "?tab=attention" in html and ">See Requires attention</a>." in html
    assert json.loads(r["HX-Trigger"])["bulkFinished"] == {"bulk": bulk.pk, "failed": 1}
    # QA walk: "…only approved documents sync. see Requires attention": no sentence of the summary starts in
    # lowercase, in either language.
    for language in ("en", "da"):
        r = accountant_client.get(status_url(bulk), headers=HTMX, HTTP_ACCEPT_LANGUAGE=language)
        summary = r.content.decode().split('class="bulk-summary"')[1].split('<div id="document-table"')[0]
        text = " ".join(re.sub(r"<[^>]+>", " ", summary.split(">", 1)[1]).split())
        assert "Xero" in text and not re.search(r"\. [a-zæøå]", text), (language, text)
    assert 'id="list-tabs" role="list" hx-swap-oob="true"' in html and 'data-count="attention">1<' in html
    assert 'data-state="synced"' in html and 'data-state="failed"' in html


def test_it_shows_a_refusal(accountant_client, make_document, company):
    r = accountant_client.post(BULK_URL, {"document_ids": [make_document().pk]}, headers=HTMX)
    assert r.status_code == 200 and "bulk-error" in r.content.decode() and "Connect and enable" in r.content.decode()
    assert "toast" in json.loads(r["HX-Trigger"])


def test_it_requires_rw_access(viewer_client, make_document, xero):
    r = viewer_client.post(BULK_URL, {"document_ids": [make_document().pk]}, headers=HTMX)
    assert r.status_code == 403 and not BulkResync.objects.exists()


def test_it_checks_ownership(accountant_client, make_document, other_company, xero, foreign_integration):
    foreign = DocumentFactory(company=other_company)
    r = accountant_client.post(BULK_URL, {"document_ids": [make_document().pk, foreign.pk]}, headers=HTMX)
    assert r.status_code == 404 and not BulkResync.objects.exists()
    r = accountant_client.post(
        BULK_URL, {"document_ids": [make_document().pk], "integration": foreign_integration.pk}, headers=HTMX
    )
    assert r.status_code == 404
    other_bulk = BulkResync.objects.create(company=other_company, total=0)
    assert accountant_client.get(status_url(other_bulk)).status_code == 404


def test_it_rejects_get(accountant_client):
    assert accountant_client.get(BULK_URL).status_code == 405
    assert accountant_client.get(reverse("integrations:attention_resync")).status_code == 405


def test_resync_these_resyncs_one_attention_group(accountant_client, make_document, xero):
    group = [make_document() for _ in range(2)]
    for d in group:
        entry(d, xero, state="failed", needs_attention=True, error_category="setup", error_message="Account 4010")
    other = make_document()
    entry(other, xero, state="failed", needs_attention=True, error_category="validation", error_message="Bad date")
    r = accountant_client.post(
        reverse("integrations:attention_resync"),
        {"integration": xero.pk, "category": "setup", "message": "Account 4010"},
        headers=HTMX,
    )
    assert r.status_code == 200 and "bulkStarted" in json.loads(r["HX-Trigger"])
    bulk = BulkResync.objects.get()
    assert set(bulk.items.values_list("document_id", flat=True)) == {d.pk for d in group}


def test_resync_these_checks_roles_and_ownership(viewer_client, accountant_client, foreign_integration, xero):
    data = {"integration": xero.pk, "category": "setup", "message": "x"}
    assert viewer_client.post(reverse("integrations:attention_resync"), data).status_code == 403
    data["integration"] = foreign_integration.pk
    assert accountant_client.post(reverse("integrations:attention_resync"), data).status_code == 404


def test_booked_e_conomic_documents_are_one_cause_whatever_their_voucher(accountant_client, make_document, economic):
    booked = [make_document(invoice_number=f"INV-{voucher}") for voucher in (30, 37)]
    for document, voucher in zip(booked, (30, 37), strict=True):
        reason = f"Booked in e-conomic (voucher {voucher})"
        entry(
            document,
            economic,
            erp_number=str(voucher),
            state="blocked",
            booked=True,
            booked_reason=reason,
            needs_attention=True,
            error_category="booked",
            error_message=reason,
            error_hint="Booked entries cannot change; post a correction (counter-entry) in e-conomic",
        )
    html = accountant_client.get(reverse("documents:list"), {"tab": "attention"}).content.decode()
    section = html[
        html.index('id="attention-section"') : html.index("</section>", html.index('id="attention-section"'))
    ]
    assert section.count('class="attention-group"') == 1
    assert "2 documents</strong>: Booked in e-conomic\n" in section and "voucher" not in section
    assert "Booked in e-conomic (voucher 30)" in html and "Booked in e-conomic (voucher 37)" in html  # on the rows
    message = section.split('name="message" value="')[1].split('"')[0]
    r = accountant_client.post(
        reverse("integrations:attention_resync"),
        {"integration": economic.pk, "category": "booked", "message": message},
        headers=HTMX,
    )
    assert r.status_code == 200
    assert set(BulkResync.objects.get().items.values_list("document_id", flat=True)) == {d.pk for d in booked}
