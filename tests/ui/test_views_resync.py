from __future__ import annotations

import json

import pytest
from django.urls import reverse

from integrations.models import SyncJob
from tests.factories import DocumentFactory
from tests.ui.conftest import HTMX

pytestmark = pytest.mark.django_db


def modal_url(document) -> str:
    return reverse("integrations:resync_modal", args=[document.pk])


def plan_url(document) -> str:
    return reverse("integrations:resync_plan", args=[document.pk])


def submit_url(document) -> str:
    return reverse("integrations:resync_submit", args=[document.pk])


def test_it_returns_the_dialog_for_htmx(accountant_client, make_document, xero, fake_plan):
    document = make_document()
    r = accountant_client.get(modal_url(document), {"integration": xero.pk}, headers=HTMX)
    html = r.content.decode()
    assert r.status_code == 200 and html.lstrip().startswith("<dialog") and "data-onload-showmodal" in html
    assert "<html" not in html and "Vendor bill" in html
    assert "Vendor payment" not in html  # R7: no payment choice for an Unpaid document
    assert (
        "<del>1,000.00</del>" in html and "<ins>1,250.00</ins>" in html
    )  # the plan's diff, as the user writes amounts
    assert fake_plan[1] == [{"document": document.pk, "integration": xero.pk, "kinds": ["bill"]}]


def test_it_renders_a_full_page_without_htmx(accountant_client, make_document, xero, fake_plan):
    html = accountant_client.get(modal_url(make_document()), {"integration": xero.pk}).content.decode()
    assert "<html" in html and "<dialog" not in html and 'id="resync-form"' in html


def test_it_offers_the_payment_for_a_paid_document(accountant_client, make_document, xero, fake_plan):
    document = make_document(status="paid", paid_on="2026-10-10")
    html = accountant_client.get(modal_url(document), {"integration": xero.pk}, headers=HTMX).content.decode()
    assert 'value="payment"' in html and "Vendor payment" in html


def test_it_shows_the_plan_for_the_chosen_entry(accountant_client, make_document, xero, fake_plan):
    from integrations.sync.planning import EntryPlan

    answer, _ = fake_plan
    answer["payment"] = EntryPlan(
        kind="payment", action="blocked", reason="The payment is reconciled in Xero", hint="Unreconcile it in Xero"
    )
    document = make_document(status="paid", paid_on="2026-10-10")
    r = accountant_client.get(plan_url(document), {"integration": xero.pk, "kind": "payment"}, headers=HTMX)
    html = r.content.decode()
    assert 'data-action="blocked"' in html and "The payment is reconciled in Xero" in html
    assert "Unreconcile it in Xero" in html and "<dialog" not in html


def test_an_erp_failure_in_the_plan_is_shown_not_raised(accountant_client, make_document, xero, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("Xero is down")

    monkeypatch.setattr("integrations.sync.planning.plan_document", broken)
    html = accountant_client.get(modal_url(make_document()), {"integration": xero.pk}, headers=HTMX).content.decode()
    assert 'data-action="error"' in html and "Could not read Xero" in html


def test_it_queues_the_resync_and_closes_the_modal(accountant_client, accountant, make_document, xero, fake_plan):
    document = make_document()
    r = accountant_client.post(submit_url(document), {"integration": xero.pk, "kind": "bill"}, headers=HTMX)
    assert r.status_code == 204
    events = json.loads(r["HX-Trigger"])
    job = SyncJob.objects.get(document=document, integration=xero)
    assert events["closeModal"] == {} and events["syncStarted"] == {"job": job.pk, "integration": xero.pk}
    assert "Re-sync of the vendor bill to Xero queued." in events["toast"]["items"][0]["text"]
    assert (job.trigger, job.want_bill, job.want_payment, job.requested_by_id) == ("manual", True, False, accountant.pk)


def test_without_htmx_it_redirects_to_the_tab(accountant_client, make_document, xero, fake_plan):
    document = make_document()
    r = accountant_client.post(submit_url(document), {"integration": xero.pk, "kind": "bill"})
    assert r.status_code == 302 and r["Location"].startswith(reverse("integrations:document_tab", args=[document.pk]))


def test_it_refuses_the_payment_of_an_unpaid_document(accountant_client, make_document, xero, fake_plan):
    document = make_document()
    r = accountant_client.post(submit_url(document), {"integration": xero.pk, "kind": "payment"}, headers=HTMX)
    assert r.status_code == 200 and 'id="resync-form"' in r.content.decode() and "errorlist" in r.content.decode()
    assert not SyncJob.objects.exists()


def test_it_shows_the_engines_refusal(accountant_client, make_document, xero, fake_plan):
    document = make_document(status="draft")
    r = accountant_client.post(submit_url(document), {"integration": xero.pk, "kind": "bill"}, headers=HTMX)
    assert r.status_code == 200 and "approve it first" in r.content.decode()


def test_it_requires_rw_access(viewer_client, make_document, xero, fake_plan):
    document = make_document()
    assert viewer_client.get(modal_url(document), {"integration": xero.pk}).status_code == 403
    assert viewer_client.get(plan_url(document), {"integration": xero.pk}).status_code == 403
    r = viewer_client.post(submit_url(document), {"integration": xero.pk, "kind": "bill"}, headers=HTMX)
    assert r.status_code == 403 and not SyncJob.objects.exists()


def test_it_checks_ownership(accountant_client, make_document, other_company, foreign_integration, xero, fake_plan):
    foreign = DocumentFactory(company=other_company)
    document = make_document()
    assert accountant_client.get(modal_url(foreign), {"integration": xero.pk}).status_code == 404
    assert accountant_client.post(submit_url(foreign), {"integration": xero.pk, "kind": "bill"}).status_code == 404
    assert accountant_client.get(modal_url(document), {"integration": foreign_integration.pk}).status_code == 404
    r = accountant_client.post(submit_url(document), {"integration": foreign_integration.pk, "kind": "bill"})
    assert r.status_code == 404 and not SyncJob.objects.exists()


def test_it_rejects_get_on_submit(accountant_client, make_document, xero):
    assert accountant_client.get(submit_url(make_document())).status_code == 405
    assert accountant_client.post(modal_url(make_document())).status_code == 405
