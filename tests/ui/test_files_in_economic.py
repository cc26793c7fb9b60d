"""Issue #15 end to end in the Integrations tab, against the e-conomic sandbox over HTTP and the real engine: the
file uploaded in Roger is attached to its voucher and the tab says so (which file, when) and logs the upload in
words; a later sync finds it unchanged; once the accountant has booked the voucher in e-conomic, a replaced file
cannot reach it, and the tab says the entry is booked without its file — in Danish too."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from documents import services
from documents.demo_files import document_pdf
from integrations.models import ErpEntry, SyncAttempt
from integrations.sync.requests import request_resync
from tests.engine.conftest import make_economic_integration
from tests.engine.helpers import membership, run
from tests.sandbox.economic_helpers import EconomicSandbox
from tests.ui.conftest import HTMX

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def eco(sandbox, economic_settings) -> EconomicSandbox:
    return EconomicSandbox(sandbox)


def entry_card(client, document, integration, **headers) -> str:
    url = reverse("integrations:document_tab", args=[document.pk])
    html = client.get(url, {"integration": integration.pk}, headers=HTMX, **headers).content.decode()
    start = html.index('data-kind="bill"')
    return html[start : html.index("</article>", start)], html


def test_the_tab_follows_the_file_onto_the_voucher_and_past_its_booking(
    accountant_client, company, master, make_document, eco
):
    agreement = eco.agreement("Nordlys ApS (files)")
    integration = make_economic_integration(company, agreement, master)
    document = make_document(status="awaiting_approval", invoice_number="INV-501")
    pdf = document_pdf(document)
    services.document_attach_file(document=document, actor=None, upload=SimpleUploadedFile("INV-501.pdf", pdf))
    document = services.document_approve(document=document, actor=None)
    run(integration)

    card, html = entry_card(accountant_client, document, integration)
    assert 'data-file-state="attached"' in card and '<span class="file-name">INV-501.pdf</span>' in card
    upload = SyncAttempt.objects.get(document=document, action="attach")
    document.refresh_from_db()
    assert upload.outcome == "success" and upload.request_data["sha256"] == document.file_sha256
    record = html[html.index(f'id="attempt-{upload.pk}"') :]
    assert "File attached" in record and '<dd class="sent-file">INV-501.pdf</dd>' in record
    assert f"({len(pdf)} bytes)" in record and "%PDF" not in html  # described, never the bytes

    request_resync(membership=membership(document), document=document, integration=integration, kind="bill")
    run(integration)
    assert SyncAttempt.objects.filter(document=document, action="attach").count() == 1  # nothing uploaded again
    card, _ = entry_card(accountant_client, document, integration)
    assert 'data-file-state="unchanged"' in card

    entry = ErpEntry.objects.get(document=document, integration=integration, kind="bill")
    eco.action(agreement, "book_entries", vouchers=[entry.erp_id])
    services.document_attach_file(
        document=document, actor=None, upload=SimpleUploadedFile("INV-501-corrected.pdf", pdf + b"\n% corrected\n")
    )
    run(integration)
    card, _ = entry_card(accountant_client, document, integration)
    entry.refresh_from_db()
    voucher = entry.erp_number  # e-conomic's voucher number, as its booked reason names it
    assert entry.booked and entry.booked_reason == f"Booked in e-conomic (voucher {voucher})"
    assert 'data-file-state="booked"' in card and "Booked without its file" in card
    assert f"Booked in e-conomic (voucher {voucher}): it keeps the file Roger attached before" in card
    card, _ = entry_card(accountant_client, document, integration, HTTP_ACCEPT_LANGUAGE="da")
    assert "Bogført uden sin fil" in card
    assert f"Bogført i e-conomic (bilag {voucher}): det beholder den fil, Roger vedhæftede tidligere" in card
