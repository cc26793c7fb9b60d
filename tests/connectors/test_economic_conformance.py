"""Conformance: the e-conomic connector's requests and the sandbox's answers, over the issue's whole matrix,
validated against e-conomic's own published descriptions (``make contract``; ``ROGER_ECONOMIC_SPECS`` points at
``shared/specs/economic``): openapi-core for the Journals and BookedEntries OpenAPI files, ``jsonschema``'s
Draft 3 validator for the legacy REST API's schemas (``economic_conformance``)."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest
import requests

from integrations.connectors.base import BillLine, ConnectorError, EntryKind, Outcome, VendorData
from integrations.connectors.http import make_session
from tests.connectors.economic_conformance import EconomicRecorder, specs_dir
from tests.connectors.economic_scenarios import PDF, PNG, attach_item, bill, connector, payment, write
from tests.sandbox.economic_helpers import EconomicSandbox

pytestmark = pytest.mark.contract


@pytest.fixture(scope="module")
def recorder() -> EconomicRecorder:
    path = specs_dir()
    if path is None or not path.is_dir():
        pytest.fail("the e-conomic conformance suite needs ROGER_ECONOMIC_SPECS=<shared/specs/economic>", pytrace=False)
    return EconomicRecorder(path).load()


def test_the_connector_s_matrix_conforms_to_e_conomic_s_descriptions(sandbox, recorder):
    eco = EconomicSandbox(sandbox)
    agreement = eco.agreement("Nordlys ApS")
    conn = connector(eco, agreement, recorder.attach(make_session()))

    # create, read back, update, an accountant's edit between read and write, update again
    [made] = conn.create(EntryKind.BILL, [write(bill(1), key="k-1")])
    erp_id = made.state.erp_id
    eco.action(agreement, "edit_entry", vouchers=[erp_id], changes={"amount": "1300.00"}, before_next_update=True)
    changed = write(bill(1, total=Decimal("1500.00"), vat=Decimal("300.00")), key="k-1b", erp_id=erp_id)
    [conflict] = conn.update(EntryKind.BILL, [changed])
    [updated] = conn.update(EntryKind.BILL, [changed])
    assert (conflict.error.code, updated.outcome) == ("conflict", Outcome.UPDATED)
    # a payment, a foreign-currency bill and payment
    conn.create(EntryKind.PAYMENT, [write(payment(1), key="k-p1")])
    [eur] = conn.create(
        EntryKind.BILL, [write(bill(2, currency="EUR", total=Decimal("1000.00"), vat=Decimal("200.00")), key="k-2")]
    )
    eur_payment = payment(2, currency="EUR", amount=Decimal("1000.00"), bank_amount=Decimal("7450.00"))
    conn.create(EntryKind.PAYMENT, [write(eur_payment, key="k-p2")])
    # book Roger's entries only; booked → blocked
    booked = conn.book(EntryKind.BILL, [erp_id, eur.state.erp_id])
    assert [b.outcome for b in booked] == [Outcome.UPDATED, Outcome.UPDATED]
    [blocked] = conn.update(
        EntryKind.BILL, [write(bill(1, total=Decimal("9.00"), vat=Decimal("1.80")), key="k-1c", erp_id=erp_id)]
    )
    assert blocked.outcome is Outcome.BLOCKED
    # closed period: refused before sending, and blocked for an existing draft
    [later] = conn.create(EntryKind.BILL, [write(bill(3), key="k-3")])
    eco.action(agreement, "close_period", date=bill(3).issue_date.isoformat())
    assert conn.read(EntryKind.BILL, [later.state.erp_id])[later.state.erp_id].booked
    eco.action(agreement, "reopen_period", date=bill(3).issue_date.isoformat())
    # lost link → found by marker among drafts and booked entries; timeout after commit → exactly one voucher
    found = conn.lookup(EntryKind.BILL, [bill(1).marker, bill(3).marker, bill(9).marker])
    assert [len(found[bill(n).marker]) for n in (1, 3, 9)] == [1, 1, 0]
    eco.fault(method="POST", path="/journals/10/vouchers$", kind="timeout_after_commit", hold_seconds=3)
    with pytest.raises(ConnectorError):
        conn.create(EntryKind.BILL, [write(bill(4), key="k-4")])
    assert len(conn.lookup(EntryKind.BILL, [bill(4).marker])[bill(4).marker]) == 1
    # issue 15: a credit note (created, changed, booked), a refund, the file on a draft and on a booked voucher,
    # replaced, and adopted after an upload whose answer was lost
    [credit] = conn.create(EntryKind.BILL, [write(bill(5, credit_note=True), key="k-5")])
    changed_credit = bill(5, credit_note=True, total=Decimal("1500.00"), vat=Decimal("300.00"))
    [credit_updated] = conn.update(EntryKind.BILL, [write(changed_credit, key="k-5b", erp_id=credit.state.erp_id)])
    assert credit_updated.outcome is Outcome.UPDATED
    conn.create(EntryKind.PAYMENT, [write(payment(5, credit_note=True), key="k-p5")])
    [attached] = conn.attach([attach_item(credit.state.erp_id)])
    [replaced] = conn.attach(
        [attach_item(credit.state.erp_id, PNG, "scan.png", "image/png", replaces=attached.erp_ref)]
    )
    assert (attached.outcome, replaced.outcome) == (Outcome.CREATED, Outcome.UPDATED)
    assert conn.book(EntryKind.BILL, [credit.state.erp_id])[0].outcome is Outcome.UPDATED
    [on_booked] = conn.attach([attach_item(eur.state.erp_id, ref="doc-2")])
    assert on_booked.outcome is Outcome.CREATED
    eco.fault(method="POST", path="/AttachedDocuments$", kind="timeout_after_commit", hold_seconds=3)
    with pytest.raises(ConnectorError):
        conn.attach([attach_item(later.state.erp_id, ref="doc-3")])
    assert conn.attach([attach_item(later.state.erp_id, ref="doc-3")])[0].outcome is Outcome.CREATED
    # a bill without a department; a foreign bill e-conomic put at 1:1, deleted again through the Journals API
    plain = BillLine("Office chairs", Decimal("1000.00"), Decimal("250.00"), "2200", "I25")
    assert conn.create(EntryKind.BILL, [write(bill(6, lines=(plain,)), key="k-6")])[0].outcome is Outcome.CREATED
    eco.configure(legacy_missing_rate="one_to_one")
    [one_to_one] = conn.create(
        EntryKind.BILL, [write(bill(7, currency="EUR", total=Decimal("1000.00"), vat=Decimal("200.00")), key="k-7")]
    )
    assert one_to_one.error.field == "currency"
    eco.configure(legacy_missing_rate="default")
    # the bookkeeper's suppliers: found by CVR without the prefix (one filtered GET /suppliers), two → ambiguous
    eco.action(
        agreement,
        "add_suppliers",
        suppliers=[
            {"name": "Lamper ApS", "corporateIdentificationNumber": "87654321"},
            {"name": "Borde A/S", "email": "ap@borde.example"},
            {"name": "Borde A/S (gammel)", "email": "ap@borde.example"},
        ],
    )
    lamps = VendorData(number="2002", name="Lamper & Co.", tax_number="DK87654321")
    assert conn.create(EntryKind.BILL, [write(bill(8, vendor=lamps), key="k-8")])[0].outcome is Outcome.CREATED
    tables = VendorData(number="2003", name="Borde A/S", email="ap@borde.example")
    [ambiguous] = conn.create(EntryKind.BILL, [write(bill(9, vendor=tables), key="k-9")])
    assert ambiguous.error.code == "AmbiguousSupplier"
    # catalogues and the connection check; a journal restricted to one type; a missing role (403)
    assert conn.check_connection().ok
    conn.accounts(), conn.tax_rates(), conn.tracking_options(), conn.bank_accounts(), conn.contacts()
    eco.action(agreement, "journal_settings", journal=10, allowedEntryType=3)
    assert not conn.check_connection().ok
    eco.action(agreement, "set_roles", roles=[])
    assert not conn.check_connection().ok

    recorder.validate_pending()
    print(f"e-conomic conformance: {recorder.checked} exchanges, {len(recorder.operations)} operations")
    assert recorder.problems == []
    for operation in (
        "POST legacy /journals/{n}/vouchers",
        "DELETE journalsapi/v15.0.0 /draft-entries/{n}",
        "GET legacy /journals/{n}/entries",
        "GET legacy /accounting-years/{n}/entries",
        "POST legacy /suppliers",
        "GET legacy /suppliers",
        "GET legacy /self",
        "PUT journalsapi/v15.0.0 /draft-entries",
        "GET journalsapi/v15.0.0 /draft-entries",
        "POST journalsapi/v15.0.0 /journals/{n}/bookdraftentries",
        "GET journalsapi/v15.0.0 /journals/{n}",
        "GET bookedEntriesapi/v4.0.0 /booked-entries",
        "POST documentsapi/v4.0.1 /AttachedDocuments",
        "GET documentsapi/v4.0.1 /AttachedDocuments",
        "DELETE documentsapi/v4.0.1 /AttachedDocuments/{n}",
    ):
        assert operation in recorder.operations, (operation, sorted(recorder.operations))
    assert recorder.checked >= 60


def test_the_sandbox_s_error_answers_conform_too(sandbox, recorder):
    """Every documented status of the Journals API, as the sandbox answers it, against the description."""
    eco = EconomicSandbox(sandbox)
    agreement = eco.agreement("Nordlys ApS")
    session = recorder.attach(make_session())
    base = f"{eco.url}/economic/journalsapi/v15.0.0"
    tokens = {
        "X-AppSecretToken": agreement["app_secret_token"],
        "X-AgreementGrantToken": agreement["agreement_grant_token"],
    }
    [current] = session.get(f"{base}/draft-entries", headers=tokens, params={"filter": "journalNumber$eq:10"}).json()[
        "items"
    ]
    statuses = [
        session.put(f"{base}/draft-entries", headers=tokens, json={**current, "amount": 0}).status_code,  # 400
        session.get(
            f"{base}/draft-entries", headers={"X-AppSecretToken": "x", "X-AgreementGrantToken": "y"}
        ).status_code,
        session.get(f"{base}/draft-entries/424242", headers=tokens).status_code,  # 404
        session.put(f"{base}/draft-entries", headers=tokens, json={**current, "objectVersion": "stale"}).status_code,
        session.put(f"{base}/draft-entries", headers=tokens, json=current).status_code,  # 204
    ]
    eco.fault(method="GET", path="/draft-entries", kind="500")
    statuses.append(session.get(f"{base}/draft-entries", headers=tokens).status_code)
    eco.configure(calls_per_minute=1)
    time.sleep(0)  # the limiter counts from here
    statuses += [session.get(f"{base}/journals/10", headers=tokens).status_code for _ in range(2)]
    eco.configure(calls_per_minute=0)
    eco.action(agreement, "set_roles", roles=[])
    statuses.append(session.get(f"{base}/journals/10", headers=tokens).status_code)
    assert statuses == [400, 401, 404, 409, 204, 500, 200, 429, 403]
    assert recorder.validate_pending() == []


def test_the_sandbox_s_documents_api_answers_conform_too(sandbox, recorder):
    """Every documented status of the Documents API's upload, list, read and delete, as the sandbox answers them."""
    eco = EconomicSandbox(sandbox)
    agreement = eco.agreement("Nordlys ApS")
    session = recorder.attach(make_session())
    base = f"{eco.url}/economic/documentsapi/v4.0.1/AttachedDocuments"
    tokens = {
        "X-AppSecretToken": agreement["app_secret_token"],
        "X-AgreementGrantToken": agreement["agreement_grant_token"],
    }
    year = str(bill().issue_date.year)

    def upload(number: int, content: bytes = PDF, **fields: str) -> int:
        form = {"accountingYear": year, "voucherNumber": str(number), **fields}
        return session.post(
            base, headers=tokens, files={"file": ("bill.pdf", content, "application/pdf")}, data=form
        ).status_code

    statuses = [
        upload(1, note="the bookkeeper's scan"),  # 201: voucher 1 is the bookkeeper's draft
        upload(1, onConflict="1"),  # 400 DocumentAlreadyAttachedToVoucher
        upload(1, b"%PDF-cut"),  # 400 InvalidFileData
        upload(4242),  # 400 InvalidVoucherNumber
        session.get(
            base, headers=tokens, params={"filter": f"voucherNumber$eq:1$and:accountingYear$eq:{year}"}
        ).status_code,
        session.get(f"{base}/1", headers=tokens).status_code,
        session.get(f"{base}/999", headers=tokens).status_code,  # 404
        session.delete(f"{base}/1", headers=tokens).status_code,  # 204
        session.delete(f"{base}/1", headers=tokens).status_code,  # 404
        session.get(base, headers={"X-AppSecretToken": "x", "X-AgreementGrantToken": "y"}).status_code,  # 401
    ]
    eco.action(agreement, "set_roles", roles=[])
    statuses.append(session.get(base, headers=tokens).status_code)  # 403
    assert statuses == [201, 400, 400, 400, 200, 200, 404, 204, 404, 401, 403]
    assert recorder.validate_pending() == []


def test_the_recorder_catches_invalid_exchanges(recorder):
    import responses

    session = recorder.attach(make_session())
    session.headers.update({"X-AppSecretToken": "a", "X-AgreementGrantToken": "g"})
    with responses.RequestsMock() as mock:
        mock.put("https://apis.e-conomic.com/journalsapi/v15.0.0/draft-entries", status=204)
        mock.post("https://restapi.e-conomic.com/journals/10/vouchers", json={}, status=201)
        mock.get("https://restapi.e-conomic.com/suppliers/7", json={"supplierNumber": "seven"})
        session.put("https://apis.e-conomic.com/journalsapi/v15.0.0/draft-entries", json={"amount": "lots"})
        session.post("https://restapi.e-conomic.com/journals/10/vouchers", json={"entries": {}})
        session.get("https://restapi.e-conomic.com/suppliers/7")
        with pytest.raises(requests.ConnectionError):
            session.get("https://restapi.e-conomic.com/nowhere")  # not mocked: never reaches the recorder
    problems = recorder.validate_pending()
    assert len(problems) == 3
    assert "amount" in problems[0] and "accountingYear" in problems[1] and "supplierNumber" in problems[2]


def test_the_recorder_checks_multipart_uploads_part_by_part(recorder):
    import responses

    session = recorder.attach(make_session())
    session.headers.update({"X-AppSecretToken": "a", "X-AgreementGrantToken": "g"})
    url = "https://apis.e-conomic.com/documentsapi/v4.0.1/AttachedDocuments"
    with responses.RequestsMock() as mock:
        mock.post(url, json={"number": 1}, status=201)
        good = {"accountingYear": "2026", "voucherNumber": "7", "onConflict": "1"}
        session.post(url, files={"file": ("a.pdf", PDF, "application/pdf")}, data=good)
        session.post(url, files={"File": ("a.pdf", PDF, "application/pdf")}, data={**good, "voucherNumber": "seven"})
        session.post(url, files={"file": ("a.gif", b"GIF89a", "image/gif")}, data={**good, "onConflict": "2"})
    problems = recorder.validate_pending()
    assert len(problems) == 2
    assert "voucherNumber" in problems[0] and "'file' is a required property" in problems[0]
    assert "image/gif" in problems[1] and "onConflict" in problems[1]
