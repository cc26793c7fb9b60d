"""The e-conomic sandbox's own rules, over real HTTP (no connector involved): the legacy REST API, the Journals
API and the BookedEntries API as e-conomic's descriptions give them."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from tests.sandbox.economic_helpers import EconomicSandbox, this_year, voucher


@pytest.fixture
def eco(sandbox) -> EconomicSandbox:
    return EconomicSandbox(sandbox)


@pytest.fixture
def agreement(eco) -> dict[str, Any]:
    return eco.agreement("Nordlys ApS")


@pytest.fixture
def api(eco, agreement):
    return eco.api(agreement)


@pytest.fixture
def journals(eco, agreement):
    return eco.journals(agreement)


def entries(api, journal: int = 10, **params: Any) -> list[dict[str, Any]]:
    response = api.get(f"journals/{journal}/entries", params={"pagesize": 1000, **params})
    assert response.status_code == 200, response.text
    return response.json()["collection"]


def create(api, journal: int = 10, **entry: Any) -> dict[str, Any]:
    response = api.post(f"journals/{journal}/vouchers", json=voucher(journal=journal, **entry))
    assert response.status_code == 201, response.text
    return response.json()["entries"]["supplierInvoices"][0]


def draft(journals, number: int) -> dict[str, Any]:
    response = journals.get(f"draft-entries/{number}")
    assert response.status_code == 200, response.text
    return response.json()


# --- tokens, roles, modules ----------------------------------------------------------------------------------


def test_it_needs_both_tokens_of_a_granted_agreement(eco, agreement, api, journals):
    bare = requests.get(f"{eco.url}/economic/accounts", timeout=5)
    assert bare.status_code == 401 and "errorCode" not in bare.json()  # e-conomic publishes no legacy code
    assert api.get("accounts").status_code == 200
    eco.action(agreement, "revoke_grant")
    revoked = api.get("accounts")
    assert revoked.status_code == 401
    assert set(revoked.json()) >= {"message", "developerHint", "logId", "httpStatusCode", "logTime"}
    problem = journals.get("draft-entries")
    assert problem.status_code == 401 and problem.headers["Content-Type"] == "application/problem+json"
    assert {"title", "status", "traceId"} <= set(problem.json())


def test_the_openapi_services_need_the_bookkeeping_role_and_departments_the_dimension_module(
    eco, agreement, api, journals
):
    eco.action(agreement, "set_roles", roles=[])
    assert journals.get("journals/10").status_code == 403
    assert eco.booked(agreement).get("booked-entries").status_code == 403
    assert api.get("accounts").status_code == 200  # the legacy API is not behind those roles
    eco.action(agreement, "set_modules", modules=[])
    assert api.get("departmental-distributions").status_code == 403
    refused = api.post(
        "journals/10/vouchers", json=voucher(departmentalDistribution={"departmentalDistributionNumber": 1})
    )
    assert refused.status_code == 400 and "departments module" in refused.text


def test_a_new_agreement_is_seeded(api, journals):
    me = api.get("self").json()
    assert me["settings"]["baseCurrency"] == "DKK" and me["company"]["name"] == "Nordlys ApS"
    accounts = {a["accountNumber"]: a for a in api.get("accounts", params={"pagesize": 1000}).json()["collection"]}
    assert accounts[5820]["accountType"] == "status" and accounts[2200]["accountType"] == "profitAndLoss"
    assert {"I25", "I0"} <= {v["vatCode"] for v in api.get("vat-accounts").json()["collection"]}
    journal = journals.get("journals/10").json()
    assert (journal["name"], journal["allowedEntryType"], journal["nextVoucherNumber"]) == ("Roger", 0, 2)
    years = [y["year"] for y in api.get("accounting-years").json()["collection"]]
    assert this_year() in years and str(int(this_year()) - 3) in years
    assert len(entries(api, 5)) == 1 and len(entries(api, 10)) == 1  # a person's drafts in both journals


# --- legacy vouchers -------------------------------------------------------------------------------------------


def test_a_voucher_is_one_object_numbered_by_e_conomic_and_numbers_are_never_reused(api, journals):
    first = create(api)
    assert first["voucher"]["voucherNumber"] == 2  # the person's draft holds voucher 1
    assert journals.delete(f"draft-entries/{first['journalEntryNumber']}").status_code == 204
    assert create(api)["voucher"]["voucherNumber"] == 3
    assert api.post("journals/10/vouchers", json=[voucher()]).status_code == 400  # the schema describes an object
    assert api.post("journals/10/vouchers", json={**voucher(), "voucherNumber": 9}).status_code == 400
    assert create(api, journal=5)["voucher"]["voucherNumber"] == 2


@pytest.mark.parametrize(
    ("override", "prop"),
    [
        ({"contraAccount": {"accountNumber": 9999}}, "contraAccount"),
        ({"contraAccount": {"accountNumber": 1000}}, "contraAccount"),  # a heading
        ({"contraAccount": {"accountNumber": 2900}}, "contraAccount"),  # barred
        ({"contraVatAccount": {"vatCode": "X99"}}, "contraVatAccount"),
        ({"departmentalDistribution": {"departmentalDistributionNumber": 77}}, "departmentalDistribution"),
        ({"supplier": {"supplierNumber": 4242}}, "supplier"),
        ({"currency": {"code": "ZUL"}}, "currency"),
        ({"amount": 10.123}, "amount"),
        ({"amount": 0}, "amount"),
        ({"text": "x" * 251}, "text"),
        ({"supplierInvoiceNumber": "x" * 31}, "supplierInvoiceNumber"),
        ({"date": "2001-01-01"}, "date"),
    ],
)
def test_references_and_values_are_validated_whole(api, override, prop):
    response = api.post("journals/10/vouchers", json=voucher(**override))
    assert response.status_code == 400, response.text
    [err] = response.json()["errors"]["entries"]["supplierInvoices"][0][prop]["errors"]
    assert err["message"] and "errorCode" not in err
    assert len(entries(api)) == 1


def test_journal_entries_are_read_only_on_the_legacy_api(api):
    entry = create(api)
    assert api.put(f"journals/10/entries/{entry['journalEntryNumber']}", json={}).status_code == 405


def test_a_journal_restricted_to_one_entry_type_and_a_used_up_range_refuse(eco, agreement, api):
    eco.action(agreement, "journal_settings", journal=10, allowedEntryType=4)
    refused = api.post("journals/10/vouchers", json=voucher())
    assert refused.status_code == 400 and "entryType" in refused.json()["errors"]
    assert api.get("journals/10").json()["settings"]["entryTypeRestrictedTo"] == "supplierPayment"
    eco.action(agreement, "journal_settings", journal=10, allowedEntryType=0, maximumVoucherNumber=2)
    create(api)
    assert "voucherNumber" in api.post("journals/10/vouchers", json=voucher()).json()["errors"]


def test_foreign_currency_base_amounts_are_computed_per_100(eco, agreement, api):
    eur = create(api, currency={"code": "EUR"}, amount=1000)
    assert (eur["exchangeRate"], eur["amountDefaultCurrency"]) == (746.12, 7461.2)
    given = create(api, currency={"code": "EUR"}, amount=1000, exchangeRate=745)
    assert given["amountDefaultCurrency"] == 7450.0
    assert api.post("journals/10/vouchers", json=voucher(exchangeRate=99)).status_code == 400  # DKK is 100
    eco.configure(legacy_missing_rate="refuse")
    assert api.post("journals/10/vouchers", json=voucher(currency={"code": "EUR"})).status_code == 400


# --- the Journals API -------------------------------------------------------------------------------------------


def test_a_draft_is_changed_with_its_object_version_and_a_stale_one_is_a_409(eco, agreement, api, journals):
    entry = create(api, departmentalDistribution={"departmentalDistributionNumber": 2})
    current = draft(journals, entry["journalEntryNumber"])
    changed = {**current, "amount": 250.0, "text": "Paper and ink"}
    assert journals.put("draft-entries", json=changed).status_code == 204
    after = api.get(f"journals/10/entries/{entry['journalEntryNumber']}").json()
    assert (after["amount"], after["contraVatAmount"]) == (250.0, 50.0)  # VAT follows the code
    assert after["departmentalDistribution"]["departmentalDistributionNumber"] == 2  # left alone
    stale = journals.put("draft-entries", json={**changed, "amount": 300.0})  # the version read before
    assert stale.status_code == 409 and stale.json()["title"].startswith("Update conflict")
    eco.action(agreement, "edit_entry", vouchers=[f"{this_year()}-2"], changes={"text": "Typed by Mette"})
    fresh = draft(journals, entry["journalEntryNumber"])
    assert fresh["text"] == "Typed by Mette" and fresh["objectVersion"] != current["objectVersion"]
    assert journals.put("draft-entries", json={**fresh, "voucherNumber": None}).status_code == 400


def test_the_journals_api_refuses_with_its_published_codes(eco, agreement, api, journals):
    entry = create(api)
    current = draft(journals, entry["journalEntryNumber"])
    codes = {
        "journalNumber": "JournalNumberCannotBeChangedOnDraftEntry",
        "currency": "JournalEntryCurrencyNotFound",
        "contraAccountNumber": "JournalEntryContraAccountNotFound",
    }
    bad = {"journalNumber": 5, "currency": "ZUL", "contraAccountNumber": 9999}
    for prop, code in codes.items():
        response = journals.put("draft-entries", json={**current, prop: bad[prop]})
        assert response.status_code == 400
        assert code in [e.get("errorCode") for e in response.json()["errors"]]
    eco.action(agreement, "close_period", date=f"{this_year()}-03-15")
    closed = journals.put("draft-entries", json=current).json()["errors"][0]
    assert closed["errorCode"] == "JournalEntryDateAccountingYearPeriodBarred"
    assert journals.get("draft-entries/99999").json()["errors"][0]["errorCode"] == "JournalEntryDoesNotExist"


def test_booking_books_only_the_named_entries_and_booked_entries_never_change(api, journals, eco, agreement):
    mine, other = create(api), create(api, supplierInvoiceNumber="F-2")
    booked = journals.post("journals/10/bookdraftentries", json={"entryNumbers": [mine["journalEntryNumber"]]})
    assert booked.status_code == 204
    remaining = [e["journalEntryNumber"] for e in entries(api)]
    assert mine["journalEntryNumber"] not in remaining and other["journalEntryNumber"] in remaining
    lines = api.get(f"accounting-years/{this_year()}/entries", params={"filter": "voucherNumber$eq:2"}).json()
    assert sum(line["amount"] for line in lines["collection"]) == 0
    assert {line["account"]["accountNumber"] for line in lines["collection"]} == {6800, 2200, 6902}
    gone = journals.put(
        "draft-entries",
        json={**draft(journals, other["journalEntryNumber"]), "entryNumber": mine["journalEntryNumber"]},
    )
    assert gone.status_code == 404
    again = journals.post("journals/10/bookdraftentries", json={"entryNumbers": [mine["journalEntryNumber"]]})
    assert again.json()["errors"][0]["errorCode"] == "JournalEntryDoesNotExist"
    assert journals.post("journals/10/bookdraftentries", json={"entryNumbers": []}).status_code == 400


# --- filters, pages, the BookedEntries API -----------------------------------------------------------------------


def test_filters_follow_what_each_description_marks_filterable(eco, agreement, api, journals):
    create(api, text="Paper [roger-aaaaaaaaaaaaaaaa]")
    create(api, text="Ink [roger-bbbbbbbbbbbbbbbb]")
    hits = entries(api, filter="entryType$eq:supplierInvoice$and:(text$like:roger-bbbb$or:text$like:nothing)")
    assert [e["text"] for e in hits] == ["Ink [roger-bbbbbbbbbbbbbbbb]"]
    assert api.get("journals/10/entries", params={"filter": "dueDate$eq:2026-01-01"}).status_code == 400
    assert journals.get("draft-entries", params={"filter": "text$like:Ink"}).status_code == 400  # not filterable there
    by_voucher = journals.get("draft-entries", params={"filter": "journalNumber$eq:10$and:voucherNumber$in:[1,3]"})
    assert sorted(e["voucherNumber"] for e in by_voucher.json()["items"]) == [1, 3]
    eco.action(agreement, "book_journal", journal=10)
    booked = eco.booked(agreement).get("booked-entries", params={"filter": "type$eq:3$and:text$like:roger-aaaa"})
    assert {line["voucherNumber"] for line in booked.json()["items"]} == {2}
    year = api.get(f"accounting-years/{this_year()}/entries", params={"filter": "text$like:roger-aaaa"})
    assert year.status_code == 200 and {line["voucherNumber"] for line in year.json()["collection"]} == {2}


def test_suppliers_filter_on_the_documented_properties_and_refuse_lists_on_strings(eco, agreement, api):
    """suppliers.get.schema.json marks name, email, corporateIdentificationNumber (and more) filterable; the legacy
    API allows $in:/$nin: "only … on numeric properties" (restdocs "Filtering"); strings compare case-insensitively."""
    eco.action(
        agreement,
        "add_suppliers",
        suppliers=[
            {"name": "Chairs (DK), A/S", "corporateIdentificationNumber": "DK12345678"},
            {"name": "Stolefabrikken", "email": "a@stole.example b@stole.example", "barred": True},
        ],
    )

    def numbers(flt: str) -> list[int]:
        reply = api.get("suppliers", params={"filter": flt})
        assert reply.status_code == 200, reply.text
        return sorted(s["supplierNumber"] for s in reply.json()["collection"])

    assert numbers("name$eq:CHAIRS $(DK$)$, A/S") == [201]
    assert numbers("corporateIdentificationNumber$like:12345678$or:email$like:B@stole.example") == [201, 202]
    assert numbers("barred$eq:true") == [202]
    assert numbers("supplierNumber$in:[200,202]") == [200, 202]
    refused = api.get("suppliers", params={"filter": "corporateIdentificationNumber$in:[12345678,DK12345678]"})
    assert refused.status_code == 400 and "numeric" in refused.json()["message"]
    assert api.get("suppliers", params={"filter": "phone$eq:1"}).status_code == 400  # not filterable


def test_collections_are_paged(api):
    for i in range(4):
        create(api, supplierInvoiceNumber=f"F-{i}")
    page = api.get("journals/10/entries", params={"pagesize": 2, "skippages": 1}).json()
    assert len(page["collection"]) == 2 and page["pagination"]["results"] == 5
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
    assert api.post("suppliers", json=body).status_code == 201
    assert api.get("suppliers/1001").json()["layout"]["self"]
    assert "supplierNumber" in api.post("suppliers", json=body).json()["errors"]
    missing = api.post("suppliers", json={"name": "No group", "currency": "DKK"})
    assert set(missing.json()["errors"]) == {"supplierGroup", "paymentTerms", "vatZone"}


# --- fair use, idempotency, faults, unknown paths -------------------------------------------------------------------


def test_the_fair_use_limit_answers_429_without_promising_a_time(eco, api):
    eco.configure(calls_per_minute=3)
    assert [api.get("accounts").status_code for _ in range(4)] == [200, 200, 200, 429]
    limited = api.get("accounts")
    assert "Retry-After" not in limited.headers and limited.json()["httpStatusCode"] == 429


def test_an_idempotency_key_replays_the_first_response(api):
    headers = {"Idempotency-Key": "k-1"}
    first = api.post("journals/10/vouchers", json=voucher(), headers=headers)
    second = api.post("journals/10/vouchers", json=voucher(), headers=headers)
    assert first.status_code == second.status_code == 201 and first.json() == second.json()
    assert second.headers.get("X-ResultFromCache") == "true"
    assert len(entries(api)) == 2
    assert api.post("journals/10/vouchers", json=voucher(amount=1), headers=headers).status_code == 400


def test_faults_apply_to_economic_requests(eco, api):
    eco.fault(method="POST", path="/vouchers", kind="500")
    assert api.post("journals/10/vouchers", json=voucher()).status_code == 500
    eco.fault(method="POST", path="/vouchers", kind="timeout_after_commit", hold_seconds=1)
    with pytest.raises(requests.RequestException):
        api.post("journals/10/vouchers", json=voucher(), timeout=(3, 0.5))
    assert len(entries(api)) == 2  # committed despite the timeout


def test_a_write_can_land_after_the_client_gave_up(eco, api):
    eco.fault(method="POST", path="/vouchers", kind="commit_after_timeout", hold_seconds=1.5)
    with pytest.raises(requests.RequestException):
        api.post("journals/10/vouchers", json=voucher(), timeout=(3, 0.5))
    assert len(entries(api)) == 1  # not yet: the client stopped waiting before the commit
    import time

    time.sleep(1.5)
    assert len(entries(api)) == 2  # and then it landed


def test_unknown_paths_and_versions_answer_a_bare_404(eco, agreement, api):
    for path in ("nothing-here", "journalsapi/v14.0.0/draft-entries"):
        response = api.get(path)
        assert response.status_code == 404 and response.headers["Content-Type"].startswith("text/html")


def test_the_accountant_actions(eco, agreement, api):
    first, second = create(api), create(api)
    eco.action(agreement, "delete_entry", entries=[first["journalEntryNumber"]])
    assert eco.action(agreement, "book_entries", vouchers=[f"{this_year()}-3"])["booked"] == [f"{this_year()}-3"]
    assert [e["voucher"]["voucherNumber"] for e in entries(api)] == [1]
    assert eco.action(agreement, "book_journal", journal=5)["booked"] == [f"{this_year()}-1"]
    state = eco.state(agreement)
    assert state["journals"]["5"]["entries"] == []
    assert {line["voucherNumber"] for line in state["bookedEntries"][this_year()]} == {1, 3}
    assert second["journalEntryNumber"]


def test_reset_forgets_agreements_and_the_log_masks_tokens(eco, agreement, api):
    api.get("accounts")
    logged = eco.requests()
    assert logged and logged[-1]["tenant"] == str(agreement["agreement_number"])
    headers = {k.lower(): v for k, v in logged[-1]["headers"].items()}
    assert agreement["agreement_grant_token"] not in str(logged) and headers["x-agreementgranttoken"] == "***"
    eco.sandbox.reset()
    assert eco.state() == {"agreements": {}}
    assert api.get("accounts").status_code == 401
