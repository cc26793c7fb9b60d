"""Xero's ``where`` filter: a small C#-like expression language, parsed and evaluated against Xero JSON.

Supported (what clients of the Accounting API use):

* comparisons ``Field == value``, ``!=``, ``>``, ``>=``, ``<``, ``<=``; fields may be dotted
  (``Contact.ContactID``, ``Invoice.InvoiceID``) and are matched case-insensitively;
* values: ``"text"``, ``guid("…")``, ``DateTime(2024, 01, 31)``, numbers, ``true``/``false``, ``null``;
* string methods ``Field.Contains("x")``, ``Field.StartsWith("x")``, ``Field.EndsWith("x")``;
* ``AND``/``&&``, ``OR``/``||``, ``NOT``/``!`` and parentheses.

String comparisons ignore case (Xero's store compares case-insensitively). Anything else raises
:class:`WhereError`, which the module answers with Xero's 400 ``QueryParseException``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

Predicate = Callable[[dict[str, Any]], bool]

_TOKEN = re.compile(
    r"""\s*(?:
    (?P<string>"(?:[^"\\]|\\.)*")
    |(?P<op>==|!=|>=|<=|&&|\|\||[><!().,])
    |(?P<number>-?\d+(?:\.\d+)?)
    |(?P<name>[A-Za-z_][A-Za-z0-9_]*)
    )""",
    re.VERBOSE,
)
_MS_DATE = re.compile(r"/Date\((-?\d+)")


class WhereError(ValueError):
    pass


def _tokenize(text: str) -> list[tuple[str, str]]:
    tokens, pos = [], 0
    text = text.strip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise WhereError(f"Unexpected character at position {pos} in where clause")
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind)))
        pos = match.end()
        while pos < len(text) and text[pos].isspace():
            pos += 1
    return tokens


@dataclass
class Term:
    """One condition of a where clause, as Xero's optimiser sees it."""

    field: str  # dotted, lower case: "contact.contactid"
    operator: str  # ==, !=, >, >=, <, <=, or contains / startswith / endswith
    in_or: bool = False  # joined to another condition by OR
    negated: bool = False  # under NOT


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokenize(text)
        self.pos = 0
        self.terms: list[Term] = []
        self._negations = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def next(self) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise WhereError("Unexpected end of where clause")
        self.pos += 1
        return token

    def expect(self, value: str) -> None:
        _kind, text = self.next()
        if text != value:
            raise WhereError(f"Expected {value!r} but found {text!r}")

    def at_word(self, *words: str) -> bool:
        token = self.peek()
        return token is not None and token[1].upper() in words

    def parse(self) -> Predicate:
        predicate = self.parse_or()
        if self.peek() is not None:
            raise WhereError(f"Unexpected {self.peek()[1]!r} in where clause")  # type: ignore[index]
        return predicate

    def parse_or(self) -> Predicate:
        first = len(self.terms)
        parts = [self.parse_and()]
        while self.at_word("OR", "||"):
            self.next()
            parts.append(self.parse_and())
        if len(parts) > 1:
            for term in self.terms[first:]:
                term.in_or = True
        return parts[0] if len(parts) == 1 else (lambda row: any(p(row) for p in parts))

    def parse_and(self) -> Predicate:
        parts = [self.parse_not()]
        while self.at_word("AND", "&&"):
            self.next()
            parts.append(self.parse_not())
        return parts[0] if len(parts) == 1 else (lambda row: all(p(row) for p in parts))

    def parse_not(self) -> Predicate:
        if self.at_word("NOT", "!"):
            self.next()
            self._negations += 1
            inner = self.parse_not()
            self._negations -= 1
            return lambda row: not inner(row)
        return self.parse_atom()

    def parse_atom(self) -> Predicate:
        if self.at_word("("):
            self.next()
            inner = self.parse_or()
            self.expect(")")
            return inner
        path = self.parse_path()
        method = None
        if path[-1].lower() in {"contains", "startswith", "endswith"} and self.at_word("("):
            method = path.pop().lower()
            self.next()
            argument = self.parse_value()
            self.expect(")")
            self._note(path, method)
            return _method_predicate(path, method, argument)
        _kind, op = self.next()
        if op not in {"==", "!=", ">", ">=", "<", "<="}:
            raise WhereError(f"Expected a comparison after {'.'.join(path)}")
        value = self.parse_value()
        self._note(path, op)
        return _compare_predicate(path, op, value)

    def _note(self, path: list[str], operator: str) -> None:
        self.terms.append(Term(".".join(path).lower(), operator, negated=self._negations > 0))

    def parse_path(self) -> list[str]:
        kind, text = self.next()
        if kind != "name":
            raise WhereError(f"Expected a field name but found {text!r}")
        path = [text]
        while self.at_word("."):
            self.next()
            kind, text = self.next()
            if kind != "name":
                raise WhereError("Expected a field name after '.'")
            path.append(text)
        return path

    def parse_value(self) -> Any:
        kind, text = self.next()
        if kind == "string":
            return bytes(text[1:-1], "utf-8").decode("unicode_escape")
        if kind == "number":
            return Decimal(text)
        if kind != "name":
            raise WhereError(f"Expected a value but found {text!r}")
        word = text.lower()
        if word in {"true", "false"}:
            return word == "true"
        if word == "null":
            return None
        if word == "guid":
            self.expect("(")
            value = self.parse_value()
            self.expect(")")
            return _Guid(str(value))
        if word == "datetime":
            return self.parse_datetime()
        raise WhereError(f"Unknown value {text!r}")

    def parse_datetime(self) -> date:
        self.expect("(")
        parts: list[int] = []
        while True:
            kind, text = self.next()
            if kind == "number":
                parts.append(int(text))
            elif kind == "string":
                try:
                    return datetime.fromisoformat(text[1:-1]).date()
                finally:
                    self.expect(")")
            nxt = self.next()[1]
            if nxt == ")":
                break
            if nxt != ",":
                raise WhereError("Malformed DateTime(...)")
        try:
            return date(*parts[:3])
        except (TypeError, ValueError) as exc:
            raise WhereError("Malformed DateTime(...)") from exc


class _Guid(str):
    pass


def _lookup(row: dict[str, Any], path: list[str]) -> Any:
    current: Any = row
    for part in path:
        if not isinstance(current, dict):
            return None
        lowered = part.lower()
        current = next((v for k, v in current.items() if k.lower() == lowered), None)
    return current


def _coerce(field: Any, value: Any) -> tuple[Any, Any]:
    """Bring a JSON field and a literal to comparable Python values."""
    if value is None or field is None:
        return field, value
    if isinstance(value, bool):
        return bool(field), value
    if isinstance(value, date):
        if isinstance(field, str):
            match = _MS_DATE.search(field)
            if match:
                return datetime.fromtimestamp(int(match.group(1)) / 1000, UTC).date(), value
            try:
                return datetime.fromisoformat(field[:10]).date(), value
            except ValueError:
                return None, value
        return field, value
    if isinstance(value, Decimal):
        try:
            return Decimal(str(field)), value
        except InvalidOperation:
            return None, value
    return str(field).casefold(), str(value).casefold()


def _compare_predicate(path: list[str], op: str, value: Any) -> Predicate:
    def predicate(row: dict[str, Any]) -> bool:
        left, right = _coerce(_lookup(row, path), value)
        if op == "==":
            return left == right
        if op == "!=":
            return left != right
        if left is None or right is None:
            return False
        try:
            return {">": left > right, ">=": left >= right, "<": left < right, "<=": left <= right}[op]
        except TypeError:
            return False

    return predicate


def _method_predicate(path: list[str], method: str, argument: Any) -> Predicate:
    needle = str(argument).casefold()

    def predicate(row: dict[str, Any]) -> bool:
        field = _lookup(row, path)
        if field is None:
            return False
        text = str(field).casefold()
        if method == "contains":
            return needle in text
        if method == "startswith":
            return text.startswith(needle)
        return text.endswith(needle)

    return predicate


def compile_where(text: str) -> Predicate:
    """Compile a where clause; an empty clause matches everything."""
    if not text or not text.strip():
        return lambda row: True
    return _Parser(text).parse()


def where_terms(text: str) -> list[Term]:
    """The conditions of a where clause (for the high-volume check); raises ``WhereError`` like ``compile_where``."""
    if not text or not text.strip():
        return []
    parser = _Parser(text)
    parser.parse()
    return parser.terms
