"""The sandbox's request log masks secrets, and only secrets: OAuth's authorization code where it is one (forms,
query strings, the redirect back to the client), never an ERP's own ``code`` field such as a currency code."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import requests

from integrations.sandbox.reqlog import MASK, mask_body, mask_header, mask_query
from tests.sandbox.economic_helpers import EconomicSandbox, voucher

REDIRECT = "http://localhost:8000/integrations/xero/callback"


def test_an_authorization_code_is_masked_in_the_redirect_the_token_request_and_query_strings(sandbox) -> None:
    sandbox.new_xero_tenant("Masking ApS")
    authorize = requests.get(
        f"{sandbox.url}/xero/login/identity/connect/authorize",
        params={"response_type": "code", "client_id": "roger-app", "redirect_uri": REDIRECT, "state": "s-1"},
        allow_redirects=False,
        timeout=5,
    )
    code = parse_qs(urlsplit(authorize.headers["Location"]).query)["code"][0]
    token = requests.post(
        f"{sandbox.url}/xero/identity/connect/token",
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT},
        auth=("roger-app", "s3cret"),
        timeout=5,
    )
    assert token.status_code == 200
    requests.get(f"{sandbox.url}/xero/login/identity/connect/authorize", params={"code": code}, timeout=5)

    log = sandbox.requests(erp="xero")
    assert code not in str(log) and token.json()["access_token"] not in str(log)
    redirect, token_call, with_query = log
    assert "code=%2A%2A%2A" in redirect["response_headers"]["Location"]
    assert "state=s-1" in redirect["response_headers"]["Location"]  # the rest of the redirect stays readable
    assert "code=%2A%2A%2A" in token_call["body"] and "grant_type=authorization_code" in token_call["body"]
    assert '"access_token":"***"' in token_call["response_body"]
    assert with_query["query"] == "code=%2A%2A%2A"


def test_e_conomic_s_currency_code_stays_readable_and_its_tokens_do_not(sandbox) -> None:
    eco = EconomicSandbox(sandbox)
    agreement = eco.agreement("Masking ApS")
    response = eco.api(agreement).post("journals/10/vouchers", json=voucher(currency={"code": "EUR"}))
    assert response.status_code == 201, response.text

    [call] = eco.requests()
    assert '"currency":{"code":"EUR"}' in call["body"]
    assert '"code":"EUR"' in call["response_body"]
    assert agreement["agreement_grant_token"] not in str(call) and agreement["app_secret_token"] not in str(call)
    headers = {k.lower(): v for k, v in call["headers"].items()}
    assert headers["x-agreementgranttoken"] == MASK and headers["x-appsecrettoken"] == MASK


def test_the_masking_rules() -> None:
    assert mask_body(b'{"code": "DKK", "Code": "461", "access_token": "t", "client_secret": "s"}') == (
        '{"code":"DKK","Code":"461","access_token":"***","client_secret":"***"}'
    )
    assert mask_body(b'{"agreement_grant_token": "g", "app_secret_token": "a"}') == (
        '{"agreement_grant_token":"***","app_secret_token":"***"}'
    )
    form = mask_body(b"grant_type=authorization_code&code=abc&client_secret=s", "application/x-www-form-urlencoded")
    assert form == "grant_type=authorization_code&code=%2A%2A%2A&client_secret=%2A%2A%2A"
    assert mask_query("where=Code%3D%22461%22&code=abc") == "where=Code%3D%22461%22&code=%2A%2A%2A"
    assert mask_header("Location", "http://x/cb?code=abc&state=s") == "http://x/cb?code=%2A%2A%2A&state=s"
    assert mask_header("Location", "http://x/plain") == "http://x/plain"
    assert mask_header("Authorization", "Bearer abc") == "Bearer ***"
