"""Amounts as people type and read them in their language (R18): Danish 2.053,48 and English 2,053.48.

Everything comes from Django's localisation: the separators are the active language's ``DECIMAL_SEPARATOR`` and
``THOUSAND_SEPARATOR`` (``django.utils.formats.get_format``), and a grouped input is accepted only when Django's
own ``number_format`` writes the same digits the same way — so a separator in the wrong place is never silently
dropped (English "2053,48" is not 205,348.00; it is refused, saying it would read as 205,348.00).

What is accepted, in the user's language (da / en):
- the language's own notation, grouped or not: 2.053,48 / 2053,48 (da); 2,053.48 / 2053.48 (en);
- the plain notation with a decimal point and one or two decimals, in both languages: 2053.48 (Django's
  ``sanitize_separators`` reads a Danish "." followed by other than three digits as a decimal point, too).

What is refused, saying how it was read:
- **ambiguous**: one thousands separator followed by exactly three digits and no decimals — Danish "1.250",
  English "1,250".  The language reads 1250, but a reader used to the other notation means 1.25 (a factor of
  1,000).  Typing 1250 or 1.250,00 / 1,250.00 removes the doubt.
- **more than two decimals**: English "2.053" (a Danish habit for 2053): refused, suggesting 2,053.00.
- **unreadable**: anything else (letters, spaces, separators out of place, the other language's notation);
  when the text reads in the other language's notation, the message says so and what it would be here.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django import forms
from django.core.exceptions import ValidationError
from django.utils import formats
from django.utils.translation import gettext as _

CENT = Decimal("0.01")


def separators() -> tuple[str, str]:
    """(thousands, decimal) separators of the active language."""
    return formats.get_format("THOUSAND_SEPARATOR"), formats.get_format("DECIMAL_SEPARATOR")


def format_amount(value: Decimal | int | float | str | None, *, decimals: int = 2) -> str:
    """2.053,48 in Danish, 2,053.48 in English (grouped, always two decimals)."""
    if value is None or value == "":
        return ""
    return formats.number_format(Decimal(str(value)), decimal_pos=decimals, force_grouping=True)


def _ungrouped(whole: str, group: str) -> str | None:
    """The digits of a whole part written with ``group`` between thousands, if Django writes them that way."""
    sign = "-" if whole.startswith("-") else ""
    digits = whole[len(sign) :].replace(group, "")
    if not digits.isdigit():
        return None
    written = formats.number_format(int(digits), force_grouping=True)
    expected = written.replace(formats.get_format("THOUSAND_SEPARATOR"), group)
    return sign + digits if expected == whole[len(sign) :] else None


@dataclass(frozen=True)
class Reading:
    value: Decimal | None
    ambiguous: bool = False


def _read(text: str, group: str, point: str) -> Reading:
    """Reads ``text`` written with these separators; ``value`` is None when it does not read."""
    whole, has_point, fraction = text.partition(point)
    if has_point and not fraction.isdigit():
        return Reading(None)
    if group in whole:
        digits = _ungrouped(whole, group)
        if digits is None:
            return Reading(None)
        ambiguous = not has_point and whole.count(group) == 1 and len(whole.rsplit(group, 1)[1]) == 3
    else:
        digits = whole if whole not in ("", "-") or not has_point else whole + "0"  # ",50" is 0,50
        ambiguous = False
    if not digits.lstrip("-").isdigit():
        return Reading(None)
    try:
        return Reading(Decimal(f"{digits}.{fraction}" if has_point else digits), ambiguous)
    except InvalidOperation:
        return Reading(None)


def _plain(text: str) -> Decimal | None:
    """2053.48: digits with a decimal point and one or two decimals, accepted in every language."""
    whole, has_point, fraction = text.partition(".")
    if has_point and whole.lstrip("-").isdigit() and fraction.isdigit() and len(fraction) <= 2:
        return Decimal(text)
    return None


def read_amount(text: str) -> Decimal:
    """The amount ``text`` means in the active language; a ``ValidationError`` that shows the reading otherwise."""
    text = text.strip()
    group, point = separators()
    reading = _read(text, group, point)
    if reading.value is not None and not reading.ambiguous:
        if reading.value.as_tuple().exponent < -2:  # type: ignore[operator]
            other = _read(text, point, group).value
            raise ValidationError(
                _("“%(input)s” has more than two decimals.%(suggestion)s"),
                code="amount_decimals",
                params={
                    "input": text,
                    "suggestion": (" " + _("Did you mean %(other)s?") % {"other": format_amount(other)})
                    if other is not None
                    else "",
                },
            )
        return reading.value
    plain = _plain(text)
    if plain is not None:
        return plain
    if reading.ambiguous:
        assert reading.value is not None
        other = _read(text, point, group).value
        raise ValidationError(
            _(
                "“%(input)s” could be misread: Roger reads it as %(reading)s, but where “%(group)s” is the decimal "
                "separator it means %(other)s. Type %(plain)s or %(full)s."
            ),
            code="amount_ambiguous",
            params={
                "input": text,
                "reading": format_amount(reading.value),
                "group": group,
                "other": formats.number_format(other.normalize()) if other is not None else text,
                "plain": str(int(reading.value)),
                "full": format_amount(reading.value),
            },
        )
    other = _read(text, point, group).value  # the other language's notation
    if other is not None and group in text and point in text:
        raise ValidationError(
            _(
                "“%(input)s” is written with the separators the other way round; here it is %(reading)s "
                "(“%(point)s” separates the decimals, “%(group)s” the thousands)."
            ),
            code="amount_other_notation",
            params={"input": text, "reading": format_amount(other), "point": point, "group": group},
        )
    if reading.value is None and group in text:
        stripped = text.replace(group, "")
        if stripped.lstrip("-").isdigit():
            raise ValidationError(
                _(
                    "“%(input)s” is not an amount: “%(group)s” separates thousands, so it would read as %(reading)s. "
                    "Use “%(point)s” before the decimals, e.g. %(example)s."
                ),
                code="amount_misplaced_separator",
                params={
                    "input": text,
                    "group": group,
                    "reading": format_amount(Decimal(stripped)),
                    "point": point,
                    "example": format_amount(Decimal("2053.48")),
                },
            )
    raise ValidationError(
        _("“%(input)s” is not an amount. Write it like %(example)s or %(plain)s."),
        code="amount_unreadable",
        params={"input": text, "example": format_amount(Decimal("2053.48")), "plain": "2053.48"},
    )


class AmountField(forms.DecimalField):
    """A money amount typed in the user's language, shown back grouped (2.053,48), never misread."""

    widget = forms.TextInput

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("max_digits", 14)
        kwargs.setdefault("decimal_places", 2)
        super().__init__(localize=True, **kwargs)

    def widget_attrs(self, widget: forms.Widget) -> dict[str, str]:
        return {**super().widget_attrs(widget), "inputmode": "decimal", "autocomplete": "off"}

    def to_python(self, value: object) -> Decimal | None:
        if value in self.empty_values:
            return None
        if isinstance(value, Decimal):
            return value
        return read_amount(str(value))

    def prepare_value(self, value: object) -> object:
        if isinstance(value, Decimal | int):
            return format_amount(value)
        return value


def possible_amounts(text: str) -> list[tuple[Decimal, bool]]:
    """Every amount ``text`` can mean in either notation, for search (where a generous reading costs nothing):
    (amount, whether decimals were written).  "1.250" gives 1250 (and 1.25 is no amount: three decimals); a word
    gives nothing."""
    text = text.strip()
    group, point = separators()
    readings = (
        (_read(text, group, point).value, point in text),  # the user's notation
        (_read(text, point, group).value, group in text),  # the other language's
        (_plain(text), "." in text),
    )
    found: dict[Decimal, bool] = {}
    for amount, has_decimals in readings:
        if amount is not None and amount >= 0 and amount.as_tuple().exponent >= -2:  # type: ignore[operator]
            found.setdefault(amount, has_decimals)
    return list(found.items())
