"""The operators' admin in Danish (QA walk): sections, models, filters, columns and page titles are in the viewer's
language, and a credit note's entries read as the app says them (credit note, allocation or refund), with the
document's kind beside the entry's, not as "vendor bill" and "vendor payment"."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from documents.models import Document
from integrations.models import BulkResync, ErpEntry, Integration, SyncAttempt
from roger.models import Company
from tests.factories import DocumentFactory

pytestmark = pytest.mark.django_db

# What the QA walk saw in English on Danish pages (the admin's CSS shows some in capitals).
ENGLISH = [
    "Companies and members",
    "Companies",
    "Memberships",
    "Sync attempts",
    "sync attempt",
    "Bulk resyncs",
    "Bulk re-syncs",
    "ERP entries",
    "Efter company",
    "Efter outcome",
    "Efter error category",
    "Efter entry kind",
    "Created at",
    "Entry kind",
    "Duration ms",
    "Duration (ms)",
]


@pytest.fixture
def scene():
    call_command("seed_demo")
    company = Company.objects.get(slug="nordlys")
    xero = Integration.objects.create(company=company, kind="xero", name="Xero ops", connection="connected")
    master = {"vendor": company.vendors.first(), "category": None, "department": None, "vat_code": None}
    bill = DocumentFactory(company=company, invoice_number="INV-ADMIN-1", **master)
    note = DocumentFactory(
        company=company,
        **master,
        kind=Document.Kind.CREDIT_NOTE,
        credits=bill,
        invoice_number="CN-ADMIN-1",
        total=Decimal("-125.00"),
        vat=Decimal("-25.00"),
    )
    for document, kind in [(bill, "bill"), (note, "bill"), (note, "payment")]:
        ErpEntry.objects.create(document=document, integration=xero, kind=kind, state="synced", erp_number="E-1")
        SyncAttempt.objects.create(
            company=company,
            document=document,
            integration=xero,
            entry_kind=kind,
            trigger="event",
            action="create",
            outcome="success",
            duration_ms=120,
        )
    BulkResync.objects.create(company=company, integration=xero, total=3)
    return {"bill": bill, "note": note}


def _client(language: str) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    assert client.login(username="operator", password="roger-demo")
    return client


def _page(client: Client, url: str) -> str:
    r = client.get(url)
    assert r.status_code == 200, url
    return r.content.decode()


def _rows(html: str) -> list[tuple[str, str]]:
    """The changelist's rows of this test's documents: [(invoice number, the row's text), …]."""
    table = re.search(r'<table id="result_list">(.*?)</table>', html, re.S).group(1)
    rows = [re.sub(r"<[^>]+>", " ", row) for row in re.findall(r"<tr>(.*?)</tr>", table, re.S)]
    return [(m.group(0), row) for row in rows if (m := re.search(r"(INV|CN)-ADMIN-\d", row))]


PAGES = {
    "admin:index": [
        "Virksomheder og medlemmer",
        "Virksomheder",
        "Medlemskaber",
        "Integrationer",
        "Synkroniseringsforsøg",
        "Samlede synkroniseringer",
        "Posteringer i økonomisystemet",
        "Bilag",
    ],
    "admin:integrations_syncattempt_changelist": [
        "Vælg synkroniseringsforsøg, der skal vises",
        "Efter virksomhed",
        "Efter udfald",
        "Efter fejlkategori",
        "Efter posteringstype",
        "Oprettet",
        "Posteringstype",
        "Bilagstype",
        "Varighed (ms)",
    ],
    "admin:integrations_erpentry_changelist": [
        "Vælg postering i økonomisystemet, der skal vises",
        "Efter posteringstype",
        "Udligning eller tilbagebetaling",
        "Senest synkroniseret",
    ],
    "admin:integrations_bulkresync_changelist": ["Vælg samlet synkronisering, der skal vises", "Bestilt af"],
    "admin:roger_company_changelist": ["Vælg virksomhed, der skal ændres", "Basisvaluta", "Oprettet"],
    "admin:roger_membership_changelist": ["Vælg medlemskab, der skal ændres", "Efter virksomhed", "Efter rolle"],
}


def test_the_operators_admin_pages_are_danish(scene):
    client = _client("da")
    for name, words in PAGES.items():
        urls = [reverse(name)]
        if name == "admin:integrations_syncattempt_changelist":
            urls.append(urls[0] + "?outcome__exact=success&entry=credit_note")  # with filters chosen
        for url in urls:
            html = _page(client, url)
            for danish in words:
                assert danish in html, (url, danish)
            for english in ENGLISH:
                assert english not in html, (url, english)


def test_a_credit_notes_entries_read_as_the_app_says_them_beside_the_documents_kind(scene):
    vendor = scene["note"].vendor.name
    for name in ["admin:integrations_erpentry_changelist", "admin:integrations_syncattempt_changelist"]:
        rows = _rows(_page(_client("en"), reverse(name)))
        [bill] = [row for number, row in rows if number == "INV-ADMIN-1"]
        assert "Vendor bill" in bill and "Invoice" in bill, name
        notes = [row.replace(vendor, "") for number, row in rows if number == "CN-ADMIN-1"]
        assert len(notes) == 2 and all("Credit note" in row for row in notes), name  # the document's kind
        assert sum("Allocation" in row for row in notes) == 1, name  # the payment: allocated against its bill
        assert not any("Vendor" in row for row in notes), name
        rows = _rows(_page(_client("da"), reverse(name)))
        notes = [row.replace(vendor, "") for number, row in rows if number == "CN-ADMIN-1"]
        assert all("Kreditnota" in row and "Leverandør" not in row for row in notes), name
        assert sum("Udligning" in row for row in notes) == 1, name
    # The entry's own page: the entry kind in words, the document's kind beside it.
    entry = ErpEntry.objects.get(document=scene["note"], kind="payment")
    html = _page(_client("en"), reverse("admin:integrations_erpentry_change", args=[entry.pk]))
    fields = html[html.index('<fieldset class="module aligned') :]
    assert "Allocation" in fields and "Credit note" in fields and "Vendor payment" not in fields


def test_the_entry_kind_filter_tells_a_credit_notes_entries_apart(scene):
    client = _client("en")
    expected = {
        "bill": {("INV-ADMIN-1", "bill")},
        "payment": set(),
        "credit_note": {("CN-ADMIN-1", "bill")},
        "allocation_or_refund": {("CN-ADMIN-1", "payment")},
    }
    for choice, entries in expected.items():
        for name, field in [("erpentry", "kind"), ("syncattempt", "entry_kind")]:
            r = client.get(reverse(f"admin:integrations_{name}_changelist"), {"entry": choice})
            assert r.status_code == 200
            shown = {(o.document.invoice_number, getattr(o, field)) for o in r.context["cl"].result_list}
            assert {s for s in shown if "ADMIN" in s[0]} == entries, (name, choice)
