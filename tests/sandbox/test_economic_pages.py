"""The e-conomic sandbox's web app: the pages a person opens from Roger's "open in e-conomic" links.

Over real HTTP with plain ``requests`` calls that carry no tokens (a person in a browser); what the buttons do
is checked through the API, as Roger would see it.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
import requests

from integrations.connectors.base import BillData, BillLine, EntryKind, Outcome, VendorData, WriteItem
from integrations.connectors.economic import EconomicConnector
from tests.sandbox.economic_helpers import EconomicSandbox, this_year, voucher

DAY = f"{this_year()}-03-10"  # the helpers' supplier invoice date


@pytest.fixture
def eco(sandbox) -> EconomicSandbox:
    return EconomicSandbox(sandbox)


@pytest.fixture
def agreement(eco) -> dict[str, Any]:
    return eco.agreement("Nordlys ApS")


@pytest.fixture
def api(eco, agreement):
    return eco.api(agreement)


def create_voucher(api, **entry: Any) -> str:
    """A supplier-invoice voucher in Roger's journal 10, as Roger posts it; → "year-number"."""
    response = api.post("journals/10/vouchers", json=voucher(**entry))
    assert response.status_code == 201, response.text
    body = response.json()
    return f"{body['accountingYear']['year']}-{body['voucherNumber']}"


def journal_page(eco, ref: str | None = None, journal: int = 10) -> requests.Response:
    params = {"voucher": ref} if ref else {}
    return requests.get(f"{eco.url}/economic/app/secure/journals/{journal}", params=params, timeout=5)


def act(eco, agreement, action: str, ref: str = "", shown: str = "", journal: int = 10) -> requests.Response:
    form = {"agreement": agreement["agreement_number"], "journal": journal, "action": action}
    if ref:
        form["voucher"] = ref
    if shown:
        form["shown"] = shown
    return requests.post(f"{eco.url}/economic/app/secure/act", data=form, timeout=5)


def requested_row(page: str) -> str:
    rows = re.findall(r"<tr class='requested'[^>]*>.*?</tr>", page)
    assert len(rows) == 1, page
    return rows[0]


def draft(api, ref: str) -> requests.Response:
    return api.get(f"journals/10/vouchers/{ref}")


def test_the_journal_page_shows_a_voucher_roger_created_highlighted_and_escaped(eco, agreement, api):
    ref = create_voucher(api, text="Paper <script>alert(1)</script> [roger-0123456789abcdef]", amount=125.00)
    page = journal_page(eco, ref)

    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    assert "Nordlys ApS (agreement" in page.text
    row = requested_row(page.text)
    assert f"<td>{ref}</td>" in row
    assert "200 Existing Supplier ApS" in row and "<td>F-1</td>" in row and "125.00 DKK" in row
    assert "2200 Office supplies" in row and "I25 25.00" in row and f"<td>{DAY}</td>" in row
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in row and "<script>alert(1)" not in page.text
    # The bookkeeper's own draft in the same journal is listed too, but not highlighted.
    assert "Rent typed by the bookkeeper" in page.text and "Rent typed" not in row
    assert "value='book_voucher'" in row and "value='close_period'" in row
    assert "value='book_journal'" in page.text


def test_book_this_voucher_books_it_and_lands_on_the_booked_voucher(eco, agreement, api):
    ref = create_voucher(api)
    year, number = ref.split("-")
    humans = draft(api, f"{year}-1")
    assert humans.status_code == 200  # the bookkeeper's draft, which booking one voucher must leave alone

    booked = act(eco, agreement, "book_voucher", ref, shown=ref)

    assert booked.status_code == 200 and booked.url.endswith(f"/economic/app/secure/vouchers/{ref}")
    assert "6800 Suppliers (creditors)" in booked.text and "-125.00 DKK" in booked.text
    assert draft(api, ref).status_code == 404  # no longer a draft
    lines = api.get(f"accounting-years/{year}/entries", params={"pagesize": 1000}).json()["collection"]
    assert sorted(line["amount"] for line in lines if line["voucherNumber"] == int(number)) == [-125.0, 25.0, 100.0]
    entry_number = humans.json()["entries"]["supplierInvoices"][0]["journalEntryNumber"] + 1
    again = api.post("journalsapi/v15.0.0/journals/10/bookdraftentries", json={"entryNumbers": [entry_number]})
    assert again.status_code == 400 and again.json()["errors"][0]["errorCode"] == "JournalEntryDoesNotExist"
    assert draft(api, f"{year}-1").status_code == 200  # only that voucher was booked
    # Roger's old draft link now says where the voucher went.
    stale = journal_page(eco, ref)
    assert stale.status_code == 200 and f"/economic/app/secure/vouchers/{ref}" in stale.text


def test_book_the_whole_journal_books_every_draft_of_that_journal_only(eco, agreement, api):
    ref = create_voucher(api)
    year = ref.split("-")[0]

    booked = act(eco, agreement, "book_journal", shown=ref)

    assert booked.status_code == 200 and booked.url.endswith(f"/secure/vouchers/{ref}")
    entries = api.get("journals/10/entries").json()["collection"]
    assert entries == []
    assert len(api.get("journals/5/entries").json()["collection"]) == 1  # the daily journal is untouched
    numbers = {line["voucherNumber"] for line in api.get(f"accounting-years/{year}/entries").json()["collection"]}
    assert numbers == {1, int(ref.split("-")[1])}
    assert "No draft entries." in journal_page(eco).text


def test_closing_the_period_of_an_entry_makes_later_writes_to_that_date_fail(eco, agreement, api):
    ref = create_voucher(api)

    closed = act(eco, agreement, "close_period", ref, shown=ref)

    assert closed.status_code == 200 and closed.url.endswith(f"/secure/journals/10?voucher={ref}")
    row = requested_row(closed.text)
    assert "value='reopen_period'" in row and "is closed for further transactions" in row
    refused = api.post("journals/10/vouchers", json=voucher(text="Late [roger-0123456789abcdef]"))
    assert refused.status_code == 400 and "is closed for further transactions" in refused.text
    later = api.post("journals/10/vouchers", json=voucher(date=f"{this_year()}-04-02", dueDate=None))
    assert later.status_code == 201  # only that month is closed
    # Booking into the closed period is refused on the page too, as by the API, and nothing is booked.
    book = act(eco, agreement, "book_voucher", ref, shown=ref)
    assert book.status_code == 400 and "is closed for further transactions" in book.text
    assert f"/secure/journals/10?voucher={ref}" in book.text  # a way back
    assert draft(api, ref).status_code == 200

    reopened = act(eco, agreement, "reopen_period", ref, shown=ref)
    assert "value='close_period'" in requested_row(reopened.text)
    assert api.post("journals/10/vouchers", json=voucher()).status_code == 201


def test_the_home_page_lists_each_agreement_with_its_journals_and_counts(eco, agreement, api):
    create_voucher(api)
    ref = create_voucher(api)
    act(eco, agreement, "book_voucher", ref)

    home = requests.get(f"{eco.url}/", timeout=5)

    assert home.status_code == 200 and "Nordlys ApS (agreement" in home.text
    rows = dict(re.findall(r"<tr><td><a href='(/economic/app/secure/journals/\d+)'>.*?</a></td>(.*?)</tr>", home.text))
    assert rows["/economic/app/secure/journals/10"] == "<td>2</td><td>1</td>"  # human + Roger's draft; 1 booked
    assert rows["/economic/app/secure/journals/5"] == "<td>1</td><td>0</td>"
    assert journal_page(eco).status_code == 200  # the links open


def test_the_pages_need_no_tokens_and_use_none_of_the_api_fair_use(eco, agreement, api):
    eco.configure(calls_per_day=3)
    ref = create_voucher(api)  # API call 1 of the day's 3
    for _ in range(5):
        assert journal_page(eco, ref).status_code == 200
    assert act(eco, agreement, "book_voucher", ref).status_code == 200  # + the voucher page it lands on

    assert [api.get("self").status_code for _ in range(3)] == [200, 200, 429]  # pages used none of the 3
    pages = [r for r in eco.requests() if r["path"].startswith("/economic/app/")]
    assert len(pages) == 7 and all(r["tenant"] is None for r in pages)  # logged as pages, not the tenant's calls
    eco.action(agreement, "revoke_grant")  # a person's login does not depend on the app's grant
    assert api.get("self").status_code == 401
    assert requests.get(f"{eco.url}/economic/app/secure/vouchers/{ref}", timeout=5).status_code == 200


def test_unknown_pages_answer_a_clear_404(eco, agreement, api):
    ref = create_voucher(api)
    year = ref.split("-")[0]
    cases = {
        f"{eco.url}/economic/app/secure/journals/77": "No agreement has a journal 77",
        f"{eco.url}/economic/app/secure/journals/10?voucher={year}-99": f"Voucher {year}-99 is neither a draft",
        f"{eco.url}/economic/app/secure/journals/10?voucher=nonsense": "is not a voucher",
        f"{eco.url}/economic/app/secure/vouchers/{year}-99": f"No booked voucher {year}-99",
        f"{eco.url}/economic/app/secure/nowhere": "has no page",
    }
    for url, message in cases.items():
        page = requests.get(url, timeout=5)
        assert page.status_code == 404 and message in page.text, url
    still_draft = requests.get(f"{eco.url}/economic/app/secure/vouchers/{ref}", timeout=5)
    assert still_draft.status_code == 404 and f"/secure/journals/10?voucher={ref}" in still_draft.text
    unknown = act(eco, agreement, "delete-everything", ref)
    assert unknown.status_code == 400 and "Unknown action" in unknown.text
    assert draft(api, ref).status_code == 200


def test_the_links_the_connector_builds_open_the_draft_and_then_the_booked_voucher(eco, agreement):
    """End to end: Roger's "open in e-conomic" link for an entry it created, before and after booking."""
    conn = EconomicConnector(
        api_url=f"{eco.url}/economic",
        apis_url=f"{eco.url}/economic",
        app_url=f"{eco.url}/economic/app",  # as the demo's ECONOMIC_APP_URL
        app_secret_token=agreement["app_secret_token"],
        agreement_grant_token=agreement["agreement_grant_token"],
        journal_number=10,
        timeout=(3.05, 5),
    )
    bill = BillData(
        marker="https://roger.example/documents/1/",
        vendor=VendorData(number="1001", name="Chairs A/S", tax_number="DK12345678"),
        invoice_number="INV-1",
        issue_date=date.fromisoformat(DAY),
        due_date=date.fromisoformat(f"{this_year()}-04-10"),
        currency="DKK",
        total=Decimal("1250.00"),
        vat=Decimal("250.00"),
        description="Office chairs",
        lines=(BillLine("Office chairs", Decimal("1000.00"), Decimal("250.00"), "2200", "I25", ()),),
    )
    [result] = conn.create(EntryKind.BILL, [WriteItem(ref="doc-1", data=bill, idempotency_key="k-1")])
    assert result.outcome is Outcome.CREATED, result.error

    opened = requests.get(result.state.url, timeout=5)
    assert opened.status_code == 200
    row = requested_row(opened.text)
    assert f"<td>{result.state.erp_id}</td>" in row and "Chairs A/S" in row and "INV-1" in row

    act(eco, agreement, "book_voucher", result.state.erp_id)
    state = conn.read(EntryKind.BILL, [result.state.erp_id])[result.state.erp_id]
    assert state.status == "booked" and state.url != result.state.url
    ledger = requests.get(state.url, timeout=5)
    assert ledger.status_code == 200 and "INV-1" in ledger.text and "Chairs A/S" in ledger.text
