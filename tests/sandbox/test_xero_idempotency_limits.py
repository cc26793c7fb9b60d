"""Idempotency-Key replay and conflicts; per-tenant minute/day/concurrent limits with Xero's headers."""

from __future__ import annotations

import threading
import time

import pytest

from tests.fixtures_sandbox import SandboxClient, XeroApi
from tests.sandbox.helpers import bill, messages


@pytest.fixture
def tenant(sandbox: SandboxClient) -> dict:
    return sandbox.new_xero_tenant("Limits ApS")


@pytest.fixture
def api(sandbox: SandboxClient, tenant: dict) -> XeroApi:
    return sandbox.xero(tenant)


def _invoices(sandbox: SandboxClient, tenant: dict) -> list[dict]:
    return sandbox.state()["tenants"][tenant["tenant_id"]]["Invoices"]


def test_it_replays_a_repeated_idempotency_key(sandbox: SandboxClient, tenant: dict, api: XeroApi) -> None:
    body = {"Invoices": [bill()]}
    first = api.put("Invoices?summarizeErrors=false", json=body, headers={"Idempotency-Key": "k-1"})
    second = api.put("Invoices?summarizeErrors=false", json=body, headers={"Idempotency-Key": "k-1"})
    assert first.status_code == second.status_code == 200
    assert first.json() == second.json()
    assert len(_invoices(sandbox, tenant)) == 1


def test_it_refuses_a_key_reused_with_a_different_request(api: XeroApi) -> None:
    api.put("Invoices", json={"Invoices": [bill()]}, headers={"Idempotency-Key": "k-2"})
    response = api.put("Invoices", json={"Invoices": [bill(InvoiceNumber="other")]}, headers={"Idempotency-Key": "k-2"})
    assert response.status_code == 400
    assert messages(response.json()) == ["Idempotency Key: k-2 is used with a different request."]


def test_it_replays_errors_too(sandbox: SandboxClient, tenant: dict, api: XeroApi) -> None:
    sandbox.fault(method="PUT", path="/Invoices", kind="500", count=1)
    first = api.put("Invoices", json={"Invoices": [bill()]}, headers={"Idempotency-Key": "k-3"})
    again = api.put("Invoices", json={"Invoices": [bill()]}, headers={"Idempotency-Key": "k-3"})
    assert first.status_code == again.status_code == 500
    assert _invoices(sandbox, tenant) == []
    fresh = api.put("Invoices", json={"Invoices": [bill()]}, headers={"Idempotency-Key": "k-4"})
    assert fresh.status_code == 200


def test_it_expires_keys_after_six_scaled_minutes(sandbox: SandboxClient, tenant: dict, api: XeroApi) -> None:
    sandbox.configure(time_scale=360.0)  # six minutes last one real second
    api.put("Invoices", json={"Invoices": [bill()]}, headers={"Idempotency-Key": "k-5"})
    time.sleep(1.1)
    api.put("Invoices", json={"Invoices": [bill()]}, headers={"Idempotency-Key": "k-5"})
    assert len(_invoices(sandbox, tenant)) == 2


def test_it_refuses_keys_longer_than_128_characters(api: XeroApi) -> None:
    response = api.put("Invoices", json={"Invoices": [bill()]}, headers={"Idempotency-Key": "k" * 129})
    assert response.status_code == 400


def test_it_sends_limit_headers_and_429s_past_the_minute_limit(sandbox: SandboxClient, api: XeroApi) -> None:
    sandbox.configure(xero={"minute_limit": 3, "day_limit": 5000, "app_minute_limit": 10000}, time_scale=30.0)
    responses = [api.get("Organisation") for _ in range(4)]
    assert [r.status_code for r in responses] == [200, 200, 200, 429]
    assert [r.headers["X-MinLimit-Remaining"] for r in responses[:3]] == ["2", "1", "0"]
    assert responses[0].headers["X-DayLimit-Remaining"] == "4999"
    assert responses[0].headers["X-AppMinLimit-Remaining"] == "9999"
    refused = responses[3]
    assert refused.headers["X-Rate-Limit-Problem"] == "minute"
    assert 1 <= int(refused.headers["Retry-After"]) <= 2  # a 60 s window at 30x lasts 2 s
    time.sleep(int(refused.headers["Retry-After"]))
    assert api.get("Organisation").status_code == 200


def test_it_429s_past_the_day_limit(sandbox: SandboxClient, api: XeroApi) -> None:
    sandbox.configure(xero={"day_limit": 2})
    assert [api.get("Organisation").status_code for _ in range(3)] == [200, 200, 429]
    refused = api.get("Organisation")
    assert refused.headers["X-Rate-Limit-Problem"] == "day"
    assert int(refused.headers["Retry-After"]) > 80_000


def test_it_sends_no_retry_after_for_the_app_minute_limit(sandbox: SandboxClient, api: XeroApi) -> None:
    sandbox.configure(xero={"app_minute_limit": 1})
    api.get("Organisation")
    refused = api.get("Organisation")
    assert refused.status_code == 429
    assert refused.headers["X-Rate-Limit-Problem"] == "appminute" and "Retry-After" not in refused.headers


def test_it_counts_a_replay_against_the_quota(sandbox: SandboxClient, api: XeroApi) -> None:
    sandbox.configure(xero={"minute_limit": 2})
    api.put("Invoices", json={"Invoices": [bill()]}, headers={"Idempotency-Key": "k-6"})
    replay = api.put("Invoices", json={"Invoices": [bill()]}, headers={"Idempotency-Key": "k-6"})
    assert replay.headers["X-MinLimit-Remaining"] == "0"
    assert api.put("Invoices", json={"Invoices": [bill()]}, headers={"Idempotency-Key": "k-6"}).status_code == 429


def test_it_429s_past_the_concurrency_limit(sandbox: SandboxClient, api: XeroApi) -> None:
    sandbox.configure(xero={"concurrent_limit": 2})
    sandbox.fault(method="GET", path="/Organisation", kind="latency", latency_ms=800, count=2)
    results: list[int] = []

    def call() -> None:
        results.append(api.get("Organisation").status_code)

    slow = [threading.Thread(target=call) for _ in range(2)]
    for thread in slow:
        thread.start()
    time.sleep(0.3)
    third = api.get("Organisation")
    for thread in slow:
        thread.join()
    assert sorted(results) == [200, 200]
    assert third.status_code == 429 and third.headers["X-Rate-Limit-Problem"] == "concurrent"
    # Xero sends Retry-After only for the minute and day limits (developer.xero.com/documentation/guides/oauth2/
    # limits/): a client must not expect one here.
    assert "Retry-After" not in third.headers
    assert sandbox._call("GET", "stats")["peak_concurrency"][f"xero:{api.tenant['tenant_id']}"] == 2


def test_it_keeps_each_tenants_limits_apart(sandbox: SandboxClient, api: XeroApi) -> None:
    other = sandbox.xero(sandbox.new_xero_tenant("Other"))
    sandbox.configure(xero={"minute_limit": 1})
    assert api.get("Organisation").status_code == 200
    assert api.get("Organisation").status_code == 429
    assert other.get("Organisation").status_code == 200
