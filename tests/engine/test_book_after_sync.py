""""Book after sync" (an integration option, off by default): e-conomic entries Roger created are booked right
after their sync, and only those; booked entries never change again (R12)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from documents import services
from integrations.models import ErpEntry, SyncAttempt
from integrations.sync.requests import request_resync
from tests.engine.conftest import EconomicErp, make_economic_integration, make_integration
from tests.engine.helpers import membership, run

pytestmark = pytest.mark.django_db

HUMAN_DRAFT = "Rent typed by the bookkeeper"  # the sandbox seeds it into Roger's journal


@pytest.fixture
def booking_erp(sandbox, agreement, company, master) -> EconomicErp:
    integration = make_economic_integration(company, agreement, master, book_after_sync=True)
    return EconomicErp(sandbox, agreement, integration)


def journal_texts(erp: EconomicErp) -> list[str]:
    journal = str(erp.integration.settings["journal_number"])
    return [e["text"] for e in erp.eco.state(erp.agreement)["journals"][journal]["entries"]]


def booking_calls(erp: EconomicErp) -> list[str]:
    return [r["path"] for r in erp.writes() if "/book" in r["path"]]


def test_the_entry_roger_created_ends_booked_and_the_log_says_so(booking_erp, make_document):
    document = make_document(status="awaiting_approval", invoice_number="BK-1")
    services.document_approve(document=document, actor=None)
    run(booking_erp.integration)

    [bill] = booking_erp.bills()
    assert (bill.invoice_number, bill.status) == ("BK-1", "booked")
    # only Roger's entries, through the Journals API; never the whole journal
    assert booking_calls(booking_erp) == ["/economic/journalsapi/v15.0.0/journals/10/bookdraftentries"]
    entry = ErpEntry.objects.get(document=document, kind="bill")
    assert entry.erp_id == bill.erp_id and entry.booked and entry.state == "synced" and not entry.needs_attention
    log = list(SyncAttempt.objects.filter(document=document).order_by("id").values_list("action", "outcome"))
    assert log == [("create", "success"), ("book", "success")]
    book = SyncAttempt.objects.get(document=document, action="book")
    # exactly this entry (entries 1 and 2 are the bookkeeper's drafts in the daily journal and in Roger's)
    assert book.erp_id == bill.erp_id and book.request_data == {"entryNumbers": [3]}


def test_drafts_roger_did_not_create_are_never_booked(booking_erp, make_document):
    documents = [make_document(invoice_number=f"BK-{i}") for i in range(3)]
    for document in documents:
        request_resync(
            membership=membership(document), document=document, integration=booking_erp.integration, kind="bill"
        )
    run(booking_erp.integration)

    assert sorted(b.status for b in booking_erp.bills()) == ["booked"] * 3
    assert journal_texts(booking_erp) == [HUMAN_DRAFT]  # the bookkeeper's draft is still a draft


def test_a_later_edit_of_a_booked_entry_is_blocked_without_a_write(booking_erp, make_document):
    document = make_document()
    request_resync(membership=membership(document), document=document, integration=booking_erp.integration, kind="bill")
    run(booking_erp.integration)
    before = len(booking_erp.writes())

    services.document_update(document=document, actor=None, total=Decimal("999.00"), vat=Decimal("199.80"))
    run(booking_erp.integration)

    assert len(booking_erp.writes()) == before
    [bill] = booking_erp.bills()
    assert bill.total == Decimal("1250.00") and bill.status == "booked"
    latest = SyncAttempt.objects.filter(document=document).first()
    assert (latest.action, latest.outcome, latest.error_category) == ("blocked", "blocked", "booked")
    assert "counter-entry" in latest.hint
    assert latest.changes == {"total": ["1250.00", "999.00"], "vat": ["250.00", "199.80"]}  # what the modal shows
    assert ErpEntry.objects.get(document=document, kind="bill").needs_attention


def test_a_paid_document_books_its_bill_and_its_payment(booking_erp, make_document):
    document = make_document(invoice_number="BK-PAID")
    services.payment_register(document=document, actor=None, amount=Decimal("1250.00"), paid_on=dt.date(2026, 10, 20))
    run(booking_erp.integration)

    assert [b.status for b in booking_erp.bills()] == ["booked"]
    assert len(booking_erp.payments()) == 1 and journal_texts(booking_erp) == [HUMAN_DRAFT]
    booked = ErpEntry.objects.filter(document=document, booked=True, state="synced")
    assert sorted(booked.values_list("kind", flat=True)) == ["bill", "payment"]


def test_a_failed_booking_is_retried_and_never_duplicates_the_entry(booking_erp, make_document):
    booking_erp.eco.fault(method="POST", path="/bookdraftentries$", kind="503", count=1)
    document = make_document()
    request_resync(membership=membership(document), document=document, integration=booking_erp.integration, kind="bill")
    run(booking_erp.integration)

    [bill] = booking_erp.bills()
    assert bill.status == "booked"
    log = list(SyncAttempt.objects.filter(document=document).order_by("id").values_list("action", "outcome"))
    assert log == [("create", "success"), ("book", "retrying"), ("no_change", "success"), ("book", "success")]
    entry = ErpEntry.objects.get(document=document, kind="bill")
    assert entry.booked and entry.state == "synced" and not entry.needs_attention


def test_booking_is_off_by_default(sandbox, agreement, company, master, make_document):
    erp = EconomicErp(sandbox, agreement, make_economic_integration(company, agreement, master))
    document = make_document()
    request_resync(membership=membership(document), document=document, integration=erp.integration, kind="bill")
    run(erp.integration)

    assert [b.status for b in erp.bills()] == ["draft"] and booking_calls(erp) == []
    assert not SyncAttempt.objects.filter(action="book").exists()


def test_an_erp_without_booking_ignores_the_option(sandbox, tenant, company, master, make_document):
    integration = make_integration(company, tenant, master, book_after_sync=True)
    document = make_document()
    request_resync(membership=membership(document), document=document, integration=integration, kind="bill")
    run(integration)

    [invoice] = [i for i in sandbox.state()["tenants"][tenant["tenant_id"]]["Invoices"] if i["Type"] == "ACCPAY"]
    assert invoice["Status"] == "AUTHORISED"
    assert list(SyncAttempt.objects.filter(document=document).values_list("action", "outcome")) == [
        ("create", "success")
    ]


def test_a_resync_of_an_unchanged_booked_entry_is_no_change(booking_erp, make_document):
    document = make_document()
    request_resync(membership=membership(document), document=document, integration=booking_erp.integration, kind="bill")
    run(booking_erp.integration)
    before = len(booking_erp.writes())

    request_resync(membership=membership(document), document=document, integration=booking_erp.integration, kind="bill")
    run(booking_erp.integration)

    assert len(booking_erp.writes()) == before
    latest = SyncAttempt.objects.filter(document=document).first()
    assert (latest.action, latest.outcome) == ("no_change", "success")
    assert not ErpEntry.objects.get(document=document, kind="bill").needs_attention
