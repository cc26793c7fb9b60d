"""Issue #14 point 9: the integration log keeps the ERP's answer for successes too — its id, number and status
(``SyncAttempt.erp_status``, written by the engine's record builder) — and the Integrations tab shows it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from documents import services
from integrations.models import ErpEntry, SyncAttempt
from tests.engine.helpers import run

pytestmark = pytest.mark.django_db


def test_a_created_bill_records_the_erps_status_and_the_log_shows_it(erp, make_document, client, admin_user):
    document = make_document(status="awaiting_approval", invoice_number="INV-STATUS")
    services.document_approve(document=document, actor=None)
    run(erp.integration)
    [attempt] = SyncAttempt.objects.filter(document=document)
    entry = ErpEntry.objects.get(document=document, kind="bill")
    assert attempt.outcome == "success" and attempt.erp_status and attempt.erp_status == entry.erp_status
    client.force_login(admin_user)
    url = reverse("integrations:document_tab", args=[document.pk])
    html = client.get(url, {"integration": erp.integration.pk}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f"status {attempt.erp_status}" in html and attempt.erp_id in html
