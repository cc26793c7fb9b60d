"""Messages stored in English, shown in the reader's language (issue #14, R15).

The engine, the mapper and the connectors (which cannot import Django) write their messages — errors, hints,
reasons a bill is booked, connection states — into log records and entries once, in English, marked
``N_("Category “{name}” is not mapped …").format(name=…)`` so that ``makemessages`` collects the template.  When a
person reads one, this module finds the catalogue's template the stored text was made from — an exact message, or
one whose ``{placeholders}`` match (compiled once per language to a regular expression) — and formats its
translation with the values it captured; a value that is itself one of Roger's messages (a booked reason inside a
refusal) is translated too, and an amount or a VAT rate Roger wrote in plain notation ("6246.91") is shown in the
reader's ("6.246,91" in Danish).  A text made of several such sentences is translated sentence by sentence.  Whatever
matches no template is the ERP's own words, left exactly as the ERP wrote them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from functools import cache, lru_cache

from django.utils import formats, translation
from django.utils.translation import gettext, trans_real

from roger.amounts import format_amount

PLACEHOLDER = re.compile(r"\{(\w+)\}")
SENTENCES = re.compile(r"(?<=[.!?])\s+(?=[A-Z“\"(])")
# The catalogue that says which texts are Roger's, whatever the reader's language.
REFERENCE_LANGUAGE = "da"
# How deep a message inside a message's value is looked for (a reason inside a refusal inside a note).
NESTING = 2
# Placeholders that carry an amount, written as Roger writes amounts into messages (``f"{amount:.2f}"``), and the
# one that carries a VAT rate.  Only a value written that way is reformatted: a CVR number in {theirs} stays.
AMOUNTS = frozenset({"amount", "sum", "theirs", "total", "vat"})
PLAIN_AMOUNT = re.compile(r"-?\d+\.\d\d")
PLAIN_RATE = re.compile(r"\d+(\.\d+)?")


@dataclass(frozen=True)
class Template:
    msgid: str
    pattern: re.Pattern[str]


@dataclass(frozen=True)
class Shown:
    text: str
    roger: bool  # False: the ERP's own words, shown as the ERP wrote them


def _compile(msgid: str) -> re.Pattern[str] | None:
    parts = PLACEHOLDER.split(msgid)
    if len(parts) == 1:
        return None
    regex, seen = [], set()
    for index, part in enumerate(parts):
        if index % 2 == 0:
            regex.append(re.escape(part))
        elif part in seen:
            regex.append(f"(?P={part})")
        else:
            seen.add(part)
            regex.append(f"(?P<{part}>.+?)")
    return re.compile("^" + "".join(regex) + "$", re.S)


@cache
def _templates(language: str) -> tuple[Template, ...]:
    """The catalogue's messages with ``{placeholders}``, the most specific (most literal text) first."""
    catalogue = trans_real.translation(language)._catalog  # Django's merged catalogue of this language
    templates = []
    for msgid in catalogue.keys():  # noqa: SIM118 — a TranslationCatalog has keys() but no __iter__
        if not isinstance(msgid, str) or "{" not in msgid:
            continue
        pattern = _compile(msgid)
        if pattern is not None:
            templates.append(Template(msgid, pattern))
    templates.sort(key=lambda t: len(PLACEHOLDER.sub("", t.msgid)), reverse=True)
    return tuple(templates)


def _known(text: str, language: str) -> tuple[str, dict[str, str]] | None:
    """The msgid ``text`` was made from, with the values it carries (None: not one of Roger's messages)."""
    with translation.override(language):
        if gettext(text) != text:
            return text, {}
    for template in _templates(language):
        match = template.pattern.match(text)
        if match:
            return template.msgid, match.groupdict()
    return None


def _one(text: str, language: str, depth: int = 0) -> str | None:
    known = _known(text, REFERENCE_LANGUAGE)
    if known is None:
        return None
    msgid, values = known
    if depth < NESTING:
        values = {name: _nested(value, language, depth) for name, value in values.items()}
    values = {name: _number(name, value) for name, value in values.items()}
    translated = gettext(msgid)
    try:
        return translated.format(**values) if values else translated
    except (KeyError, IndexError, ValueError):
        return text  # a translation that lost a placeholder must not hide the message


def _nested(value: str, language: str, depth: int) -> str:
    """A value that is itself one of Roger's messages — "Booked in e-conomic (voucher 2026-3)" inside "{reason}: it
    keeps the file …", "change the draft" inside "To {doing}, …" — is translated too.  Only phrases (with a space):
    a single word such as a file name or a code is a value, never a message."""
    if " " not in value.strip():
        return value
    inner = _one(value, language, depth + 1)
    return value if inner is None else inner


def _number(name: str, value: str) -> str:
    """An amount or a rate in the active language's notation, as the page shows every other amount."""
    if name in AMOUNTS and PLAIN_AMOUNT.fullmatch(value):
        return format_amount(value)
    if name == "rate" and PLAIN_RATE.fullmatch(value):
        return formats.number_format(Decimal(value))
    return value


def shown(text: str) -> Shown:
    """``text`` in the active language when it is one of Roger's messages (or made of them)."""
    if not text:
        return Shown(text, roger=False)
    return _shown(text, translation.get_language() or "en")


@lru_cache(maxsize=4096)
def _shown(text: str, language: str) -> Shown:
    """Cached: a page of the list or the log shows the same few messages many times."""
    whole = _one(text, language)
    if whole is not None:
        return Shown(whole, roger=True)
    sentences = SENTENCES.split(text)
    if len(sentences) > 1:
        parts = [_one(sentence, language) for sentence in sentences]
        if any(part is not None for part in parts):
            return Shown(" ".join(p if p is not None else s for p, s in zip(parts, sentences, strict=True)), roger=True)
    return Shown(text, roger=False)


def translate(text: str) -> str:
    return shown(text).text
