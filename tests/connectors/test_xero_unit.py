"""The Xero connector on recorded responses (shapes from Xero's OpenAPI description); no network."""

from __future__ import annotations

import copy
import json
from datetime import date
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses

from integrations.connectors.base import (
    ConnectorError,
    EntryKind,
    ErrorCategory,
    Outcome,
    TrackingRef,
    batch_idempotency_key,
)
from integrations.connectors.xero import (
    XeroConnector,
    bill_body,
    classify_validation,
    parse_tracking_code,
    parse_xero_date,
)
from tests.connectors.xero_helpers import (
    ACCESS,
    API,
    TENANT,
    FakeContacts,
    FakeTokens,
    RecordingThrottle,
    bill,
    contact,
    item,
    load,
    payment,
    vendor,
)

BILL_ID = "6c1a0a62-1f0e-4b8e-9a55-0d2b7c9e1a01"
PAYMENT_ID = "9a9a9a9a-0000-4000-8000-000000000001"
CONTACT_ID = "c0ffee00-0000-4000-8000-00000000a001"


@pytest.fixture
def rsps():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def throttle():
    return RecordingThrottle()


@pytest.fixture
def tokens():
    return FakeTokens(ACCESS, "eyJ.fresh-CCC")


@pytest.fixture
def xero(tokens, throttle):
    return XeroConnector(tenant_id=TENANT, tokens=tokens, throttle=throttle)


def org(rsps, period: str | None = "/Date(1774915200000+0000)/", eoy: str | None = "/Date(1767139200000+0000)/"):
    data = load("organisation")
    data["Organisations"][0]["PeriodLockDate"] = period
    data["Organisations"][0]["EndOfYearLockDate"] = eoy
    if period is None:
        del data["Organisations"][0]["PeriodLockDate"]
    if eoy is None:
        del data["Organisations"][0]["EndOfYearLockDate"]
    rsps.get(f"{API}/Organisation", json=data)


def contact_found(rsps):
    rsps.get(f"{API}/Contacts", json=load("contacts_by_number"))


def calls(rsps, method: str | None = None, path: str | None = None) -> list:
    out = []
    for call in rsps.calls:
        parts = urlsplit(call.request.url)
        if (method is None or call.request.method == method) and (path is None or parts.path.endswith(path)):
            out.append(call)
    return out


def query(call) -> dict[str, list[str]]:
    return parse_qs(urlsplit(call.request.url).query)


def invoice(**changes) -> dict:
    inv = copy.deepcopy(load("invoices_created")["Invoices"][0])
    inv.update(changes)
    return inv


# --- body building ------------------------------------------------------------------------------------------


def test_bill_body_is_exact_xero_json():
    data = bill(tracking=(TrackingRef("Department", "Engineering"), TrackingRef("Region", "North")))
    body = bill_body(data, CONTACT_ID)
    assert body == {
        "Type": "ACCPAY",
        "Contact": {"ContactID": CONTACT_ID},
        "InvoiceNumber": "INV-1001",
        "Url": "https://roger.example/d/1001",
        "Date": "2026-04-10",
        "DueDate": "2026-05-10",
        "CurrencyCode": "DKK",
        "LineAmountTypes": "Exclusive",
        "Status": "AUTHORISED",
        "LineItems": [
            {
                "Description": "Office chairs",
                "Quantity": Decimal(1),
                "UnitAmount": Decimal("1000.00"),
                "LineAmount": Decimal("1000.00"),
                "AccountCode": "429",
                "TaxType": "INPUT",
                "TaxAmount": Decimal("250.00"),
                "Tracking": [{"Name": "Department", "Option": "Engineering"}, {"Name": "Region", "Option": "North"}],
            }
        ],
    }
    assert bill_body(bill(draft=True), CONTACT_ID)["Status"] == "DRAFT"
    assert "DueDate" not in bill_body(bill(due=None), CONTACT_ID)


def test_create_bill_sends_exact_bytes_headers_and_query(rsps, xero, throttle):
    org(rsps)
    contact_found(rsps)
    rsps.put(f"{API}/Invoices", json=load("invoices_created"))
    [result] = xero.create(EntryKind.BILL, [item(bill())])

    [put] = calls(rsps, "PUT", "/Invoices")
    assert put.request.body == (
        b'{"Invoices":[{"Type":"ACCPAY","Contact":{"ContactID":"c0ffee00-0000-4000-8000-00000000a001"},'
        b'"InvoiceNumber":"INV-1001","Url":"https://roger.example/d/1001","Date":"2026-04-10",'
        b'"DueDate":"2026-05-10","CurrencyCode":"DKK","LineAmountTypes":"Exclusive","Status":"AUTHORISED",'
        b'"LineItems":[{"Description":"Office chairs","Quantity":1.0,"UnitAmount":1000.0,"LineAmount":1000.0,'
        b'"AccountCode":"429","TaxType":"INPUT","TaxAmount":250.0,'
        b'"Tracking":[{"Name":"Department","Option":"Engineering"}]}]}]}'
    )
    assert query(put) == {"summarizeErrors": ["false"]}
    headers = put.request.headers
    assert headers["xero-tenant-id"] == TENANT
    assert headers["Authorization"] == f"Bearer {ACCESS}"
    assert headers["Idempotency-Key"] == "roger-int1-1001-bill-v1"
    assert headers["Content-Type"] == "application/json"
    assert headers["Accept"] == "application/json"
    assert headers["User-Agent"].startswith("Roger")

    assert result.outcome is Outcome.CREATED
    assert result.state.erp_id == BILL_ID
    assert result.state.number == "INV-1001"
    # Xero's deep link form that opens the right organisation (short code from /Organisation).
    assert result.state.url == (
        "https://go.xero.com/organisationlogin/default.aspx?shortcode=!nRd1s"
        f"&redirecturl=/AccountsPayable/Edit.aspx%3FInvoiceID%3D{BILL_ID}"
    )
    assert result.state.marker == "https://roger.example/d/1001"
    assert result.state.fields == bill().comparable()
    assert result.sent["Url"] == "https://roger.example/d/1001"
    assert throttle.slots == len(rsps.calls)  # every HTTP call went through the gate
    assert len(throttle.observed) == len(rsps.calls)


def test_idempotency_key_and_body_are_stable_and_change_with_the_version(rsps, tokens, throttle):
    sent = []
    for version in (1, 1, 2):
        with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
            org(mock)
            contact_found(mock)
            mock.put(f"{API}/Invoices", json=load("invoices_created"))
            xero = XeroConnector(tenant_id=TENANT, tokens=tokens, throttle=throttle)
            batch = [item(bill(1001), version=version), item(bill(1002), version=version)]
            created = load("invoices_created")
            created["Invoices"].append({**created["Invoices"][0], "InvoiceID": "6c1a0a62-1f0e-4b8e-9a55-0d2b7c9e1a02"})
            mock.replace(responses.PUT, f"{API}/Invoices", json=created)
            xero.create(EntryKind.BILL, batch)
            [put] = calls(mock, "PUT", "/Invoices")
            sent.append((put.request.headers["Idempotency-Key"], put.request.body))
            assert put.request.headers["Idempotency-Key"] == batch_idempotency_key("roger", batch)
    assert sent[0] == sent[1]
    assert sent[0][0] != sent[2][0]
    assert sent[0][0].startswith("roger-") and len(sent[0][0]) <= 128


def test_amounts_serialize_as_numbers_consistently():
    from integrations.connectors.http import dumps

    assert dumps({"a": Decimal("1234567.89"), "b": Decimal("0.10"), "c": Decimal("5")}) == (
        b'{"a":1234567.89,"b":0.1,"c":5.0}'
    )


# --- contacts (issue 1: suppliers that already exist in Xero) ------------------------------------------------


def created_bill(rsps):
    rsps.put(f"{API}/Invoices", json=load("invoices_created"))


def sent_contact(rsps) -> dict:
    return json.loads(calls(rsps, "PUT", "/Invoices")[0].request.body)["Invoices"][0]["Contact"]


def test_a_linked_contact_is_used_after_checking_it_still_exists(rsps, xero):
    org(rsps)
    book = FakeContacts(rsps, [contact(7, "Acme Supplies A/S")])
    created_bill(rsps)
    linked = vendor()
    linked = type(linked)(**{**linked.__dict__, "erp_id": contact(7, "")["ContactID"]})
    [result] = xero.create(EntryKind.BILL, [item(bill(vendor_data=linked))])
    assert result.outcome is Outcome.CREATED
    assert sent_contact(rsps) == {"ContactID": contact(7, "")["ContactID"]}
    assert [set(q) for q in book.queries] == [{"IDs", "includeArchived", "page"}]  # no search, no creation


@pytest.mark.parametrize(
    ("contacts", "words"),
    [([], "no longer in Xero"), ([contact(7, "Acme Supplies A/S", ContactStatus="ARCHIVED")], "is archived")],
)
def test_a_linked_contact_gone_or_archived_is_a_setup_error(rsps, xero, contacts, words):
    org(rsps)
    FakeContacts(rsps, contacts)
    linked = type(vendor())(**{**vendor().__dict__, "erp_id": contact(7, "")["ContactID"]})
    [result] = xero.create(EntryKind.BILL, [item(bill(vendor_data=linked))])
    assert result.outcome is Outcome.FAILED
    assert (result.error.category, result.error.field) == (ErrorCategory.SETUP, "vendor")
    assert words in result.error.message and "Contacts" in result.error.hint
    assert not calls(rsps, "PUT")


def test_an_existing_contact_is_matched_by_name_up_to_case_and_punctuation(rsps, xero):
    org(rsps)
    book = FakeContacts(rsps, [contact(1, "ACME Supplies."), contact(2, "Acme Supplies Holding")])
    created_bill(rsps)
    [result] = xero.create(EntryKind.BILL, [item(bill(vendor_data=vendor(tax="")))])
    assert result.outcome is Outcome.CREATED
    assert sent_contact(rsps) == {"ContactID": contact(1, "")["ContactID"]}
    assert not calls(rsps, "PUT", "/Contacts")  # no second supplier for a name that differs by a dot
    assert {q.get("searchTerm") or q.get("where") for q in book.queries} == {
        "Supplies",
        "V-1",
        'AccountNumber=="V-1"',
        'EmailAddress=="ap@acme.example"',
    }


@pytest.mark.parametrize(
    "found",
    [
        contact(3, "Acme (old name)", TaxNumber="DK 12 34 56 78", EmailAddress="ap@acme.example"),
        contact(3, "Acme, Inc.", AccountNumber="V-1"),
        contact(3, "Acme Supplies ApS", ContactNumber="V-1"),
        contact(3, "Someone at Acme", EmailAddress="AP@ACME.example"),
    ],
    ids=["tax-number", "account-number", "roger-contact-number", "email"],
)
def test_an_existing_contact_is_matched_by_tax_number_number_or_email(rsps, xero, found):
    org(rsps)
    FakeContacts(rsps, [found, contact(4, "Unrelated Supplies", TaxNumber="DK99999999")])
    created_bill(rsps)
    [result] = xero.create(EntryKind.BILL, [item(bill())])
    assert result.outcome is Outcome.CREATED
    assert sent_contact(rsps) == {"ContactID": found["ContactID"]}


def test_a_strong_match_wins_over_a_name_match(rsps, xero):
    org(rsps)
    FakeContacts(rsps, [contact(1, "Acme Supplies"), contact(2, "Acme Supplies (Jylland)", TaxNumber="DK12345678")])
    created_bill(rsps)
    xero.create(EntryKind.BILL, [item(bill())])
    assert sent_contact(rsps) == {"ContactID": contact(2, "")["ContactID"]}


def test_two_matching_contacts_are_an_ambiguous_setup_error_naming_them(rsps, throttle, tokens):
    xero = XeroConnector(tenant_id=TENANT, tokens=tokens, throttle=throttle, name="Xero (Nordlys)")
    org(rsps)
    FakeContacts(
        rsps,
        [contact(1, "Acme Supplies", AccountNumber="A-1"), contact(2, "ACME Supplies.", EmailAddress="x@acme.example")],
    )
    [result] = xero.create(EntryKind.BILL, [item(bill(vendor_data=vendor(tax="")))])
    assert result.outcome is Outcome.FAILED
    error = result.error
    assert (error.category, error.field, error.code) == (ErrorCategory.SETUP, "vendor", "AmbiguousContact")
    assert "Acme Supplies (A-1)" in error.message and "ACME Supplies. (x@acme.example)" in error.message
    assert error.hint == (
        "Choose the Xero contact for Acme Supplies in Integrations settings → Xero (Nordlys) → Contacts, then re-sync."
    )
    assert not calls(rsps, "PUT")


def test_a_contact_with_another_tax_number_is_not_the_supplier_and_its_name_is_not_reused(rsps, xero):
    org(rsps)
    FakeContacts(rsps, [contact(1, "Acme Supplies", TaxNumber="DK87654321")])
    [result] = xero.create(EntryKind.BILL, [item(bill())])
    assert result.outcome is Outcome.FAILED
    assert (result.error.category, result.error.code) == (ErrorCategory.SETUP, "ContactNameTaken")
    assert "already named Acme Supplies" in result.error.message
    assert not calls(rsps, "PUT")  # never a contact whose name collides


def test_an_archived_match_is_not_duplicated(rsps, xero):
    org(rsps)
    FakeContacts(rsps, [contact(1, "Acme Supplies", ContactStatus="ARCHIVED", TaxNumber="DK12345678")])
    [result] = xero.create(EntryKind.BILL, [item(bill())])
    assert (result.error.category, result.error.field) == (ErrorCategory.SETUP, "vendor")
    assert "archived" in result.error.message and "Restore it in Xero" in result.error.hint
    assert not calls(rsps, "PUT")


def test_many_suppliers_at_once_are_matched_from_one_read_of_the_address_book(rsps, xero):
    org(rsps)
    existing = [contact(i, f"Supplier {i} ApS.") for i in range(1, 6)]
    book = FakeContacts(rsps, existing)
    rsps.put(
        f"{API}/Invoices", json={"Invoices": [invoice(InvoiceID=f"6c1a0a62-1f0e-4b8e-9a55-{i:012d}") for i in range(5)]}
    )
    vendors = [vendor(f"V-{i}", f"Supplier {i} ApS", tax="") for i in range(1, 6)]
    vendors = [type(v)(**{**v.__dict__, "email": ""}) for v in vendors]
    results = xero.create(EntryKind.BILL, [item(bill(1000 + i, vendor_data=v)) for i, v in enumerate(vendors)])
    assert [r.outcome for r in results] == [Outcome.CREATED] * 5
    sent = json.loads(calls(rsps, "PUT", "/Invoices")[0].request.body)["Invoices"]
    assert [b["Contact"]["ContactID"] for b in sent] == [c["ContactID"] for c in existing]
    assert book.queries == [{"summaryOnly": "true", "includeArchived": "true", "pageSize": "1000", "page": "1"}]


def test_a_big_address_book_is_not_read_when_searching_costs_less(rsps, xero):
    big = [contact(i, f"Someone {i}") for i in range(1, 13_001)]  # 13 pages of 1,000
    book = FakeContacts(rsps, big)
    rsps.put(f"{API}/Contacts", json=load("contacts_created"))
    xero.resolve_contacts([vendor(f"V-{i}", f"New Supplier {i}", tax="") for i in range(4)])
    scans = [q for q in book.queries if "pageSize" in q]
    searches = [q for q in book.queries if "pageSize" not in q]
    assert len(scans) == 4 * 3  # stopped at what searching costs: 3 look-ups a supplier
    assert len(searches) == 4 * 4  # then searched: name, number, account number, e-mail


def test_contact_created_once_with_contact_number_then_cached(rsps, xero):
    book = FakeContacts(rsps, [])
    rsps.put(f"{API}/Contacts", json=load("contacts_created"))
    v2 = vendor("V-2", "Borealis Print", tax="")
    assert xero.resolve_contacts([v2, v2]) == {"V-2": "c0ffee00-0000-4000-8000-00000000b002"}
    assert xero.resolve_contacts([v2]) == {"V-2": "c0ffee00-0000-4000-8000-00000000b002"}
    [put] = calls(rsps, "PUT", "/Contacts")
    assert json.loads(put.request.body) == {
        "Contacts": [{"Name": "Borealis Print", "ContactNumber": "V-2", "EmailAddress": "ap@acme.example"}]
    }
    assert put.request.headers["Idempotency-Key"].startswith("roger-contacts-")
    assert query(put) == {"summarizeErrors": ["false"]}
    assert len(book.queries) == 4  # name, number, account number, e-mail: once, then remembered


def test_a_contact_created_meanwhile_by_another_worker_is_found_again(rsps, xero):
    org(rsps)
    book = FakeContacts(rsps, [])
    refused = load("contacts_created")
    refused["Contacts"][0].update(
        ContactID="00000000-0000-0000-0000-000000000000",
        HasValidationErrors=True,
        ValidationErrors=[{"Message": "The contact name Borealis Print is already assigned to another contact."}],
    )

    def created_meanwhile(request):
        book.contacts.append(contact(9, "Borealis Print", ContactNumber="V-2"))  # the other worker's
        return 200, {}, json.dumps(refused)

    rsps.add_callback("PUT", f"{API}/Contacts", callback=created_meanwhile)
    created_bill(rsps)
    [result] = xero.create(EntryKind.BILL, [item(bill(vendor_data=vendor("V-2", "Borealis Print", tax="")))])
    assert result.outcome is Outcome.CREATED
    assert sent_contact(rsps) == {"ContactID": contact(9, "")["ContactID"]}


def test_contact_refused_by_xero_fails_only_that_bill(rsps, xero):
    org(rsps)
    FakeContacts(rsps, [])
    refused = load("contacts_created")
    refused["Contacts"][0].update(
        ContactID="00000000-0000-0000-0000-000000000000",
        HasValidationErrors=True,
        ValidationErrors=[
            {
                "Message": "The contact name Borealis Print is already "
                "assigned to another contact. The contact name must be unique "
                "across all active contacts."
            }
        ],
    )
    rsps.put(f"{API}/Contacts", json=refused)
    [result] = xero.create(EntryKind.BILL, [item(bill(vendor_data=vendor("V-2", "Borealis Print", tax="")))])
    assert result.outcome is Outcome.FAILED
    assert (result.error.category, result.error.field) == (ErrorCategory.SETUP, "vendor")
    assert "already assigned to another contact" in result.error.message
    assert "choose it for Borealis Print" in result.error.hint
    assert not calls(rsps, "PUT", "/Invoices")


# --- booked -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "reason", "hint_part"),
    [
        ({"Status": "PAID", "AmountPaid": 1250.0, "AmountDue": 0}, "Paid in Xero", "Remove the payment"),
        ({"Status": "VOIDED"}, "Voided in Xero", "voided"),
        ({"Status": "DELETED"}, "Deleted in Xero", "deleted"),
        ({"AmountPaid": 100.0, "AmountDue": 1150.0}, "Has a payment allocated in Xero", "Remove the payment"),
        ({"AmountCredited": 50.0}, "Has a credit note or prepayment allocated in Xero", "credit"),
        (
            {"DateString": "2026-03-31T00:00:00", "Date": "/Date(1774915200000+0000)/"},
            "Dated 2026-03-31, on or before Xero's period lock date 2026-03-31",
            "lock date",
        ),
        (
            {"DateString": "2025-06-30T00:00:00", "Date": "/Date(1751241600000+0000)/"},
            "Dated 2025-06-30, on or before Xero's end of year lock date 2025-12-31",
            "lock date",
        ),
    ],
)
def test_booked_bill_causes(rsps, xero, changes, reason, hint_part):
    org(rsps)
    rsps.get(f"{API}/Invoices", json={"Invoices": [invoice(**changes)]})
    state = xero.read(EntryKind.BILL, [BILL_ID])[BILL_ID]
    assert state.booked is True
    assert state.booked_reason == reason
    assert hint_part.lower() in state.booked_hint.lower()


def test_authorised_unpaid_bill_after_the_lock_is_not_booked(rsps, xero):
    org(rsps)
    rsps.get(f"{API}/Invoices", json={"Invoices": [invoice()]})
    state = xero.read(EntryKind.BILL, [BILL_ID])[BILL_ID]
    assert (state.booked, state.booked_reason, state.status, state.exists) == (False, "", "AUTHORISED", True)
    [get] = calls(rsps, "GET", "/Invoices")
    assert query(get) == {"IDs": [BILL_ID], "page": ["1"]}


def test_read_unknown_id_does_not_exist(rsps, xero):
    org(rsps, period=None, eoy=None)
    rsps.get(f"{API}/Invoices", json={"Invoices": []})
    # Not a bill: it may be a credit note (a bill entry's id can be either); Xero knows neither.
    rsps.get(f"{API}/CreditNotes/6c1a0a62-1f0e-4b8e-9a55-0d2b7c9e1a99", status=404, body="Not found")
    state = xero.read(EntryKind.BILL, ["6c1a0a62-1f0e-4b8e-9a55-0d2b7c9e1a99"])["6c1a0a62-1f0e-4b8e-9a55-0d2b7c9e1a99"]
    assert state.exists is False


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"IsReconciled": True}, "Reconciled with a bank statement line in Xero"),
        ({"Date": "/Date(1774828800000+0000)/"}, "Dated 2026-03-30, on or before Xero's period lock date 2026-03-31"),
    ],
)
def test_booked_payment_causes(rsps, xero, changes, reason):
    org(rsps)
    pay = {**load("payments_created")["Payments"][0], **changes}
    rsps.get(f"{API}/Payments", json={"Payments": [pay]})
    state = xero.read(EntryKind.PAYMENT, [PAYMENT_ID])[PAYMENT_ID]
    assert (state.booked, state.booked_reason) == (True, reason)
    [get] = calls(rsps, "GET", "/Payments")
    assert query(get)["where"] == [f'PaymentID==guid("{PAYMENT_ID}")']


def test_deleted_payment_reads_as_gone(rsps, xero):
    org(rsps)
    pay = {**load("payments_created")["Payments"][0], "Status": "DELETED"}
    rsps.get(f"{API}/Payments", json={"Payments": [pay]})
    state = xero.read(EntryKind.PAYMENT, [PAYMENT_ID])[PAYMENT_ID]
    assert (state.exists, state.status, state.booked) == (False, "DELETED", False)
    assert state.fields == {
        "bank_account": "090",
        "payment_date": "2026-04-17",
        "amount": "1250.00",
        "currency": "DKK",  # BankAmount = Amount: nothing was converted, so no bank amount to compare
    }


# --- update -------------------------------------------------------------------------------------------------


def test_update_of_a_booked_bill_is_blocked_without_writing(rsps, xero):
    org(rsps)
    rsps.get(f"{API}/Invoices", json={"Invoices": [invoice(Status="PAID", AmountPaid=1250.0)]})
    [result] = xero.update(EntryKind.BILL, [item(bill(net="900.00", vat="225.00"), erp_id=BILL_ID)])
    assert result.outcome is Outcome.BLOCKED
    assert result.state.booked_reason == "Paid in Xero"
    assert result.error.category is ErrorCategory.BOOKED
    assert [c.request.method for c in rsps.calls] == ["GET", "GET"]


def test_update_of_an_unchanged_bill_writes_nothing(rsps, xero):
    org(rsps)
    rsps.get(f"{API}/Invoices", json={"Invoices": [invoice()]})
    [result] = xero.update(EntryKind.BILL, [item(bill(), erp_id=BILL_ID)])
    assert result.outcome is Outcome.UNCHANGED
    assert result.state.fields == bill().comparable()
    assert all(c.request.method == "GET" for c in rsps.calls)


def test_update_resends_status_and_line_item_ids(rsps, xero):
    org(rsps)
    contact_found(rsps)
    rsps.get(f"{API}/Invoices", json={"Invoices": [invoice()]})
    updated = invoice(Total=1125.0, TotalTax=225.0, SubTotal=900.0)
    rsps.post(f"{API}/Invoices", json={"Invoices": [updated]})
    changed = bill(net="900.00", vat="225.00")
    [result] = xero.update(EntryKind.BILL, [item(changed, erp_id=BILL_ID, version=2)])
    assert result.outcome is Outcome.UPDATED
    [post] = calls(rsps, "POST", "/Invoices")
    body = json.loads(post.request.body)["Invoices"][0]
    assert body["InvoiceID"] == BILL_ID
    assert body["Status"] == "AUTHORISED"
    assert body["LineItems"][0]["LineItemID"] == "11111111-2222-4333-8444-555555555501"
    assert body["LineItems"][0]["LineAmount"] == 900.0
    assert query(post) == {"summarizeErrors": ["false"]}
    assert post.request.headers["Idempotency-Key"] == "roger-int1-1001-bill-v2"


def test_update_of_a_missing_bill_fails_with_exists_false(rsps, xero):
    org(rsps)
    rsps.get(f"{API}/Invoices", json={"Invoices": []})
    [result] = xero.update(EntryKind.BILL, [item(bill(), erp_id=BILL_ID)])
    assert result.outcome is Outcome.FAILED
    assert result.state.exists is False


def test_unchanged_payment_is_not_written(rsps, xero):
    org(rsps)
    rsps.get(f"{API}/Payments", json=load("payments_created"))
    [result] = xero.update(EntryKind.PAYMENT, [item(payment(), erp_id=PAYMENT_ID)])
    assert result.outcome is Outcome.UNCHANGED
    assert all(c.request.method == "GET" for c in rsps.calls)


def test_changed_payment_is_deleted_then_created_never_edited(rsps, xero):
    org(rsps)
    rsps.get(f"{API}/Payments", json=load("payments_created"))
    deleted = load("payments_created")
    deleted["Payments"][0]["Status"] = "DELETED"
    rsps.post(f"{API}/Payments/{PAYMENT_ID}", json=deleted)
    new = load("payments_created")
    new["Payments"][0].update(PaymentID="9a9a9a9a-0000-4000-8000-000000000002", Amount=1000.0)
    rsps.put(f"{API}/Payments", json=new)

    [result] = xero.update(EntryKind.PAYMENT, [item(payment(amount="1000.00"), erp_id=PAYMENT_ID, version=2)])

    assert result.outcome is Outcome.UPDATED
    assert result.state.erp_id == "9a9a9a9a-0000-4000-8000-000000000002"
    [delete] = calls(rsps, "POST", f"/Payments/{PAYMENT_ID}")
    assert json.loads(delete.request.body) == {"Status": "DELETED"}
    assert delete.request.headers["Idempotency-Key"] == "roger-int1-1001#payment-payment-v2-delete"
    [put] = calls(rsps, "PUT", "/Payments")
    assert json.loads(put.request.body) == {
        "Payments": [
            {
                "Invoice": {"InvoiceID": BILL_ID},
                "Account": {"Code": "090"},
                "Date": "2026-04-17",
                "Amount": 1000.0,
                "Reference": "https://roger.example/d/1001#payment",
            }
        ]
    }
    assert not [c for c in calls(rsps, "POST", "/Payments") if "Amount" in (c.request.body or b"").decode()]


def test_reconciled_payment_is_blocked(rsps, xero):
    org(rsps)
    data = load("payments_created")
    data["Payments"][0]["IsReconciled"] = True
    rsps.get(f"{API}/Payments", json=data)
    [result] = xero.update(EntryKind.PAYMENT, [item(payment(amount="1000.00"), erp_id=PAYMENT_ID)])
    assert result.outcome is Outcome.BLOCKED
    assert not calls(rsps, "POST") and not calls(rsps, "PUT")


def test_payment_delete_refused_as_reconciled_is_blocked(rsps, xero):
    org(rsps)
    rsps.get(f"{API}/Payments", json=load("payments_created"))
    error = load("error_validation")
    error["Elements"][0]["ValidationErrors"] = [{"Message": "Payment has been reconciled and cannot be deleted"}]
    rsps.post(f"{API}/Payments/{PAYMENT_ID}", json=error, status=400)
    [result] = xero.update(EntryKind.PAYMENT, [item(payment(amount="1000.00"), erp_id=PAYMENT_ID)])
    assert result.outcome is Outcome.BLOCKED
    assert result.error.category is ErrorCategory.BOOKED
    assert not calls(rsps, "PUT", "/Payments")


# --- batches ------------------------------------------------------------------------------------------------


def test_batch_with_one_bad_element_gives_per_item_results(rsps, xero):
    org(rsps)
    contact_found(rsps)
    rsps.put(f"{API}/Invoices", json=load("invoices_batch_one_bad"))
    good, bad = xero.create(EntryKind.BILL, [item(bill(1001)), item(bill(1002, account="999"))])
    assert good.outcome is Outcome.CREATED and good.state.erp_id == BILL_ID
    assert bad.outcome is Outcome.FAILED
    assert bad.error.category is ErrorCategory.SETUP
    assert bad.error.field == "category"
    assert bad.error.message == "Account code '999' is not a valid code for this document."
    assert bad.sent["LineItems"][0]["AccountCode"] == "999"


def test_more_than_50_items_go_in_batches_with_their_own_keys(rsps, xero):
    org(rsps)
    contact_found(rsps)
    template = load("invoices_created")["Invoices"][0]

    def reply(request):
        count = len(json.loads(request.body)["Invoices"])
        return 200, {}, json.dumps({"Invoices": [template] * count})

    rsps.add_callback(responses.PUT, f"{API}/Invoices", callback=reply)
    results = xero.create(EntryKind.BILL, [item(bill(n)) for n in range(1, 52)])
    puts = calls(rsps, "PUT", "/Invoices")
    assert [len(json.loads(p.request.body)["Invoices"]) for p in puts] == [50, 1]
    assert puts[0].request.headers["Idempotency-Key"] != puts[1].request.headers["Idempotency-Key"]
    assert len(results) == 51 and all(r.outcome is Outcome.CREATED for r in results)


def test_summarised_400_marks_every_element_uncertain(rsps, xero):
    org(rsps)
    contact_found(rsps)
    error = load("error_validation")
    error["Elements"][0]["ValidationErrors"] = [{"Message": "Account code '999' is not a valid code"}]
    rsps.put(f"{API}/Invoices", json=error, status=400)
    results = xero.create(EntryKind.BILL, [item(bill(1001)), item(bill(1002))])
    assert all(r.outcome is Outcome.FAILED and r.error.uncertain for r in results)


# --- validation messages → Roger's fields -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("message", "kind", "category", "field"),
    [
        ("Account code '999' is not a valid code for this document.", EntryKind.BILL, ErrorCategory.SETUP, "category"),
        ("The TaxType code 'XYZ' does not exist or cannot be used.", EntryKind.BILL, ErrorCategory.SETUP, "vat_code"),
        (
            "The TrackingOption 'Moon' for TrackingCategory 'Department' is not valid",
            EntryKind.BILL,
            ErrorCategory.SETUP,
            "department",
        ),
        (
            "The contact with the specified contact details has been archived. The contact must be un-archived before "
            "creating new invoices or credit notes.",
            EntryKind.BILL,
            ErrorCategory.SETUP,
            "vendor",
        ),
        (
            "The document date cannot be before the period lock date, currently set at 31-Mar-2026",
            EntryKind.BILL,
            ErrorCategory.BOOKED,
            "issue_date",
        ),
        (
            "The document date cannot be before the end of year lock date, currently set at 31-Dec-2025",
            EntryKind.PAYMENT,
            ErrorCategory.BOOKED,
            "payment_date",
        ),
        (
            "Payment amount exceeds the amount outstanding on this document",
            EntryKind.PAYMENT,
            ErrorCategory.VALIDATION,
            "amount",
        ),
        (
            "Payments can only be made against Authorised documents",
            EntryKind.PAYMENT,
            ErrorCategory.VALIDATION,
            "amount",
        ),
        (
            "Account code '999' is not a valid code for this document.",
            EntryKind.PAYMENT,
            ErrorCategory.SETUP,
            "bank_account",
        ),
        (
            "This document cannot be edited as it has a payment or credit note allocated to it.",
            EntryKind.BILL,
            ErrorCategory.BOOKED,
            None,
        ),
        ("Invoice not of valid status for modification", EntryKind.BILL, ErrorCategory.BOOKED, None),
        ("The currency 'XXX' is not subscribed to", EntryKind.BILL, ErrorCategory.VALIDATION, "currency"),
        ("Something new and strange", EntryKind.BILL, ErrorCategory.VALIDATION, None),
    ],
)
def test_validation_messages_map_to_fields(message, kind, category, field):
    error = classify_validation([message], kind, status=400)
    assert (error.category, error.field, error.message) == (category, field, message)
    assert error.code == "ValidationException"


def test_payment_already_paid_in_xero_hints_at_it():
    error = classify_validation(["Payment amount exceeds the amount outstanding on this document"], EntryKind.PAYMENT)
    assert "paid" in error.hint.lower() and "xero" in error.hint.lower()


def test_most_severe_message_decides_and_all_are_kept():
    error = classify_validation(
        ["Description must be given", "The document date cannot be before the period lock date, currently set at x"],
        EntryKind.BILL,
    )
    assert error.category is ErrorCategory.BOOKED
    assert "Description must be given" in error.message and "period lock date" in error.message


# --- transport errors ---------------------------------------------------------------------------------------


def test_429_is_temporary_with_retry_after_and_limit_name(rsps, xero, throttle):
    headers = {
        "Retry-After": "17",
        "X-Rate-Limit-Problem": "minute",
        "X-DayLimit-Remaining": "4000",
        "X-MinLimit-Remaining": "0",
        "X-AppMinLimit-Remaining": "9000",
    }
    rsps.get(f"{API}/Organisation", json={}, status=429, headers=headers)
    with pytest.raises(ConnectorError) as info:
        xero.read(EntryKind.BILL, [BILL_ID])
    error = info.value.error
    assert (error.category, error.retry_after, error.code, error.status) == (
        ErrorCategory.TEMPORARY,
        17.0,
        "minute",
        429,
    )
    assert throttle.observed[-1]["status"] == 429 and throttle.observed[-1]["retry_after"] == 17.0
    assert throttle.observed[-1]["headers"]["X-MinLimit-Remaining"] == "0"
    assert xero.last_rate_limits == {"day": 4000, "minute": 0, "app_minute": 9000}


def test_429_without_retry_after_app_limit(rsps, xero):
    rsps.get(f"{API}/Organisation", json={}, status=429, headers={"X-Rate-Limit-Problem": "appminute"})
    with pytest.raises(ConnectorError) as info:
        xero.read(EntryKind.BILL, [BILL_ID])
    assert info.value.error.retry_after is None and info.value.error.code == "appminute"


def test_a_concurrency_429_without_retry_after_backs_off_briefly(rsps, xero, throttle):
    # Xero sends Retry-After only for the minute and day limits (developer.xero.com/documentation/guides/oauth2/
    # limits/): a concurrency 429 is a "come back in a moment", not a minute's block.
    rsps.get(f"{API}/Organisation", json={}, status=429, headers={"X-Rate-Limit-Problem": "concurrent"})
    with pytest.raises(ConnectorError) as info:
        xero.read(EntryKind.BILL, [BILL_ID])
    assert (info.value.error.code, info.value.error.retry_after) == ("concurrent", 1.0)
    assert throttle.observed[-1]["retry_after"] == 1.0


SCOPE_DENIED = {"Type": None, "Title": "Unauthorized", "Status": 401, "Detail": "AuthorizationUnsuccessful"}


@pytest.mark.parametrize("status", [401, 403])
def test_a_missing_scope_is_its_own_setup_error_naming_the_permission(rsps, xero, status):
    org(rsps)
    rsps.get(f"{API}/Payments", json={**SCOPE_DENIED, "Status": status}, status=status)
    with pytest.raises(ConnectorError) as info:
        xero.read(EntryKind.PAYMENT, [PAYMENT_ID])
    error = info.value.error
    assert (error.category, error.code) == (ErrorCategory.SETUP, "insufficient_scope")  # not "needs reconnect"
    assert error.message == "Roger's Xero app lacks permission accounting.payments — reconnect and approve it"
    assert "approve accounting.payments" in error.hint


def test_a_missing_scope_of_an_older_app_names_the_broad_scope(rsps, throttle, tokens):
    from integrations.connectors.xero import BROAD_SCOPES

    xero = XeroConnector(tenant_id=TENANT, tokens=tokens, throttle=throttle, scopes=BROAD_SCOPES)
    org(rsps)
    rsps.get(f"{API}/Payments", json=SCOPE_DENIED, status=401)
    with pytest.raises(ConnectorError) as info:
        xero.read(EntryKind.PAYMENT, [PAYMENT_ID])
    assert "permission accounting.transactions" in info.value.error.message


def test_a_403_without_a_missing_scope_is_not_a_lost_connection(rsps, xero):
    forbidden = {"Title": "Forbidden", "Status": 403, "Detail": "You are not permitted to access this resource"}
    rsps.get(f"{API}/Organisation", json=forbidden, status=403)
    with pytest.raises(ConnectorError) as info:
        xero.read(EntryKind.BILL, [BILL_ID])
    assert info.value.error.category is ErrorCategory.SETUP and "role" in info.value.error.hint


def test_401_refreshes_once_and_replays_the_same_request(rsps, xero, tokens):
    org(rsps)
    contact_found(rsps)
    rsps.put(f"{API}/Invoices", json=load("error_unauthorized"), status=401)
    rsps.put(f"{API}/Invoices", json=load("invoices_created"))
    [result] = xero.create(EntryKind.BILL, [item(bill())])
    assert result.outcome is Outcome.CREATED
    assert tokens.refreshed_from == [ACCESS]
    first, second = calls(rsps, "PUT", "/Invoices")
    assert first.request.body == second.request.body
    assert first.request.headers["Idempotency-Key"] == second.request.headers["Idempotency-Key"]
    assert second.request.headers["Authorization"] == "Bearer eyJ.fresh-CCC"


def test_401_twice_is_authentication(rsps, xero, tokens):
    rsps.get(f"{API}/Organisation", json=load("error_unauthorized"), status=401)
    with pytest.raises(ConnectorError) as info:
        xero.read(EntryKind.BILL, [BILL_ID])
    assert info.value.error.category is ErrorCategory.AUTHENTICATION
    assert len(tokens.refreshed_from) == 1 and len(rsps.calls) == 2


def test_invalid_grant_on_refresh_is_authentication(rsps, throttle):
    tokens = FakeTokens(ACCESS, fail_refresh=True)
    xero = XeroConnector(tenant_id=TENANT, tokens=tokens, throttle=throttle)
    rsps.get(f"{API}/Organisation", json=load("error_unauthorized"), status=401)
    with pytest.raises(ConnectorError) as info:
        xero.read(EntryKind.BILL, [BILL_ID])
    assert info.value.error.category is ErrorCategory.AUTHENTICATION
    assert len(rsps.calls) == 1


def test_403_authentication_unsuccessful_means_disconnected(rsps, xero):
    rsps.get(f"{API}/Organisation", json=load("error_forbidden"), status=403)
    with pytest.raises(ConnectorError) as info:
        xero.read(EntryKind.BILL, [BILL_ID])
    error = info.value.error
    assert error.category is ErrorCategory.AUTHENTICATION
    assert error.code == "AuthenticationUnsuccessful"
    assert "no longer connected" in error.hint
    info2 = xero.check_connection()
    assert info2.ok is False and "AuthenticationUnsuccessful" in info2.message


@pytest.mark.parametrize(
    ("status", "body", "content_type"),
    [
        (502, "<html><body><h1>502 Bad Gateway</h1></body></html>", "text/html"),
        (200, '{"Invoices":[{"InvoiceID":"6c1a0a62-1f0e-4b8e', "application/json"),
        (503, '{"Message":"The Organisation is offline"}', "application/json"),
        (500, "", "text/plain"),
    ],
)
def test_malformed_or_failed_write_is_temporary_and_uncertain(rsps, xero, status, body, content_type):
    org(rsps)
    contact_found(rsps)
    rsps.put(f"{API}/Invoices", body=body, status=status, content_type=content_type)
    with pytest.raises(ConnectorError) as info:
        xero.create(EntryKind.BILL, [item(bill())])
    assert info.value.error.category is ErrorCategory.TEMPORARY
    assert info.value.error.uncertain is True


def test_malformed_read_is_temporary_and_certain(rsps, xero):
    rsps.get(f"{API}/Organisation", body="<html>502 Bad Gateway</html>", status=502, content_type="text/html")
    with pytest.raises(ConnectorError) as info:
        xero.read(EntryKind.BILL, [BILL_ID])
    assert info.value.error.category is ErrorCategory.TEMPORARY
    assert info.value.error.uncertain is False
    assert "<html>" not in info.value.error.message


@pytest.mark.parametrize(
    ("exc", "uncertain"),
    [
        (requests.ReadTimeout("read timed out"), True),
        (requests.ConnectionError("Connection reset by peer"), True),
        (requests.ConnectTimeout("connect timed out"), False),
    ],
)
def test_network_errors_on_writes(rsps, xero, exc, uncertain):
    org(rsps)
    contact_found(rsps)
    rsps.put(f"{API}/Invoices", body=exc)
    with pytest.raises(ConnectorError) as info:
        xero.create(EntryKind.BILL, [item(bill())])
    assert info.value.error.category is ErrorCategory.TEMPORARY
    assert info.value.error.uncertain is uncertain


def test_timeout_on_read_is_temporary_not_uncertain(rsps, xero):
    rsps.get(f"{API}/Organisation", body=requests.ReadTimeout("read timed out"))
    with pytest.raises(ConnectorError) as info:
        xero.read(EntryKind.BILL, [BILL_ID])
    assert info.value.error.uncertain is False


def test_every_request_carries_the_timeout(rsps, tokens):
    seen = []

    class Spy(requests.Session):
        def request(self, *args, **kwargs):
            seen.append(kwargs.get("timeout"))
            return super().request(*args, **kwargs)

    xero = XeroConnector(tenant_id=TENANT, tokens=tokens, session=Spy(), timeout=(1.5, 9))
    org(rsps)
    rsps.get(f"{API}/Invoices", json={"Invoices": []})
    rsps.get(f"{API}/CreditNotes/{BILL_ID}", status=404, body="Not found")  # not a bill: a credit note?
    xero.read(EntryKind.BILL, [BILL_ID])
    assert seen == [(1.5, 9), (1.5, 9), (1.5, 9)]


@pytest.mark.parametrize(
    "body",
    [
        {
            "ErrorNumber": 10,
            "Type": "ValidationException",
            "Message": "Idempotency Key: k1 is used with a different request.",
        },
        {
            "ErrorNumber": 10,
            "Type": "ValidationException",
            "Message": "A validation exception occurred",
            "Elements": [{"ValidationErrors": [{"Message": "Idempotency Key: k1 is used with a different request."}]}],
        },
    ],
)
def test_idempotency_key_reused_with_other_body_waits_out_the_window(rsps, xero, body):
    org(rsps)
    contact_found(rsps)
    rsps.put(f"{API}/Invoices", status=400, json=body)
    with pytest.raises(ConnectorError) as info:
        xero.create(EntryKind.BILL, [item(bill())])
    assert info.value.error.category is ErrorCategory.TEMPORARY
    assert info.value.error.retry_after == 360
    assert info.value.error.uncertain is False


def test_failure_in_a_later_batch_keeps_the_earlier_results(rsps, xero):
    org(rsps)
    contact_found(rsps)
    template = load("invoices_created")["Invoices"][0]
    rsps.put(f"{API}/Invoices", json={"Invoices": [template] * 50})
    rsps.put(f"{API}/Invoices", body=requests.ReadTimeout("read timed out"))
    results = xero.create(EntryKind.BILL, [item(bill(n)) for n in range(1, 52)])
    assert [r.outcome for r in results[:50]] == [Outcome.CREATED] * 50
    assert results[50].outcome is Outcome.FAILED and results[50].error.uncertain is True


# --- checks before any HTTP call ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "category", "field"),
    [
        (bill(account=""), ErrorCategory.SETUP, "category"),
        (bill(tax_type=""), ErrorCategory.SETUP, "vat_code"),
        (bill(tracking=(TrackingRef("Department", ""),)), ErrorCategory.SETUP, "department"),
        (bill(net="10.001", vat="0"), ErrorCategory.VALIDATION, "total"),
        (bill(net="-10.00", vat="0"), ErrorCategory.VALIDATION, "total"),
        (
            bill(tracking=(TrackingRef("A", "1"), TrackingRef("B", "2"), TrackingRef("C", "3"))),
            ErrorCategory.VALIDATION,
            "department",
        ),
    ],
)
def test_bad_bills_are_refused_before_any_call(rsps, xero, data, category, field):
    [result] = xero.create(EntryKind.BILL, [item(data)])
    assert result.outcome is Outcome.FAILED
    assert (result.error.category, result.error.field) == (category, field)
    assert len(rsps.calls) == 0


def test_vat_above_total_is_refused(rsps, xero):
    from dataclasses import replace

    data = bill()
    data = replace(data, vat=Decimal("2000.00"), total=Decimal("1250.00"))
    [result] = xero.create(EntryKind.BILL, [item(data)])
    assert (result.error.category, result.error.field) == (ErrorCategory.VALIDATION, "vat")
    assert len(rsps.calls) == 0


def test_payment_without_bank_account_is_setup(rsps, xero):
    [result] = xero.create(EntryKind.PAYMENT, [item(payment(bank=""))])
    assert (result.error.category, result.error.field) == (ErrorCategory.SETUP, "bank_account")
    assert len(rsps.calls) == 0


# --- look-up (issue 2: optimised filters only, marker compared in Roger) --------------------------------------

DOC = "0b6f3c1e-5d2a-4c59-9a8e-1f2d3c4b5a69"  # a document's public id, in Roger's marker


def test_bills_are_looked_up_by_invoice_number_and_matched_on_the_documents_id(rsps, xero):
    org(rsps)
    ours = invoice(Url=f"https://old-host.example/d/{DOC}")  # SITE_URL has changed since the bill was made
    other = invoice(InvoiceID="6c1a0a62-1f0e-4b8e-9a55-0d2b7c9e1a05", Url="https://roger.example/d/someone-else")
    sales = invoice(Type="ACCREC", InvoiceID="6c1a0a62-1f0e-4b8e-9a55-0d2b7c9e1a77", Url=ours["Url"])
    rsps.get(f"{API}/Invoices", json={"Invoices": [ours, other, sales]})
    data = bill(marker_base="https://roger.example/d", n=1001)
    data = type(data)(**{**data.__dict__, "marker": f"https://roger.example/d/{DOC}"})
    found = xero.lookup_entries(EntryKind.BILL, [data])
    assert [s.erp_id for s in found[data.marker]] == [BILL_ID]
    [get] = calls(rsps, "GET", "/Invoices")
    assert query(get) == {"InvoiceNumbers": ["INV-1001"], "page": ["1"]}


def test_a_bill_not_under_its_number_is_looked_for_among_the_suppliers_bills(rsps, xero):
    org(rsps)
    rsps.get(
        f"{API}/Invoices",
        json={"Invoices": []},
        match=[responses.matchers.query_param_matcher({"InvoiceNumbers": "INV-1001", "page": "1"})],
    )
    renumbered = invoice(InvoiceNumber="INV-1001-old", Url=f"https://roger.example/d/{DOC}")
    rsps.get(
        f"{API}/Invoices",
        json={"Invoices": [renumbered]},
        match=[
            responses.matchers.query_param_matcher({"ContactIDs": CONTACT_ID, "where": 'Type=="ACCPAY"', "page": "1"})
        ],
    )
    linked = type(vendor())(**{**vendor().__dict__, "erp_id": CONTACT_ID})
    data = type(bill())(**{**bill(vendor_data=linked).__dict__, "marker": f"https://roger.example/d/{DOC}"})
    [hit] = xero.lookup_entries(EntryKind.BILL, [data])[data.marker]
    assert hit.erp_id == BILL_ID and hit.vendor_erp_id == CONTACT_ID


def test_without_a_known_contact_the_recent_bills_of_rogers_app_are_searched(rsps, xero):
    org(rsps)
    rsps.get(
        f"{API}/Invoices",
        json={"Invoices": []},
        match=[responses.matchers.query_param_matcher({"InvoiceNumbers": "INV-1001", "page": "1"})],
    )
    recent = rsps.get(
        f"{API}/Invoices",
        json={"Invoices": []},
        match=[
            responses.matchers.query_param_matcher({"where": 'Type=="ACCPAY"', "createdByMyApp": "true", "page": "1"})
        ],
    )
    assert xero.lookup_entries(EntryKind.BILL, [bill()])[bill().marker] == []
    assert recent.call_count == 1
    since = calls(rsps, "GET", "/Invoices")[-1].request.headers["If-Modified-Since"]
    assert since.endswith("Z") and since[:2] == "20"


def test_payments_are_looked_up_by_their_bill_and_matched_on_reference(rsps, xero):
    org(rsps)
    pay = load("payments_created")["Payments"][0]
    rsps.get(
        f"{API}/Payments",
        json={
            "Payments": [
                pay,
                {**pay, "PaymentID": "9a9a9a9a-0000-4000-8000-0000000000ff", "Reference": "Paid by the accountant"},
            ]
        },
    )
    data = payment(BILL_ID)
    [hit] = xero.lookup_entries(EntryKind.PAYMENT, [data])[data.marker]
    assert hit.erp_id == PAYMENT_ID
    assert query(calls(rsps, "GET", "/Payments")[0])["where"] == [f'Invoice.InvoiceID==guid("{BILL_ID}")']


def test_lookup_by_marker_alone_reads_rogers_bills_page_by_page(rsps, xero):
    org(rsps)
    page1 = {"Invoices": [invoice(InvoiceID=f"6c1a0a62-1f0e-4b8e-9a55-{i:012d}", Url="x") for i in range(100)]}
    scan = {"where": 'Type=="ACCPAY"', "createdByMyApp": "true"}
    rsps.get(f"{API}/Invoices", json=page1, match=[responses.matchers.query_param_matcher({**scan, "page": "1"})])
    rsps.get(
        f"{API}/Invoices",
        json={"Invoices": [invoice(), invoice(Status="DELETED", InvoiceID="6c1a0a62-1f0e-4b8e-9a55-0d2b7c9e1a05")]},
        match=[responses.matchers.query_param_matcher({**scan, "page": "2"})],
    )
    found = xero.lookup(EntryKind.BILL, ["https://roger.example/d/1001", "https://roger.example/d/1002"])
    assert [(h.status, h.booked) for h in found["https://roger.example/d/1001"]] == [
        ("AUTHORISED", False),
        ("DELETED", True),
    ]
    assert found["https://roger.example/d/1002"] == []


# --- catalogues ---------------------------------------------------------------------------------------------


def test_catalogues(rsps, xero):
    rsps.get(f"{API}/Accounts", json=load("accounts"))
    rsps.get(f"{API}/TaxRates", json=load("tax_rates"))
    rsps.get(f"{API}/TrackingCategories", json=load("tracking_categories"))
    rsps.get(f"{API}/Contacts", json=load("contacts_by_number"))
    assert [(a.code, a.group) for a in xero.accounts()] == [("429", "EXPENSE"), ("310", "DIRECTCOSTS")]
    assert [(b.code, b.name) for b in xero.bank_accounts()] == [
        ("090", "Business Bank Account"),
        ("acc00000-0000-4000-8000-000000000091", "Savings (no code)"),
    ]
    assert [(t.code, t.name) for t in xero.tax_rates()] == [
        ("INPUT", "Tax on Purchases (25%)"),
        ("NONE", "No Tax (0%)"),
    ]
    options = xero.tracking_options()
    assert [(o.code, o.group, o.active) for o in options] == [
        ("Department: Administration", "Department", True),
        ("Department: Engineering", "Department", True),
        ("Department: Legacy", "Department", False),
    ]
    assert parse_tracking_code(options[1].code) == TrackingRef("Department", "Engineering")
    [contact] = xero.contacts()
    assert (contact.code, contact.name, contact.group) == (CONTACT_ID, "Acme Supplies", "V-1")


def test_payment_to_a_bank_account_without_code_uses_its_id():
    from integrations.connectors.xero import payment_body

    body = payment_body(payment(bank="acc00000-0000-4000-8000-000000000091"))
    assert body["Account"] == {"AccountID": "acc00000-0000-4000-8000-000000000091"}


def test_check_connection(rsps, xero):
    org(rsps)
    assert xero.check_connection().ok is True
    assert xero.check_connection().organisation == "Nordlys ApS"


# --- small parsers ------------------------------------------------------------------------------------------


def test_parse_xero_dates():
    assert parse_xero_date("/Date(1775779200000+0000)/") == date(2026, 4, 10)
    assert parse_xero_date("/Date(1775779200000)/") == date(2026, 4, 10)
    assert parse_xero_date("2026-04-10T00:00:00") == date(2026, 4, 10)
    assert parse_xero_date("2026-04-10") == date(2026, 4, 10)
    assert parse_xero_date("nonsense") is None
    assert parse_xero_date(None) is None


def test_repr_hides_tokens(xero):
    assert ACCESS not in repr(xero)


# --- no spurious updates ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "changes"),
    [
        # Xero filled in a due date from the supplier's terms; Roger sent none.
        (bill(due=None), {}),
        # The accountant renamed the contact in Xero; it is still the supplier's contact (ContactNumber).
        (bill(), {"Contact": {"ContactID": CONTACT_ID, "ContactNumber": "V-1", "Name": "ACME Supplies A/S"}}),
    ],
)
def test_no_update_for_differences_xero_makes_itself(rsps, xero, data, changes):
    org(rsps)
    rsps.get(f"{API}/Invoices", json={"Invoices": [invoice(**changes)]})
    [result] = xero.update(EntryKind.BILL, [item(data, erp_id=BILL_ID)])
    assert result.outcome is Outcome.UNCHANGED


def test_tracking_order_from_xero_does_not_count_as_a_change(rsps, xero):
    org(rsps)
    two = (TrackingRef("Region", "North"), TrackingRef("Department", "Engineering"))
    inv = invoice()
    inv["LineItems"][0]["Tracking"] = [
        {"Name": "Department", "Option": "Engineering"},
        {"Name": "Region", "Option": "North"},
    ]
    rsps.get(f"{API}/Invoices", json={"Invoices": [inv]})
    [result] = xero.update(EntryKind.BILL, [item(bill(tracking=two), erp_id=BILL_ID)])
    assert result.outcome is Outcome.UNCHANGED


def test_pushing_drafts_does_not_undo_a_submission_made_in_xero(rsps, xero):
    org(rsps)
    contact_found(rsps)
    rsps.get(f"{API}/Invoices", json={"Invoices": [invoice(Status="SUBMITTED")]})
    rsps.post(f"{API}/Invoices", json={"Invoices": [invoice(Status="SUBMITTED")]})
    [result] = xero.update(EntryKind.BILL, [item(bill(draft=True, net="10.00", vat="2.50"), erp_id=BILL_ID)])
    assert result.outcome is Outcome.UPDATED
    assert json.loads(calls(rsps, "POST", "/Invoices")[0].request.body)["Invoices"][0]["Status"] == "SUBMITTED"


def test_an_approved_draft_in_roger_authorises_the_xero_draft(rsps, xero):
    org(rsps)
    contact_found(rsps)
    rsps.get(f"{API}/Invoices", json={"Invoices": [invoice(Status="DRAFT")]})
    rsps.post(f"{API}/Invoices", json={"Invoices": [invoice()]})
    [result] = xero.update(EntryKind.BILL, [item(bill(), erp_id=BILL_ID)])
    assert result.outcome is Outcome.UPDATED
    assert json.loads(calls(rsps, "POST", "/Invoices")[0].request.body)["Invoices"][0]["Status"] == "AUTHORISED"


def test_a_line_without_description_is_sent_without_one():
    body = bill_body(bill(description=""), CONTACT_ID)
    assert "Description" not in body["LineItems"][0]


def test_empty_requests_make_no_calls(rsps, xero):
    assert xero.lookup(EntryKind.BILL, []) == {}
    assert xero.read(EntryKind.BILL, []) == {}
    assert xero.create(EntryKind.BILL, []) == []
    assert xero.update(EntryKind.PAYMENT, []) == []
    assert len(rsps.calls) == 0
