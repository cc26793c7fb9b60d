"""Fault injection, the request log (secrets masked), the control API, deep links and thread safety."""

from __future__ import annotations

import threading
import time

import pytest
import requests

from tests.fixtures_sandbox import SandboxClient, XeroApi
from tests.sandbox.helpers import bill, create_bill


@pytest.fixture
def tenant(sandbox: SandboxClient) -> dict:
    return sandbox.new_xero_tenant("Faults ApS")


@pytest.fixture
def api(sandbox: SandboxClient, tenant: dict) -> XeroApi:
    return sandbox.xero(tenant)


def _invoices(sandbox: SandboxClient, tenant: dict) -> list[dict]:
    return sandbox.state()["tenants"][tenant["tenant_id"]]["Invoices"]


def test_it_commits_then_holds_on_timeout_after_commit(sandbox: SandboxClient, tenant: dict, api: XeroApi) -> None:
    sandbox.fault(method="PUT", path="/Invoices$", kind="timeout_after_commit")
    with pytest.raises(requests.exceptions.ReadTimeout):
        api.put("Invoices", json={"Invoices": [bill()]}, timeout=0.5)
    assert len(_invoices(sandbox, tenant)) == 1
    started = time.monotonic()
    sandbox.reset()  # releases the held response at once
    assert time.monotonic() - started < 2


def test_it_times_out_without_processing(sandbox: SandboxClient, tenant: dict, api: XeroApi) -> None:
    sandbox.fault(method="PUT", path="Invoices", kind="timeout")
    with pytest.raises(requests.exceptions.ReadTimeout):
        api.put("Invoices", json={"Invoices": [bill()]}, timeout=0.5)
    assert _invoices(sandbox, tenant) == []
    assert api.put("Invoices", json={"Invoices": [bill()]}).status_code == 200  # the fault was used once


def test_it_answers_500_and_html_502_without_processing(sandbox: SandboxClient, tenant: dict,
                                                        api: XeroApi) -> None:
    sandbox.fault(method="PUT", path="Invoices", kind="500")
    assert api.put("Invoices", json={"Invoices": [bill()]}).status_code == 500
    sandbox.fault(method="PUT", path="Invoices", kind="html_502")
    bad_gateway = api.put("Invoices", json={"Invoices": [bill()]})
    assert bad_gateway.status_code == 502 and bad_gateway.headers["Content-Type"].startswith("text/html")
    assert _invoices(sandbox, tenant) == []


def test_it_truncates_json_after_processing(sandbox: SandboxClient, tenant: dict, api: XeroApi) -> None:
    sandbox.fault(method="PUT", path="Invoices", kind="truncated_json")
    response = api.put("Invoices", json={"Invoices": [bill()]})
    with pytest.raises(ValueError):
        response.json()
    assert len(_invoices(sandbox, tenant)) == 1


def test_it_injects_429_and_503_with_retry_after(sandbox: SandboxClient, api: XeroApi) -> None:
    sandbox.fault(method="GET", path="Organisation", kind="429", retry_after=7)
    sandbox.fault(method="GET", path="Organisation", kind="503", retry_after=3)
    limited = api.get("Organisation")
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "7"
    assert limited.headers["X-Rate-Limit-Problem"] == "minute"
    offline = api.get("Organisation")
    assert offline.status_code == 503 and offline.headers["Retry-After"] == "3"
    assert api.get("Organisation").status_code == 200


def test_it_applies_faults_to_the_next_n_matching_requests_only(sandbox: SandboxClient, api: XeroApi) -> None:
    sandbox.fault(method="GET", path="^/xero/api.xro/2.0/Accounts", kind="500", count=2)
    assert api.get("Organisation").status_code == 200
    assert [api.get("Accounts").status_code for _ in range(3)] == [500, 500, 200]


def test_it_logs_requests_in_order_with_secrets_masked(sandbox: SandboxClient, tenant: dict,
                                                      api: XeroApi) -> None:
    requests.post(f"{sandbox.url}/xero/identity/connect/token", auth=("app", "very-secret"), timeout=5,
                  data={"grant_type": "refresh_token", "refresh_token": tenant["refresh_token"]})
    create_bill(api)
    log = sandbox.requests(erp="xero")
    assert [(e["method"], e["path"]) for e in log] == [("POST", "/xero/identity/connect/token"),
                                                        ("PUT", "/xero/api.xro/2.0/Invoices")]
    text = str(log)
    for secret in (tenant["refresh_token"], tenant["access_token"], "very-secret"):
        assert secret not in text
    token_call, bill_call = log
    assert token_call["status"] == 200 and "refresh_token=%2A%2A%2A" in token_call["body"]
    assert '"access_token":"***"' in token_call["response_body"]
    assert bill_call["headers"]["Authorization"] == "Bearer ***"
    assert bill_call["tenant"] == tenant["tenant_id"] and bill_call["status"] == 200
    assert bill_call["started"] <= bill_call["ended"]
    assert "461" in bill_call["body"]  # ERP data stays readable
    assert sandbox.requests(since=1) == [sandbox.requests()[1]]


def test_it_exposes_state_in_xeros_shapes(sandbox: SandboxClient, tenant: dict, api: XeroApi) -> None:
    created = create_bill(api)
    state = sandbox.state()["tenants"][tenant["tenant_id"]]
    assert state["Name"] == "Faults ApS"
    assert state["Invoices"][0]["InvoiceID"] == created["InvoiceID"]
    assert state["Contacts"][0]["Name"] == "Nordic Paper ApS" and state["Payments"] == []


def test_it_seeds_a_chart_of_accounts_tax_rates_and_tracking(api: XeroApi) -> None:
    accounts = {a["Code"]: a for a in api.get("Accounts").json()["Accounts"]}
    assert accounts["090"]["Type"] == "BANK" and accounts["090"]["Name"] == "Business Bank Account"
    assert accounts["477"]["Status"] == "ARCHIVED" and accounts["412"]["Name"] == "Consulting & Accounting"
    banks = api.get("Accounts", params={"where": 'Type=="BANK" AND Status=="ACTIVE"'}).json()["Accounts"]
    assert {a["Code"] for a in banks} == {"090", "091", "092"}
    rates = {t["TaxType"]: t for t in api.get("TaxRates").json()["TaxRates"]}
    assert rates["INPUT"]["EffectiveRate"] == 25.0 and rates["NONE"]["EffectiveRate"] == 0.0
    [department, _region] = api.get("TrackingCategories").json()["TrackingCategories"]
    assert department["Name"] == "Department" and len(department["Options"]) == 4
    organisation = api.get("Organisation").json()["Organisations"][0]
    assert organisation["BaseCurrency"] == "DKK" and "PeriodLockDate" not in organisation


def test_it_resets_everything(sandbox: SandboxClient, tenant: dict, api: XeroApi) -> None:
    create_bill(api)
    sandbox.fault(method="GET", path="x", kind="500")
    sandbox.reset()
    assert sandbox.state() == {"tenants": {}}
    assert sandbox.requests() == []
    assert sandbox._call("GET", "faults") == {"faults": []}
    assert api.get("Organisation").status_code == 401


def test_it_validates_fault_rules(sandbox: SandboxClient) -> None:
    response = requests.post(f"{sandbox.url}/_sandbox/faults", json={"erp": "xero", "kind": "nope"}, timeout=5)
    assert response.status_code == 400


def test_it_serves_a_deep_link_page(sandbox: SandboxClient, api: XeroApi) -> None:
    created = create_bill(api)
    page = requests.get(f"{sandbox.url}/xero/go/AccountsPayable/View.aspx",
                        params={"InvoiceID": created["InvoiceID"]}, timeout=5)
    assert page.status_code == 200
    assert "F-2025-001" in page.text and "Nordic Paper ApS" in page.text and "AUTHORISED" in page.text
    assert "125.00" in page.text


def test_the_bill_page_lets_a_person_book_the_bill_like_an_accountant_in_xero(
    sandbox: SandboxClient, tenant: dict, api: XeroApi
) -> None:
    created = create_bill(api)
    view = f"{sandbox.url}/xero/go/AccountsPayable/View.aspx"
    page = requests.get(view, params={"InvoiceID": created["InvoiceID"]}, timeout=5)
    assert "action='/xero/go/AccountsPayable/Act'" in page.text and "value='pay'" in page.text

    paid = requests.post(f"{sandbox.url}/xero/go/AccountsPayable/Act",
                         data={"InvoiceID": created["InvoiceID"], "action": "pay"}, timeout=5)
    assert paid.status_code == 200 and paid.url.startswith(view)  # back on the bill's page
    [invoice] = _invoices(sandbox, tenant)
    assert invoice["Status"] == "PAID" and "value='pay'" not in paid.text

    locked = requests.post(f"{sandbox.url}/xero/go/AccountsPayable/Act",
                           data={"InvoiceID": created["InvoiceID"], "action": "lock_period"}, timeout=5)
    assert "Remove the period lock date" in locked.text
    assert api.get("Organisation").json()["Organisations"][0]["PeriodLockDate"]

    unknown = requests.post(f"{sandbox.url}/xero/go/AccountsPayable/Act",
                            data={"InvoiceID": created["InvoiceID"], "action": "delete-everything"}, timeout=5)
    assert unknown.status_code == 400 and "Unknown action" in unknown.text


def test_the_home_page_lists_each_organisations_bills_with_links(sandbox: SandboxClient, api: XeroApi) -> None:
    created = create_bill(api)
    home = requests.get(f"{sandbox.url}/", timeout=5)
    assert home.status_code == 200 and "Faults ApS" in home.text
    assert f"/xero/go/AccountsPayable/View.aspx?InvoiceID={created['InvoiceID']}" in home.text


def test_it_is_thread_safe_under_concurrent_writes(sandbox: SandboxClient, tenant: dict, api: XeroApi) -> None:
    created = create_bill(api, Status="DRAFT")
    errors: list[str] = []

    def worker(n: int) -> None:
        local = sandbox.xero(tenant)
        for i in range(5):
            response = local.put("Invoices", json={"Invoices": [bill(InvoiceNumber=f"T-{n}-{i}")]})
            if response.status_code != 200:
                errors.append(response.text)
            update = local.post(f"Invoices/{created['InvoiceID']}",
                                json={"InvoiceID": created["InvoiceID"], "InvoiceNumber": f"U-{n}-{i}"})
            if update.status_code != 200:
                errors.append(update.text)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    invoices = _invoices(sandbox, tenant)
    assert len(invoices) == 41 and len({i["InvoiceID"] for i in invoices}) == 41
    assert len(sandbox.requests(erp="xero")) == 81
