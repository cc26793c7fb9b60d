"""Checks every Xero request the connector sends, and every answer it gets, against Xero's OpenAPI description.

Switched on by ``ROGER_XERO_OPENAPI=<path to xero_accounting.yaml>`` (the spec lives in ``../shared/specs`` and
is not part of the repository, so plain ``make test`` never needs it).  A ``requests`` response hook on the
session handed to the connector records each exchange; sandbox URLs (``{sandbox}/xero/api.xro/2.0/...``) are
mapped onto Xero's server ``https://api.xero.com/api.xro/2.0`` before validation with openapi-core.

What is validated: the request (path, method, query parameters, headers, JSON body) always; the response
when the operation documents its status.  A file upload (``…/Attachments/{FileName}``) is the one exception to
body validation: Xero sends and takes the raw file ("The body of the http request contains the raw attachment
content", developer.xero.com/documentation/api/accounting/attachments; its SDKs send the file's bytes as
``application/octet-stream``), which the description types as ``string``/``format: byte`` — a schema that no
raw bytes can satisfy in a validator.  For those requests the parameters and headers are validated against the
operation and the body must be the non-empty octet stream the operation declares.  Xero's description documents only 200 and 400 for most operations,
so 401/403/404/429/5xx answers are counted as ``undocumented`` rather than failed.  OAuth calls
(identity, ``/connections``) are outside the Accounting API description and are not checked here.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests

ENV = "ROGER_XERO_OPENAPI"
XERO_SERVER = ("https", "api.xero.com")
API_MARK = "/api.xro/2.0"


def spec_path() -> Path | None:
    value = os.environ.get(ENV, "").strip()
    return Path(value) if value else None


@dataclass
class Exchange:
    method: str
    url: str  # as mapped onto api.xero.com
    status: int
    request: requests.PreparedRequest
    response: requests.Response


@dataclass
class ConformanceRecorder:
    path: Path
    exchanges: list[Exchange] = field(default_factory=list)
    checked: int = 0
    requests_valid: int = 0
    responses_valid: int = 0
    undocumented: int = 0
    problems: list[str] = field(default_factory=list)
    _openapi: Any = None
    _pending: int = 0

    def load(self) -> ConformanceRecorder:
        from openapi_core import Config, OpenAPI

        if not self.path.is_file():
            raise FileNotFoundError(f"{ENV}={self.path} does not exist: Xero's OpenAPI description is needed")
        self._openapi = OpenAPI.from_file_path(str(self.path), config=Config(spec_validator_cls=None))
        return self

    def attach(self, session: requests.Session) -> requests.Session:
        session.hooks.setdefault("response", []).append(self._record)
        return session

    def _record(self, response: requests.Response, *args: Any, **kwargs: Any) -> requests.Response:
        mapped = map_url(response.request.url or "")
        if mapped is not None:
            _ = response.content  # read now: the hook runs before the caller consumes the body
            self.exchanges.append(
                Exchange(str(response.request.method), mapped, response.status_code, response.request, response)
            )
        return response

    def validate_pending(self) -> list[str]:
        """Validate exchanges recorded since the last call; returns the new problems."""
        from openapi_core.contrib.requests import RequestsOpenAPIRequest, RequestsOpenAPIResponse
        from openapi_core.templating.responses.exceptions import ResponseNotFound

        new: list[str] = []
        for exchange in self.exchanges[self._pending :]:
            prepared = exchange.request.copy()
            prepared.url = exchange.url
            request = RequestsOpenAPIRequest(prepared)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # openapi-core cannot evaluate the oauth2 scheme; irrelevant here
                if _is_upload(prepared):
                    errors = self._upload_errors(request, prepared)
                else:
                    errors = [_describe(e) for e in self._openapi.iter_request_errors(request)]
                if errors:
                    new.append(f"request {exchange.method} {exchange.url}: {'; '.join(errors)}")
                else:
                    self.requests_valid += 1
                try:
                    response_errors = [
                        _describe(e)
                        for e in self._openapi.iter_response_errors(request, RequestsOpenAPIResponse(exchange.response))
                    ]
                except ResponseNotFound:
                    response_errors = None
                if response_errors is None or any("Unknown response http status" in e for e in response_errors):
                    self.undocumented += 1
                elif response_errors:
                    new.append(
                        f"response {exchange.status} to {exchange.method} {exchange.url}: {'; '.join(response_errors)}"
                    )
                else:
                    self.responses_valid += 1
            self.checked += 1
        self._pending = len(self.exchanges)
        self.problems.extend(new)
        return new

    def _upload_errors(self, request: Any, prepared: requests.PreparedRequest) -> list[str]:
        from openapi_core.validation.request.validators import V30RequestParametersValidator

        errors = [_describe(e) for e in V30RequestParametersValidator(self._openapi.spec).iter_errors(request)]
        if not isinstance(prepared.body, bytes) or not prepared.body:
            errors.append("an upload's body must be the file's bytes")
        return errors


def _is_upload(prepared: requests.PreparedRequest) -> bool:
    return (prepared.headers.get("Content-Type") or "").startswith("application/octet-stream")


def _describe(error: Exception) -> str:
    parts = [f"{type(error).__name__}: {error}"]
    cause = error.__cause__
    while cause is not None and len(parts) < 4:
        detail = getattr(cause, "schema_errors", None)
        if detail:
            parts.extend(f"{getattr(d, 'json_path', '')} {getattr(d, 'message', d)}" for d in list(detail)[:5])
        else:
            parts.append(f"{type(cause).__name__}: {cause}")
        cause = cause.__cause__
    return " / ".join(parts)[:2000]


def map_url(url: str) -> str | None:
    """A sandbox (or real) Accounting API URL as the same URL on api.xero.com; None for anything else."""
    parts = urlsplit(url)
    index = parts.path.find(API_MARK + "/")
    if index < 0:
        return None
    return urlunsplit((*XERO_SERVER, parts.path[index:], parts.query, ""))
