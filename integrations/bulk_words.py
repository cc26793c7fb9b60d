"""A bulk re-sync's files in words (issue #15): "12 files attached, 3 unchanged, 1 refused".

``BulkProgress.files`` counts the items (document × integration) whose document has a file by what happened to it:
attached (or replaced), unchanged (already on the entry: nothing uploaded), refused (the ERP would not take it, or
it failed), blocked (the entry is booked and kept the file it had).
"""

from __future__ import annotations

from django.utils.translation import ngettext

FILE_OUTCOMES = ("attached", "unchanged", "refused", "blocked")


def _first(word: str, n: int) -> str:
    """The first phrase names the files."""
    if word == "attached":
        return ngettext("%(n)s file attached", "%(n)s files attached", n) % {"n": n}
    if word == "unchanged":
        return ngettext("%(n)s file unchanged", "%(n)s files unchanged", n) % {"n": n}
    if word == "refused":
        return ngettext("%(n)s file refused", "%(n)s files refused", n) % {"n": n}
    return ngettext("%(n)s file not attached: booked", "%(n)s files not attached: booked", n) % {"n": n}


def _next(word: str, n: int) -> str:
    if word == "attached":
        return ngettext("%(n)s attached", "%(n)s attached", n) % {"n": n}
    if word == "unchanged":
        return ngettext("%(n)s unchanged", "%(n)s unchanged", n) % {"n": n}
    if word == "refused":
        return ngettext("%(n)s refused", "%(n)s refused", n) % {"n": n}
    return ngettext("%(n)s not attached: booked", "%(n)s not attached: booked", n) % {"n": n}


def files_line(files: dict[str, int]) -> str:
    """ "" when no item of the batch had a file."""
    parts: list[str] = []
    for word in FILE_OUTCOMES:
        n = files.get(word, 0)
        if n:
            parts.append(_next(word, n) if parts else _first(word, n))
    return ", ".join(parts)
