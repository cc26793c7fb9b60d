"""The Xero part of the control API (``/_sandbox/xero/…``): new tenants, state, and what an accountant does in Xero."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

from integrations.sandbox.messages import Request, Response, json_response
from integrations.sandbox.xero_allocation_rules import allocate, delete_allocation
from integrations.sandbox.xero_contact_rules import save_contact
from integrations.sandbox.xero_model import DEMO_COMPANY, CreditNote, Invoice, Org, Payment, parse_date, utcnow
from integrations.sandbox.xero_payment_rules import apply_payment, delete_payment, save_payment
from integrations.sandbox.xero_render import render_contact, render_invoice, render_organisation, render_payment
from integrations.sandbox.xero_responses import json_body
from integrations.sandbox.xero_results import ElementResult
from integrations.sandbox.xero_rules import save_credit_note, save_invoice
from integrations.sandbox.xero_scopes import GRANULAR


class ControlMixin:
    """Part of ``XeroModule`` (``xero.py``): uses its ``orgs``, ``auth``, ``env``, ``_org_lock``, ``create_org``."""

    orgs: Any
    auth: Any
    env: Any
    _org_lock: Any
    create_org: Any
    state: Any

    # -- control API ----------------------------------------------------------------------------------------------
    def control(self, action: str, request: Request) -> Response:
        if action == "tenants" and request.method == "POST":
            return self._control_new_tenant(request)
        if action == "tenants" and request.method == "GET":
            return json_response(
                200, {"tenants": [{"tenant_id": o.tenant_id, "name": o.name} for o in self.orgs.values()]}
            )
        if action == "state" and request.method == "GET":
            return json_response(200, self.state())
        if action == "actions" and request.method == "POST":
            return self._control_action(request)
        return super().control(action, request)

    def _control_new_tenant(self, request: Request) -> Response:
        body = json_body(request)
        org = self.create_org(
            str(body.get("name") or DEMO_COMPANY), str(body.get("base_currency") or "DKK"), body.get("currencies")
        )
        client_id = body.get("client_id")
        scope = str(body.get("scope") or f"openid profile email {GRANULAR}")
        grant = self.auth.new_grant(
            str(client_id or "sandbox"), [(org.tenant_id, org.name)], scope, bound=bool(client_id)
        )
        tokens = self.auth.issue_tokens(grant)
        return json_response(
            201,
            {
                "tenant_id": org.tenant_id,
                "name": org.name,
                "access_token": tokens["access_token"],
                "refresh_token": tokens["refresh_token"],
                "expires_in": tokens["expires_in"],
                "connection_id": grant.connections[org.tenant_id]["id"],
                "auth_event_id": grant.auth_event_id,
            },
        )

    def _control_action(self, request: Request) -> Response:
        body = json_body(request)
        tenant_id = str(body.get("tenant_id") or "").lower()
        if tenant_id not in self.orgs:
            return json_response(404, {"ok": False, "errors": [f"unknown tenant_id {tenant_id!r}"]})
        action = str(body.get("action") or "")
        actions: dict[str, Callable[[Org, dict[str, Any]], ElementResult | dict[str, Any]]] = {
            "authorise": self._act_status("AUTHORISED"),
            "void": self._act_status("VOIDED"),
            "delete": self._act_delete,
            "pay": self._act_pay,
            "credit": self._act_credit,
            "allocate": self._act_allocate,
            "unallocate": self._act_unallocate,
            "refund": self._act_refund,
            "reconcile_payment": self._act_reconcile,
            "set_lock_dates": self._act_lock_dates,
            "revoke_grant": lambda org, b: {"revoked_grants": self.auth.revoke_tenant(org.tenant_id)},
            "expire_access_token": lambda org, b: {
                "expired_tokens": self.auth.expire_access(org.tenant_id, b.get("access_token"))
            },
            "archive_contact": self._act_contact_status("ARCHIVED"),
            "unarchive_contact": self._act_contact_status("ACTIVE"),
            "add_contacts": self._act_add_contacts,
            "set_high_volume": self._act_high_volume,
        }
        if action not in actions:
            return json_response(
                400, {"ok": False, "errors": [f"unknown action {action!r}"], "actions": sorted(actions)}
            )
        with self._org_lock(tenant_id):
            try:
                outcome = actions[action](self.orgs[tenant_id], body)
            except (KeyError, ValueError, TypeError) as exc:
                return json_response(400, {"ok": False, "errors": [f"bad arguments: {exc}"]})
        self.env.mark_dirty()
        if isinstance(outcome, ElementResult):
            status = 200 if outcome.ok else 400
            return json_response(status, {"ok": outcome.ok, "errors": outcome.errors, "result": outcome.data})
        return json_response(200, {"ok": True, "errors": [], "result": outcome})

    @staticmethod
    def _act_status(status: str) -> Callable[[Org, dict[str, Any]], ElementResult]:
        def act(org: Org, body: dict[str, Any]) -> ElementResult:
            if body.get("credit_note_id"):
                credit = require_credit_note(org, body)
                return save_credit_note(org, {"Status": status}, True, forced_id=credit.InvoiceID)
            invoice = require_invoice(org, body)
            return save_invoice(org, {"Status": status}, True, forced_id=invoice.InvoiceID)

        return act

    @staticmethod
    def _act_allocate(org: Org, body: dict[str, Any]) -> ElementResult:
        """Allocate a credit note to a bill, as an accountant does in Xero (Xero's allocation rules apply)."""
        credit, invoice = require_credit_note(org, body), require_invoice(org, body)
        amount = body.get("amount") or min(credit.AmountDue, invoice.AmountDue)
        return allocate(org, credit, {"Invoice": {"InvoiceID": invoice.InvoiceID}, "Amount": str(amount)})

    @staticmethod
    def _act_unallocate(org: Org, body: dict[str, Any]) -> ElementResult:
        return delete_allocation(org, org.allocations[str(body["allocation_id"]).lower()])

    @staticmethod
    def _act_refund(org: Org, body: dict[str, Any]) -> ElementResult:
        """The supplier pays a credit note back into a bank account."""
        credit = require_credit_note(org, body)
        element = {
            "CreditNote": {"CreditNoteID": credit.InvoiceID},
            "Account": {"Code": str(body.get("account_code") or "090")},
            "Amount": str(body.get("amount") or credit.AmountDue),
            "Date": body.get("date") or date.today().isoformat(),
            "Reference": body.get("reference") or "Refunded in Xero",
        }
        return save_payment(org, element)

    @staticmethod
    def _act_delete(org: Org, body: dict[str, Any]) -> ElementResult:
        if body.get("payment_id"):
            payment = org.payments[str(body["payment_id"]).lower()]
            return delete_payment(org, payment, {"Status": "DELETED"})
        if body.get("credit_note_id"):
            credit = require_credit_note(org, body)
            return save_credit_note(org, {"Status": "DELETED"}, True, forced_id=credit.InvoiceID)
        invoice = require_invoice(org, body)
        return save_invoice(org, {"Status": "DELETED"}, True, forced_id=invoice.InvoiceID)

    @staticmethod
    def _act_pay(org: Org, body: dict[str, Any]) -> ElementResult:
        invoice = require_invoice(org, body)
        element = {
            "Invoice": {"InvoiceID": invoice.InvoiceID},
            "Account": {"Code": str(body.get("account_code") or "090")},
            "Amount": str(body.get("amount") or invoice.AmountDue),
            "Date": body.get("date") or date.today().isoformat(),
            "Reference": body.get("reference") or "Paid in Xero",
        }
        return save_payment(org, element)

    @staticmethod
    def _act_credit(org: Org, body: dict[str, Any]) -> dict[str, Any]:
        """Allocate a credit note amount to a bill (what makes a bill uneditable besides payments)."""
        invoice = require_invoice(org, body)
        amount = Decimal(str(body.get("amount") or invoice.AmountDue))
        if invoice.Status != "AUTHORISED" or amount <= 0 or amount > invoice.AmountDue:
            raise ValueError("credit needs an AUTHORISED bill and 0 < amount <= AmountDue")
        invoice.AmountCredited += amount
        apply_payment(invoice, Decimal("0"), date.today())
        return render_invoice(org, invoice)

    @staticmethod
    def _act_reconcile(org: Org, body: dict[str, Any]) -> dict[str, Any]:
        payment: Payment = org.payments[str(body["payment_id"]).lower()]
        payment.IsReconciled = bool(body.get("reconciled", True))
        payment.updated = utcnow()
        return render_payment(org, payment)

    @staticmethod
    def _act_lock_dates(org: Org, body: dict[str, Any]) -> dict[str, Any]:
        if "period_lock_date" in body:
            value = body["period_lock_date"]
            org.period_lock_date = parse_date(value) if value else None
        if "end_of_year_lock_date" in body:
            value = body["end_of_year_lock_date"]
            org.end_of_year_lock_date = parse_date(value) if value else None
        return render_organisation(org)

    @staticmethod
    def _act_add_contacts(org: Org, body: dict[str, Any]) -> ElementResult | dict[str, Any]:
        """Contacts a bookkeeper made in Xero before Roger (Xero's own rules apply, e.g. unique names)."""
        results = [save_contact(org, contact, False) for contact in body["contacts"]]
        failed = [r for r in results if not r.ok]
        if failed:
            return ElementResult(False, {"Contacts": [r.data for r in results]}, [e for r in failed for e in r.errors])
        return {"Contacts": [r.data for r in results]}

    @staticmethod
    def _act_high_volume(org: Org, body: dict[str, Any]) -> dict[str, Any]:
        """More than 100,000 invoices, as far as Xero's threshold goes: unoptimised reads are denied."""
        org.high_volume = bool(body.get("high_volume", True))
        return {"high_volume": org.high_volume}

    @staticmethod
    def _act_contact_status(status: str) -> Callable[[Org, dict[str, Any]], dict[str, Any]]:
        def act(org: Org, body: dict[str, Any]) -> dict[str, Any]:
            contact = org.contacts[str(body["contact_id"]).lower()]
            contact.ContactStatus, contact.updated = status, utcnow()
            return render_contact(contact)

        return act


def require_credit_note(org: Org, body: dict[str, Any]) -> CreditNote:
    credit = org.credit_notes.get(str(body.get("credit_note_id") or "").lower())
    if credit is None:
        raise KeyError(f"unknown credit_note_id {body.get('credit_note_id')!r}")
    return credit


def require_invoice(org: Org, body: dict[str, Any]) -> Invoice:
    invoice = org.invoices.get(str(body.get("invoice_id") or "").lower())
    if invoice is None:
        raise KeyError(f"unknown invoice_id {body.get('invoice_id')!r}")
    return invoice
