"""One Xero API call: rate-limit slot → request with tenant header, bearer token and idempotency key → limits fed
back to the shared throttle → the answer classified (``http_errors``).  A 401 refreshes once and replays the same
request once (Xero did not process it)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import requests

from integrations.connectors.base import N_, ConnectorError, ErrorCategory, Throttle, TokenSource
from integrations.connectors.http import dumps, header_int, network_error, parse_json_response
from integrations.connectors.xero import http_errors
from integrations.connectors.xero.validation import idempotency_conflict
from integrations.connectors.xero.values import API_PREFIX, ERP, PAGE_SIZE, err

IDEMPOTENCY_REPLAY_WINDOW = 360.0  # Xero keeps a key for 6 minutes (developer.xero.com idempotent-requests guide)
Params = Sequence[tuple[str, str]]


@dataclass(frozen=True)
class Reply:
    status: int
    data: Any
    headers: Mapping[str, str]


class XeroApi:
    def __init__(
        self,
        *,
        api_url: str,
        tenant_id: str,
        tokens: TokenSource,
        throttle: Throttle,
        session: requests.Session,
        timeout: tuple[float, float],
        scopes: Sequence[str],
    ):
        self.base = api_url.rstrip("/") + API_PREFIX
        self.tenant_id = tenant_id
        self._tokens = tokens
        self._throttle = throttle
        self._session = session
        self._timeout = timeout
        self._scopes = tuple(scopes)
        self.last_rate_limits: dict[str, int | None] = {}  # Xero's X-*Limit-Remaining, from the last reply

    def _send(
        self,
        method: str,
        path: str,
        params: Params | None,
        content: bytes | None,
        token: str,
        idempotency_key: str | None,
        headers: Mapping[str, str] | None,
        content_type: str = "application/json",
    ) -> requests.Response:
        sent = {"Authorization": f"Bearer {token}", "xero-tenant-id": self.tenant_id, "Accept": "application/json"}
        if content is not None:
            sent["Content-Type"] = content_type
        if idempotency_key:
            sent["Idempotency-Key"] = idempotency_key
        sent.update(headers or {})
        try:
            with self._throttle.slot():
                response = self._session.request(
                    method, self.base + path, params=params, data=content, headers=sent, timeout=self._timeout
                )
        except requests.RequestException as exc:
            raise network_error(exc, erp=ERP, write=method != "GET") from None
        # Every answer carries the remaining minute/day budget; the shared throttle parks before Xero says 429
        # (developer.xero.com/documentation/guides/oauth2/limits/: "Each API response you receive will include the
        # X-DayLimit-Remaining, X-MinLimit-Remaining and X-AppMinLimit-Remaining headers").
        self.last_rate_limits = {
            "day": header_int(response.headers, "X-DayLimit-Remaining"),
            "minute": header_int(response.headers, "X-MinLimit-Remaining"),
            "app_minute": header_int(response.headers, "X-AppMinLimit-Remaining"),
        }
        wait = http_errors.rate_limit_wait(response) if response.status_code == 429 else None
        self._throttle.observe(status=response.status_code, headers=response.headers, retry_after=wait)
        return response

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Params | None = None,
        body: Any = None,
        idempotency_key: str | None = None,
        allow_404: bool = False,
        headers: Mapping[str, str] | None = None,
        upload: bytes | None = None,
    ) -> Reply:
        """One call.  ``upload``: a file's raw bytes as the body (attachments), sent as
        ``application/octet-stream`` — the request body Xero's OpenAPI description gives every attachments upload,
        and what its SDKs send (XeroAPI/xero-python, ``accounting_api.py``, ``create_invoice_attachment_by_file_name``)."""
        content = upload if upload is not None else (dumps(body) if body is not None else None)
        kind = "application/octet-stream" if upload is not None else "application/json"
        token = self._tokens.access_token()
        response = self._send(method, path, params, content, token, idempotency_key, headers, kind)
        if response.status_code == 401:
            # A 401 means Xero did not process the request: refresh once and send the very same request again.
            token = self._tokens.refresh_after_401(token)
            response = self._send(method, path, params, content, token, idempotency_key, headers, kind)
            if response.status_code == 401 and not http_errors.is_missing_scope(response):
                raise ConnectorError(
                    err(
                        ErrorCategory.AUTHENTICATION,
                        N_("Xero refused the access token even after a refresh"),
                        hint=N_("Reconnect the Xero integration in the integration settings."),
                        status=401,
                    )
                )
        return self._interpret(response, path, write=method != "GET", allow_404=allow_404, secrets=(token,))

    def _interpret(
        self, response: requests.Response, path: str, *, write: bool, allow_404: bool, secrets: Sequence[str]
    ) -> Reply:
        status = response.status_code
        if 200 <= status < 300:
            return Reply(status, parse_json_response(response, erp=ERP, write=write), response.headers)
        if status == 400:
            data = parse_json_response(response, erp=ERP, write=False)
            conflict = idempotency_conflict(data)
            if conflict:
                # Another body went out under this key moments ago (Xero keeps keys for 6 minutes). Nothing
                # was processed; Xero may word it at the top level or inside Elements.
                raise ConnectorError(
                    err(
                        ErrorCategory.TEMPORARY,
                        conflict,
                        hint=N_("Roger will send it again once Xero forgets the key."),
                        retry_after=IDEMPOTENCY_REPLAY_WINDOW,
                        code="IdempotencyKeyConflict",
                        status=400,
                    )
                )
            if isinstance(data, Mapping) and data.get("Elements"):
                return Reply(status, data, response.headers)
            raise ConnectorError(http_errors.error_400(data))
        if status == 404 and allow_404:
            return Reply(status, None, response.headers)
        raise ConnectorError(
            http_errors.status_error(response, write=write, path=path, scopes=self._scopes, secrets=secrets)
        )

    def pages(
        self,
        path: str,
        key: str,
        params: Params,
        *,
        headers: Mapping[str, str] | None = None,
        page_size: int = PAGE_SIZE,
    ) -> Iterator[list[dict[str, Any]]]:
        """Each page of a paged list (100 a page unless ``pageSize`` says more; paging also makes Xero include
        line items)."""
        page = 1
        while True:
            reply = self.request("GET", path, params=[*params, ("page", str(page))], headers=headers)
            batch = [e for e in (reply.data or {}).get(key) or [] if isinstance(e, Mapping)]
            yield batch
            if len(batch) < page_size:
                return
            page += 1

    def get_all(
        self, path: str, key: str, params: Params, *, headers: Mapping[str, str] | None = None
    ) -> list[dict[str, Any]]:
        return [element for batch in self.pages(path, key, params, headers=headers) for element in batch]
