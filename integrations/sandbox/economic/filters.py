"""e-conomic's filter syntax, as both descriptions give it ("Filtering", openapi-Journals.json and the legacy
docs): ``prop$op:value`` predicates joined by ``$and:``/``$or:``, grouped with parentheses; operators ``$eq: $ne:
$gt: $gte: $lt: $lte: $like: $in: $nin:``; ``$null:``; escapes ``$$ $( $) $* $, $[ $]``; at most 200 values in
``$in:``.  Only the properties a collection's description marks filterable may be used ("If you try to filter on
something that isn't allowed the server will respond with a status code 400"); ``$like:`` without a wildcard is a
"contains" match; strings compare case-insensitively.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

_OPS = ("$gte:", "$lte:", "$like:", "$nin:", "$eq:", "$ne:", "$gt:", "$lt:", "$in:")
_ESCAPABLE = "$()*,[]"
_WILD = "\x00"

Predicate = tuple[str, str, Any]
Node = tuple[str, list[Any]] | Predicate  # ("and"|"or", children) or a predicate


class FilterError(ValueError):
    """A filter the service refuses (400), with the sentence to show."""


def _unescape(value: str) -> str:
    out, i = [], 0
    while i < len(value):
        if value[i] == "$" and i + 1 < len(value) and value[i + 1] in _ESCAPABLE:
            out.append(value[i + 1])
            i += 2
        elif value[i] == "*":
            out.append(_WILD)
            i += 1
        else:
            out.append(value[i])
            i += 1
    return "".join(out)


class _Parser:
    def __init__(self, expr: str, allowed: set[str], no_lists: frozenset[str] | set[str] = frozenset()) -> None:
        self.expr, self.allowed, self.no_lists, self.i = expr, allowed, no_lists, 0

    def parse(self) -> Node:
        node = self._or()
        if self.i != len(self.expr):
            raise FilterError(f"Unexpected text in the filter at position {self.i}.")
        return node

    def _or(self) -> Node:
        children = [self._and()]
        while self.expr.startswith("$or:", self.i):
            self.i += 4
            children.append(self._and())
        return children[0] if len(children) == 1 else ("or", children)

    def _and(self) -> Node:
        children = [self._term()]
        while self.expr.startswith("$and:", self.i):
            self.i += 5
            children.append(self._term())
        return children[0] if len(children) == 1 else ("and", children)

    def _term(self) -> Node:
        if self.expr.startswith("(", self.i):
            self.i += 1
            node = self._or()
            if not self.expr.startswith(")", self.i):
                raise FilterError("A parenthesis in the filter is not closed.")
            self.i += 1
            return node
        start = self.i
        while self.i < len(self.expr):
            ch = self.expr[self.i]
            if ch == "$" and self.i + 1 < len(self.expr) and self.expr[self.i + 1] in _ESCAPABLE:
                self.i += 2
                continue
            if ch == ")" or self.expr.startswith(("$and:", "$or:"), self.i):
                break
            self.i += 1
        return self._predicate(self.expr[start : self.i])

    def _predicate(self, text: str) -> Predicate:
        op_at, op = -1, ""
        for candidate in _OPS:
            at = text.find(candidate)
            if at > 0 and (op_at < 0 or at < op_at):
                op_at, op = at, candidate
        if op_at < 0:
            raise FilterError(f"The filter predicate '{text}' is not valid; use property$operator:value.")
        prop, raw = text[:op_at], text[op_at + len(op) :]
        if prop not in self.allowed:
            raise FilterError(
                f"Filtering on property '{prop}' is not allowed. Filterable: {', '.join(sorted(self.allowed))}."
            )
        value: Any
        if op in ("$in:", "$nin:"):
            if prop in self.no_lists:
                raise FilterError(f"{op} is only allowed on numeric properties, not on '{prop}'.")
            if not (raw.startswith("[") and raw.endswith("]")):
                raise FilterError(f"{op} takes a list in brackets.")
            value = [_unescape(v) for v in raw[1:-1].split(",") if v != ""]
            if len(value) > 200:
                raise FilterError("The max supported length of an array using the $in: or $nin: operator is 200.")
        else:
            value = _unescape(raw)
        return (prop, op[:-1], value)


def compile_filter(
    expr: str,
    allowed: set[str],
    lookup: Callable[[dict[str, Any], str], Any],
    *,
    no_lists: frozenset[str] | set[str] = frozenset(),
) -> Callable[[dict[str, Any]], bool]:
    """A predicate over items; raises ``FilterError`` on a bad or unfilterable filter, or on ``$in:``/``$nin:`` on a
    property in ``no_lists`` (the legacy API's string properties: "We only allow in and not in operators on numeric
    properties", restdocs "Filtering")."""
    tree = _Parser(expr, allowed, no_lists).parse()

    def check(item: dict[str, Any], node: Node) -> bool:
        if node[0] == "and" and isinstance(node[1], list):
            return all(check(item, child) for child in node[1])
        if node[0] == "or" and isinstance(node[1], list):
            return any(check(item, child) for child in node[1])
        prop, op, value = node  # type: ignore[misc]
        return _one(lookup(item, prop), op, value)

    return lambda item: check(item, tree)


def dotted(item: dict[str, Any], prop: str) -> Any:
    node: Any = item
    for part in prop.split("."):
        if not isinstance(node, dict):
            return None
        node = node.get(part)
    return node


def _compare(left: Any, right: str) -> int | None:
    if left is None:
        return None
    if isinstance(left, str) and len(right) == 10 and right[4:5] == "-" and left[4:5] == "-":
        left = left[:10]  # a date filter on a date-time property compares the day
    try:
        a, b = Decimal(str(left)), Decimal(right)
        return (a > b) - (a < b)
    except InvalidOperation:
        a_s, b_s = str(left).lower(), right.lower()
        return (a_s > b_s) - (a_s < b_s)


def _one(left: Any, op: str, value: Any) -> bool:
    if op in ("$in", "$nin"):
        hit = any(_compare(left, v) == 0 for v in value if v != "$null:")
        hit = hit or ("$null:" in value and left is None)
        return hit if op == "$in" else not hit
    if value == "$null:":
        return (left is None) == (op == "$eq")
    if op == "$like":
        text = str(left or "").lower()
        pattern = value.lower()
        if _WILD not in pattern:
            return pattern in text
        regex = ".*".join(re.escape(p) for p in pattern.split(_WILD))
        return re.fullmatch(regex, text, re.DOTALL) is not None
    cmp = _compare(left, value.replace(_WILD, "*"))
    if cmp is None:
        return op == "$ne"
    return {"$eq": cmp == 0, "$ne": cmp != 0, "$gt": cmp > 0, "$gte": cmp >= 0, "$lt": cmp < 0, "$lte": cmp <= 0}[op]
