"""Xero's identity and login hosts, emulated: the authorize redirect, the token endpoint, ``/connections``."""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import urlencode

from integrations.sandbox.messages import Request, Response, html_response, json_response, redirect_response
from integrations.sandbox.xero_auth import AuthError, Grant
from integrations.sandbox.xero_model import DEMO_COMPANY
from integrations.sandbox.xero_responses import not_found, problem
from integrations.sandbox.xero_scopes import GRANULAR, refused_broad


class IdentityMixin:
    """Part of ``XeroModule`` (``xero.py``): uses its ``auth``, ``orgs``, ``env``, ``_lock`` and ``create_org``."""

    auth: Any
    orgs: Any
    env: Any
    _lock: Any
    create_org: Any

    def _authorize(self, request: Request) -> Response:
        client_id, redirect_uri = request.query_value("client_id"), request.query_value("redirect_uri")
        if request.query_value("response_type") != "code" or not client_id or not redirect_uri:
            return html_response(
                400,
                "<h1>Xero sandbox</h1><p>unauthorized_client: response_type=code, "
                "client_id and redirect_uri are required.</p>",
            )
        with self._lock:
            if not self.orgs:
                self.create_org(DEMO_COMPANY)
            tenants = [(org.tenant_id, org.name) for org in self.orgs.values()]
        scope = request.query_value("scope") or GRANULAR
        broad = refused_broad(scope) if self.env.erp_config("xero").get("granular_only", True) else []
        if broad:
            # An app created on or after 2 March 2026 "will use the new granular scopes" (granular-scopes FAQ):
            # the broad ones are refused as OAuth's invalid_scope, sent back to the app like any consent error.
            error = {"error": "invalid_scope", "error_description": f"Invalid scope for client: {' '.join(broad)}"}
            if request.query_value("state") is not None:
                error["state"] = request.query_value("state") or ""
            separator = "&" if "?" in redirect_uri else "?"
            return redirect_response(f"{redirect_uri}{separator}{urlencode(error)}")
        grant = self.auth.new_grant(client_id, tenants, scope)
        code = self.auth.issue_code(grant, redirect_uri)
        params = {"code": code, "scope": scope}
        if request.query_value("state") is not None:
            params["state"] = request.query_value("state") or ""
        separator = "&" if "?" in redirect_uri else "?"
        self.env.mark_dirty()
        return redirect_response(f"{redirect_uri}{separator}{urlencode(params)}")

    @staticmethod
    def _client(request: Request, form: dict[str, str]) -> tuple[str, str]:
        header = request.header("Authorization") or ""
        if header.lower().startswith("basic "):
            try:
                decoded = base64.b64decode(header[6:].strip()).decode()
                client_id, _, secret = decoded.partition(":")
                return client_id, secret
            except (ValueError, UnicodeDecodeError):
                return "", ""
        return form.get("client_id", ""), form.get("client_secret", "")

    def _token(self, request: Request) -> Response:
        form = request.form()
        client_id, secret = self._client(request, form)
        if not client_id or not (secret or form.get("code_verifier")):
            return json_response(400, {"error": "invalid_client"})
        grant_type = form.get("grant_type", "")
        try:
            if grant_type == "authorization_code":
                body = self.auth.exchange_code(client_id, form.get("code", ""), form.get("redirect_uri", ""))
            elif grant_type == "refresh_token":
                body = self.auth.use_refresh_token(client_id, form.get("refresh_token", ""))
            else:
                return json_response(400, {"error": "unsupported_grant_type"})
        except AuthError as exc:
            return json_response(400, {"error": exc.error})
        self.env.mark_dirty()
        return json_response(200, body, {"Cache-Control": "no-store", "Pragma": "no-cache"})

    def _bearer(self, request: Request) -> Grant | Response:
        header = request.header("Authorization") or ""
        if not header.lower().startswith("bearer ") or not header[7:].strip():
            return problem(401, "Unauthorized", "AuthenticationUnsuccessful")
        try:
            return self.auth.check_access(header[7:].strip())
        except AuthError as exc:
            response = problem(401, "Unauthorized", exc.detail)
            response.headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
            return response

    def _connections(self, request: Request) -> Response:
        grant = self._bearer(request)
        if isinstance(grant, Response):
            return grant
        wanted = request.query_value("authEventId")
        items = [
            c
            for c in grant.connections.values()
            if c["tenantId"] in self.orgs and (not wanted or c["authEventId"] == wanted)
        ]
        return json_response(200, items)

    def _disconnect(self, request: Request, connection_id: str) -> Response:
        grant = self._bearer(request)
        if isinstance(grant, Response):
            return grant
        if not self.auth.disconnect(grant, connection_id):
            return not_found()
        self.env.mark_dirty()
        return Response(status=204, content_type="text/plain")
