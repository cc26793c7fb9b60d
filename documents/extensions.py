"""Extension points of the document pages.

``documents`` never imports ``integrations`` (DESIGN §4); instead, ``integrations`` registers here what it adds
to the document list and page (the Requires attention tab, sync badges, the bulk re-sync toolbar, the
Integrations tab) when its app is ready.  Each hook works on the whole page of documents at once, so the list's
query count does not grow with its rows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet

from roger.models import Company


@dataclass(frozen=True)
class ListTab:
    key: str
    label: str
    filter: Callable[[QuerySet, Company], QuerySet]
    count: Callable[[Company], int]
    # Shown above the table while this tab is active (e.g. Requires attention's groups), with its own context.
    header_template: str = ""
    header_context: Callable[[Company], dict[str, Any]] | None = None


@dataclass(frozen=True)
class ListFilter:
    """An extra <select> in the list's filter bar (e.g. integration sync state)."""

    key: str  # the query parameter
    label: str
    choices: Sequence[tuple[str, str]]
    apply: Callable[[QuerySet, Company, str], QuerySet]


@dataclass(frozen=True)
class DetailTab:
    key: str
    label: str
    url_name: str  # reversed with the document's pk


@dataclass
class Registry:
    list_tabs: list[ListTab] = field(default_factory=list)
    list_filters: list[ListFilter] = field(default_factory=list)
    # Called with (company, documents on the page); sets attributes on them (e.g. ``sync_badges``).
    row_decorators: list[Callable[[Company, Sequence], None]] = field(default_factory=list)
    # Templates included in the list's toolbar, and as extra cells at the start / end of each row and header.
    list_toolbar_templates: list[str] = field(default_factory=list)
    row_templates: list[str] = field(default_factory=list)
    row_end_templates: list[str] = field(default_factory=list)
    header_templates: list[str] = field(default_factory=list)
    header_end_templates: list[str] = field(default_factory=list)
    detail_tabs: list[DetailTab] = field(default_factory=list)


registry = Registry()
