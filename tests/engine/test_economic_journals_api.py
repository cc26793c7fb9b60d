"""The engine against the e-conomic sandbox where e-conomic's Journals API decides what happens: a draft the
accountant changed between Roger's read and its write (objectVersion), a voucher Roger cannot prove is its own,
and a foreign-currency bill in a DKK agreement."""

from __future__ import annotations

from decimal import Decimal

import pytest

from documents import services
from integrations.connectors.economic import marker_token
from integrations.models import ErpEntry, SyncAttempt
from integrations.sync import mapper
from integrations.sync.planning import plan_document
from integrations.sync.requests import request_resync
from tests.engine.conftest import EconomicErp, make_economic_integration
from tests.engine.helpers import membership, run

pytestmark = pytest.mark.django_db


@pytest.fixture
def eco_erp(sandbox, agreement, company, master) -> EconomicErp:
    return EconomicErp(sandbox, agreement, make_economic_integration(company, agreement, master))


def synced_bill(erp: EconomicErp, document) -> str:
    request_resync(membership=membership(document), document=document, integration=erp.integration, kind="bill")
    run(erp.integration)
    entry = ErpEntry.objects.get(document=document, kind="bill")
    assert entry.state == "synced", entry.error_message
    return entry.erp_id


def draft(erp: EconomicErp, erp_id: str) -> dict:
    """The draft at voucher ``erp_id`` in Roger's journal, whoever wrote it."""
    entries = erp.eco.state(erp.agreement)["journals"][str(erp.integration.settings["journal_number"])]["entries"]
    [found] = [e for e in entries if erp._erp_id(e) == erp_id]
    return found


def test_an_accountant_s_edit_between_read_and_write_is_never_overwritten_silently(eco_erp, make_document):
    document = make_document()
    erp_id = synced_bill(eco_erp, document)
    # The accountant corrects the amount in e-conomic's journal just as Roger is about to write its own change.
    eco_erp.eco.action(
        eco_erp.agreement, "edit_entry", vouchers=[erp_id], changes={"amount": "1300.00"}, before_next_update=True
    )
    services.document_update(document=document, actor=None, total=Decimal("2500.00"), vat=Decimal("500.00"))
    run(eco_erp.integration)

    attempts = list(SyncAttempt.objects.filter(document=document).order_by("created_at", "id"))
    conflict, retried = attempts[-2], attempts[-1]
    assert (conflict.action, conflict.outcome, conflict.error_category) == ("update", "retrying", "temporary")
    assert "changed in e-conomic after Roger read it" in conflict.erp_message
    assert "nothing was overwritten" in conflict.erp_message
    # The retry read the draft again: its log shows the accountant's value as the old value, then Roger's.
    assert (retried.action, retried.outcome) == ("update", "success")
    assert retried.changes["total"] == ["1300.00", "2500.00"]
    assert Decimal(str(draft(eco_erp, erp_id)["amount"])) == Decimal("2500.00")
    assert ErpEntry.objects.get(document=document, kind="bill").state == "synced"


def test_a_voucher_that_lost_roger_s_marker_is_not_adopted_by_its_number(eco_erp, make_document):
    document = make_document()
    erp_id = synced_bill(eco_erp, document)
    # A person rewrites the draft's text in e-conomic: nothing on it says it is Roger's any more.
    eco_erp.eco.action(eco_erp.agreement, "edit_entry", vouchers=[erp_id], changes={"text": "Chairs, typed by hand"})
    services.document_update(document=document, actor=None, total=Decimal("2500.00"), vat=Decimal("500.00"))
    writes_before = len(eco_erp.writes())
    run(eco_erp.integration)

    person_s = draft(eco_erp, erp_id)
    assert person_s["text"] == "Chairs, typed by hand" and Decimal(str(person_s["amount"])) == Decimal("1250.00")
    assert not any(w["method"] == "PUT" for w in eco_erp.writes()[writes_before:])
    # Roger looked its own entry up by marker instead and, finding none, created its voucher anew.
    mine = [b for b in eco_erp.bills() if b.erp_id != erp_id]
    assert [b.total for b in mine] == [Decimal("2500.00")]
    assert ErpEntry.objects.get(document=document, kind="bill").erp_id == mine[0].erp_id


def test_a_voucher_now_carrying_another_document_s_marker_is_refused_and_named(eco_erp, make_document):
    document = make_document()
    erp_id = synced_bill(eco_erp, document)
    # The draft's text in e-conomic now carries another document's marker (copied over from its voucher).
    other = f"Chairs [{marker_token('https://roger.example/documents/999/')}]"
    eco_erp.eco.action(eco_erp.agreement, "edit_entry", vouchers=[erp_id], changes={"text": other})
    services.document_update(document=document, actor=None, total=Decimal("2500.00"), vat=Decimal("500.00"))
    writes_before = len(eco_erp.writes())
    run(eco_erp.integration)

    assert eco_erp.writes()[writes_before:] == []  # not overwritten, and no second voucher created beside it
    kept = draft(eco_erp, erp_id)
    assert kept["text"] == other and Decimal(str(kept["amount"])) == Decimal("1250.00")
    latest = SyncAttempt.objects.filter(document=document).first()
    assert (latest.action, latest.outcome, latest.error_category) == ("update", "failed", "validation")
    assert latest.erp_message == (
        f"Voucher {erp_id} in e-conomic no longer carries this document's marker; Roger does not overwrite an entry "
        "it cannot prove is its own"
    )
    assert latest.hint.startswith("If the voucher is this document's, put its marker back in the text in e-conomic")
    entry = ErpEntry.objects.get(document=document, kind="bill")
    assert entry.erp_id == erp_id and entry.needs_attention  # listed under Requires attention


def test_a_eur_bill_in_a_dkk_agreement_is_booked_at_e_conomic_s_rate(eco_erp, make_document):
    document = make_document(currency="EUR", total=Decimal("1000.00"), vat=Decimal("200.00"))
    erp_id = synced_bill(eco_erp, document)
    entry = draft(eco_erp, erp_id)
    assert entry["currency"]["code"] == "EUR" and Decimal(str(entry["amount"])) == Decimal("1000.00")
    # e-conomic quotes rates per 100 units: 746.12 DKK per 100 EUR → 7,461.20 DKK.
    assert Decimal(str(entry["exchangeRate"])) == Decimal("746.12")
    assert Decimal(str(entry["amountDefaultCurrency"])) == Decimal("7461.20")
    assert f"[{marker_token(mapper.bill_marker(document))}]" in entry["text"]
    eco_erp.eco.action(eco_erp.agreement, "book_entries", vouchers=[erp_id])
    lines = [
        line
        for line in eco_erp.eco.state(eco_erp.agreement)["bookedEntries"][erp_id.split("-")[0]]
        if line["voucherNumber"] == int(erp_id.split("-")[1])
    ]
    assert sorted(Decimal(str(line["amountInBaseCurrency"])) for line in lines) == [
        Decimal("-7461.20"),
        Decimal("1492.24"),
        Decimal("5968.96"),
    ]
    run(eco_erp.integration)  # a re-sync of the unchanged document changes nothing
    assert SyncAttempt.objects.filter(document=document).first().outcome in ("success", "blocked")


def test_a_eur_payment_with_what_left_the_bank_is_sent_at_its_rate_and_a_re_sync_changes_nothing(
    eco_erp, make_document
):
    # e-conomic reads back no bank amount on a draft (its entries carry the rate, not amountBaseCurrency), so the
    # plan must not take the missing figure for a change: that would PUT the draft again on every sync.
    document = make_document(currency="EUR", total=Decimal("1000.00"), vat=Decimal("200.00"))
    synced_bill(eco_erp, document)
    services.payment_register(
        document=document,
        actor=None,
        amount=Decimal("1000.00"),
        paid_on=document.issue_date,
        bank_amount=Decimal("7450.00"),
    )
    run(eco_erp.integration)
    payment = ErpEntry.objects.get(document=document, kind="payment")
    assert payment.state == "synced", payment.error_message
    assert Decimal(str(draft(eco_erp, payment.erp_id)["exchangeRate"])) == Decimal("745")
    writes = len(eco_erp.writes())

    document.refresh_from_db()
    # What the Re-sync modal tells the accountant before they confirm (R7): nothing to change in e-conomic.
    [preview] = plan_document(document=document, integration=eco_erp.integration, kinds=["payment"])
    assert (preview.action, preview.changes) == ("no_change", {})
    request_resync(membership=membership(document), document=document, integration=eco_erp.integration, kind="payment")
    run(eco_erp.integration)
    latest = SyncAttempt.objects.filter(document=document, entry_kind="payment").latest("created_at")
    assert (latest.action, latest.outcome) == ("no_change", "success")
    assert len(eco_erp.writes()) == writes
