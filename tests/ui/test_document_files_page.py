"""Issue #15 in the UI, the document's file: shown inline on the document page (a PDF in a frame of Roger's own
file view, an image as an image) with its name, size and a download link; uploaded or replaced there by editors,
refusals shown beside the form as the service words them; a viewer sees the file and no form."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from documents import services
from documents.demo_files import document_pdf
from documents.models import Document

pytestmark = pytest.mark.django_db
DA = {"HTTP_ACCEPT_LANGUAGE": "da"}


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (20, 10), "white").save(out, "PNG")
    return out.getvalue()


def with_file(document: Document, name: str, content: bytes) -> Document:
    return services.document_attach_file(document=document, actor=None, upload=SimpleUploadedFile(name, content))


def detail(client, document, **extra) -> str:
    response = client.get(reverse("documents:detail", args=[document.pk]), **extra)
    assert response.status_code == 200
    return response.content.decode()


def test_a_pdf_is_shown_in_a_frame_of_roger_s_file_view_with_its_name_size_and_download(
    accountant_client, make_document
):
    document = make_document()
    document = with_file(document, "INV 7.pdf", document_pdf(document))
    html = detail(accountant_client, document)
    file_url = reverse("documents:file", args=[document.pk])
    assert f'<iframe class="file-preview" id="file-preview" src="{file_url}?v={document.file_sha256[:12]}"' in html
    assert '<strong class="file-name">INV 7.pdf</strong>' in html
    assert f'href="{file_url}?download=1" id="file-download"' in html
    assert f'<span class="muted file-size">{document.file_size / 1024:.1f}\xa0KB</span>' in html
    # The frame is allowed because the file view is framed by its own origin only.
    framed = accountant_client.get(file_url)
    assert framed["X-Frame-Options"] == "SAMEORIGIN" and framed["Content-Type"] == "application/pdf"
    download = accountant_client.get(file_url, {"download": "1"})
    assert (
        download["Content-Disposition"].startswith("attachment")
        and 'filename="INV 7.pdf"' in download["Content-Disposition"]
    )


def test_an_image_is_shown_as_an_image(accountant_client, make_document):
    document = with_file(make_document(), "scan.png", png_bytes())
    html = detail(accountant_client, document)
    assert '<img class="file-preview" id="file-preview"' in html and "<iframe" not in html
    assert 'alt="The supplier\'s file scan.png"' in html


def test_an_editor_uploads_on_a_document_without_a_file_and_replaces_it_on_one_with(accountant_client, make_document):
    document = make_document()
    html = detail(accountant_client, document)
    assert 'id="no-file"' in html and 'id="file-form"' in html and ">Upload file</button>" in html
    upload_url = reverse("documents:file_upload", args=[document.pk])
    response = accountant_client.post(upload_url, {"file": SimpleUploadedFile("first.png", png_bytes())})
    assert response.status_code == 302
    document.refresh_from_db()
    assert document.file_name == "first.png"
    html = detail(accountant_client, document)
    assert ">Replace file</button>" in html and "Replace with another file" in html
    pdf = document_pdf(document)
    accountant_client.post(upload_url, {"file": SimpleUploadedFile("second.pdf", pdf)})
    document.refresh_from_db()
    assert (document.file_name, document.file_content_type, document.file_size) == (
        "second.pdf",
        "application/pdf",
        len(pdf),
    )


@pytest.mark.parametrize(
    ("name", "content", "words"),
    [
        ("notes.txt", b"hello", "notes.txt is not a PDF, PNG or JPEG file (its content says so, whatever its name)."),
        ("empty.pdf", b"", "empty.pdf is empty."),
        ("broken.pdf", b"%PDF-1.4\nnot a PDF", "broken.pdf looks like a PDF but cannot be opened"),
    ],
)
def test_a_refused_file_is_shown_beside_the_form_as_the_service_words_it(
    accountant_client, make_document, media, name, content, words
):
    document = make_document()
    response = accountant_client.post(
        reverse("documents:file_upload", args=[document.pk]), {"file": SimpleUploadedFile(name, content)}
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert '<p class="error" role="alert" id="file-error">' + words in html
    assert 'aria-describedby="file-help file-error"' in html
    document.refresh_from_db()
    assert not document.file and [p for p in media.rglob("*") if p.is_file()] == []


def test_a_refusal_reads_in_danish(accountant_client, make_document):
    document = make_document()
    response = accountant_client.post(
        reverse("documents:file_upload", args=[document.pk]), {"file": SimpleUploadedFile("notes.txt", b"hi")}, **DA
    )
    assert "notes.txt er ikke en PDF-, PNG- eller JPEG-fil" in response.content.decode()


def test_posting_without_a_file_says_what_to_do(accountant_client, make_document):
    document = make_document()
    response = accountant_client.post(reverse("documents:file_upload", args=[document.pk]), {})
    assert response.status_code == 422 and "Choose a PDF, PNG or JPEG file to upload." in response.content.decode()


def test_a_viewer_sees_the_file_but_no_form(viewer_client, make_document):
    document = with_file(make_document(), "INV.png", png_bytes())
    html = detail(viewer_client, document)
    assert 'id="file-preview"' in html and 'id="file-download"' in html
    assert 'id="file-form"' not in html and 'type="file"' not in html
    upload = reverse("documents:file_upload", args=[document.pk])
    assert viewer_client.post(upload, {"file": SimpleUploadedFile("x.png", png_bytes())}).status_code == 403


def test_the_file_card_speaks_danish(accountant_client, make_document):
    html = detail(accountant_client, make_document(), **DA)
    assert "Leverandørens fil" in html and ">Upload fil</button>" in html


def test_the_list_marks_documents_that_have_their_file(accountant_client, make_document):
    with_file(make_document(invoice_number="WITH-FILE"), "INV.png", png_bytes())
    make_document(invoice_number="NO-FILE")
    html = accountant_client.get(reverse("documents:list")).content.decode()
    row = html[html.index("WITH-FILE") :][:300]
    assert 'class="has-file" title="INV.png"' in row
    assert 'class="has-file"' not in html[html.index("NO-FILE") :][:200]
