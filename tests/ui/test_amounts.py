"""R18 / issue #14 point 1: amounts are read and shown in the user's language, an input that could be misread is
refused with how it was read, and a total that changes tenfold waits for a confirmation before anything is saved
or synced."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from documents.models import Document
from integrations.models import SyncJob
from roger.amounts import read_amount

pytestmark = pytest.mark.django_db

DA = {"HTTP_ACCEPT_LANGUAGE": "da-DK,da;q=0.9"}
EN = {"HTTP_ACCEPT_LANGUAGE": "en-GB,en;q=0.9"}


@pytest.mark.parametrize(
    ("language", "typed", "amount"),
    [
        ("da", "2053,48", "2053.48"),
        ("da", "2.053,48", "2053.48"),
        ("da", "2053.48", "2053.48"),  # a decimal point followed by two digits is no Danish grouping
        ("da", "1.234.567", "1234567"),
        ("da", ",50", "0.50"),
        ("en", "2,053.48", "2053.48"),
        ("en", "2053.48", "2053.48"),
        ("en", "1,234,567.8", "1234567.8"),
    ],
)
def test_it_reads_amounts_as_the_language_writes_them(language, typed, amount):
    with translation.override(language):
        assert read_amount(typed) == Decimal(amount)


@pytest.mark.parametrize(
    ("language", "typed", "code", "shown"),
    [
        # One thousands separator and three digits: 1250 here, 1.25 to a reader of the other notation.
        (
            "da",
            "1.250",
            "amount_ambiguous",
            "Roger læser det som 1.250,00, men hvor “.” er decimaltegn, betyder det 1,25",
        ),
        (
            "en",
            "1,250",
            "amount_ambiguous",
            "Roger reads it as 1,250.00, but where “,” is the decimal separator it means 1.25",
        ),
        # The issue's case: an English reading silently multiplied this by 100.
        ("en", "2053,48", "amount_misplaced_separator", "it would read as 205,348.00"),
        ("en", "2.053,48", "amount_other_notation", "here it is 2,053.48"),
        ("da", "2,053.48", "amount_other_notation", "her er det 2.053,48"),
        ("en", "2.053", "amount_decimals", "Did you mean 2,053.00?"),
        ("da", "2 053,48", "amount_unreadable", "Skriv det som 2.053,48 eller 2053.48"),
        ("en", "12 EUR", "amount_unreadable", "Write it like 2,053.48 or 2053.48"),
    ],
)
def test_it_refuses_what_could_be_misread_saying_how_it_was_read(language, typed, code, shown):
    with translation.override(language), pytest.raises(ValidationError) as refused:
        read_amount(typed)
    assert refused.value.code == code and shown in refused.value.messages[0]  # in the user's language


def _edit_data(document: Document, **changes) -> dict:
    data = {
        "vendor": document.vendor_id,
        "invoice_number": document.invoice_number,
        "issue_date": document.issue_date.isoformat(),
        "due_date": document.due_date.isoformat() if document.due_date else "",
        "currency": document.currency,
        "total": "1.250,00",
        "vat": "250,00",
        "vat_code": document.vat_code_id,
        "category": document.category_id,
        "department": document.department_id,
        "description": document.description,
    }
    return data | changes


def edit_url(document) -> str:
    return reverse("documents:edit", args=[document.pk])


def test_a_danish_accountant_saves_2053_comma_48(accountant_client, make_document, xero):
    document = make_document(total=Decimal("1250.00"), vat=Decimal("250.00"))
    r = accountant_client.post(edit_url(document), _edit_data(document, total="2053,48", vat="410,70"), **DA)
    assert r.status_code == 302
    document.refresh_from_db()
    assert (document.total, document.vat) == (Decimal("2053.48"), Decimal("410.70"))
    html = accountant_client.get(reverse("documents:detail", args=[document.pk]), **DA).content.decode()
    assert 'value="2.053,48"' in html and "2.053,48 DKK" in html  # shown back as Danish writes it


def test_an_english_reading_of_a_decimal_comma_is_refused_and_nothing_is_synced(accountant_client, make_document, xero):
    document = make_document(total=Decimal("1250.00"), vat=Decimal("250.00"))
    jobs_before = SyncJob.objects.count()
    r = accountant_client.post(edit_url(document), _edit_data(document, total="2053,48", vat="250.00"), **EN)
    html = r.content.decode()
    assert r.status_code == 422 and "it would read as 205,348.00" in html
    document.refresh_from_db()
    assert document.total == Decimal("1250.00") and document.version == 1
    assert SyncJob.objects.count() == jobs_before


def test_a_tenfold_total_waits_for_a_confirmation_before_it_is_saved_or_synced(accountant_client, make_document, xero):
    document = make_document(total=Decimal("2053.48"), vat=Decimal("410.70"))
    data = _edit_data(document, total="205.348,00", vat="410,70")
    r = accountant_client.post(edit_url(document), data, **DA)
    html = r.content.decode()
    assert r.status_code == 422 and 'id="confirm-total"' in html
    assert "100 gange så stort" in html and "2.053,48 DKK" in html and "205.348,00 DKK" in html
    assert 'name="confirm_total" value="205348.00"' in html
    document.refresh_from_db()
    assert document.total == Decimal("2053.48") and not SyncJob.objects.filter(document=document).exists()
    # A confirmation of another amount does not count: the user must confirm what is saved.
    r = accountant_client.post(edit_url(document), data | {"confirm_total": "20534.80"}, **DA)
    assert r.status_code == 422
    r = accountant_client.post(edit_url(document), data | {"confirm_total": "205348.00"}, **DA)
    assert r.status_code == 302
    document.refresh_from_db()
    assert document.total == Decimal("205348.00") and SyncJob.objects.filter(document=document).exists()


def test_a_tenfold_smaller_total_asks_too_and_small_corrections_do_not(accountant_client, make_document, xero):
    document = make_document(total=Decimal("2053.48"), vat=Decimal("0"), vat_code=None)
    r = accountant_client.post(edit_url(document), _edit_data(document, total="20.53", vat="0", vat_code=""), **EN)
    assert r.status_code == 422 and "100 times as small" in r.content.decode()
    r = accountant_client.post(edit_url(document), _edit_data(document, total="2,035.48", vat="0", vat_code=""), **EN)
    assert r.status_code == 302 and Document.objects.get(pk=document.pk).total == Decimal("2035.48")


def test_amounts_and_dates_are_shown_in_the_users_language(accountant_client, make_document, xero):
    make_document(invoice_number="L-1", total=Decimal("12053.48"))
    da = accountant_client.get(reverse("documents:list"), **DA).content.decode()
    en = accountant_client.get(reverse("documents:list"), **EN).content.decode()
    assert "12.053,48 DKK" in da and "01.10.2026" in da
    assert "12,053.48 DKK" in en and "1 Oct 2026" in en


def test_dates_are_typed_and_shown_in_the_users_language(accountant_client, make_document, xero):
    document = make_document(total=Decimal("1250.00"), vat=Decimal("250.00"))
    html = accountant_client.get(reverse("documents:detail", args=[document.pk]), **DA).content.decode()
    assert 'name="issue_date" value="01.10.2026"' in html and 'placeholder="f.eks. 01.10.2026"' in html
    assert 'type="date"' not in html  # a browser's date picker would follow the browser's language instead
    r = accountant_client.post(edit_url(document), _edit_data(document, due_date="15.11.2026"), **DA)
    assert r.status_code == 302 and Document.objects.get(pk=document.pk).due_date.isoformat() == "2026-11-15"
    r = accountant_client.post(
        edit_url(document), _edit_data(document, due_date="20 Nov 2026", vat="250.00", total="1,250.00"), **EN
    )
    assert r.status_code == 302 and Document.objects.get(pk=document.pk).due_date.isoformat() == "2026-11-20"
    # 11/30/2026 or 30/11/2026 could be read two ways in English: not accepted.
    r = accountant_client.post(
        edit_url(document), _edit_data(document, due_date="11/12/2026", total="1,250.00", vat="250.00"), **EN
    )
    assert r.status_code == 422 and Document.objects.get(pk=document.pk).due_date.isoformat() == "2026-11-20"


def test_the_lists_date_filter_reads_the_users_language(accountant_client, make_document, xero):
    import datetime as dt

    make_document(invoice_number="EARLY", issue_date=dt.date(2026, 9, 1))
    make_document(invoice_number="LATE", issue_date=dt.date(2026, 10, 15))
    html = accountant_client.get(reverse("documents:list"), {"from": "01.10.2026"}, **DA).content.decode()
    assert "LATE" in html and "EARLY" not in html
    html = accountant_client.get(reverse("documents:list"), {"to": "1 Oct 2026"}, **EN).content.decode()
    assert "EARLY" in html and "LATE" not in html
