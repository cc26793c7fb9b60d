"""EconomicConnector's parts on recorded e-conomic answers (``responses``; no network): what an error body means,
the HTTP failure modes, secrets, and what the sandbox cannot show (a department lost by a PUT)."""

from __future__ import annotations

import contextlib
import logging
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
import requests
import responses

from integrations.connectors.base import (
    BillData,
    BillLine,
    ConnectorError,
    EntryKind,
    ErrorCategory,
    Outcome,
    PaymentData,
    VendorData,
    WriteItem,
)
from integrations.connectors.economic import EconomicConnector, marker_token, supplier_number_for
from integrations.connectors.economic.entries import known_rate, text_for, vat_the_code_gives
from integrations.connectors.economic.errors import legacy_errors, problem_error
from integrations.connectors.economic.ids import escape

API = "https://restapi.test"
APIS = "https://apis.test"
JOURNALS = f"{APIS}/journalsapi/v15.0.0"
SECRET = "app-secret-XYZ123"
GRANT = "grant-token-ABC987"
MARKER = "https://roger.example/documents/42/"
TOKEN = marker_token(MARKER)


def bill(**overrides: Any) -> BillData:
    values: dict[str, Any] = {
        "marker": MARKER,
        "vendor": VendorData(number="1001", name="Chairs A/S", tax_number="DK12345678"),
        "invoice_number": "INV-77",
        "issue_date": date(2026, 3, 2),
        "due_date": date(2026, 4, 1),
        "currency": "DKK",
        "total": Decimal("1250.00"),
        "vat": Decimal("250.00"),
        "description": "Office chairs",
        "lines": (BillLine("Office chairs", Decimal("1000.00"), Decimal("250.00"), "2200", "I25"),),
    }
    values.update(overrides)
    return BillData(**values)


def payment(**overrides: Any) -> PaymentData:
    values: dict[str, Any] = {
        "marker": MARKER + "#payment",
        "bill_erp_id": "2026-7",
        "bill_marker": MARKER,
        "vendor": VendorData(number="1001", name="Chairs A/S"),
        "invoice_number": "INV-77",
        "bank_account": "5820",
        "payment_date": date(2026, 3, 20),
        "amount": Decimal("1000.00"),
        "currency": "EUR",
        "reference": "",
    }
    values.update(overrides)
    return PaymentData(**values)


def item(data: BillData | PaymentData, erp_id: str = "", key: str = "roger-1-42-bill-v3") -> WriteItem:
    return WriteItem(ref="doc-42", data=data, idempotency_key=key, erp_id=erp_id)


def page(items: list[dict[str, Any]]) -> dict[str, Any]:
    return {"collection": items, "pagination": {"skipPages": 0, "pageSize": 1000, "results": len(items)}}


@pytest.fixture
def conn() -> EconomicConnector:
    return EconomicConnector(
        api_url=API, apis_url=APIS, app_secret_token=SECRET, agreement_grant_token=GRANT, journal_number=10
    )


@pytest.fixture
def api():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add("GET", f"{API}/self", json={"company": {"name": "Nordlys"}, "settings": {"baseCurrency": "DKK"}})
        years = [{"year": "2026", "fromDate": "2026-01-01", "toDate": "2026-12-31", "self": "x"}]
        mock.add("GET", f"{API}/accounting-years", json=page(years))
        mock.add("GET", f"{API}/accounting-years/2026/periods", json=page([]))
        mock.add("GET", f"{API}/suppliers/1001", json={"supplierNumber": 1001, "name": "Chairs A/S"})
        yield mock


# --- pure parts ---------------------------------------------------------------------------------------------


def test_marker_tokens_are_deterministic_distinct_and_survive_a_long_description():
    assert marker_token(MARKER) == marker_token(MARKER) != marker_token(MARKER + "x")
    text = text_for(bill(lines=(BillLine("x" * 400, Decimal(1000), Decimal(250), "2200", "I25"),)))
    assert len(text) == 250 and text.endswith(f"[{TOKEN}]")


def test_supplier_numbers_follow_the_documented_scheme():
    assert supplier_number_for("1001") == 1001
    assert 100_000_000 <= supplier_number_for("ACME-7") <= 999_999_999
    assert supplier_number_for("ACME-7") == supplier_number_for("ACME-7") != supplier_number_for("ACME-8")


def test_rates_are_per_100_units_and_vat_follows_the_code():
    assert known_rate(payment(bank_amount=Decimal("7461.20")), "DKK") == Decimal("746.120000")
    assert known_rate(payment(), "DKK") is None  # nothing left the bank that Roger knows of
    assert vat_the_code_gives(bill(total=Decimal("1500.00")), Decimal(25)) == Decimal("300.00")


def test_filter_values_are_escaped_as_e_conomic_documents():
    assert escape("A$B (1,2) [x]*") == "A$$B $(1$,2$) $[x$]$*"


# --- what an error body means -------------------------------------------------------------------------------


def problem(code: str, prop: str = "", message: str = "Refused.") -> dict[str, Any]:
    return {
        "title": "Bad request.",
        "status": 400,
        "errors": [{"message": message, "errorCode": code, "property": prop}],
    }


@pytest.mark.parametrize(
    ("code", "prop", "category", "field"),
    [
        ("JournalEntryDateAccountingYearPeriodBarred", "date", ErrorCategory.BOOKED, None),
        ("JournalEntryDateAccountingYearClosed", "date", ErrorCategory.BOOKED, None),
        ("JournalVoucherAccountingYearClosed", "date", ErrorCategory.BOOKED, None),
        ("JournalEntryTypeNotCorrect", "entryTypeNumber", ErrorCategory.SETUP, "journal"),
        ("JournalVoucherNextNumberNotWithinBoundaries", "voucherNumber", ErrorCategory.SETUP, "journal"),
        ("JournalEntryContraAccountNotFound", "contraAccountNumber", ErrorCategory.SETUP, "category"),
        ("JournalEntryDateAccountingYearDoesNotExist", "date", ErrorCategory.SETUP, "issue_date"),
        ("JournalEntryCurrencyNotFound", "currency", ErrorCategory.VALIDATION, "currency"),
        ("JournalEntrySupplierInvoiceTooBig", "supplierInvoiceNumber", ErrorCategory.VALIDATION, "invoice_number"),
    ],
)
def test_the_journals_api_s_published_codes_decide_the_category(code, prop, category, field):
    error = problem_error(EntryKind.BILL, problem(code, prop), 400)
    assert (error.category, error.field, error.code) == (category, field, code)
    assert error.hint


def test_a_draft_that_no_longer_exists_is_named_so_the_caller_reads_it_again():
    error = problem_error(EntryKind.BILL, problem("JournalEntryDoesNotExist", "entryNumber"), 404)
    assert error.code == "not_found"


def test_legacy_refusals_are_classified_by_property_never_by_wording():
    body = {
        "message": "Validation error.",
        "errors": {
            "entries": {
                "supplierInvoices": [
                    {
                        "arrayIndex": 0,
                        "date": {"errors": [{"message": "The period is closed and booked.", "value": "2026-03-02"}]},
                    }
                ]
            }
        },
    }
    error = legacy_errors(EntryKind.BILL, body)
    assert (error.category, error.field) == (ErrorCategory.VALIDATION, "issue_date")
    dept = {"errors": {"departmentalDistribution": {"errors": [{"message": "does not exist.", "value": 9}]}}}
    assert (legacy_errors(EntryKind.BILL, dept).category, legacy_errors(EntryKind.BILL, dept).field) == (
        ErrorCategory.SETUP,
        "department",
    )


# --- HTTP failure modes ---------------------------------------------------------------------------------------


def test_a_401_is_an_authentication_error_and_secrets_never_leak(conn, caplog):
    caplog.set_level(logging.DEBUG)
    assert SECRET not in repr(conn) and GRANT not in repr(conn)
    with responses.RequestsMock() as mock:
        mock.add("GET", f"{API}/self", status=401, json={"message": f"Token {GRANT} is revoked"})
        with pytest.raises(ConnectorError) as caught:
            conn.check_connection()
    assert caught.value.error.category is ErrorCategory.AUTHENTICATION and "Reconnect" in caught.value.error.hint
    text = f"{caught.value} {caught.value.error} {caplog.text}"
    assert GRANT not in text and SECRET not in text


@pytest.mark.parametrize("status", [500, 502, 503])
def test_a_5xx_on_a_write_is_uncertain(api, conn, status):
    api.add("POST", f"{API}/journals/10/vouchers", status=status, body="<html>Bad gateway</html>")
    with pytest.raises(ConnectorError) as caught:
        conn.create(EntryKind.BILL, [item(bill())])
    assert caught.value.error.category is ErrorCategory.TEMPORARY and caught.value.error.uncertain is True


def test_a_timeout_or_a_truncated_answer_on_a_write_is_uncertain(api, conn):
    api.add("POST", f"{API}/journals/10/vouchers", body=requests.ReadTimeout("read timed out"))
    api.add("POST", f"{API}/journals/10/vouchers", status=201, body='{"accountingYear": {"ye')
    for _ in range(2):
        with pytest.raises(ConnectorError) as caught:
            conn.create(EntryKind.BILL, [item(bill())])
        assert caught.value.error.uncertain is True
    first, second = [c for c in api.calls if c.request.method == "POST"]
    assert first.request.headers["Idempotency-Key"] == second.request.headers["Idempotency-Key"] == "roger-1-42-bill-v3"
    assert first.request.body == second.request.body


def test_a_malformed_answer_to_a_read_is_temporary_and_certain(conn):
    with responses.RequestsMock() as mock:
        mock.add("GET", f"{API}/journals/10/entries", body="<html>maintenance</html>", content_type="text/html")
        with pytest.raises(ConnectorError) as caught:
            conn.read(EntryKind.BILL, ["2026-7"])
    assert caught.value.error.category is ErrorCategory.TEMPORARY and caught.value.error.uncertain is False


def test_the_throttle_is_held_around_every_call_and_told_about_a_429(api):
    seen: list[tuple[int, float | None, bool]] = []

    class Recorder:
        active = False

        @contextlib.contextmanager
        def slot(self):
            Recorder.active = True
            yield
            Recorder.active = False

        def observe(self, *, status, headers, retry_after):
            seen.append((status, retry_after, Recorder.active))

    conn = EconomicConnector(
        api_url=API,
        apis_url=APIS,
        app_secret_token=SECRET,
        agreement_grant_token=GRANT,
        journal_number=10,
        throttle=Recorder(),
    )
    api.add("POST", f"{API}/journals/10/vouchers", status=429, headers={"Retry-After": "3"}, json={"message": "slow"})
    with pytest.raises(ConnectorError) as caught:
        conn.create(EntryKind.BILL, [item(bill())])
    assert caught.value.error.retry_after == 3 and not caught.value.error.uncertain
    assert seen[-1] == (429, 3.0, False) and len(seen) == len(api.calls)  # observed after the slot is released


# --- what the sandbox cannot show -----------------------------------------------------------------------------


def legacy_draft(department: int | None) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "journalEntryNumber": 41,
        "entryType": "supplierInvoice",
        "text": f"Office chairs [{TOKEN}]",
        "supplier": {"supplierNumber": 1001},
        "supplierInvoiceNumber": "INV-77",
        "amount": 1250.0,
        "contraAccount": {"accountNumber": 2200},
        "contraVatAccount": {"vatCode": "I25"},
        "contraVatAmount": 250.0,
        "currency": {"code": "DKK"},
        "date": "2026-03-02",
        "dueDate": "2026-04-01",
        "voucher": {"voucherNumber": 7, "accountingYear": {"year": "2026"}},
    }
    if department:
        entry["departmentalDistribution"] = {"departmentalDistributionNumber": department}
    return entry


def test_a_department_a_put_dropped_shows_as_a_difference_instead_of_being_assumed(api, conn):
    from integrations.connectors.base import TrackingRef

    with_department = (
        BillLine("Office chairs", Decimal(1000), Decimal(250), "2200", "I25", (TrackingRef("Department", "2"),)),
    )
    api.add("GET", f"{API}/journals/10/entries", json=page([legacy_draft(2)]))
    api.add("GET", f"{API}/journals/10/entries", json=page([legacy_draft(None)]))  # after the PUT: department gone
    journal_draft = {
        "entryNumber": 41,
        "voucherNumber": 7,
        "journalNumber": 10,
        "date": "2026-03-02T00:00:00Z",
        "amount": 1250.0,
        "currency": "DKK",
        "exchangeRate": 100,
        "objectVersion": "v1",
    }
    api.add("GET", f"{JOURNALS}/draft-entries", json={"items": [journal_draft]})
    api.add("GET", f"{API}/vat-accounts", json=page([{"vatCode": "I25", "ratePercentage": 25}]))
    api.add("PUT", f"{JOURNALS}/draft-entries", status=204)
    [result] = conn.update(
        EntryKind.BILL,
        [item(bill(total=Decimal("1500.00"), vat=Decimal("300.00"), lines=with_department), erp_id="2026-7")],
    )
    assert result.outcome is Outcome.UPDATED
    assert result.state.fields["tracking"] == ""  # so the next plan shows the lost department, and refuses to guess


def test_a_404_to_the_booking_names_roger_s_journal_as_the_setting_to_fix(api, conn):
    """``POST /journals/{n}/bookdraftentries`` answered 404 ``JournalDoesNotExist`` (x-error-codes of the journals
    tag): the journal was deleted in e-conomic after Roger read it — a setting to change, nothing booked."""
    api.add("GET", f"{API}/journals/10/entries", json=page([legacy_draft(None)]))
    api.add(
        "GET",
        f"{JOURNALS}/draft-entries",
        json={"items": [{"entryNumber": 41, "voucherNumber": 7, "date": "2026-03-02"}]},
    )
    gone = {"title": "Not found.", "status": 404, "errors": [{"errorCode": "JournalDoesNotExist", "message": "x"}]}
    api.add("POST", f"{JOURNALS}/journals/10/bookdraftentries", status=404, json=gone)
    api.add("GET", f"{API}/journals/10/entries", status=404, json={"message": "Not found.", "httpStatusCode": 404})
    [result] = conn.book(EntryKind.BILL, ["2026-7"])
    assert result.outcome is Outcome.FAILED and result.sent == {"entryNumbers": [41]}
    assert (result.error.category, result.error.field, result.error.code) == (
        ErrorCategory.SETUP,
        "journal",
        "journal_not_found",
    )
    assert result.error.message == "Journal 10 does not exist in e-conomic"
    assert [c.request.method for c in api.calls].count("POST") == 1
