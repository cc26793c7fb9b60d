"""Issue #14 in a real browser, in each language: amounts typed as the accountant writes them (a decimal comma
never multiplies a total by 100), a tenfold total confirmed before it is saved, and the language switcher."""

from __future__ import annotations

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from documents.models import Document
from tests.browser.conftest import amount, login, t

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# What each language's accountant types for 2,053.48, and what the other notation's habit would type.
TYPED = {"da": "2053,48", "en": "2,053.48"}
MISREAD = {"da": "1.250", "en": "2053,48"}


def total_of(document: Document) -> Decimal:
    return Document.objects.get(pk=document.pk).total


def test_amounts_are_read_in_the_users_language_and_a_tenfold_total_is_confirmed(page, live_server, scene, shots, lang):
    document = scene["documents"][2]
    login(page, live_server.url, "bob")
    page.goto(f"{live_server.url}/documents/{document.pk}/")
    total = page.locator("#id_total")
    expect(total).to_have_value(amount(lang, str(document.total)))  # shown as the language writes it
    save = page.locator(f"#document-form button.primary:has-text('{t(lang, 'Save')}')")

    # The case: a decimal comma (Danish) is 2,053.48, never 205,348.00.
    total.fill(TYPED[lang])
    save.click()
    expect(page.locator("#toasts")).to_contain_text(t(lang, "Saved. The change is on its way to your ERP."))
    assert total_of(document) == Decimal("2053.48")
    expect(page.locator("#id_total")).to_have_value(amount(lang, "2053.48"))
    shots(page, "amount-saved", full_page=False)

    # What the other notation's habit would type is refused, saying how Roger reads it; nothing is saved.
    page.locator("#id_total").fill(MISREAD[lang])
    save.click()
    errors = page.locator("#id_total + .errorlist, #id_total ~ .errorlist").first
    reading = amount(lang, "1250") if lang == "da" else amount(lang, "205348")
    expect(errors).to_contain_text(reading)
    assert total_of(document) == Decimal("2053.48")
    shots(page, "amount-refused", full_page=False)

    # Ten times the total: a confirmation first, with both amounts; only then saved (and synced).
    page.locator("#id_total").fill(amount(lang, "20534.80"))
    page.locator(f"#document-form button.primary:has-text('{t(lang, 'Save')}')").click()
    confirm = page.locator("#confirm-total")
    expect(confirm).to_be_visible()
    expect(confirm).to_contain_text(amount(lang, "20534.80"))
    assert total_of(document) == Decimal("2053.48")
    shots(page, "tenfold-confirmation", full_page=False)
    page.click("#confirm-total-button")
    expect(page.locator("#toasts")).to_contain_text(t(lang, "Saved. The change is on its way to your ERP."))
    assert total_of(document) == Decimal("20534.80")


def test_the_language_switcher_changes_the_language_and_keeps_it(page, live_server, scene, shots, lang):
    login(page, live_server.url, "bob")
    expect(page.locator("h1")).to_have_text(t(lang, "Documents"))  # the browser's language first
    other = "en" if lang == "da" else "da"
    page.select_option("#language-select", other)
    page.wait_for_load_state()
    expect(page.locator("h1")).to_have_text(t(other, "Documents"))
    expect(page.locator("html")).to_have_attribute("lang", other)
    page.reload()
    expect(page.locator("h1")).to_have_text(t(other, "Documents"))  # kept in the profile, over the browser
    expect(page.locator("#language-select")).to_have_value(other)
    shots(page, "switched-language", full_page=False)
    # "As my browser" hands the choice back: the browser's language, and the menu shows that choice (QA walk: it
    # showed the language it resulted in).
    page.select_option("#language-select", "")
    page.wait_for_load_state()
    expect(page.locator("h1")).to_have_text(t(lang, "Documents"))
    expect(page.locator("#language-select")).to_have_value("")
    expect(page.locator("#language-select option:checked")).to_have_text(t(lang, "As my browser"))


# The room the search box leaves for its placeholder, and the placeholder's width in the box's own font.
PLACEHOLDER_FIT = """el => {
  const style = getComputedStyle(el);
  const context = document.createElement("canvas").getContext("2d");
  context.font = style.font;
  const room = el.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
  return {text: context.measureText(el.placeholder).width, room: room};
}"""


def test_the_search_box_shows_its_whole_placeholder(page, live_server, accountant, make_document, shots, lang):
    """QA walk: "Number, vendor, d" / "Nummer, leverand" at 1280 px.  And the phone layout keeps to its width."""
    make_document()
    login(page, live_server.url, "bob")
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        search = page.locator("#q")
        expect(search).to_have_attribute("placeholder", t(lang, "Number, vendor, description, amount"))
        fit = search.evaluate(PLACEHOLDER_FIT)
        assert fit["text"] <= fit["room"], (width, fit)
        assert page.evaluate("document.documentElement.scrollWidth") <= width  # nothing sticks out sideways
        shots(page, f"filters-{width}px", full_page=False)
