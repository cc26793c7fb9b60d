"""Issue #15 point 4 in the Re-sync modal: the plan says what a re-sync does with the document's file, read from the
ERP sandbox over HTTP by the real planner (``integrations.sync.planning``) — "Attach file" for a file never attached,
"File unchanged" for the file Roger attached (same checksum), "Replace file" for a file replaced since, "File
refused" for one the ERP does not take — on both ERPs, in English and in Danish."""

from __future__ import annotations

import io
import os

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from documents import services
from documents.demo_files import document_pdf
from documents.models import Document
from integrations.models import ErpEntry, SyncAttempt
from integrations.sync.requests import request_bulk_resync
from tests.engine.conftest import EconomicErp, XeroErp, make_economic_integration, make_integration
from tests.engine.helpers import membership, run
from tests.sandbox.economic_helpers import EconomicSandbox
from tests.ui.conftest import HTMX

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
DA = {"HTTP_ACCEPT_LANGUAGE": "da"}


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture(params=["xero", "economic"])
def erp(request, sandbox, company, master) -> XeroErp | EconomicErp:
    """The ERP sandbox (what it holds) with a connected integration of the test's company."""
    if request.param == "xero":
        request.getfixturevalue("xero_settings")
        tenant = sandbox.new_xero_tenant("Nordlys ApS (modal files)")
        return XeroErp(sandbox, tenant, make_integration(company, tenant, master))
    request.getfixturevalue("economic_settings")
    agreement = EconomicSandbox(sandbox).agreement("Nordlys ApS (modal files)")
    return EconomicErp(sandbox, agreement, make_economic_integration(company, agreement, master))


@pytest.fixture
def integration(erp):
    return erp.integration


def attach(document: Document, content: bytes | None = None, name: str = "") -> Document:
    content = content if content is not None else document_pdf(document)
    upload = SimpleUploadedFile(name or f"{document.invoice_number}.pdf", content)
    return services.document_attach_file(document=document, actor=None, upload=upload)


def sync(document: Document, integration) -> None:
    """The document as it is now, in the ERP: a re-sync run by the worker."""
    request_bulk_resync(membership=membership(document), document_ids=[document.pk])
    run(integration)


def modal_plan(client, document, integration, language=EN) -> str:
    """The modal's plan for the vendor bill, as the accountant sees it on opening Re-sync integration."""
    url = reverse("integrations:resync_modal", args=[document.pk])
    response = client.get(url, {"integration": integration.pk}, headers=HTMX, **language)
    assert response.status_code == 200
    html = response.content.decode()
    start = html.index('<div id="resync-plan"')
    return html[start : html.index('<div class="actions', start)]


def test_a_file_never_attached_is_attached_by_the_resync(accountant_client, make_document, integration):
    document = make_document(invoice_number="FILE-10")
    sync(document, integration)  # the bill is in the ERP without a file
    document = attach(Document.objects.get(pk=document.pk))
    plan = modal_plan(accountant_client, document, integration)
    assert 'data-file="attach"' in plan
    assert "<strong>Attach file</strong>: FILE-10.pdf goes on the entry." in plan
    assert "Replace file" not in plan and "File unchanged" not in plan
    plan = modal_plan(accountant_client, document, integration, DA)
    assert "<strong>Vedhæft fil</strong>: FILE-10.pdf vedhæftes posteringen." in plan


def test_a_new_document_s_file_is_attached_with_its_entry(accountant_client, make_document, integration):
    document = attach(make_document(status="awaiting_approval", invoice_number="FILE-11"))
    document = services.document_approve(document=document, actor=None)
    plan = modal_plan(accountant_client, document, integration)
    assert 'data-action="create"' in plan and 'data-file="attach"' in plan
    assert "FILE-11.pdf goes on the entry." in plan


def test_the_file_roger_attached_is_unchanged(accountant_client, make_document, integration):
    document = attach(make_document(status="awaiting_approval", invoice_number="FILE-12"))
    sync(services.document_approve(document=document, actor=None), integration)  # bill and file are in the ERP
    plan = modal_plan(accountant_client, document, integration)
    assert 'data-file="unchanged"' in plan
    assert "File unchanged: FILE-12.pdf is already on the entry." in plan
    assert "Attach file" not in plan and "Replace file" not in plan
    plan = modal_plan(accountant_client, document, integration, DA)
    assert "Filen er uændret: FILE-12.pdf er allerede på posteringen." in plan


def test_a_file_replaced_since_replaces_the_attachment(accountant_client, make_document, integration):
    document = attach(make_document(status="awaiting_approval", invoice_number="FILE-13"))
    sync(services.document_approve(document=document, actor=None), integration)
    document = attach(Document.objects.get(pk=document.pk), content=png(), name="scan.png")
    plan = modal_plan(accountant_client, document, integration)
    assert 'data-file="replace"' in plan
    assert "<strong>Replace file</strong>: scan.png replaces the file Roger attached before." in plan
    assert "File unchanged" not in plan and "Attach file" not in plan
    plan = modal_plan(accountant_client, document, integration, DA)
    assert "<strong>Erstat fil</strong>: scan.png erstatter den fil, Roger vedhæftede før." in plan


def test_a_file_the_erp_does_not_take_is_refused_before_anything_is_sent(
    accountant_client, make_document, integration, settings, sandbox
):
    settings.ROGER_DOCUMENT_MAX_BYTES = 30 * 1024 * 1024  # Roger takes it; neither ERP does (Xero 10 MB, e-conomic 9)
    document = make_document(invoice_number="FILE-14")
    sync(document, integration)
    document = attach(Document.objects.get(pk=document.pk), content=big_pdf(11 * 1024 * 1024), name="big.pdf")
    plan = modal_plan(accountant_client, document, integration)
    assert 'data-file="refused"' in plan and "<strong>File refused</strong>: " in plan and "big.pdf" in plan
    assert "MB" in plan and "goes on the entry" not in plan
    assert "<strong>Filen er afvist</strong>: " in modal_plan(accountant_client, document, integration, DA)


def test_a_single_resync_from_the_modal_attaches_the_replaced_file(accountant_client, make_document, erp):
    integration = erp.integration
    integration.auto_sync = False  # only the accountant's re-sync reaches the ERP
    integration.save(update_fields=["auto_sync"])
    document = attach(make_document(invoice_number="FILE-15"))
    sync(document, integration)
    first = document.file_sha256
    document = attach(Document.objects.get(pk=document.pk), content=png(), name="scan.png")
    assert 'data-file="replace"' in modal_plan(accountant_client, document, integration)
    url = reverse("integrations:resync_submit", args=[document.pk])
    response = accountant_client.post(url, {"integration": integration.pk, "kind": "bill"}, headers=HTMX)
    assert response.status_code == 204
    run(integration)
    entry = ErpEntry.objects.get(document=document, integration=integration, kind="bill")
    attached = [sha for _, sha in erp.files()[entry.erp_id]]
    assert document.file_sha256 != first and document.file_sha256 in attached
    upload = SyncAttempt.objects.filter(document=document, action="attach").latest("id")
    assert (upload.trigger, upload.outcome) == ("manual", "success")
    assert upload.request_data["sha256"] == document.file_sha256
    assert entry.attachment_sha256 == document.file_sha256
    assert 'data-file="unchanged"' in modal_plan(accountant_client, document, integration)


def png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (40, 20), "white").save(out, "PNG")
    return out.getvalue()


def big_pdf(size: int) -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    writer.add_attachment("padding.bin", os.urandom(size))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
