"""The sandbox's request log: every ERP call in arrival order, with secrets masked before storage.

Masking happens when an entry is written, so no reader (control API, test, screen) can ever see a token,
client secret or authorization code in clear.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode

from integrations.sandbox.messages import Request, Response

MASK = "***"
SECRET_HEADERS = {"authorization", "cookie", "set-cookie", "x-appsecrettoken", "x-agreementgranttoken"}
# Secrets wherever they appear (JSON bodies, forms, query strings).  Names match exactly: OAuth's are lower
# case, so an ERP field such as Xero's ``Code`` stays readable.
SECRET_FIELDS = {
    "access_token",
    "refresh_token",
    "id_token",
    "client_secret",
    "password",
    "appsecrettoken",
    "agreementgranttoken",
    "app_secret_token",
    "agreement_grant_token",
    "token",
}
# OAuth 2's authorization code travels as ``code`` in form-encoded token requests and in query strings (the
# redirect back to the client).  In JSON, ``code`` is ordinary ERP data (e-conomic's ``currency.code``), so it
# is masked only in forms and query strings.
OAUTH_FORM_FIELDS = SECRET_FIELDS | {"code"}
MAX_BODY_CHARS = 200_000


def _iso_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def mask_header(name: str, value: str) -> str:
    if name.lower() == "location" and "?" in value:
        # A redirect back to the client carries the authorization code in its query.
        base, _, query = value.partition("?")
        return f"{base}?{mask_query(query)}"
    if name.lower() not in SECRET_HEADERS:
        return value
    scheme = value.split(" ", 1)[0] if " " in value else ""
    return f"{scheme} {MASK}".strip()


def _mask_json(data: Any) -> Any:
    if isinstance(data, dict):
        return {k: (MASK if str(k) in SECRET_FIELDS and v else _mask_json(v)) for k, v in data.items()}
    if isinstance(data, list):
        return [_mask_json(item) for item in data]
    return data


def _mask_pairs(pairs: list[tuple[str, str]]) -> str:
    return urlencode([(k, MASK if k in OAUTH_FORM_FIELDS and v else v) for k, v in pairs])


def mask_body(body: bytes, content_type: str = "") -> str:
    """Decode a body for the log, masking secret fields in JSON and form-encoded payloads.  A file (an uploaded
    attachment) is logged as its size and checksum, not its bytes."""
    if body and ("octet-stream" in content_type or content_type.startswith(("image/", "application/pdf"))):
        return f"<{len(body)} bytes, sha256 {hashlib.sha256(body).hexdigest()}>"
    text = body.decode("utf-8", "replace")[:MAX_BODY_CHARS]
    stripped = text.strip()
    if stripped.startswith(("{", "[")):
        try:
            return json.dumps(_mask_json(json.loads(stripped)), separators=(",", ":"))
        except ValueError:
            return text
    if "form-urlencoded" in content_type or ("=" in text and " " not in text and "<" not in text):
        pairs = parse_qsl(text, keep_blank_values=True)
        if pairs:
            return _mask_pairs(pairs)
    return text


def mask_query(raw_query: str) -> str:
    return _mask_pairs(parse_qsl(raw_query, keep_blank_values=True))


class RequestLog:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: list[dict[str, Any]] = []

    def start(self, request: Request) -> int:
        entry = {
            "method": request.method,
            "path": request.path,
            "query": mask_query(request.raw_query),
            "headers": {name: mask_header(name, value) for name, value in request.headers.items()},
            "body": mask_body(request.body, request.header("Content-Type") or ""),
            "erp": request.erp,
            "tenant": None,
            "status": None,
            "response_body": None,
            "response_headers": {},
            "fault": None,
            "started": _iso_now(),
            "ended": None,
            # Epoch seconds at full precision, for checks of rates and overlap (the ISO stamps stop at ms).
            "started_at": time.time(),
            "ended_at": None,
        }
        with self._lock:
            entry["index"] = len(self._entries)
            self._entries.append(entry)
            return entry["index"]

    def finish(self, index: int, request: Request, response: Response | None, note: str | None = None) -> None:
        with self._lock:
            if index >= len(self._entries):  # the log was cleared while this request ran
                return
            entry = self._entries[index]
            entry["tenant"] = request.tenant
            entry["ended"] = _iso_now()
            entry["ended_at"] = time.time()
            if response is not None:
                entry["status"] = response.status
                entry["response_body"] = mask_body(response.body, response.content_type)
                entry["response_headers"] = {k: mask_header(k, v) for k, v in response.headers.items()}
                entry["fault"] = response.fault
            if note:
                entry["note"] = note

    def entries(self, since: int = 0, erp: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            chosen = self._entries[since:]
            return [dict(e) for e in chosen if erp is None or e["erp"] == erp]

    def clear(self) -> None:
        with self._lock:
            self._entries = []


# --- reading the log: what the ERP saw, for tests and benchmarks -------------------------------------------------
def busiest_window(records: list[dict[str, Any]], seconds: float) -> int:
    """The most requests that reached the ERP within any rolling window of ``seconds`` (not just aligned ones)."""
    starts = sorted(r["started_at"] for r in records)
    most, first = 0, 0
    for last, moment in enumerate(starts):
        while starts[first] <= moment - seconds:
            first += 1
        most = max(most, last - first + 1)
    return most


def most_in_flight(records: list[dict[str, Any]]) -> int:
    """Peak number of requests the ERP was serving at once (an answer leaving frees the slot first)."""
    events = sorted([(r["started_at"], 1) for r in records] + [(r["ended_at"] or r["started_at"], -1) for r in records])
    peak = current = 0
    for _, step in events:
        current += step
        peak = max(peak, current)
    return peak
