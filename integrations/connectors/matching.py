"""How Roger recognises a supplier the bookkeeper already has in an ERP, whichever ERP: names and tax numbers
compared the same way by every connector (Xero's contacts, e-conomic's suppliers)."""

from __future__ import annotations

import re
import unicodedata


def normalised_name(name: str) -> str:
    """A supplier name without case, accents, punctuation or spacing: "ACME ApS." and "Acme ApS" agree."""
    decomposed = unicodedata.normalize("NFKD", name or "")
    return "".join(ch for ch in decomposed.casefold() if ch.isalnum() and not unicodedata.combining(ch))


def normalised_tax(value: str) -> str:
    return re.sub(r"[^0-9A-Za-z]", "", value or "").upper()


def same_tax_number(ours: str, theirs: str) -> bool:
    """Two tax numbers name the same legal entity: equal once normalised, or equal but for a country prefix that
    only one of them carries — an EU VAT number is the country code and the national number (a Danish one is "DK"
    and the CVR number), and bookkeepers type either.  Two different prefixes are two entities."""
    a, b = normalised_tax(ours), normalised_tax(theirs)
    if not a or not b:
        return False
    return a == b or national_number(a) == b or national_number(b) == a


def national_number(number: str) -> str:
    """A normalised tax number without its 2-letter country prefix ("DK12345678" → "12345678"); unchanged when it
    has none."""
    return number[2:] if len(number) > 2 and number[:2].isalpha() and number[2].isdigit() else number
