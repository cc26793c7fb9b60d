from __future__ import annotations

import json

from django import template

from integrations import bulk_words, log_labels, stored_text

register = template.Library()


@register.filter
def pretty_json(value: object) -> str:
    """The data Roger sent, readable in a <pre> (autoescaped by the template)."""
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True, default=str)


@register.filter
def get_item(mapping: dict, key: object) -> object:
    return mapping.get(key) if isinstance(mapping, dict) else None


@register.filter
def field_label(code: str) -> str:
    """``due_date`` → "Due date" (in the viewer's language)."""
    return log_labels.field_label(str(code))


@register.filter
def event_label(code: str) -> str:
    """``payment_registered`` → "Payment registered"."""
    return log_labels.event_label(str(code))


@register.filter
def record_title(record) -> str:
    """One phrase for what a log record did: "Updated", "Blocked: booked in the ERP", "Failed before anything was
    sent" — never "Blocked · Blocked"."""
    return log_labels.record_title(record)


@register.filter
def sent_something(record) -> bool:
    return log_labels.sent_something(record)


@register.simple_tag
def shown_value(names: dict, key: str, value: object) -> str:
    """A value of a change or of the data sent, as the viewer reads it (dates, amounts, names of codes)."""
    return log_labels.display_value(names or {}, str(key), value)


@register.filter
def erp_text(value: str) -> str:
    """A message Roger stored in English (errors, hints, booked reasons, connection states), in the reader's
    language; the ERP's own words stay as the ERP wrote them."""
    return stored_text.translate(str(value or ""))


@register.simple_tag
def stored_message(value: str) -> stored_text.Shown:
    """``{% stored_message r.erp_message as m %}``: ``m.text`` to show, ``m.roger`` False for the ERP's words."""
    return stored_text.shown(str(value or ""))


@register.filter
def files_summary(files: dict) -> str:
    """A bulk's files in words: "12 files attached, 3 unchanged, 1 refused"."""
    return bulk_words.files_line(files or {})
