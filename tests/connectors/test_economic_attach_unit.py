"""EconomicConnector.attach on recorded Documents API answers (``responses``; no network): what the sandbox cannot
stage — a person attaching a document between Roger's look and its upload, a gateway's 413, a server error in
the middle of a batch."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
import responses

from integrations.connectors.attachments import AttachItem, FileRef
from integrations.connectors.base import ConnectorError, EntryKind, ErrorCategory, Outcome
from integrations.connectors.economic import EconomicConnector, marker_token

API = "https://restapi.test"
DOCS = "https://apis.test/documentsapi/v4.0.1/AttachedDocuments"
PDF = b"%PDF-1.4\n%%EOF\n"
SHA = hashlib.sha256(PDF).hexdigest()


def token(n: int) -> str:
    return marker_token(f"https://roger.example/documents/{n}/")


def item(voucher: int, ref: str = "doc-1") -> AttachItem:
    return AttachItem(
        ref=ref,
        kind=EntryKind.BILL,
        entry_erp_id=f"2026-{voucher}",
        credit_note=False,
        file=FileRef("bill.pdf", "application/pdf", len(PDF), SHA),
        content=PDF,
        idempotency_key=f"roger-{ref}-file",
    )


def draft(voucher: int) -> dict[str, Any]:
    return {
        "journalEntryNumber": voucher,
        "entryType": "supplierInvoice",
        "amount": 1250,
        "date": "2026-03-02",
        "text": f"Chairs [{token(voucher)}]",
        "supplier": {"supplierNumber": 1001},
        "voucher": {"voucherNumber": voucher, "accountingYear": {"year": "2026"}},
    }


def page(items: list[dict[str, Any]]) -> dict[str, Any]:
    return {"collection": items, "pagination": {"results": len(items)}}


@pytest.fixture
def conn() -> EconomicConnector:
    return EconomicConnector(
        api_url=API,
        apis_url="https://apis.test",
        app_secret_token="s3cret",
        agreement_grant_token="gr4nt",
        journal_number=10,
    )


@pytest.fixture
def api():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        years = [{"year": "2026", "fromDate": "2026-01-01", "toDate": "2026-12-31"}]
        mock.add("GET", f"{API}/accounting-years", json=page(years))
        mock.add("GET", f"{API}/accounting-years/2026/periods", json=page([]))
        mock.add("GET", f"{API}/suppliers/1001", json={"supplierNumber": 1001, "name": "Chairs A/S"})
        mock.add("GET", f"{API}/journals/10/entries", json=page([draft(7), draft(8)]))
        yield mock


def listing(*docs: dict[str, Any]) -> dict[str, Any]:
    return {"items": list(docs)}


def problem(code: str) -> dict[str, Any]:
    return {"title": "Bad request.", "status": 400, "errors": [{"message": "Refused.", "errorCode": code}]}


def test_a_document_a_person_attached_meanwhile_is_not_overwritten(conn, api):
    api.add("GET", DOCS, json=listing())  # Roger's look: nothing attached
    api.add("POST", DOCS, json=problem("DocumentAlreadyAttachedToVoucher"), status=400)
    person = {"number": 5, "voucherNumber": 7, "accountingYear": "2026", "note": "scanned by Mette"}
    api.add("GET", DOCS, json=listing(person))

    [result] = conn.attach([item(7)])

    assert result.outcome is Outcome.FAILED
    assert (result.error.code, result.error.field) == ("voucher_has_document", "file")
    assert "document 5" in result.error.message
    assert [c.request.method for c in api.calls if "AttachedDocuments" in c.request.url] == ["GET", "POST", "GET"]


def test_an_upload_found_landed_after_the_conflict_is_adopted(conn, api):
    api.add("GET", DOCS, json=listing())
    api.add("POST", DOCS, json=problem("DocumentAlreadyAttachedToVoucher"), status=400)
    ours = {
        "number": 9,
        "voucherNumber": 7,
        "accountingYear": "2026",
        "note": f"bill.pdf [{token(7)} sha256:{SHA[:16]}]",
    }
    api.add("GET", DOCS, json=listing(ours))

    [result] = conn.attach([item(7)])

    assert (result.outcome, result.erp_ref) == (Outcome.CREATED, "9")


def test_a_gateway_s_413_refuses_the_file_not_the_call(conn, api):
    api.add("GET", DOCS, json=listing())
    api.add("POST", DOCS, body="<html>413 Request Entity Too Large</html>", status=413, content_type="text/html")

    [result] = conn.attach([item(7)])

    assert result.outcome is Outcome.FAILED
    assert (result.error.category, result.error.code, result.error.status) == (
        ErrorCategory.VALIDATION,
        "file_refused",
        413,
    )
    assert "bill.pdf" in result.error.message and "too large" in result.error.message


def test_a_server_error_mid_batch_is_uncertain_for_that_file_and_stops_the_rest(conn, api):
    api.add("GET", DOCS, json=listing())
    api.add("POST", DOCS, json={"number": 1}, status=201)
    api.add("POST", DOCS, json={"title": "Internal server error."}, status=500)

    results = conn.attach([item(7, "doc-7"), item(8, "doc-8")])

    assert [r.outcome for r in results] == [Outcome.CREATED, Outcome.FAILED]
    assert results[1].error.uncertain and results[1].error.category is ErrorCategory.TEMPORARY


def test_a_server_error_on_the_only_file_fails_the_call(conn, api):
    api.add("GET", DOCS, json=listing())
    api.add("POST", DOCS, json={"title": "Internal server error."}, status=500)
    with pytest.raises(ConnectorError) as failed:
        conn.attach([item(7)])
    assert failed.value.error.uncertain


def test_a_retried_upload_is_byte_identical_and_keyed_by_what_was_deleted(conn, api):
    api.add("GET", DOCS, json=listing())
    api.add("POST", DOCS, json={"title": "Internal server error."}, status=500)
    api.add("POST", DOCS, json={"number": 3}, status=201)
    with pytest.raises(ConnectorError):
        conn.attach([item(7)])
    conn.attach([item(7)])
    first, second = [c.request for c in api.calls if c.request.method == "POST"]
    assert first.body == second.body
    assert first.headers["Idempotency-Key"] == second.headers["Idempotency-Key"]
    assert b'name="onConflict"\r\n\r\n1' in first.body  # never merged into a document already there
