"""ERP-neutral request and response objects of the sandbox (stdlib only).

Every emulated ERP receives a :class:`Request` and returns a :class:`Response`; the server turns them into
HTTP. A response can ask the server to *hold* it (a simulated timeout) and then drop the connection, which
is how the ``timeout`` faults are played without tying a module to the socket.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs


class Headers:
    """Case-insensitive, read-only view of request headers (HTTP header names are case-insensitive)."""

    def __init__(self, pairs: list[tuple[str, str]] | None = None) -> None:
        self._pairs = list(pairs or [])
        self._map = {name.lower(): value for name, value in self._pairs}

    def get(self, name: str, default: str | None = None) -> str | None:
        return self._map.get(name.lower(), default)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._map

    def items(self) -> list[tuple[str, str]]:
        return list(self._pairs)


@dataclass
class Request:
    """One HTTP request as a module sees it.

    ``path`` is the full path (e.g. ``/xero/api.xro/2.0/Invoices``); ``subpath`` is the part below the
    module's prefix (``/api.xro/2.0/Invoices``).
    """

    method: str
    path: str
    raw_query: str = ""
    headers: Headers = field(default_factory=Headers)
    body: bytes = b""
    subpath: str = ""
    erp: str | None = None
    # Filled in by the module so the request log can say which tenant a call concerned.
    tenant: str | None = None
    # The API client (app) the module recognised, when the ERP tells apps apart (Xero's createdByMyApp).
    client: str | None = None

    @property
    def query(self) -> dict[str, list[str]]:
        return parse_qs(self.raw_query, keep_blank_values=True)

    def query_value(self, name: str, default: str | None = None) -> str | None:
        """First value of a query parameter, matching the name case-insensitively (as Xero does)."""
        lowered = name.lower()
        for key, values in self.query.items():
            if key.lower() == lowered and values:
                return values[0]
        return default

    def header(self, name: str, default: str | None = None) -> str | None:
        return self.headers.get(name, default)

    def json(self) -> Any:
        """Parse the body as JSON; raises ``ValueError`` on malformed input (callers map it to the ERP's error)."""
        text = self.body.decode("utf-8")
        return json.loads(text, parse_float=Decimal)

    def form(self) -> dict[str, str]:
        parsed = parse_qs(self.body.decode("utf-8", "replace"), keep_blank_values=True)
        return {key: values[0] for key, values in parsed.items()}


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json; charset=utf-8"
    # Simulated timeout: hold the connection for ``hold_seconds`` (released early by reset/stop), then drop it
    # without sending anything — the client sees a read timeout or a reset connection.
    hold_seconds: float = 0.0
    drop: bool = False
    # Name of the fault that shaped this response, for the request log.
    fault: str | None = None

    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


class SandboxJSONEncoder(json.JSONEncoder):
    """Money travels as ``Decimal`` inside the sandbox; on the wire it is a JSON number, as in the ERPs."""

    def default(self, o: Any) -> Any:
        if isinstance(o, Decimal):
            return float(o)
        return super().default(o)


def dumps(data: Any) -> bytes:
    return json.dumps(data, cls=SandboxJSONEncoder, separators=(",", ":")).encode("utf-8")


def json_response(status: int, data: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(status=status, body=dumps(data), headers=dict(headers or {}))


def text_response(status: int, text: str, content_type: str = "text/plain; charset=utf-8") -> Response:
    return Response(status=status, body=text.encode("utf-8"), content_type=content_type)


def html_response(status: int, html: str) -> Response:
    return text_response(status, html, "text/html; charset=utf-8")


def redirect_response(location: str) -> Response:
    return Response(status=302, body=b"", headers={"Location": location}, content_type="text/plain")
