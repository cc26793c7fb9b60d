"""Issue #15 point 5: the e-conomic connector's own messages — made here by the connector's code, not copied — read
in Danish; a message inside another (a booked reason inside a refusal, a phrase inside a sentence) is translated too,
a single word inside one is a value and stays; the ERP's own words are never claimed as Roger's.  And the file
messages that the engine and the shared limits write in English read in Danish as well."""

from __future__ import annotations

import hashlib
from decimal import Decimal

import pytest
from django.utils import translation

from integrations import stored_text
from integrations.connectors.attachments import AttachItem, AttachmentLimits, FileRef
from integrations.connectors.base import EntryKind, EntryState
from integrations.connectors.economic import attach_results, entries, errors
from tests.connectors.economic_scenarios import bill, payment

PDF = b"%PDF-1.4\n%%EOF\n"


def danish(text: str) -> stored_text.Shown:
    with translation.override("da"):
        return stored_text.shown(text)


def item(name: str = "INV-1.pdf") -> AttachItem:
    file = FileRef(name, "application/pdf", len(PDF), hashlib.sha256(PDF).hexdigest())
    return AttachItem("doc-1", EntryKind.BILL, "2026-3", False, file, PDF)


def test_the_connector_s_refusals_read_in_danish():
    allocation = entries.precheck(EntryKind.PAYMENT, payment(credit_note=True, allocate_to="2026-3"))
    assert allocation is not None
    shown = danish(allocation.message)
    assert shown.roger and shown.text == (
        "Roger udligner ikke kreditnotaer mod fakturaer i e-conomic (API'et kan ikke fortryde en udligning)"
    )
    assert danish(allocation.hint).text == "Udlign kreditnotaen med fakturaen i e-conomic (leverandørens åbne poster)."
    negative = entries.precheck(EntryKind.BILL, bill(total=Decimal("-1.00")))
    assert negative is not None and danish(negative.message).text == "Beløbet i alt skal være positivt"


def test_a_booked_reason_inside_a_refusal_is_translated_too():
    state = EntryState(
        erp_id="2026-3", kind=EntryKind.BILL, booked=True, booked_reason=errors.BOOKED_REASON.format(voucher="2026-3")
    )
    result = attach_results.kept_on_booked(item(), state, {}, 7)
    assert result.error is not None
    assert danish(result.error.message).text == (
        "Bogført i e-conomic (bilag 2026-3): det beholder den fil, Roger vedhæftede tidligere (dokument 7)"
    )
    assert danish(result.error.hint).text.startswith("Det bogførte bilag beholder den fil, det har.")


def test_a_phrase_inside_a_sentence_is_translated_and_a_word_stays_a_value():
    refusal = entries.vat_refusal(bill(vat=Decimal("200.00")), "I25", Decimal("25"), "change the draft")
    assert refusal is not None
    assert danish(refusal.message).text == (
        "For at ændre kladden beregner e-conomic momsen ud fra momskode I25 (25 %): 250,00; fakturaen siger 200,00"
    )
    # "Invoice" is also a message of its own ("Faktura"), but here it is a file's name.
    refused = attach_results.too_big_or_wrong_type(item("Invoice"), 413)
    assert danish(refused.message).text == "e-conomic afviste Invoice, fordi den er for stor (HTTP 413)"


def test_amounts_and_rates_inside_a_message_are_shown_in_the_reader_s_notation():
    refusal = entries.vat_refusal(bill(total=Decimal("31234.55"), vat=Decimal("990.68")), "I25", Decimal("25"), "x y")
    assert refusal is not None and refusal.message.endswith("(25%): 6246.91; the bill says 990.68")  # stored plain
    assert danish(refusal.message).text.endswith("(25 %): 6.246,91; fakturaen siger 990,68")
    with translation.override("en"):
        assert stored_text.translate(refusal.message).endswith("(25%): 6,246.91; the bill says 990.68")
    reduced = entries.vat_refusal(bill(vat=Decimal("100.00")), "I12", Decimal("12.5"), "x y")
    assert reduced is not None and danish(reduced.message).text.endswith("(12,5 %): 138,89; fakturaen siger 100,00")
    # A number that is not an amount stays as written: a CVR number in {theirs}, an invoice number in {number}.
    cvr = "Supplier 1001 in e-conomic (Chairs A/S) has CVR 12345678, not 87654321"
    assert danish(cvr).text == "Leverandør 1001 i e-conomic (Chairs A/S) har CVR 12345678, ikke 87654321"


def test_the_erp_s_own_words_around_roger_s_stay_the_erp_s():
    problem = errors.problem_error(
        EntryKind.BILL,
        {
            "errors": [
                {"errorCode": "JournalEntryTypeNotCorrect", "message": "Entry type 3 is not allowed (journal 10)"}
            ]
        },
        400,
    )
    assert danish(problem.message).text == (
        "Rogers kassekladde tager ikke denne posteringstype (Entry type 3 is not allowed (journal 10))"
    )
    erp_words = danish("Account 4010 is barred (code 12)")
    assert not erp_words.roger and erp_words.text == "Account 4010 is barred (code 12)"


@pytest.mark.parametrize(
    ("file", "text"),
    [
        (
            FileRef("scan.gif", "image/gif", 10, "x"),
            "scan.gif er en image/gif-fil, som økonomisystemet ikke modtager som vedhæftning.",
        ),
        (
            FileRef("big.pdf", "application/pdf", 12_000_000, "x"),
            "big.pdf fylder 12.0 MB; økonomisystemet modtager filer på højst 9 MB.",
        ),
    ],
)
def test_the_shared_limits_refusals_read_in_danish(file, text):
    limits = AttachmentLimits(max_bytes=9_437_184, content_types=frozenset({"application/pdf"}))
    assert danish(limits.refusal(file)).text == text
