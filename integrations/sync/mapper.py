"""Document → ERP data, through the integration's mappings.

Everything the ERP needs is checked here, before any HTTP call: a missing account, tax type, tracking option or
bank account is a *setup* error naming the mapping and where to fix it (R15).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.urls import reverse

from documents.models import Document
from documents.services import credited
from integrations.connectors.attachments import FileRef
from integrations.connectors.base import (
    N_,
    BillData,
    BillLine,
    ErpError,
    ErrorCategory,
    PaymentData,
    TrackingRef,
    VendorData,
)
from integrations.models import Integration
from integrations.sync import vendor_links


class MappingError(Exception):
    def __init__(self, error: ErpError):
        super().__init__(error.message)
        self.error = error


def bill_marker(document: Document) -> str:
    """Roger's unique marker on the ERP entry, and the link back to Roger from the ERP ("Go to Roger")."""
    return settings.SITE_URL + reverse("documents:by_public_id", args=[document.public_id])


def payment_marker(document: Document) -> str:
    return f"Roger payment {document.public_id}"


def _setup(integration: Integration, message: str, field: str) -> MappingError:
    hint = N_("Map it in Integrations settings → {integration} → Mappings, then re-sync.").format(
        integration=integration.name
    )
    return MappingError(ErpError(ErrorCategory.SETUP, message, field=field, hint=hint))


def _vendor(document: Document, integration: Integration) -> VendorData:
    vendor = document.vendor
    return VendorData(
        number=vendor.number,
        name=vendor.name,
        tax_number=vendor.tax_number,
        email=vendor.email,
        country=vendor.country,
        # The ERP supplier an admin chose or a sync remembered: the connector uses it as is (issue 12).
        erp_id=vendor_links.erp_id_for(integration, document.vendor_id),
    )


def _tracking(document: Document, integration: Integration) -> tuple[TrackingRef, ...]:
    if not document.department_id:
        return ()
    option = integration.mappings.get("tracking", {}).get(str(document.department_id))
    if not option:
        raise _setup(
            integration,
            N_("Department “{department}” is not mapped to a tracking option in {integration}.").format(
                department=document.department.name, integration=integration.name
            ),
            "department",
        )
    category, _, name = str(option).partition(": ")
    return (TrackingRef(category=category, option=name or category),)


def _check_amounts(document: Document) -> None:
    sign = -1 if document.is_credit_note else 1  # a credit note is negative in Roger, positive towards the ERP
    for field in ("total", "vat"):
        value: Decimal = getattr(document, field) * sign
        if value < 0 or value.as_tuple().exponent < -2:  # type: ignore[operator]
            raise MappingError(
                ErpError(
                    ErrorCategory.VALIDATION,
                    N_("The {field} {value} is not a valid amount.").format(field=field, value=value),
                    field=field,
                    hint=N_("Correct the amount in Roger, then re-sync."),
                )
            )
    if document.vat * sign > document.total * sign:
        raise MappingError(
            ErpError(
                ErrorCategory.VALIDATION,
                N_("VAT is more than the total."),
                field="vat",
                hint=N_("Correct the VAT in Roger, then re-sync."),
            )
        )


def bill_data(document: Document, integration: Integration) -> BillData:
    _check_amounts(document)
    mappings = integration.mappings
    if not document.category_id:
        raise MappingError(
            ErpError(
                ErrorCategory.VALIDATION,
                N_("The document has no category."),
                field="category",
                hint=N_("Choose a category on the document, then re-sync."),
            )
        )
    account = mappings.get("accounts", {}).get(str(document.category_id))
    if not account:
        if document.category.account_code:
            # The code is Roger's own for the category (it may well be the ERP account to pick): say whose it is.
            message = N_("Category “{category}” ({code} in Roger) has no {integration} account mapped.")
        else:
            message = N_("Category “{category}” is not mapped to an account in {integration}.")
        raise _setup(
            integration,
            message.format(
                category=document.category.name, code=document.category.account_code, integration=integration.name
            ),
            "category",
        )
    tax_type = ""
    if document.vat_code_id:
        tax_type = mappings.get("tax_types", {}).get(str(document.vat_code_id), "")
        if not tax_type:
            raise _setup(
                integration,
                N_("VAT code {code} is not mapped to a tax type in {integration}.").format(
                    code=document.vat_code.code, integration=integration.name
                ),
                "vat_code",
            )
    elif document.vat:
        raise MappingError(
            ErpError(
                ErrorCategory.VALIDATION,
                N_("The document has VAT but no VAT code."),
                field="vat_code",
                hint=N_("Choose a VAT code on the document, then re-sync."),
            )
        )
    description = document.description or f"{document.vendor.name} {document.invoice_number}"
    total, vat = abs(document.total), abs(document.vat)  # magnitudes: ``credit_note`` says which way they go
    line = BillLine(
        description=description[:4000],
        net_amount=total - vat,
        vat_amount=vat,
        account_code=str(account),
        tax_type=str(tax_type),
        tracking=_tracking(document, integration),
    )
    return BillData(
        marker=bill_marker(document),
        vendor=_vendor(document, integration),
        invoice_number=document.invoice_number,
        issue_date=document.issue_date,
        due_date=document.due_date,
        currency=document.currency,
        total=total,
        vat=vat,
        description=document.description,
        lines=(line,),
        draft=document.status not in (Document.Status.APPROVED, Document.Status.PAID),
        credit_note=document.is_credit_note,
        file=document_file(document),
    )


def document_file(document: Document) -> FileRef | None:
    if not document.file or not document.file_sha256:
        return None
    return FileRef(
        name=document.file_name,
        content_type=document.file_content_type,
        size=document.file_size,
        sha256=document.file_sha256,
    )


def paid_amount(document: Document) -> Decimal:
    """What was paid in money (refunded, for a credit note).  Uses prefetched payments when present (the engine
    prefetches them for a whole batch).  A bill marked as paid was paid in full less the credit notes correcting
    it: those are settled by allocation, not by money."""
    if document.marked_paid:
        return abs(document.total) - (Decimal("0") if document.is_credit_note else credited(document))
    return sum((p.amount for p in document.payments.all()), Decimal("0"))


def payment_data(document: Document, integration: Integration, bill_erp_id: str, allocate_to: str = "") -> PaymentData:
    """The payment entry: for a bill, its payment; for a credit note, its allocation against the bill it corrects
    (``allocate_to``, that bill's ERP id) or the refund the supplier paid."""
    if allocate_to:
        return PaymentData(
            marker=payment_marker(document),
            bill_erp_id=bill_erp_id,
            bill_marker=bill_marker(document),
            vendor=_vendor(document, integration),
            invoice_number=document.invoice_number,
            bank_account="",
            payment_date=max(document.issue_date, document.credits.issue_date)
            if document.credits
            else document.issue_date,
            amount=abs(document.total),
            currency=document.currency,
            reference=f"Credit note {document.invoice_number}"[:255],
            credit_note=True,
            allocate_to=allocate_to,
        )
    bank = integration.mappings.get("bank_account")
    if not bank:
        message = N_("No bank account is chosen for payments in {integration}.").format(integration=integration.name)
        raise _setup(integration, message, "bank_account")
    payments = list(document.payments.all())
    reference = ", ".join(p.reference for p in payments if p.reference) or f"Paid {document.invoice_number}"
    # Known only when every payment recorded what left the bank; a partial figure would book a wrong rate.
    bank_amounts = [p.bank_amount for p in payments]
    bank_amount = sum(bank_amounts, Decimal("0")) if bank_amounts and None not in bank_amounts else None
    return PaymentData(
        marker=payment_marker(document),
        bill_erp_id=bill_erp_id,
        bill_marker=bill_marker(document),
        vendor=_vendor(document, integration),
        invoice_number=document.invoice_number,
        bank_account=str(bank),
        payment_date=document.paid_on or document.issue_date,
        amount=paid_amount(document),
        currency=document.currency,
        reference=reference[:255],
        bank_amount=None if document.marked_paid else bank_amount,
        credit_note=document.is_credit_note,
    )
