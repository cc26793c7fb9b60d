"""Pytest plugin: the ERP sandbox for every suite (load with ``pytest_plugins = ["tests.fixtures_sandbox"]``).

* ``sandbox_server`` (session): one in-process :class:`SandboxServer` on a free loopback port.
* ``sandbox`` (function): resets that server before the test — state, faults, request log and config — and
  makes rate limits effectively unlimited (a test that needs Xero's limits configures them), then returns a
  :class:`SandboxClient`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from integrations.sandbox.server import SandboxServer

UNLIMITED = {"xero": {"minute_limit": 10**9, "day_limit": 10**9, "concurrent_limit": 10**6,
                      "app_minute_limit": 10**9}}


class XeroApi:
    """A tiny Xero client for sandbox tests: base URL, bearer token, tenant header and JSON Accept set."""

    def __init__(self, base_url: str, tenant: dict[str, Any]) -> None:
        self.base = f"{base_url}/xero/api.xro/2.0"
        self.tenant = tenant
        self.session = requests.Session()
        self.session.headers.update({"Authorization": f"Bearer {tenant['access_token']}",
                                     "xero-tenant-id": tenant["tenant_id"], "Accept": "application/json"})

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", 10)
        return self.session.request(method, f"{self.base}/{path.lstrip('/')}", **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("PUT", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("POST", path, **kwargs)


class SandboxClient:
    def __init__(self, server: SandboxServer) -> None:
        self.server = server
        self.url = server.url
        self.http = requests.Session()

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.http.request(method, f"{self.url}/_sandbox/{path}", timeout=10, **kwargs)
        if response.status_code >= 500:
            response.raise_for_status()
        return response.json()

    def reset(self) -> None:
        self._call("POST", "reset")
        self.configure(**UNLIMITED)

    def configure(self, **config: Any) -> dict[str, Any]:
        return self._call("POST", "config", json=config)

    def new_xero_tenant(self, name: str = "Test Company", **kwargs: Any) -> dict[str, Any]:
        return self._call("POST", "xero/tenants", json={"name": name, **kwargs})

    def xero(self, tenant: dict[str, Any]) -> XeroApi:
        return XeroApi(self.url, tenant)

    def state(self) -> dict[str, Any]:
        return self._call("GET", "xero/state")

    def requests(self, erp: str | None = None, since: int = 0) -> list[dict[str, Any]]:
        params: dict[str, Any] = {"since": since}
        if erp:
            params["erp"] = erp
        return self._call("GET", "requests", params=params)["requests"]

    def fault(self, **rule: Any) -> dict[str, Any]:
        rule.setdefault("erp", "xero")
        return self._call("POST", "faults", json=rule)

    def xero_action(self, tenant_id: str, action: str, **kwargs: Any) -> dict[str, Any]:
        return self._call("POST", "xero/actions", json={"tenant_id": tenant_id, "action": action, **kwargs})


@pytest.fixture(scope="session")
def sandbox_server() -> Iterator[SandboxServer]:
    server = SandboxServer(port=0).start()
    yield server
    server.stop()


@pytest.fixture
def sandbox(sandbox_server: SandboxServer) -> SandboxClient:
    client = SandboxClient(sandbox_server)
    client.reset()
    return client


# --- Roger's settings pointed at the sandbox -------------------------------------------------------------------
def fast_erp_settings(settings) -> None:
    """No rate limits, short ERP timeouts and millisecond backoff: the tests' clock does not wait.

    Writes of unknown outcome settle at once here (the sandbox's faults answer or commit before the test looks);
    the tests of the settle wait itself (tests/engine/test_late_answers.py) set it.
    """
    settings.ROGER_RATE_LIMITS = {}
    settings.ROGER_ERP_TIMEOUT = (2, 2)  # the sandbox's injected timeouts hold far longer
    settings.ROGER_SYNC = {
        **settings.ROGER_SYNC,
        "BACKOFF_BASE_SECONDS": 0.01,
        "BACKOFF_CAP_SECONDS": 0.05,
        "WRITE_SETTLE_SECONDS": 0.0,
    }


@pytest.fixture
def xero_settings(settings, sandbox):
    settings.XERO_API_URL = f"{sandbox.url}/xero"
    settings.XERO_IDENTITY_URL = f"{sandbox.url}/xero/identity"
    settings.XERO_LOGIN_URL = f"{sandbox.url}/xero/login"
    settings.XERO_GO_URL = f"{sandbox.url}/xero/go"
    settings.XERO_CLIENT_ID = "roger-test"
    settings.XERO_CLIENT_SECRET = "roger-test-secret"
    fast_erp_settings(settings)
    return settings
