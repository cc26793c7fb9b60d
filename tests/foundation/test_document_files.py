"""Issue #15, Roger's side: a document's file (checked from its content, stored, served only to its company) and
credit notes (negative, correcting a bill of the same supplier).  Bad input is refused naming the problem, and
nothing is half-stored."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from documents import services
from documents.demo_files import document_pdf
from documents.models import Document
from roger.models import Membership
from tests.factories import MembershipFactory, UserFactory, VendorFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


class RawUpload(io.BytesIO):
    """An upload whose name arrives as the sender wrote it (Django's own ``UploadedFile`` would cut paths off)."""

    def __init__(self, name: str, content: bytes) -> None:
        super().__init__(content)
        self.name, self.size = name, len(content)


def stored_files(media) -> list[str]:
    return sorted(p.name for p in media.rglob("*") if p.is_file())


def png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (20, 10), "white").save(out, "PNG")
    return out.getvalue()


def test_a_pdf_is_stored_with_its_checksum_and_the_change_reaches_the_erp(make_document, media):
    document = make_document()
    pdf = document_pdf(document)
    updated = services.document_attach_file(
        document=document, actor=None, upload=SimpleUploadedFile("INV 7.pdf", pdf, content_type="text/plain")
    )
    assert (updated.file_name, updated.file_content_type, updated.file_size) == (
        "INV 7.pdf",
        "application/pdf",
        len(pdf),
    )
    assert len(updated.file_sha256) == 64 and updated.version == document.version + 1
    assert updated.file.read() == pdf  # what was sent is what is stored, whatever the browser claimed


def test_the_type_comes_from_the_content_not_the_name(make_document):
    document = services.document_attach_file(
        document=make_document(), actor=None, upload=SimpleUploadedFile("scan.pdf", png_bytes())
    )
    assert (document.file_name, document.file_content_type) == ("scan.png", "image/png")


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [
        ("empty.pdf", b"", "is empty"),
        ("broken.pdf", b"%PDF-1.4\nthis is not a PDF at all", "cannot be opened"),
        ("broken.png", b"\x89PNG\r\n\x1a\nnot an image", "cannot be opened"),
        ("notes.txt", b"hello", "is not a PDF, PNG or JPEG"),
        ("animation.gif", b"GIF89a\x01\x00\x01\x00", "is not a PDF, PNG or JPEG"),
        ("../../etc/passwd.pdf", b"%PDF-", "path separator"),
        ("evil\\name.pdf", b"%PDF-", "path separator"),
        ("bell\x07.pdf", b"%PDF-", "control characters"),
    ],
)
def test_bad_files_are_refused_naming_the_problem_and_nothing_is_stored(make_document, media, name, content, problem):
    document = make_document()
    with pytest.raises(ValidationError) as refused:
        services.document_attach_file(document=document, actor=None, upload=RawUpload(name, content))
    assert problem in " ".join(refused.value.messages)
    document.refresh_from_db()
    assert not document.file and document.file_sha256 == "" and stored_files(media) == []


def test_a_file_over_the_limit_is_refused_with_both_sizes(make_document, settings, media):
    settings.ROGER_DOCUMENT_MAX_BYTES = 1000
    with pytest.raises(ValidationError) as refused:
        services.document_attach_file(
            document=make_document(), actor=None, upload=SimpleUploadedFile("big.png", png_bytes() + b"\0" * 2000)
        )
    assert "big.png is 2 kB; files of at most 1 kB" in " ".join(refused.value.messages) and stored_files(media) == []


def test_replacing_the_file_keeps_only_the_new_one_and_the_same_file_again_changes_nothing(
    make_document, media, django_capture_on_commit_callbacks
):
    document = make_document()
    with django_capture_on_commit_callbacks(execute=True):
        first = services.document_attach_file(
            document=document, actor=None, upload=SimpleUploadedFile("a.pdf", document_pdf(document))
        )
    with django_capture_on_commit_callbacks(execute=True):
        second = services.document_attach_file(
            document=first, actor=None, upload=SimpleUploadedFile("b.png", png_bytes())
        )
    assert [name.split("-", 1)[1] for name in stored_files(media)] == ["b.png"]
    again = services.document_attach_file(document=second, actor=None, upload=SimpleUploadedFile("b2.png", png_bytes()))
    assert again.version == second.version and again.file_name == "b.png"


# --- serving ----------------------------------------------------------------------------------------------------
def member(company, role: str) -> Client:
    user = UserFactory()
    MembershipFactory(user=user, company=company, role=role)
    client = Client()
    client.force_login(user)
    return client


def test_the_file_is_shown_inline_to_its_company_and_is_a_404_for_another(make_document, company, other_company):
    document = services.document_attach_file(
        document=make_document(), actor=None, upload=SimpleUploadedFile("INV.png", png_bytes())
    )
    response = member(company, Membership.Role.VIEWER).get(f"/documents/{document.pk}/file/")
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("inline") and response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == png_bytes()
    assert member(other_company, Membership.Role.ADMIN).get(f"/documents/{document.pk}/file/").status_code == 404
    assert Client().get(f"/documents/{document.pk}/file/").status_code == 302  # to the login page


def test_a_viewer_cannot_upload_and_an_accountant_can(make_document, company):
    document = make_document()
    url = f"/documents/{document.pk}/file/upload/"
    viewer = member(company, Membership.Role.VIEWER)
    assert viewer.post(url, {"file": SimpleUploadedFile("x.png", png_bytes())}).status_code == 403
    accountant = member(company, Membership.Role.ACCOUNTANT)
    # A browser's path in the name goes no further than the name itself (Django keeps only the last part).
    assert accountant.post(url, {"file": SimpleUploadedFile("../../x.png", png_bytes())}).status_code == 302
    document.refresh_from_db()
    assert document.file_name == "x.png" and document.file.name.startswith(f"documents/{company.pk}/")


# --- credit notes -----------------------------------------------------------------------------------------------
def credit_note(company, master, **values) -> Document:
    fields = {
        "company": company,
        "actor": None,
        "vendor": master["vendor"],
        "invoice_number": "CN-1",
        "issue_date": dt.date(2026, 10, 5),
        "currency": "DKK",
        "total": Decimal("-250.00"),
        "vat": Decimal("-50.00"),
        "category": master["category"],
        "vat_code": master["vat_code"],
        "kind": Document.Kind.CREDIT_NOTE,
    }
    return services.document_create(**{**fields, **values})


def test_a_credit_note_is_negative_and_settles_part_of_the_bill_it_corrects(company, master, make_document):
    bill = make_document(total=Decimal("1000.00"), vat=Decimal("200.00"))
    note = credit_note(company, master, credits=bill)
    services.document_approve(document=note, actor=None)
    assert services.amount_due(bill) == Decimal("750.00")
    assert services.amount_due(Document.objects.get(pk=note.pk)) == Decimal("250.00")  # to be refunded
    with pytest.raises(ValidationError) as refused:
        services.payment_register(
            document=bill, actor=None, amount=Decimal("1000.00"), paid_on=bill.issue_date, reference="Bank"
        )
    assert "750.00" in " ".join(refused.value.messages)


@pytest.mark.parametrize(
    ("values", "field", "problem"),
    [
        ({"total": Decimal("250.00"), "vat": Decimal("50.00")}, "total", "negative"),
        ({"total": Decimal("-250.00"), "vat": Decimal("-300.00")}, "vat", "more than the total"),
        ({"total": Decimal("-250.00"), "vat": Decimal("10.00")}, "vat", "negative or zero"),
    ],
)
def test_a_credit_note_with_wrong_amounts_is_refused(company, master, values, field, problem):
    with pytest.raises(ValidationError) as refused:
        credit_note(company, master, **values)
    assert problem in " ".join(refused.value.message_dict[field])
    assert not Document.objects.filter(kind="credit_note").exists()


def test_a_credit_note_corrects_only_a_bill_of_its_own_supplier(company, master, make_document):
    other_supplier = make_document(vendor=VendorFactory(company=company, name="Another A/S"))
    with pytest.raises(ValidationError) as refused:
        credit_note(company, master, credits=other_supplier)
    assert "not from this credit note's supplier" in " ".join(refused.value.message_dict["credits"])
    with pytest.raises(ValidationError):
        services.document_create(
            company=company,
            actor=None,
            vendor=master["vendor"],
            invoice_number="INV-9",
            issue_date=other_supplier.issue_date,
            currency="DKK",
            total=Decimal("10.00"),
            credits=other_supplier,
        )
