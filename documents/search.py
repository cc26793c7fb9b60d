"""The document list's search (R18): invoice number, vendor, description — without regard to case or diacritics
("oresund" finds "Øresund") — and amounts as the user writes them ("2.053,48", "2053.48", "2053").

Text is compared folded by ``roger_fold`` in the database: on PostgreSQL an immutable wrapper of the ``unaccent``
extension (migration ``documents.0004``, with trigram indexes on the folded columns, so a search stays an index
lookup at any size); on SQLite (``make run``) the same function in Python, registered on each connection.
"""

from __future__ import annotations

import unicodedata
from decimal import Decimal

from django.db.models import CharField, Func, Q, QuerySet, Value

from documents.models import Vendor
from roger.amounts import possible_amounts
from roger.models import Company

# Letters unaccent maps that Unicode does not decompose (PostgreSQL's unaccent.rules does the same).
_LETTERS = str.maketrans(
    {"Ø": "O", "ø": "o", "Æ": "AE", "æ": "ae", "Œ": "OE", "œ": "oe", "ß": "ss", "Ł": "L", "ł": "l", "Đ": "D", "đ": "d"}
    | {"Þ": "TH", "þ": "th", "Ð": "D", "ð": "d"}
)


def fold(text: str | None) -> str | None:
    """SQLite's ``roger_fold``: lower case, no diacritics, the way PostgreSQL's ``unaccent`` reads Nordic letters."""
    if text is None:
        return None
    decomposed = unicodedata.normalize("NFKD", text.translate(_LETTERS))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def register_sqlite_fold(sender, connection, **kwargs) -> None:
    if connection.vendor == "sqlite":
        connection.connection.create_function("roger_fold", 1, fold, deterministic=True)


class Fold(Func):
    function = "roger_fold"
    output_field = CharField()


def _folded_contains(field: str, term: str) -> Q:
    return Q(**{f"{field}__contains": Fold(Value(term))})


def _amount_filter(term: str) -> Q | None:
    """total = the amount written with decimals; an amount without decimals finds its whole range (2053 finds
    2,053.00 to 2,053.99)."""
    condition = None
    for amount, has_decimals in possible_amounts(term):
        one = Q(total=amount) if has_decimals else Q(total__gte=amount, total__lt=amount + Decimal(1))
        condition = one if condition is None else condition | one
    return condition


def search(qs: QuerySet, *, company: Company, term: str) -> QuerySet:
    folded = qs.alias(_number=Fold("invoice_number"), _description=Fold("description"))
    # The vendors first (one small query on an index): an OR with a subquery would rule out index scans.
    vendor_ids = list(
        Vendor.objects.filter(company=company)
        .alias(_name=Fold("name"))
        .filter(_folded_contains("_name", term))
        .values_list("pk", flat=True)
    )
    condition = _folded_contains("_number", term) | _folded_contains("_description", term)
    if vendor_ids:
        condition |= Q(vendor_id__in=vendor_ids)
    amounts = _amount_filter(term)
    if amounts is not None:
        condition |= amounts
    return folded.filter(condition)
