"""Contract scenarios: the Xero connector against the running sandbox, over real HTTP.

Each scenario is a plain function taking an ``XeroEnv``; ``test_xero_contract.py`` runs them in the normal
suite and ``test_xero_conformance.py`` runs them again with OpenAPI validation required.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import requests

from integrations.connectors.base import ConnectorError, EntryKind, ErrorCategory, Outcome
from integrations.connectors.xero import XeroConnector
from integrations.connectors.xero_oauth import MemoryTokenSource, TokenSet, XeroOAuthClient
from tests.connectors.xero_helpers import RecordingThrottle, bill, item, payment, vendor


@dataclass
class XeroEnv:
    sandbox: Any  # tests.fixtures_sandbox.SandboxClient
    session: requests.Session
    tenant: dict[str, Any] = field(default_factory=dict)
    rotated: list[TokenSet] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.tenant = self.sandbox.new_xero_tenant("Nordlys ApS")
        self.oauth = XeroOAuthClient(
            "roger-contract",
            "not-a-real-secret",
            redirect_uri="http://127.0.0.1:8000/integrations/xero/callback",
            login_url=f"{self.url}/xero/login",
            identity_url=f"{self.url}/xero/identity",
            api_url=f"{self.url}/xero",
            session=self.session,
        )
        tokens = TokenSet(
            self.tenant["access_token"], self.tenant["refresh_token"], datetime.now(UTC) + timedelta(minutes=29)
        )
        self.tokens = MemoryTokenSource(self.oauth, tokens, on_rotate=self.rotated.append)
        self.throttle = RecordingThrottle()

    @property
    def url(self) -> str:
        return self.sandbox.url

    @property
    def tenant_id(self) -> str:
        return str(self.tenant["tenant_id"])

    def connector(self, timeout: tuple[float, float] = (3.05, 10)) -> XeroConnector:
        return XeroConnector(
            api_url=f"{self.url}/xero",
            go_url=f"{self.url}/xero/go",
            tenant_id=self.tenant_id,
            tokens=self.tokens,
            throttle=self.throttle,
            session=self.session,
            timeout=timeout,
        )

    def mark(self) -> int:
        return len(self.sandbox.requests())

    def calls_since(self, mark: int) -> list[dict[str, Any]]:
        return self.sandbox.requests(erp="xero", since=mark)

    def writes_since(self, mark: int) -> list[dict[str, Any]]:
        return [c for c in self.calls_since(mark) if c["method"] in ("PUT", "POST") and "/api.xro/" in c["path"]]

    def org_state(self) -> dict[str, Any]:
        return self.sandbox.state()["tenants"][self.tenant_id]

    def invoices(self) -> list[dict[str, Any]]:
        return self.org_state()["Invoices"]

    def act(self, action: str, **kwargs: Any) -> dict[str, Any]:
        result = self.sandbox.xero_action(self.tenant_id, action, **kwargs)
        assert result.get("ok", True), result
        return result


def _create_one(env: XeroEnv, xero: XeroConnector, **kwargs: Any) -> str:
    [result] = xero.create(EntryKind.BILL, [item(bill(**kwargs))])
    assert result.outcome is Outcome.CREATED, result.error
    return result.state.erp_id


# --- scenarios ---------------------------------------------------------------------------------------------


def create_bill(env: XeroEnv) -> None:
    xero = env.connector()
    [result] = xero.create(EntryKind.BILL, [item(bill())])
    assert result.outcome is Outcome.CREATED, result.error
    [inv] = env.invoices()
    assert inv["InvoiceID"] == result.state.erp_id
    assert (inv["Type"], inv["Status"], inv["Url"], inv["InvoiceNumber"]) == (
        "ACCPAY",
        "AUTHORISED",
        "https://roger.example/d/1001",
        "INV-1001",
    )
    assert (inv["Total"], inv["TotalTax"], inv["CurrencyCode"]) == (1250.0, 250.0, "DKK")
    assert inv["LineItems"][0]["Tracking"][0]["Option"] == "Engineering"
    [contact] = env.org_state()["Contacts"]
    assert (contact["ContactNumber"], contact["Name"]) == ("V-1", "Acme Supplies")
    assert result.state.fields == bill().comparable()
    # Xero's deep-link form, with the organisation's short code from /Organisation: it opens the right organisation.
    short_code = env.org_state()["Organisation"]["ShortCode"]
    assert result.state.url == (
        f"{env.url}/xero/go/organisationlogin/default.aspx?shortcode={short_code}"
        f"&redirecturl=/AccountsPayable/Edit.aspx%3FInvoiceID%3D{inv['InvoiceID']}"
    )
    page = env.session.get(result.state.url, timeout=5)
    assert page.status_code == 200 and "INV-1001" in page.text


def one_contact_per_vendor(env: XeroEnv) -> None:
    _create_one(env, env.connector(), n=1)
    # A new connector instance has no cache: it must find the contact by ContactNumber, not create another.
    xero = env.connector()
    results = xero.create(EntryKind.BILL, [item(bill(2)), item(bill(3))])
    assert [r.outcome for r in results] == [Outcome.CREATED, Outcome.CREATED]
    assert len(env.org_state()["Contacts"]) == 1
    # Found by tax number: a contact the accountant made by hand, without Roger's number.
    mark = env.mark()
    other = vendor("V-9", "Borealis Print", tax="DK99887766")
    hand_made = env.session.put(
        f"{env.url}/xero/api.xro/2.0/Contacts",
        timeout=5,
        headers={
            "Authorization": f"Bearer {env.tokens.access_token()}",
            "xero-tenant-id": env.tenant_id,
            "Content-Type": "application/json",
            "Accept": "application/json",
        },
        data=json.dumps({"Contacts": [{"Name": "Borealis Print A/S", "TaxNumber": "DK99887766"}]}),
    ).json()["Contacts"][0]
    [result] = xero.create(EntryKind.BILL, [item(bill(4, vendor_data=other))])
    assert result.outcome is Outcome.CREATED
    created = [c for c in env.writes_since(mark) if c["path"].endswith("/Contacts")]
    assert len(created) == 1  # only the accountant's own
    bodies = [i for i in env.invoices() if i["InvoiceID"] == result.state.erp_id]
    assert bodies[0]["Contact"]["ContactID"] == hand_made["ContactID"]


def update_bill(env: XeroEnv) -> None:
    xero = env.connector()
    bill_id = _create_one(env, xero)
    line_id = env.invoices()[0]["LineItems"][0]["LineItemID"]
    changed = bill(net="800.00", vat="200.00", description="Office chairs (6)")
    [result] = xero.update(EntryKind.BILL, [item(changed, erp_id=bill_id, version=2)])
    assert result.outcome is Outcome.UPDATED, result.error
    [inv] = env.invoices()
    assert (inv["Total"], inv["Status"]) == (1000.0, "AUTHORISED")
    assert inv["LineItems"][0]["LineItemID"] == line_id  # the line was kept, not deleted and re-created
    assert result.state.fields == changed.comparable()


def unchanged_bill(env: XeroEnv) -> None:
    xero = env.connector()
    bill_id = _create_one(env, xero)
    mark = env.mark()
    [result] = env.connector().update(EntryKind.BILL, [item(bill(), erp_id=bill_id, version=2)])
    assert result.outcome is Outcome.UNCHANGED
    assert env.writes_since(mark) == []


def _booked(action: Callable[[XeroEnv, str], None], reason: str, *, draft: bool = False) -> Callable[[XeroEnv], None]:
    def scenario(env: XeroEnv) -> None:
        bill_id = _create_one(env, env.connector(), draft=draft)
        action(env, bill_id)
        mark = env.mark()
        changed = bill(net="900.00", vat="225.00", draft=draft)
        [result] = env.connector().update(EntryKind.BILL, [item(changed, erp_id=bill_id, version=2)])
        assert result.outcome is Outcome.BLOCKED, result
        assert result.state.booked_reason.startswith(reason), result.state.booked_reason
        assert result.state.booked_hint
        assert env.writes_since(mark) == []

    scenario.__name__ = f"booked_{reason.split()[0].lower()}"
    return scenario


booked_paid = _booked(lambda env, i: env.act("pay", invoice_id=i, date="2026-04-20"), "Paid in Xero")
booked_part_paid = _booked(
    lambda env, i: env.act("pay", invoice_id=i, amount="100.00", date="2026-04-20"), "Has a payment allocated"
)
booked_voided = _booked(lambda env, i: env.act("void", invoice_id=i), "Voided in Xero")
booked_deleted = _booked(lambda env, i: env.act("delete", invoice_id=i), "Deleted in Xero", draft=True)
booked_lock_date = _booked(
    lambda env, i: env.act("set_lock_dates", period_lock_date="2026-04-30"),
    "Dated 2026-04-10, on or before Xero's period lock date 2026-04-30",
)


def create_in_locked_period(env: XeroEnv) -> None:
    env.act("set_lock_dates", end_of_year_lock_date="2026-12-31")
    [result] = env.connector().create(EntryKind.BILL, [item(bill())])
    assert result.outcome is Outcome.FAILED
    assert result.error.category is ErrorCategory.BOOKED, result.error
    assert "lock date" in result.error.message
    assert env.invoices() == []


def validation_errors(env: XeroEnv) -> None:
    results = env.connector().create(EntryKind.BILL, [item(bill(1, account="999")), item(bill(2, tax_type="NOPE"))])
    assert [(r.outcome, r.error.category, r.error.field) for r in results] == [
        (Outcome.FAILED, ErrorCategory.SETUP, "category"),
        (Outcome.FAILED, ErrorCategory.SETUP, "vat_code"),
    ]
    assert "999" in results[0].error.message
    assert env.invoices() == []


def batch_with_one_bad_element(env: XeroEnv) -> None:
    results = env.connector().create(EntryKind.BILL, [item(bill(1)), item(bill(2, account="999")), item(bill(3))])
    assert [r.outcome for r in results] == [Outcome.CREATED, Outcome.FAILED, Outcome.CREATED]
    assert results[1].error.field == "category"
    assert sorted(i["InvoiceID"] for i in env.invoices()) == sorted([results[0].state.erp_id, results[2].state.erp_id])


def rate_limited(env: XeroEnv) -> None:
    xero = env.connector()
    env.sandbox.fault(method="GET", path="Organisation", kind="429", count=1, retry_after=7)
    with pytest.raises(ConnectorError) as info:
        xero.read(EntryKind.BILL, ["6c1a0a62-1f0e-4b8e-9a55-0d2b7c9e1a01"])
    error = info.value.error
    assert (error.category, error.retry_after, error.status) == (ErrorCategory.TEMPORARY, 7.0, 429)
    assert error.code
    observed = env.throttle.observed[-1]
    assert observed["status"] == 429 and observed["retry_after"] == 7.0
    assert xero.check_connection().ok  # the fault was for one request only


def timeout_after_commit_then_lookup(env: XeroEnv) -> None:
    env.sandbox.fault(method="PUT", path="Invoices", kind="timeout_after_commit", count=1, hold_seconds=3)
    xero = env.connector(timeout=(3.05, 1.0))
    data = bill()
    with pytest.raises(ConnectorError) as info:
        xero.create(EntryKind.BILL, [item(data)])
    assert info.value.error.category is ErrorCategory.TEMPORARY and info.value.error.uncertain is True
    found = xero.lookup(EntryKind.BILL, [data.marker, "https://roger.example/d/none"])
    assert len(found[data.marker]) == 1 and found["https://roger.example/d/none"] == []
    assert len(env.invoices()) == 1
    # A quick retry with the same key and body is answered from Xero's idempotency cache: still one bill.
    [again] = env.connector().create(EntryKind.BILL, [item(data)])
    assert again.outcome is Outcome.CREATED and again.state.erp_id == found[data.marker][0].erp_id
    assert len(env.invoices()) == 1


def idempotency_key_reused_with_another_body(env: XeroEnv) -> None:
    xero = env.connector()
    _create_one(env, xero)
    # A bug elsewhere re-using a key for different data must not write, and must not be final either.
    with pytest.raises(ConnectorError) as info:
        xero.create(EntryKind.BILL, [item(bill(net="10.00", vat="2.50"))])
    assert info.value.error.category is ErrorCategory.TEMPORARY and info.value.error.retry_after == 360
    assert len(env.invoices()) == 1


def server_error_on_write_is_uncertain(env: XeroEnv) -> None:
    env.sandbox.fault(method="PUT", path="Invoices", kind="html_502", count=1)
    with pytest.raises(ConnectorError) as info:
        env.connector().create(EntryKind.BILL, [item(bill())])
    assert info.value.error.category is ErrorCategory.TEMPORARY and info.value.error.uncertain


def refresh_rotation(env: XeroEnv) -> None:
    xero = env.connector()
    old_refresh = env.tokens.tokens.refresh_token
    env.act("expire_access_token")
    assert xero.check_connection().ok
    assert len(env.rotated) == 1
    assert env.rotated[0].refresh_token != old_refresh
    assert env.tokens.tokens.access_token != env.tenant["access_token"]
    # The new refresh token works too (rotation, not a one-off).
    rotated = env.oauth.refresh(env.rotated[0].refresh_token)
    assert rotated.refresh_token != env.rotated[0].refresh_token
    [tenant] = env.oauth.connections(rotated.access_token)
    assert tenant.tenant_id == env.tenant_id


def disconnected_organisation(env: XeroEnv) -> None:
    env.tenant["tenant_id"] = "0f0f0f0f-0000-4000-8000-000000000000"  # a tenant this grant cannot reach
    with pytest.raises(ConnectorError) as info:
        env.connector().read(EntryKind.BILL, ["6c1a0a62-1f0e-4b8e-9a55-0d2b7c9e1a01"])
    assert info.value.error.category is ErrorCategory.AUTHENTICATION
    assert "no longer connected" in info.value.error.hint


def revoked_grant(env: XeroEnv) -> None:
    env.act("revoke_grant")
    with pytest.raises(ConnectorError) as info:
        env.connector().read(EntryKind.BILL, ["6c1a0a62-1f0e-4b8e-9a55-0d2b7c9e1a01"])
    assert info.value.error.category is ErrorCategory.AUTHENTICATION
    info2 = env.connector().check_connection()
    assert info2.ok is False


def payments(env: XeroEnv) -> None:
    xero = env.connector()
    bill_id = _create_one(env, xero)
    [created] = xero.create(EntryKind.PAYMENT, [item(payment(bill_id))])
    assert created.outcome is Outcome.CREATED, created.error
    assert env.invoices()[0]["Status"] == "PAID"
    found = xero.lookup(EntryKind.PAYMENT, [payment(bill_id).marker])
    assert [s.erp_id for s in found[payment(bill_id).marker]] == [created.state.erp_id]

    mark = env.mark()
    [same] = env.connector().update(EntryKind.PAYMENT, [item(payment(bill_id), erp_id=created.state.erp_id)])
    assert same.outcome is Outcome.UNCHANGED and env.writes_since(mark) == []

    changed = payment(bill_id, amount="1000.00", when=date(2026, 4, 18))
    [updated] = xero.update(EntryKind.PAYMENT, [item(changed, erp_id=created.state.erp_id, version=2)])
    assert updated.outcome is Outcome.UPDATED, updated.error
    assert updated.state.erp_id != created.state.erp_id
    statuses = {p["PaymentID"]: p["Status"] for p in env.org_state()["Payments"]}
    assert statuses == {created.state.erp_id: "DELETED", updated.state.erp_id: "AUTHORISED"}
    assert all(not c["path"].endswith("/Payments") or c["method"] == "PUT" for c in env.writes_since(mark))

    env.act("reconcile_payment", payment_id=updated.state.erp_id)
    mark = env.mark()
    again = payment(bill_id, amount="900.00")
    [blocked] = xero.update(EntryKind.PAYMENT, [item(again, erp_id=updated.state.erp_id, version=3)])
    assert blocked.outcome is Outcome.BLOCKED and "Reconciled" in blocked.state.booked_reason
    assert env.writes_since(mark) == []


def payment_already_paid_in_xero(env: XeroEnv) -> None:
    xero = env.connector()
    bill_id = _create_one(env, xero)
    env.act("pay", invoice_id=bill_id, date="2026-04-20")
    [result] = xero.create(EntryKind.PAYMENT, [item(payment(bill_id))])
    assert result.outcome is Outcome.FAILED
    assert (result.error.category, result.error.field) == (ErrorCategory.VALIDATION, "amount")
    assert "paid" in result.error.hint.lower()


def payment_in_locked_period(env: XeroEnv) -> None:
    xero = env.connector()
    bill_id = _create_one(env, xero)
    env.act("set_lock_dates", period_lock_date="2026-04-30")
    [result] = env.connector().create(EntryKind.PAYMENT, [item(payment(bill_id, when=date(2026, 4, 20)))])
    assert result.outcome is Outcome.FAILED
    assert (result.error.category, result.error.field) == (ErrorCategory.BOOKED, "payment_date"), result.error
    assert env.org_state()["Payments"] == []


def archived_contact_is_not_duplicated(env: XeroEnv) -> None:
    _create_one(env, env.connector(), n=1)
    [contact] = env.org_state()["Contacts"]
    env.act("archive_contact", contact_id=contact["ContactID"])
    [result] = env.connector().create(EntryKind.BILL, [item(bill(2))])
    assert result.outcome is Outcome.FAILED
    assert (result.error.category, result.error.field) == (ErrorCategory.SETUP, "vendor"), result.error
    assert "archived" in result.error.message
    assert len(env.org_state()["Contacts"]) == 1


def lookup_and_read(env: XeroEnv) -> None:
    xero = env.connector()
    ids = [_create_one(env, xero, n=n, draft=True) for n in (1, 2)]
    env.act("delete", invoice_id=ids[1])
    found = xero.lookup(EntryKind.BILL, [bill(1).marker, bill(2).marker, bill(3).marker])
    assert [s.erp_id for s in found[bill(1).marker]] == [ids[0]]
    assert [(s.status, s.booked) for s in found[bill(2).marker]] == [("DELETED", True)]
    assert found[bill(3).marker] == []
    states = xero.read(EntryKind.BILL, [*ids, "6c1a0a62-1f0e-4b8e-9a55-0d2b7c9e1a99"])
    assert states[ids[0]].status == "DRAFT" and states["6c1a0a62-1f0e-4b8e-9a55-0d2b7c9e1a99"].exists is False


def catalogues(env: XeroEnv) -> None:
    xero = env.connector()
    info = xero.check_connection()
    assert info.ok and info.organisation == "Nordlys ApS"
    assert "429" in {a.code for a in xero.accounts()}
    assert "090" in {b.code for b in xero.bank_accounts()}
    assert "INPUT" in {t.code for t in xero.tax_rates()}
    assert "Department: Engineering" in {o.code for o in xero.tracking_options() if o.active}
    _create_one(env, xero)
    assert "Acme Supplies" in {c.name for c in xero.contacts()}
    [tenant] = env.oauth.connections(env.tokens.access_token())
    assert tenant.tenant_id == env.tenant_id


SCENARIOS: list[Callable[[XeroEnv], None]] = [
    create_bill,
    one_contact_per_vendor,
    update_bill,
    unchanged_bill,
    booked_paid,
    booked_part_paid,
    booked_voided,
    booked_deleted,
    booked_lock_date,
    create_in_locked_period,
    validation_errors,
    batch_with_one_bad_element,
    rate_limited,
    timeout_after_commit_then_lookup,
    idempotency_key_reused_with_another_body,
    server_error_on_write_is_uncertain,
    refresh_rotation,
    disconnected_organisation,
    revoked_grant,
    payments,
    payment_already_paid_in_xero,
    payment_in_locked_period,
    archived_contact_is_not_duplicated,
    lookup_and_read,
    catalogues,
]

# Xero as the real Xero behaves (issue 12): suppliers that exist, optimised look-ups, scopes, currencies, limits.
from tests.connectors.xero_scenarios_issue12 import SCENARIOS as ISSUE_12  # noqa: E402

SCENARIOS += ISSUE_12

# Credit notes, allocations, refunds and the document's file (issue 15).
from tests.connectors.xero_scenarios_issue15 import SCENARIOS as ISSUE_15  # noqa: E402

SCENARIOS += ISSUE_15
