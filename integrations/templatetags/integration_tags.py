from __future__ import annotations

import json

from django import template

register = template.Library()


@register.filter
def pretty_json(value: object) -> str:
    """The data Roger sent, readable in a <pre> (autoescaped by the template)."""
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True, default=str)


@register.filter
def get_item(mapping: dict, key: object) -> object:
    return mapping.get(key) if isinstance(mapping, dict) else None
