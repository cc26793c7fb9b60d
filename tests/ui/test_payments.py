"""Issue #14 points 2 and 3: payment dates that break a rule are refused (before the issue date) or confirmed (in
the future), naming the rule; the optional amount that left the bank (foreign currency); partial payments shown
on the document and in the Integrations tab, with the decision of DESIGN R4/R5: one vendor payment per document
and integration, synced once the document is fully paid, carrying every payment."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from documents import services
from documents.models import Payment
from documents.services import PaymentDateError
from integrations.models import SyncJob
from tests.ui.conftest import HTMX, entry

pytestmark = pytest.mark.django_db
TODAY = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def pay_url(document) -> str:
    return reverse("documents:pay", args=[document.pk])


def detail(client, document) -> str:
    return client.get(reverse("documents:detail", args=[document.pk]), **EN).content.decode()


@time_machine.travel(TODAY, tick=False)
def test_a_payment_before_the_issue_date_is_refused_naming_the_rule(accountant_client, make_document, xero):
    document = make_document(issue_date=dt.date(2026, 10, 1))
    r = accountant_client.post(pay_url(document), {"amount": "100.00", "paid_on": "2026-09-30"}, **EN)
    assert r.status_code == 422
    assert "A payment cannot be dated before the document&#x27;s issue date (1 Oct 2026)." in r.content.decode()
    assert not Payment.objects.exists() and not SyncJob.objects.exists()
    with pytest.raises(ValidationError) as refused:
        services.payment_register(document=document, actor=None, amount=Decimal(1), paid_on=dt.date(2026, 9, 1))
    assert refused.value.error_dict["paid_on"][0].code == PaymentDateError.BEFORE_ISSUE


@time_machine.travel(TODAY, tick=False)
def test_a_future_payment_date_asks_for_a_confirmation(accountant_client, make_document, xero):
    document = make_document(issue_date=dt.date(2026, 10, 1))
    data = {"amount": "100.00", "paid_on": "2026-12-01", "reference": "Scheduled"}
    r = accountant_client.post(pay_url(document), data, **EN)
    html = r.content.decode()
    assert r.status_code == 422 and "1 Dec 2026 is in the future" in html
    assert 'name="confirm_future_date" value="2026-12-01"' in html and not Payment.objects.exists()
    # Confirming another date does not count.
    assert accountant_client.post(pay_url(document), data | {"confirm_future_date": "2026-12-02"}).status_code == 422
    r = accountant_client.post(pay_url(document), data | {"confirm_future_date": "2026-12-01"}, **EN)
    assert r.status_code == 302 and Payment.objects.get().paid_on == dt.date(2026, 12, 1)


@time_machine.travel(TODAY, tick=False)
def test_marking_as_paid_follows_the_same_date_rules(accountant_client, make_document, xero):
    document = make_document(issue_date=dt.date(2026, 10, 1))
    url = reverse("documents:mark_paid", args=[document.pk])
    r = accountant_client.post(url, {"paid_on": "2026-09-01"}, **EN)
    assert r.status_code == 422 and "before the document&#x27;s issue date" in r.content.decode()
    r = accountant_client.post(url, {"paid_on": "2027-01-01"}, **EN)
    assert r.status_code == 422 and 'id="confirm-mark-paid-date"' in r.content.decode()
    document.refresh_from_db()
    assert document.status == "approved"
    assert (
        accountant_client.post(url, {"paid_on": "2027-01-01", "confirm_future_date": "2027-01-01"}).status_code == 302
    )
    document.refresh_from_db()
    assert document.status == "paid" and document.paid_on == dt.date(2027, 1, 1)


@time_machine.travel(TODAY, tick=False)
def test_a_foreign_currency_payment_records_what_left_the_bank(accountant_client, make_document, xero):
    eur = make_document(currency="EUR", total=Decimal("1000.00"), vat=Decimal("0"), issue_date=dt.date(2026, 10, 1))
    dkk = make_document(currency="DKK")
    assert 'name="bank_amount"' in detail(accountant_client, eur)
    assert 'name="bank_amount"' not in detail(accountant_client, dkk)  # nothing to convert
    r = accountant_client.post(
        pay_url(eur), {"amount": "1,000.00", "paid_on": "2026-11-02", "bank_amount": "7,462.30"}, **EN
    )
    assert r.status_code == 302
    assert Payment.objects.get().bank_amount == Decimal("7462.30")
    html = detail(accountant_client, eur)
    assert "From the bank account" in html and "7,462.30" in html


@time_machine.travel(TODAY, tick=False)
def test_a_partly_paid_document_says_so_and_its_payment_waits(accountant_client, make_document, xero):
    document = make_document(total=Decimal("2445.72"), vat=Decimal("0"), issue_date=dt.date(2026, 10, 1))
    r = accountant_client.post(
        pay_url(document), {"amount": "1,000.10", "paid_on": "2026-11-01", "reference": "First"}, **EN
    )
    assert r.status_code == 302
    html = detail(accountant_client, document)
    assert "Partly paid: 1,000.10 DKK of 2,445.72 DKK" in html and "1,445.62 DKK outstanding" in html
    assert "First" in html  # each registered payment is listed
    tab = accountant_client.get(
        reverse("integrations:document_tab", args=[document.pk]), {"integration": xero.pk}, headers=HTMX, **EN
    ).content.decode()
    assert 'data-kind="payment"' in tab and 'data-coverage="partly"' in tab
    assert "The vendor payment will be synced to Xero once the document is fully paid" in tab
    assert "waits until fully paid" in tab


@time_machine.travel(TODAY, tick=False)
def test_once_paid_the_tab_says_which_payments_the_vendor_payment_covers(accountant_client, make_document, xero):
    document = make_document(total=Decimal("2445.72"), vat=Decimal("0"), issue_date=dt.date(2026, 10, 1))
    services.payment_register(
        document=document, actor=None, amount=Decimal("1000.10"), paid_on=dt.date(2026, 11, 1), reference="First"
    )
    services.payment_register(
        document=document, actor=None, amount=Decimal("1445.62"), paid_on=dt.date(2026, 11, 5), reference="Second"
    )
    entry(document, xero, kind="payment")
    tab = accountant_client.get(
        reverse("integrations:document_tab", args=[document.pk]), {"integration": xero.pk}, headers=HTMX, **EN
    ).content.decode()
    assert 'data-coverage="paid"' in tab
    assert "covers the 2 payments below as one payment: 2,445.72 DKK, dated 5 Nov 2026" in tab
    assert tab.count("in the vendor payment") == 2 and "First" in tab and "Second" in tab
