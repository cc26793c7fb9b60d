"""The bookkeeper's Xero contact that shares only the supplier's tax number (issue 12, point 1), on recorded
responses: a digits ``searchTerm`` (``CompanyNumber``), then one capped, paged read of the address book per batch
(``TaxNumber``), before Roger would create a second supplier."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest
import responses

from integrations.connectors.base import EntryKind, ErpError, ErrorCategory, Outcome
from integrations.connectors.xero import XeroConnector
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
    vendor,
)

# Roger's supplier, and the bookkeeper's name for it: neither "Kontorhus", "V-1" nor the e-mail finds it.
OURS = vendor("V-1", "Dansk Kontorhus A/S", tax="DK12345678")
THEIRS = "Dansk Kontorforsyning ApS"
BOOK_READ = {"summaryOnly": "true", "includeArchived": "true", "pageSize": "1000"}


@pytest.fixture
def rsps():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def xero():
    return XeroConnector(tenant_id=TENANT, tokens=FakeTokens(ACCESS), throttle=RecordingThrottle())


def others(n: int, start: int = 100) -> list[dict]:
    return [contact(i, f"Someone {i}", TaxNumber=f"DK{i:08d}") for i in range(start, start + n)]


def book_reads(book: FakeContacts) -> list[str]:
    return [q["page"] for q in book.queries if {k: q.get(k) for k in BOOK_READ} == BOOK_READ]


def digit_searches(book: FakeContacts) -> list[str]:
    return [q["searchTerm"] for q in book.queries if q.get("searchTerm", "").isdigit()]


def contacts_put(rsps) -> list:
    return [c for c in rsps.calls if c.request.method == "PUT" and urlsplit(c.request.url).path.endswith("/Contacts")]


def test_a_contact_with_another_name_and_the_same_vat_number_is_used_not_duplicated(rsps, xero):
    rsps.get(f"{API}/Organisation", json=load("organisation"))
    rsps.put(f"{API}/Invoices", json=load("invoices_created"))
    theirs = contact(7, THEIRS, TaxNumber="DK 12 34 56 78")
    book = FakeContacts(rsps, [*others(40), theirs, *others(40, start=200)])
    [result] = xero.create(EntryKind.BILL, [item(bill(vendor_data=OURS))])
    assert result.outcome is Outcome.CREATED, result.error
    [sent] = json.loads(rsps.calls[-1].request.body)["Invoices"]
    assert sent["Contact"] == {"ContactID": theirs["ContactID"]}
    assert contacts_put(rsps) == []
    # TaxNumber is searched by no searchTerm: the digits search finds nothing, one page of the book does.
    assert digit_searches(book) == ["12345678"] and book_reads(book) == ["1"]


def test_a_cvr_number_in_company_number_is_found_by_the_digits_search_without_reading_the_book(rsps, xero):
    theirs = contact(7, THEIRS, CompanyNumber="12345678")
    book = FakeContacts(rsps, [*others(40), theirs])
    assert xero.resolve_contacts([OURS]) == {"V-1": theirs["ContactID"]}
    assert digit_searches(book) == ["12345678"] and book_reads(book) == []
    assert contacts_put(rsps) == []


def test_a_tax_match_on_page_2_of_the_book_is_found_and_the_read_stops_there(rsps, xero):
    theirs = contact(7, THEIRS, TaxNumber="DK12345678")
    book = FakeContacts(rsps, [*others(1500), theirs, *others(1000, start=5000)])  # 2,501 contacts
    assert xero.resolve_contacts([OURS]) == {"V-1": theirs["ContactID"]}
    assert book_reads(book) == ["1", "2"]  # not page 3
    assert contacts_put(rsps) == []


def test_the_book_is_read_once_for_the_whole_batch(rsps, xero):
    rsps.put(f"{API}/Contacts", json=load("contacts_created"))
    book = FakeContacts(rsps, others(1500))
    new = [vendor(f"V-{i}", f"Nyt Firma {i}", tax=f"DK5555000{i}") for i in range(3)]
    xero.resolve_contacts(new)
    assert book_reads(book) == ["1", "2"]  # the whole book, once, for the three
    assert digit_searches(book) == ["55550000", "55550001", "55550002"]
    assert len(contacts_put(rsps)) == 1


def test_the_book_read_stops_after_ten_pages_and_the_supplier_is_created_as_before(rsps, xero):
    rsps.put(f"{API}/Contacts", json=load("contacts_created"))
    book = FakeContacts(rsps, [*others(10_500), contact(7, THEIRS, TaxNumber="DK12345678")])  # on page 11
    xero.resolve_contacts([OURS])
    assert book_reads(book) == [str(p) for p in range(1, 11)]
    assert len(contacts_put(rsps)) == 1


def test_without_a_tax_number_there_is_no_digits_search_and_no_book_read(rsps, xero):
    rsps.put(f"{API}/Contacts", json=load("contacts_created"))
    book = FakeContacts(rsps, [contact(7, THEIRS, TaxNumber="DK12345678")])
    xero.resolve_contacts([vendor("V-1", "Dansk Kontorhus A/S", tax="")])
    assert digit_searches(book) == [] and book_reads(book) == []
    assert len(book.queries) == 4  # name, number, account number, e-mail: as before
    assert len(contacts_put(rsps)) == 1


@pytest.mark.parametrize(
    ("theirs", "code", "words"),
    [
        (
            [contact(7, THEIRS, TaxNumber="DK12345678"), contact(8, "DKF Holding", TaxNumber="dk-12345678")],
            "AmbiguousContact",
            f"{THEIRS}; DKF Holding",
        ),
        (
            [contact(7, THEIRS, CompanyNumber="12345678"), contact(8, "DKF Holding", CompanyNumber="DK12345678")],
            "AmbiguousContact",
            f"{THEIRS}; DKF Holding",
        ),
        ([contact(7, THEIRS, TaxNumber="DK12345678", ContactStatus="ARCHIVED")], None, "is archived in Xero"),
    ],
    ids=["two-in-the-book", "two-by-the-digits-search", "archived"],
)
def test_a_tax_match_follows_the_usual_rules(rsps, xero, theirs, code, words):
    FakeContacts(rsps, [*others(30), *theirs])
    error = xero.resolve_contacts([OURS])["V-1"]
    assert isinstance(error, ErpError)
    assert (error.category, error.field, error.code) == (ErrorCategory.SETUP, "vendor", code)
    assert words in error.message
    assert contacts_put(rsps) == []


def test_another_vat_number_in_the_book_is_not_a_match(rsps, xero):
    rsps.put(f"{API}/Contacts", json=load("contacts_created"))
    FakeContacts(rsps, [contact(7, THEIRS, TaxNumber="DK12345679", CompanyNumber="1234567")])
    xero.resolve_contacts([OURS])
    assert len(contacts_put(rsps)) == 1


def test_a_cvr_number_in_roger_finds_the_danish_vat_number_in_xero_and_the_other_way_round(rsps, xero):
    rsps.get(f"{API}/Organisation", json=load("organisation"))
    rsps.put(f"{API}/Invoices", json=load("invoices_created"))
    theirs = contact(7, THEIRS, TaxNumber="DK12345678")
    FakeContacts(rsps, [*others(40), theirs])
    cvr_only = vendor("V-1", "Dansk Kontorhus A/S", tax="12345678")
    [result] = xero.create(EntryKind.BILL, [item(bill(vendor_data=cvr_only))])
    assert result.outcome is Outcome.CREATED, result.error
    assert json.loads(rsps.calls[-1].request.body)["Invoices"][0]["Contact"] == {"ContactID": theirs["ContactID"]}
    assert contacts_put(rsps) == []


@pytest.mark.parametrize(
    ("ours", "theirs", "same"),
    [
        ("DK12345678", "dk 12 34 56 78", True),
        ("12345678", "DK12345678", True),
        ("DK12345678", "12345678", True),
        ("DK12345678", "SE12345678", False),  # two countries, two legal entities
        ("DK12345678", "DK87654321", False),
        ("", "DK12345678", False),
    ],
)
def test_tax_numbers_compare_with_and_without_the_country_prefix(ours, theirs, same):
    from integrations.connectors.matching import same_tax_number

    assert same_tax_number(ours, theirs) is same
