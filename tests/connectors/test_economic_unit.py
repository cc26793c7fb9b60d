"""EconomicConnector on recorded e-conomic responses (``responses``; no network)."""

from __future__ import annotations

import json
import logging
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

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
    TrackingRef,
    VendorData,
    WriteItem,
)
from integrations.connectors.economic import EconomicConnector, marker_token, supplier_number_for

API = "https://eco.test"
SECRET = "app-secret-XYZ123"
GRANT = "grant-token-ABC987"
FIXTURES = Path(__file__).parent / "fixtures" / "economic"
MARKER = "https://roger.example/documents/42/"
TOKEN = marker_token(MARKER)


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def page(items: list[dict[str, Any]]) -> dict[str, Any]:
    return {"collection": items, "pagination": {"skipPages": 0, "pageSize": 1000, "results": len(items)}}


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
        "lines": (
            BillLine(
                "Office chairs", Decimal("1000.00"), Decimal("250.00"), "2200", "I25", (TrackingRef("Department", "2"),)
            ),
        ),
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
        "amount": Decimal("1250.00"),
        "currency": "DKK",
        "reference": "",
    }
    values.update(overrides)
    return PaymentData(**values)


def item(data: BillData | PaymentData, ref: str = "doc-42", erp_id: str = "", key: str = "roger-1-42-bill-v3"):
    return WriteItem(ref=ref, data=data, idempotency_key=key, erp_id=erp_id)


def draft_entry(number: int = 7, entry_number: int = 41, **overrides: Any) -> dict[str, Any]:
    entry = fixture("vouchers_created.json")[0]["entries"]["supplierInvoices"][0]
    entry = {
        **entry,
        "text": f"Office chairs [{TOKEN}]",
        "journalEntryNumber": entry_number,
        "voucher": {"voucherNumber": number, "accountingYear": {"year": "2026"}},
    }
    entry.update(overrides)
    return entry


@pytest.fixture
def api():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add("GET", f"{API}/accounting-years", json=fixture("accounting_years.json"))
        mock.add("GET", f"{API}/accounting-years/2026/periods", json=page([]))
        mock.add(
            "GET",
            f"{API}/suppliers/1001",
            json={"supplierNumber": 1001, "name": "Chairs A/S", "corporateIdentificationNumber": "DK12345678"},
        )
        yield mock


@pytest.fixture
def conn() -> EconomicConnector:
    return EconomicConnector(api_url=API, app_secret_token=SECRET, agreement_grant_token=GRANT, journal_number=10)


def writes(mock: responses.RequestsMock) -> list[Any]:
    return [c for c in mock.calls if c.request.method in ("POST", "PUT", "DELETE")]


def created_response() -> list[dict[str, Any]]:
    body = fixture("vouchers_created.json")
    body[0]["entries"]["supplierInvoices"][0]["text"] = f"Office chairs [{TOKEN}]"
    return body


# --- body building -----------------------------------------------------------------------------------------


def test_it_creates_a_supplier_invoice_voucher_in_the_journal(api, conn):
    api.add("POST", f"{API}/journals/10/vouchers", json=created_response(), status=201)
    [result] = conn.create(EntryKind.BILL, [item(bill())])

    assert result.outcome is Outcome.CREATED
    assert result.state.erp_id == "2026-7"
    assert result.state.number == "7"
    assert result.state.marker == TOKEN
    assert result.state.booked is False
    assert result.state.fields["total"] == "1250.00"
    assert result.state.fields["vendor"] == "Chairs A/S"
    assert result.state.fields["tracking"] == "Department: 2"
    post = writes(api)[0].request
    assert post.headers["X-AppSecretToken"] == SECRET
    assert post.headers["X-AgreementGrantToken"] == GRANT
    assert post.headers["Idempotency-Key"] == "roger-1-42-bill-v3"
    assert json.loads(post.body) == [
        {
            "accountingYear": {"year": "2026"},
            "journal": {"journalNumber": 10},
            "entries": {
                "supplierInvoices": [
                    {
                        "supplier": {"supplierNumber": 1001},
                        "supplierInvoiceNumber": "INV-77",
                        "text": f"Office chairs [{TOKEN}]",
                        "amount": 1250.0,
                        "contraAccount": {"accountNumber": 2200},
                        "contraVatAccount": {"vatCode": "I25"},
                        "contraVatAmount": 250.0,
                        "currency": {"code": "DKK"},
                        "date": "2026-03-02",
                        "dueDate": "2026-04-01",
                        "departmentalDistribution": {"departmentalDistributionNumber": 2},
                        "type": "supplierInvoice",
                    }
                ]
            },
        }
    ]
    assert result.sent["text"].endswith(f"[{TOKEN}]")


def test_it_creates_a_supplier_payment_against_the_bank_account(api, conn):
    created = [
        {
            "accountingYear": {"year": "2026"},
            "voucherNumber": 8,
            "entries": {
                "supplierPayments": [
                    {
                        "journalEntryNumber": 42,
                        "supplier": {"supplierNumber": 1001},
                        "supplierInvoiceNumber": "INV-77",
                        "text": "x",
                        "amount": 1250,
                        "contraAccount": {"accountNumber": 5820},
                        "currency": {"code": "DKK"},
                        "date": "2026-03-20",
                        "voucher": {"voucherNumber": 8, "accountingYear": {"year": "2026"}},
                    }
                ]
            },
        }
    ]
    api.add("POST", f"{API}/journals/10/vouchers", json=created, status=201)
    [result] = conn.create(EntryKind.PAYMENT, [item(payment(), key="roger-1-42-payment-v1")])

    assert result.outcome is Outcome.CREATED
    assert result.state.erp_id == "2026-8"
    assert result.state.fields == {
        "bank_account": "5820",
        "payment_date": "2026-03-20",
        "amount": "1250.00",
        "currency": "DKK",
    }
    sent = json.loads(writes(api)[0].request.body)[0]["entries"]["supplierPayments"][0]
    assert sent["contraAccount"] == {"accountNumber": 5820}
    assert sent["supplierInvoiceNumber"] == "INV-77"
    assert sent["type"] == "supplierPayment"
    assert sent["text"] == f"Payment Chairs A/S INV-77 [{marker_token(MARKER + '#payment')}]"


def test_the_marker_token_survives_a_long_description():
    long = "x" * 400
    data = bill(lines=(BillLine(long, Decimal("1000"), Decimal("250"), "2200", "I25"),))
    text = EconomicConnector._text(data)
    assert len(text) == 250
    assert text.endswith(f"[{TOKEN}]")


def test_marker_tokens_are_deterministic_and_distinct():
    assert marker_token(MARKER) == marker_token(MARKER)
    assert marker_token(MARKER) != marker_token(MARKER + "#payment")
    assert len(marker_token(MARKER)) == len("roger-") + 16


# --- supplier resolution -----------------------------------------------------------------------------------


def test_supplier_numbers_follow_the_documented_scheme():
    assert supplier_number_for("1001") == 1001
    hashed = supplier_number_for("V-ACME")
    assert hashed == supplier_number_for("V-ACME")
    assert 100_000_000 <= hashed <= 999_999_999
    assert supplier_number_for("1234567890") != 1234567890  # too long for e-conomic: hashed


def test_it_creates_a_missing_supplier_with_roger_s_number(conn):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as api:
        api.add("GET", f"{API}/accounting-years", json=fixture("accounting_years.json"))
        api.add("GET", f"{API}/accounting-years/2026/periods", json=page([]))
        api.add("GET", f"{API}/suppliers/1001", status=404, json={"message": "Not found", "httpStatusCode": 404})
        api.add("GET", f"{API}/suppliers", json=page([]))
        api.add("POST", f"{API}/suppliers", status=201, json={"supplierNumber": 1001, "name": "Chairs A/S"})
        api.add("POST", f"{API}/journals/10/vouchers", json=created_response(), status=201)
        [result] = conn.create(EntryKind.BILL, [item(bill())])

        assert result.outcome is Outcome.CREATED
        search = [c for c in api.calls if c.request.method == "GET" and urlparse(c.request.url).path == "/suppliers"]
        assert parse_qs(urlparse(search[0].request.url).query)["filter"] == [
            "corporateIdentificationNumber$eq:DK12345678"
        ]
        post = writes(api)[0].request
        assert post.url == f"{API}/suppliers"
        assert json.loads(post.body) == {
            "supplierNumber": 1001,
            "name": "Chairs A/S",
            "currency": "DKK",
            "supplierGroup": {"supplierGroupNumber": 1},
            "paymentTerms": {"paymentTermsNumber": 1},
            "vatZone": {"vatZoneNumber": 1},
            "corporateIdentificationNumber": "DK12345678",
        }
        assert post.headers["Idempotency-Key"].startswith("supplier-")


def test_it_adopts_a_supplier_a_human_created_with_the_same_cvr(conn):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as api:
        api.add("GET", f"{API}/accounting-years", json=fixture("accounting_years.json"))
        api.add("GET", f"{API}/accounting-years/2026/periods", json=page([]))
        api.add("GET", f"{API}/suppliers/1001", status=404, json={"message": "Not found"})
        api.add(
            "GET",
            f"{API}/suppliers",
            json=page([{"supplierNumber": 55, "name": "Chairs", "corporateIdentificationNumber": "DK12345678"}]),
        )
        api.add("POST", f"{API}/journals/10/vouchers", json=created_response(), status=201)
        conn.create(EntryKind.BILL, [item(bill())])

        [post] = writes(api)
        assert "/journals/10/vouchers" in post.request.url
        assert json.loads(post.request.body)[0]["entries"]["supplierInvoices"][0]["supplier"] == {"supplierNumber": 55}


def test_a_supplier_number_held_by_another_company_is_a_validation_error(conn):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as api:
        api.add("GET", f"{API}/accounting-years", json=fixture("accounting_years.json"))
        api.add(
            "GET",
            f"{API}/suppliers/1001",
            json={"supplierNumber": 1001, "name": "Other ApS", "corporateIdentificationNumber": "DK99999999"},
        )
        [result] = conn.create(EntryKind.BILL, [item(bill())])
        assert result.outcome is Outcome.FAILED
        assert result.error.category is ErrorCategory.VALIDATION
        assert result.error.field == "vendor"
        assert writes(api) == []


# --- pre-checks: no HTTP at all ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "category", "field"),
    [
        (bill(lines=(BillLine("x", Decimal(1000), Decimal(250), "", "I25"),)), ErrorCategory.SETUP, "category"),
        (bill(lines=(BillLine("x", Decimal(1000), Decimal(250), "2200", ""),)), ErrorCategory.SETUP, "vat_code"),
        (bill(total=Decimal("-5.00")), ErrorCategory.VALIDATION, "total"),
        (bill(total=Decimal("1250.001")), ErrorCategory.VALIDATION, "total"),
        (bill(vat=Decimal("2000.00")), ErrorCategory.VALIDATION, "vat"),
        (bill(invoice_number="X" * 31), ErrorCategory.VALIDATION, "invoice_number"),
        (
            bill(
                lines=(
                    BillLine("a", Decimal(500), Decimal(125), "2200", "I25"),
                    BillLine("b", Decimal(500), Decimal(125), "2210", "I25"),
                )
            ),
            ErrorCategory.UNSUPPORTED,
            None,
        ),
    ],
)
def test_bad_bills_are_refused_before_any_call(conn, data, category, field):
    with responses.RequestsMock() as api:
        [result] = conn.create(EntryKind.BILL, [item(data)])
        assert len(api.calls) == 0
    assert result.outcome is Outcome.FAILED
    assert result.error.category is category
    assert result.error.field == field


def test_a_payment_without_bank_account_is_a_setup_error(conn):
    with responses.RequestsMock() as api:
        [result] = conn.create(EntryKind.PAYMENT, [item(payment(bank_account=""))])
        assert len(api.calls) == 0
    assert result.error.category is ErrorCategory.SETUP
    assert result.error.field == "bank_account"


def test_a_date_in_a_closed_accounting_year_is_booked(api, conn):
    [result] = conn.create(EntryKind.BILL, [item(bill(issue_date=date(2025, 6, 1)))])
    assert result.error.category is ErrorCategory.BOOKED
    assert "closed" in result.error.message
    assert writes(api) == []


# --- booked detection --------------------------------------------------------------------------------------


def booked_lines(voucher: int, token: str = TOKEN) -> list[dict[str, Any]]:
    common = {
        "voucherNumber": voucher,
        "date": "2026-03-02",
        "currency": "DKK",
        "entryType": "supplierInvoice",
        "text": f"Office chairs [{token}]",
    }
    return [
        {**common, "entryNumber": 900, "account": {"accountNumber": 6800}, "amount": -1250.00},
        {**common, "entryNumber": 901, "account": {"accountNumber": 2200}, "amount": 1000.00},
        {**common, "entryNumber": 902, "account": {"accountNumber": 6902}, "amount": 250.00},
    ]


def test_a_voucher_gone_from_the_journal_but_in_booked_entries_is_booked(api, conn):
    api.add("GET", f"{API}/journals/10/entries", json=page([]))
    human = {"voucherNumber": 7, "entryType": "financeVoucher", "text": "Rent", "amount": 100, "date": "2026-01-01"}
    api.add("GET", f"{API}/accounting-years/2026/entries", json=page([human, *booked_lines(7)]))
    state = conn.read(EntryKind.BILL, ["2026-7"])["2026-7"]

    assert state.exists and state.booked
    assert state.status == "booked"
    assert state.booked_reason == "Booked in e-conomic (voucher 7)"
    assert state.booked_hint == "Booked entries cannot change; post a correction (counter-entry) in e-conomic"
    assert state.fields["total"] == "1250.00"
    assert state.marker == TOKEN
    journal = next(c for c in api.calls if urlparse(c.request.url).path == "/journals/10/entries")
    assert parse_qs(urlparse(journal.request.url).query)["filter"] == [
        "entryType$eq:supplierInvoice$and:voucher.voucherNumber$in:[7]"
    ]


def test_a_human_s_booked_voucher_with_the_same_number_is_not_roger_s(api, conn):
    api.add("GET", f"{API}/journals/10/entries", json=page([]))
    human = [{**line, "text": "Bought by hand"} for line in booked_lines(7)]
    api.add("GET", f"{API}/accounting-years/2026/entries", json=page(human))
    state = conn.read(EntryKind.BILL, ["2026-7"])["2026-7"]
    assert state.exists is False


def test_a_draft_reads_as_a_draft(api, conn):
    api.add("GET", f"{API}/journals/10/entries", json=page([draft_entry()]))
    state = conn.read(EntryKind.BILL, ["2026-7"])["2026-7"]
    assert state.exists and not state.booked
    assert state.status == "draft"
    assert state.fields["account"] == "2200"
    assert state.fields["description"] == "Office chairs"


def test_a_draft_in_a_closed_period_cannot_change(conn):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as api:
        api.add("GET", f"{API}/accounting-years", json=fixture("accounting_years.json"))
        api.add(
            "GET",
            f"{API}/accounting-years/2026/periods",
            json=page([{"periodNumber": 3, "fromDate": "2026-03-01", "toDate": "2026-03-31", "closed": True}]),
        )
        api.add("GET", f"{API}/suppliers/1001", json={"supplierNumber": 1001, "name": "Chairs A/S"})
        api.add("GET", f"{API}/journals/10/entries", json=page([draft_entry()]))
        [result] = conn.update(EntryKind.BILL, [item(bill(total=Decimal("1300.00")), erp_id="2026-7")])
        assert result.outcome is Outcome.BLOCKED
        assert result.error.category is ErrorCategory.BOOKED
        assert "closed accounting period" in result.state.booked_reason
        assert writes(api) == []


def test_updating_a_booked_entry_is_blocked_without_a_write(api, conn):
    api.add("GET", f"{API}/journals/10/entries", json=page([]))
    api.add("GET", f"{API}/accounting-years/2026/entries", json=page(booked_lines(7)))
    [result] = conn.update(EntryKind.BILL, [item(bill(total=Decimal("1300.00")), erp_id="2026-7")])
    assert result.outcome is Outcome.BLOCKED
    assert result.error.category is ErrorCategory.BOOKED
    assert result.state.booked_reason == "Booked in e-conomic (voucher 7)"
    assert writes(api) == []


def test_a_deleted_draft_reads_as_gone(api, conn):
    api.add("GET", f"{API}/journals/10/entries", json=page([]))
    api.add("GET", f"{API}/accounting-years/2026/entries", json=page([]))
    assert conn.read(EntryKind.BILL, ["2026-7"])["2026-7"].exists is False


# --- updates -----------------------------------------------------------------------------------------------


def test_an_unchanged_draft_is_not_written(api, conn):
    api.add("GET", f"{API}/journals/10/entries", json=page([draft_entry()]))
    [result] = conn.update(EntryKind.BILL, [item(bill(), erp_id="2026-7")])
    assert result.outcome is Outcome.UNCHANGED
    assert writes(api) == []


def test_a_changed_draft_is_put_in_place(api, conn):
    api.add("GET", f"{API}/journals/10/entries", json=page([draft_entry()]))
    api.add("PUT", f"{API}/journals/10/entries/41", json=draft_entry(amount=1300.0, contraVatAmount=260.0))
    [result] = conn.update(
        EntryKind.BILL, [item(bill(total=Decimal("1300.00"), vat=Decimal("260.00")), erp_id="2026-7")]
    )
    assert result.outcome is Outcome.UPDATED
    assert result.state.erp_id == "2026-7"
    assert result.state.fields["total"] == "1300.00"
    [put] = writes(api)
    body = json.loads(put.request.body)
    assert body["journalEntryNumber"] == 41
    assert body["voucher"] == {"voucherNumber": 7, "accountingYear": {"year": "2026"}}
    assert body["amount"] == 1300.0
    assert put.request.headers["Idempotency-Key"] == "roger-1-42-bill-v3:put"


def test_a_draft_booked_between_read_and_write_is_blocked(api, conn):
    api.add("GET", f"{API}/journals/10/entries", json=page([draft_entry()]))
    api.add("GET", f"{API}/journals/10/entries", json=page([]))
    api.add("PUT", f"{API}/journals/10/entries/41", status=404, json={"message": "Entry not found"})
    api.add("GET", f"{API}/accounting-years/2026/entries", json=page(booked_lines(7)))
    [result] = conn.update(EntryKind.BILL, [item(bill(total=Decimal("1300.00")), erp_id="2026-7")])
    assert result.outcome is Outcome.BLOCKED
    assert result.state.booked


# --- errors → categories -----------------------------------------------------------------------------------


def test_one_refused_voucher_fails_alone_and_the_rest_are_sent_again(api, conn):
    api.add("POST", f"{API}/journals/10/vouchers", status=400, json=fixture("error_annotated_bulk.json"))
    api.add("POST", f"{API}/journals/10/vouchers", json=created_response(), status=201)
    items = [item(bill(), ref="a", key="k-a"), item(bill(marker=MARKER + "b"), ref="b", key="k-b")]
    first, second = conn.create(EntryKind.BILL, items)

    assert first.outcome is Outcome.CREATED
    assert second.outcome is Outcome.FAILED
    assert second.error.category is ErrorCategory.SETUP
    assert second.error.field == "category"
    assert second.error.message == "contraAccount does not exist."
    posts = writes(api)
    assert len(json.loads(posts[0].request.body)) == 2
    assert len(json.loads(posts[1].request.body)) == 1
    assert posts[0].request.headers["Idempotency-Key"] != posts[1].request.headers["Idempotency-Key"]
    assert posts[1].request.headers["Idempotency-Key"] == "k-a"


@pytest.mark.parametrize(
    ("prop", "message", "code", "category", "field"),
    [
        ("date", "The accounting period is closed.", "E07300", ErrorCategory.BOOKED, "issue_date"),
        ("contraVatAccount", "contraVatAccount does not exist.", "E06000", ErrorCategory.SETUP, "vat_code"),
        (
            "departmentalDistribution",
            "departmentalDistribution does not exist.",
            "E06000",
            ErrorCategory.SETUP,
            "department",
        ),
        ("currency", "currency does not exist.", "E06000", ErrorCategory.VALIDATION, "currency"),
        ("supplierInvoiceNumber", "Too long.", "E04010", ErrorCategory.VALIDATION, "invoice_number"),
        ("journal", "Access denied to journal.", "E03200", ErrorCategory.AUTHENTICATION, None),
    ],
)
def test_annotated_errors_map_to_categories(api, conn, prop, message, code, category, field):
    api.add(
        "POST",
        f"{API}/journals/10/vouchers",
        status=400,
        json={
            "message": "Validation error.",
            "httpStatusCode": 400,
            "errors": {
                "entries": {
                    "supplierInvoices": [
                        {
                            "arrayIndex": 0,
                            prop: {"errors": [{"errorCode": code, "message": message, "developerHint": "Check it."}]},
                        }
                    ]
                }
            },
        },
    )
    [result] = conn.create(EntryKind.BILL, [item(bill())])
    assert result.outcome is Outcome.FAILED
    assert result.error.category is category
    assert result.error.field == field
    assert result.error.code == code
    assert result.error.message == message


def test_a_401_is_an_authentication_error(conn):
    with responses.RequestsMock() as api:
        api.add("GET", f"{API}/accounting-years", status=401, json=fixture("error_unauthorized.json"))
        with pytest.raises(ConnectorError) as caught:
            conn.create(EntryKind.BILL, [item(bill())])
    assert caught.value.error.category is ErrorCategory.AUTHENTICATION
    assert caught.value.error.code == "E03100"
    assert "Reconnect" in caught.value.error.hint


def test_a_429_is_temporary_with_retry_after(api, conn):
    api.add(
        "POST",
        f"{API}/journals/10/vouchers",
        status=429,
        headers={"Retry-After": "7"},
        json={"message": "Too many requests", "httpStatusCode": 429},
    )
    with pytest.raises(ConnectorError) as caught:
        conn.create(EntryKind.BILL, [item(bill())])
    assert caught.value.error.category is ErrorCategory.TEMPORARY
    assert caught.value.error.retry_after == 7
    assert caught.value.error.uncertain is False


def test_throttle_is_held_around_every_call_and_told_about_429(api):
    seen: list[tuple[int, float | None]] = []
    inside: list[bool] = []

    class Recorder:
        active = False

        def slot(self):
            import contextlib

            @contextlib.contextmanager
            def cm():
                Recorder.active = True
                yield
                Recorder.active = False

            return cm()

        def observe(self, *, status, headers, retry_after):
            inside.append(Recorder.active)
            seen.append((status, retry_after))

    conn = EconomicConnector(
        api_url=API, app_secret_token=SECRET, agreement_grant_token=GRANT, journal_number=10, throttle=Recorder()
    )
    api.add("POST", f"{API}/journals/10/vouchers", status=429, headers={"Retry-After": "3"}, json={})
    with pytest.raises(ConnectorError):
        conn.create(EntryKind.BILL, [item(bill())])
    assert seen[-1] == (429, 3.0)
    assert len(seen) == len(api.calls)
    assert not any(inside)  # observe runs after the slot is released


@pytest.mark.parametrize("status", [500, 502, 503])
def test_a_5xx_on_a_write_is_uncertain(api, conn, status):
    api.add("POST", f"{API}/journals/10/vouchers", status=status, body="<html>Bad gateway</html>")
    with pytest.raises(ConnectorError) as caught:
        conn.create(EntryKind.BILL, [item(bill())])
    assert caught.value.error.category is ErrorCategory.TEMPORARY
    assert caught.value.error.uncertain is True


def test_a_timeout_on_a_write_is_uncertain(api, conn):
    api.add("POST", f"{API}/journals/10/vouchers", body=requests.ReadTimeout("read timed out"))
    with pytest.raises(ConnectorError) as caught:
        conn.create(EntryKind.BILL, [item(bill())])
    assert caught.value.error.category is ErrorCategory.TEMPORARY
    assert caught.value.error.uncertain is True


def test_a_truncated_body_on_a_write_is_uncertain(api, conn):
    api.add("POST", f"{API}/journals/10/vouchers", status=201, body='[{"accountingYear": {"ye')
    with pytest.raises(ConnectorError) as caught:
        conn.create(EntryKind.BILL, [item(bill())])
    assert caught.value.error.category is ErrorCategory.TEMPORARY
    assert caught.value.error.uncertain is True


def test_a_malformed_body_on_a_read_is_temporary_and_certain(conn):
    with responses.RequestsMock() as api:
        api.add(
            "GET", f"{API}/journals/10/entries", status=200, body="<html>maintenance</html>", content_type="text/html"
        )
        with pytest.raises(ConnectorError) as caught:
            conn.read(EntryKind.BILL, ["2026-7"])
    assert caught.value.error.category is ErrorCategory.TEMPORARY
    assert caught.value.error.uncertain is False


# --- idempotency -------------------------------------------------------------------------------------------


def test_the_idempotency_key_and_body_are_stable_across_retries(api, conn):
    api.add("POST", f"{API}/journals/10/vouchers", status=503, json={"message": "down"})
    api.add("POST", f"{API}/journals/10/vouchers", status=503, json={"message": "down"})
    batch = [item(bill(), ref="a", key="k-a"), item(bill(marker=MARKER + "b"), ref="b", key="k-b")]
    for _ in range(2):
        with pytest.raises(ConnectorError):
            conn.create(EntryKind.BILL, batch)
    first, second = writes(api)
    assert first.request.headers["Idempotency-Key"] == second.request.headers["Idempotency-Key"]
    assert first.request.headers["Idempotency-Key"].startswith("economic-vouchers-")
    assert first.request.body == second.request.body


# --- look-up by marker -------------------------------------------------------------------------------------


def test_lookup_finds_drafts_and_booked_entries_by_marker(api, conn):
    other = marker_token("https://roger.example/documents/43/")
    api.add("GET", f"{API}/journals/10/entries", json=page([draft_entry(number=9, text=f"Chairs [{other}]")]))
    api.add("GET", f"{API}/accounting-years/2025/entries", json=page([]))
    api.add("GET", f"{API}/accounting-years/2026/entries", json=page(booked_lines(7)))
    found = conn.lookup(EntryKind.BILL, [MARKER, "https://roger.example/documents/43/", "https://nope/"])

    assert [s.erp_id for s in found[MARKER]] == ["2026-7"]
    assert found[MARKER][0].booked and found[MARKER][0].marker == MARKER
    assert [s.erp_id for s in found["https://roger.example/documents/43/"]] == ["2026-9"]
    assert found["https://nope/"] == []


# --- booking -----------------------------------------------------------------------------------------------


def test_book_books_only_the_given_entries(api, conn):
    api.add("GET", f"{API}/journals/10/entries", json=page([draft_entry(7, 41)]))
    api.add("POST", f"{API}/journals/10/bookdraftentries", json={})
    api.add("GET", f"{API}/journals/10/entries", json=page([]))
    api.add("GET", f"{API}/accounting-years/2026/entries", json=page(booked_lines(7)))
    [result] = conn.book(EntryKind.BILL, ["2026-7"])

    assert result.outcome is Outcome.UPDATED
    assert result.state.booked
    [post] = writes(api)
    assert urlparse(post.request.url).path == "/journals/10/bookdraftentries"
    assert json.loads(post.request.body) == {"entries": [{"journalEntryNumber": 41}]}
    assert not any(urlparse(c.request.url).path.endswith("/book") for c in api.calls)


# --- catalogues --------------------------------------------------------------------------------------------


def test_catalogues(conn):
    with responses.RequestsMock() as api:
        api.add(
            "GET",
            f"{API}/accounts",
            json=page(
                [
                    {"accountNumber": 1000, "name": "Revenue", "accountType": "heading"},
                    {"accountNumber": 2200, "name": "Office supplies", "accountType": "profitAndLoss"},
                    {"accountNumber": 5820, "name": "Bank", "accountType": "status"},
                    {"accountNumber": 5830, "name": "Old bank", "accountType": "status", "barred": True},
                    {"accountNumber": 6800, "name": "Suppliers", "accountType": "status"},
                ]
            ),
        )
        api.add(
            "GET",
            f"{API}/vat-accounts",
            json=page(
                [{"vatCode": "I25", "name": "Purchase VAT", "ratePercentage": 25, "vatType": {"name": "Purchase VAT"}}]
            ),
        )
        api.add(
            "GET",
            f"{API}/departmental-distributions",
            json=page([{"departmentalDistributionNumber": 2, "name": "Sales", "distributionType": "department"}]),
        )
        api.add("GET", f"{API}/suppliers", json=page([{"supplierNumber": 1001, "name": "Chairs A/S"}]))

        assert [a.code for a in conn.accounts()] == ["2200", "5820", "5830", "6800"]
        assert [a.code for a in conn.bank_accounts()] == ["5820"]
        [vat] = conn.tax_rates()
        assert (vat.code, vat.name, vat.group) == ("I25", "Purchase VAT (25%)", "Purchase VAT")
        [dept] = conn.tracking_options()
        assert (dept.code, dept.name, dept.group) == ("Department: 2", "Sales", "Department")
        [supplier] = conn.contacts()
        assert (supplier.code, supplier.name) == ("1001", "Chairs A/S")


def test_check_connection_names_the_company_and_checks_the_journal(conn):
    with responses.RequestsMock() as api:
        api.add("GET", f"{API}/self", json={"agreementNumber": 1, "company": {"name": "Demo ApS"}})
        api.add("GET", f"{API}/journals/10", status=404, json={"message": "Not found"})
        info = conn.check_connection()
    assert not info.ok
    assert info.organisation == "Demo ApS"
    assert "Journal 10" in info.message


# --- secrets -----------------------------------------------------------------------------------------------


def test_secrets_never_reach_repr_errors_or_logs(conn, caplog):
    caplog.set_level(logging.DEBUG)
    assert SECRET not in repr(conn) and GRANT not in repr(conn)
    with responses.RequestsMock() as api:
        api.add(
            "GET",
            f"{API}/accounting-years",
            status=401,
            json={"message": f"Token {GRANT} is revoked", "errorCode": "E03100"},
        )
        with pytest.raises(ConnectorError) as caught:
            conn.create(EntryKind.BILL, [item(bill())])
    text = f"{caught.value} {caught.value.error} {caplog.text}"
    assert GRANT not in text and SECRET not in text


# --- after a write, nothing may fail the result -------------------------------------------------------------


def test_a_created_result_needs_no_further_call(conn):
    # No periods endpoint registered: any GET after the POST would raise and hide the created voucher.
    with responses.RequestsMock() as api:
        api.add("GET", f"{API}/accounting-years", json=fixture("accounting_years.json"))
        api.add("GET", f"{API}/suppliers/1001", json={"supplierNumber": 1001, "name": "Chairs A/S"})
        api.add("POST", f"{API}/journals/10/vouchers", json=created_response(), status=201)
        [result] = conn.create(EntryKind.BILL, [item(bill())])
        assert [c.request.method for c in api.calls][-1] == "POST"
    assert result.outcome is Outcome.CREATED
    assert result.state.fields["vendor"] == "Chairs A/S"


def test_a_booking_that_cannot_be_read_back_is_uncertain(api, conn):
    api.add("GET", f"{API}/journals/10/entries", json=page([draft_entry(7, 41)]))
    api.add("POST", f"{API}/journals/10/bookdraftentries", json={})
    api.add("GET", f"{API}/journals/10/entries", status=503, json={"message": "down"})
    [result] = conn.book(EntryKind.BILL, ["2026-7"])
    assert result.outcome is Outcome.FAILED
    assert result.error.category is ErrorCategory.TEMPORARY and result.error.uncertain


def test_a_missing_journal_is_a_setup_error(conn):
    with responses.RequestsMock() as api:
        api.add("GET", f"{API}/journals/10/entries", status=404, json={"message": "The journal was not found."})
        with pytest.raises(ConnectorError) as caught:
            conn.read(EntryKind.BILL, ["2026-7"])
    assert caught.value.error.category is ErrorCategory.SETUP
    assert caught.value.error.field == "journal"


def test_lookups_page_through_the_recent_years_only(conn):
    years = page(
        [
            {"year": str(y), "fromDate": f"{y}-01-01", "toDate": f"{y}-12-31"}
            for y in range(date.today().year - 3, date.today().year + 2)
        ]
    )
    with responses.RequestsMock() as api:
        api.add("GET", f"{API}/accounting-years", json=years)
        api.add("GET", f"{API}/journals/10/entries", json=page([]))
        for y in range(date.today().year - 1, date.today().year + 2):
            api.add("GET", f"{API}/accounting-years/{y}/entries", json=page([]))
        conn.lookup(EntryKind.BILL, [MARKER])
        scanned = [
            urlparse(c.request.url).path
            for c in api.calls
            if "/entries" in c.request.url and "accounting-years" in c.request.url
        ]
    this = date.today().year
    assert scanned == [f"/accounting-years/{y}/entries" for y in (this - 1, this, this + 1)]


def test_booked_entries_are_paged_through(api, conn):
    api.add("GET", f"{API}/journals/10/entries", json=page([]))
    filler = [
        {"voucherNumber": 1000 + i, "entryType": "financeVoucher", "text": "x", "amount": 1, "date": "2026-01-01"}
        for i in range(1000)
    ]
    api.add(
        "GET",
        f"{API}/accounting-years/2026/entries",
        json={"collection": filler, "pagination": {"nextPage": f"{API}/accounting-years/2026/entries?skippages=1"}},
    )
    api.add("GET", f"{API}/accounting-years/2026/entries", json=page(booked_lines(7)))
    state = conn.read(EntryKind.BILL, ["2026-7"])["2026-7"]
    assert state.booked
    pages = [
        parse_qs(urlparse(c.request.url).query)["skippages"]
        for c in api.calls
        if urlparse(c.request.url).path == "/accounting-years/2026/entries"
    ]
    assert pages == [["0"], ["1"]]


# --- departments: number or name ----------------------------------------------------------------------------


def test_a_department_name_is_resolved_to_its_distribution(api, conn):
    api.add(
        "GET",
        f"{API}/departmental-distributions",
        json=page([{"departmentalDistributionNumber": 3, "name": "Development", "distributionType": "department"}]),
    )
    api.add("POST", f"{API}/journals/10/vouchers", json=created_response(), status=201)
    line = BillLine("Chairs", Decimal(1000), Decimal(250), "2200", "I25", (TrackingRef("Department", "development"),))
    [result] = conn.create(EntryKind.BILL, [item(bill(lines=(line,)))])
    assert result.outcome is Outcome.CREATED
    sent = json.loads(writes(api)[0].request.body)[0]["entries"]["supplierInvoices"][0]
    assert sent["departmentalDistribution"] == {"departmentalDistributionNumber": 3}


def test_an_unknown_department_name_is_a_setup_error(api, conn):
    api.add("GET", f"{API}/departmental-distributions", json=page([]))
    line = BillLine("Chairs", Decimal(1000), Decimal(250), "2200", "I25", (TrackingRef("Department", "Nowhere"),))
    [result] = conn.create(EntryKind.BILL, [item(bill(lines=(line,)))])
    assert (result.error.category, result.error.field) == (ErrorCategory.SETUP, "department")
    assert writes(api) == []
