"""Issue #15 in a real browser, in each language, against the ERP sandboxes and a real worker: the accountant
uploads the supplier's PDF on a document, the sync attaches it to the ERP entry, the Integrations tab says so and the
log shows the upload in words; the entry's page in (the sandbox's) ERP offers the very file.  And a credit
note made on the New document page: the bill chooser appears for a credit note only and offers the supplier's
bills, the amounts are typed negative, and the bill then shows what is due after it.

The file flow runs against both ERPs' sandboxes: e-conomic's voucher in its journal, Xero's bill page.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from documents import services
from documents.demo_files import document_pdf
from documents.models import Document
from integrations.models import ErpEntry, SyncAttempt
from tests.browser.conftest import amount, login, t
from tests.browser.test_flows import settled
from tests.engine.conftest import make_economic_integration
from tests.factories import DocumentFactory
from tests.sandbox.economic_helpers import EconomicSandbox

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def eco_scene(transactional_db, company, master, accountant, sandbox, economic_settings, worker, shared_media):
    """A company connected to a fresh e-conomic agreement in the sandbox, with two Unpaid bills without files."""
    agreement = EconomicSandbox(sandbox).agreement("Nordlys ApS (browser)")
    integration = make_economic_integration(company, agreement, master)
    documents = [
        DocumentFactory(
            company=company,
            invoice_number=f"INV-2026-70{i}",
            issue_date=dt.date(2026, 10, 5 + i),
            total=Decimal("2053.48"),
            vat=Decimal("410.70"),
            status="approved",
            **master,
        )
        for i in range(2)
    ]
    return {"agreement": agreement, "integration": integration, "documents": documents}


def upload_and_see_it_attached(page, base_url: str, document, pdf: bytes, name: str, shots, lang):
    """The accountant uploads the file on the document page; the worker attaches it; the Integrations tab says so
    and its log shows the upload in words.  Returns the bill entry's card."""
    login(page, base_url, "bob")
    page.goto(f"{base_url}/documents/{document.pk}/")
    expect(page.locator("#no-file")).to_be_visible()
    shots(page, "document-without-file")

    page.set_input_files("#file-input", files=[{"name": name, "mimeType": "application/pdf", "buffer": pdf}])
    page.click("#file-submit")
    expect(page.locator("#toasts")).to_contain_text(t(lang, "File added."))
    preview = page.locator("iframe#file-preview")
    expect(preview).to_be_visible()
    expect(page.locator(".file-name")).to_have_text(name)
    # The frame shows Roger's own file view: the PDF as uploaded, to a member of the company.
    framed = page.request.get(base_url + preview.get_attribute("src"))
    assert framed.ok and framed.headers["content-type"] == "application/pdf" and framed.body() == pdf
    shots(page, "document-with-file")

    # Uploading the file is a change of the document: the worker syncs the bill and attaches the file.
    page.click(f"a[role=tab]:has-text('{t(lang, 'Integrations')}')")
    bill_card = page.locator(".entry[data-kind='bill']")
    expect(bill_card.locator("#entry-file[data-file-state='attached']")).to_be_visible(timeout=30_000)
    expect(bill_card.locator("#entry-file .file-name")).to_have_text(name)
    # The entry learns its file's checksum as the upload is answered; the log record follows when the run ends.
    expect(page.locator(".sync-running")).to_have_count(0, timeout=30_000)
    upload = page.locator(".log-record[data-action='attach'][data-outcome='success']")
    expect(upload.locator(".log-title")).to_have_text(t(lang, "File attached"), timeout=30_000)
    settled(page)
    upload.locator("summary").click()
    expect(upload.locator(".sent-sha256")).to_have_attribute("title", hashlib.sha256(pdf).hexdigest())
    shots(page, "integrations-tab-file-attached")
    record = SyncAttempt.objects.get(document=document, action="attach")
    assert record.request_data["size"] == len(pdf) and "content" not in record.request_data
    return bill_card


def open_in_the_erp(page, bill_card):
    """The bill's ERP number link opens the entry in (the sandbox's) ERP, in a new tab."""
    with page.context.expect_page() as opened:
        bill_card.locator("a[target=_blank]").first.click()
    erp_page = opened.value
    erp_page.wait_for_load_state()
    return erp_page


def test_an_uploaded_file_reaches_the_voucher_and_opens_from_e_conomic(page, live_server, eco_scene, shots, lang):
    document = eco_scene["documents"][0]
    pdf = document_pdf(document)
    bill_card = upload_and_see_it_attached(page, live_server.url, document, pdf, "INV-2026-700.pdf", shots, lang)
    expect(page.locator(".log-record[data-action='attach'] .sent-file")).to_have_text("INV-2026-700.pdf")

    # The voucher in e-conomic (the sandbox's journal page) carries the document; its link gives the same bytes.
    erp_page = open_in_the_erp(page, bill_card)
    link = erp_page.locator("a.attachment", has_text="INV-2026-700.pdf")
    expect(link).to_be_visible()
    shots(erp_page, "e-conomic-voucher-with-file")
    downloaded = erp_page.request.get(link.evaluate("a => a.href"))
    assert downloaded.ok and downloaded.body() == pdf
    erp_page.goto(link.evaluate("a => a.href"))  # opened from e-conomic's page, as the accountant would
    shots(erp_page, "e-conomic-file-opened", full_page=False)
    erp_page.close()
    entry = ErpEntry.objects.get(document=document, kind="bill")
    assert entry.attachment_sha256 == hashlib.sha256(pdf).hexdigest()


def test_an_uploaded_file_reaches_the_xero_bill_and_opens_from_xero(
    page, live_server, scene, shared_media, shots, lang
):
    document = scene["documents"][0]
    pdf = document_pdf(document)
    bill_card = upload_and_see_it_attached(page, live_server.url, document, pdf, "INV-2026-100.pdf", shots, lang)

    # The bill in Xero (the sandbox's go.xero.com page) lists its files; the link gives the bytes Roger uploaded.
    erp_page = open_in_the_erp(page, bill_card)
    link = erp_page.locator("#files a").first
    expect(link).to_contain_text("INV-2026-100")
    shots(erp_page, "xero-bill-with-file")
    downloaded = erp_page.request.get(link.evaluate("a => a.href"))
    assert downloaded.ok and downloaded.headers["content-type"] == "application/pdf" and downloaded.body() == pdf
    erp_page.close()
    entry = ErpEntry.objects.get(document=document, kind="bill")
    assert entry.attachment_sha256 == hashlib.sha256(pdf).hexdigest()


def test_a_credit_note_is_made_for_a_bill_and_the_bill_shows_what_is_due_after_it(
    page, live_server, eco_scene, master, shots, lang
):
    bill = eco_scene["documents"][1]
    login(page, live_server.url, "bob")
    page.click("#new-document")
    credits = page.locator("#id_credits")
    expect(credits).to_be_hidden()  # an invoice corrects no bill
    page.check("#kind-choice input[value='credit_note']")
    expect(credits).to_be_visible()
    page.select_option("#id_vendor", str(master["vendor"].pk))
    expect(credits.locator(f"option[value='{bill.pk}']")).to_have_count(1)  # the supplier's bills, fetched
    credits.select_option(str(bill.pk))
    page.fill("#id_invoice_number", "CN-2026-900")
    page.fill("#id_issue_date", "2026-10-20")
    page.fill("#id_due_date", "")
    page.fill("#id_total", amount(lang, "-500.00"))  # typed negative, as the language writes amounts
    page.fill("#id_vat", amount(lang, "-100.00"))
    for field in ("vat_code", "category", "department"):
        page.select_option(f"#id_{field}", str(master[field].pk))
    shots(page, "new-credit-note")
    page.click("#new-document-form button.primary")
    expect(page.locator("#kind-tag")).to_have_text(t(lang, "Credit note"))
    expect(page.locator("#corrects a")).to_have_text(bill.invoice_number)
    note = Document.objects.get(invoice_number="CN-2026-900")
    assert (note.kind, note.total, note.vat, note.credits_id) == (
        "credit_note",
        Decimal("-500.00"),
        Decimal("-100.00"),
        bill.pk,
    )
    page.click(f"form[action$='/approve/'] button:has-text('{t(lang, 'Approve')}')")
    expect(page.locator("#toasts")).to_contain_text(t(lang, "Approved. The credit note is on its way to your ERP."))
    shots(page, "credit-note-approved")

    page.click("#corrects a")
    due = page.locator("#due-after-credit-notes")
    expect(due).to_contain_text(t(lang, "Due after credit notes: %(due)s", due=f"{amount(lang, '1553.48')} DKK"))
    expect(page.locator("#credit-notes")).to_contain_text("CN-2026-900")
    shots(page, "bill-with-credit-note")

    # In e-conomic the credit note is a credit entry, which the accountant matches with the bill there.
    page.goto(f"{live_server.url}/documents/{note.pk}/?tab=integrations")
    expect(page.locator(".entry[data-kind='bill'] h3")).to_have_text(t(lang, "Credit entry"))
    expect(page.locator("#allocation-note")).to_contain_text(
        t(
            lang,
            "%(erp)s cannot allocate credit notes through its API: match %(note)s with %(bill)s in %(erp)s.",
            erp="e-conomic",
            note="CN-2026-900",
            bill=bill.invoice_number,
        )
    )
    expect(page.locator(".entry[data-kind='bill'][data-state='synced']")).to_be_visible(timeout=30_000)
    shots(page, "credit-note-in-e-conomic")
    assert services.amount_due(Document.objects.get(pk=bill.pk)) == Decimal("1553.48")  # what the page said
