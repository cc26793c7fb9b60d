from __future__ import annotations

import io
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pypdf import PdfReader

from documents import services
from documents.models import Category, Document, Payment, Vendor
from integrations.models import ErpEntry, Integration, SyncAttempt
from roger.models import Company, Membership
from tests.factories import DocumentFactory

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def staff_client(client, django_user_model):
    user = django_user_model.objects.create_superuser("ops", "ops@example.com", "pw")
    client.force_login(user)
    return client


def _populate(company, integration, n: int) -> None:
    for _ in range(n):
        document = DocumentFactory(company=company)
        ErpEntry.objects.create(document=document, integration=integration, kind="bill", erp_id=f"E{document.pk}")
        SyncAttempt.objects.create(
            company=company,
            document=document,
            integration=integration,
            entry_kind="bill",
            trigger="event",
            action="create",
            outcome="success",
        )


@pytest.mark.parametrize("model", [Document, SyncAttempt, ErpEntry, Vendor, Category, Payment, Integration, Membership])
def test_admin_changelists_run_the_same_queries_for_1_and_50_rows(staff_client, company, model):
    integration = Integration.objects.create(company=company, kind="xero", name="Xero")
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    _populate(company, integration, 1)
    with CaptureQueriesContext(connection) as one:
        assert staff_client.get(url).status_code == 200
    _populate(company, integration, 49)
    with CaptureQueriesContext(connection) as fifty:
        assert staff_client.get(url).status_code == 200
    assert len(fifty) == len(one)


def test_the_log_admin_is_read_only_and_searchable(staff_client, company):
    integration = Integration.objects.create(company=company, kind="xero", name="Xero")
    _populate(company, integration, 2)
    attempt = SyncAttempt.objects.first()
    url = reverse("admin:integrations_syncattempt_changelist")
    r = staff_client.get(url, {"q": attempt.document.invoice_number, "outcome__exact": "success"})
    assert r.status_code == 200 and attempt.reference.encode() in r.content
    assert staff_client.get(reverse("admin:integrations_syncattempt_add")).status_code == 403
    r = staff_client.post(reverse("admin:integrations_syncattempt_delete", args=[attempt.pk]), {"post": "yes"})
    assert r.status_code == 403 and SyncAttempt.objects.filter(pk=attempt.pk).exists()


def test_seed_demo_twice_gives_the_same_data(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    call_command("seed_demo")

    def snapshot():
        return (
            sorted(Company.objects.values_list("slug", flat=True)),
            sorted(Document.objects.values_list("invoice_number", "status", "currency", "total", "version")),
            Payment.objects.count(),
            sorted(Membership.objects.values_list("user__username", "role")),
        )

    first = snapshot()
    call_command("seed_demo")
    assert snapshot() == first
    nordlys = Company.objects.get(slug="nordlys")
    assert nordlys.documents.count() == 122 and nordlys.vendors.count() == 8  # 120 bills and 2 credit notes
    notes = nordlys.documents.filter(kind="credit_note")
    assert notes.count() == 2 and all(note.total < 0 for note in notes) and notes.filter(credits__isnull=False).exists()
    # Every document has the PDF its supplier sent, naming the supplier and the number.
    assert not nordlys.documents.filter(file="").exists()
    sample = nordlys.documents.order_by("pk").first()
    assert sample.file_content_type == "application/pdf"
    text = PdfReader(io.BytesIO(sample.file.read())).pages[0].extract_text()
    assert sample.vendor.name in text and sample.invoice_number in text and f"{sample.total:,.2f}" in text
    assert set(nordlys.documents.values_list("status", flat=True)) == {"draft", "awaiting_approval", "approved", "paid"}
    assert set(nordlys.documents.values_list("currency", flat=True)) == {"DKK", "EUR", "USD"}


def test_production_settings_pass_check_deploy():
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE")}
    env.update(
        DEBUG="False",
        SECRET_KEY="x" * 64 + "-production-like-secret-key-value-for-the-deploy-check",
        ALLOWED_HOSTS="roger.example.com",
        ROGER_CREDENTIAL_KEYS="5Vb3mYpG3yM9oJ2lKqH0X5kL1dA7sQwErTyUiOpAsDg=",
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_seeding_again_leaves_a_document_someone_made_in_the_demo_as_they_left_it(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    call_command("seed_demo")
    nordlys = Company.objects.get(slug="nordlys")
    accountant = Membership.objects.get(company=nordlys, user__username="accountant").user
    master = nordlys.documents.order_by("pk").first()
    mine = services.document_create(
        company=nordlys,
        actor=accountant,
        vendor=master.vendor,
        invoice_number="MY-1",
        issue_date=master.issue_date,
        currency="DKK",
        total=Decimal("125.00"),
        vat=Decimal("25.00"),
    )
    call_command("seed_demo")  # make run seeds on every start
    mine.refresh_from_db()
    assert not mine.file and mine.version == 1  # no made-up supplier's file, nothing to sync
