"""Conformance: every request the connector sent and every answer the sandbox gave during the contract
scenarios validates against Xero's OpenAPI description (``make contract``, ``ROGER_XERO_OPENAPI`` set)."""

from __future__ import annotations

import pytest

from integrations.connectors.http import make_session
from tests.connectors.xero_conformance import ConformanceRecorder, spec_path
from tests.connectors.xero_scenarios import SCENARIOS, XeroEnv

pytestmark = pytest.mark.contract


def test_contract_scenarios_conform_to_xeros_openapi_description(sandbox):
    path = spec_path()
    assert path is not None and path.is_file()  # the autouse guard in conftest.py fails loudly before this
    recorder = ConformanceRecorder(path).load()
    for scenario in SCENARIOS:
        sandbox.reset()
        session = recorder.attach(make_session())
        scenario(XeroEnv(sandbox, session))
        recorder.validate_pending()
    print(
        f"OpenAPI conformance: {recorder.checked} exchanges, {recorder.requests_valid} valid requests, "
        f"{recorder.responses_valid} valid responses, {recorder.undocumented} with statuses the spec leaves out"
    )
    assert recorder.problems == []
    # Validation really ran, over every kind of call the connector makes.
    assert recorder.checked >= 100, recorder.checked
    assert recorder.requests_valid == recorder.checked
    assert recorder.responses_valid >= 90, recorder.responses_valid
    operations = {
        (e.method, e.url.split("?")[0].rsplit("/api.xro/2.0", 1)[1].split("/")[1]) for e in recorder.exchanges
    }
    for expected in [
        ("PUT", "Invoices"),
        ("POST", "Invoices"),
        ("GET", "Invoices"),
        ("PUT", "Payments"),
        ("POST", "Payments"),
        ("GET", "Payments"),
        ("GET", "Contacts"),
        ("PUT", "Contacts"),
        ("GET", "Organisation"),
        ("GET", "Accounts"),
        ("GET", "TaxRates"),
        ("GET", "TrackingCategories"),
        ("PUT", "CreditNotes"),
        ("POST", "CreditNotes"),
        ("GET", "CreditNotes"),
    ]:
        assert expected in operations, expected
    # The sub-resources of issue 15: allocations and files.
    templates = {(e.method, _template(e.url)) for e in recorder.exchanges}
    for expected in [
        ("PUT", "/CreditNotes/{id}/Allocations"),
        ("DELETE", "/CreditNotes/{id}/Allocations/{id}"),
        ("PUT", "/Invoices/{id}/Attachments/{name}"),
        ("PUT", "/CreditNotes/{id}/Attachments/{name}"),
        ("GET", "/Invoices/{id}/Attachments"),
    ]:
        assert expected in templates, expected


def _template(url: str) -> str:
    import re

    path = url.split("?")[0].rsplit("/api.xro/2.0", 1)[1]
    path = re.sub(r"/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "/{id}", path)
    return re.sub(r"(/Attachments)/[^/]+$", r"\1/{name}", path)


def test_the_recorder_checks_an_uploads_parameters_and_takes_its_raw_bytes():
    import responses

    recorder = ConformanceRecorder(spec_path()).load()
    session = recorder.attach(make_session())
    url = "https://api.xero.com/api.xro/2.0/Invoices/6c1a0a62-1f0e-4b8e-9a55-0d2b7c9e1a01/Attachments/bill-1.pdf"
    headers = {"Content-Type": "application/octet-stream", "xero-tenant-id": "70784a63-d24b-46a9-a4db-0e70a274b056"}
    with responses.RequestsMock() as mock:
        mock.put(url, json={"Attachments": [{"FileName": "bill-1.pdf", "ContentLength": 6}]})
        session.put(url, data=b"%PDF\x00\xff", headers=headers)
        mock.put(url, json={"Attachments": []})
        session.put(url, data=b"%PDF\x00\xff", params={"IncludeOnline": "maybe"}, headers=headers)
    problems = recorder.validate_pending()
    assert len(problems) == 1 and "IncludeOnline" in problems[0], problems
    assert recorder.requests_valid == 1 and recorder.responses_valid == 2


def test_the_recorder_catches_invalid_exchanges():
    import json

    import responses

    recorder = ConformanceRecorder(spec_path()).load()
    session = recorder.attach(make_session())
    with responses.RequestsMock() as mock:
        mock.put("https://api.xero.com/api.xro/2.0/Invoices", json={"Invoices": [{"Total": "abc"}]})
        session.put(
            "https://api.xero.com/api.xro/2.0/Invoices",
            params={"summarizeErrors": "maybe"},
            data=json.dumps({"Invoices": [{"Type": "BOGUS", "LineItems": [{"Quantity": "x"}]}]}),
            headers={"Content-Type": "application/json"},
        )
    problems = recorder.validate_pending()
    assert len(problems) == 2
    assert "xero-tenant-id" in problems[0] and "Quantity" in problems[0] and "summarizeErrors" in problems[0]
    assert "Total" in problems[1]
