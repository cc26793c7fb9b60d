from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from documents import services
from documents.models import Document
from tests.factories import DocumentFactory

pytestmark = pytest.mark.django_db

POST_VIEWS = ["documents:edit", "documents:approve", "documents:submit", "documents:pay", "documents:mark_paid"]


def test_it_shows_the_login_page(client):
    r = client.get(reverse("login"))
    assert r.status_code == 200 and b"Log in to Roger" in r.content


def test_it_redirects_anonymous_users_to_login(client):
    r = client.get(reverse("documents:list"))
    assert r.status_code == 302 and r["Location"].startswith(reverse("login"))


def test_it_logs_in_and_lists_the_company_documents(client, accountant, company, other_company):
    DocumentFactory(company=company, invoice_number="OURS-1")
    DocumentFactory(company=other_company, invoice_number="THEIRS-1")
    r = client.post(reverse("login"), {"username": "bob", "password": "pw-for-tests"})
    assert r.status_code == 302
    r = client.get(reverse("documents:list"))
    assert b"OURS-1" in r.content and b"THEIRS-1" not in r.content


def test_it_renders_only_the_table_for_htmx(accountant_client, company):
    DocumentFactory(company=company, invoice_number="OURS-1")
    r = accountant_client.get(reverse("documents:list"), headers={"HX-Request": "true"})
    assert b'id="document-table"' in r.content and b"<html" not in r.content and b"OURS-1" in r.content


def test_it_filters_by_tab(accountant_client, company):
    DocumentFactory(company=company, invoice_number="UNPAID-1")
    DocumentFactory(company=company, invoice_number="PAID-1", status="paid", paid_on="2026-10-10")
    r = accountant_client.get(reverse("documents:list"), {"tab": "paid"})
    assert b"PAID-1" in r.content and b"UNPAID-1" not in r.content


def test_it_shows_a_document(accountant_client, company):
    document = DocumentFactory(company=company, invoice_number="SHOW-1")
    r = accountant_client.get(reverse("documents:detail", args=[document.pk]))
    assert r.status_code == 200 and b"SHOW-1" in r.content


def test_it_shows_the_paid_amount_in_cents_and_vat_labels(accountant_client, company):
    document = DocumentFactory(company=company, status="approved", total=Decimal("2445.72"), vat=Decimal("0"))
    services.payment_register(document=document, amount=Decimal("1000.10"), paid_on=document.issue_date, actor=None)
    services.payment_register(document=document, amount=Decimal("445.62"), paid_on=document.issue_date, actor=None)
    r = accountant_client.get(reverse("documents:detail", args=[document.pk]))
    assert "Partly paid: 1,445.72 DKK of 2,445.72 DKK" in r.content.decode()
    assert b">VAT code" in r.content and b">Vat" not in r.content


def test_it_checks_ownership_on_every_view(accountant_client, other_company):
    foreign = DocumentFactory(company=other_company)
    assert accountant_client.get(reverse("documents:detail", args=[foreign.pk])).status_code == 404
    assert accountant_client.get(reverse("documents:by_public_id", args=[foreign.public_id])).status_code == 404
    for name in POST_VIEWS:
        assert accountant_client.post(reverse(name, args=[foreign.pk])).status_code == 404, name


def test_it_requires_rw_access_on_every_change(viewer_client, company):
    document = DocumentFactory(company=company, status="draft")
    for name in POST_VIEWS:
        assert viewer_client.post(reverse(name, args=[document.pk])).status_code == 403, name
    assert Document.objects.get(pk=document.pk).status == "draft"


def test_viewers_see_no_edit_controls(viewer_client, company):
    document = DocumentFactory(company=company)
    r = viewer_client.get(reverse("documents:detail", args=[document.pk]))
    assert r.status_code == 200 and b"Register payment" not in r.content and b">Save<" not in r.content


def test_it_rejects_get_on_state_changes(accountant_client, company):
    document = DocumentFactory(company=company)
    for name in POST_VIEWS:
        assert accountant_client.get(reverse(name, args=[document.pk])).status_code == 405, name


def test_it_saves_an_edit_and_bumps_the_version(accountant_client, company):
    document = DocumentFactory(company=company)
    data = {
        "vendor": document.vendor_id,
        "invoice_number": "NEW-7",
        "issue_date": "2026-10-01",
        "due_date": "2026-10-31",
        "currency": "DKK",
        "total": "1250.00",
        "vat": "250.00",
        "vat_code": document.vat_code_id,
        "category": document.category_id,
        "department": document.department_id,
        "description": "Changed",
    }
    r = accountant_client.post(reverse("documents:edit", args=[document.pk]), data)
    assert r.status_code == 302
    document.refresh_from_db()
    assert document.invoice_number == "NEW-7" and document.version == 2


def test_it_shows_field_errors_and_saves_nothing(accountant_client, company):
    document = DocumentFactory(company=company)
    data = {
        "vendor": document.vendor_id,
        "invoice_number": "X",
        "issue_date": "2026-10-01",
        "due_date": "2026-10-31",
        "currency": "DKK",
        "total": "200.00",
        "vat": "250.00",
        "description": "",
    }
    r = accountant_client.post(reverse("documents:edit", args=[document.pk]), data)
    assert r.status_code == 422 and b"VAT cannot be more than the total" in r.content
    assert Document.objects.get(pk=document.pk).invoice_number != "X"


def test_csrf_is_enforced_on_posts(company, accountant):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(accountant)
    document = DocumentFactory(company=company, status="draft")
    assert client.post(reverse("documents:approve", args=[document.pk])).status_code == 403
    page = client.get(reverse("documents:detail", args=[document.pk]))
    token = page.context["csrf_token"]
    r = client.post(reverse("documents:approve", args=[document.pk]), headers={"X-CSRFToken": str(token)})
    assert r.status_code == 302 and Document.objects.get(pk=document.pk).status == "approved"
