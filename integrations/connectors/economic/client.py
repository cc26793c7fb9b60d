"""HTTP to e-conomic's two API surfaces, and what a whole call's failure means for the accountant.

* The legacy REST API (``https://restapi.e-conomic.com``; JSON schemas in ``specs/economic/legacy``): its error
  body is ``{message, errorCode, developerHint, logId, httpStatusCode, errors{…}, logTime}``.
* The OpenAPI services under ``https://apis.e-conomic.com/<service>api/vN/`` (``openapi-Journals.json`` server
  ``https://apis.e-conomic.com/journalsapi/v15.0.0/``, ``openapi-BookedEntries.json`` server
  ``…/bookedEntriesapi/v4.0.0/``, ``openapi-Documents.json`` server ``…/documentsapi/v4.0.1/``): errors are
  ``application/problem+json`` ``ProblemDetails`` (``title``, ``detail``, ``errors[{message, errorCode,
  property}]``, ``traceId``).

Both take ``X-AppSecretToken`` and ``X-AgreementGrantToken`` (the descriptions' security schemes).  Status codes,
as the Journals description's "HTTP Status Codes" table defines them:
* 401 "If an agreement has revoked the grant they gave your app, this is what you will see" → AUTHENTICATION
  (needs reconnect);
* 403 "even though you were authorized we might still deny access … This depends on the roles asked for when
  the grant was issued" → SETUP, naming the role or module (every Journals/BookedEntries tag has
  ``x-required-roles: ["Bookkeeping", "SuperUser"]``; departments "require the departments module",
  legacy ``departmental-distributions`` schemas) — not a reconnect;
* 429 "You are over your quota" → TEMPORARY; the descriptions name no rate-limit headers, so only Retry-After
  (when sent) is used;
* 5xx → TEMPORARY, uncertain for writes.
* ``Idempotency-Key`` on writes: "In case of a network failure … retry the request with the same value … you will
  get the original response from our cache … cached for only one hour" (Journals description, "Idempotency
  tokens").  Sent on the legacy API too, where nothing documents it: harmless if ignored, never relied on.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import requests

from integrations.connectors import http
from integrations.connectors.base import N_, ConnectorError, ErpError, ErrorCategory, NoThrottle, Throttle
from integrations.connectors.economic.ids import ERP, PAGE_SIZE

log = logging.getLogger("integrations.connectors.economic")

JOURNALS_API = "/journalsapi/v15.0.0"
BOOKED_API = "/bookedEntriesapi/v4.0.0"
DOCUMENTS_API = "/documentsapi/v4.0.1"
SERVICES = {"journals": JOURNALS_API, "booked": BOOKED_API, "documents": DOCUMENTS_API}
SERVICE_NAMES = {"journals": "Journals API", "booked": "BookedEntries API", "documents": "Documents API"}

BOOKKEEPING_HINT = N_(
    "In e-conomic, give Roger's app the Bookkeeping role for this agreement (Settings → Apps → the app's "
    "roles; SuperUser works too), then test the connection again. Reconnecting alone does not help."
)
DIMENSION_HINT = N_(
    "Departments need e-conomic's Dimension module: switch it on in e-conomic, or remove the department "
    "mappings in Roger's integration settings."
)


@dataclass
class Reply:
    status: int
    body: Any
    headers: Mapping[str, str]


class EconomicHttp:
    """One authenticated call at a time, through the shared throttle; whole-call failures raise."""

    def __init__(
        self,
        *,
        api_url: str,
        apis_url: str,
        app_secret_token: str,
        agreement_grant_token: str,
        journal_number: int,
        throttle: Throttle | None,
        session: requests.Session | None,
        timeout: tuple[float, float],
    ) -> None:
        self.api_url = api_url.rstrip("/")
        self.apis_url = apis_url.rstrip("/")
        self.journal_number = journal_number
        self.throttle: Throttle = throttle if throttle is not None else NoThrottle()
        self.timeout = timeout
        self.session = session if session is not None else http.make_session(timeout=timeout)
        self._secret = app_secret_token
        self._grant = agreement_grant_token

    def redact(self, text: object) -> str:
        return http.redact(text, (self._secret, self._grant))

    def url(self, api: str, path: str) -> str:
        if api == "legacy":
            return self.api_url + path
        return self.apis_url + SERVICES[api] + path

    def request(
        self,
        method: str,
        path: str,
        *,
        api: str = "legacy",
        params: Mapping[str, str] | None = None,
        body: Any = None,
        idempotency_key: str | None = None,
        ok_statuses: tuple[int, ...] = (),
        multipart: tuple[bytes, str] | None = None,
    ) -> Reply:
        """One call.  Statuses in ``ok_statuses`` (besides 2xx) come back with their parsed body: 400 for
        per-element validation, 404 for "gone", 409 for an ``objectVersion`` conflict, 413/415 for a refused file
        (a body nothing documents: ``None`` when it is not JSON).  ``multipart`` is an encoded
        ``multipart/form-data`` body with its content type (the Documents API's upload)."""
        write = method in http.WRITE_METHODS
        headers = {"X-AppSecretToken": self._secret, "X-AgreementGrantToken": self._grant}
        data = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            data = http.dumps(body)
        elif multipart is not None:
            data, headers["Content-Type"] = multipart
        if idempotency_key and write:
            headers["Idempotency-Key"] = idempotency_key
        with self.throttle.slot():
            try:
                response = self.session.request(
                    method, self.url(api, path), params=params, data=data, headers=headers, timeout=self.timeout
                )
            except requests.RequestException as exc:
                log.info("e-conomic %s %s failed: %s", method, path, type(exc).__name__)
                raise http.network_error(exc, erp=ERP, write=write) from None
        retry_after = http.parse_retry_after(response.headers.get("Retry-After"))
        self.throttle.observe(status=response.status_code, headers=response.headers, retry_after=retry_after)
        log.debug("e-conomic %s %s -> %s", method, path, response.status_code)
        status = response.status_code
        if status == 204 or (not response.content and status < 300):
            return Reply(status, None, response.headers)
        if status == 429:
            raise ConnectorError(
                ErpError(
                    ErrorCategory.TEMPORARY,
                    self._message(response) or N_("e-conomic's fair-use limit was reached (HTTP 429)"),
                    hint=N_("Roger waits as e-conomic asks and tries again."),
                    retry_after=retry_after,
                    code="rate_limited",
                    status=429,
                )
            )
        if status >= 500:
            raise ConnectorError(
                ErpError(
                    ErrorCategory.TEMPORARY,
                    self._message(response) or N_("e-conomic had a server error (HTTP {status})").format(status=status),
                    hint=N_("e-conomic may have saved the change; Roger checks before sending it again.")
                    if write
                    else N_("Roger will try again."),
                    retry_after=retry_after,
                    uncertain=write,
                    code=str(status),
                    status=status,
                )
            )
        if status == 401:
            raise ConnectorError(
                ErpError(
                    ErrorCategory.AUTHENTICATION,
                    self._message(response) or N_("e-conomic refused the tokens (HTTP 401)"),
                    hint=N_("Reconnect the e-conomic integration: the agreement's grant may have been revoked."),
                    code="401",
                    status=401,
                )
            )
        if status == 403:
            raise ConnectorError(self._forbidden(api, path, response))
        if status in (413, 415) and status in ok_statuses:
            return Reply(status, self._lenient(response), response.headers)
        parsed = http.parse_json_response(response, erp=ERP, write=write and status < 300)
        if 200 <= status < 300 or status in ok_statuses:
            return Reply(status, parsed, response.headers)
        if status == 404 and api == "legacy" and path.startswith(f"/journals/{self.journal_number}"):
            raise ConnectorError(self.journal_missing())
        raise ConnectorError(self._whole_call_error(status, parsed))

    def journal_missing(self) -> ErpError:
        return ErpError(
            ErrorCategory.SETUP,
            N_("Journal {journal} does not exist in e-conomic").format(journal=self.journal_number),
            field="journal",
            hint=N_("Choose an existing journal (kassekladde) in the integration's settings."),
            code="journal_not_found",
            status=404,
        )

    def _forbidden(self, api: str, path: str, response: requests.Response) -> ErpError:
        detail = self._message(response)
        # Each refusal whole, with e-conomic's own words in parentheses when it gave any.
        if api != "legacy":
            template = (
                N_("e-conomic refused Roger's app the {service}: it needs the Bookkeeping role ({detail})")
                if detail
                else N_("e-conomic refused Roger's app the {service}: it needs the Bookkeeping role")
            )
            hint = BOOKKEEPING_HINT
        elif path.startswith(("/departmental-distributions", "/departments")):
            template, hint = (
                N_("e-conomic refused the departments: the agreement lacks the Dimension module ({detail})")
                if detail
                else N_("e-conomic refused the departments: the agreement lacks the Dimension module"),
                DIMENSION_HINT,
            )
        else:
            template = (
                N_("e-conomic refused Roger's app access to {path}: a role or module is missing ({detail})")
                if detail
                else N_("e-conomic refused Roger's app access to {path}: a role or module is missing")
            )
            hint = N_(
                "Check the roles of Roger's app and the agreement's modules in e-conomic, then test the connection."
            )
        return ErpError(
            ErrorCategory.SETUP,
            template.format(service=SERVICE_NAMES.get(api, ""), path=path.split("?")[0], detail=detail),
            hint=hint,
            code="forbidden",
            status=403,
        )

    @staticmethod
    def _lenient(response: requests.Response) -> Any:
        try:
            return http.loads(response.content)
        except (ValueError, UnicodeDecodeError):
            return None

    def _message(self, response: requests.Response) -> str:
        try:
            parsed = http.loads(response.content)
        except (ValueError, UnicodeDecodeError):
            return ""
        return self.redact(body_message(parsed))

    def _whole_call_error(self, status: int, parsed: Any) -> ErpError:
        code = str(parsed.get("errorCode") or status) if isinstance(parsed, Mapping) else str(status)
        return ErpError(
            ErrorCategory.VALIDATION if status < 500 else ErrorCategory.TEMPORARY,
            self.redact(
                body_message(parsed) or N_("e-conomic refused the request (HTTP {status})").format(status=status)
            ),
            code=code,
            status=status,
        )

    # -- collections ------------------------------------------------------------------------------------------
    def paged(self, path: str, params: Mapping[str, str] | None = None) -> Iterator[dict[str, Any]]:
        """Every item of a legacy collection, page by page (``skippages``/``pagesize``, ``pagination.nextPage``)."""
        skip = 0
        while True:
            query = {**(params or {}), "skippages": str(skip), "pagesize": str(PAGE_SIZE)}
            body = self.request("GET", path, params=query).body or {}
            items = body.get("collection") or [] if isinstance(body, Mapping) else []
            yield from items
            pagination = body.get("pagination") or {} if isinstance(body, Mapping) else {}
            if len(items) < PAGE_SIZE or not pagination.get("nextPage"):
                return
            skip += 1

    def cursor(self, api: str, path: str, params: Mapping[str, str] | None = None) -> Iterator[dict[str, Any]]:
        """Every item of an OpenAPI collection: "If the cursor is not present in the response, it means that there
        are no more items" (Journals description, "Cursor-based pagination")."""
        cursor = ""
        while True:
            query = {**(params or {}), **({"cursor": cursor} if cursor else {})}
            body = self.request("GET", path, api=api, params=query).body or {}
            yield from (body.get("items") or []) if isinstance(body, Mapping) else []
            cursor = str(body.get("cursor") or "") if isinstance(body, Mapping) else ""
            if not cursor:
                return


def body_message(parsed: Any) -> str:
    """The human sentence of either error body: legacy ``message``, or problem+json ``title``/``detail``."""
    if not isinstance(parsed, Mapping):
        return ""
    if parsed.get("message"):
        return str(parsed["message"])
    title, detail = str(parsed.get("title") or ""), str(parsed.get("detail") or "")
    return f"{title}: {detail}" if title and detail and detail != title else title or detail
