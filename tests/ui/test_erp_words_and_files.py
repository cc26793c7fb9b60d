"""Issue #15 in the Integrations tab, the Re-sync modal and the bulk summary: a credit note's entries in the ERP's
words (Xero's credit note, e-conomic's credit entry; an allocation or a refund), e-conomic's credit note that it
cannot allocate, the document's file on its entry (attached, unchanged, pending, refused, booked without it), the
log's uploads in words (never bytes), and the files a bulk re-sync attached."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from documents import services
from documents.models import Document
from integrations.connectors.economic import EconomicConnector
from integrations.connectors.xero import XeroConnector
from integrations.models import BulkResync, BulkResyncItem, SyncAttempt
from tests.ui.conftest import HTMX, attempt, entry

pytestmark = pytest.mark.django_db
DA = {"HTTP_ACCEPT_LANGUAGE": "da"}
SHA = "ab" * 32


def tab(client, document, integration, **headers) -> str:
    url = reverse("integrations:document_tab", args=[document.pk])
    response = client.get(url, {"integration": integration.pk}, headers=HTMX, **headers)
    assert response.status_code == 200
    return response.content.decode()


def card(html: str, kind: str) -> str:
    start = html.index(f'data-kind="{kind}"')
    return html[start : html.index("</article>", start)]


def credit_note(bill: Document, **values) -> Document:
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
    note = services.document_create(**{**fields, **values})
    return services.document_approve(document=note, actor=None)


def with_file(document: Document, sha: str = SHA, name: str = "INV-1.pdf") -> Document:
    """The file's description on the row (the tab reads nothing but these fields and the log)."""
    Document.objects.filter(pk=document.pk).update(
        file=f"documents/x/{name}",
        file_name=name,
        file_size=48_213,
        file_sha256=sha,
        file_content_type="application/pdf",
    )
    document.refresh_from_db()
    return document


# --- the ERP's words ---------------------------------------------------------------------------------------------
def test_where_the_erp_allocates_a_credit_note_its_payment_entry_is_an_allocation(
    accountant_client, make_document, xero, monkeypatch
):
    monkeypatch.setattr(
        XeroConnector, "supports_allocation", True
    )  # Xero allocates (PUT /CreditNotes/{id}/Allocations)
    bill = make_document(invoice_number="INV-1")
    note = credit_note(bill)
    entry(note, xero, erp_number="CN-0001")
    html = tab(accountant_client, note, xero)
    assert "<h3>Credit note</h3>" in card(html, "bill") and "<h3>Allocation</h3>" in card(html, "payment")
    assert "The credit note is allocated against INV-1 in Xero once both are there." in card(html, "payment")
    html = tab(accountant_client, note, xero, **DA)
    assert "<h3>Kreditnota</h3>" in card(html, "bill") and "<h3>Udligning</h3>" in card(html, "payment")


def test_once_the_allocation_is_in_the_erp_the_card_says_it_is_allocated(
    accountant_client, make_document, xero, monkeypatch
):
    monkeypatch.setattr(XeroConnector, "supports_allocation", True)
    note = credit_note(make_document(invoice_number="INV-1"))
    entry(note, xero, erp_number="CN-0001")
    entry(note, xero, kind="payment", erp_id="alloc-1", erp_number="")
    html = card(tab(accountant_client, note, xero), "payment")
    assert "The credit note is allocated against INV-1 in Xero." in html and "once both are there" not in html


def test_a_credit_note_for_a_bill_paid_in_full_says_it_stays_open_in_the_erp(
    accountant_client, make_document, xero, monkeypatch
):
    monkeypatch.setattr(XeroConnector, "supports_allocation", True)
    bill = make_document(invoice_number="INV-1")
    note = credit_note(bill)  # made while the bill was open: it corrects INV-1
    services.document_mark_paid(document=Document.objects.get(pk=bill.pk), actor=None, paid_on=bill.issue_date)
    entry(note, xero, erp_number="CN-0001")
    html = card(tab(accountant_client, note, xero), "payment")
    assert "INV-1 is paid in full, so there is nothing left to allocate the credit note against" in html
    assert "it stays open in Xero until the supplier's refund is registered here." in html
    assert "once both are there" not in html
    html = card(tab(accountant_client, note, xero, **DA), "payment")
    assert "INV-1 er betalt fuldt ud" in html


def test_a_refunded_credit_note_s_payment_entry_is_a_refund(accountant_client, make_document, xero):
    note = credit_note(make_document(), credits=None)
    services.payment_register(document=note, actor=None, amount=Decimal("250.00"), paid_on=note.issue_date)
    attempt(note, xero, entry_kind="payment", action="create", request_data={"Amount": "250.00"})
    html = tab(accountant_client, note, xero)
    assert "<h3>Refund</h3>" in card(html, "payment")
    assert '<span class="log-entry">Refund</span>' in html  # the log in the same words
    html = tab(accountant_client, note, xero, **DA)
    assert "<h3>Tilbagebetaling</h3>" in card(html, "payment")


def test_e_conomic_says_it_cannot_allocate_and_what_to_match_there(accountant_client, make_document, economic):
    bill = make_document(invoice_number="INV-2026003")
    note = credit_note(bill, invoice_number="CN-2026001")
    entry(note, economic, erp_number="2026-14")
    html = tab(accountant_client, note, economic)
    assert "<h3>Credit entry</h3>" in card(html, "bill")
    assert (
        "e-conomic cannot allocate credit notes through its API: match CN-2026001 with INV-2026003 in e-conomic."
        in card(html, "payment")
    )
    assert f'href="{reverse("documents:detail", args=[bill.pk])}"' in card(html, "payment")
    html = tab(accountant_client, note, economic, **DA)
    assert "<h3>Kreditpostering</h3>" in card(html, "bill")
    assert "e-conomic kan ikke udligne kreditnotaer via sit API: udlign CN-2026001 med INV-2026003 i e-conomic." in html


def test_a_bill_keeps_its_vendor_bill_words(accountant_client, make_document, economic):
    html = tab(accountant_client, make_document(), economic)
    assert "<h3>Vendor bill</h3>" in card(html, "bill") and "cannot allocate" not in html


def test_the_resync_modal_offers_the_entries_in_the_erp_s_words(accountant_client, make_document, economic, fake_plan):
    note = credit_note(make_document(), credits=None)
    services.payment_register(document=note, actor=None, amount=Decimal("250.00"), paid_on=note.issue_date)
    url = reverse("integrations:resync_modal", args=[note.pk])
    html = accountant_client.get(url, {"integration": economic.pk}, headers=HTMX).content.decode()
    assert 'value="bill"' in html and " Credit entry</label>" in html and " Refund</label>" in html
    assert "(Credit note) → e-conomic" in html


# --- the file on the entry ---------------------------------------------------------------------------------------
def test_an_attached_file_shows_its_name_and_when_then_unchanged_after_a_later_sync(
    accountant_client, make_document, economic
):
    document = with_file(make_document())
    entry(document, economic, attachment_sha256=SHA, attachment_erp_id="7")
    upload = attempt(
        document,
        economic,
        action="attach",
        request_data={"file": "INV-1.pdf", "size": 48_213, "sha256": SHA, "content_type": "application/pdf"},
    )
    html = card(tab(accountant_client, document, economic), "bill")
    assert 'data-file-state="attached"' in html and '<span class="file-name">INV-1.pdf</span>' in html
    assert "(47.1\xa0KB)" in html and "attached on" in html
    assert upload.created_at.strftime("%Y") in html
    attempt(document, economic, action="no_change", request_data={})
    html = card(tab(accountant_client, document, economic, **DA), "bill")
    assert 'data-file-state="unchanged"' in html and "uændret ved seneste synkronisering" in html


def test_a_file_the_erp_keeps_under_another_name_shows_both(accountant_client, make_document, xero):
    document = with_file(make_document())
    entry(document, xero, attachment_sha256=SHA, attachment_erp_id="a-1")
    sent = {"file": "INV-1-abababababab.pdf", "size": 48_213, "sha256": SHA, "content_type": "application/pdf"}
    attempt(document, xero, action="attach", request_data=sent)
    html = card(tab(accountant_client, document, xero), "bill")
    assert '<span class="file-name">INV-1.pdf</span>' in html and "in Xero as INV-1-abababababab.pdf" in html
    assert "i Xero som INV-1-abababababab.pdf" in card(tab(accountant_client, document, xero, **DA), "bill")


def test_a_file_not_yet_on_the_entry_waits_for_the_next_sync(accountant_client, make_document, economic):
    document = with_file(make_document())
    entry(document, economic)
    html = card(tab(accountant_client, document, economic), "bill")
    assert 'data-file-state="pending"' in html and "attached at the next sync." in html
    entry_row = document.erp_entries.get()
    entry_row.attachment_sha256 = "cd" * 32
    entry_row.save()
    html = card(tab(accountant_client, document, economic), "bill")
    assert "replaces the earlier file at the next sync." in html


def test_a_refused_file_says_why(accountant_client, make_document, economic):
    document = with_file(make_document())
    note = "INV-1.pdf is a image/gif file, which the ERP does not take as an attachment."
    entry(document, economic, attachment_note=note)
    html = card(tab(accountant_client, document, economic), "bill")
    assert (
        'data-file-state="refused"' in html and f'INV-1.pdf was refused: <span class="file-note">{note}</span>' in html
    )


def test_an_entry_booked_without_its_file_says_so(accountant_client, make_document, economic):
    document = with_file(make_document())
    entry(
        document,
        economic,
        booked=True,
        attachment_note="Booked without its file: Booked in e-conomic (voucher 2026-3)",
    )
    html = card(tab(accountant_client, document, economic), "bill")
    assert '<strong class="booked-without-file">Booked without its file</strong>' in html
    assert "Booked in e-conomic (voucher 2026-3)" in html
    html = card(tab(accountant_client, document, economic, **DA), "bill")
    assert "Bogført uden sin fil" in html and "Bogført i e-conomic (bilag 2026-3)" in html


def test_an_erp_that_takes_no_files_says_to_attach_it_there(accountant_client, make_document, economic, monkeypatch):
    monkeypatch.setattr(EconomicConnector, "attachment_limits", None)
    document = with_file(make_document())
    entry(document, economic)
    html = card(tab(accountant_client, document, economic), "bill")
    assert "e-conomic takes no files through Roger; attach INV-1.pdf there by hand." in html


def test_a_document_without_a_file_shows_no_file_line(accountant_client, make_document, economic):
    document = make_document()
    entry(document, economic)
    assert 'id="entry-file"' not in tab(accountant_client, document, economic)


# --- the log -----------------------------------------------------------------------------------------------------
def test_the_log_shows_an_upload_in_words_never_as_data(accountant_client, make_document, economic):
    document = with_file(make_document())
    sent = {"file": "INV-1.pdf", "size": 48_213, "sha256": SHA, "content_type": "application/pdf", "replaced": "12"}
    attempt(document, economic, reference="SA-ATTACHED01", action="attach", request_data=sent)
    html = tab(accountant_client, document, economic)
    record = html[html.index('id="attempt-') :]
    assert "File replaced" in record and '<dd class="sent-file">INV-1.pdf</dd>' in record
    assert "47.1\xa0KB (48213 bytes)" in record and f'title="{SHA}">{SHA[:16]}…</code>' in record
    assert "the file Roger attached before (ERP id 12)" in record
    assert '<pre class="json">' not in record
    html = tab(accountant_client, document, economic, **DA)
    assert "Fil erstattet" in html and "Kontrolsum (SHA-256)" in html


@pytest.mark.parametrize(
    ("outcome", "title"),
    [
        ("success", "File attached"),
        ("failed", "Attaching the file failed"),
        ("retrying", "Attaching the file failed; Roger retries"),
        ("blocked", "File not attached: the entry is booked"),
    ],
)
def test_each_upload_outcome_reads_as_one_phrase(accountant_client, make_document, economic, outcome, title):
    document = with_file(make_document())
    attempt(
        document,
        economic,
        action="attach",
        outcome=outcome,
        request_data={"file": "INV-1.pdf", "size": 1, "sha256": SHA},
    )
    assert f'log-title">{title}</span>' in tab(accountant_client, document, economic)


def test_the_tab_of_a_credit_note_with_a_file_costs_the_same_queries_whatever_the_log(
    accountant_client, make_document, economic
):
    note = with_file(credit_note(make_document()))
    entry(note, economic, attachment_sha256=SHA)

    def records(n: int) -> None:
        SyncAttempt.objects.bulk_create(
            [
                SyncAttempt(
                    company=note.company,
                    document=note,
                    integration=economic,
                    entry_kind="bill",
                    trigger="event",
                    action="attach" if i % 2 else "no_change",
                    outcome="success",
                    request_data={"file": "INV-1.pdf", "size": 1, "sha256": SHA},
                    reference=f"SA-Q{n}{i:06d}",
                )
                for i in range(n)
            ]
        )

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            tab(accountant_client, note, economic)
        return len(ctx.captured_queries)

    records(4)
    few = count()
    records(400)
    assert count() == few


# --- bulk --------------------------------------------------------------------------------------------------------
def test_the_bulk_summary_counts_files(accountant_client, make_document, xero):
    docs = [make_document() for _ in range(17)]
    bulk = BulkResync.objects.create(company=xero.company, total=len(docs))
    files = ["attached"] * 12 + ["unchanged"] * 3 + ["refused"] + [""]
    BulkResyncItem.objects.bulk_create(
        [
            BulkResyncItem(bulk=bulk, document=d, integration=xero, state="done", outcome="updated", attachment=f)
            for d, f in zip(docs, files, strict=True)
        ]
    )
    bulk.finished_at = dt.datetime.now(dt.UTC)
    bulk.save()
    url = reverse("integrations:bulk_status", args=[bulk.pk])
    html = accountant_client.get(url, headers=HTMX).content.decode()
    assert '<span class="bulk-files">12 files attached, 3 unchanged, 1 refused.</span>' in html
    html = accountant_client.get(url, headers=HTMX, **DA).content.decode()
    assert '<span class="bulk-files">12 filer vedhæftet, 3 uændrede, 1 afvist.</span>' in html


# --- requires attention ------------------------------------------------------------------------------------------
def test_a_refused_file_is_its_own_cause_in_requires_attention_and_re_sync_these_takes_it(
    accountant_client, make_document, economic
):
    document = with_file(make_document(invoice_number="INV-77"))
    note = "INV-1.pdf is 12.0 MB; the ERP takes files of at most 9 MB."
    entry(document, economic, needs_attention=True, attachment_note=note)  # the bill itself is in step
    html = accountant_client.get(reverse("documents:list"), {"tab": "attention"}).content.decode()
    group = html[html.index('class="attention-group"') :]
    assert f"1 document</strong>: {note}" in group and "e-conomic · File refused" in group
    assert "Replace the file on the document with a PDF, PNG or JPEG the ERP takes, then re-sync." in group
    html = accountant_client.get(reverse("documents:list"), {"tab": "attention"}, **DA).content.decode()
    assert (
        "INV-1.pdf fylder 12.0 MB; økonomisystemet modtager filer på højst 9 MB." in html and "Filen er afvist" in html
    )
    response = accountant_client.post(
        reverse("integrations:attention_resync"),
        {"integration": economic.pk, "category": "", "message": note},
        headers=HTMX,
    )
    assert response.status_code == 200
    assert list(BulkResyncItem.objects.values_list("document_id", flat=True)) == [document.pk]


def test_the_tab_reads_the_open_job_before_the_log_so_a_run_ending_meanwhile_is_not_missed(
    accountant_client, make_document, economic
):
    """A run closes its job and writes its log records in one transaction: reading the job first means that a panel
    without an open job (which stops polling) always has the run's records."""
    document = make_document()
    with CaptureQueriesContext(connection) as ctx:
        tab(accountant_client, document, economic)
    tables = [q["sql"] for q in ctx.captured_queries]
    job = next(i for i, sql in enumerate(tables) if 'FROM "integrations_syncjob"' in sql)
    log = next(i for i, sql in enumerate(tables) if 'FROM "integrations_syncattempt"' in sql)
    entries = next(i for i, sql in enumerate(tables) if 'FROM "integrations_erpentry"' in sql)
    assert job < log and job < entries
