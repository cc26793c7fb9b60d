from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from integrations.models import ErpEntry, Integration, SyncAttempt, SyncJob
from tests.factories import DocumentFactory

pytestmark = pytest.mark.django_db


def _refused(**overrides) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        DocumentFactory(**overrides)


def test_it_refuses_a_negative_total():
    _refused(total=Decimal("-1.00"), vat=Decimal("0"))


def test_it_refuses_vat_above_the_total():
    _refused(total=Decimal("100.00"), vat=Decimal("100.01"))


def test_it_refuses_a_due_date_before_the_issue_date():
    import datetime as dt

    _refused(issue_date=dt.date(2026, 5, 2), due_date=dt.date(2026, 5, 1))


def test_it_refuses_a_paid_document_without_a_payment_date():
    _refused(status="paid", paid_on=None)


@pytest.fixture
def integration(company):
    return Integration.objects.create(company=company, kind="xero", name="Xero", connection="connected")


def test_it_keeps_one_entry_per_document_integration_and_kind(company, integration):
    document = DocumentFactory(company=company)
    ErpEntry.objects.create(document=document, integration=integration, kind="bill")
    ErpEntry.objects.create(document=document, integration=integration, kind="payment")
    with pytest.raises(IntegrityError), transaction.atomic():
        ErpEntry.objects.create(document=document, integration=integration, kind="bill")


def test_it_refuses_the_same_erp_id_for_two_documents(company, integration):
    a, b = DocumentFactory(company=company), DocumentFactory(company=company)
    ErpEntry.objects.create(document=a, integration=integration, kind="bill", erp_id="X-1")
    with pytest.raises(IntegrityError), transaction.atomic():
        ErpEntry.objects.create(document=b, integration=integration, kind="bill", erp_id="X-1")


def test_it_keeps_one_open_sync_job_per_document_and_integration(company, integration):
    document = DocumentFactory(company=company)
    now = timezone.now()
    SyncJob.objects.create(document=document, integration=integration, wanted_version=1, next_attempt_at=now)
    with pytest.raises(IntegrityError), transaction.atomic():
        SyncJob.objects.create(
            document=document, integration=integration, wanted_version=2, next_attempt_at=now, state="running"
        )
    # Finished jobs are history: any number of them may exist beside the open one.
    SyncJob.objects.create(
        document=document, integration=integration, wanted_version=1, next_attempt_at=now, state="done"
    )
    SyncJob.objects.create(
        document=document, integration=integration, wanted_version=1, next_attempt_at=now, state="done"
    )


@pytest.fixture
def attempt(company, integration):
    document = DocumentFactory(company=company)
    return SyncAttempt.objects.create(
        company=company,
        document=document,
        integration=integration,
        entry_kind="bill",
        trigger="event",
        action="create",
        outcome="success",
    )


def test_it_gives_each_log_record_a_short_quotable_reference(attempt):
    assert attempt.reference.startswith("SA-") and len(attempt.reference) == 13
    assert not set(attempt.reference[3:]) & set("01OI")  # nothing to misread over the phone


def test_it_refuses_to_change_a_log_record_through_the_orm(attempt):
    attempt.outcome = "failed"
    with pytest.raises(ValidationError):
        attempt.save()
    with pytest.raises(ValidationError):
        SyncAttempt.objects.filter(pk=attempt.pk).update(outcome="failed")
    with pytest.raises(ValidationError):
        attempt.delete()
    with pytest.raises(ValidationError):
        SyncAttempt.objects.filter(pk=attempt.pk).delete()
    assert SyncAttempt.objects.get(pk=attempt.pk).outcome == "success"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger exists on PostgreSQL, production's database")
def test_it_refuses_raw_sql_updates_and_deletes_of_log_records_on_postgresql(attempt):
    for sql in (
        "UPDATE integrations_syncattempt SET outcome = 'failed' WHERE id = %s",
        "DELETE FROM integrations_syncattempt WHERE id = %s",
    ):
        with pytest.raises(Exception, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [attempt.pk])
    assert SyncAttempt.objects.get(pk=attempt.pk).outcome == "success"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger exists on PostgreSQL, production's database")
def test_it_refuses_a_payment_on_a_draft_in_the_database(company):
    document = DocumentFactory(company=company, status="draft")
    with pytest.raises(IntegrityError, match="approved"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO documents_payment (document_id, amount, paid_on, reference, created_at) "
            "VALUES (%s, 10, '2026-10-10', '', now())",
            [document.pk],
        )
