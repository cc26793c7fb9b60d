"""The one HTTP seam every connector goes through.

Why a module of its own: ``requests`` has no default timeout, urllib3 may retry on its own, and an ERP can
answer a write with an HTML error page.  Each of those turned into duplicates or hung workers elsewhere
(``reference/erp_failures.md`` §1), so the rules live here once:

* every request carries a (connect, read) timeout;
* the transport never retries (``max_retries=0``): retries are the engine's decision, made with an
  idempotency key and a look-up by marker, never urllib3's;
* network trouble and unreadable bodies become ``ConnectorError(TEMPORARY)``, flagged ``uncertain`` for
  writes (the ERP may have committed), never a traceback;
* nothing that looks like a credential reaches an exception message or a log line (``redact``).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from email.utils import parsedate_to_datetime
from typing import Any

import requests
from requests.adapters import HTTPAdapter

from integrations.connectors.base import N_, ConnectorError, ErpError, ErrorCategory

USER_AGENT = "Roger-ERP-Sync/0.1 (+https://github.com/roger; bills and payments)"
DEFAULT_TIMEOUT: tuple[float, float] = (3.05, 30.0)
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class TimeoutSession(requests.Session):
    """A session that refuses to send without a timeout: the default fills in when a caller forgets one."""

    def __init__(self, timeout: tuple[float, float] = DEFAULT_TIMEOUT):
        super().__init__()
        self.default_timeout = timeout

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.default_timeout
        return super().request(method, url, *args, **kwargs)


def make_session(*, timeout: tuple[float, float] = DEFAULT_TIMEOUT, user_agent: str = USER_AGENT) -> requests.Session:
    """The session factory for all connectors."""
    session = TimeoutSession(timeout)
    # max_retries=0: urllib3 must not replay a POST whose first attempt may have been committed.
    adapter = HTTPAdapter(max_retries=0)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    session.headers["User-Agent"] = user_agent
    session.headers["Accept"] = "application/json"
    return session


# --- JSON ---------------------------------------------------------------------------------------------------


def _to_jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        # ERP schemas type money as JSON numbers.  Amounts are validated to 2 decimals before they get here,
        # and a float's repr is the shortest string that round-trips, so 123.45 is written as 123.45.
        as_float = float(value)
        if not math.isfinite(as_float):
            raise ValueError(f"not a finite amount: {value}")
        return as_float
    if isinstance(value, Mapping):
        return {str(k): _to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_to_jsonable(v) for v in value]
    return value


def jsonable(value: Any) -> Any:
    """``value`` with Decimals turned into JSON numbers, key order kept (what is logged as "sent")."""
    return _to_jsonable(value)


def dumps(value: Any) -> bytes:
    """Deterministic JSON: the same payload always gives byte-identical bodies (idempotency-key replays)."""
    return json.dumps(_to_jsonable(value), separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")


def loads(content: bytes | str) -> Any:
    """Parse a JSON body keeping amounts exact (floats become Decimals)."""
    return json.loads(content, parse_float=Decimal)


def parse_json_response(response: requests.Response, *, erp: str, write: bool) -> Any:
    """The body as JSON, or a TEMPORARY error when it is not JSON (an HTML 502, a truncated body)."""
    try:
        return loads(response.content)
    except (ValueError, UnicodeDecodeError):
        content_type = response.headers.get("Content-Type", "unknown type").split(";")[0]
        raise ConnectorError(
            ErpError(
                category=ErrorCategory.TEMPORARY,
                message=N_("{erp} returned an unreadable response (HTTP {status}, {content_type})").format(
                    erp=erp, status=response.status_code, content_type=content_type
                ),
                hint=(
                    N_("{erp} may have saved the change; Roger checks before sending it again.").format(erp=erp)
                    if write
                    else N_("{erp} seems to be having trouble; Roger will try again.").format(erp=erp)
                ),
                uncertain=write,
                code="unreadable_response",
                status=response.status_code,
            )
        ) from None


# --- headers ------------------------------------------------------------------------------------------------


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """``Retry-After`` as seconds from now: either delta-seconds or an HTTP-date (RFC 9110 §10.2.3)."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    if not math.isfinite(seconds):
        return None
    return max(0.0, seconds)


def header_int(headers: Mapping[str, str], name: str) -> int | None:
    raw = headers.get(name)
    if raw is None:
        return None
    try:
        return int(str(raw).strip())
    except ValueError:
        return None


# --- errors -------------------------------------------------------------------------------------------------


def network_error(exc: requests.RequestException, *, erp: str, write: bool) -> ConnectorError:
    """A transport failure as a TEMPORARY error; ``uncertain`` when a write may have reached the ERP."""
    # A connect timeout means the request never left: even a write is certainly not processed.
    sent = not isinstance(exc, requests.ConnectTimeout)
    if isinstance(exc, requests.Timeout):
        message = N_("{erp} did not answer in time ({error})")
    elif isinstance(exc, requests.ConnectionError):
        message = N_("{erp} could not be reached or dropped the connection ({error})")
    else:
        message = N_("{erp} could not be talked to ({error})")
    uncertain = write and sent
    return ConnectorError(
        ErpError(
            category=ErrorCategory.TEMPORARY,
            message=message.format(erp=erp, error=type(exc).__name__),
            hint=(
                N_("{erp} may have saved the change; Roger checks before sending it again.").format(erp=erp)
                if uncertain
                else N_("Roger will try again.")
            ),
            uncertain=uncertain,
            code=type(exc).__name__,
        )
    )


# --- redaction ----------------------------------------------------------------------------------------------

REDACTED = "***"
_SECRET_PATTERNS = (
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9\-._~+/]+=*"),
    re.compile(r"(?i)(basic\s+)[A-Za-z0-9+/]+=*"),
    re.compile(
        r"(?i)(?<![A-Za-z_])([\"']?(?:access_token|refresh_token|id_token|client_secret|code|password|secret|token)[\"']?"
        r"\s*[:=]\s*[\"']?)[^\"'&\s,}]+"
    ),
)


def redact(text: object, secrets: Iterable[str | None] = ()) -> str:
    """``text`` with known secrets and anything shaped like a credential replaced by ***."""
    out = str(text)
    for secret in secrets:
        if secret and len(secret) >= 4:
            out = out.replace(secret, REDACTED)
    for pattern in _SECRET_PATTERNS:
        out = pattern.sub(lambda m: m.group(1) + REDACTED, out)
    return out


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Headers safe to log: credentials masked."""
    masked = {
        "authorization",
        "proxy-authorization",
        "cookie",
        "set-cookie",
        "x-appsecrettoken",
        "x-agreementgranttoken",
    }
    return {k: (REDACTED if k.lower() in masked else v) for k, v in headers.items()}
