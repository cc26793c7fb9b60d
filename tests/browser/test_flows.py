"""R6–R11 in a real browser: bulk re-sync from the list, the Integrations tab and its Re-sync modal, a booked
bill that blocks, and a viewer who cannot re-sync."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from integrations.models import ErpEntry, SyncAttempt
from tests.browser.conftest import login, stored, t, tn


def settled(page) -> None:
    """Wait until htmx has finished swapping and settling (a person is never faster than that)."""
    page.wait_for_function("!document.querySelector('.htmx-request, .htmx-settling, .htmx-swapping, .htmx-added')")
    page.wait_for_timeout(50)


pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_bulk_resync_turns_the_badges_synced(page, live_server, scene, shots, lang):
    docs = scene["documents"][:3]
    login(page, live_server.url, "bob")
    shots(page, "document-list")
    for document in docs:
        page.locator(f"#doc-{document.pk} td.select-col").hover()
        page.locator(f"#sel-{document.pk}").check()
    shots(page, "three-selected", full_page=False)
    button = page.locator("#bulk-resync")
    expect(button).to_be_visible()
    expect(button).to_have_text(f"{t(lang, 'Re-sync')} (3)")
    button.click()
    expect(page.locator(".bulk-status.bulk-started .bulk-check")).to_be_visible()  # the confirming animation
    shots(page, "resync-started", full_page=False)
    for document in docs:
        expect(page.locator(f"#badges-{document.pk} [data-state='synced']")).to_be_visible(timeout=30_000)
    summary = page.locator(".bulk-summary")
    expect(summary).to_contain_text(tn(lang, "%(counter)s document", "%(counter)s documents", 3))
    expect(summary).to_contain_text(f"Xero {t(lang, '%(n)s synced', n=3)}")  # documents, each ERP beside
    expect(page.locator("#bulk-resync")).to_be_hidden()  # the selection was cleared
    shots(page, "badges-synced")
    assert ErpEntry.objects.filter(document__in=docs, kind="bill", state="synced").count() == 3
    # The untouched rows stay not synced.
    expect(page.locator(f"#badges-{scene['documents'][3].pk} [data-state='not_synced']")).to_be_visible()
    page.set_viewport_size({"width": 390, "height": 844})
    expect(page.locator(f"#sel-{scene['documents'][5].pk}")).to_have_css("opacity", "1")  # no hover on phones
    shots(page, "document-list-390px")


def test_document_resync_then_blocked_when_booked(page, live_server, scene, shots, lang):
    document = scene["documents"][4]
    login(page, live_server.url, "bob")
    page.click(f"#doc-{document.pk} a")
    shots(page, "document-overview")
    page.click(f"a[role=tab]:has-text('{t(lang, 'Integrations')}')")
    panel = page.locator("#integration-panel")
    expect(panel.locator("#integration-select")).to_be_visible()
    settled(page)
    shots(page, "integrations-tab-empty")
    # Switch the dropdown to the other integration and back (R6).
    other = scene["integration"].company.integrations.exclude(pk=scene["integration"].pk).get()
    page.select_option("#integration-select", str(other.pk))
    expect(page.locator("#entries-h")).to_contain_text("e-conomic (old)")
    settled(page)
    page.select_option("#integration-select", str(scene["integration"].pk))
    expect(page.locator("#entries-h")).to_contain_text("Xero")

    # The modal: no payment choice for an Unpaid document (R7), the plan says "create".
    page.click("#resync-button")
    dialog = page.locator("dialog#resync-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.locator("input[value='bill']")).to_be_focused()  # focus moved into the modal
    expect(dialog.locator("input[value='payment']")).to_have_count(0)
    expect(dialog.locator(".plan")).to_have_attribute("data-action", "create")
    shots(page, "resync-modal-create", full_page=False)
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    expect(page.locator("#resync-button")).to_be_focused()  # focus returned to the button

    page.click("#resync-button")
    page.click("#resync-confirm")
    expect(page.locator("dialog#resync-dialog")).to_have_count(0)
    record = page.locator(".log-record[data-action='create'][data-outcome='success']")
    expect(record).to_have_count(1, timeout=30_000)
    expect(page.locator(".sync-running")).to_have_count(0)  # polling stopped
    shots(page, "log-after-resync")

    # Book the bill in Xero (a payment against it), then change the amount in Roger.
    entry = ErpEntry.objects.get(document=document, kind="bill")
    scene["sandbox"].xero_action(scene["tenant"]["tenant_id"], "pay", invoice_id=entry.erp_id, amount="100.00")
    page.click(f"a[role=tab]:has-text('{t(lang, 'Overview')}')")
    page.fill("#id_total", "2000.00")  # the plain notation reads the same in both languages
    page.fill("#id_vat", "400.00")
    page.click(f"#document-form button:has-text('{t(lang, 'Save')}')")
    expect(page.locator("#toasts")).to_contain_text(t(lang, "Saved. The change is on its way to your ERP."))
    page.click(f"a[role=tab]:has-text('{t(lang, 'Integrations')}')")
    page.click("#resync-button")
    dialog = page.locator("dialog#resync-dialog")
    expect(dialog.locator(".plan")).to_have_attribute("data-action", "blocked")
    shots(page, "resync-modal-blocked", full_page=False)
    page.click("#resync-confirm")
    blocked = page.locator(".log-record[data-outcome='blocked'][data-trigger='manual']")
    expect(blocked).to_have_count(1, timeout=30_000)
    expect(page.locator(".sync-running")).to_have_count(0, timeout=30_000)
    settled(page)
    blocked.locator("summary").click()
    attempt = SyncAttempt.objects.get(document=document, outcome="blocked", trigger="manual")
    expect(blocked.locator(".erp-message")).to_contain_text(stored(lang, attempt.erp_message)[:40])
    expect(page.locator(".entry[data-kind='bill']")).to_contain_text(f"{t(lang, 'Yes')} —")  # booked, with the reason
    shots(page, "log-blocked")


def test_requires_attention_and_settings_pages(page, live_server, scene, shots, lang):
    integration = scene["integration"]
    integration.mappings = {**integration.mappings, "accounts": {}}
    integration.save(update_fields=["mappings"])
    login(page, live_server.url, "alice")
    docs = scene["documents"][:2]
    for document in docs:
        page.locator(f"#doc-{document.pk} td.select-col").hover()
        page.locator(f"#sel-{document.pk}").check()
    page.click("#bulk-resync")
    expect(page.locator(".bulk-summary")).to_contain_text(f"Xero {t(lang, '%(n)s failed', n=2)}", timeout=30_000)
    expect(page.locator("[data-count='attention']")).to_have_text("2")
    shots(page, "bulk-failed-summary", full_page=False)
    page.click(".bulk-summary a")
    expect(page.locator(".attention-group")).to_contain_text(
        tn(lang, "%(counter)s document", "%(counter)s documents", 2)
    )
    shots(page, "requires-attention")
    page.click(".attention-group a.button")
    expect(page.locator(f"#integration-{integration.pk}")).to_be_visible()
    # The mapping editor is filled from the sandbox's catalogues: the unmapped category is visibly empty.
    editor = page.locator(f"#mappings-{integration.pk} form")
    expect(editor.locator("select[name^='accounts-']")).to_have_value("")
    expect(editor.locator("select[name='bank_account']")).to_have_value("090")
    shots(page, "integration-settings")

    # Fix the mapping, come back, "Re-sync these": the progress shows beside that button, and when the batch
    # ends the groups and the rows refresh by themselves (issue #14 point 8) — no reload.
    editor.locator("select[name^='accounts-']").first.select_option(index=1)
    editor.locator("button[type=submit]").click()
    expect(page.locator("#toasts")).to_contain_text(t(lang, "%(name)s: mappings saved.", name=integration.name))
    page.goto(f"{live_server.url}/documents/?tab=attention")
    expect(page.locator("#document-table tbody tr")).to_have_count(2)
    page.evaluate("window.__sameDocument = true")
    group = page.locator(".attention-group").first
    group.locator(f"button:has-text('{t(lang, 'Re-sync these')}')").click()
    expect(group.locator(".attention-progress .bulk-status")).to_be_visible()  # beside the button
    shots(page, "attention-resync-started", full_page=False)
    result = page.locator("#attention-result .bulk-summary")
    expect(result).to_contain_text(f"Xero {t(lang, '%(n)s synced', n=2)}", timeout=30_000)
    expect(page.locator(".attention-group")).to_have_count(0)
    expect(page.locator("#attention-section")).to_contain_text(t(lang, "Nothing requires attention."))
    expect(page.locator("#document-table")).to_contain_text(t(lang, "No documents match."))
    expect(page.locator("[data-count='attention']")).to_have_text("0")
    assert page.evaluate("window.__sameDocument === true")  # refreshed in place, not reloaded
    shots(page, "attention-resync-done")


def test_a_viewer_sees_no_resync_controls(page, live_server, scene, shots):
    login(page, live_server.url, "vera")
    expect(page.locator("#document-table")).to_be_visible()
    expect(page.locator("input[name='document_ids']")).to_have_count(0)
    expect(page.locator("#bulk-resync")).to_have_count(0)
    shots(page, "viewer-list")
    page.goto(f"{live_server.url}/integrations/documents/{scene['documents'][0].pk}/")
    expect(page.locator("#integration-panel")).to_be_visible()
    expect(page.locator("#resync-button")).to_have_count(0)
    shots(page, "viewer-integrations-tab")
