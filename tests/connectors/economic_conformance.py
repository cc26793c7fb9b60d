"""Checks e-conomic exchanges against e-conomic's own published descriptions (``shared/specs/economic``).

Switched on by ``ROGER_ECONOMIC_SPECS=<path to specs/economic>`` (``make contract`` sets it; the descriptions
live beside the repository, so plain ``make test`` never needs them).  A ``requests`` response hook records each
exchange on a session; validation then uses maintained validators:

* the OpenAPI services (``/journalsapi/v15.0.0/…``, ``/bookedEntriesapi/v4.0.0/…``, ``/documentsapi/v4.0.1/…``):
  openapi-core against ``openapi-Journals.json`` / ``openapi-BookedEntries.json`` / ``openapi-Documents.json``,
  URLs mapped onto ``https://apis.e-conomic.com`` — request (path, method, query, headers, body) and response
  (status, content type, body; every status these files document, errors included); a read-only property sent
  back as read is allowed, as the description says.  A ``multipart/form-data`` body (the Documents API's upload)
  is read part by part, each field cast to its schema's type (form fields travel as text) and the object
  validated with openapi-schema-validator's ``OAS30Validator``; each part's content type is checked against the
  operation's ``encoding`` — openapi-core 0.23 compares the raw text with ``integer`` properties, so its own
  verdict on such a body is replaced by this one;
* the legacy REST API (everything else): ``jsonschema.Draft3Validator`` against the schema of that endpoint and
  verb (``journals.journalNumber.vouchers.post.schema.json`` for ``POST /journals/10/vouchers``): the request
  body of a POST/PUT, the response body of a successful GET.  Legacy error bodies have no schema.
"""

from __future__ import annotations

import json
import os
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests

ENV = "ROGER_ECONOMIC_SPECS"
SERVICES = {
    "journalsapi/v15.0.0": "openapi-Journals.json",
    "bookedEntriesapi/v4.0.0": "openapi-BookedEntries.json",
    "documentsapi/v4.0.1": "openapi-Documents.json",
}
LEGACY_MARK = "/economic/"  # where the sandbox serves e-conomic; the real hosts have no prefix
_PARAM = re.compile(r"^[a-z]+[A-Z][A-Za-z]*(-[a-z]+[A-Z][A-Za-z]*)?$|^(code|id)$")


def specs_dir() -> Path | None:
    value = os.environ.get(ENV, "").strip()
    return Path(value) if value else None


@dataclass
class EconomicRecorder:
    path: Path
    exchanges: list[tuple[str, requests.PreparedRequest, requests.Response]] = field(default_factory=list)
    checked: int = 0
    problems: list[str] = field(default_factory=list)
    operations: set[str] = field(default_factory=set)  # "GET journalsapi /draft-entries", "POST legacy …"
    _openapi: dict[str, Any] = field(default_factory=dict)
    _raw: dict[str, dict[str, Any]] = field(default_factory=dict)
    _legacy: list[tuple[str, list[str], dict[str, Any]]] = field(default_factory=list)
    _pending: int = 0

    def load(self) -> EconomicRecorder:
        from openapi_core import Config, OpenAPI

        if not self.path.is_dir():
            raise FileNotFoundError(f"{ENV}={self.path} is not a directory: e-conomic's descriptions are needed")
        for service, name in SERVICES.items():
            config = Config(
                spec_validator_cls=None,
                # the error bodies are application/problem+json, which openapi-core does not parse by itself
                extra_media_type_deserializers={"application/problem+json": json.loads},
            )
            self._openapi[service] = OpenAPI.from_file_path(str(self.path / name), config=config)
            self._raw[service] = json.loads((self.path / name).read_text(encoding="utf-8"))
        for file in sorted((self.path / "legacy").glob("*.schema.json")):
            parts = file.name[: -len(".schema.json")].split(".")
            try:
                schema = json.loads(file.read_text(encoding="utf-8"))
            except ValueError:
                continue  # two files carry trailing commas as e-conomic published them; Roger uses neither
            self._legacy.append((parts[-1].upper(), parts[:-1], schema))
        return self

    def attach(self, session: requests.Session) -> requests.Session:
        session.hooks.setdefault("response", []).append(self._record)
        return session

    def _record(self, response: requests.Response, *args: Any, **kwargs: Any) -> requests.Response:
        _ = response.content  # read now: the hook runs before the caller consumes the body
        self.exchanges.append((str(response.request.url), response.request, response))
        return response

    def validate_pending(self) -> list[str]:
        new: list[str] = []
        for url, request, response in self.exchanges[self._pending :]:
            problem = self.validate(url, request, response)
            if problem:
                new.append(problem)
            self.checked += 1
        self._pending = len(self.exchanges)
        self.problems.extend(new)
        return new

    # -- one exchange -------------------------------------------------------------------------------------------
    def validate(self, url: str, request: requests.PreparedRequest, response: requests.Response) -> str:
        parts = urlsplit(url)
        path = parts.path.split(LEGACY_MARK, 1)[1] if LEGACY_MARK in parts.path else parts.path.lstrip("/")
        service = next((s for s in SERVICES if path.startswith(s + "/")), None)
        method = str(request.method)
        if service is not None:
            sub = path[len(service) :]
            self.operations.add(f"{method} {service} {re.sub(r'/\d+', '/{n}', sub)}")
            mapped = urlunsplit(("https", "apis.e-conomic.com", f"/{service}{sub}", parts.query, ""))
            return self._validate_openapi(service, mapped, request, response)
        self.operations.add(f"{method} legacy /{re.sub(r'/\d+', '/{n}', path)}")
        return self._validate_legacy(method, path, request, response)

    def _validate_openapi(
        self, service: str, url: str, request: requests.PreparedRequest, response: requests.Response
    ) -> str:
        from openapi_core.contrib.requests import RequestsOpenAPIRequest, RequestsOpenAPIResponse

        prepared = request.copy()
        prepared.url = url
        wrapped = RequestsOpenAPIRequest(prepared)
        multipart = str(request.headers.get("Content-Type") or "").startswith("multipart/form-data")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            errors = [
                _describe(e)
                for e in self._openapi[service].iter_request_errors(wrapped)
                if not _read_only_echo(e) and not (multipart and type(e).__name__ == "InvalidRequestBody")
            ]
            if multipart:
                errors += multipart_errors(self._raw[service], urlsplit(url).path, request)
            errors += [
                _describe(e)
                for e in self._openapi[service].iter_response_errors(wrapped, RequestsOpenAPIResponse(response))
            ]
        return f"{request.method} {url} → {response.status_code}: {'; '.join(errors)}" if errors else ""

    def _validate_legacy(
        self, method: str, path: str, request: requests.PreparedRequest, response: requests.Response
    ) -> str:
        from jsonschema import Draft3Validator

        segments = [s for s in path.split("?")[0].split("/") if s]
        schema = self._legacy_schema("GET" if method == "GET" else method, segments)
        if schema is None:
            return f"{method} /{path}: no legacy schema describes this endpoint and verb"
        if method == "GET":
            if response.status_code != 200:
                return ""  # legacy error bodies have no schema
            instance, what = response.json(), "response"
        else:
            instance, what = json.loads(request.body or b"null"), "request"
        errors = sorted(Draft3Validator(schema).iter_errors(instance), key=lambda e: list(e.path))
        if not errors:
            return ""
        text = "; ".join(f"{'/'.join(str(p) for p in e.path)}: {e.message}" for e in errors[:5])
        return f"{method} /{path} ({what}): {text}"

    def _legacy_schema(self, method: str, segments: list[str]) -> dict[str, Any] | None:
        for verb, template, schema in self._legacy:
            if verb != method or len(template) != len(segments):
                continue
            if all(t == s or _PARAM.match(t) for t, s in zip(template, segments, strict=True)):
                return schema
        return None


def multipart_errors(spec: dict[str, Any], url_path: str, request: requests.PreparedRequest) -> list[str]:
    """A multipart request body against its operation's schema and ``encoding`` (see the module docstring)."""
    from email import policy
    from email.parser import BytesParser

    from openapi_schema_validator import OAS30Validator

    base = urlsplit(spec["servers"][0]["url"]).path.rstrip("/")
    sub = url_path[len(base) :] if url_path.startswith(base) else url_path
    operation = next(
        (
            ops.get(str(request.method).lower())
            for template, ops in spec["paths"].items()
            if re.fullmatch(re.sub(r"\{[^/]+\}", "[^/]+", template), sub)
        ),
        None,
    )
    media = ((operation or {}).get("requestBody") or {}).get("content", {}).get("multipart/form-data")
    if media is None:
        return [f"no multipart/form-data request body is described for {request.method} {sub}"]
    schema = _resolved(spec, media["schema"])
    header = b"Content-Type: " + str(request.headers["Content-Type"]).encode() + b"\r\n\r\n"
    message = BytesParser(policy=policy.HTTP).parsebytes(header + (request.body or b""))
    instance: dict[str, Any] = {}
    problems: list[str] = []
    encodings = {k.lower(): v for k, v in (media.get("encoding") or {}).items()}
    for part in message.iter_parts():
        name = str(part.get_param("name", header="content-disposition") or "")
        payload = part.get_payload(decode=True) or b""
        prop = _resolved(spec, schema.get("properties", {}).get(name, {}))
        kind = prop.get("type") or next((_resolved(spec, p).get("type") for p in prop.get("allOf", [])), None)
        text = payload.decode("latin-1")
        instance[name] = int(text) if kind == "integer" and re.fullmatch(r"-?\d+", text) else text
        allowed = (encodings.get(name.lower()) or {}).get("contentType")
        if allowed and part.get_filename() is not None:
            types = [t.strip() for t in allowed.split(",")]
            if part.get_content_type() not in types:
                problems.append(f"part {name}: content type {part.get_content_type()} is not one of {types}")
    problems += [
        f"{'/'.join(map(str, e.path)) or 'body'}: {e.message}" for e in OAS30Validator(schema).iter_errors(instance)
    ]
    return problems


def _resolved(spec: dict[str, Any], node: Any) -> Any:
    """``node`` with every local ``$ref`` replaced by what it points at (the descriptions have no cycles here)."""
    if isinstance(node, dict):
        if "$ref" in node:
            target: Any = spec
            for key in node["$ref"].lstrip("#/").split("/"):
                target = target[key]
            return _resolved(spec, target)
        return {k: _resolved(spec, v) for k, v in node.items()}
    if isinstance(node, list):
        return [_resolved(spec, v) for v in node]
    return node


def _read_only_echo(error: Exception) -> bool:
    """openapi-core refuses any read-only property in a request; e-conomic's description allows sending back what
    was read ("When a property is marked as readonly it means you should provide the same value you get in the GET
    requests", "Required and Readonly Properties"), and its PUTs identify the object by the body's read-only number
    ("not to have the Id/Number in the URL parameter for PUT requests, but to use the one from the body")."""
    cause = error.__cause__
    while cause is not None:
        detail = list(getattr(cause, "schema_errors", None) or [])
        if detail:
            return all("read-only property" in str(getattr(d, "message", d)) for d in detail)
        cause = cause.__cause__
    return False


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
