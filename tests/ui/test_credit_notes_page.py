"""Issue #15 in the UI, credit notes: created as invoice or credit note (for a credit note, the bill it corrects:
the supplier's bills in the same currency), entered and shown negative (a leading minus only on a credit note),
marked as credit notes in the list and on the page with a link to the corrected bill; a bill lists its credit
notes and what is due after them; a paid credit note is *refunded*."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from documents import services
from documents.demo_files import document_pdf
from documents.models import Document
from tests.factories import DocumentFactory, VendorFactory
from tests.ui.conftest import bulk_documents

pytestmark = pytest.mark.django_db
DA = {"HTTP_ACCEPT_LANGUAGE": "da"}
NEW = reverse("documents:new")


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def form_data(master, **values) -> dict:
    data = {
        "kind": "invoice",
        "vendor": master["vendor"].pk,
        "invoice_number": "INV-900",
        "issue_date": "2026-10-01",
        "due_date": "2026-10-31",
        "currency": "DKK",
        "total": "1250.00",
        "vat": "250.00",
        "vat_code": master["vat_code"].pk,
        "category": master["category"].pk,
        "department": master["department"].pk,
        "description": "Paper",
    }
    return {**data, **values}


def note_for(bill: Document, **values) -> Document:
    fields = dict(
        company=bill.company,
        actor=None,
        kind=Document.Kind.CREDIT_NOTE,
        credits=bill,
        vendor=bill.vendor,
        invoice_number="CN-1",
        issue_date=bill.issue_date,
        currency=bill.currency,
        total=Decimal("-250.00"),
        vat=Decimal("-50.00"),
    )
    return services.document_create(**{**fields, **values})


# --- creating ----------------------------------------------------------------------------------------------------
def test_a_new_invoice_is_created_as_a_draft_with_its_file(accountant_client, master, company):
    pdf = document_pdf(DocumentFactory.build(company=company, **master))
    response = accountant_client.post(NEW, {**form_data(master), "file": SimpleUploadedFile("INV-900.pdf", pdf)})
    assert response.status_code == 302
    document = Document.objects.get(invoice_number="INV-900")
    assert response["Location"] == reverse("documents:detail", args=[document.pk])
    assert (document.kind, document.status, document.total, document.file_name) == (
        "invoice",
        "draft",
        Decimal("1250.00"),
        "INV-900.pdf",
    )


def test_a_new_credit_note_is_entered_negative_and_corrects_a_bill_of_its_supplier(
    accountant_client, master, make_document
):
    bill = make_document(invoice_number="INV-7")
    data = form_data(master, kind="credit_note", invoice_number="CN-7", total="-250,00", vat="-50,00", credits=bill.pk)
    response = accountant_client.post(NEW, data, **DA)  # typed as a Danish accountant types it
    assert response.status_code == 302, response.content.decode()[-3000:]
    note = Document.objects.get(invoice_number="CN-7")
    assert (note.kind, note.total, note.vat, note.credits) == (
        "credit_note",
        Decimal("-250.00"),
        Decimal("-50.00"),
        bill,
    )


def test_a_leading_minus_is_for_credit_notes_only(accountant_client, master):
    response = accountant_client.post(NEW, form_data(master, total="-1250.00", vat="-250.00"))
    assert response.status_code == 422
    assert (
        "An invoice&#x27;s amounts are not negative; for a credit note, choose Credit note."
        in response.content.decode()
    )
    assert not Document.objects.filter(invoice_number="INV-900").exists()


def test_a_positive_credit_note_is_refused_as_the_service_words_it(accountant_client, master):
    response = accountant_client.post(NEW, form_data(master, kind="credit_note", total="250.00", vat="50.00"))
    assert response.status_code == 422
    assert "A credit note&#x27;s total is negative (what the supplier owes back), e.g. -250.00." in (
        response.content.decode()
    )


def test_a_credit_note_for_another_supplier_s_bill_is_refused(accountant_client, master, make_document, company):
    other = VendorFactory(company=company, name="Atlas Travel Ltd")
    bill = make_document(vendor=other, invoice_number="ATLAS-1")
    data = form_data(master, kind="credit_note", total="-250.00", vat="-50.00", credits=bill.pk)
    response = accountant_client.post(NEW, data)
    assert response.status_code == 422
    assert "The bill is from Atlas Travel Ltd, not from this credit note&#x27;s supplier." in response.content.decode()


def test_a_refused_file_creates_no_document(accountant_client, master, media):
    data = {**form_data(master), "file": SimpleUploadedFile("notes.txt", b"hello")}
    response = accountant_client.post(NEW, data)
    assert response.status_code == 422
    assert "notes.txt is not a PDF, PNG or JPEG file" in response.content.decode()
    assert not Document.objects.filter(invoice_number="INV-900").exists()
    assert [p for p in media.rglob("*") if p.is_file()] == []


def test_a_viewer_cannot_create_documents(viewer_client, master):
    assert viewer_client.get(NEW).status_code == 403
    assert viewer_client.post(NEW, form_data(master)).status_code == 403
    assert 'id="new-document"' not in viewer_client.get(reverse("documents:list")).content.decode()


def test_the_bill_chooser_offers_the_supplier_s_bills_in_that_currency(
    accountant_client, master, make_document, company, other_company
):
    mine = make_document(invoice_number="INV-DKK")
    make_document(invoice_number="INV-EUR", currency="EUR")
    make_document(invoice_number="INV-OTHER", vendor=VendorFactory(company=company))
    note_for(mine, invoice_number="CN-NOT-A-BILL")
    DocumentFactory(company=other_company, vendor=VendorFactory(company=other_company), invoice_number="INV-FOREIGN")
    html = accountant_client.get(
        reverse("documents:bill_options"), {"vendor": master["vendor"].pk, "currency": "DKK", "credits": mine.pk}
    ).content.decode()
    assert f'<option value="{mine.pk}" selected>INV-DKK' in html
    for absent in ("INV-EUR", "INV-OTHER", "CN-NOT-A-BILL", "INV-FOREIGN"):
        assert absent not in html


def test_add_a_credit_note_from_a_bill_starts_from_that_bill(accountant_client, make_document, other_company):
    bill = make_document(invoice_number="INV-55")
    html = accountant_client.get(reverse("documents:detail", args=[bill.pk])).content.decode()
    link = f"{NEW}?kind=credit_note&amp;credits={bill.pk}"
    assert f'href="{link}" id="add-credit-note"' in html
    html = accountant_client.get(NEW, {"kind": "credit_note", "credits": bill.pk}).content.decode()
    assert 'value="credit_note" id="id_kind_1" checked' in html.replace("required ", "").replace(" required", "")
    assert f'<option value="{bill.pk}" selected>INV-55' in html
    assert "Credit for INV-55" in html
    foreign = DocumentFactory(company=other_company, vendor=VendorFactory(company=other_company))
    assert accountant_client.get(NEW, {"kind": "credit_note", "credits": foreign.pk}).status_code == 404


def test_approving_a_credit_note_says_the_credit_note_is_on_its_way(accountant_client, make_document):
    bill = make_document(invoice_number="INV-61", status="draft")
    note = note_for(make_document(invoice_number="INV-60"))
    for document, toast in (
        (note, "Approved. The credit note is on its way to your ERP."),
        (bill, "Approved. The bill is on its way to your ERP."),
    ):
        response = accountant_client.post(reverse("documents:approve", args=[document.pk]), follow=True)
        assert toast in response.content.decode()


# --- editing -----------------------------------------------------------------------------------------------------
def test_a_credit_note_s_amounts_are_edited_negative_and_an_invoice_s_are_not(accountant_client, make_document):
    bill = make_document()
    note = note_for(bill)
    edit = reverse("documents:edit", args=[note.pk])
    data = form_data(
        {"vendor": bill.vendor, "vat_code": bill.vat_code, "category": bill.category, "department": bill.department},
        issue_date=bill.issue_date.isoformat(),
        due_date="",
        total="-300,00",
        vat="-60,00",
        credits=bill.pk,
        invoice_number="CN-1",
    )
    data.pop("kind")
    response = accountant_client.post(edit, data, **DA)
    assert response.status_code == 302, response.content.decode()[-2000:]
    note.refresh_from_db()
    assert (note.total, note.vat) == (Decimal("-300.00"), Decimal("-60.00"))
    data["total"], data["vat"] = "-1000.00", "-200.00"
    data.pop("credits")
    response = accountant_client.post(reverse("documents:edit", args=[bill.pk]), data)
    assert response.status_code == 422
    assert "Ensure this value is greater than or equal to 0." in response.content.decode()


def test_the_edit_form_of_a_credit_note_offers_the_bill_it_corrects(accountant_client, make_document):
    bill = make_document(invoice_number="INV-77")
    note = note_for(bill)
    html = accountant_client.get(reverse("documents:detail", args=[note.pk])).content.decode()
    assert f'<option value="{bill.pk}" selected>INV-77' in html
    assert 'name="credits"' not in accountant_client.get(reverse("documents:detail", args=[bill.pk])).content.decode()


# --- showing -----------------------------------------------------------------------------------------------------
def test_the_list_marks_credit_notes_and_links_the_bill_they_correct(accountant_client, make_document):
    bill = make_document(invoice_number="INV-31")
    note_for(bill, invoice_number="CN-31")
    for headers, word in (({}, "Credit note"), (DA, "Kreditnota")):
        html = accountant_client.get(reverse("documents:list"), **headers).content.decode()
        row = html[html.index("CN-31") :][:600]
        assert f'<span class="kind-tag">{word}</span>' in row
        assert f'<a href="{reverse("documents:detail", args=[bill.pk])}">INV-31</a>' in row
        assert "-250" in row


def test_the_credit_note_s_page_says_so_and_links_its_bill(accountant_client, make_document):
    bill = make_document(invoice_number="INV-41")
    note = note_for(bill)
    html = accountant_client.get(reverse("documents:detail", args=[note.pk]), **DA).content.decode()
    assert '<span class="kind-tag" id="kind-tag">Kreditnota</span>' in html
    assert f'Korrigerer faktura <a href="{reverse("documents:detail", args=[bill.pk])}">INV-41</a>' in html


def test_a_bill_lists_its_credit_notes_and_what_is_due_after_them(accountant_client, make_document):
    bill = make_document(invoice_number="INV-51", total=Decimal("1000.00"), vat=Decimal("200.00"))
    approved = note_for(bill, invoice_number="CN-51")
    services.document_approve(document=approved, actor=None)
    note_for(bill, invoice_number="CN-52", total=Decimal("-100.00"), vat=Decimal("-20.00"))  # a draft: not yet
    html = accountant_client.get(reverse("documents:detail", args=[bill.pk])).content.decode()
    section = html[html.index('id="credit-notes"') :]
    assert "CN-51" in section and "CN-52" in section
    assert "Due after credit notes: 750.00 DKK" in section
    html = accountant_client.get(reverse("documents:detail", args=[bill.pk]), **DA).content.decode()
    assert "Til betaling efter kreditnotaer: 750,00 DKK" in html
    # What the payment form offers is what is due after them.
    assert (
        'name="amount" value="750.00"'
        in accountant_client.get(reverse("documents:detail", args=[bill.pk])).content.decode()
    )


def test_a_paid_credit_note_reads_refunded_and_its_payment_is_a_refund(accountant_client, make_document):
    bill = make_document()
    note = note_for(bill, credits=None)
    services.document_approve(document=note, actor=None)
    html = accountant_client.get(reverse("documents:detail", args=[note.pk])).content.decode()
    assert "Register a refund" in html and ">Register refund</button>" in html and "Mark as refunded" in html
    assert "Register payment" not in html
    response = accountant_client.post(
        reverse("documents:pay", args=[note.pk]), {"amount": "250.00", "paid_on": dt.date.today().isoformat()}
    )
    assert response.status_code == 302
    html = accountant_client.get(reverse("documents:detail", args=[note.pk]), **DA).content.decode()
    assert '<span class="status status-refunded">Tilbagebetalt</span>' in html
    assert "Tilbagebetalt 250,00 DKK af 250,00 DKK." in html
    listing = accountant_client.get(reverse("documents:list")).content.decode()
    assert '<span class="status status-refunded">Refunded</span>' in listing


def test_an_approved_credit_note_reads_applied_to_its_bill_or_not_refunded_never_unpaid(
    accountant_client, make_document
):
    bill = make_document(invoice_number="INV-71")
    applied = services.document_approve(document=note_for(bill, invoice_number="CN-71"), actor=None)
    alone = services.document_approve(document=note_for(bill, invoice_number="CN-72", credits=None), actor=None)
    for note, words in ((applied, "Applied to INV-71"), (alone, "Not refunded")):
        for url in (reverse("documents:detail", args=[note.pk]), reverse("integrations:document_tab", args=[note.pk])):
            header = accountant_client.get(url).content.decode().split("<h1>")[1].split("</h1>")[0]
            assert f'<span class="status status-approved">{words}</span>' in header, url
    section = accountant_client.get(reverse("documents:detail", args=[bill.pk])).content.decode()
    section = section[section.index('id="credit-notes"') :]
    assert "<td>Applied to INV-71</td>" in section and "Unpaid" not in section
    listing = accountant_client.get(reverse("documents:list")).content.decode()
    assert '<span class="status status-approved">Applied to INV-71</span>' in listing[listing.index("CN-71") :][:900]
    assert '<span class="status status-approved">Not refunded</span>' in listing[listing.index("CN-72") :][:900]
    assert '<span class="status status-approved">Unpaid</span>' in listing[listing.index('number-col">INV-71<') :][:900]


def test_credit_notes_and_files_add_no_queries_per_row(accountant_client, company, master, xero):
    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert accountant_client.get(reverse("documents:list")).status_code == 200
        return len(ctx.captured_queries)

    def notes(bills):
        Document.objects.bulk_create(
            [
                Document(
                    company=company,
                    kind="credit_note",
                    credits=bill,
                    vendor=master["vendor"],
                    invoice_number=f"CN-{bill.pk}",
                    issue_date=bill.issue_date,
                    currency="DKK",
                    total=Decimal("-10.00"),
                    vat=Decimal("-2.00"),
                    status="approved",
                    file=f"documents/x/{bill.pk}.pdf",
                    file_name=f"CN-{bill.pk}.pdf",
                )
                for bill in bills
            ]
        )

    notes(bulk_documents(company, master, 2))
    few = count()
    notes(bulk_documents(company, master, 60))
    assert count() == few
