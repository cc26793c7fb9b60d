"""Which OAuth scopes Roger asks Xero for, as the settings decide (issue #12, point 3).

``XERO_SCOPES`` (an explicit list) wins; otherwise ``XERO_BROAD_SCOPES`` picks the broad scopes an app created
before 2 March 2026 may still use; otherwise the granular ones, which newer apps must use
(developer.xero.com/faq/granular-scopes).  The choice must reach both the consent screen (the connect flow's
authorize URL) and the workers' token refreshes (the same OAuth client).
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.test import override_settings
from django.urls import reverse

from integrations.connectors.xero.scopes import BROAD_SCOPES, GRANULAR_SCOPES
from integrations.models import Integration
from integrations.sync.auth import xero_oauth_client, xero_scopes

EXPLICIT = ("offline_access", "accounting.transactions.read", "accounting.settings.read")
APP = {"XERO_CLIENT_ID": "roger-test", "XERO_CLIENT_SECRET": "roger-test-secret"}


@pytest.mark.parametrize(
    ("configured", "expected"),
    [
        ({"XERO_SCOPES": (), "XERO_BROAD_SCOPES": False}, GRANULAR_SCOPES),
        ({"XERO_SCOPES": (), "XERO_BROAD_SCOPES": True}, BROAD_SCOPES),
        ({"XERO_SCOPES": EXPLICIT, "XERO_BROAD_SCOPES": True}, EXPLICIT),  # an explicit list wins over both
        ({"XERO_SCOPES": EXPLICIT, "XERO_BROAD_SCOPES": False}, EXPLICIT),
    ],
    ids=["granular-by-default", "broad-for-older-apps", "explicit-over-broad", "explicit-over-granular"],
)
def test_the_settings_decide_the_scopes_and_the_oauth_client_uses_them(configured, expected):
    with override_settings(**configured, **APP):
        assert xero_scopes() == expected
        # The workers' refresh and the connect flow share this client: both carry the same scopes.
        assert xero_oauth_client(redirect_uri="https://roger.example/cb").scopes == expected


def test_the_default_scopes_are_granular_and_cover_what_roger_calls():
    with override_settings(XERO_SCOPES=(), XERO_BROAD_SCOPES=False):
        scopes = set(xero_scopes())
    assert "accounting.transactions" not in scopes  # refused as an invalid scope for apps since 2 March 2026
    assert {"offline_access", "accounting.invoices", "accounting.payments", "accounting.contacts"} <= scopes


def _authorize_scopes(client) -> list[str]:
    r = client.post(reverse("integrations:xero_connect"))
    assert r.status_code == 302
    assert r["Location"].startswith("https://login.xero.com/identity/connect/authorize")
    [scope] = parse_qs(urlsplit(r["Location"]).query)["scope"]
    return scope.split()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("configured", "expected"),
    [
        ({"XERO_SCOPES": (), "XERO_BROAD_SCOPES": False}, GRANULAR_SCOPES),
        ({"XERO_SCOPES": (), "XERO_BROAD_SCOPES": True}, BROAD_SCOPES),
        ({"XERO_SCOPES": EXPLICIT, "XERO_BROAD_SCOPES": True}, EXPLICIT),
    ],
    ids=["granular", "broad", "explicit"],
)
def test_the_connect_flow_asks_xero_for_the_configured_scopes(admin_client_, configured, expected):
    with override_settings(**configured, **APP, XERO_LOGIN_URL="https://login.xero.com"):
        assert _authorize_scopes(admin_client_) == list(expected)


@pytest.mark.django_db
def test_an_older_app_set_to_broad_scopes_connects_with_them_against_the_sandbox(
    admin_client_, company, sandbox, xero_settings
):
    """An app created before 2 March 2026 (the sandbox's ``granular_only`` off) still gets its broad grant."""
    sandbox.configure(xero={"granular_only": False})
    sandbox.new_xero_tenant("Nordlys Sandbox")
    with override_settings(XERO_SCOPES=(), XERO_BROAD_SCOPES=True):
        r = admin_client_.post(reverse("integrations:xero_connect"))
        back = requests.get(r["Location"], allow_redirects=False, timeout=10).headers["Location"]
        assert parse_qs(urlsplit(back).query)["scope"] == [" ".join(BROAD_SCOPES)]  # what Xero granted
        r = admin_client_.get(back.removeprefix("http://testserver"))
    integration = Integration.objects.get(company=company, kind="xero")
    assert r.status_code == 302 and integration.connection == "connected"


@pytest.mark.django_db
def test_a_new_app_set_to_broad_scopes_is_refused_by_xero_and_nothing_connects(
    admin_client_, company, sandbox, xero_settings
):
    """The setting is for older apps only: a new app asking for ``accounting.transactions`` gets ``invalid_scope``."""
    sandbox.new_xero_tenant("Nordlys Sandbox")
    with override_settings(XERO_SCOPES=(), XERO_BROAD_SCOPES=True):
        r = admin_client_.post(reverse("integrations:xero_connect"))
        back = requests.get(r["Location"], allow_redirects=False, timeout=10).headers["Location"]
        assert parse_qs(urlsplit(back).query)["error"] == ["invalid_scope"]
        admin_client_.get(back.removeprefix("http://testserver"))
    assert not Integration.objects.filter(company=company, kind="xero").exists()
