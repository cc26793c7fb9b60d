"""The shared HTTP seam: timeouts, no transport retries, Retry-After, JSON, redaction."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
import requests
import responses

from integrations.connectors.base import ConnectorError, ErrorCategory
from integrations.connectors.http import (
    dumps,
    loads,
    make_session,
    network_error,
    parse_json_response,
    parse_retry_after,
    redact,
    redact_headers,
)


def test_session_never_retries_at_transport_level_and_identifies_itself():
    session = make_session()
    for prefix in ("https://", "http://"):
        retries = session.get_adapter(prefix + "example.com").max_retries
        assert retries.total == 0 and not retries.read
    assert session.headers["User-Agent"].startswith("Roger")
    assert session.headers["Accept"] == "application/json"


@responses.activate
def test_session_applies_a_default_timeout():
    seen = []

    def reply(request):
        seen.append(request.req_kwargs.get("timeout"))
        return 200, {}, "{}"

    responses.add_callback(responses.GET, "https://example.com/x", callback=reply)
    make_session(timeout=(2.0, 7.0)).get("https://example.com/x")
    assert seen == [(2.0, 7.0)]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("17", 17.0),
        (" 2.5 ", 2.5),
        ("-3", 0.0),
        ("Wed, 01 Apr 2026 10:00:30 GMT", 30.0),
        ("Wed, 01 Apr 2026 09:59:00 GMT", 0.0),
        ("soon", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_retry_after(value, expected):
    assert parse_retry_after(value, now=datetime(2026, 4, 1, 10, 0, 0, tzinfo=UTC)) == expected


def test_json_round_trip_keeps_amounts_exact_and_bodies_deterministic():
    payload = {"b": Decimal("10.10"), "a": [Decimal("0.30"), "x"]}
    assert dumps(payload) == dumps(payload) == b'{"b":10.1,"a":[0.3,"x"]}'
    assert loads(b'{"Total": 1250.10}') == {"Total": Decimal("1250.10")}


def _response(status: int, body: bytes, content_type: str) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response._content = body
    response.headers["Content-Type"] = content_type
    return response


@pytest.mark.parametrize("write", [True, False])
def test_unreadable_bodies_are_temporary(write):
    with pytest.raises(ConnectorError) as info:
        parse_json_response(_response(502, b"<html>Bad Gateway</html>", "text/html"), erp="Xero", write=write)
    assert info.value.error.category is ErrorCategory.TEMPORARY
    assert info.value.error.uncertain is write
    assert info.value.error.status == 502
    with pytest.raises(ConnectorError):
        parse_json_response(_response(200, b'{"Invoices": [', "application/json"), erp="Xero", write=write)


def test_network_error_classification():
    assert network_error(requests.ReadTimeout("x"), erp="Xero", write=True).error.uncertain is True
    assert network_error(requests.ConnectTimeout("x"), erp="Xero", write=True).error.uncertain is False
    assert network_error(requests.ConnectionError("x"), erp="Xero", write=False).error.uncertain is False


def test_redaction():
    secret = "eyJhbGciOi.secret-token-123"
    text = (
        f"Authorization: Bearer {secret} refresh_token=r-456&code=abc "
        '{"access_token": "tok-789", "client_secret":"s3"} Basic dXNlcjpwYXNz'
    )
    out = redact(text, [secret])
    for leaked in (secret, "r-456", "abc ", "tok-789", '"s3"', "dXNlcjpwYXNz"):
        assert leaked not in out
    assert redact("AccountCode 400 is archived") == "AccountCode 400 is archived"
    assert redact_headers({"Authorization": "Bearer x", "xero-tenant-id": "t"}) == {
        "Authorization": "***",
        "xero-tenant-id": "t",
    }


def test_conformance_maps_sandbox_urls_onto_xeros_server():
    from tests.connectors.xero_conformance import map_url

    assert map_url("http://127.0.0.1:8765/xero/api.xro/2.0/Invoices?page=1") == (
        "https://api.xero.com/api.xro/2.0/Invoices?page=1"
    )
    assert map_url("http://127.0.0.1:8765/xero/connections") is None
