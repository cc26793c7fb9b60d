"""The document's file on its e-conomic voucher (issue #15): EconomicConnector.attach against the sandbox over
real HTTP, through the Documents API.  With ``ROGER_ECONOMIC_SPECS`` set every exchange is also validated against
``openapi-Documents.json`` (``economic_http``)."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
import requests

from integrations.connectors.base import ConnectorError, EntryKind, ErrorCategory, Outcome
from integrations.connectors.economic import EconomicConnector
from tests.connectors.economic_scenarios import (
    JPEG,
    PDF,
    PNG,
    attach_item,
    bill,
    connector,
    documents,
    write,
    writes_since,
)
from tests.sandbox.economic_helpers import EconomicSandbox

OTHER_PDF = PDF.replace(b"%%EOF", b"% a corrected copy\n%%EOF")


@pytest.fixture
def eco(sandbox) -> EconomicSandbox:
    return EconomicSandbox(sandbox)


@pytest.fixture
def agreement(eco) -> dict[str, Any]:
    return eco.agreement("Nordlys ApS")


@pytest.fixture
def conn(eco, agreement, economic_http) -> EconomicConnector:
    return connector(eco, agreement, economic_http)


def draft(conn, n: int = 1) -> str:
    [made] = conn.create(EntryKind.BILL, [write(bill(n), key=f"k-bill-{n}", ref=f"doc-{n}")])
    assert made.outcome is Outcome.CREATED, made.error
    return made.state.erp_id


def attached(conn, item) -> Any:
    [result] = conn.attach([item])
    return result


def test_the_limits_are_the_documents_api_s():
    limits = EconomicConnector.attachment_limits
    assert limits.max_bytes == 9_437_184
    assert limits.content_types == {"application/pdf", "image/jpeg", "image/png"}
    assert (limits.max_per_entry, limits.can_delete) == (1, True)
    assert EconomicConnector.supports_allocation is False


def test_a_pdf_lands_on_its_draft_voucher_described_never_with_its_bytes(conn, eco, agreement):
    erp_id = draft(conn)
    result = attached(conn, attach_item(erp_id))

    assert result.outcome is Outcome.CREATED, result.error
    [doc] = documents(eco, agreement)
    assert result.erp_ref == str(doc["number"])
    assert f"{doc['accountingYear']}-{doc['voucherNumber']}" == erp_id
    assert doc["files"] == [
        {
            "name": "invoice.pdf",
            "size": len(PDF),
            "sha256": hashlib.sha256(PDF).hexdigest(),
            "contentType": "application/pdf",
            "pages": 1,
        }
    ]
    assert doc["note"].startswith("invoice.pdf [roger-")
    assert result.sent == {
        "file": "invoice.pdf",
        "size": len(PDF),
        "sha256": hashlib.sha256(PDF).hexdigest(),
        "content_type": "application/pdf",
        "replaced": "",
        "voucher": erp_id,
        "note": doc["note"],
    }


def test_images_are_taken_too(conn, eco, agreement):
    first, second = draft(conn, 1), draft(conn, 2)
    results = conn.attach(
        [
            attach_item(first, PNG, "scan.png", "image/png", ref="doc-1"),
            attach_item(second, JPEG, "photo.jpg", "image/jpeg", ref="doc-2"),
        ]
    )
    assert [r.outcome for r in results] == [Outcome.CREATED, Outcome.CREATED]
    assert sorted(d["files"][0]["contentType"] for d in documents(eco, agreement)) == ["image/jpeg", "image/png"]


def test_a_retry_after_an_unknown_outcome_adopts_the_file_that_landed(conn, eco, agreement):
    erp_id = draft(conn)
    eco.fault(method="POST", path="/AttachedDocuments$", kind="timeout_after_commit", hold_seconds=3)
    with pytest.raises(ConnectorError) as lost:
        conn.attach([attach_item(erp_id)])
    assert lost.value.error.uncertain
    since = len(eco.requests())

    result = attached(conn, attach_item(erp_id))

    assert result.outcome is Outcome.CREATED
    [doc] = documents(eco, agreement)
    assert result.erp_ref == str(doc["number"]) and result.sent["found"] == doc["number"]
    assert writes_since(eco, since) == []  # found by its note: nothing uploaded twice


def test_a_replaced_file_replaces_roger_s_document(conn, eco, agreement):
    erp_id = draft(conn)
    first = attached(conn, attach_item(erp_id))
    result = attached(conn, attach_item(erp_id, OTHER_PDF, "invoice-v2.pdf", replaces=first.erp_ref))

    assert result.outcome is Outcome.UPDATED, result.error
    [doc] = documents(eco, agreement)
    assert result.erp_ref == str(doc["number"]) != first.erp_ref
    assert doc["files"][0]["sha256"] == hashlib.sha256(OTHER_PDF).hexdigest()
    assert result.sent["replaced"] == first.erp_ref


def test_a_document_a_person_attached_is_neither_merged_into_nor_deleted(conn, eco, agreement):
    erp_id = draft(conn)
    year, _, number = erp_id.rpartition("-")
    api = eco.documents(agreement)
    response = api.post(
        "AttachedDocuments",
        files={"file": ("scan.pdf", PDF, "application/pdf")},
        data={"accountingYear": year, "voucherNumber": number},
    )
    assert response.status_code == 201
    since = len(eco.requests())

    result = attached(conn, attach_item(erp_id, OTHER_PDF))

    assert result.outcome is Outcome.FAILED
    assert (result.error.category, result.error.code) == (ErrorCategory.VALIDATION, "voucher_has_document")
    assert "did not attach" in result.error.message and result.error.hint
    [doc] = documents(eco, agreement)
    assert doc["files"][0]["name"] == "scan.pdf" and len(doc["files"]) == 1
    assert writes_since(eco, since) == []


def test_a_booked_voucher_takes_a_file_it_lacks(conn, eco, agreement):
    erp_id = draft(conn)
    eco.action(agreement, "book_entries", vouchers=[erp_id])
    result = attached(conn, attach_item(erp_id))
    assert result.outcome is Outcome.CREATED, result.error
    assert len(documents(eco, agreement)) == 1


def test_a_booked_voucher_keeps_its_file(conn, eco, agreement):
    erp_id = draft(conn)
    first = attached(conn, attach_item(erp_id))
    eco.action(agreement, "book_entries", vouchers=[erp_id])
    since = len(eco.requests())

    result = attached(conn, attach_item(erp_id, OTHER_PDF, replaces=first.erp_ref))

    assert result.outcome is Outcome.BLOCKED
    assert result.error.category is ErrorCategory.BOOKED
    assert result.error.message.startswith("Booked in e-conomic (voucher ")
    assert f"document {first.erp_ref}" in result.error.message and "keeps the file" in result.error.hint
    [doc] = documents(eco, agreement)
    assert doc["files"][0]["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert writes_since(eco, since) == []


def test_a_file_refused_after_the_earlier_one_was_removed_says_so(conn, eco, agreement):
    erp_id = draft(conn)
    first = attached(conn, attach_item(erp_id))
    result = attached(conn, attach_item(erp_id, b"%PDF-1.4 cut off", "v2.pdf", replaces=first.erp_ref))
    assert result.outcome is Outcome.FAILED and result.error.code == "InvalidFileData"
    assert f"removed its earlier file, document {first.erp_ref}" in result.error.message
    assert documents(eco, agreement) == []  # said plainly: the voucher has no file until a good one is sent


def test_a_voucher_in_a_closed_period_is_blocked_with_the_reason(conn, eco, agreement):
    erp_id = draft(conn)
    eco.action(agreement, "close_period", date=bill().issue_date.isoformat())
    result = attached(conn, attach_item(erp_id))
    assert result.outcome is Outcome.BLOCKED
    assert "closed accounting period" in result.error.message
    assert documents(eco, agreement) == []


@pytest.mark.parametrize(
    ("content", "name", "content_type", "words"),
    [
        (b"GIF89a" + bytes(20), "scan.gif", "image/gif", "image/gif file"),
        (PDF + bytes(9_437_185), "huge.pdf", "application/pdf", "at most 9 MB"),
    ],
)
def test_a_file_e_conomic_would_refuse_fails_before_any_call(conn, eco, content, name, content_type, words):
    erp_id = draft(conn)
    since = len(eco.requests())
    result = attached(conn, attach_item(erp_id, content, name, content_type))
    assert result.outcome is Outcome.FAILED
    assert (result.error.category, result.error.field) == (ErrorCategory.VALIDATION, "file")
    assert words in result.error.message and name in result.error.message
    assert eco.requests()[since:] == []


def test_a_file_that_is_not_what_its_type_says_fails_before_any_call(conn, eco):
    erp_id = draft(conn)
    since = len(eco.requests())
    result = attached(conn, attach_item(erp_id, PNG, "scan.pdf", "application/pdf"))
    assert (result.outcome, result.error.code, result.error.field) == (Outcome.FAILED, "InvalidFileData", "file")
    assert "scan.pdf" in result.error.message
    assert eco.requests()[since:] == []


def test_a_corrupt_pdf_is_refused_by_e_conomic_and_named(conn, eco, agreement):
    erp_id = draft(conn)
    result = attached(conn, attach_item(erp_id, b"%PDF-1.4 cut off in the middle", "broken.pdf"))
    assert result.outcome is Outcome.FAILED
    assert (result.error.category, result.error.code) == (ErrorCategory.VALIDATION, "InvalidFileData")
    assert "broken.pdf" in result.error.message and result.error.hint
    assert documents(eco, agreement) == []


def test_a_deleted_voucher_is_named_and_nothing_is_uploaded(conn, eco, agreement):
    erp_id = draft(conn)
    eco.action(agreement, "delete_entry", vouchers=[erp_id])
    since = len(eco.requests())
    result = attached(conn, attach_item(erp_id))
    assert (result.outcome, result.error.code) == (Outcome.FAILED, "not_found")
    assert writes_since(eco, since) == []


def test_one_refused_file_does_not_stop_the_others(conn, eco, agreement):
    first, second = draft(conn, 1), draft(conn, 2)
    results = conn.attach(
        [attach_item(first, b"%PDF-broken", "broken.pdf", ref="doc-1"), attach_item(second, ref="doc-2")]
    )
    assert [r.ref for r in results] == ["doc-1", "doc-2"]
    assert [r.outcome for r in results] == [Outcome.FAILED, Outcome.CREATED]


def test_the_documents_api_needs_the_bookkeeping_role(conn, eco, agreement):
    erp_id = draft(conn)
    eco.action(agreement, "set_roles", roles=[])
    with pytest.raises(ConnectorError) as refused:
        conn.attach([attach_item(erp_id)])
    assert refused.value.error.message.startswith("e-conomic refused Roger's app the Documents API")
    assert refused.value.error.category is ErrorCategory.SETUP
    assert "Bookkeeping role" in refused.value.error.message


def test_the_file_opens_from_the_sandbox_s_journal_page(conn, eco, agreement):
    erp_id = draft(conn)
    attached(conn, attach_item(erp_id))
    page = requests.get(f"{eco.url}/economic/app/secure/journals/10?voucher={erp_id}", timeout=10)
    assert "invoice.pdf" in page.text
    link = page.text.split("class='attachment' href='")[1].split("'")[0].replace("&amp;", "&")
    download = requests.get(f"{eco.url}{link}", timeout=10)
    assert download.status_code == 200
    assert download.content == PDF and download.headers["Content-Type"].startswith("application/pdf")


def test_a_file_deleted_in_e_conomic_is_attached_again_not_answered_from_the_cache(conn, eco, agreement):
    """The same upload within the idempotency hour would get the first (cached) answer, naming a document a person
    has since deleted: Roger checks the list and uploads again."""
    erp_id = draft(conn)
    first = attached(conn, attach_item(erp_id))
    assert eco.documents(agreement).delete(f"AttachedDocuments/{first.erp_ref}").status_code == 204

    again = attached(conn, attach_item(erp_id))

    assert again.outcome is Outcome.CREATED
    [doc] = documents(eco, agreement)
    assert again.erp_ref == str(doc["number"]) != first.erp_ref
    cached = [r for r in eco.requests() if r["method"] == "POST" and r["path"].endswith("/AttachedDocuments")]
    assert len(cached) == 3  # the first upload, the cached replay, the upload again
