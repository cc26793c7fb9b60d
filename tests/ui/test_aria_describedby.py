"""QA walk (accessibility): every ``aria-describedby`` points at an element of the page.  Django adds
``aria-describedby="id_total_helptext"`` (and ``…_error``) to a field with help text (or errors); the templates
render the help text themselves, so they must give it that id."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def dangling_references(html: str) -> list[str]:
    """The ids that some ``aria-describedby`` names and no element of the page has."""
    ids: set[str] = set()
    wanted: list[str] = []

    class Parser(HTMLParser):
        def handle_starttag(self, tag, attrs):
            attributes = dict(attrs)
            if attributes.get("id"):
                ids.add(attributes["id"])
            wanted.extend((attributes.get("aria-describedby") or "").split())

    Parser().feed(html)
    assert wanted, "the page describes no field: the check would prove nothing"
    return [ref for ref in wanted if ref not in ids]


def test_the_document_page_and_its_forms(accountant_client, make_document, xero):
    document = make_document(currency="EUR")  # a foreign currency: the payment form asks for the bank's amount
    html = accountant_client.get(reverse("documents:detail", args=[document.pk]), **EN).content.decode()
    assert 'aria-describedby="id_total_helptext"' in html and 'aria-describedby="id_bank_amount_helptext"' in html
    assert dangling_references(html) == []
    # A form sent back with errors describes its fields by their errors too.
    r = accountant_client.post(reverse("documents:pay", args=[document.pk]), {"amount": "x"}, **EN)
    assert r.status_code == 422 and "id_amount_error" in r.content.decode()
    assert dangling_references(r.content.decode()) == []


def test_the_new_document_page(accountant_client, xero):
    html = accountant_client.get(reverse("documents:new"), **EN).content.decode()
    assert 'aria-describedby="id_file_helptext"' in html and 'aria-describedby="id_total_helptext"' in html
    assert dangling_references(html) == []
    r = accountant_client.post(reverse("documents:new"), {"kind": "invoice", "total": "-5"}, **EN)
    assert r.status_code == 422 and dangling_references(r.content.decode()) == []


def test_the_integrations_settings(admin_client_, xero, economic):
    html = admin_client_.get(reverse("integrations:settings"), **EN).content.decode()
    assert f'id="id_i{xero.pk}-auto_sync"' in html and f'id="id_i{economic.pk}-book_after_sync"' in html
    assert dangling_references(html) == []
