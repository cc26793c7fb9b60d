"""OAuth 2: authorization code, refresh rotation with grace, invalid_grant, 401/403 on the API."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import requests

from tests.fixtures_sandbox import SandboxClient

REDIRECT = "http://localhost:8000/integrations/xero/callback"
SCOPES = "offline_access accounting.invoices accounting.payments accounting.contacts accounting.settings.read"


def _authorize(sandbox: SandboxClient, state: str = "s-123") -> dict[str, list[str]]:
    response = requests.get(
        f"{sandbox.url}/xero/login/identity/connect/authorize",
        allow_redirects=False,
        params={
            "response_type": "code",
            "client_id": "roger-app",
            "redirect_uri": REDIRECT,
            "scope": SCOPES,
            "state": state,
        },
        timeout=5,
    )
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith(REDIRECT + "?")
    return parse_qs(urlsplit(location).query)


def _token(sandbox: SandboxClient, **form: str) -> requests.Response:
    return requests.post(
        f"{sandbox.url}/xero/identity/connect/token", data=form, auth=("roger-app", "s3cret"), timeout=5
    )


def test_it_runs_the_authorization_code_flow(sandbox: SandboxClient) -> None:
    query = _authorize(sandbox)
    assert query["state"] == ["s-123"]
    tokens = _token(sandbox, grant_type="authorization_code", code=query["code"][0], redirect_uri=REDIRECT)
    assert tokens.status_code == 200
    body = tokens.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 1800 and body["refresh_token"]

    connections = requests.get(
        f"{sandbox.url}/xero/connections", timeout=5, headers={"Authorization": f"Bearer {body['access_token']}"}
    )
    assert connections.status_code == 200
    [connection] = connections.json()
    assert connection["tenantName"] == "Demo Company (sandbox)"
    assert connection["tenantType"] == "ORGANISATION"
    assert set(connection) == {
        "id",
        "authEventId",
        "tenantId",
        "tenantType",
        "tenantName",
        "createdDateUtc",
        "updatedDateUtc",
    }

    organisation = requests.get(
        f"{sandbox.url}/xero/api.xro/2.0/Organisation",
        timeout=5,
        headers={
            "Authorization": f"Bearer {body['access_token']}",
            "xero-tenant-id": connection["tenantId"],
            "Accept": "application/json",
        },
    )
    assert organisation.json()["Organisations"][0]["Name"] == "Demo Company (sandbox)"


def test_it_grants_every_existing_organisation(sandbox: SandboxClient) -> None:
    first, second = sandbox.new_xero_tenant("One"), sandbox.new_xero_tenant("Two")
    query = _authorize(sandbox)
    body = _token(sandbox, grant_type="authorization_code", code=query["code"][0], redirect_uri=REDIRECT).json()
    connections = requests.get(
        f"{sandbox.url}/xero/connections", timeout=5, headers={"Authorization": f"Bearer {body['access_token']}"}
    ).json()
    assert {c["tenantId"] for c in connections} == {first["tenant_id"], second["tenant_id"]}


def test_it_uses_authorization_codes_once(sandbox: SandboxClient) -> None:
    code = _authorize(sandbox)["code"][0]
    assert _token(sandbox, grant_type="authorization_code", code=code, redirect_uri=REDIRECT).status_code == 200
    again = _token(sandbox, grant_type="authorization_code", code=code, redirect_uri=REDIRECT)
    assert again.status_code == 400 and again.json() == {"error": "invalid_grant"}


def test_it_rotates_refresh_tokens_and_honours_the_grace_period(sandbox: SandboxClient) -> None:
    tenant = sandbox.new_xero_tenant()
    first = _token(sandbox, grant_type="refresh_token", refresh_token=tenant["refresh_token"]).json()
    assert first["refresh_token"] != tenant["refresh_token"]
    # The response was "lost": the old token still works within 30 minutes and gives a fresh pair.
    replay = _token(sandbox, grant_type="refresh_token", refresh_token=tenant["refresh_token"])
    assert replay.status_code == 200
    assert replay.json()["refresh_token"] not in {first["refresh_token"], tenant["refresh_token"]}
    assert _token(sandbox, grant_type="refresh_token", refresh_token=first["refresh_token"]).status_code == 200

    # 31 minutes later the first token is dead.
    auth = sandbox.server.sandbox.modules["xero"].auth  # type: ignore[attr-defined]
    auth.refresh[tenant["refresh_token"]].used_at -= 31 * 60
    late = _token(sandbox, grant_type="refresh_token", refresh_token=tenant["refresh_token"])
    assert late.status_code == 400 and late.json() == {"error": "invalid_grant"}


def test_it_accepts_client_credentials_in_the_body(sandbox: SandboxClient) -> None:
    tenant = sandbox.new_xero_tenant()
    response = requests.post(
        f"{sandbox.url}/xero/identity/connect/token",
        timeout=5,
        data={
            "grant_type": "refresh_token",
            "refresh_token": tenant["refresh_token"],
            "client_id": "x",
            "client_secret": "y",
        },
    )
    assert response.status_code == 200


def test_it_rejects_token_requests_without_client_credentials(sandbox: SandboxClient) -> None:
    tenant = sandbox.new_xero_tenant()
    response = requests.post(
        f"{sandbox.url}/xero/identity/connect/token",
        timeout=5,
        data={"grant_type": "refresh_token", "refresh_token": tenant["refresh_token"]},
    )
    assert response.status_code == 400 and response.json() == {"error": "invalid_client"}


def test_it_gives_invalid_grant_and_401_after_the_grant_is_revoked(sandbox: SandboxClient) -> None:
    tenant = sandbox.new_xero_tenant()
    api = sandbox.xero(tenant)
    assert api.get("Organisation").status_code == 200
    assert sandbox.xero_action(tenant["tenant_id"], "revoke_grant")["ok"]
    refresh = _token(sandbox, grant_type="refresh_token", refresh_token=tenant["refresh_token"])
    assert refresh.status_code == 400 and refresh.json() == {"error": "invalid_grant"}
    response = api.get("Organisation")
    assert response.status_code == 401
    assert response.json()["Title"] == "Unauthorized"


def test_it_answers_401_token_expired(sandbox: SandboxClient) -> None:
    tenant = sandbox.new_xero_tenant()
    sandbox.xero_action(tenant["tenant_id"], "expire_access_token")
    response = sandbox.xero(tenant).get("Invoices")
    assert response.status_code == 401
    assert response.json()["Detail"].startswith("TokenExpired: token expired at")
    fresh = _token(sandbox, grant_type="refresh_token", refresh_token=tenant["refresh_token"]).json()
    api = sandbox.xero({**tenant, "access_token": fresh["access_token"]})
    assert api.get("Invoices").status_code == 200


def test_it_answers_401_without_a_bearer_token(sandbox: SandboxClient) -> None:
    tenant = sandbox.new_xero_tenant()
    response = requests.get(
        f"{sandbox.url}/xero/api.xro/2.0/Invoices",
        timeout=5,
        headers={"xero-tenant-id": tenant["tenant_id"], "Accept": "application/json"},
    )
    assert response.status_code == 401


def test_it_answers_403_for_a_tenant_the_token_was_not_granted(sandbox: SandboxClient) -> None:
    mine, other = sandbox.new_xero_tenant("Mine"), sandbox.new_xero_tenant("Other")
    response = sandbox.xero({**mine, "tenant_id": other["tenant_id"]}).get("Invoices")
    assert response.status_code == 403
    assert response.json()["Detail"] == "AuthenticationUnsuccessful"
    assert response.json()["Title"] == "Forbidden"
