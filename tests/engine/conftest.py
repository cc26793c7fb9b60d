"""Engine tests run against the real ERP sandboxes over HTTP and the real database; the worker is called directly
(``engine.drain``) except in the end-to-end tests that go through a real ``qcluster`` process.

``tenant``, ``integration``, ``make_integration`` and ``xero_settings`` are Xero's (other suites import them).
``erp`` is parametrised over both ERPs: an integration of that kind plus what a test needs to look at the ERP
(``bills()``, ``payments()``, ``writes()``), act in it as the accountant (``book()``, ``revoke()``) and inject
faults on the bill's create call, so one behaviour test runs against Xero and against e-conomic.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from integrations.models import Integration
from tests.sandbox.economic_helpers import EconomicSandbox


@pytest.fixture
def tenant(sandbox, xero_settings):
    return sandbox.new_xero_tenant("Nordlys ApS (test)")


def make_integration(company, tenant, master, **overrides) -> Integration:
    integration = Integration(
        company=company,
        kind="xero",
        name="Xero",
        connection="connected",
        settings={
            "tenant_id": tenant["tenant_id"],
            "tenant_name": "Nordlys",
            "token_expires_at": (timezone.now() + dt.timedelta(minutes=29)).isoformat(),
        },
        mappings={
            "accounts": {str(master["category"].pk): "429"},
            "tax_types": {str(master["vat_code"].pk): "INPUT"},
            "tracking": {str(master["department"].pk): "Department: Sales"},
            "bank_account": "090",
        },
        **overrides,
    )
    integration.set_credentials({"access_token": tenant["access_token"], "refresh_token": tenant["refresh_token"]})
    integration.save()
    return integration


@pytest.fixture
def integration(company, tenant, master):
    return make_integration(company, tenant, master)


# --- one behaviour, both ERPs ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Bill:
    """A vendor bill as the ERP holds it, in the words the tests compare."""

    erp_id: str
    invoice_number: str
    total: Decimal
    description: str
    status: str


@dataclass(frozen=True)
class ErpPayment:
    erp_id: str
    amount: Decimal


class XeroErp:
    kind = "xero"
    created_status = "AUTHORISED"  # an approved document's bill
    paid_status = "PAID"  # Xero marks the bill paid once the payment is applied

    def __init__(self, sandbox, tenant: dict[str, Any], integration: Integration) -> None:
        self.sandbox, self.tenant, self.integration = sandbox, tenant, integration

    def _tenant_state(self) -> dict[str, Any]:
        return self.sandbox.state()["tenants"][self.tenant["tenant_id"]]

    def bills(self) -> list[Bill]:
        return [
            Bill(i["InvoiceID"], i["InvoiceNumber"], Decimal(str(i["Total"])), i["LineItems"][0]["Description"], i["Status"])
            for i in self._tenant_state()["Invoices"]
            if i["Type"] == "ACCPAY"
        ]

    def payments(self) -> list[ErpPayment]:
        return [ErpPayment(p["PaymentID"], Decimal(str(p["Amount"]))) for p in self._tenant_state()["Payments"]]

    def files(self) -> dict[str, list[tuple[str, str]]]:
        """Files on Xero's bills and credit notes: document id → [(file name, sha256)] (metadata, never bytes)."""
        attachments = self._tenant_state().get("Attachments", {})
        return {doc: [(f["FileName"], f["sha256"]) for f in files] for doc, files in attachments.items()}

    def credit_notes(self) -> list[dict]:
        return [c for c in self._tenant_state().get("CreditNotes", []) if c["Type"] == "ACCPAYCREDIT"]

    def file_uploads(self) -> int:
        return sum("/Attachments/" in r["path"] and r["method"] in ("PUT", "POST") for r in self.sandbox.requests(erp="xero"))

    def live_ids(self) -> dict[str, list[str]]:
        """The ids of the bills and payments that count in Xero (a deleted or voided one no longer does)."""
        state = self._tenant_state()
        return {
            "bill": [i["InvoiceID"] for i in state["Invoices"] if i["Type"] == "ACCPAY" and i["Status"] not in ("DELETED", "VOIDED")],
            "payment": [p["PaymentID"] for p in state["Payments"] if p.get("Status") != "DELETED"],
        }

    def writes(self) -> list[dict]:
        return [
            r for r in self.sandbox.requests(erp="xero") if r["method"] in ("PUT", "POST") and "/api.xro/" in r["path"]
        ]

    def book(self, bill: Bill) -> None:
        """The accountant pays part of the bill in Xero: from then on Xero accepts no change to it."""
        self.sandbox.xero_action(self.tenant["tenant_id"], "pay", invoice_id=bill.erp_id, amount="100.00")

    def revoke(self) -> None:
        self.sandbox.xero_action(self.tenant["tenant_id"], "revoke_grant")

    def book_paid_bill(self, bill: Bill) -> None:
        """Nothing to do: Roger's own payment made the bill PAID in Xero, which is booked."""

    def close_period(self, up_to: dt.date) -> None:
        """The accountant locks the period in Xero (the period lock date)."""
        self.sandbox.xero_action(self.tenant["tenant_id"], "set_lock_dates", period_lock_date=up_to.isoformat())

    CREATE_BILL = ("PUT", "Invoices$")

    def fault_on_bill_create(self, kind: str, **rule: Any) -> None:
        method, path = self.CREATE_BILL
        self.sandbox.fault(erp="xero", method=method, path=path, kind=kind, **rule)

    def bill_create_sent(self) -> bool:
        return self.bill_creates() > 0

    def bill_creates(self) -> int:
        """Requests that create bills (a batch counts once)."""
        return sum(r["method"] == "PUT" and r["path"].endswith("/Invoices") for r in self.sandbox.requests(erp="xero"))

    def worker_env(self) -> dict[str, str]:
        url = self.sandbox.url
        return {
            "XERO_API_URL": f"{url}/xero",
            "XERO_IDENTITY_URL": f"{url}/xero/identity",
            "XERO_LOGIN_URL": f"{url}/xero/login",
            "XERO_GO_URL": f"{url}/xero/go",
            "XERO_CLIENT_ID": "roger-test",
            "XERO_CLIENT_SECRET": "roger-test-secret",
        }


MARKER_RE = re.compile(r"\s*\[roger-[0-9a-f]{16}\]")


class EconomicErp:
    kind = "economic"
    created_status = "draft"  # a supplier invoice in Roger's journal, until someone books it
    paid_status = "draft"  # the payment is an entry of its own; the invoice entry is not touched

    def __init__(self, sandbox, agreement: dict[str, Any], integration: Integration) -> None:
        self.eco = EconomicSandbox(sandbox)
        self.sandbox, self.agreement, self.integration = sandbox, agreement, integration

    def _entries(self, entry_type: str) -> list[tuple[str, dict[str, Any]]]:
        """Roger's entries of one type, drafts and booked vouchers alike, as (status, entry) pairs."""
        state = self.eco.state(self.agreement)
        journal = str(self.integration.settings["journal_number"])
        out = [
            ("draft", e)
            for e in state["journals"][journal]["entries"]
            if e["entryType"] == entry_type and MARKER_RE.search(e.get("text", ""))
        ]
        for year, lines in state["bookedEntries"].items():
            vouchers: dict[int, list[dict[str, Any]]] = {}
            for line in lines:
                if line["entryType"] == entry_type and MARKER_RE.search(line.get("text", "")):
                    vouchers.setdefault(line["voucherNumber"], []).append(line)
            for number, booked in sorted(vouchers.items()):
                amount = max(abs(Decimal(str(line["amount"]))) for line in booked)
                entry = {**booked[0], "amount": amount, "voucher": {"voucherNumber": number, "accountingYear": {"year": year}}}
                out.append(("booked", entry))
        return out

    @staticmethod
    def _erp_id(entry: dict[str, Any]) -> str:
        voucher = entry["voucher"]
        return f"{voucher['accountingYear']['year']}-{voucher['voucherNumber']}"

    def bills(self) -> list[Bill]:
        return [
            Bill(
                self._erp_id(e),
                e.get("supplierInvoiceNumber", ""),
                Decimal(str(e["amount"])),
                MARKER_RE.sub("", e.get("text", "")),
                status,
            )
            for status, e in self._entries("supplierInvoice")
        ]

    def payments(self) -> list[ErpPayment]:
        return [ErpPayment(self._erp_id(e), Decimal(str(e["amount"]))) for _, e in self._entries("supplierPayment")]

    def files(self) -> dict[str, list[tuple[str, str]]]:
        """Files attached to vouchers (the Documents API): "year-voucher" → [(file name, sha256)]."""
        out: dict[str, list[tuple[str, str]]] = {}
        for doc in self.eco.state(self.agreement).get("attachedDocuments", []):
            out.setdefault(f"{doc['accountingYear']}-{doc['voucherNumber']}", []).extend(
                (f["name"], f["sha256"]) for f in doc["files"]
            )
        return out

    def credit_notes(self) -> list[dict]:
        """Roger's credit notes: supplier-invoice entries the other way round (negative amounts)."""
        return [e for _, e in self._entries("supplierInvoice") if Decimal(str(e["amount"])) < 0]

    def file_uploads(self) -> int:
        return sum(r["method"] == "POST" and "AttachedDocuments" in r["path"] for r in self.eco.requests())

    def live_ids(self) -> dict[str, list[str]]:
        """The vouchers of Roger's supplier invoices and payments, drafts and booked alike."""
        return {"bill": [b.erp_id for b in self.bills()], "payment": [p.erp_id for p in self.payments()]}

    def writes(self) -> list[dict]:
        return [r for r in self.eco.requests() if r["method"] in ("PUT", "POST", "DELETE")]

    def book(self, bill: Bill) -> None:
        """The accountant books the entry in e-conomic: booked entries never change again."""
        self.eco.action(self.agreement, "book_entries", vouchers=[bill.erp_id])

    def revoke(self) -> None:
        self.eco.action(self.agreement, "revoke_grant")

    def book_paid_bill(self, bill: Bill) -> None:
        """e-conomic's payment entry leaves the invoice's voucher a draft: the accountant books it."""
        self.book(bill)

    def close_period(self, up_to: dt.date) -> None:
        """The accountant closes the accounting period in e-conomic."""
        self.eco.action(self.agreement, "close_period", date=up_to.isoformat())

    def fault_on_bill_create(self, kind: str, **rule: Any) -> None:
        self.eco.fault(method="POST", path=r"/journals/\d+/vouchers$", kind=kind, **rule)

    def bill_create_sent(self) -> bool:
        return self.bill_creates() > 0

    def bill_creates(self) -> int:
        """Requests that create supplier-invoice vouchers (a batch counts once)."""
        return sum(r["method"] == "POST" and r["path"].endswith("/vouchers") for r in self.eco.requests())

    def worker_env(self) -> dict[str, str]:
        return {
            "ECONOMIC_API_URL": f"{self.sandbox.url}/economic",
            "ECONOMIC_APIS_URL": f"{self.sandbox.url}/economic",
            "ECONOMIC_APP_URL": f"{self.sandbox.url}/economic/app",
        }


ECONOMIC_MAPPINGS = {"accounts": "2200", "tax_types": "I25", "tracking": "Department: 1", "bank_account": "5820"}


def make_economic_integration(company, agreement: dict[str, Any], master, **overrides) -> Integration:
    integration = Integration(
        company=company,
        kind="economic",
        name="e-conomic",
        connection="connected",
        settings={"journal_number": agreement["journal_number"]},
        mappings={
            "accounts": {str(master["category"].pk): ECONOMIC_MAPPINGS["accounts"]},
            "tax_types": {str(master["vat_code"].pk): ECONOMIC_MAPPINGS["tax_types"]},
            "tracking": {str(master["department"].pk): ECONOMIC_MAPPINGS["tracking"]},
            "bank_account": ECONOMIC_MAPPINGS["bank_account"],
        },
        **overrides,
    )
    integration.set_credentials(
        {
            "agreement_grant_token": agreement["agreement_grant_token"],
            "app_secret_token": agreement["app_secret_token"],
        }
    )
    integration.save()
    return integration


@pytest.fixture
def agreement(sandbox, economic_settings) -> dict[str, Any]:
    return EconomicSandbox(sandbox).agreement("Nordlys ApS (test)")


@pytest.fixture(params=["xero", "economic"])
def erp(request, sandbox, company, master) -> XeroErp | EconomicErp:
    """The ERP under test, with a connected integration of the test's company."""
    if request.param == "xero":
        tenant = request.getfixturevalue("tenant")
        return XeroErp(sandbox, tenant, make_integration(company, tenant, master))
    agreement = request.getfixturevalue("agreement")
    return EconomicErp(sandbox, agreement, make_economic_integration(company, agreement, master))
