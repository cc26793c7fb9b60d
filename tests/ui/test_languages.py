"""Issue #14 point 4: Danish and English through Django's i18n — the browser's language, or the user's own
choice (profile, the switcher in the top bar), which wins and survives a new login; complete catalogues, compiled
and committed so no machine needs gettext to run Roger."""

from __future__ import annotations

import re
from gettext import GNUTranslations
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from roger.models import Profile

pytestmark = pytest.mark.django_db
LIST = reverse("documents:list")
PO = Path(settings.BASE_DIR) / "locale" / "da" / "LC_MESSAGES" / "django.po"


def test_it_speaks_the_browsers_language(accountant_client, make_document):
    make_document()
    da = accountant_client.get(LIST, HTTP_ACCEPT_LANGUAGE="da-DK,da;q=0.9,en;q=0.8").content.decode()
    assert '<html lang="da">' in da and "<h1>Bilag</h1>" in da and "Leverandør" in da and "Ubetalt" in da
    en = accountant_client.get(LIST, HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9").content.decode()
    assert '<html lang="en">' in en and "<h1>Documents</h1>" in en and "Unpaid" in en
    # A browser that asks for neither gets English.
    assert "<h1>Documents</h1>" in accountant_client.get(LIST, HTTP_ACCEPT_LANGUAGE="de-DE").content.decode()


def test_the_users_choice_wins_over_the_browser_and_survives_a_new_login(client, accountant, make_document):
    make_document()
    client.force_login(accountant)
    r = client.post(reverse("set_language"), {"language": "da", "next": LIST}, HTTP_ACCEPT_LANGUAGE="en")
    assert r.status_code == 302 and r["Location"] == LIST
    assert Profile.objects.get(user=accountant).language == "da"
    assert "<h1>Bilag</h1>" in client.get(LIST, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    fresh = Client()  # another browser, which prefers English
    assert fresh.login(username="bob", password="pw-for-tests")
    assert "<h1>Bilag</h1>" in fresh.get(LIST, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    # "As my browser" hands the choice back to the browser.
    fresh.post(reverse("set_language"), {"language": "", "next": LIST})
    assert Profile.objects.get(user=accountant).language == ""
    assert "<h1>Documents</h1>" in fresh.get(LIST, HTTP_ACCEPT_LANGUAGE="en").content.decode()


def test_the_switcher_refuses_unknown_languages_and_foreign_addresses(accountant_client):
    assert accountant_client.post(reverse("set_language"), {"language": "xx"}).status_code == 400
    r = accountant_client.post(reverse("set_language"), {"language": "en", "next": "https://evil.example/"})
    assert r.status_code == 302 and r["Location"] == "/"
    assert accountant_client.get(reverse("set_language")).status_code == 405


def test_the_login_page_offers_the_switcher_and_keeps_the_choice_in_a_cookie(client):
    r = client.post(reverse("set_language"), {"language": "da", "next": reverse("login")})
    assert r.cookies[settings.LANGUAGE_COOKIE_NAME].value == "da"
    html = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Log ind i Roger" in html and 'id="language-select"' in html


def _strings(block: str, key: str) -> list[str]:
    """The (possibly multi-line, escaped) strings of ``key`` in one .po entry."""
    pattern = rf'^{key} ((?:".*"\n?)+)'
    return [
        "".join(re.findall(r'"(.*)"', m)).encode().decode("unicode_escape").encode("latin-1").decode()
        for m in re.findall(pattern, block + "\n", flags=re.M)
    ]


def _po_entries() -> list[tuple[str, list[str]]]:
    """(msgid, its msgstr(s)) of the Danish catalogue (a small reader: gettext tools are not needed to run)."""
    text = PO.read_text(encoding="utf-8")
    entries = []
    for block in text.split("\n\n")[1:]:
        ids, context = _strings(block, "msgid"), _strings(block, "msgctxt")
        if ids:
            key = f"{context[0]}\x04{ids[0]}" if context else ids[0]  # how gettext keys a message with a context
            entries.append((key, _strings(block, r"msgstr(?:\[\d\])?")))
    return entries


def test_the_danish_catalogue_is_complete_and_compiled():
    entries = _po_entries()
    assert len(entries) > 300
    untranslated = [msgid for msgid, strs in entries if not all(strs)]
    assert untranslated == []
    # The committed .mo is compiled from this .po: every message is in it (CI needs no gettext tools).
    with open(PO.with_suffix(".mo"), "rb") as mo:
        catalogue = GNUTranslations(mo)
    compiled = set(catalogue._catalog)  # type: ignore[attr-defined]
    assert [msgid for msgid, _ in entries if msgid not in compiled and (msgid, 0) not in compiled] == []


def _chosen_in_the_menu(html: str) -> list[str]:
    return re.findall(
        r'<option value="([^"]*)"[^>]* selected', html.split('id="language-select"')[1].split("</select>")[0]
    )


def test_the_menu_shows_the_users_choice_not_the_language_it_results_in(client, accountant, make_document):
    """QA walk: after "As my browser" the menu showed "English" (the language the browser's choice gave)."""
    make_document()
    client.force_login(accountant)
    english_browser = {"HTTP_ACCEPT_LANGUAGE": "en"}
    assert _chosen_in_the_menu(client.get(LIST, **english_browser).content.decode()) == [""]  # nothing chosen yet
    client.post(reverse("set_language"), {"language": "da", "next": LIST})
    assert _chosen_in_the_menu(client.get(LIST, **english_browser).content.decode()) == ["da"]
    client.post(reverse("set_language"), {"language": "", "next": LIST})
    html = client.get(LIST, **english_browser).content.decode()
    assert "<h1>Documents</h1>" in html and _chosen_in_the_menu(html) == [""]
    # Before login the switcher's cookie is the choice.
    anonymous = Client()
    assert _chosen_in_the_menu(anonymous.get(reverse("login"), **english_browser).content.decode()) == [""]
    anonymous.post(reverse("set_language"), {"language": "en", "next": reverse("login")})
    assert _chosen_in_the_menu(anonymous.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="da").content.decode()) == ["en"]
