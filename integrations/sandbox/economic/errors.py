"""The two error bodies e-conomic publishes, and the exception handlers raise them with.

* Legacy REST API: ``{message, errorCode, developerHint, logId, httpStatusCode, errors{<prop>: {errors: [{message,
  value, developerHint}]}}, logTime}``.  e-conomic's legacy material publishes no error codes for these cases, so
  the sandbox sends none (``errorCode`` is left out) and nothing may depend on one.
* OpenAPI services: ``application/problem+json`` ``ProblemDetails`` (``type``, ``title``, ``status``, ``detail``,
  ``errors[{message, errorCode, property}]``, ``traceId``, ``errorCode``, ``traceTimeUtc``; additionalProperties
  false), with codes from the services' ``x-error-codes`` only.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from integrations.sandbox.messages import Response, dumps

PROBLEM_JSON = "application/problem+json"


class EconomicError(Exception):
    """An error response raised from deep inside a handler."""

    def __init__(self, status: int, body: dict[str, Any], content_type: str = "application/json"):
        super().__init__(body.get("message") or body.get("title") or "")
        self.status = status
        self.body = body
        self.content_type = content_type

    def response(self) -> Response:
        return Response(status=self.status, body=dumps(self.body), content_type=self.content_type)


def _now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S")


def legacy_body(status: int, message: str, *, hint: str = "", errors: Any = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "message": message,
        "developerHint": hint or "Inspect the request and try again.",
        "logId": secrets.token_hex(8),
        "httpStatusCode": status,
    }
    if errors is not None:
        body["errors"] = errors
    body["logTime"] = _now_iso()
    return body


def legacy_error(status: int, message: str, *, hint: str = "", errors: Any = None) -> EconomicError:
    return EconomicError(status, legacy_body(status, message, hint=hint, errors=errors))


def problem_body(
    status: int, title: str, *, detail: str = "", errors: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {"title": title, "status": status}
    if detail:
        body["detail"] = detail
    if errors:
        body["errors"] = errors
    body["traceId"] = secrets.token_hex(16)
    body["traceTimeUtc"] = _now_iso()
    return body


def problem(
    status: int, title: str, *, code: str = "", message: str = "", prop: str = "", detail: str = ""
) -> EconomicError:
    errors = None
    if code or message:
        error: dict[str, Any] = {"message": message or title}
        if code:
            error["errorCode"] = code
        if prop:
            error["property"] = prop
        errors = [error]
    return EconomicError(status, problem_body(status, title, detail=detail, errors=errors), PROBLEM_JSON)


class Problems:
    """Annotated legacy errors for one element, keyed by property."""

    def __init__(self) -> None:
        self.props: dict[str, list[dict[str, Any]]] = {}

    def add(self, prop: str, message: str, value: Any = None, hint: str = "") -> None:
        err: dict[str, Any] = {"message": message}
        if value is not None:
            err["value"] = value
        err["developerHint"] = hint or "Please check your request data."
        self.props.setdefault(prop, []).append(err)

    def __bool__(self) -> bool:
        return bool(self.props)

    def annotated(self) -> dict[str, Any]:
        return {prop: {"errors": errs} for prop, errs in self.props.items()}

    def raise_if_any(self, message: str = "Validation error.") -> None:
        if self.props:
            raise legacy_error(
                400, message, errors=self.annotated(), hint="Inspect validation errors and correct your request."
            )
