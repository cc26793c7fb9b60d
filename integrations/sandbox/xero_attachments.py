"""``/{Invoices|CreditNotes}/{Guid}/Attachments[/{FileName or AttachmentID}]``: list, download, upload.

The rules are in ``xero_attachment_rules``; this module speaks HTTP.  Uploads take the raw body (not JSON),
``IncludeOnline=true`` as a query parameter, and answer ``{"Attachments": [the file]}``; a download answers the
raw file with its MIME type (developer.xero.com/documentation/api/accounting/attachments).
"""

from __future__ import annotations

from typing import Any

from integrations.sandbox.messages import Request, Response
from integrations.sandbox.xero_attachment_rules import check_upload, find, refused_element, store
from integrations.sandbox.xero_model import Invoice, Org
from integrations.sandbox.xero_render import render_attachment
from integrations.sandbox.xero_responses import is_uuid, not_found, problem, validation_exception

ENDPOINTS = {"invoices": "Invoices", "creditnotes": "CreditNotes"}


def _document(org: Org, resource: str, ident: str) -> Invoice | None:
    if not is_uuid(ident):
        return None
    store = org.invoices if resource == "invoices" else org.credit_notes
    return store.get(ident.lower())


class AttachmentsMixin:
    """Part of ``XeroModule`` (``xero.py``): uses its ``envelope``."""

    envelope: Any

    def _attachments(self, request: Request, org: Org, resource: str, ident: str, key: str | None) -> Response:
        document = _document(org, resource, ident)
        if document is None:
            return not_found()
        endpoint = ENDPOINTS[resource]
        if request.method == "GET":
            if key is None:
                files = org.attachments.get(document.InvoiceID, [])
                return self.envelope("Attachments", [render_attachment(endpoint, document.InvoiceID, f) for f in files])
            found = find(org, document.InvoiceID, key)
            if found is None:
                return not_found()
            response = Response(200, found.content, content_type=found.MimeType)
            response.headers["Content-Disposition"] = f'attachment; filename="{found.FileName}"'
            return response
        if key is None:
            return not_found()
        refusal = check_upload(org, document, key, len(request.body))
        if refusal is not None and refusal.status == 413:
            return problem(413, "RequestEntityTooLarge", refusal.message)
        if refusal is not None:
            return validation_exception([refused_element(key, len(request.body), refusal.message)])
        online = (request.query_value("IncludeOnline") or "").lower() == "true"
        attachment = store(org, document, key, request.body, request.header("Content-Type") or "", online)
        return self.envelope("Attachments", [render_attachment(endpoint, document.InvoiceID, attachment)])
