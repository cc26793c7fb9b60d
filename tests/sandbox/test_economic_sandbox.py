"""The e-conomic sandbox's own rules, over real HTTP (no connector involved)."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from tests.sandbox.economic_helpers import EconomicSandbox, supplier_invoice, this_year, voucher


@pytest.fixture
def eco(sandbox) -> EconomicSandbox:
    return EconomicSandbox(sandbox)


@pytest.fixture
def agreement(eco) -> dict[str, Any]:
    return eco.agreement("Nordlys ApS")


@pytest.fixture
def api(eco, agreement):
    return eco.api(agreement)


def entries(api, journal: int = 10, **params: Any) -> list[dict[str, Any]]:
    response = api.get(f"journals/{journal}/entries", params={"pagesize": 1000, **params})
    assert response.status_code == 200, response.text
    return response.json()["collection"]


def create(api, *vouchers: dict[str, Any], journal: int = 10) -> requests.Response:
    return api.post(f"journals/{journal}/vouchers", json=list(vouchers))


def test_it_needs_both_tokens_of_a_granted_agreement(eco, agreement, api):
    bare = requests.get(f"{eco.url}/economic/accounts", timeout=5)
    assert bare.status_code == 401
    assert bare.json()["errorCode"] == "E03000"
    wrong = requests.get(
        f"{eco.url}/economic/accounts",
        timeout=5,
        headers={"X-AppSecretToken": "nope", "X-AgreementGrantToken": agreement["agreement_grant_token"]},
    )
    assert wrong.status_code == 401
    assert api.get("accounts").status_code == 200
    eco.action(agreement, "revoke_grant")
    revoked = api.get("accounts")
    assert revoked.status_code == 401
    assert revoked.json()["errorCode"] == "E03110"
    assert set(revoked.json()) >= {"message", "developerHint", "logId", "httpStatusCode", "logTime"}


def test_a_new_agreement_is_seeded(api):
    accounts = {a["accountNumber"]: a for a in api.get("accounts", params={"pagesize": 1000}).json()["collection"]}
    assert accounts[5820]["accountType"] == "status"
    assert accounts[2200]["accountType"] == "profitAndLoss"
    vat = {v["vatCode"] for v in api.get("vat-accounts").json()["collection"]}
    assert {"I25", "I0"} <= vat
    assert [d["name"] for d in api.get("departments").json()["collection"]] == [
        "Sales",
        "Administration",
        "Development",
    ]
    journals = {j["journalNumber"]: j["name"] for j in api.get("journals").json()["collection"]}
    assert journals == {5: "Daily journal", 10: "Roger"}
    years = [y["year"] for y in api.get("accounting-years").json()["collection"]]
    assert this_year() in years
    assert len(api.get(f"accounting-years/{this_year()}/periods").json()["collection"]) == 12
    # a human's drafts already sit in both journals
    assert len(entries(api, 5)) == 1 and len(entries(api, 10)) == 1


def test_vouchers_are_numbered_per_journal_and_year_and_never_reused(api):
    first = create(api, voucher(), voucher(supplierInvoiceNumber="F-2"))
    assert first.status_code == 201, first.text
    numbers = [v["voucherNumber"] for v in first.json()]
    assert numbers == [2, 3]  # the human's draft holds voucher 1 of journal 10
    entry = first.json()[1]["entries"]["supplierInvoices"][0]
    assert entry["voucher"]["voucherNumber"] == 3 and entry["journalEntryNumber"]
    assert api.delete(f"journals/10/entries/{entry['journalEntryNumber']}").status_code == 204
    again = create(api, voucher())
    assert again.json()[0]["voucherNumber"] == 4
    other = create(api, voucher(journal=5), journal=5)
    assert other.json()[0]["voucherNumber"] == 2
    assert create(api, {**voucher(), "voucherNumber": 2}).status_code == 400


def test_a_single_voucher_object_gets_a_single_object_back(api):
    response = api.post("journals/10/vouchers", json=voucher())
    assert response.status_code == 201
    assert response.json()["entries"]["supplierInvoices"][0]["amount"] == 125.0
    assert response.headers["Location"].endswith(f"/journals/10/vouchers/{this_year()}-2")


@pytest.mark.parametrize("missing", ["supplier", "amount", "contraAccount", "date", "currency"])
def test_required_fields_are_enforced(api, missing):
    bad = voucher()
    del bad["entries"]["supplierInvoices"][0][missing]
    response = create(api, voucher(), bad)
    assert response.status_code == 400
    body = response.json()
    assert body["message"] == "Validation error."
    [element] = body["errors"]
    assert element["arrayIndex"] == 1
    errs = element["entries"]["supplierInvoices"][0]
    assert errs["arrayIndex"] == 0
    assert errs[missing]["errors"][0]["errorCode"] == "E04010"
    assert len(entries(api)) == 1  # all or nothing: the valid voucher was not created either


@pytest.mark.parametrize(
    ("override", "prop", "code"),
    [
        ({"contraAccount": {"accountNumber": 9999}}, "contraAccount", "E06000"),
        ({"contraAccount": {"accountNumber": 1000}}, "contraAccount", "E06020"),  # a heading
        ({"contraAccount": {"accountNumber": 2900}}, "contraAccount", "E06010"),  # barred
        ({"contraVatAccount": {"vatCode": "X99"}}, "contraVatAccount", "E06000"),
        ({"departmentalDistribution": {"departmentalDistributionNumber": 77}}, "departmentalDistribution", "E06000"),
        ({"supplier": {"supplierNumber": 4242}}, "supplier", "E06000"),
        ({"currency": {"code": "ZUL"}}, "currency", "E06000"),
        ({"amount": 10.123}, "amount", "E04740"),
        ({"amount": 0}, "amount", "E04060"),
        ({"text": "x" * 251}, "text", "E04020"),
        ({"supplierInvoiceNumber": "x" * 31}, "supplierInvoiceNumber", "E04020"),
        ({"date": "2001-01-01"}, "date", "E07010"),
    ],
)
def test_references_and_values_are_validated(api, override, prop, code):
    response = api.post("journals/10/vouchers", json=voucher(**override))
    assert response.status_code == 400, response.text
    errs = response.json()["errors"]["entries"]["supplierInvoices"][0]
    assert errs[prop]["errors"][0]["errorCode"] == code


def test_vat_is_computed_from_the_code_when_not_given(api):
    created = api.post("journals/10/vouchers", json=voucher()).json()
    assert created["entries"]["supplierInvoices"][0]["contraVatAmount"] == 25.0


def test_a_draft_entry_is_replaced_by_put(api):
    entry = api.post("journals/10/vouchers", json=voucher()).json()["entries"]["supplierInvoices"][0]
    number = entry["journalEntryNumber"]
    changed = {**supplier_invoice(amount=250.00, contraVatAmount=50.00), "voucher": entry["voucher"]}
    response = api.put(f"journals/10/entries/{number}", json=changed)
    assert response.status_code == 200, response.text
    assert api.get(f"journals/10/entries/{number}").json()["amount"] == 250.0
    moved = {**changed, "voucher": {"voucherNumber": 99}}
    assert api.put(f"journals/10/entries/{number}", json=moved).status_code == 400


def test_booked_entries_leave_the_journal_and_cannot_change(eco, agreement, api):
    created = create(api, voucher(), voucher(supplierInvoiceNumber="F-2")).json()
    first = created[0]["entries"]["supplierInvoices"][0]
    second = created[1]["entries"]["supplierInvoices"][0]
    booked = api.post(
        "journals/10/bookdraftentries", json={"entries": [{"journalEntryNumber": first["journalEntryNumber"]}]}
    )
    assert booked.status_code == 200, booked.text
    assert booked.json()["vouchers"][0]["voucherNumber"] == 2

    remaining = [e["journalEntryNumber"] for e in entries(api)]
    assert first["journalEntryNumber"] not in remaining
    assert second["journalEntryNumber"] in remaining  # only the named entry was booked
    lines = api.get(f"accounting-years/{this_year()}/entries", params={"pagesize": 1000}).json()["collection"]
    mine = [line for line in lines if line["voucherNumber"] == 2]
    assert {line["account"]["accountNumber"] for line in mine} == {6800, 2200, 6902}
    assert sum(line["amount"] for line in mine) == 0
    assert all(line["text"] == first["text"] and line["entryType"] == "supplierInvoice" for line in mine)

    put = api.put(f"journals/10/entries/{first['journalEntryNumber']}", json=supplier_invoice())
    assert put.status_code == 400
    assert "booked" in put.json()["message"]
    assert api.delete(f"journals/10/entries/{first['journalEntryNumber']}").status_code == 400
    again = api.post(
        "journals/10/bookdraftentries", json={"entries": [{"journalEntryNumber": first["journalEntryNumber"]}]}
    )
    assert again.status_code == 400
    assert create(api, {**voucher(), "voucherNumber": 2}).status_code == 400


def test_booking_the_journal_books_every_draft_in_it(api):
    create(api, voucher())
    assert len(entries(api)) == 2
    assert api.post("journals/10/book", json={}).status_code == 200
    assert entries(api) == []
    assert len(entries(api, 5)) == 1  # other journals are untouched


def test_closed_periods_refuse_entries_and_booking(eco, agreement, api):
    created = api.post("journals/10/vouchers", json=voucher()).json()["entries"]["supplierInvoices"][0]
    eco.action(agreement, "close_period", date=f"{this_year()}-03-15")
    refused = api.post("journals/10/vouchers", json=voucher())
    assert refused.status_code == 400
    err = refused.json()["errors"]["entries"]["supplierInvoices"][0]["date"]["errors"][0]
    assert err["errorCode"] == "E07020" and "closed" in err["message"]
    put = api.put(
        f"journals/10/entries/{created['journalEntryNumber']}",
        json={**supplier_invoice(amount=300), "voucher": created["voucher"]},
    )
    assert put.status_code == 400
    book = api.post(
        "journals/10/bookdraftentries", json={"entries": [{"journalEntryNumber": created["journalEntryNumber"]}]}
    )
    assert book.status_code == 400
    assert (
        api.post(
            "journals/10/vouchers", json=voucher(date=f"{this_year()}-04-01", dueDate=f"{this_year()}-04-30")
        ).status_code
        == 201
    )
    periods = api.get(f"accounting-years/{this_year()}/periods").json()["collection"]
    assert [p["closed"] for p in periods if p["periodNumber"] == 3] == [True]
    eco.action(agreement, "reopen_period", date=f"{this_year()}-03-15")
    assert api.post("journals/10/vouchers", json=voucher()).status_code == 201


def test_filters_follow_the_documented_filterable_properties(api):
    create(api, voucher(text="Paper [roger-aaaaaaaaaaaaaaaa]"), voucher(text="Ink [roger-bbbbbbbbbbbbbbbb]"))
    hits = entries(api, filter="entryType$eq:supplierInvoice$and:text$like:roger-bbbbbbbbbbbbbbbb")
    assert [e["text"] for e in hits] == ["Ink [roger-bbbbbbbbbbbbbbbb]"]
    by_voucher = entries(api, filter="voucher.voucherNumber$in:[1,3]")
    assert sorted(e["voucher"]["voucherNumber"] for e in by_voucher) == [1, 3]
    assert api.get("journals/10/entries", params={"filter": "supplier.supplierNumber$eq:200"}).status_code == 400
    booked = api.get(f"accounting-years/{this_year()}/entries", params={"filter": "text$like:roger"})
    assert booked.status_code == 400
    assert "not allowed" in booked.json()["message"]
    suppliers = api.get("suppliers", params={"filter": "corporateIdentificationNumber$eq:DK11111111"}).json()
    assert [s["supplierNumber"] for s in suppliers["collection"]] == [200]


def test_collections_are_paged(api):
    create(api, *[voucher(supplierInvoiceNumber=f"F-{i}") for i in range(4)])
    page = api.get("journals/10/entries", params={"pagesize": 2, "skippages": 1}).json()
    assert len(page["collection"]) == 2
    assert page["pagination"]["results"] == 5
    assert "skippages=2" in page["pagination"]["nextPage"]
    assert api.get("journals/10/entries", params={"pagesize": 1001}).status_code == 400


def test_suppliers_are_created_with_e_conomic_s_required_fields(api):
    body = {
        "supplierNumber": 1001,
        "name": "Chairs A/S",
        "currency": "DKK",
        "supplierGroup": {"supplierGroupNumber": 1},
        "paymentTerms": {"paymentTermsNumber": 1},
        "vatZone": {"vatZoneNumber": 1},
        "corporateIdentificationNumber": "DK12345678",
    }
    created = api.post("suppliers", json=body)
    assert created.status_code == 201, created.text
    assert api.get("suppliers/1001").json()["name"] == "Chairs A/S"
    duplicate = api.post("suppliers", json=body)
    assert duplicate.status_code == 400
    assert "supplierNumber" in duplicate.json()["errors"]
    missing = api.post("suppliers", json={"name": "No group", "currency": "DKK"})
    assert set(missing.json()["errors"]) == {"supplierGroup", "paymentTerms", "vatZone"}
    assert api.get("suppliers/4242").status_code == 404


def test_the_fair_use_limit_answers_429_with_retry_after(eco, api):
    eco.configure(calls_per_minute=3)
    statuses = [api.get("accounts").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    limited = api.get("accounts")
    assert int(limited.headers["Retry-After"]) >= 1
    assert limited.json()["httpStatusCode"] == 429


def test_an_idempotency_key_replays_the_first_response(api):
    headers = {"Idempotency-Key": "k-1"}
    first = api.post("journals/10/vouchers", json=[voucher()], headers=headers)
    second = api.post("journals/10/vouchers", json=[voucher()], headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert second.headers.get("Idempotent-Replayed") == "true"
    assert len(entries(api)) == 2  # the human's draft and ours, once
    other = api.post("journals/10/vouchers", json=[voucher(amount=1)], headers=headers)
    assert other.status_code == 400
    assert "different request" in other.json()["message"]


def test_faults_apply_to_economic_requests(eco, api):
    eco.fault(method="POST", path="/vouchers", kind="500")
    assert create(api, voucher()).status_code == 500
    eco.fault(method="POST", path="/vouchers", kind="timeout_after_commit", hold_seconds=1)
    with pytest.raises(requests.RequestException):
        api.post("journals/10/vouchers", json=[voucher()], timeout=(3, 0.5))
    assert len(entries(api)) == 2  # committed despite the timeout


def test_the_accountant_actions(eco, agreement, api):
    created = create(api, voucher(), voucher()).json()
    numbers = [v["entries"]["supplierInvoices"][0]["journalEntryNumber"] for v in created]
    eco.action(agreement, "delete_entry", entries=[numbers[0]])
    result = eco.action(agreement, "book_entries", vouchers=[f"{this_year()}-3"])
    assert result["booked"] == [f"{this_year()}-3"]
    assert [e["voucher"]["voucherNumber"] for e in entries(api)] == [1]
    booked = eco.action(agreement, "book_journal", journal=5)
    assert booked["booked"] == [f"{this_year()}-1"]
    state = eco.state(agreement)
    assert state["journals"]["5"]["entries"] == []
    assert {line["voucherNumber"] for line in state["bookedEntries"][this_year()]} == {1, 3}


def test_reset_forgets_agreements_and_the_log_masks_tokens(eco, agreement, api):
    api.get("accounts")
    logged = eco.requests()
    assert logged and logged[-1]["tenant"] == str(agreement["agreement_number"])
    headers = {k.lower(): v for k, v in logged[-1]["headers"].items()}
    assert agreement["agreement_grant_token"] not in str(logged)
    assert headers["x-agreementgranttoken"] == "***"
    eco.sandbox.reset()
    assert eco.state() == {"agreements": {}}
    assert api.get("accounts").status_code == 401
