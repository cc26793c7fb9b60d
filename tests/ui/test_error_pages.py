"""Issue #14 point 10: styled 403, 404, 405 and 500 pages that say what happened and where to go — with DEBUG
off, as in production."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from tests.factories import DocumentFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("debug_off")]
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def debug_off():
    with override_settings(DEBUG=False):
        yield


def _is_styled_page(html: str) -> bool:
    return "<html" in html and "css/app.css" in html and 'class="card narrow error-page"' in html


def test_a_missing_page_or_another_companys_document_is_a_styled_404(accountant_client, other_company):
    r = accountant_client.get("/no-such-page/", **EN)
    html = r.content.decode()
    assert r.status_code == 404 and _is_styled_page(html) and "This page does not exist" in html
    assert "/no-such-page/" in html and f'href="{reverse("documents:list")}"' in html  # where to go
    foreign = DocumentFactory(company=other_company)
    r = accountant_client.get(reverse("documents:detail", args=[foreign.pk]), HTTP_ACCEPT_LANGUAGE="da")
    assert r.status_code == 404 and "Siden findes ikke" in r.content.decode()


def test_a_forbidden_change_is_a_styled_403_with_the_reason(viewer_client, make_document):
    document = make_document(status="draft")
    r = viewer_client.post(reverse("documents:approve", args=[document.pk]), **EN)
    html = r.content.decode()
    assert r.status_code == 403 and _is_styled_page(html) and "You are not allowed to do that" in html
    assert "Viewers can look but not change anything." in html and "Go to your documents" in html


def test_opening_a_form_address_is_a_styled_405_keeping_the_allow_header(accountant_client, make_document):
    r = accountant_client.get(reverse("documents:approve", args=[make_document().pk]), **EN)
    html = r.content.decode()
    assert r.status_code == 405 and r["Allow"] == "POST" and _is_styled_page(html)
    assert "This address is for a form, not for opening" in html
    # htmx asked for a fragment: it keeps Django's empty answer (no page inside a page).
    r = accountant_client.get(reverse("documents:approve", args=[make_document().pk]), headers={"HX-Request": "true"})
    assert r.status_code == 405 and r.content == b""


def test_a_crash_is_a_styled_500_that_needs_no_database(accountant, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("documents.selectors.document_tabs", broken)
    client = Client(raise_request_exception=False)
    client.force_login(accountant)
    r = client.get(reverse("documents:list"), **EN)
    html = r.content.decode()
    assert r.status_code == 500 and "Something went wrong on Roger" in html and "css/app.css" in html
    assert 'href="/documents/"' in html and "boom" not in html


def test_a_csrf_failure_explains_the_expired_form(accountant, make_document):
    client = Client(enforce_csrf_checks=True)
    client.force_login(accountant)
    r = client.post(reverse("documents:approve", args=[make_document(status="draft").pk]), **EN)
    assert r.status_code == 403 and "The form expired" in r.content.decode()


def test_staff_in_no_company_land_in_the_admin_site_after_login_and_from_roger_s_pages(db):
    """QA walk: the demo operator (staff, in no company) signed in on Roger's login page and got a 403 whose only
    button led back to it."""
    UserFactory(username="operator", is_staff=True)
    client = Client()
    r = client.post(reverse("login"), {"username": "operator", "password": "pw-for-tests"}, follow=True, **EN)
    assert r.redirect_chain[-1][0] == reverse("admin:index") and r.status_code == 200
    for address in ["/", reverse("documents:list"), reverse("integrations:settings")]:
        r = client.get(address, follow=True, **EN)
        assert r.redirect_chain[-1][0] == reverse("admin:index"), address
    # A form or an htmx request is still refused, with a way out that is not Roger's own pages.
    r = client.get(reverse("documents:list"), headers={"HX-Request": "true"}, **EN)
    assert r.status_code == 403
    html = client.post(reverse("integrations:bulk_resync"), {"document_ids": [1]}, **EN).content.decode()
    main = html.split('<main id="main">')[1]
    assert f'href="{reverse("admin:index")}"' in main and f'href="{reverse("documents:list")}"' not in main


def test_a_user_in_no_company_gets_a_403_that_does_not_lead_back_to_itself(db):
    UserFactory(username="lonely")
    client = Client()
    r = client.post(reverse("login"), {"username": "lonely", "password": "pw-for-tests"}, follow=True, **EN)
    html = r.content.decode()
    assert r.status_code == 403 and _is_styled_page(html) and "Your user is not a member of any company." in html
    assert "Ask a company admin to add your user to the company." in html
    assert f'href="{reverse("documents:list")}"' not in html.split('<main id="main">')[1]  # no loop back here
    assert f'action="{reverse("logout")}"' in html.split('<main id="main">')[1]  # the way out: log out
    assert f'href="{reverse("admin:index")}"' not in html  # not staff
