"""Amounts and dates as the user's language writes them (R18)."""

from __future__ import annotations

from decimal import Decimal

from django import template

from roger.amounts import format_amount

register = template.Library()


@register.filter
def money(value: Decimal | int | str | None, currency: str = "") -> str:
    """2.053,48 DKK (Danish) / 2,053.48 DKK (English); empty for no amount."""
    if value is None or value == "":
        return ""
    text = format_amount(value)
    return f"{text} {currency}" if currency else text


@register.filter
def abs_amount(value: Decimal | int | str | None) -> Decimal | None:
    """The magnitude of an amount: a credit note's total (negative) where the text says "of 250,00"."""
    if value is None or value == "":
        return None
    return abs(Decimal(str(value)))
