"""Connecting e-conomic, and Test connection, say what to change when Roger's journal cannot take Roger's entries
(a journal restricted to one entry type, its voucher numbers used up) or Roger's app lacks the Bookkeeping role."""

from __future__ import annotations

import pytest
from django.urls import reverse

from integrations.models import Integration
from tests.sandbox.economic_helpers import EconomicSandbox

pytestmark = pytest.mark.django_db
SETTINGS_URL = reverse("integrations:settings")


def test_connecting_to_a_journal_that_takes_one_entry_type_says_what_to_change(
    admin_client_, company, sandbox, economic_settings
):
    economic_settings.ECONOMIC_APP_SECRET_TOKEN = ""
    eco = EconomicSandbox(sandbox)
    agreement = eco.agreement("Nordlys e-conomic")
    eco.action(agreement, "journal_settings", journal=10, allowedEntryType=4)
    admin_client_.post(
        reverse("integrations:economic_connect"),
        {
            "agreement_grant_token": agreement["agreement_grant_token"],
            "app_secret_token": agreement["app_secret_token"],
            "journal_number": "10",
        },
    )
    integration = Integration.objects.get(company=company, kind="economic")
    html = admin_client_.get(SETTINGS_URL).content.decode()
    assert "Journal 10 (Roger) only takes supplier payments" in html
    assert "set the allowed entry type to all types" in html

    eco.action(agreement, "journal_settings", journal=10, allowedEntryType=0)
    ok = admin_client_.post(reverse("integrations:test", args=[integration.pk]), headers={"HX-Request": "true"})
    assert "Connected to Nordlys e-conomic" in ok["HX-Trigger"]

    eco.action(agreement, "set_roles", roles=[])
    refused = admin_client_.post(reverse("integrations:test", args=[integration.pk]), headers={"HX-Request": "true"})
    assert "Bookkeeping role" in refused["HX-Trigger"]
    integration.refresh_from_db()
    assert integration.connection == "connected"  # a missing role is not a revoked grant: no reconnect asked
