from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from documents import services
from documents.models import Document, Payment
from documents.signals import document_changed
from roger.models import Company
from tests.factories import CategoryFactory, DocumentFactory, VendorFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def events():
    received = []

    def receiver(sender, **kwargs):
        received.append(kwargs)

    document_changed.connect(receiver, dispatch_uid="test-events")
    yield received
    document_changed.disconnect(dispatch_uid="test-events")


def _create(company, **overrides):
    values = dict(
        company=company,
        actor=None,
        vendor=VendorFactory(company=company),
        invoice_number="A-1",
        issue_date=dt.date(2026, 10, 1),
        due_date=dt.date(2026, 10, 31),
        currency="DKK",
        total=Decimal("125.00"),
        vat=Decimal("25.00"),
    )
    values.update(overrides)
    return services.document_create(**values)


def test_it_creates_a_draft_and_sends_one_event(company, events):
    document = _create(company)
    assert document.status == Document.Status.DRAFT and document.version == 1
    assert [e["event"] for e in events] == ["created"]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"total": Decimal("-5.00"), "vat": Decimal("0")}, "total"),
        ({"vat": Decimal("200.00")}, "vat"),
        ({"total": Decimal("10.005")}, "total"),
        ({"due_date": dt.date(2026, 9, 1)}, "due_date"),
        ({"currency": "XXX"}, "currency"),
        ({"invoice_number": ""}, "invoice_number"),
    ],
)
def test_it_refuses_bad_input_naming_the_field_and_saves_nothing(company, events, overrides, field):
    with pytest.raises(ValidationError) as error:
        _create(company, **overrides)
    assert field in error.value.message_dict
    assert not Document.objects.exists() and events == []


def test_it_refuses_master_data_of_another_company(company, other_company):
    with pytest.raises(ValidationError) as error:
        _create(company, vendor=VendorFactory(company=other_company))
    assert "vendor" in error.value.message_dict


def test_it_bumps_the_version_only_for_synced_fields(company, events):
    document = DocumentFactory(company=company, status="draft")
    services.document_submit(document=document, actor=None)
    assert Document.objects.get(pk=document.pk).version == 1  # submitting reaches no ERP
    services.document_update(document=document, actor=None, description=document.description)  # no change
    assert Document.objects.get(pk=document.pk).version == 1
    services.document_update(document=document, actor=None, description="New text", due_date=dt.date(2026, 11, 30))
    assert Document.objects.get(pk=document.pk).version == 2
    assert events[-1]["event"] == "updated" and events[-1]["changed"] == {"description", "due_date"}
    assert [e["event"] for e in events] == ["submitted", "updated"]


def test_it_refuses_fields_that_cannot_be_edited(company):
    document = DocumentFactory(company=company)
    with pytest.raises(ValidationError) as error:
        services.document_update(document=document, actor=None, status="paid")
    assert "status" in error.value.message_dict


def test_it_approves_once_and_bumps_the_version(company, events):
    document = DocumentFactory(company=company, status="awaiting_approval")
    services.document_approve(document=document, actor=None)
    document.refresh_from_db()
    assert document.status == "approved" and document.version == 2 and document.approved_at
    with pytest.raises(ValidationError):
        services.document_approve(document=document, actor=None)
    assert [e["event"] for e in events] == ["approved"]


def test_it_registers_partial_and_final_payments(company, events):
    document = DocumentFactory(company=company, total=Decimal("100.00"), vat=Decimal("20.00"))
    services.payment_register(document=document, actor=None, amount=Decimal("40.00"), paid_on=dt.date(2026, 10, 5))
    assert Document.objects.get(pk=document.pk).status == "approved"
    with pytest.raises(ValidationError) as error:
        services.payment_register(document=document, actor=None, amount=Decimal("60.01"), paid_on=dt.date(2026, 10, 6))
    assert "amount" in error.value.message_dict
    services.payment_register(document=document, actor=None, amount=Decimal("60.00"), paid_on=dt.date(2026, 10, 6))
    document.refresh_from_db()
    assert document.status == "paid" and document.paid_on == dt.date(2026, 10, 6) and document.version == 3
    assert [e["event"] for e in events] == ["payment_registered", "paid"]


def test_it_refuses_payments_on_documents_not_approved(company):
    document = DocumentFactory(company=company, status="draft")
    with pytest.raises(ValidationError):
        services.payment_register(document=document, actor=None, amount=Decimal("1.00"), paid_on=dt.date(2026, 10, 5))
    assert not Payment.objects.exists()


def test_it_marks_as_paid(company, events):
    document = DocumentFactory(company=company)
    services.document_mark_paid(document=document, actor=None, paid_on=dt.date(2026, 10, 20))
    document.refresh_from_db()
    assert document.status == "paid" and document.marked_paid and document.paid_on == dt.date(2026, 10, 20)
    assert [e["event"] for e in events] == ["paid"]


def test_a_rollback_leaves_no_trace_of_what_receivers_wrote(company):
    """Receivers run inside the service's transaction: a rollback undoes their rows with the change."""

    def receiver(sender, document, **kwargs):
        Company.objects.create(name=f"written by receiver for {document.pk}", slug=f"r-{document.pk}")

    document = DocumentFactory(company=company, description="before")
    document_changed.connect(receiver, dispatch_uid="test-rollback")
    try:
        with pytest.raises(RuntimeError), transaction.atomic():
            services.document_update(document=document, actor=None, description="after")
            assert Company.objects.filter(slug=f"r-{document.pk}").exists()
            raise RuntimeError("the caller fails after the service")
        assert not Company.objects.filter(slug=f"r-{document.pk}").exists()
        assert Document.objects.get(pk=document.pk).description == "before"
        services.document_update(document=document, actor=None, description="after")
        assert Company.objects.filter(slug=f"r-{document.pk}").exists()
    finally:
        document_changed.disconnect(dispatch_uid="test-rollback")


def test_it_refuses_a_category_of_another_company_on_update(company, other_company):
    document = DocumentFactory(company=company)
    with pytest.raises(ValidationError) as error:
        services.document_update(document=document, actor=None, category=CategoryFactory(company=other_company))
    assert "category" in error.value.message_dict
