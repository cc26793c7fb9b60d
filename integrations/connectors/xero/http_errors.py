"""What Xero's HTTP statuses mean for Roger (R15): authentication, missing permission, rate limits, outages.

* 401 — "Invalid authorization credentials" (developer.xero.com/documentation/api/http-response-codes): the
  token expired or the grant is gone.  Roger refreshes once; a second 401 is *authentication* (reconnect).
* 401/403 with ``Detail: AuthorizationUnsuccessful`` — the token is fine but lacks the scope for this endpoint
  (Xero staff and SDK issues: XeroAPI/Xero-NetStandard#97, #100, #178 — "the 'accounting.settings' scope needed
  to be included"; XeroAPI/xero-ruby-oauth2-app#82).  Its own *setup* error naming the permission: reconnecting
  and approving it fixes it, nothing else is wrong with the connection.
* 403 with ``Detail: AuthenticationUnsuccessful`` — the tenant is not (or no longer) connected to Roger
  (XeroAPI/xero-node#432): *authentication*.
* any other 403 — "User doesn't have permission to access the resource" (http-response-codes): the Xero user
  who connected Roger lacks a role; *setup*, not a lost connection.
* 429 — a limit (``X-Rate-Limit-Problem``); ``Retry-After`` only for the minute and day limits
  (developer.xero.com/documentation/guides/oauth2/limits/): a concurrency 429 means "try again in a moment".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import requests

from integrations.connectors.base import N_, ErpError, ErrorCategory
from integrations.connectors.http import parse_retry_after, redact
from integrations.connectors.xero.scopes import permission_for
from integrations.connectors.xero.values import err

# A concurrency 429 has no Retry-After: a call in flight ends within seconds, so come back after a short pause
# instead of blocking the tenant for a minute.
CONCURRENCY_BACKOFF = 1.0
SCOPE_DETAIL = "AuthorizationUnsuccessful"
TENANT_DETAIL = "AuthenticationUnsuccessful"


def error_text(response: requests.Response) -> str:
    """A short, human part of an error body: Xero's Message/Detail, never a whole HTML page."""
    try:
        data = response.json()
    except ValueError:
        return ""
    if isinstance(data, Mapping):
        for key in ("Message", "Detail", "Title", "error_description", "error"):
            if data.get(key):
                return str(data[key])[:300]
    return ""


def is_missing_scope(response: requests.Response) -> bool:
    return response.status_code in (401, 403) and SCOPE_DETAIL in error_text(response)


def missing_scope(path: str, scopes: Sequence[str], status: int) -> ErpError:
    permission = permission_for(path, scopes)
    return err(
        ErrorCategory.SETUP,
        N_("Roger's Xero app lacks permission {permission} — reconnect and approve it").format(permission=permission),
        hint=N_(
            "Reconnect Xero in Integrations settings and approve {permission} on Xero's consent screen, then re-sync."
        ).format(permission=permission),
        code="insufficient_scope",
        status=status,
    )


def rate_limit_wait(response: requests.Response) -> float | None:
    """Seconds before this tenant may be called again, as Xero's answer says."""
    retry_after = parse_retry_after(response.headers.get("Retry-After"))
    if retry_after is None and (response.headers.get("X-Rate-Limit-Problem") or "").lower() == "concurrent":
        return CONCURRENCY_BACKOFF
    return retry_after


def status_error(
    response: requests.Response, *, write: bool, path: str, scopes: Sequence[str], secrets: Sequence[str]
) -> ErpError:
    status = response.status_code
    detail = redact(error_text(response), secrets)
    if status == 429:
        return _rate_limited(response)
    if is_missing_scope(response):
        return missing_scope(path, scopes, status)
    if status == 401 or (status == 403 and TENANT_DETAIL in detail):
        gone = status == 403
        return err(
            ErrorCategory.AUTHENTICATION,
            N_("Xero refused access: {detail}").format(detail=detail) if detail else N_("Xero refused access"),
            hint=(N_("The organisation is no longer connected to Roger.") + " " if gone else "")
            + N_("Reconnect the Xero integration in the integration settings."),
            code=TENANT_DETAIL if TENANT_DETAIL in detail else None,
            status=status,
        )
    if status == 403:
        return err(
            ErrorCategory.SETUP,
            N_("Xero says the user who connected Roger may not do this: {detail}").format(detail=detail)
            if detail
            else N_("Xero says the user who connected Roger may not do this"),
            hint=N_(
                "Ask a Xero admin to give that user the Standard or Adviser role, or reconnect Xero as a user "
                "who has it; then re-sync."
            ),
            status=403,
        )
    if status >= 500:
        return err(
            ErrorCategory.TEMPORARY,
            N_("Xero is unavailable (HTTP {status}): {detail}").format(status=status, detail=detail)
            if detail
            else N_("Xero is unavailable (HTTP {status})").format(status=status),
            hint=(
                N_("Xero may have saved the change; Roger checks before sending it again.")
                if write
                else N_("Roger will try again.")
            ),
            retry_after=parse_retry_after(response.headers.get("Retry-After")),
            uncertain=write,
            status=status,
        )
    if status == 404:
        return err(
            ErrorCategory.VALIDATION,
            N_("Not found in Xero (HTTP 404): {detail}").format(detail=detail)
            if detail
            else N_("Not found in Xero (HTTP 404)"),
            hint=N_("The entry may have been removed in Xero; re-sync to create it again."),
            status=404,
        )
    return err(
        ErrorCategory.VALIDATION,
        N_("Xero refused the request (HTTP {status}): {detail}").format(status=status, detail=detail)
        if detail
        else N_("Xero refused the request (HTTP {status})").format(status=status),
        status=status,
    )


def _rate_limited(response: requests.Response) -> ErpError:
    problem = response.headers.get("X-Rate-Limit-Problem") or None
    retry_after = rate_limit_wait(response)
    limit = problem or "unknown"
    return err(
        ErrorCategory.TEMPORARY,
        N_("Xero rate limit reached ({limit} limit); retry after {seconds} s").format(
            limit=limit, seconds=f"{retry_after:g}"
        )
        if retry_after is not None
        else N_("Xero rate limit reached ({limit} limit)").format(limit=limit),
        hint=N_("Roger slows down and tries again automatically."),
        retry_after=retry_after,
        code=problem,
        status=429,
    )


def error_400(data: Any) -> ErpError:
    message = (
        str(data.get("Message") or data.get("Detail") or N_("Xero refused the request"))
        if isinstance(data, Mapping)
        else N_("Xero refused the request")
    )
    code = str(data.get("Type") or "") if isinstance(data, Mapping) else None
    return err(ErrorCategory.VALIDATION, message, hint=N_("Correct the document and re-sync."), code=code, status=400)
