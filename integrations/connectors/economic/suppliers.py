"""Suppliers: the e-conomic supplier each bill and payment is booked to.

Order: the supplier Roger already knows for this vendor (``VendorData.erp_id``, chosen by an admin or
remembered from an earlier sync); else the supplier numbered by Roger's scheme (``ids.supplier_number_for``)
unless its ``corporateIdentificationNumber`` (CVR) contradicts the vendor's tax number; else the one supplier
with the vendor's CVR (``corporateIdentificationNumber`` is filterable, ``suppliers.get.schema.json``); else a
new supplier with Roger's number (``POST /suppliers`` requires ``name``, ``currency``, ``supplierGroup``,
``paymentTerms`` and ``vatZone``, ``suppliers.post.schema.json``).
"""

from __future__ import annotations

import hashlib
from typing import Any

from integrations.connectors import http
from integrations.connectors.base import N_, BillData, EntryKind, ErpError, ErrorCategory, PaymentData
from integrations.connectors.economic.client import EconomicHttp
from integrations.connectors.economic.errors import legacy_errors
from integrations.connectors.economic.ids import escape, ref_number, supplier_number_for


class Suppliers:
    def __init__(self, client: EconomicHttp, *, group: int, payment_terms: int, vat_zone: int) -> None:
        self.client = client
        self.group, self.payment_terms, self.vat_zone = group, payment_terms, vat_zone
        self.known: dict[int, dict[str, Any] | None] = {}  # per call: each supplier fetched once

    def get(self, number: int) -> dict[str, Any] | None:
        if number not in self.known:
            reply = self.client.request("GET", f"/suppliers/{number}", ok_statuses=(404,))
            self.known[number] = reply.body if reply.status == 200 and isinstance(reply.body, dict) else None
        return self.known[number]

    def name(self, number: int | None) -> str:
        return str((self.get(number) or {}).get("name") or "") if number else ""

    def resolve(self, data: BillData | PaymentData, kind: EntryKind) -> int | ErpError:
        vendor = data.vendor
        if vendor.erp_id.strip().isdigit() and self.get(int(vendor.erp_id.strip())) is not None:
            return int(vendor.erp_id.strip())
        number = supplier_number_for(vendor.number)
        existing = self.get(number)
        tax = vendor.tax_number.strip()
        if existing is not None:
            theirs = str(existing.get("corporateIdentificationNumber") or "").strip()
            if tax and theirs and theirs != tax:
                return ErpError(
                    ErrorCategory.VALIDATION,
                    N_("Supplier {number} in e-conomic ({name}) has CVR {theirs}, not {tax}").format(
                        number=number, name=existing.get("name", ""), theirs=theirs, tax=tax
                    ),
                    field="vendor",
                    hint=N_(
                        "Roger reserves that supplier number for this vendor; renumber the supplier in e-conomic, "
                        "correct the vendor's tax number, or map the vendor to a supplier in settings."
                    ),
                    code="supplier_conflict",
                )
            return number
        if tax:
            reply = self.client.request(
                "GET", "/suppliers", params={"filter": f"corporateIdentificationNumber$eq:{escape(tax)}"}
            )
            matches = (reply.body or {}).get("collection") or []
            if len(matches) == 1 and ref_number(matches[0], "supplierNumber"):
                found = int(matches[0]["supplierNumber"])
                self.known[found] = matches[0]
                return found
        payload: dict[str, Any] = {
            "supplierNumber": number,
            "name": vendor.name[:255] or vendor.number,
            "currency": data.currency,
            "supplierGroup": {"supplierGroupNumber": self.group},
            "paymentTerms": {"paymentTermsNumber": self.payment_terms},
            "vatZone": {"vatZoneNumber": self.vat_zone},
        }
        if tax:
            payload["corporateIdentificationNumber"] = tax[:40]
        if vendor.email:
            payload["email"] = vendor.email[:100]
        if vendor.country:
            payload["country"] = vendor.country[:50]
        key = "supplier-" + hashlib.sha256(http.dumps(payload)).hexdigest()[:40]
        reply = self.client.request("POST", "/suppliers", body=payload, idempotency_key=key, ok_statuses=(400,))
        if reply.status == 400:
            error = legacy_errors(kind, reply.body)
            return ErpError(error.category, error.message, field="vendor", hint=error.hint, code=error.code, status=400)
        self.known[number] = reply.body if isinstance(reply.body, dict) else payload
        return number
