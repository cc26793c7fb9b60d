"""Xero's OAuth 2 client on recorded identity responses; no network."""

from __future__ import annotations

import base64
import logging
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses

from integrations.connectors.base import ConnectorError, ErrorCategory
from integrations.connectors.xero_oauth import MemoryTokenSource, TokenSet, XeroOAuthClient
from tests.connectors.xero_helpers import load

TOKEN_URL = "https://identity.xero.com/connect/token"
SECRET = "client-secret-XYZ"


@pytest.fixture
def client():
    return XeroOAuthClient("client-1", SECRET, redirect_uri="https://roger.example/integrations/xero/callback")


@pytest.fixture
def rsps():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def test_authorization_url(client):
    url = client.authorization_url("state-123")
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == "https://login.xero.com/identity/connect/authorize"
    q = parse_qs(parts.query)
    assert q["response_type"] == ["code"]
    assert q["client_id"] == ["client-1"]
    assert q["state"] == ["state-123"]
    assert q["redirect_uri"] == ["https://roger.example/integrations/xero/callback"]
    # Granular scopes by default: apps created on or after 2 March 2026 cannot ask for accounting.transactions.
    assert q["scope"] == [
        "offline_access accounting.invoices accounting.payments accounting.contacts accounting.settings.read "
        "accounting.attachments"
    ]


def test_an_older_app_may_ask_for_the_broad_scopes():
    from integrations.connectors.xero.scopes import BROAD_SCOPES

    old_app = XeroOAuthClient("client-1", SECRET, redirect_uri="https://roger.example/cb", scopes=BROAD_SCOPES)
    scope = parse_qs(urlsplit(old_app.authorization_url("s")).query)["scope"]
    assert scope == [
        "offline_access accounting.transactions accounting.contacts accounting.settings.read accounting.attachments"
    ]


def test_exchange_code_uses_basic_auth_and_returns_a_token_set(client, rsps):
    rsps.post(TOKEN_URL, json=load("token"))
    before = datetime.now(UTC)
    tokens = client.exchange_code("code-abc")
    assert tokens.access_token == "eyJhbGciOiJSUzI1NiJ9.access-AAA"
    assert tokens.refresh_token == "refresh-BBB-0001"
    assert tokens.expires_at.tzinfo is not None
    assert before + timedelta(seconds=1790) <= tokens.expires_at <= datetime.now(UTC) + timedelta(seconds=1810)
    assert "accounting.transactions" in tokens.scope
    request = rsps.calls[0].request
    assert request.headers["Authorization"] == "Basic " + base64.b64encode(f"client-1:{SECRET}".encode()).decode()
    form = parse_qs(request.body)
    assert form["grant_type"] == ["authorization_code"] and form["code"] == ["code-abc"]
    assert "client_secret" not in form


def test_refresh_rotates(client, rsps):
    rsps.post(TOKEN_URL, json={**load("token"), "refresh_token": "refresh-BBB-0002", "access_token": "acc-2"})
    tokens = client.refresh("refresh-BBB-0001")
    assert (tokens.access_token, tokens.refresh_token) == ("acc-2", "refresh-BBB-0002")
    form = parse_qs(rsps.calls[0].request.body)
    assert form["grant_type"] == ["refresh_token"] and form["refresh_token"] == ["refresh-BBB-0001"]


def test_invalid_grant_is_authentication(client, rsps):
    rsps.post(TOKEN_URL, json={"error": "invalid_grant"}, status=400)
    with pytest.raises(ConnectorError) as info:
        client.refresh("refresh-BBB-0001")
    assert info.value.error.category is ErrorCategory.AUTHENTICATION
    assert info.value.error.code == "invalid_grant"
    assert "refresh-BBB-0001" not in str(info.value)


@pytest.mark.parametrize(
    ("kwargs",),
    [
        ({"status": 503, "body": "<html>Service Unavailable</html>", "content_type": "text/html"},),
        ({"status": 200, "body": '{"access_token": "x', "content_type": "application/json"},),
        ({"body": requests.ConnectionError("reset")},),
    ],
)
def test_identity_trouble_is_temporary(client, rsps, kwargs):
    rsps.post(TOKEN_URL, **kwargs)
    with pytest.raises(ConnectorError) as info:
        client.refresh("refresh-BBB-0001")
    assert info.value.error.category is ErrorCategory.TEMPORARY


def test_connections(client, rsps):
    rsps.get("https://api.xero.com/connections", json=load("connections"))
    [tenant] = client.connections("acc-1")
    assert tenant.tenant_id == "70784a63-d24b-46a9-a4db-0e70a274b056"
    assert tenant.connection_id == "e1eede29-f875-4a5d-8470-17f6a29a88b1"
    assert (tenant.tenant_name, tenant.tenant_type) == ("Nordlys ApS", "ORGANISATION")
    assert rsps.calls[0].request.headers["Authorization"] == "Bearer acc-1"


def test_connections_with_a_dead_token_is_authentication(client, rsps):
    rsps.get("https://api.xero.com/connections", json=load("error_unauthorized"), status=401)
    with pytest.raises(ConnectorError) as info:
        client.connections("acc-1")
    assert info.value.error.category is ErrorCategory.AUTHENTICATION


def test_plain_http_only_on_loopback():
    with pytest.raises(ValueError):
        XeroOAuthClient("c", "s", redirect_uri="https://x", identity_url="http://identity.example.com")
    XeroOAuthClient("c", "s", redirect_uri="http://127.0.0.1/cb", identity_url="http://127.0.0.1:8765/xero/identity")


def test_token_set_and_client_never_show_secrets(client):
    tokens = TokenSet("acc-secret", "ref-secret", datetime(2026, 4, 1, tzinfo=UTC), ("offline_access",))
    for text in (repr(tokens), str(tokens), repr(client)):
        assert "acc-secret" not in text and "ref-secret" not in text and SECRET not in text


def test_library_debug_logging_is_redacted(client, rsps, caplog):
    rsps.post(TOKEN_URL, json=load("token"))
    with caplog.at_level(logging.DEBUG):
        client.exchange_code("code-abc")
    logged = caplog.text
    assert "eyJhbGciOiJSUzI1NiJ9.access-AAA" not in logged
    assert "refresh-BBB-0001" not in logged


def test_memory_token_source_refreshes_once_per_stale_token(client, rsps):
    rsps.post(TOKEN_URL, json={**load("token"), "access_token": "acc-2", "refresh_token": "r-2"})
    stored = []
    source = MemoryTokenSource(
        client, TokenSet("acc-1", "r-1", datetime.now(UTC) + timedelta(minutes=20)), on_rotate=stored.append
    )
    assert source.access_token() == "acc-1"
    assert source.refresh_after_401("acc-1") == "acc-2"
    assert source.refresh_after_401("acc-1") == "acc-2"  # someone else already refreshed: no second call
    assert len(rsps.calls) == 1
    assert stored[0].refresh_token == "r-2"
