"""Issue #15 point 3, the cases where a credit note is not allocated against the bill it corrects (Xero, the ERP
that allocates through its API; ``credit_notes.allocation_target``): the bill is not in the ERP yet, or Roger has
already paid it there. The credit note is then synced as the ERP's credit note and left open — never allocated
against a bill that is not there or has nothing left to pay — and the log says so in the accountant's words."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from documents import services
from documents.models import Document
from integrations.models import ErpEntry, SyncAttempt
from integrations.sync.requests import request_bulk_resync
from tests.engine.helpers import membership, run
from tests.ui.conftest import HTMX

pytestmark = pytest.mark.django_db


@pytest.fixture
def erp(request, sandbox, company, master):
    from tests.engine.conftest import XeroErp, make_integration

    tenant = request.getfixturevalue("tenant")
    return XeroErp(sandbox, tenant, make_integration(company, tenant, master))


def resync(document: Document) -> None:
    request_bulk_resync(membership=membership(document), document_ids=[document.pk])


def credit_note(bill: Document, number: str) -> Document:
    note = services.document_create(
        company=bill.company,
        actor=None,
        kind=Document.Kind.CREDIT_NOTE,
        credits=bill,
        vendor=bill.vendor,
        invoice_number=number,
        issue_date=bill.issue_date + dt.timedelta(days=2),
        currency=bill.currency,
        total=Decimal("-250.00"),
        vat=Decimal("-50.00"),
        vat_code=bill.vat_code,
        category=bill.category,
        department=bill.department,
        description="Credit for damaged goods",
    )
    return services.document_approve(document=note, actor=None)


def invoice(erp, number: str) -> dict:
    [found] = [i for i in erp._tenant_state()["Invoices"] if i["InvoiceNumber"] == number]
    return found


def log_titles(client, document, integration, language: str = "en") -> list[str]:
    """The Integrations tab's log records as the accountant reads them, newest first."""
    url = reverse("integrations:document_tab", args=[document.pk])
    html = client.get(
        url, {"integration": integration.pk}, headers=HTMX, HTTP_ACCEPT_LANGUAGE=language
    ).content.decode()
    titles = []
    for record in SyncAttempt.objects.filter(document=document).order_by("-id"):
        start = html.index(f'data-reference="{record.reference}"')
        titles.append(html[start : html.index("</li>", start)])
    return titles


def test_a_credit_note_whose_bill_is_not_in_the_erp_stays_open_until_the_bill_is_there(
    erp, make_document, accountant_client
):
    bill = make_document(invoice_number="INV-500", total=Decimal("1250.00"), vat=Decimal("250.00"))
    note = credit_note(bill, "CN-500")  # the bill was never synced: it has no entry in Xero
    run(erp.integration)
    [erp_note] = erp.credit_notes()
    assert erp_note["Status"] == "AUTHORISED" and not erp_note.get("Allocations")
    assert Decimal(str(erp_note["RemainingCredit"])) == Decimal("250.00")  # open in Xero, nothing allocated
    assert not ErpEntry.objects.filter(document=note, kind="payment").exists()
    [record] = SyncAttempt.objects.filter(document=note)
    assert (record.entry_kind, record.action, record.outcome) == ("bill", "create", "success")
    [shown] = log_titles(accountant_client, note, erp.integration)
    assert "Credit note" in shown and "Created" in shown and "Allocation" not in shown

    resync(bill)  # the bill reaches Xero: the credit note is allocated against it, as the tab promised
    run(erp.integration)
    assert Decimal(str(invoice(erp, "INV-500")["AmountDue"])) == Decimal("1000.00")
    allocation = ErpEntry.objects.get(document=note, kind="payment")
    assert allocation.state == "synced" and allocation.erp_id
    record = SyncAttempt.objects.filter(document=note, entry_kind="payment").latest("id")
    assert (record.action, record.outcome) == ("create", "success")
    shown = log_titles(accountant_client, note, erp.integration)[0]
    assert "Allocation" in shown and "The bill it corrects reached the ERP" in shown  # why it ran now
    shown = log_titles(accountant_client, note, erp.integration, "da")[0]
    assert "Udligning" in shown and "Fakturaen, den krediterer, er nu i økonomisystemet" in shown


def test_a_credit_note_whose_bill_roger_has_paid_in_the_erp_is_not_allocated(erp, make_document, accountant_client):
    bill = make_document(invoice_number="INV-600", total=Decimal("1250.00"), vat=Decimal("250.00"))
    services.payment_register(document=bill, actor=None, amount=Decimal("1250.00"), paid_on=bill.issue_date)
    run(erp.integration)  # the bill and its payment are in Xero: nothing left to pay on it
    assert invoice(erp, "INV-600")["Status"] == "PAID"
    note = credit_note(Document.objects.get(pk=bill.pk), "CN-600")
    run(erp.integration)
    [erp_note] = erp.credit_notes()
    assert not erp_note.get("Allocations") and Decimal(str(erp_note["RemainingCredit"])) == Decimal("250.00")
    assert invoice(erp, "INV-600")["Status"] == "PAID"  # the paid bill is left as it is
    assert not ErpEntry.objects.filter(document=note, kind="payment").exists()
    assert not SyncAttempt.objects.filter(document=note, entry_kind="payment").exists()
    [shown] = log_titles(accountant_client, note, erp.integration)
    assert "Credit note" in shown and "Created" in shown and "Allocation" not in shown
