from __future__ import annotations

import datetime as dt
import re
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.urls import reverse

from integrations.connectors.base import CatalogItem, ConnectionInfo, ConnectorError, ErpError, ErrorCategory
from integrations.connectors.xero_oauth import TokenSet, XeroTenant
from integrations.models import Integration
from integrations.services import SESSION_KEY

pytestmark = pytest.mark.django_db
SETTINGS_URL = reverse("integrations:settings")


class FakeConnector:
    def __init__(self, error: ErpError | None = None):
        self.error = error

    def _maybe_fail(self):
        if self.error:
            raise ConnectorError(self.error)

    def check_connection(self):
        self._maybe_fail()
        return ConnectionInfo(ok=True, organisation="Nordlys Demo")

    def accounts(self):
        self._maybe_fail()
        return [
            CatalogItem("429", "General Expenses"),
            CatalogItem("4010", "Rent"),
            CatalogItem("999", "Old", active=False),
        ]

    def tax_rates(self):
        return [CatalogItem("INPUT", "Input VAT 25%")]

    def tracking_options(self):
        return [CatalogItem("Department: Sales", "Sales", group="Department")]

    def bank_accounts(self):
        return [CatalogItem("090", "Business Bank")]


@pytest.fixture
def connector(monkeypatch):
    holder = {"connector": FakeConnector()}
    monkeypatch.setattr("integrations.services._connector", lambda integration: holder["connector"])
    return holder


def test_admins_see_the_integrations_with_their_connection_state(admin_client_, xero, company):
    Integration.objects.create(
        company=company, kind="economic", name="Books", connection="needs_reconnect", connection_message="Grant revoked"
    )
    html = admin_client_.get(SETTINGS_URL).content.decode()
    assert "Xero" in html and "Needs reconnect" in html and "Grant revoked" in html
    assert 'data-connection="connected"' in html and "Test connection" in html and "Connect e-conomic" in html
    assert "Connect Xero" not in html  # already has one; reconnect is on its card


@pytest.mark.parametrize("client_fixture", ["accountant_client", "viewer_client"])
def test_it_requires_admin(request, client_fixture, xero):
    client = request.getfixturevalue(client_fixture)
    assert client.get(SETTINGS_URL).status_code == 403
    assert client.get(reverse("integrations:mappings", args=[xero.pk])).status_code == 403
    assert client.post(reverse("integrations:options", args=[xero.pk]), {}).status_code == 403
    assert client.post(reverse("integrations:test", args=[xero.pk])).status_code == 403
    assert client.post(reverse("integrations:xero_connect")).status_code == 403
    assert client.post(reverse("integrations:economic_connect"), {"journal_number": 1}).status_code == 403
    assert client.get(reverse("integrations:xero_callback"), {"code": "c", "state": "s"}).status_code == 403


def test_it_checks_ownership(admin_client_, foreign_integration):
    for name in ("options", "test"):
        assert admin_client_.post(reverse(f"integrations:{name}", args=[foreign_integration.pk])).status_code == 404
    assert admin_client_.get(reverse("integrations:mappings", args=[foreign_integration.pk])).status_code == 404
    assert admin_client_.get(reverse("integrations:xero_tenant", args=[foreign_integration.pk])).status_code == 404
    r = admin_client_.post(reverse("integrations:xero_connect"), {"integration": foreign_integration.pk})
    assert r.status_code == 404


def test_it_rejects_get_on_changes(admin_client_, xero):
    for name in ("options", "test"):
        assert admin_client_.get(reverse(f"integrations:{name}", args=[xero.pk])).status_code == 405
    assert admin_client_.get(reverse("integrations:xero_connect")).status_code == 405
    assert admin_client_.get(reverse("integrations:economic_connect")).status_code == 405


def test_it_saves_the_switches(admin_client_, xero):
    prefix = f"i{xero.pk}-"
    data = {prefix + "enabled": "on", prefix + "push_drafts": "on"}
    r = admin_client_.post(reverse("integrations:options", args=[xero.pk]), data, headers={"HX-Request": "true"})
    xero.refresh_from_db()
    assert r.status_code == 200 and r.content.decode().lstrip().startswith('<section class="card integration-card"')
    assert (xero.enabled, xero.auto_sync, xero.push_drafts, xero.book_after_sync) == (True, False, True, False)
    assert "settings saved" in r["HX-Trigger"]


def test_it_tests_the_connection(admin_client_, xero, connector):
    r = admin_client_.post(reverse("integrations:test", args=[xero.pk]), headers={"HX-Request": "true"})
    assert r.status_code == 200 and "Connected to Nordlys Demo" in r["HX-Trigger"]
    connector["connector"] = FakeConnector(
        ErpError(ErrorCategory.AUTHENTICATION, "The grant was revoked", hint="Reconnect")
    )
    r = admin_client_.post(reverse("integrations:test", args=[xero.pk]), headers={"HX-Request": "true"})
    xero.refresh_from_db()
    assert xero.connection == "needs_reconnect" and "The grant was revoked" in r.content.decode()


def test_it_edits_the_mappings_from_the_erps_catalogues(admin_client_, xero, master, connector):
    url = reverse("integrations:mappings", args=[xero.pk])
    r = admin_client_.get(url, headers={"HX-Request": "true"})
    html = r.content.decode()
    assert r.status_code == 200 and "<html" not in html and "4010 · Rent" in html and "999" not in html
    assert "090 · Business Bank" in html and "INPUT · Input VAT 25%" in html
    data = {
        f"accounts-{master['category'].pk}": "4010",
        f"tax_types-{master['vat_code'].pk}": "INPUT",
        f"tracking-{master['department'].pk}": "Department: Sales",
        "bank_account": "090",
    }
    r = admin_client_.post(url, data, headers={"HX-Request": "true"})
    xero.refresh_from_db()
    assert r.status_code == 200 and "mappings saved" in r["HX-Trigger"]
    assert xero.mappings == {
        "accounts": {str(master["category"].pk): "4010"},
        "tax_types": {str(master["vat_code"].pk): "INPUT"},
        "tracking": {str(master["department"].pk): "Department: Sales"},
        "bank_account": "090",
    }
    assert admin_client_.get(url).content.decode().count("<html") == 1  # the full-page variant


def test_two_mapping_editors_on_the_settings_page_have_distinct_ids(admin_client_, xero, economic, master, connector):
    """Both editors sit on one page: a label must point at its own integration's select."""
    ids = []
    for integration in (xero, economic):
        html = admin_client_.get(
            reverse("integrations:mappings", args=[integration.pk]), headers={"HX-Request": "true"}
        ).content.decode()
        ids.append(set(re.findall(r'id="(id_[^"]+)"', html)))
        assert f'for="id_{integration.pk}_accounts-{master["category"].pk}"' in html
    assert ids[0] and ids[1] and not ids[0] & ids[1]


def test_it_explains_when_the_erp_cannot_list_its_catalogues(admin_client_, xero, connector):
    connector["connector"] = FakeConnector(ErpError(ErrorCategory.TEMPORARY, "Xero is unavailable (HTTP 503)"))
    html = admin_client_.get(
        reverse("integrations:mappings", args=[xero.pk]) + "?refresh=1", headers={"HX-Request": "true"}
    ).content.decode()
    assert "Could not load the lists from Xero: Xero is unavailable (HTTP 503)" in html and "Try again" in html


class FakeOAuth:
    tenants = [XeroTenant("c1", "tenant-1", "Nordlys ApS", "ORGANISATION")]

    def __init__(self, redirect_uri: str):
        self.redirect_uri = redirect_uri

    def authorization_url(self, state: str) -> str:
        return f"https://login.xero.test/identity/connect/authorize?state={state}"

    def exchange_code(self, code: str) -> TokenSet:
        assert code == "the-code"
        return TokenSet("access-1", "refresh-1", dt.datetime(2026, 11, 1, 12, 30, tzinfo=dt.UTC))

    def connections(self, access_token: str):
        return self.tenants


@pytest.fixture
def fake_oauth(monkeypatch):
    monkeypatch.setattr("integrations.services.xero_oauth_client", lambda redirect_uri: FakeOAuth(redirect_uri))
    return FakeOAuth


def _start(client) -> str:
    r = client.post(reverse("integrations:xero_connect"))
    assert r.status_code == 302 and r["Location"].startswith("https://login.xero.test/identity/connect/authorize")
    return parse_qs(urlsplit(r["Location"]).query)["state"][0]


def test_it_connects_xero_through_oauth(admin_client_, company, fake_oauth):
    state = _start(admin_client_)
    r = admin_client_.get(reverse("integrations:xero_callback"), {"code": "the-code", "state": state})
    integration = Integration.objects.get(company=company, kind="xero")
    assert r.status_code == 302 and r["Location"] == f"{SETTINGS_URL}#integration-{integration.pk}"
    assert integration.connection == "connected" and integration.settings["tenant_id"] == "tenant-1"
    assert integration.settings["tenant_name"] == "Nordlys ApS"
    assert integration.settings["token_expires_at"] == "2026-11-01T12:30:00+00:00"
    assert integration.get_credentials() == {"access_token": "access-1", "refresh_token": "refresh-1"}
    assert "access-1" not in integration.credentials_encrypted


def test_it_checks_the_oauth_state(admin_client_, company, fake_oauth):
    _start(admin_client_)
    r = admin_client_.get(reverse("integrations:xero_callback"), {"code": "the-code", "state": "forged"})
    assert r.status_code == 302 and not Integration.objects.filter(company=company).exists()
    r = admin_client_.get(SETTINGS_URL)
    assert "The Xero sign-in could not be verified" in r.content.decode()
    # the state is single-use: even the right one fails after a mismatch consumed it
    assert SESSION_KEY not in admin_client_.session


def test_it_lets_the_admin_pick_among_several_organisations(admin_client_, company, fake_oauth, monkeypatch):
    monkeypatch.setattr(
        FakeOAuth,
        "tenants",
        [
            XeroTenant("c1", "tenant-1", "Nordlys ApS", "ORGANISATION"),
            XeroTenant("c2", "tenant-2", "Fjord AS", "ORGANISATION"),
        ],
    )
    state = _start(admin_client_)
    r = admin_client_.get(reverse("integrations:xero_callback"), {"code": "the-code", "state": state})
    integration = Integration.objects.get(company=company)
    assert r["Location"] == reverse("integrations:xero_tenant", args=[integration.pk])
    assert integration.connection == "not_connected"
    html = admin_client_.get(r["Location"]).content.decode()
    assert "Nordlys ApS" in html and "Fjord AS" in html
    r = admin_client_.post(r["Location"], {"tenant_id": "tenant-2"})
    integration.refresh_from_db()
    assert r.status_code == 302 and integration.connection == "connected"
    assert integration.settings["tenant_id"] == "tenant-2" and "pending_tenants" not in integration.settings


def test_it_reconnects_an_existing_integration_keeping_its_mappings(admin_client_, xero, fake_oauth):
    xero.connection, xero.mappings = "needs_reconnect", {"bank_account": "090"}
    xero.settings["tenant_id"] = "tenant-1"
    xero.save()
    r = admin_client_.post(reverse("integrations:xero_connect"), {"integration": xero.pk})
    state = parse_qs(urlsplit(r["Location"]).query)["state"][0]
    admin_client_.get(reverse("integrations:xero_callback"), {"code": "the-code", "state": state})
    xero.refresh_from_db()
    assert xero.connection == "connected" and xero.mappings == {"bank_account": "090"}
    assert Integration.objects.count() == 1


def test_it_connects_economic(admin_client_, company, connector, settings):
    settings.ECONOMIC_APP_SECRET_TOKEN = "roger-app-secret"  # Roger's own e-conomic app
    r = admin_client_.post(
        reverse("integrations:economic_connect"), {"agreement_grant_token": "grant-123", "journal_number": "3"}
    )
    integration = Integration.objects.get(company=company, kind="economic")
    assert r.status_code == 302 and integration.get_credentials() == {"agreement_grant_token": "grant-123"}
    assert integration.settings["journal_number"] == 3 and integration.connection == "connected"
    assert "grant-123" not in integration.credentials_encrypted


def test_it_asks_for_the_app_secret_when_roger_has_no_e_conomic_app(admin_client_, company, connector, settings):
    settings.ECONOMIC_APP_SECRET_TOKEN = ""
    r = admin_client_.post(
        reverse("integrations:economic_connect"), {"agreement_grant_token": "grant-123", "journal_number": "3"}
    )
    assert r.status_code == 302 and not Integration.objects.filter(company=company).exists()
    assert "paste your app&#x27;s secret token" in admin_client_.get(SETTINGS_URL).content.decode()


def _economic_card(html: str, integration: Integration) -> str:
    start = html.index(f'id="integration-{integration.pk}"')
    return html[start : html.index("</section>", start)]


def test_it_connects_e_conomic_tests_it_and_maps_from_its_catalogues(admin_client_, company, master, sandbox, settings):
    """The real connector against the e-conomic sandbox: tokens and journal in, catalogues out, mappings saved."""
    settings.ECONOMIC_API_URL = settings.ECONOMIC_APIS_URL = f"{sandbox.url}/economic"
    settings.ECONOMIC_APP_SECRET_TOKEN = ""
    agreement = requests.post(f"{sandbox.url}/_sandbox/economic/agreements", json={"name": "Nordlys e-conomic"}).json()
    r = admin_client_.post(
        reverse("integrations:economic_connect"),
        {
            "agreement_grant_token": agreement["agreement_grant_token"],
            "app_secret_token": agreement["app_secret_token"],
            "journal_number": "10",
        },
    )
    integration = Integration.objects.get(company=company, kind="economic")
    assert r["Location"] == f"{SETTINGS_URL}#integration-{integration.pk}"
    html = admin_client_.get(SETTINGS_URL).content.decode()
    assert "e-conomic: Connected to Nordlys e-conomic." in html
    for secret in (agreement["agreement_grant_token"], agreement["app_secret_token"]):
        assert secret not in html and secret not in integration.credentials_encrypted
    card = _economic_card(html, integration)
    assert "Journal 10" in card and "Book entries after sync" in card

    r = admin_client_.post(reverse("integrations:test", args=[integration.pk]), headers={"HX-Request": "true"})
    assert "Connected to Nordlys e-conomic" in r["HX-Trigger"]

    url = reverse("integrations:mappings", args=[integration.pk])
    editor = admin_client_.get(url, headers={"HX-Request": "true"}).content.decode()
    assert "VAT code → e-conomic VAT code" in editor and "Department → e-conomic department" in editor
    for option in ("2200 · Office supplies", "I25 · Input VAT 25%", "Department: 1", "5820 · Bank"):
        assert option in editor
    assert "1000 · Income statement" not in editor  # headings take no entries
    data = {
        f"accounts-{master['category'].pk}": "2210",
        f"tax_types-{master['vat_code'].pk}": "I25",
        f"tracking-{master['department'].pk}": "Department: 1",
        "bank_account": "5820",
    }
    r = admin_client_.post(url, data, headers={"HX-Request": "true"})
    integration.refresh_from_db()
    assert "mappings saved" in r["HX-Trigger"]
    assert integration.mappings == {
        "accounts": {str(master["category"].pk): "2210"},
        "tax_types": {str(master["vat_code"].pk): "I25"},
        "tracking": {str(master["department"].pk): "Department: 1"},
        "bank_account": "5820",
    }

    # A journal that does not exist is caught by the connection test; the saved tokens are kept.
    admin_client_.post(
        reverse("integrations:economic_connect"),
        {"integration": integration.pk, "name": "e-conomic", "journal_number": "99"},
    )
    integration.refresh_from_db()
    assert integration.settings["journal_number"] == 99
    assert integration.get_credentials() == {
        "agreement_grant_token": agreement["agreement_grant_token"],
        "app_secret_token": agreement["app_secret_token"],
    }
    assert "Journal 99 does not exist in e-conomic" in admin_client_.get(SETTINGS_URL).content.decode()


def test_book_after_sync_is_offered_only_where_the_erp_can_book(admin_client_, xero, economic):
    html = admin_client_.get(SETTINGS_URL).content.decode()
    assert "Book entries after sync" in _economic_card(html, economic)
    assert "Book entries after sync" not in _economic_card(html, xero)

    prefix = f"i{economic.pk}-"
    admin_client_.post(reverse("integrations:options", args=[economic.pk]), {prefix + "book_after_sync": "on"})
    economic.refresh_from_db()
    assert economic.book_after_sync and not economic.enabled  # an unticked switch is off
    prefix = f"i{xero.pk}-"
    admin_client_.post(reverse("integrations:options", args=[xero.pk]), {prefix + "book_after_sync": "on"})
    xero.refresh_from_db()
    assert not xero.book_after_sync


def test_it_connects_xero_through_the_sandbox(admin_client_, company, sandbox, settings):
    """The real OAuth client against the sandbox's login and identity hosts (authorize approves at once)."""
    settings.XERO_LOGIN_URL = f"{sandbox.url}/xero/login"
    settings.XERO_IDENTITY_URL = f"{sandbox.url}/xero/identity"
    settings.XERO_API_URL = f"{sandbox.url}/xero"
    settings.XERO_CLIENT_ID, settings.XERO_CLIENT_SECRET = "roger-test", "roger-test-secret"
    sandbox.new_xero_tenant("Nordlys Sandbox")
    r = admin_client_.post(reverse("integrations:xero_connect"))
    assert r["Location"].startswith(f"{sandbox.url}/xero/login/identity/connect/authorize")
    back = requests.get(r["Location"], allow_redirects=False, timeout=10).headers["Location"]
    assert back.startswith("http://testserver/integrations/xero/callback/")
    r = admin_client_.get(back.removeprefix("http://testserver"))
    integration = Integration.objects.get(company=company, kind="xero")
    assert r.status_code == 302 and integration.connection == "connected"
    assert integration.settings["tenant_name"] == "Nordlys Sandbox"
    assert integration.get_credentials()["refresh_token"]
