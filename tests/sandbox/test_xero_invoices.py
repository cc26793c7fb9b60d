"""Bills: totals, updates with LineItemIDs, status transitions, booked refusals, lock dates, validation."""

from __future__ import annotations

import pytest

from tests.fixtures_sandbox import SandboxClient, XeroApi
from tests.sandbox.helpers import bill, create_bill, messages, pay


@pytest.fixture
def tenant(sandbox: SandboxClient) -> dict:
    return sandbox.new_xero_tenant("Bills ApS")


@pytest.fixture
def api(sandbox: SandboxClient, tenant: dict) -> XeroApi:
    return sandbox.xero(tenant)


def _update(api: XeroApi, invoice_id: str, **fields: object):
    return api.post(f"Invoices/{invoice_id}", json={"Invoices": [{"InvoiceID": invoice_id, **fields}]})


def test_it_computes_totals_exclusive_inclusive_and_no_tax(api: XeroApi) -> None:
    exclusive = create_bill(api)
    assert (exclusive["SubTotal"], exclusive["TotalTax"], exclusive["Total"]) == (100.0, 25.0, 125.0)
    assert exclusive["AmountDue"] == 125.0 and exclusive["AmountPaid"] == 0.0
    assert exclusive["Date"] == "/Date(1741564800000+0000)/" and exclusive["DateString"] == "2025-03-10T00:00:00"
    assert exclusive["Url"] == "https://roger.example/documents/1"
    assert exclusive["LineItems"][0]["LineItemID"]

    inclusive = create_bill(api, LineAmountTypes="Inclusive")
    assert (inclusive["SubTotal"], inclusive["TotalTax"], inclusive["Total"]) == (80.0, 20.0, 100.0)

    no_tax = create_bill(api, LineAmountTypes="NoTax")
    assert (no_tax["TotalTax"], no_tax["Total"]) == (0.0, 100.0)

    override = create_bill(api, LineItems=[{"Description": "x", "Quantity": 3, "UnitAmount": 33.33,
                                            "AccountCode": "429", "TaxType": "INPUT", "TaxAmount": 25.01}])
    assert (override["SubTotal"], override["TotalTax"], override["Total"]) == (99.99, 25.01, 125.0)


def test_it_drops_the_reference_on_bills(api: XeroApi) -> None:
    created = create_bill(api, Reference="ignored on ACCPAY")
    assert created["Reference"] == ""


def test_it_updates_lines_by_line_item_id(api: XeroApi) -> None:
    created = create_bill(api, Status="DRAFT", LineItems=[
        {"Description": "a", "UnitAmount": 10, "AccountCode": "429"},
        {"Description": "b", "UnitAmount": 20, "AccountCode": "429"}])
    first, second = created["LineItems"]
    response = _update(api, created["InvoiceID"], LineItems=[
        {"LineItemID": first["LineItemID"], "UnitAmount": 15},
        {"Description": "c", "UnitAmount": 5, "AccountCode": "400"}])
    assert response.status_code == 200, response.text
    lines = response.json()["Invoices"][0]["LineItems"]
    assert lines[0]["LineItemID"] == first["LineItemID"] and lines[0]["Description"] == "a"
    assert lines[0]["LineAmount"] == 15.0
    assert second["LineItemID"] not in {line["LineItemID"] for line in lines}
    assert len(lines) == 2


def test_it_refuses_an_unknown_line_item_id(api: XeroApi) -> None:
    created = create_bill(api, Status="DRAFT")
    response = _update(api, created["InvoiceID"], LineItems=[
        {"LineItemID": "11111111-1111-1111-1111-111111111111", "Description": "x"}])
    assert response.status_code == 400


def test_it_follows_xeros_status_transitions(api: XeroApi) -> None:
    created = create_bill(api, Status="DRAFT")
    invoice_id = created["InvoiceID"]
    for status in ("SUBMITTED", "DRAFT", "AUTHORISED", "VOIDED"):
        response = _update(api, invoice_id, Status=status)
        assert response.status_code == 200, (status, response.text)
        assert response.json()["Invoices"][0]["Status"] == status

    authorised = create_bill(api)
    for status in ("DRAFT", "SUBMITTED", "DELETED", "PAID"):
        response = _update(api, authorised["InvoiceID"], Status=status)
        assert response.status_code == 400
        assert messages(response.json()) == ["Invoice not of valid status for modification"]

    draft = create_bill(api, Status="DRAFT")
    assert _update(api, draft["InvoiceID"], Status="DELETED").json()["Invoices"][0]["Status"] == "DELETED"


def test_it_creates_only_draft_submitted_or_authorised(api: XeroApi) -> None:
    response = api.put("Invoices", json={"Invoices": [bill(Status="PAID")]})
    assert response.status_code == 400
    body = response.json()
    assert body["ErrorNumber"] == 10 and body["Type"] == "ValidationException"
    assert body["Message"] == "A validation exception occurred"


def test_it_updates_an_unpaid_authorised_bill_that_resends_its_status(api: XeroApi) -> None:
    created = create_bill(api)
    response = _update(api, created["InvoiceID"], Status="AUTHORISED", InvoiceNumber="F-2")
    assert response.status_code == 200
    assert response.json()["Invoices"][0]["InvoiceNumber"] == "F-2"
    # Omitting Status on an approved bill is refused, as Xero does.
    assert _update(api, created["InvoiceID"], InvoiceNumber="F-3").status_code == 400


def test_it_refuses_edits_to_booked_bills(sandbox: SandboxClient, tenant: dict, api: XeroApi) -> None:
    part_paid = create_bill(api)
    assert pay(api, part_paid["InvoiceID"], 10).status_code == 200
    response = _update(api, part_paid["InvoiceID"], Status="AUTHORISED", InvoiceNumber="X")
    assert messages(response.json()) == [
        "This document cannot be edited as it has a payment or credit note allocated to it."]
    void = _update(api, part_paid["InvoiceID"], Status="VOIDED")
    assert void.status_code == 400

    paid = create_bill(api)
    sandbox.xero_action(tenant["tenant_id"], "pay", invoice_id=paid["InvoiceID"])
    voided = create_bill(api)
    sandbox.xero_action(tenant["tenant_id"], "void", invoice_id=voided["InvoiceID"])
    deleted = create_bill(api, Status="DRAFT")
    sandbox.xero_action(tenant["tenant_id"], "delete", invoice_id=deleted["InvoiceID"])
    for invoice in (paid, voided, deleted):
        response = _update(api, invoice["InvoiceID"], Status="AUTHORISED", InvoiceNumber="X")
        assert response.status_code == 400
        assert messages(response.json()) == ["Invoice not of valid status for modification"]

    credited = create_bill(api)
    sandbox.xero_action(tenant["tenant_id"], "credit", invoice_id=credited["InvoiceID"], amount=5)
    response = _update(api, credited["InvoiceID"], Status="AUTHORISED")
    assert messages(response.json()) == [
        "This document cannot be edited as it has a payment or credit note allocated to it."]


def test_it_enforces_lock_dates(sandbox: SandboxClient, tenant: dict, api: XeroApi) -> None:
    before = create_bill(api, Date="2018-11-15")
    sandbox.xero_action(tenant["tenant_id"], "set_lock_dates", period_lock_date="2018-11-30",
                        end_of_year_lock_date="2018-06-30")
    organisation = api.get("Organisation").json()["Organisations"][0]
    assert organisation["PeriodLockDate"] == "/Date(1543536000000+0000)/"
    assert "EndOfYearLockDate" in organisation

    response = api.put("Invoices", json={"Invoices": [bill(Date="2018-11-30")]})
    assert messages(response.json()) == [
        "The document date cannot be before the period lock date, currently set at 30-Nov-2018"]
    response = api.put("Invoices", json={"Invoices": [bill(Date="2018-05-01")]})
    assert messages(response.json()) == [
        "The document date cannot be before the end of year lock date, currently set at 30-Jun-2018"]

    draft = api.put("Invoices", json={"Invoices": [bill(Date="2018-11-01", Status="DRAFT")]})
    assert draft.status_code == 200  # drafts create no journals, so Xero accepts them in a locked period
    draft_id = draft.json()["Invoices"][0]["InvoiceID"]
    assert _update(api, draft_id, Status="AUTHORISED").status_code == 400
    # An approved bill dated in the locked period can no longer be changed or voided.
    assert _update(api, before["InvoiceID"], Status="VOIDED").status_code == 400
    assert create_bill(api, Date="2018-12-01")["Status"] == "AUTHORISED"


@pytest.mark.parametrize(("line", "message"), [
    ({"AccountCode": "999"}, "Account code '999' is not a valid code for this document."),
    ({"AccountCode": "090"}, "Account code '090' is not a valid code for this document."),
    ({"AccountCode": "477"}, "Account code '477' has been archived, or deleted. Each line item must reference "
                             "a valid account."),
    ({"TaxType": "NOPE"}, "The TaxType code 'NOPE' does not exist or cannot be used for this type of "
                          "transaction."),
    ({"Description": ""}, "The description field is mandatory for each line item."),
])
def test_it_validates_line_items(api: XeroApi, line: dict, message: str) -> None:
    base = {"Description": "x", "UnitAmount": 10, "AccountCode": "461", "TaxType": "INPUT"}
    response = api.put("Invoices", json={"Invoices": [bill(LineItems=[{**base, **line}])]})
    assert response.status_code == 400
    assert message in messages(response.json())


def test_it_validates_tracking_contact_and_currency(sandbox: SandboxClient, tenant: dict, api: XeroApi) -> None:
    line = {"Description": "x", "UnitAmount": 10, "AccountCode": "461",
            "Tracking": [{"Name": "Department", "Option": "Nowhere"}]}
    assert api.put("Invoices", json={"Invoices": [bill(LineItems=[line])]}).status_code == 400
    assert api.put("Invoices", json={"Invoices": [bill(CurrencyCode="SEK")]}).json()["Elements"][0][
        "ValidationErrors"] == [{"Message": "Organisation is not subscribed to currency SEK"}]

    created = create_bill(api)
    sandbox.xero_action(tenant["tenant_id"], "archive_contact", contact_id=created["Contact"]["ContactID"])
    response = api.put("Invoices", json={"Invoices": [bill(Contact={"ContactID": created["Contact"]["ContactID"]})]})
    assert messages(response.json()) == [
        "The contact with the specified contact details has been archived. The contact must be un-archived "
        "before creating new invoices or credit notes."]
    response = api.put("Invoices", json={"Invoices": [bill(Type=None, Contact={})]})
    assert len(messages(response.json())) >= 2


def test_it_answers_malformed_json_with_post_data_invalid(api: XeroApi) -> None:
    response = api.put("Invoices", data=b'{"Invoices": [', headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json()["ErrorNumber"] == 14
    assert response.json()["Type"] == "PostDataInvalidException"


def test_it_resolves_one_contact_per_contact_number(api: XeroApi, sandbox: SandboxClient) -> None:
    create_bill(api)
    create_bill(api, Contact={"ContactNumber": "V-100"})
    contacts = sandbox.state()["tenants"][api.tenant["tenant_id"]]["Contacts"]
    assert len(contacts) == 1 and contacts[0]["IsSupplier"] is True


def test_it_keeps_valid_elements_when_summarizing_errors(api: XeroApi, sandbox: SandboxClient) -> None:
    response = api.put("Invoices", json={"Invoices": [bill(Url="u-ok"), bill(Url="u-bad", Status="PAID")]})
    assert response.status_code == 400
    body = response.json()
    assert len(body["Elements"]) == 1 and "u-ok" not in response.text  # the created bill's id is not returned
    urls = [i["Url"] for i in sandbox.state()["tenants"][api.tenant["tenant_id"]]["Invoices"]]
    assert urls == ["u-ok"]  # ...yet it was created, as Xero does


def test_it_returns_every_element_with_summarize_errors_false(api: XeroApi) -> None:
    response = api.put("Invoices?summarizeErrors=false",
                       json={"Invoices": [bill(), bill(LineItems=[{"Description": "x", "AccountCode": "999"}])]})
    assert response.status_code == 200
    good, bad = response.json()["Invoices"]
    assert good["StatusAttributeString"] == "OK" and good["HasErrors"] is False
    assert bad["StatusAttributeString"] == "ERROR" and bad["HasErrors"] is True
    assert bad["InvoiceID"] == "00000000-0000-0000-0000-000000000000"
    assert bad["ValidationErrors"] == [{"Message": "Account code '999' is not a valid code for this document."}]


def test_it_updates_or_creates_with_post(api: XeroApi) -> None:
    created = create_bill(api, Status="DRAFT")
    response = api.post("Invoices?summarizeErrors=false", json={"Invoices": [
        {"InvoiceID": created["InvoiceID"], "InvoiceNumber": "CHANGED"}, bill(InvoiceNumber="NEW")]})
    updated, new = response.json()["Invoices"]
    assert updated["InvoiceID"] == created["InvoiceID"] and updated["InvoiceNumber"] == "CHANGED"
    assert new["InvoiceID"] != created["InvoiceID"] and new["InvoiceNumber"] == "NEW"


def test_it_filters_invoices(api: XeroApi) -> None:
    one = create_bill(api, Url="https://roger.example/documents/1", InvoiceNumber="A-1")
    two = create_bill(api, Url="https://roger.example/documents/2", InvoiceNumber="A-2", Status="DRAFT",
                      Contact={"Name": "Other Vendor", "ContactNumber": "V-200"})

    def ids(**params: str) -> list[str]:
        response = api.get("Invoices", params=params)
        assert response.status_code == 200, response.text
        return [i["InvoiceID"] for i in response.json()["Invoices"]]

    assert ids(where='Type=="ACCPAY" AND Url=="https://roger.example/documents/2"') == [two["InvoiceID"]]
    assert ids(where=f'Contact.ContactID==guid("{one["Contact"]["ContactID"]}") && InvoiceNumber=="A-1"') == [
        one["InvoiceID"]]
    assert ids(where='Status=="DRAFT" OR InvoiceNumber=="A-1"') == [one["InvoiceID"], two["InvoiceID"]]
    assert ids(IDs=two["InvoiceID"]) == [two["InvoiceID"]]
    assert ids(InvoiceNumbers="A-1") == [one["InvoiceID"]]
    assert ids(ContactIDs=two["Contact"]["ContactID"]) == [two["InvoiceID"]]
    assert ids(Statuses="AUTHORISED,DRAFT") == [one["InvoiceID"], two["InvoiceID"]]
    assert ids(where='Date>=DateTime(2025,03,10) AND Total>100') == [one["InvoiceID"], two["InvoiceID"]]
    assert api.get("Invoices", params={"where": 'Status=="'}).status_code == 400


def test_it_returns_line_items_only_when_paging_or_reading_one(api: XeroApi) -> None:
    created = create_bill(api)
    assert api.get("Invoices").json()["Invoices"][0]["LineItems"] == []
    paged = api.get("Invoices", params={"page": 1}).json()
    assert len(paged["Invoices"][0]["LineItems"]) == 1
    assert paged["pagination"] == {"page": 1, "pageSize": 100, "pageCount": 1, "itemCount": 1}
    one = api.get(f"Invoices/{created['InvoiceID']}").json()["Invoices"][0]
    assert one["LineItems"][0]["LineItemID"] == created["LineItems"][0]["LineItemID"]


def test_it_pages_by_100(api: XeroApi) -> None:
    response = api.put("Invoices", json={"Invoices": [bill(InvoiceNumber=f"N-{n}") for n in range(105)]})
    assert response.status_code == 200
    page2 = api.get("Invoices", params={"page": 2}).json()
    assert len(page2["Invoices"]) == 5 and page2["pagination"]["pageCount"] == 2
    assert len(api.get("Invoices", params={"page": 1, "pageSize": 10}).json()["Invoices"]) == 10


def test_it_answers_404_for_an_unknown_invoice(api: XeroApi) -> None:
    assert api.get("Invoices/6f0e8ae7-5a2b-4b43-9c52-9b1f1f1f1f1f").status_code == 404


def test_it_speaks_xml_unless_asked_for_json(api: XeroApi) -> None:
    create_bill(api)
    response = api.get("Invoices", headers={"Accept": "*/*"})
    assert response.headers["Content-Type"].startswith("text/xml")
    assert response.text.startswith("<Response>")
