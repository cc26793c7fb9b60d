"""Helpers for tests against the e-conomic sandbox: a raw API client and the e-conomic control calls.

They wrap the shared ``sandbox`` fixture's client (``tests.fixtures_sandbox.SandboxClient``) instead of adding
to it, so the shared fixture stays ERP-neutral.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import requests


class EconomicApi:
    """Raw e-conomic calls with an agreement's two tokens, as any integration would send them."""

    def __init__(self, base_url: str, agreement: dict[str, Any], service: str = "") -> None:
        self.base = f"{base_url}/economic" + (f"/{service}" if service else "")
        self.agreement = agreement
        self.session = requests.Session()
        self.session.headers.update(
            {
                "X-AppSecretToken": agreement["app_secret_token"],
                "X-AgreementGrantToken": agreement["agreement_grant_token"],
                "Accept": "application/json",
            }
        )

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", 10)
        return self.session.request(method, f"{self.base}/{path.lstrip('/')}", **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("PUT", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("DELETE", path, **kwargs)


class EconomicSandbox:
    """The e-conomic part of the sandbox control API, on top of the shared ``sandbox`` client."""

    def __init__(self, sandbox: Any) -> None:
        self.sandbox = sandbox
        self.url = sandbox.url

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = requests.request(method, f"{self.url}/_sandbox/{path}", timeout=10, **kwargs)
        if response.status_code >= 500:
            response.raise_for_status()
        return response.json()

    def agreement(self, name: str = "Nordlys ApS") -> dict[str, Any]:
        return self._call("POST", "economic/agreements", json={"name": name})

    def action(self, agreement: dict[str, Any] | int, action: str, **kwargs: Any) -> dict[str, Any]:
        number = agreement["agreement_number"] if isinstance(agreement, dict) else agreement
        return self._call("POST", "economic/actions", json={"agreement": number, "action": action, **kwargs})

    def state(self, agreement: dict[str, Any] | None = None) -> dict[str, Any]:
        data = self._call("GET", "economic/state")
        if agreement is None:
            return data
        return data["agreements"][str(agreement["agreement_number"])]

    def api(self, agreement: dict[str, Any]) -> EconomicApi:
        """The legacy REST API (``https://restapi.e-conomic.com``) of the agreement."""
        return EconomicApi(self.url, agreement)

    def journals(self, agreement: dict[str, Any]) -> EconomicApi:
        """The Journals API (``https://apis.e-conomic.com/journalsapi/v15.0.0``) of the agreement."""
        return EconomicApi(self.url, agreement, "journalsapi/v15.0.0")

    def booked(self, agreement: dict[str, Any]) -> EconomicApi:
        """The BookedEntries API (``https://apis.e-conomic.com/bookedEntriesapi/v4.0.0``) of the agreement."""
        return EconomicApi(self.url, agreement, "bookedEntriesapi/v4.0.0")

    def documents(self, agreement: dict[str, Any]) -> EconomicApi:
        """The Documents API (``https://apis.e-conomic.com/documentsapi/v4.0.1``) of the agreement."""
        return EconomicApi(self.url, agreement, "documentsapi/v4.0.1")

    def fault(self, **rule: Any) -> dict[str, Any]:
        return self.sandbox.fault(erp="economic", **rule)

    def configure(self, **economic: Any) -> dict[str, Any]:
        return self.sandbox.configure(economic=economic)

    def requests(self) -> list[dict[str, Any]]:
        return self.sandbox.requests(erp="economic")


def this_year() -> str:
    return str(date.today().year)


def supplier_invoice(**overrides: Any) -> dict[str, Any]:
    """A valid supplier-invoice entry (supplier 200 and accounts of the seeded chart)."""
    entry: dict[str, Any] = {
        "supplier": {"supplierNumber": 200},
        "supplierInvoiceNumber": "F-1",
        "text": "Paper [roger-0123456789abcdef]",
        "amount": 125.00,
        "contraAccount": {"accountNumber": 2200},
        "contraVatAccount": {"vatCode": "I25"},
        "currency": {"code": "DKK"},
        "date": f"{this_year()}-03-10",
        "dueDate": f"{this_year()}-04-10",
    }
    entry.update(overrides)
    return entry


def voucher(journal: int = 10, year: str | None = None, kind: str = "supplierInvoices", **entry: Any) -> dict[str, Any]:
    return {
        "accountingYear": {"year": year or this_year()},
        "journal": {"journalNumber": journal},
        "entries": {kind: [supplier_invoice(**entry)]},
    }
