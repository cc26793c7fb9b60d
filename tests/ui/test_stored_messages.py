"""Issue #14 point 4 (ERP and R15 messages) and point 9 (no protocol words): what the engine, the mapper and the
connectors store in English is shown in the reader's language; the ERP's own words stay as the ERP wrote them,
labelled as such; every marked message is in the catalogue."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import responses
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from integrations import stored_text
from integrations.connectors.base import ConnectorError
from integrations.connectors.xero_oauth import XeroOAuthClient
from integrations.sync import mapper
from tests.factories import CategoryFactory
from tests.ui.conftest import HTMX, attempt, entry
from tests.ui.test_languages import _po_entries

pytestmark = pytest.mark.django_db
DA = {"HTTP_ACCEPT_LANGUAGE": "da"}
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
XERO_WORDS = "A validation exception occurred: Account code '4010' is not a valid code for this document."


def _setup_error(document, integration) -> mapper.MappingError:
    with pytest.raises(mapper.MappingError) as raised:
        mapper.bill_data(document, integration)
    return raised.value


def test_an_unmapped_category_s_own_code_is_not_taken_for_the_erp_account(make_document, company, xero):
    travel = CategoryFactory(company=company, name="Travel", account_code="493")
    error = _setup_error(make_document(category=travel), xero).error
    assert error.message == "Category “Travel” (493 in Roger) has no Xero account mapped."
    assert error.hint == "Map it in Integrations settings → Xero → Mappings, then re-sync."


def test_a_mapper_message_made_in_english_reads_in_danish(make_document, company, xero):
    travel = CategoryFactory(company=company, name="Travel", account_code="")
    error = _setup_error(make_document(category=travel), xero).error
    assert error.message == "Category “Travel” is not mapped to an account in Xero."
    with translation.override("da"):
        assert stored_text.translate(error.message) == "Kategorien “Travel” er ikke tilknyttet en konto i Xero."
        assert stored_text.translate(error.hint) == (
            "Tilknyt den under Integrationer → Xero → Tilknytninger, og synkronisér så igen."
        )
    with translation.override("en"):
        assert stored_text.translate(error.message) == error.message


def test_the_log_shows_roger_s_messages_translated_and_the_erp_s_words_as_written(
    accountant_client, make_document, xero
):
    document = make_document()
    attempt(
        document,
        xero,
        reference="SA-ROGERMSG1",
        outcome="failed",
        action="none",
        error_category="setup",
        erp_message="Category “Travel” is not mapped to an account in Xero.",
        hint="Map it in Integrations settings → Xero → Mappings, then re-sync.",
        request_data={},
    )
    attempt(
        document,
        xero,
        reference="SA-ERPWORDS1",
        outcome="failed",
        action="create",
        error_category="setup",
        erp_message=XERO_WORDS,
        hint="Map the category to an active Xero account in the integration settings.",
    )
    url = reverse("integrations:document_tab", args=[document.pk])
    html = accountant_client.get(url, {"integration": xero.pk}, headers=HTMX, **DA).content.decode()
    assert "Kategorien “Travel” er ikke tilknyttet en konto i Xero." in html
    assert "Tilknyt den under Integrationer → Xero → Tilknytninger" in html
    assert "Ordret fra Xero" in html and f"“{XERO_WORDS}”".replace("'", "&#x27;") in html  # the ERP's own words
    assert "Tilknyt kategorien en aktiv konto i Xero under integrationsindstillingerne." in html
    html = accountant_client.get(url, {"integration": xero.pk}, headers=HTMX, **EN).content.decode()
    assert "Xero's own words" in html and "Category “Travel” is not mapped" in html


def test_a_message_made_of_several_sentences_is_translated_sentence_by_sentence():
    stored = (
        "The vendor bill is booked in Xero and still has other data than Roger (total 1000.00 → 1250.00). "
        "Writing the payment would leave the bill and its payment disagreeing, so nothing was sent. Paid in Xero"
    )
    with translation.override("da"):
        shown = stored_text.shown(stored)
    assert shown.roger and shown.text == (
        "Leverandørfakturaen er bogført i Xero og har stadig andre data end Roger (total 1000.00 → 1250.00). "
        "Hvis betalingen blev skrevet, ville fakturaen og dens betaling ikke stemme overens, så intet blev sendt. "
        "Betalt i Xero"
    )


def test_badges_groups_and_connection_states_are_translated(admin_client_, make_document, xero):
    failed = make_document(invoice_number="F-1")
    entry(
        failed,
        xero,
        state="failed",
        needs_attention=True,
        error_category="setup",
        error_message="No bank account is chosen for payments in Xero.",
        error_hint="Map it in Integrations settings → Xero → Mappings, then re-sync.",
    )
    html = admin_client_.get(reverse("documents:list"), {"tab": "attention"}, **DA).content.decode()
    assert "Der er ikke valgt en bankkonto til betalinger i Xero." in html  # the group and the badge's tooltip
    assert html.count("Der er ikke valgt en bankkonto til betalinger i Xero.") >= 2
    xero.connection_message = "Connected to Nordlys Demo."
    xero.save(update_fields=["connection_message"])
    html = admin_client_.get(reverse("integrations:settings"), **DA).content.decode()
    assert "Forbundet til Nordlys Demo." in html


@responses.activate
def test_a_refused_grant_says_so_without_protocol_words(admin_client_, xero):
    responses.post("https://identity.xero.test/connect/token", json={"error": "invalid_grant"}, status=400)
    client = XeroOAuthClient(
        client_id="id",
        client_secret="secret",
        login_url="https://login.xero.test",
        identity_url="https://identity.xero.test",
        api_url="https://api.xero.test",
        redirect_uri="http://testserver/cb",
    )
    with pytest.raises(ConnectorError) as refused:
        client.refresh("a-refresh-token")
    error = refused.value.error
    assert error.code == "invalid_grant"  # for the engine
    assert "invalid_grant" not in error.message and "invalid_grant" not in error.hint  # for a person
    xero.connection = "needs_reconnect"
    xero.connection_message = error.message
    xero.save(update_fields=["connection", "connection_message"])
    html = admin_client_.get(reverse("integrations:settings"), **DA).content.decode()
    assert "Xero accepterer ikke længere Rogers forbindelse" in html and "invalid_grant" not in html


def _marked_messages() -> set[str]:
    """Every N_("…") literal in the code (the stored messages), read with Python's own parser."""
    found = set()
    for path in (Path(settings.BASE_DIR) / "integrations").rglob("*.py"):
        if "sandbox" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            is_marker = isinstance(node, ast.Call) and getattr(node.func, "id", "") == "N_" and node.args
            if is_marker and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
                found.add(node.args[0].value)
    return found


def test_every_stored_message_is_in_the_danish_catalogue():
    marked = _marked_messages()
    assert len(marked) > 150
    catalogue = {msgid for msgid, _ in _po_entries()}
    assert sorted(marked - catalogue) == []
