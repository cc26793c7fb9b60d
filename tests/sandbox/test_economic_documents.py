"""The e-conomic sandbox's Documents API and credit entries (issue #15), over real HTTP with no connector: the
rules of ``openapi-Documents.json`` 4.0.1 and of negative supplier entries, the worst cases where the description
is silent, the control state and the web pages."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
import requests

from tests.sandbox.economic_helpers import EconomicSandbox, this_year, voucher

PDF = b"%PDF-1.4\n1 0 obj << /Type /Page >> endobj\n2 0 obj << /Type /Page >> endobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(25) + b"\x00\x00\x00\x00IEND\xaeB`\x82"


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
def docs(eco, agreement):
    return eco.documents(agreement)


def new_voucher(api, **entry: Any) -> int:
    response = api.post("journals/10/vouchers", json=voucher(**entry))
    assert response.status_code == 201, response.text
    return response.json()["voucherNumber"]


def upload(
    docs,
    number: int,
    content: bytes = PDF,
    name: str = "bill.pdf",
    content_type: str = "application/pdf",
    year: str | None = None,
    **fields: Any,
) -> requests.Response:
    return docs.post(
        "AttachedDocuments",
        files={"file": (name, content, content_type)},
        data={"accountingYear": year or this_year(), "voucherNumber": str(number), **fields},
    )


def codes(response: requests.Response) -> list[str]:
    assert response.headers["Content-Type"].startswith("application/problem+json"), response.text
    return [e.get("errorCode", "") for e in response.json().get("errors", [])]


# --- uploads ------------------------------------------------------------------------------------------------------


def test_a_pdf_is_attached_to_a_draft_voucher_and_listed_by_voucher(docs, api):
    number = new_voucher(api)
    response = upload(docs, number, note="bill.pdf [roger-0123456789abcdef sha256:0011223344556677]")
    assert response.status_code == 201
    created = response.json()["number"]

    listed = docs.get(
        "AttachedDocuments", params={"filter": f"accountingYear$eq:{this_year()}$and:voucherNumber$in:[{number}]"}
    )
    assert listed.json() == {
        "items": [
            {
                "number": created,
                "note": "bill.pdf [roger-0123456789abcdef sha256:0011223344556677]",
                "pageCount": 2,
                "voucherNumber": number,
                "accountingYear": this_year(),
            }
        ]
    }
    assert docs.get(f"AttachedDocuments/{created}").json()["number"] == created
    assert docs.get("AttachedDocuments", params={"filter": "note$eq:x"}).status_code == 400  # not filterable


def test_the_required_fields_are_named(docs):
    response = docs.post("AttachedDocuments", files={"other": ("x.pdf", PDF, "application/pdf")}, data={})
    assert response.status_code == 400
    named = {e["property"] for e in response.json()["errors"]}
    assert named == {"file", "accountingYear", "voucherNumber"}


def test_the_type_is_judged_from_the_content_not_the_name(docs, api):
    number = new_voucher(api)
    as_pdf = upload(docs, number, PNG, "really-a-png.pdf", "application/pdf")
    gif = upload(docs, number, b"GIF89a" + bytes(20), "scan.gif", "image/gif")
    cut_off = upload(docs, number, PDF[:40], "cut.pdf")
    empty = upload(docs, number, b"", "empty.pdf")
    assert [r.status_code for r in (as_pdf, gif, cut_off, empty)] == [400, 400, 400, 400]
    assert all(codes(r) == ["InvalidFileData"] for r in (as_pdf, gif, cut_off, empty))
    assert upload(docs, number, PNG, "scan.png", "image/png").status_code == 201


def test_a_file_over_9_mb_gets_an_html_413(docs, api):
    number = new_voucher(api)
    response = upload(docs, number, PDF + bytes(9_437_184))
    assert response.status_code == 413
    assert response.headers["Content-Type"].startswith("text/html")


def test_an_unknown_year_or_voucher_is_refused_with_its_code(docs, api):
    assert codes(upload(docs, 1, year="1999")) == ["AccountingYearNotFound"]
    assert codes(upload(docs, 4242)) == ["InvalidVoucherNumber"]


def test_one_document_per_voucher_fail_refuses_and_merge_joins(docs, api, eco, agreement):
    number = new_voucher(api)
    first = upload(docs, number).json()["number"]
    refused = upload(docs, number, PNG, "second.png", "image/png", onConflict="1")
    assert codes(refused) == ["DocumentAlreadyAttachedToVoucher"]
    merged = upload(docs, number, PNG, "second.png", "image/png")  # onConflict left out: 0 = Merge
    assert merged.status_code == 201 and merged.json()["number"] == first
    [doc] = eco.state(agreement)["attachedDocuments"]
    assert [f["name"] for f in doc["files"]] == ["bill.pdf", "second.png"] and doc["pageCount"] == 3


def test_a_closed_period_takes_no_file(docs, api, eco, agreement):
    number = new_voucher(api)
    eco.action(agreement, "close_period", date=f"{this_year()}-03-10")
    assert codes(upload(docs, number)) == ["UnableToAttach"]


# --- booked vouchers, deleting ------------------------------------------------------------------------------------


def test_a_booked_voucher_takes_a_file_keeps_it_and_refuses_to_delete_it(docs, api, eco, agreement):
    number = new_voucher(api)
    eco.action(agreement, "book_entries", vouchers=[f"{this_year()}-{number}"])
    created = upload(docs, number)
    assert created.status_code == 201
    refused = docs.delete(f"AttachedDocuments/{created.json()['number']}")
    assert refused.status_code == 400 and refused.json()["errors"][0]["property"] == "number"
    assert docs.get(f"AttachedDocuments/{created.json()['number']}").status_code == 200


def test_a_draft_s_document_is_deleted_and_booking_keeps_a_document(docs, api, eco, agreement):
    first, second = new_voucher(api), new_voucher(api)
    gone = upload(docs, first).json()["number"]
    kept = upload(docs, second).json()["number"]
    assert docs.delete(f"AttachedDocuments/{gone}").status_code == 204
    assert docs.get(f"AttachedDocuments/{gone}").status_code == 404
    assert docs.delete(f"AttachedDocuments/{gone}").status_code == 404
    eco.action(agreement, "book_entries", vouchers=[f"{this_year()}-{second}"])
    assert docs.get(f"AttachedDocuments/{kept}").json()["voucherNumber"] == second


def test_the_document_follows_the_voucher_number_not_the_draft_or_the_journal(docs, api, eco, agreement):
    """The API names no journal: a number is looked up in every journal, and a deleted draft's document stays on
    its number (worst cases: neither is described).  The description's example capitalises the field names."""
    in_daily_journal = docs.post(
        "AttachedDocuments",
        files={"File": ("daily.pdf", PDF, "application/pdf")},
        data={"AccountingYear": this_year(), "VoucherNumber": "1"},  # voucher 1: drafts in journals 5 and 10
    )
    assert in_daily_journal.status_code == 201
    number = new_voucher(api)
    kept = upload(docs, number).json()["number"]
    eco.action(agreement, "delete_entry", vouchers=[f"{this_year()}-{number}"])
    assert docs.get(f"AttachedDocuments/{kept}").json()["voucherNumber"] == number


def test_an_idempotent_upload_is_answered_from_the_cache(docs, api, eco, agreement):
    number = new_voucher(api)
    key = {"Idempotency-Key": "upload-1"}
    body = (
        b'--b\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\nContent-Type: application/pdf\r\n\r\n'
    )
    body += PDF + f'\r\n--b\r\nContent-Disposition: form-data; name="accountingYear"\r\n\r\n{this_year()}'.encode()
    body += f'\r\n--b\r\nContent-Disposition: form-data; name="voucherNumber"\r\n\r\n{number}\r\n--b--\r\n'.encode()
    headers = {**key, "Content-Type": "multipart/form-data; boundary=b"}
    first = docs.post("AttachedDocuments", data=body, headers=headers)
    again = docs.post("AttachedDocuments", data=body, headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json() and again.headers["X-ResultFromCache"] == "true"
    assert len(eco.state(agreement)["attachedDocuments"]) == 1


# --- control state and pages --------------------------------------------------------------------------------------


def test_the_control_state_describes_files_without_their_bytes(docs, api, eco, agreement):
    number = new_voucher(api)
    upload(docs, number)
    [doc] = eco.state(agreement)["attachedDocuments"]
    assert doc["files"] == [
        {
            "name": "bill.pdf",
            "size": len(PDF),
            "sha256": hashlib.sha256(PDF).hexdigest(),
            "contentType": "application/pdf",
            "pages": 2,
        }
    ]
    raw = requests.get(f"{eco.url}/_sandbox/economic/state", timeout=10).text
    assert "%PDF" not in raw and "Type /Page" not in raw  # described, never the bytes


def test_the_journal_and_voucher_pages_link_the_file_which_downloads_as_uploaded(docs, api, eco, agreement):
    number = new_voucher(api)
    upload(docs, number, name="<b>bill</b>.pdf")
    ref = f"{this_year()}-{number}"
    page = requests.get(f"{eco.url}/economic/app/secure/journals/10?voucher={ref}", timeout=10).text
    assert "&lt;b&gt;bill&lt;/b&gt;.pdf" in page and "<b>bill</b>" not in page
    link = page.split("class='attachment' href='")[1].split("'")[0].replace("&amp;", "&")
    download = requests.get(f"{eco.url}{link}", timeout=10)
    assert download.content == PDF and download.headers["Content-Type"] == "application/pdf"
    assert download.headers["Content-Disposition"].startswith("inline; filename=")
    assert "\n" not in download.headers["Content-Disposition"]

    eco.action(agreement, "book_entries", vouchers=[ref])
    booked = requests.get(f"{eco.url}/economic/app/secure/vouchers/{ref}", timeout=10).text
    assert "class='attachment'" in booked
    missing = requests.get(f"{eco.url}/economic/app/secure/documents/{agreement['agreement_number']}/999", timeout=10)
    assert missing.status_code == 404


# --- credit entries -----------------------------------------------------------------------------------------------


def test_a_credit_note_has_vat_with_its_amount_s_sign(api):
    refused = api.post("journals/10/vouchers", json=voucher(amount=-125.00, contraVatAmount=25.00))
    assert refused.status_code == 400
    assert "contraVatAmount" in str(refused.json()["errors"])
    taken = api.post("journals/10/vouchers", json=voucher(amount=-125.00, contraVatAmount=-25.00))
    assert taken.status_code == 201, taken.text
    derived = api.post("journals/10/vouchers", json=voucher(amount=-125.00))
    assert derived.json()["entries"]["supplierInvoices"][0]["contraVatAmount"] == -25.0


def test_a_booked_credit_note_and_refund_mirror_an_invoice_and_a_payment(api, eco, agreement):
    credit = new_voucher(api, amount=-125.00, contraVatAmount=-25.00)
    refund = api.post(
        "journals/10/vouchers",
        json={
            "accountingYear": {"year": this_year()},
            "entries": {
                "supplierPayments": [
                    {
                        "supplier": {"supplierNumber": 200},
                        "amount": -125.00,
                        "contraAccount": {"accountNumber": 5820},
                        "currency": {"code": "DKK"},
                        "date": f"{this_year()}-03-12",
                    }
                ]
            },
        },
    ).json()["voucherNumber"]
    page = requests.get(f"{eco.url}/economic/app/secure/journals/10", timeout=10).text
    assert "supplierInvoice (credit note)" in page and "supplierPayment (refund)" in page

    eco.action(agreement, "book_entries", vouchers=[f"{this_year()}-{credit}", f"{this_year()}-{refund}"])
    lines = eco.state(agreement)["bookedEntries"][this_year()]
    amounts = {(line["voucherNumber"], line["account"]["accountNumber"]): line["amount"] for line in lines}
    assert amounts == {
        (credit, 6800): 125.0,
        (credit, 2200): -100.0,
        (credit, 6902): -25.0,
        (refund, 6800): -125.0,
        (refund, 5820): 125.0,
    }
    booked_page = requests.get(f"{eco.url}/economic/app/secure/vouchers/{this_year()}-{credit}", timeout=10).text
    assert "supplierInvoice (credit note)" in booked_page
