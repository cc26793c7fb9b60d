"""The bookkeeper's e-conomic suppliers are used, not duplicated: EconomicConnector against the e-conomic sandbox
over HTTP.  A CVR matches with or without its country prefix; two suppliers with the vendor's CVR (or name) are a
setup error naming both, for an admin to choose in Integrations settings → e-conomic → Contacts; a supplier of the
same name or e-mail is used when no CVR says otherwise; a barred supplier is never used silently.  Each new vendor
costs one filtered ``GET /suppliers`` (beside the ``GET /suppliers/:n`` of Roger's reserved number)."""

from __future__ import annotations

from typing import Any

import pytest

from integrations.connectors.base import EntryKind, ErrorCategory, Outcome, VendorData
from integrations.connectors.economic import EconomicConnector
from integrations.vendor_contacts import NEEDS_CHOICE_HINT
from tests.connectors.economic_scenarios import bill, connector, roger_entries, write
from tests.sandbox.economic_helpers import EconomicSandbox


@pytest.fixture
def eco(sandbox) -> EconomicSandbox:
    return EconomicSandbox(sandbox)


@pytest.fixture
def agreement(eco) -> dict[str, Any]:
    return eco.agreement("Nordlys ApS")


@pytest.fixture
def conn(eco, agreement, economic_http) -> EconomicConnector:
    return connector(eco, agreement, economic_http)


def bookkeepers(eco, agreement, *suppliers: dict[str, Any]) -> list[int]:
    """Suppliers the bookkeeper typed into e-conomic before Roger came."""
    added = eco.action(agreement, "add_suppliers", suppliers=list(suppliers))["suppliers"]
    return [s["supplierNumber"] for s in added]


def supplier_calls(eco, since: int = 0) -> list[dict[str, Any]]:
    return [r for r in eco.requests()[since:] if r["path"].split("?")[0].endswith(("/suppliers", "/suppliers/1001"))]


def vendor(**overrides: Any) -> VendorData:
    values = {"number": "1001", "name": "Chairs A/S", "tax_number": "DK12345678"}
    return VendorData(**{**values, **overrides})


def suppliers_in(eco, agreement) -> dict[int, dict[str, Any]]:
    return {s["supplierNumber"]: s for s in eco.state(agreement)["suppliers"]}


@pytest.mark.parametrize(("ours", "theirs"), [("DK12345678", "12345678"), ("12345678", "DK12345678")])
def test_the_bookkeeper_s_supplier_with_the_cvr_is_used_with_or_without_the_country_prefix(
    conn, eco, agreement, ours, theirs
):
    [theirs_number] = bookkeepers(eco, agreement, {"name": "Stolefabrikken", "corporateIdentificationNumber": theirs})
    [result] = conn.create(EntryKind.BILL, [write(bill(vendor=vendor(tax_number=ours)))])
    assert result.outcome is Outcome.CREATED, result.error
    assert result.state.vendor_erp_id == str(theirs_number)  # the engine remembers it as the vendor's link
    [entry] = roger_entries(eco, agreement)
    assert entry["supplier"]["supplierNumber"] == theirs_number
    calls = supplier_calls(eco)
    assert [(r["method"], r["path"].rsplit("/", 1)[-1]) for r in calls] == [("GET", "1001"), ("GET", "suppliers")]
    assert "corporateIdentificationNumber$like:12345678" in calls[1]["query"].replace("%24", "$").replace("%3A", ":")
    assert set(suppliers_in(eco, agreement)) == {200, theirs_number}  # no POST /suppliers


def test_a_cvr_with_another_country_prefix_is_another_entity(conn, eco, agreement):
    bookkeepers(eco, agreement, {"name": "Chairs AB", "corporateIdentificationNumber": "SE12345678"})
    [result] = conn.create(EntryKind.BILL, [write(bill())])
    assert result.outcome is Outcome.CREATED, result.error
    assert roger_entries(eco, agreement)[0]["supplier"]["supplierNumber"] == 1001  # a new supplier: Roger's own
    assert suppliers_in(eco, agreement)[1001]["corporateIdentificationNumber"] == "DK12345678"


def test_two_suppliers_with_the_cvr_are_a_setup_error_naming_both_and_nothing_is_created(conn, eco, agreement):
    first, second = bookkeepers(
        eco,
        agreement,
        {"name": "Stolefabrikken", "corporateIdentificationNumber": "12345678"},
        {"name": "Chairs A/S (old)", "corporateIdentificationNumber": "DK12345678"},
    )
    before = set(suppliers_in(eco, agreement))
    [result] = conn.create(EntryKind.BILL, [write(bill())])
    assert result.outcome is Outcome.FAILED
    error = result.error
    assert (error.category, error.field, error.code) == (ErrorCategory.SETUP, "vendor", "AmbiguousSupplier")
    assert f"Stolefabrikken ({first})" in error.message and f"Chairs A/S (old) ({second})" in error.message
    assert error.hint == (
        "Choose the e-conomic supplier for Chairs A/S in Integrations settings → e-conomic → Contacts, then re-sync."
    )
    assert NEEDS_CHOICE_HINT in error.hint  # what lists the vendor in the admin's vendor → supplier editor
    assert roger_entries(eco, agreement) == [] and set(suppliers_in(eco, agreement)) == before
    assert not [r for r in eco.requests() if r["method"] == "POST"]


def test_a_same_name_supplier_without_a_cvr_is_used_and_a_contradicting_cvr_rules_one_out(conn, eco, agreement):
    _, without_cvr = bookkeepers(
        eco,
        agreement,
        {"name": "Chairs A/S", "corporateIdentificationNumber": "DK99999999"},  # another legal entity
        {"name": "CHAIRS A/S"},  # e-conomic compares names case-insensitively; Roger normalises them too
    )
    [result] = conn.create(EntryKind.BILL, [write(bill())])
    assert result.outcome is Outcome.CREATED, result.error
    assert roger_entries(eco, agreement)[0]["supplier"]["supplierNumber"] == without_cvr
    assert 1001 not in suppliers_in(eco, agreement)


def test_without_any_cvr_a_supplier_is_found_by_name_even_with_filter_characters_or_by_e_mail(conn, eco, agreement):
    odd = "Chairs (DK), A/S [*$]"
    by_name, by_email = bookkeepers(
        eco,
        agreement,
        {"name": odd},
        {"name": "Stolefabrikken", "email": "bogholderi@stole.example AP@stole.example"},
    )
    [named] = conn.create(EntryKind.BILL, [write(bill(1, vendor=vendor(name=odd, tax_number="")), key="k-1")])
    mailed = bill(2, vendor=vendor(number="1002", name="Stole ApS", tax_number="", email="ap@stole.example"))
    [by_mail] = conn.create(EntryKind.BILL, [write(mailed, key="k-2", ref="doc-2")])
    assert (named.state.vendor_erp_id, by_mail.state.vendor_erp_id) == (str(by_name), str(by_email))
    assert not {1001, 1002} & set(suppliers_in(eco, agreement))


def test_two_same_name_suppliers_without_a_cvr_are_ambiguous_too(conn, eco, agreement):
    bookkeepers(eco, agreement, {"name": "Chairs A/S"}, {"name": "CHAIRS A/S"})  # e-conomic allows both
    [result] = conn.create(EntryKind.BILL, [write(bill(vendor=vendor(tax_number="")))])
    assert result.error.code == "AmbiguousSupplier" and result.error.category is ErrorCategory.SETUP
    assert 1001 not in suppliers_in(eco, agreement)


def test_a_barred_supplier_is_a_setup_error_not_used_silently(conn, eco, agreement):
    [barred] = bookkeepers(
        eco, agreement, {"name": "Stolefabrikken", "corporateIdentificationNumber": "12345678", "barred": True}
    )
    [result] = conn.create(EntryKind.BILL, [write(bill())])
    assert result.outcome is Outcome.FAILED
    assert (result.error.category, result.error.code) == (ErrorCategory.SETUP, "SupplierBarred")
    assert result.error.message == (
        f"The e-conomic supplier matching Chairs A/S, Stolefabrikken ({barred}), is barred in e-conomic"
    )
    assert "Integrations settings → e-conomic → Contacts" in result.error.hint
    assert roger_entries(eco, agreement) == [] and 1001 not in suppliers_in(eco, agreement)


def test_a_linked_vendor_and_a_second_bill_cost_no_search(conn, eco, agreement):
    [theirs] = bookkeepers(eco, agreement, {"name": "Stolefabrikken", "corporateIdentificationNumber": "12345678"})
    items = [write(bill(n), key=f"k-{n}", ref=f"doc-{n}") for n in (1, 2)]
    assert [r.outcome for r in conn.create(EntryKind.BILL, items)] == [Outcome.CREATED, Outcome.CREATED]
    searches = [r for r in supplier_calls(eco) if r["path"].endswith("/suppliers") and r["method"] == "GET"]
    assert len(searches) == 1  # one search for the vendor, whatever the number of its bills
    since = len(eco.requests())
    linked = bill(3, vendor=vendor(erp_id=str(theirs)))
    assert conn.create(EntryKind.BILL, [write(linked, key="k-3", ref="doc-3")])[0].outcome is Outcome.CREATED
    later = [r for r in eco.requests()[since:] if "/suppliers" in r["path"]]
    assert [(r["method"], r["path"].rsplit("/", 1)[-1]) for r in later] == [("GET", str(theirs))]
