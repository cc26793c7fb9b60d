"""Issue #15: a document's file goes through Django's storage API only, so the backend configured from the
environment (``ROGER_FILE_STORAGE``, e.g. django-storages' S3) carries it from the upload to the ERP.  Django's own
``InMemoryStorage`` stands in for a remote backend: nothing may reach the file system on the way."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from documents.demo_files import document_pdf
from documents.models import Document
from integrations.models import ErpEntry
from integrations.sync.requests import request_bulk_resync
from tests.engine.helpers import membership, run

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


def test_a_storage_that_is_not_the_file_system_carries_the_file_from_upload_to_the_erp(
    erp, make_document, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"}}
    document = make_document(invoice_number="MEM-1")
    pdf = document_pdf(document)
    client = Client()
    member = membership(document)
    client.force_login(member.user)

    response = client.post(
        reverse("documents:file_upload", args=[document.pk]), {"file": SimpleUploadedFile("MEM-1.pdf", pdf)}
    )
    assert response.status_code in (200, 302)
    document = Document.objects.get(pk=document.pk)
    assert type(default_storage._wrapped).__name__ == "InMemoryStorage"
    assert default_storage.exists(document.file.name)
    served = client.get(reverse("documents:file", args=[document.pk]))
    assert b"".join(served.streaming_content if served.streaming else [served.content]) == pdf

    request_bulk_resync(membership=member, document_ids=[document.pk])
    run(erp.integration)
    entry = ErpEntry.objects.get(document=document, integration=erp.integration, kind="bill")
    assert [sha for _, sha in erp.files()[entry.erp_id]] == [hashlib.sha256(pdf).hexdigest()]
    assert not any(p.is_file() for p in tmp_path.rglob("*")), "a file reached the file system"


def test_the_backend_and_its_options_come_from_the_environment(tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "roger.settings",
        "ROGER_FILE_STORAGE": "django.core.files.storage.FileSystemStorage",
        "ROGER_FILE_STORAGE_OPTIONS": json.dumps({"location": str(tmp_path / "bucket")}),
    }
    probe = (
        "import django; django.setup();"
        "from django.core.files.storage import default_storage as s; from django.core.files.base import ContentFile;"
        "name = s.save('probe.txt', ContentFile(b'x')); print(type(s._wrapped).__name__, name)"
    )
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["FileSystemStorage", "probe.txt"]
    assert (tmp_path / "bucket" / "probe.txt").read_bytes() == b"x"
