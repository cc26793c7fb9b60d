"""The sandbox as a stricter judge (issue 12): each behaviour of real Xero a connector could get wrong.

Scopes per endpoint and granular scopes for new apps, the high-volume threshold, contact names, the concurrency
429 without Retry-After, the Starter tier's day limit, a repeated idempotency key while its first request is in
flight, a create committed after the client gave up, deep links by short code, createdByMyApp, bank amounts.
"""

from __future__ import annotations

import threading
import time
from urllib.parse import parse_qs, quote, urlsplit

import pytest
import requests

from tests.fixtures_sandbox import SandboxClient, XeroApi
from tests.sandbox.helpers import bill, create_bill, messages

REDIRECT = "http://localhost:8000/integrations/xero/callback"


@pytest.fixture
def tenant(sandbox: SandboxClient) -> dict:
    return sandbox.new_xero_tenant("Strict ApS")


@pytest.fixture
def api(sandbox: SandboxClient, tenant: dict) -> XeroApi:
    return sandbox.xero(tenant)


def _invoices(sandbox: SandboxClient, tenant: dict) -> list[dict]:
    return sandbox.state()["tenants"][tenant["tenant_id"]]["Invoices"]


# --- scopes ---------------------------------------------------------------------------------------------------
def test_a_new_app_asking_for_the_broad_scope_is_refused_with_invalid_scope(sandbox: SandboxClient) -> None:
    response = requests.get(
        f"{sandbox.url}/xero/login/identity/connect/authorize",
        params={
            "response_type": "code",
            "client_id": "app",
            "redirect_uri": REDIRECT,
            "state": "s",
            "scope": "offline_access accounting.transactions accounting.contacts",
        },
        allow_redirects=False,
        timeout=5,
    )
    query = parse_qs(urlsplit(response.headers["Location"]).query)
    assert query["error"] == ["invalid_scope"] and query["state"] == ["s"] and "code" not in query
    sandbox.configure(xero={"granular_only": False})  # an app created before 2 March 2026
    response = requests.get(
        f"{sandbox.url}/xero/login/identity/connect/authorize",
        params={
            "response_type": "code",
            "client_id": "app",
            "redirect_uri": REDIRECT,
            "scope": "offline_access accounting.transactions",
        },
        allow_redirects=False,
        timeout=5,
    )
    assert "code" in parse_qs(urlsplit(response.headers["Location"]).query)


@pytest.mark.parametrize("status", [401, 403])
def test_each_endpoint_needs_its_scope(sandbox: SandboxClient, status: int) -> None:
    sandbox.configure(xero={"scope_denied_status": status})
    api = sandbox.xero(sandbox.new_xero_tenant("Bills only", scope="offline_access accounting.invoices"))
    assert api.get("Invoices").status_code == 200
    refused = api.get("Payments")
    assert refused.status_code == status
    assert refused.json()["Detail"] == "AuthorizationUnsuccessful"
    assert api.get("Organisation").status_code == status
    read_only = sandbox.xero(sandbox.new_xero_tenant("Read only", scope="accounting.invoices.read"))
    assert read_only.get("Invoices").status_code == 200
    assert read_only.put("Invoices", json={"Invoices": [bill()]}).status_code == status


def test_the_broad_scope_still_works_for_an_older_apps_grant(sandbox: SandboxClient) -> None:
    api = sandbox.xero(sandbox.new_xero_tenant("Old app", scope="accounting.transactions accounting.settings"))
    assert api.get("Payments").status_code == 200
    assert api.get("Contacts").status_code == 401  # contacts were never part of accounting.transactions


# --- high volume ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("Invoices", {"where": 'Url=="https://roger.example/d/1"', "page": "1"}),
        ("Invoices", {"where": 'InvoiceNumber=="A" OR InvoiceNumber=="B"', "page": "1"}),
        ("Invoices", {"where": 'Contact.Name.Contains("Nordic")', "page": "1"}),
        ("Invoices", {"order": "Total DESC", "page": "1"}),
        ("Invoices", {}),
        ("Contacts", {"where": 'ContactNumber=="V-1"'}),
        ("Contacts", {"where": 'Name=="A" OR Name=="B"'}),
        ("Contacts", {"where": 'TaxNumber=="DK1"'}),
        ("Payments", {"where": 'Reference=="x" OR Reference=="y"', "page": "1"}),
    ],
)
def test_a_high_volume_organisation_denies_unoptimised_reads(sandbox, tenant, api, path, params) -> None:
    assert api.get(path, params=params).status_code in (200, 400)  # a small organisation answers (or 400s parsing)
    sandbox.xero_action(tenant["tenant_id"], "set_high_volume", high_volume=True)
    refused = api.get(path, params=params)
    assert refused.status_code == 400
    assert refused.json()["Type"] == "HighVolumeException" and refused.json()["ErrorNumber"] == 51


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("Invoices", {"InvoiceNumbers": "A,B", "page": "1"}),
        ("Invoices", {"ContactIDs": "c0ffee00-0000-4000-8000-000000000001", "where": 'Type=="ACCPAY"', "page": "1"}),
        (
            "Invoices",
            {
                "where": 'InvoiceID==guid("c0ffee00-0000-4000-8000-000000000001") OR '
                'InvoiceID==guid("c0ffee00-0000-4000-8000-000000000002")'
            },
        ),
        ("Invoices", {"where": 'Type=="ACCPAY"', "createdByMyApp": "true", "page": "2"}),
        ("Contacts", {"searchTerm": "Nordic", "page": "1"}),
        ("Contacts", {"where": 'EmailAddress=="ap@nordic.example"'}),
        ("Contacts", {"IDs": "c0ffee00-0000-4000-8000-000000000001"}),
        (
            "Payments",
            {
                "where": 'Invoice.InvoiceID==guid("c0ffee00-0000-4000-8000-000000000001") OR '
                'Invoice.InvoiceID==guid("c0ffee00-0000-4000-8000-000000000002")'
            },
        ),
    ],
)
def test_a_high_volume_organisation_answers_optimised_reads(sandbox, tenant, api, path, params) -> None:
    sandbox.xero_action(tenant["tenant_id"], "set_high_volume", high_volume=True)
    assert api.get(path, params=params).status_code == 200


# --- contacts -------------------------------------------------------------------------------------------------
def test_contact_names_are_unique_among_active_contacts_in_xeros_words(sandbox, tenant, api) -> None:
    sandbox.xero_action(tenant["tenant_id"], "add_contacts", contacts=[{"Name": "Nordic Paper ApS"}])
    refused = api.put("Contacts", json={"Contacts": [{"Name": "nordic paper aps", "ContactNumber": "V-9"}]})
    assert messages(refused.json()) == [
        "The contact name nordic paper aps is already assigned to another contact. The contact name must be unique "
        "across all active contacts."
    ]


def test_search_term_covers_the_documented_fields(sandbox, tenant, api) -> None:
    sandbox.xero_action(
        tenant["tenant_id"],
        "add_contacts",
        contacts=[
            {"Name": "Kontorforsyning A/S", "CompanyNumber": "CVR-111"},
            {"Name": "Someone", "FirstName": "Kontor", "LastName": "Hansen", "EmailAddress": "x@kontor.example"},
            {"Name": "Archived Kontor", "ContactStatus": "ARCHIVED"},
        ],
    )
    found = api.get("Contacts", params={"searchTerm": "kontor"}).json()["Contacts"]
    assert sorted(c["Name"] for c in found) == ["Kontorforsyning A/S", "Someone"]
    archived = api.get("Contacts", params={"searchTerm": "kontor", "includeArchived": "true"}).json()["Contacts"]
    assert len(archived) == 3
    assert [c["Name"] for c in api.get("Contacts", params={"searchTerm": "cvr-111"}).json()["Contacts"]] == [
        "Kontorforsyning A/S"
    ]


def test_search_term_does_not_cover_the_tax_number(sandbox, tenant, api) -> None:
    # Neither the contacts page nor the OpenAPI description lists TaxNumber among searchTerm's fields: worst case.
    sandbox.xero_action(
        tenant["tenant_id"],
        "add_contacts",
        contacts=[
            {"Name": "Papir ApS", "TaxNumber": "DK31313131"},
            {"Name": "Kontor ApS", "CompanyNumber": "42424242"},
        ],
    )
    assert api.get("Contacts", params={"searchTerm": "31313131"}).json()["Contacts"] == []
    assert [c["Name"] for c in api.get("Contacts", params={"searchTerm": "42424242"}).json()["Contacts"]] == [
        "Kontor ApS"
    ]


def test_summary_only_leaves_out_what_xero_documents_and_keeps_the_tax_and_company_numbers(
    sandbox, tenant, api
) -> None:
    sandbox.xero_action(
        tenant["tenant_id"],
        "add_contacts",
        contacts=[{"Name": f"Firma {i}", "TaxNumber": f"DK{i:08d}", "CompanyNumber": f"{i:08d}"} for i in range(3)],
    )
    full = api.get("Contacts", params={"page": "1"}).json()["Contacts"]
    assert {"Addresses", "ContactGroups", "ContactPersons", "IsSupplier", "IsCustomer"} <= set(full[0])
    reply = api.get("Contacts", params={"summaryOnly": "true", "pageSize": "2"}).json()
    assert reply["pagination"] == {"page": 1, "pageSize": 2, "pageCount": 2, "itemCount": 3}  # paging enforced
    [first, _] = reply["Contacts"]
    assert not {"Addresses", "ContactGroups", "ContactPersons", "IsSupplier", "IsCustomer"} & set(first)
    assert (first["TaxNumber"], first["CompanyNumber"]) == ("DK00000000", "00000000")


# --- limits ---------------------------------------------------------------------------------------------------
def test_the_starter_tier_gives_a_thousand_calls_a_day(sandbox, api) -> None:
    sandbox.configure(xero={"day_limit": 1000})
    first = api.get("Organisation")
    assert first.headers["X-DayLimit-Remaining"] == "999"


# --- idempotency keys and slow commits ------------------------------------------------------------------------
def test_a_repeated_key_while_the_first_request_is_in_flight_is_processed_again(sandbox, tenant, api) -> None:
    sandbox.fault(method="PUT", path="/Invoices", kind="slow_commit", count=1, hold_seconds=1.0)
    body = {"Invoices": [bill()]}
    first = threading.Thread(target=lambda: api.put("Invoices", json=body, headers={"Idempotency-Key": "k-1"}))
    first.start()
    time.sleep(0.3)
    second = api.put("Invoices", json=body, headers={"Idempotency-Key": "k-1"})  # a retry while it is in flight
    first.join()
    assert second.status_code == 200
    assert len(_invoices(sandbox, tenant)) == 2  # Xero documents nothing better: the worst case


def test_the_gentler_policy_replays_the_first_outcome(sandbox, tenant, api) -> None:
    sandbox.configure(xero={"idempotency_in_flight": "wait"})
    sandbox.fault(method="PUT", path="/Invoices", kind="slow_commit", count=1, hold_seconds=0.8)
    body = {"Invoices": [bill()]}
    first = threading.Thread(target=lambda: api.put("Invoices", json=body, headers={"Idempotency-Key": "k-2"}))
    first.start()
    time.sleep(0.2)
    api.put("Invoices", json=body, headers={"Idempotency-Key": "k-2"})
    first.join()
    assert len(_invoices(sandbox, tenant)) == 1


def test_a_slow_commit_lands_after_the_client_gave_up(sandbox, tenant, api) -> None:
    sandbox.fault(method="PUT", path="/Invoices", kind="slow_commit", count=1, hold_seconds=1.0)
    with pytest.raises(requests.Timeout):
        api.put("Invoices", json={"Invoices": [bill()]}, timeout=0.3)
    assert _invoices(sandbox, tenant) == []  # not yet: still being processed
    time.sleep(1.2)
    assert len(_invoices(sandbox, tenant)) == 1


# --- what the connector relies on -----------------------------------------------------------------------------
def _other_app(sandbox: SandboxClient, tenant: dict) -> XeroApi:
    """The same organisation reached by another app, through the consent flow."""
    location = requests.get(
        f"{sandbox.url}/xero/login/identity/connect/authorize",
        params={
            "response_type": "code",
            "client_id": "other-app",
            "redirect_uri": REDIRECT,
            "scope": "offline_access accounting.invoices",
        },
        allow_redirects=False,
        timeout=5,
    ).headers["Location"]
    code = parse_qs(urlsplit(location).query)["code"][0]
    token = requests.post(
        f"{sandbox.url}/xero/identity/connect/token",
        auth=("other-app", "secret"),
        timeout=5,
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT},
    ).json()
    return sandbox.xero({**tenant, "access_token": token["access_token"]})


def test_created_by_my_app_returns_only_this_apps_invoices(sandbox, tenant, api) -> None:
    create_bill(api)
    other = _other_app(sandbox, tenant)
    create_bill(other, InvoiceNumber="F-other")
    assert len(api.get("Invoices", params={"page": "1"}).json()["Invoices"]) == 2
    mine = api.get("Invoices", params={"createdByMyApp": "true", "page": "1"}).json()["Invoices"]
    theirs = other.get("Invoices", params={"createdByMyApp": "true", "page": "1"}).json()["Invoices"]
    assert [i["InvoiceNumber"] for i in mine] == ["F-2025-001"]
    assert [i["InvoiceNumber"] for i in theirs] == ["F-other"]


def test_a_foreign_currency_payment_keeps_the_bank_amount_it_was_given(sandbox, tenant, api) -> None:
    eur = create_bill(api, CurrencyCode="EUR")
    paid = api.put(
        "Payments",
        json={
            "Payments": [
                {
                    "Invoice": {"InvoiceID": eur["InvoiceID"]},
                    "Account": {"Code": "090"},
                    "Date": "2025-03-20",
                    "Amount": 125.0,
                    "CurrencyRate": 0.134048,
                    "BankAmount": 932.5,
                    "Reference": "r",
                }
            ]
        },
    ).json()["Payments"][0]
    assert (paid["Amount"], paid["BankAmount"], paid["CurrencyRate"]) == (125.0, 932.5, 0.134048)
    only_rate = create_bill(api, CurrencyCode="EUR", InvoiceNumber="F-2")
    paid = api.put(
        "Payments",
        json={
            "Payments": [
                {
                    "Invoice": {"InvoiceID": only_rate["InvoiceID"]},
                    "Account": {"Code": "090"},
                    "Date": "2025-03-20",
                    "Amount": 125.0,
                    "CurrencyRate": 0.125,
                    "Reference": "r",
                }
            ]
        },
    ).json()["Payments"][0]
    assert paid["BankAmount"] == 1000.0  # 125 EUR at 0.125 EUR per DKK


def test_a_deep_link_opens_the_bill_in_the_organisation_of_its_short_code(sandbox, tenant, api) -> None:
    invoice = create_bill(api)
    short_code = api.get("Organisation").json()["Organisations"][0]["ShortCode"]
    redirect = quote(f"/AccountsPayable/Edit.aspx?InvoiceID={invoice['InvoiceID']}", safe="/")
    link = f"{sandbox.url}/xero/go/organisationlogin/default.aspx?shortcode={short_code}&redirecturl={redirect}"
    page = requests.get(link, timeout=5)
    assert page.status_code == 200 and "F-2025-001" in page.text and "Strict ApS" in page.text
    wrong = requests.get(link.replace(short_code, "!zzzzz"), timeout=5)
    assert wrong.status_code == 404
