"""Suppliers: the e-conomic supplier each bill and payment is booked to.

Customers arrive with years of suppliers in e-conomic, typed by their bookkeeper; Roger uses those instead of
creating second ones (e-conomic allows two suppliers of one name).  Order:

1. the supplier Roger already knows for this vendor (``VendorData.erp_id``: chosen by an admin in Integrations
   settings → <integration> → Contacts, or remembered from an earlier sync as a ``VendorLink``);
2. the supplier numbered by Roger's scheme (``ids.supplier_number_for``), unless its
   ``corporateIdentificationNumber`` (CVR) contradicts the vendor's tax number;
3. the bookkeeper's supplier, found with ONE ``GET /suppliers`` whose filter ORs three predicates — all three
   properties are ``"filterable": true`` in ``suppliers.get.schema.json`` (legacy schemas,
   shared/specs/economic/legacy):
   * ``corporateIdentificationNumber$like:<national number>`` — the CVR with or without the country prefix
     ("DK12345678" or "12345678"): ``$like:`` without a wildcard is a *contains* match, and ``$in:`` is not
     possible because "We only allow in and not in operators on numeric properties" (restdocs.e-conomic.com
     #filtering; e-conomic/slate ``source/includes/_introduction.md``, "Filtering");
   * ``name$eq:<name>`` (e-conomic compares strings case-insensitively, same section);
   * ``email$like:<e-mail>`` (the field may hold several addresses "separated by a space", schema ``email``);
   values escaped as that section lists (``$$ $( $) $* $, $[ $]``, ``ids.escape``).  Roger then decides,
   comparing normalised values (``connectors.matching``, the rule Xero's contacts use): a supplier whose CVR
   names the vendor's legal entity is a strong match; one with the same name or e-mail is a weak match unless its
   CVR contradicts the vendor's.  One active match in the strongest tier is used; several are an ambiguous setup
   error naming them, for an admin to choose; a match that is ``barred`` is never used silently (a setup error);
4. else a new supplier with Roger's number (``POST /suppliers`` requires ``name``, ``currency``, ``supplierGroup``,
   ``paymentTerms`` and ``vatZone``, ``suppliers.post.schema.json``).

Step 3 runs only for a vendor Roger has no supplier for yet; after the sync the engine remembers the supplier
used (``EntryState.vendor_erp_id`` → ``VendorLink``), so later bills take step 1.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from typing import Any

from integrations.connectors import http
from integrations.connectors.base import (
    N_,
    BillData,
    EntryKind,
    ErpError,
    ErrorCategory,
    PaymentData,
    VendorData,
)
from integrations.connectors.economic.client import EconomicHttp
from integrations.connectors.economic.errors import legacy_errors
from integrations.connectors.economic.ids import escape, ref_number, supplier_number_for
from integrations.connectors.matching import national_number, normalised_name, normalised_tax, same_tax_number

NAME_MAX = 255  # suppliers.post.schema.json: name maxLength 255 (what Roger creates, so what it looks for)
_EMAILS = re.compile(r"[\s,;]+")


def describe(supplier: Mapping[str, Any]) -> str:
    """A supplier as the bookkeeper sees it in e-conomic's list: "Name (number)"."""
    return f"{supplier.get('name') or '?'} ({supplier.get('supplierNumber')})"


def match_filter(vendor: VendorData) -> str:
    """The one ``GET /suppliers`` filter for step 3 (module docstring); '' when the vendor offers nothing."""
    predicates = []
    national = national_number(normalised_tax(vendor.tax_number))
    if national:
        predicates.append(f"corporateIdentificationNumber$like:{escape(national)}")
    name = vendor.name[:NAME_MAX].strip()
    if name:
        predicates.append(f"name$eq:{escape(name)}")
    if vendor.email.strip():
        predicates.append(f"email$like:{escape(vendor.email.strip())}")
    return "$or:".join(predicates)


class Suppliers:
    def __init__(
        self, client: EconomicHttp, *, group: int, payment_terms: int, vat_zone: int, integration: str = "e-conomic"
    ) -> None:
        self.client = client
        self.group, self.payment_terms, self.vat_zone = group, payment_terms, vat_zone
        self.integration = integration  # named in hints: "Integrations settings → e-conomic → Contacts"
        self.known: dict[int, dict[str, Any] | None] = {}  # per call: each supplier fetched once
        self.matched: dict[str, int | ErpError | None] = {}  # per call: VendorData.number → step 3's outcome

    def get(self, number: int) -> dict[str, Any] | None:
        if number not in self.known:
            reply = self.client.request("GET", f"/suppliers/{number}", ok_statuses=(404,))
            self.known[number] = reply.body if reply.status == 200 and isinstance(reply.body, dict) else None
        return self.known[number]

    def name(self, number: int | None) -> str:
        return str((self.get(number) or {}).get("name") or "") if number else ""

    def resolve(self, data: BillData | PaymentData, kind: EntryKind) -> int | ErpError:
        vendor = data.vendor
        linked = vendor.erp_id.strip()
        if linked.isdigit() and (supplier := self.get(int(linked))) is not None:
            return self._barred(vendor, supplier, chosen=True) if supplier.get("barred") else int(linked)
        number = supplier_number_for(vendor.number)
        existing = self.get(number)
        tax = vendor.tax_number.strip()
        if existing is not None:
            theirs = str(existing.get("corporateIdentificationNumber") or "").strip()
            if tax and normalised_tax(theirs) and not same_tax_number(tax, theirs):
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
            return self._barred(vendor, existing) if existing.get("barred") else number
        if vendor.number not in self.matched:
            self.matched[vendor.number] = self._match(vendor)
        found = self.matched[vendor.number]
        return found if found is not None else self._create(data, kind, number)

    # --- 3. the bookkeeper's supplier ---------------------------------------------------------------------------

    def _match(self, vendor: VendorData) -> int | ErpError | None:
        flt = match_filter(vendor)
        return self.decide(vendor, self.client.paged("/suppliers", {"filter": flt})) if flt else None

    def decide(self, vendor: VendorData, candidates: Iterable[Mapping[str, Any]]) -> int | ErpError | None:
        """The matching supplier's number, a setup error (ambiguous, barred), or None: create one."""
        tax, name = normalised_tax(vendor.tax_number), normalised_name(vendor.name[:NAME_MAX])
        email = vendor.email.strip().casefold()
        strong: list[Mapping[str, Any]] = []
        weak: list[Mapping[str, Any]] = []
        unique = {ref_number(s, "supplierNumber"): s for s in candidates}
        for supplier in (unique[n] for n in sorted(n for n in unique if n is not None)):
            theirs = str(supplier.get("corporateIdentificationNumber") or "")
            if tax and normalised_tax(theirs):
                if same_tax_number(tax, theirs):
                    strong.append(supplier)
                continue  # with a CVR of its own, another legal entity, whatever its name
            emails = _EMAILS.split(str(supplier.get("email") or "").casefold())
            if (name and normalised_name(str(supplier.get("name") or "")) == name) or (email and email in emails):
                weak.append(supplier)
        for tier in (strong, weak):
            active = [s for s in tier if not s.get("barred")]
            if len(active) == 1:
                number = int(active[0]["supplierNumber"])
                self.known[number] = dict(active[0])
                return number
            if len(active) > 1:
                return ErpError(
                    ErrorCategory.SETUP,
                    N_("{count} e-conomic suppliers could be the supplier {vendor}: {suppliers}").format(
                        count=len(active), vendor=vendor.name, suppliers="; ".join(describe(s) for s in active)
                    ),
                    field="vendor",
                    hint=N_(
                        "Choose the e-conomic supplier for {vendor} in Integrations settings → {integration} → "
                        "Contacts, then re-sync."
                    ).format(vendor=vendor.name, integration=self.integration),
                    code="AmbiguousSupplier",
                )
        barred = strong + weak
        return self._barred(vendor, barred[0]) if barred else None

    def _barred(self, vendor: VendorData, supplier: Mapping[str, Any], *, chosen: bool = False) -> ErpError:
        message = (
            N_("The e-conomic supplier chosen for {vendor}, {supplier}, is barred in e-conomic")
            if chosen
            else N_("The e-conomic supplier matching {vendor}, {supplier}, is barred in e-conomic")
        )
        return ErpError(
            ErrorCategory.SETUP,
            message.format(vendor=vendor.name, supplier=describe(supplier)),
            field="vendor",
            hint=N_(
                "Lift the barring in e-conomic, or choose another supplier for {vendor} in Integrations settings → "
                "{integration} → Contacts; then re-sync."
            ).format(vendor=vendor.name, integration=self.integration),
            code="SupplierBarred",
        )

    # --- 4. a new supplier --------------------------------------------------------------------------------------

    def _create(self, data: BillData | PaymentData, kind: EntryKind, number: int) -> int | ErpError:
        vendor = data.vendor
        tax = vendor.tax_number.strip()
        payload: dict[str, Any] = {
            "supplierNumber": number,
            "name": vendor.name[:NAME_MAX] or vendor.number,
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
