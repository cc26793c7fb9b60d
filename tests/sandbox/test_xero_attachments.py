"""Files on bills and credit notes as Xero documents them: raw bodies by file name, overwrite by name, at most 10
per document, 10 MB (413 beyond), forbidden characters, no DELETE, their own scope — and, as the worst case where
Xero is silent, no new file on a booked document."""

from __future__ import annotations

import hashlib

import pytest
import requests

from tests.fixtures_sandbox import SandboxClient, XeroApi
from tests.sandbox.helpers import create_bill, messages, pay

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj << >> endobj\n%%EOF\n"
OCTETS = {"Content-Type": "application/octet-stream"}


@pytest.fixture
def tenant(sandbox: SandboxClient) -> dict:
    return sandbox.new_xero_tenant("Files ApS")


@pytest.fixture
def api(sandbox: SandboxClient, tenant: dict) -> XeroApi:
    return sandbox.xero(tenant)


def upload(api: XeroApi, document: str, name: str, body: bytes = PDF, **kwargs) -> requests.Response:
    headers = kwargs.pop("headers", OCTETS)
    return api.put(f"{document}/Attachments/{name}", data=body, headers=headers, **kwargs)


def test_a_file_is_stored_listed_and_downloaded_as_uploaded(sandbox: SandboxClient, tenant: dict, api: XeroApi) -> None:
    bill = create_bill(api)
    document = f"Invoices/{bill['InvoiceID']}"
    response = upload(api, document, "bill.pdf")
    assert response.status_code == 200, response.text
    [stored] = response.json()["Attachments"]
    assert (stored["FileName"], stored["MimeType"], stored["ContentLength"]) == (
        "bill.pdf",
        "application/pdf",
        len(PDF),
    )
    assert stored["Url"] == f"https://api.xero.com/api.xro/2.0/{document}/Attachments/bill.pdf"
    # The type comes from the request's Content-Type when it names one, else from the extension.
    png = upload(api, document, "scan.jpg", b"\xff\xd8\xff\xe0jpeg", headers={"Content-Type": "image/jpeg"})
    assert png.json()["Attachments"][0]["MimeType"] == "image/jpeg"
    listed = api.get(f"{document}/Attachments").json()["Attachments"]
    assert [a["FileName"] for a in listed] == ["bill.pdf", "scan.jpg"]
    for key in ("bill.pdf", stored["AttachmentID"]):
        download = api.get(f"{document}/Attachments/{key}")
        assert (download.content, download.headers["Content-Type"]) == (PDF, "application/pdf")
    assert api.get(f"Invoices/{bill['InvoiceID']}").json()["Invoices"][0]["HasAttachments"] is True
    # State: metadata only, never the bytes; the request log keeps the size and checksum.
    files = sandbox.state()["tenants"][tenant["tenant_id"]]["Attachments"][bill["InvoiceID"]]
    assert files[0] == {
        "AttachmentID": stored["AttachmentID"],
        "FileName": "bill.pdf",
        "MimeType": "application/pdf",
        "ContentLength": len(PDF),
        "sha256": hashlib.sha256(PDF).hexdigest(),
    }
    logged = next(r for r in sandbox.requests(erp="xero") if r["path"].endswith("/Attachments/bill.pdf"))
    assert logged["body"] == f"<{len(PDF)} bytes, sha256 {hashlib.sha256(PDF).hexdigest()}>"


def test_the_same_name_overwrites_and_there_is_no_delete(api: XeroApi) -> None:
    bill = create_bill(api)
    document = f"Invoices/{bill['InvoiceID']}"
    upload(api, document, "bill.pdf")
    second = upload(api, document, "BILL.pdf", PDF + b"v2", headers={}, params={"IncludeOnline": "true"}).json()
    listed = api.get(f"{document}/Attachments").json()["Attachments"]
    assert len(listed) == 1 and listed[0]["ContentLength"] == len(PDF) + 2
    assert second["Attachments"][0]["IncludeOnline"] is True
    gone = api.request("DELETE", f"{document}/Attachments/{listed[0]['AttachmentID']}")
    assert gone.status_code == 404 and len(api.get(f"{document}/Attachments").json()["Attachments"]) == 1


def test_ten_files_per_document_then_refused(api: XeroApi) -> None:
    bill = create_bill(api)
    document = f"Invoices/{bill['InvoiceID']}"
    for n in range(10):
        assert upload(api, document, f"page-{n}.pdf").status_code == 200
    eleventh = upload(api, document, "page-10.pdf")
    assert eleventh.status_code == 400
    assert messages(eleventh.json()) == ["A document can have at most 10 attachments; page-10.pdf would be the 11th"]
    assert upload(api, document, "page-3.pdf", PDF + b"again").status_code == 200  # an overwrite is not an 11th


def test_a_file_over_ten_megabytes_is_refused_with_413(api: XeroApi) -> None:
    bill = create_bill(api)
    response = upload(api, f"Invoices/{bill['InvoiceID']}", "big.pdf", b"%PDF" + b"\x00" * 10_000_000)
    assert response.status_code == 413
    assert (response.json()["Title"], response.json()["Detail"]) == ("RequestEntityTooLarge", "PayloadTooLarge")
    assert upload(api, f"Invoices/{bill['InvoiceID']}", "fits.pdf", b"\x00" * 10_000_000).status_code == 200


@pytest.mark.parametrize(
    ("name", "body", "message"),
    [
        ("bad:name.pdf", PDF, "The file name 'bad:name.pdf' contains a character Xero does not allow"),
        ("virus.exe", PDF, "Files of type 'exe' cannot be attached"),
        ("empty.pdf", b"", "The file empty.pdf is empty"),
    ],
)
def test_names_types_and_empty_files_are_refused(api: XeroApi, name: str, body: bytes, message: str) -> None:
    bill = create_bill(api)
    response = upload(api, f"Invoices/{bill['InvoiceID']}", name, body)
    assert response.status_code == 400 and messages(response.json())[0].startswith(message)
    assert api.get(f"Invoices/{bill['InvoiceID']}/Attachments").json()["Attachments"] == []


def test_a_booked_document_takes_no_new_file(sandbox: SandboxClient, tenant: dict, api: XeroApi) -> None:
    draft = create_bill(api, Status="DRAFT", InvoiceNumber="D-1")
    assert upload(api, f"Invoices/{draft['InvoiceID']}", "draft.pdf").status_code == 200
    paid = create_bill(api, InvoiceNumber="P-1")
    pay(api, paid["InvoiceID"], 125)
    assert messages(upload(api, f"Invoices/{paid['InvoiceID']}", "p.pdf").json()) == [
        "Files cannot be attached to this document: it is paid"
    ]
    locked = create_bill(api, InvoiceNumber="L-1")
    sandbox.xero_action(tenant["tenant_id"], "set_lock_dates", period_lock_date="2025-03-31")
    assert messages(upload(api, f"Invoices/{locked['InvoiceID']}", "l.pdf").json()) == [
        "Files cannot be attached to this document: it is dated in a locked period"
    ]


def test_credit_notes_take_files_and_files_need_their_scope(sandbox: SandboxClient, api: XeroApi) -> None:
    bill = create_bill(api)
    note = {
        "Type": "ACCPAYCREDIT",
        "Contact": {"ContactID": bill["Contact"]["ContactID"]},
        "Date": "2025-04-02",
        "Status": "AUTHORISED",
        "LineItems": [{"Description": "Back", "Quantity": 1, "UnitAmount": 10, "AccountCode": "461"}],
    }
    credit = api.put("CreditNotes", json={"CreditNotes": [note]}).json()["CreditNotes"][0]
    assert upload(api, f"CreditNotes/{credit['CreditNoteID']}", "cn.pdf").status_code == 200
    assert api.get(f"CreditNotes/{credit['CreditNoteID']}").json()["CreditNotes"][0]["HasAttachments"] is True
    assert upload(api, f"Invoices/{credit['CreditNoteID']}", "cn.pdf").status_code == 404  # not an invoice
    without = sandbox.new_xero_tenant("No files", scope="offline_access accounting.invoices accounting.settings")
    other = sandbox.xero(without)
    other_bill = create_bill(other)
    refused = upload(other, f"Invoices/{other_bill['InvoiceID']}", "bill.pdf")
    assert refused.status_code == 401 and refused.json()["Detail"] == "AuthorizationUnsuccessful"


def test_an_upload_replays_under_its_idempotency_key(api: XeroApi) -> None:
    bill = create_bill(api)
    document = f"Invoices/{bill['InvoiceID']}"
    first = upload(api, document, "bill.pdf", headers={**OCTETS, "Idempotency-Key": "file-1"}).json()
    replay = upload(api, document, "bill.pdf", headers={**OCTETS, "Idempotency-Key": "file-1"}).json()
    assert replay["Attachments"][0]["AttachmentID"] == first["Attachments"][0]["AttachmentID"]
    other = upload(api, document, "bill.pdf", PDF + b"x", headers={**OCTETS, "Idempotency-Key": "file-1"})
    assert messages(other.json()) == ["Idempotency Key: file-1 is used with a different request."]


def test_the_bill_page_links_each_file_for_download(sandbox: SandboxClient, api: XeroApi) -> None:
    bill = create_bill(api)
    stored = upload(api, f"Invoices/{bill['InvoiceID']}", "bill.pdf").json()["Attachments"][0]
    page = requests.get(f"{sandbox.url}/xero/go/AccountsPayable/View.aspx?InvoiceID={bill['InvoiceID']}", timeout=5)
    link = f"/xero/go/attachments/{bill['InvoiceID']}/{stored['AttachmentID']}"
    assert link in page.text and "bill.pdf" in page.text
    download = requests.get(f"{sandbox.url}{link}", timeout=5)
    assert (download.status_code, download.content, download.headers["Content-Type"]) == (200, PDF, "application/pdf")
    assert requests.get(f"{sandbox.url}/xero/go/attachments/{bill['InvoiceID']}/nope", timeout=5).status_code == 404
