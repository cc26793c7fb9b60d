"""The document list's controls: sort choices, sortable column headers and the vendor filter's options."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import QueryDict
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from documents.models import Vendor

DEFAULT_SORT = "-date"
SORT_CHOICES = [
    ("-date", _("Newest first")),
    ("date", _("Oldest first")),
    ("-due", _("Due date, latest")),
    ("due", _("Due date, soonest")),
    ("-total", _("Largest total")),
    ("total", _("Smallest total")),
    ("vendor", _("Vendor A–Z")),
    ("-vendor", _("Vendor Z–A")),
    ("number", _("Invoice number")),
    ("-number", _("Invoice number, descending")),
]
# The table's columns: (sort key or "" when not sortable, label, the first click's direction, CSS class).
COLUMNS = [
    ("vendor", _("Vendor"), "", "vendor-col"),
    ("number", _("Invoice no."), "", ""),
    ("date", _("Issued"), "-", "date-col"),
    ("due", _("Due"), "", "date-col"),
    ("total", _("Total"), "-", "num"),
    ("", _("Status"), "", ""),
]
SELECTED = mark_safe(" selected")


@dataclass(frozen=True)
class Header:
    label: str
    key: str
    css: str
    url: str = ""  # the list sorted by this column (the other direction when it is the current sort)
    aria_sort: str = ""  # ascending / descending for the current sort column


def column_headers(params: QueryDict, sort: str) -> list[Header]:
    headers = []
    for key, label, first, css in COLUMNS:
        if not key:
            headers.append(Header(str(label), key, css))
            continue
        if sort == key:
            next_sort, aria = f"-{key}", "ascending"
        elif sort == f"-{key}":
            next_sort, aria = key, "descending"
        else:
            next_sort, aria = f"{first}{key}", ""
        query = params.copy()
        query.pop("page", None)
        query["sort"] = next_sort
        headers.append(Header(str(label), key, css, "?" + query.urlencode(), aria))
    return headers


def vendor_options(company, selected: str) -> str:
    """The vendor filter's <option>s, built in one pass: a company has hundreds of vendors, and a template loop
    over them was a fifth of the list's server time."""
    rows = Vendor.objects.filter(company=company).order_by("name").values_list("pk", "name")
    return format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        ((pk, SELECTED if str(pk) == selected else "", name) for pk, name in rows),
    )
