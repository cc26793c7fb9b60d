"""Contract scenarios for Xero as the real Xero behaves (issue 12), against the stricter sandbox over HTTP.

Each one would fail on the connector before issue 12: it created a second supplier (or failed) where one existed,
looked bills up with an unoptimised ``Url`` filter, asked for the broad scope, took a missing scope for a lost
connection, sent no bank amount, waited a minute after a concurrency 429, linked to go.xero.com without the
organisation's short code.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlsplit

import pytest
import requests

from integrations.connectors.base import BillData, ConnectorError, EntryKind, ErrorCategory, Outcome, VendorData
from integrations.connectors.xero import XeroConnector
from integrations.connectors.xero_oauth import XeroOAuthClient
from tests.connectors.xero_helpers import bill, item, payment, vendor

DOC = "5f0c9a7e-3b1d-4e2a-9c8f-7a6b5c4d3e2f"  # a document's public id: what Roger's marker carries


def _contacts(env: Any) -> list[dict[str, Any]]:
    return env.org_state()["Contacts"]


def _add_contacts(env: Any, *contacts: dict[str, Any]) -> list[str]:
    result = env.act("add_contacts", contacts=list(contacts))
    return [c["ContactID"] for c in result["result"]["Contacts"]]


def _with(data: BillData, **changes: Any) -> BillData:
    return dataclasses.replace(data, **changes)


def _linked(contact_id: str, **fields: Any) -> VendorData:
    return dataclasses.replace(vendor(**fields), erp_id=contact_id)


# --- 1. suppliers that already exist in Xero ---------------------------------------------------------------------
def existing_supplier_is_matched_not_duplicated(env: Any) -> None:
    # The bookkeeper's own contacts, made long before Roger: a name with a dot and capitals, no ContactNumber.
    [acme, _] = _add_contacts(
        env,
        {"Name": "ACME Supplies.", "TaxNumber": "DK 12 34 56 78", "EmailAddress": "bills@acme.example"},
        {"Name": "Acme Supplies Holding", "TaxNumber": "DK99887766"},
    )
    mark = env.mark()
    [result] = env.connector().create(EntryKind.BILL, [item(bill())])
    assert result.outcome is Outcome.CREATED, result.error
    assert result.state.vendor_erp_id == acme  # the engine remembers this link
    assert len(_contacts(env)) == 2
    assert not [c for c in env.writes_since(mark) if c["path"].endswith("/Contacts")]


def ambiguous_supplier_is_a_setup_error_naming_the_candidates(env: Any) -> None:
    _add_contacts(
        env, {"Name": "Acme Supplies", "AccountNumber": "AC-1"}, {"Name": "Acme A/S", "EmailAddress": "ap@acme.example"}
    )
    mark = env.mark()
    [result] = env.connector().create(EntryKind.BILL, [item(bill(vendor_data=vendor(tax="")))])
    assert result.outcome is Outcome.FAILED
    assert (result.error.category, result.error.field) == (ErrorCategory.SETUP, "vendor"), result.error
    assert "Acme Supplies (AC-1)" in result.error.message and "Acme A/S (ap@acme.example)" in result.error.message
    assert "Integrations settings → Xero → Contacts" in result.error.hint
    assert env.writes_since(mark) == [] and env.invoices() == []


def a_colliding_name_never_creates_a_contact(env: Any) -> None:
    _add_contacts(env, {"Name": "Acme Supplies", "TaxNumber": "DK87654321"})  # another company, same name
    mark = env.mark()
    [result] = env.connector().create(EntryKind.BILL, [item(bill())])
    assert (result.error.category, result.error.code) == (ErrorCategory.SETUP, "ContactNameTaken"), result.error
    assert env.writes_since(mark) == [] and len(_contacts(env)) == 1


def _contact_reads(env: Any, mark: int) -> list[dict[str, str]]:
    return [
        dict(parse_qsl(c["query"]))
        for c in env.calls_since(mark)
        if c["method"] == "GET" and c["path"].endswith("/Contacts")
    ]


def _book_pages_read(env: Any, mark: int) -> list[str]:
    return [q["page"] for q in _contact_reads(env, mark) if q.get("summaryOnly") == "true"]


# The bookkeeper's name for Roger's "Dansk Kontorhus A/S": no word, number or e-mail in common, only the VAT number.
KONTORHUS = dataclasses.replace(vendor("V-7", "Dansk Kontorhus A/S", tax="DK 12345678"), email="")


def a_contact_sharing_only_the_vat_number_is_used(env: Any) -> None:
    [theirs] = _add_contacts(env, {"Name": "Dansk Kontorforsyning ApS", "TaxNumber": "DK12345678"})
    mark = env.mark()
    [result] = env.connector().create(EntryKind.BILL, [item(bill(vendor_data=KONTORHUS))])
    assert result.outcome is Outcome.CREATED, result.error
    assert result.state.vendor_erp_id == theirs
    assert not [c for c in env.writes_since(mark) if c["path"].endswith("/Contacts")]  # no PUT /Contacts
    assert len(_contacts(env)) == 1
    assert _book_pages_read(env, mark) == ["1"]  # searchTerm does not reach TaxNumber: the book did


def a_tax_match_on_page_2_of_the_book_is_found(env: Any) -> None:
    others = [{"Name": f"Leverandør {i}", "TaxNumber": f"DK{40000000 + i}"} for i in range(1200)]
    [*_, theirs] = _add_contacts(env, *others, {"Name": "Dansk Kontorforsyning ApS", "TaxNumber": "DK12345678"})
    mark = env.mark()
    assert env.connector().resolve_contacts([KONTORHUS]) == {"V-7": theirs}
    assert _book_pages_read(env, mark) == ["1", "2"]
    assert not env.writes_since(mark) and len(_contacts(env)) == 1201


def no_tax_number_no_book_read(env: Any) -> None:
    _add_contacts(env, {"Name": "Dansk Kontorforsyning ApS", "TaxNumber": "DK12345678"})
    mark = env.mark()
    untaxed = dataclasses.replace(KONTORHUS, tax_number="")
    [result] = env.connector().create(EntryKind.BILL, [item(bill(vendor_data=untaxed))])
    assert result.outcome is Outcome.CREATED, result.error
    reads = _contact_reads(env, mark)
    assert _book_pages_read(env, mark) == [] and not [q for q in reads if q.get("searchTerm", "").isdigit()]
    assert len(reads) == 3  # name, number, account number (no e-mail): as before
    assert len(_contacts(env)) == 2  # nothing tied it to the bookkeeper's contact: a new one, as before


def a_linked_contact_is_used_and_checked(env: Any) -> None:
    [chosen] = _add_contacts(env, {"Name": "Acme A/S (chosen by an admin)"})
    _add_contacts(env, {"Name": "Acme Supplies", "TaxNumber": "DK12345678"})  # would match, but the admin chose
    [result] = env.connector().create(EntryKind.BILL, [item(bill(vendor_data=_linked(chosen)))])
    assert result.outcome is Outcome.CREATED and result.state.vendor_erp_id == chosen
    env.act("archive_contact", contact_id=chosen)
    [refused] = env.connector().create(EntryKind.BILL, [item(bill(2, vendor_data=_linked(chosen)))])
    assert (refused.error.category, refused.error.field) == (ErrorCategory.SETUP, "vendor")
    assert "is archived in Xero" in refused.error.message
    assert len(env.invoices()) == 1


# --- 2. optimised look-ups, in a high-volume organisation --------------------------------------------------------
def a_high_volume_organisation_is_only_asked_optimised_questions(env: Any) -> None:
    env.act("set_high_volume", high_volume=True)
    _add_contacts(env, {"Name": "Borealis Print", "EmailAddress": "ap@borealis.example"})
    xero = env.connector()
    data = _with(bill(), marker=f"https://roger.example/d/{DOC}")
    [created] = xero.create(EntryKind.BILL, [item(data)])
    assert created.outcome is Outcome.CREATED, created.error
    borealis = dataclasses.replace(vendor("V-2", "Borealis Print", tax=""), email="ap@borealis.example")
    other = bill(2, vendor_data=borealis)
    assert xero.create(EntryKind.BILL, [item(other)])[0].outcome is Outcome.CREATED
    assert xero.read(EntryKind.BILL, [created.state.erp_id])[created.state.erp_id].exists
    fresh = env.connector()
    assert [s.erp_id for s in fresh.lookup_entries(EntryKind.BILL, [data])[data.marker]] == [created.state.erp_id]
    renumbered = _with(data, invoice_number="INV-renumbered")  # the number changed after an uncertain create
    assert len(fresh.lookup_entries(EntryKind.BILL, [renumbered])[data.marker]) == 1
    [paid] = xero.create(EntryKind.PAYMENT, [item(payment(created.state.erp_id))])
    assert paid.outcome is Outcome.CREATED, paid.error
    found = fresh.lookup_entries(EntryKind.PAYMENT, [payment(created.state.erp_id)])
    assert [s.erp_id for s in found[payment(created.state.erp_id).marker]] == [paid.state.erp_id]
    assert fresh.lookup(EntryKind.BILL, [data.marker])[data.marker]  # even by marker alone
    assert [c["status"] for c in env.calls_since(0) if c["status"] == 400] == []


def the_marker_survives_a_new_site_url(env: Any) -> None:
    old = _with(bill(), marker=f"https://old-roger.example/documents/{DOC}/")
    [created] = env.connector().create(EntryKind.BILL, [item(old)])
    moved = _with(old, marker=f"https://roger.example/documents/{DOC}/")
    [hit] = env.connector().lookup_entries(EntryKind.BILL, [moved])[moved.marker]
    assert hit.erp_id == created.state.erp_id
    [unchanged] = env.connector().update(EntryKind.BILL, [item(moved, erp_id=hit.erp_id, version=2)])
    assert unchanged.outcome is Outcome.UNCHANGED  # a new host alone rewrites nothing


# --- 3. granular scopes ------------------------------------------------------------------------------------------
def granular_scopes_connect_and_a_missing_one_is_named(env: Any) -> None:
    oauth = XeroOAuthClient(
        "roger-new-app",
        "secret",
        redirect_uri="http://127.0.0.1:8000/integrations/xero/callback",
        login_url=f"{env.url}/xero/login",
        identity_url=f"{env.url}/xero/identity",
        api_url=f"{env.url}/xero",
        session=env.session,
    )
    location = requests.get(oauth.authorization_url("st"), allow_redirects=False, timeout=5).headers["Location"]
    code = parse_qs(urlsplit(location).query)["code"][0]  # the granular scopes are accepted by a new app
    assert "accounting.transactions" not in oauth.exchange_code(code).scope
    # A grant without accounting.payments (approved before Roger asked for it): bills go, payments say why.
    env.tenant = {
        **env.tenant,
        **env.sandbox.new_xero_tenant(
            "Nordlys (no payments)", scope="offline_access accounting.invoices accounting.contacts accounting.settings"
        ),
    }
    xero = _connector_for(env)
    [created] = xero.create(EntryKind.BILL, [item(bill())])
    assert created.outcome is Outcome.CREATED, created.error
    with pytest.raises(ConnectorError) as info:
        xero.create(EntryKind.PAYMENT, [item(payment(created.state.erp_id))])
    error = info.value.error
    assert (error.category, error.code) == (ErrorCategory.SETUP, "insufficient_scope")
    assert error.message == "Roger's Xero app lacks permission accounting.payments — reconnect and approve it"


def _connector_for(env: Any) -> XeroConnector:
    from datetime import UTC, datetime, timedelta

    from integrations.connectors.xero_oauth import MemoryTokenSource, TokenSet

    tokens = TokenSet(
        env.tenant["access_token"], env.tenant["refresh_token"], datetime.now(UTC) + timedelta(minutes=29)
    )
    return XeroConnector(
        api_url=f"{env.url}/xero",
        go_url=f"{env.url}/xero/go",
        tenant_id=env.tenant["tenant_id"],
        tokens=MemoryTokenSource(env.oauth, tokens),
        throttle=env.throttle,
        session=env.session,
        timeout=(3.05, 10),
    )


# --- 4. foreign-currency payments --------------------------------------------------------------------------------
def a_foreign_currency_payment_carries_what_left_the_bank(env: Any) -> None:
    xero = env.connector()
    [eur] = xero.create(EntryKind.BILL, [item(bill(currency="EUR"))])
    data = dataclasses.replace(payment(eur.state.erp_id), currency="EUR", bank_amount=Decimal("9315.00"))
    [paid] = xero.create(EntryKind.PAYMENT, [item(data)])  # 1,250 EUR from the DKK account 090
    assert paid.outcome is Outcome.CREATED, paid.error
    [stored] = env.org_state()["Payments"]
    assert (stored["Amount"], stored["BankAmount"], stored["CurrencyRate"]) == (1250.0, 9315.0, 0.134192)
    assert paid.state.fields["bank_amount"] == "9315.00" == data.comparable()["bank_amount"]  # the plan compares it
    mark = env.mark()
    [same] = env.connector().update(EntryKind.PAYMENT, [item(data, erp_id=paid.state.erp_id)])
    assert same.outcome is Outcome.UNCHANGED and env.writes_since(mark) == []
    corrected = dataclasses.replace(data, bank_amount=Decimal("9320.50"))
    [updated] = env.connector().update(EntryKind.PAYMENT, [item(corrected, erp_id=paid.state.erp_id, version=2)])
    assert updated.outcome is Outcome.UPDATED and updated.state.fields["bank_amount"] == "9320.50"


# --- 5. limits as the organisation has them ----------------------------------------------------------------------
def a_concurrency_429_asks_for_a_brief_pause(env: Any) -> None:
    env.sandbox.configure(xero={"concurrent_limit": 1})
    env.sandbox.fault(method="GET", path="/Organisation", kind="latency", latency_ms=700, count=1)
    busy = threading.Thread(target=lambda: env.connector().check_connection())
    busy.start()
    time.sleep(0.25)
    with pytest.raises(ConnectorError) as info:
        env.connector().read(EntryKind.BILL, ["6c1a0a62-1f0e-4b8e-9a55-0d2b7c9e1a01"])
    busy.join()
    assert (info.value.error.code, info.value.error.retry_after) == ("concurrent", 1.0)


def the_day_limit_is_read_from_xeros_headers(env: Any) -> None:
    env.sandbox.configure(xero={"day_limit": 1000})  # Xero's Starter tier
    xero = env.connector()
    assert xero.check_connection().ok
    assert xero.last_rate_limits["day"] == 999
    assert env.throttle.observed[-1]["headers"]["X-DayLimit-Remaining"] == "999"  # handed to the shared limiter


# --- 6. a create committed after the client gave up --------------------------------------------------------------
def a_create_committed_after_the_timeout_is_found_once_it_lands(env: Any) -> None:
    env.sandbox.fault(method="PUT", path="Invoices", kind="slow_commit", count=1, hold_seconds=1.5)
    data = _with(bill(), marker=f"https://roger.example/d/{DOC}")
    with pytest.raises(ConnectorError) as info:
        env.connector(timeout=(3.05, 0.5)).create(EntryKind.BILL, [item(data)])
    assert info.value.error.uncertain is True
    assert XeroConnector.write_settle_seconds is None  # Xero documents no bound: the engine's setting decides
    deadline = time.monotonic() + 5
    while not env.invoices():
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert len(env.connector().lookup_entries(EntryKind.BILL, [data])[data.marker]) == 1


SCENARIOS: list[Callable[[Any], None]] = [
    existing_supplier_is_matched_not_duplicated,
    ambiguous_supplier_is_a_setup_error_naming_the_candidates,
    a_colliding_name_never_creates_a_contact,
    a_contact_sharing_only_the_vat_number_is_used,
    a_tax_match_on_page_2_of_the_book_is_found,
    no_tax_number_no_book_read,
    a_linked_contact_is_used_and_checked,
    a_high_volume_organisation_is_only_asked_optimised_questions,
    the_marker_survives_a_new_site_url,
    granular_scopes_connect_and_a_missing_one_is_named,
    a_foreign_currency_payment_carries_what_left_the_bank,
    a_concurrency_429_asks_for_a_brief_pause,
    the_day_limit_is_read_from_xeros_headers,
    a_create_committed_after_the_timeout_is_found_once_it_lands,
]
