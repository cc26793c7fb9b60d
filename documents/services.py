"""The only writers of documents (DESIGN §4).

Each function is keyword-only and atomic, validates before it saves (a ``ValidationError`` naming the field,
nothing saved), bumps ``Document.version`` when something that reaches the ERP changes, and sends exactly one
``document_changed`` event inside the transaction.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F, Sum
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from documents.files import check_upload
from documents.models import SYNCED_FIELDS, Category, Department, Document, Payment, VatCode, Vendor
from documents.signals import document_changed
from roger.models import Company

Actor = AbstractBaseUser | None

EDITABLE_FIELDS = SYNCED_FIELDS
_COMPANY_SCOPED = {"vendor": Vendor, "category": Category, "department": Department, "vat_code": VatCode}


def _check_company_scope(company_id: int, values: dict[str, Any]) -> None:
    """Related objects must belong to the document's company (tenancy, ASVS 8.4.1)."""
    errors = {}
    for field, model in _COMPANY_SCOPED.items():
        obj = values.get(field)
        if obj is not None and not isinstance(obj, model):
            errors[field] = _("Expected a %(model)s.") % {"model": model._meta.verbose_name}
        elif obj is not None and obj.company_id != company_id:
            errors[field] = _("This %(model)s belongs to another company.") % {"model": model._meta.verbose_name}
    if errors:
        raise ValidationError(errors)


def _check_amounts(document: Document) -> None:
    errors = {}
    for field in ("total", "vat"):
        value = getattr(document, field)
        if not isinstance(value, Decimal):
            continue
        if value.as_tuple().exponent < -2:  # type: ignore[operator]
            errors[field] = _("Use at most 2 decimals.")
        elif value < 0 and not document.is_credit_note:
            errors[field] = _("Must not be negative.")
    if document.is_credit_note:
        _check_credit_note_amounts(document, errors)
    elif "vat" not in errors and "total" not in errors and document.vat > document.total:
        errors["vat"] = _("VAT cannot be more than the total.")
    if document.due_date and document.issue_date and document.due_date < document.issue_date:
        errors["due_date"] = _("The due date cannot be before the issue date.")
    if errors:
        raise ValidationError(errors)


def _check_credit_note_amounts(document: Document, errors: dict[str, str]) -> None:
    """A credit note is entered as the supplier wrote it: a negative total, VAT between it and zero."""
    if "total" not in errors and document.total >= 0:
        errors["total"] = _("A credit note's total is negative (what the supplier owes back), e.g. -250.00.")
    elif "vat" not in errors and document.vat > 0:
        errors["vat"] = _("A credit note's VAT is negative or zero, like its total.")
    elif "vat" not in errors and document.vat < document.total:
        errors["vat"] = _("VAT cannot be more than the total.")


def _check_credits(document: Document) -> None:
    """The bill a credit note corrects: an invoice of the same company, supplier and currency."""
    bill = document.credits
    if bill is None:
        return
    if not document.is_credit_note:
        raise ValidationError({"credits": _("Only a credit note can refer to a bill.")})
    if bill.company_id != document.company_id or bill.is_credit_note:
        raise ValidationError({"credits": _("Choose one of this company's bills.")})
    if bill.vendor_id != document.vendor_id:
        raise ValidationError(
            {"credits": _("The bill is from %(vendor)s, not from this credit note's supplier.") % {"vendor": bill.vendor.name}}
        )
    if bill.currency != document.currency:
        raise ValidationError(
            {
                "credits": _("The bill is in %(bill)s; the credit note is in %(note)s.")
                % {"bill": bill.currency, "note": document.currency}
            }
        )


def _validate(document: Document) -> None:
    _check_amounts(document)
    _check_credits(document)
    document.full_clean(exclude=["company"], validate_constraints=True)


def _emit(document: Document, *, event: str, changed: frozenset[str], actor: Actor) -> None:
    document_changed.send(sender=Document, document=document, event=event, changed=changed, actor=actor)


def _locked(document: Document) -> Document:
    """Re-read under a row lock so concurrent edits bump the version one after the other.

    ``no_key``: edits never change the document's key, and a plain FOR UPDATE would also block the FOR KEY SHARE
    lock that a sync worker's commit takes on the document (its log records reference it) while the edit waits
    for that worker's job row — a deadlock that failed the accountant's save.
    """
    return Document.objects.select_for_update(no_key=True).select_related("vendor").get(pk=document.pk)


def _bump_version(document: Document) -> None:
    Document.objects.filter(pk=document.pk).update(version=F("version") + 1)
    document.version += 1


@transaction.atomic
def document_create(
    *,
    company: Company,
    actor: Actor,
    vendor: Vendor,
    invoice_number: str,
    issue_date: dt.date,
    currency: str,
    total: Decimal,
    vat: Decimal = Decimal("0"),
    due_date: dt.date | None = None,
    vat_code: VatCode | None = None,
    category: Category | None = None,
    department: Department | None = None,
    description: str = "",
    kind: str = Document.Kind.INVOICE,
    credits: Document | None = None,
) -> Document:
    values = {"vendor": vendor, "category": category, "department": department, "vat_code": vat_code}
    _check_company_scope(company.pk, values)
    document = Document(
        company=company,
        kind=kind,
        credits=credits,
        invoice_number=invoice_number,
        issue_date=issue_date,
        due_date=due_date,
        currency=currency,
        total=total,
        vat=vat,
        description=description,
        **values,
    )
    _validate(document)
    document.save()
    _emit(document, event="created", changed=SYNCED_FIELDS, actor=actor)
    return document


def _transition(document: Document, *, allowed_from: tuple[str, ...], to: str) -> None:
    if document.status not in allowed_from:
        now = str(document.get_status_display()).lower()
        if to == Document.Status.AWAITING_APPROVAL:
            message = _("Only a draft can be submitted for approval; this document is %(now)s.")
        else:
            message = _("Only a draft or a document awaiting approval can be approved; this document is %(now)s.")
        raise ValidationError({"status": message % {"now": now}})


@transaction.atomic
def document_submit(*, document: Document, actor: Actor) -> Document:
    document = _locked(document)
    _transition(document, allowed_from=(Document.Status.DRAFT,), to=Document.Status.AWAITING_APPROVAL)
    document.status = Document.Status.AWAITING_APPROVAL
    document.save(update_fields=["status", "updated_at"])
    _emit(document, event="submitted", changed=frozenset(), actor=actor)
    return document


@transaction.atomic
def document_approve(*, document: Document, actor: Actor) -> Document:
    document = _locked(document)
    _transition(
        document, allowed_from=(Document.Status.DRAFT, Document.Status.AWAITING_APPROVAL), to=Document.Status.APPROVED
    )
    _validate(document)
    document.status = Document.Status.APPROVED
    document.approved_at = timezone.now()
    document.save(update_fields=["status", "approved_at", "updated_at"])
    # Approval is what puts the bill into the ERP (R1, R3): the ERP's copy must catch up, so bump.
    _bump_version(document)
    _emit(document, event="approved", changed=frozenset(), actor=actor)
    return document


@transaction.atomic
def document_update(*, document: Document, actor: Actor, **changes: Any) -> Document:
    unknown = set(changes) - EDITABLE_FIELDS
    if unknown:
        raise ValidationError({field: _("This field cannot be edited.") for field in sorted(unknown)})
    document = _locked(document)
    _check_company_scope(document.company_id, changes)
    changed = frozenset(field for field, value in changes.items() if getattr(document, field) != value)
    if not changed:
        return document
    for field in changed:
        setattr(document, field, changes[field])
    _validate(document)
    document.save(update_fields=[*changed, "updated_at"])
    _bump_version(document)
    _emit(document, event="updated", changed=changed, actor=actor)
    return document


def _paid_so_far(document: Document) -> Decimal:
    """What is settled: payments (for a credit note, refunds received), and for a bill the approved credit notes
    that correct it."""
    paid = document.payments.aggregate(total=Sum("amount"))["total"] or Decimal("0")
    return paid + (Decimal("0") if document.is_credit_note else credited(document))


def credited(document: Document) -> Decimal:
    """The approved credit notes that correct ``document``, as a positive amount (annotated by the sync engine's
    batch query as ``credited_total``; read here otherwise)."""
    annotated = getattr(document, "credited_total", None)
    if annotated is not None:
        return annotated
    notes = Document.objects.filter(credits=document, status__in=[Document.Status.APPROVED, Document.Status.PAID])
    return -(notes.aggregate(total=Sum("total"))["total"] or Decimal("0"))


def amount_due(document: Document) -> Decimal:
    """What is still to pay (a bill) or to be refunded (a credit note), as a positive amount."""
    return abs(document.total) - _paid_so_far(document)


class PaymentDateError:
    """Codes of the payment-date rules (R18), for forms that ask the user to confirm a future date."""

    BEFORE_ISSUE = "payment_before_issue_date"
    FUTURE = "payment_date_in_future"


def _check_payment_date(document: Document, paid_on: dt.date, *, allow_future: bool, field: str) -> None:
    """A payment is dated on or after the document's issue date, and not in the future unless confirmed: Roger
    records payments that have been made, and a future date in the ERP books a payment that has not happened."""
    if not isinstance(paid_on, dt.date):
        return
    if paid_on < document.issue_date:
        raise ValidationError(
            {
                field: ValidationError(
                    _("A payment cannot be dated before the document's issue date (%(issued)s)."),
                    code=PaymentDateError.BEFORE_ISSUE,
                    params={"issued": formats.date_format(document.issue_date, "SHORT_DATE_FORMAT")},
                )
            }
        )
    today = timezone.localdate()
    if paid_on > today and not allow_future:
        raise ValidationError(
            {
                field: ValidationError(
                    _(
                        "%(date)s is in the future. Register a payment once it has been made, or confirm that it "
                        "is scheduled for that day."
                    ),
                    code=PaymentDateError.FUTURE,
                    params={"date": formats.date_format(paid_on, "SHORT_DATE_FORMAT")},
                )
            }
        )


@transaction.atomic
def payment_register(
    *,
    document: Document,
    actor: Actor,
    amount: Decimal,
    paid_on: dt.date,
    reference: str = "",
    bank_amount: Decimal | None = None,
    allow_future: bool = False,
) -> Payment:
    document = _locked(document)
    if document.status not in (Document.Status.APPROVED, Document.Status.PAID):
        raise ValidationError({"amount": _("Payments can only be registered on approved documents.")})
    if document.marked_paid:
        raise ValidationError({"amount": _("This document was marked as paid; no further payments can be added.")})
    _check_payment_date(document, paid_on, allow_future=allow_future, field="paid_on")
    payment = Payment(
        document=document,
        amount=amount,
        paid_on=paid_on,
        reference=reference,
        bank_amount=bank_amount,
        created_by=actor,
    )
    payment.full_clean(exclude=["document"])
    for field, value in (("amount", amount), ("bank_amount", bank_amount)):
        if isinstance(value, Decimal) and value.as_tuple().exponent < -2:  # type: ignore[operator]
            raise ValidationError({field: _("Use at most 2 decimals.")})
    outstanding = amount_due(document)
    if amount > outstanding:
        raise ValidationError(
            {
                "amount": _("Only %(amount)s %(currency)s is outstanding.")
                % {"amount": formats.number_format(outstanding, 2, force_grouping=True), "currency": document.currency}
            }
        )
    payment.save()
    if amount == outstanding:
        document.status = Document.Status.PAID
        document.paid_on = paid_on
        document.save(update_fields=["status", "paid_on", "updated_at"])
    _bump_version(document)
    _emit(document, event="paid" if document.is_paid else "payment_registered", changed=frozenset(), actor=actor)
    return payment


@transaction.atomic
def document_mark_paid(
    *, document: Document, actor: Actor, paid_on: dt.date | None = None, allow_future: bool = False
) -> Document:
    document = _locked(document)
    if document.status != Document.Status.APPROVED:
        raise ValidationError({"status": _("Only an approved, unpaid document can be marked as paid.")})
    paid_on = paid_on or timezone.localdate()
    _check_payment_date(document, paid_on, allow_future=allow_future, field="paid_on")
    document.status = Document.Status.PAID
    document.marked_paid = True
    document.paid_on = paid_on
    document.save(update_fields=["status", "marked_paid", "paid_on", "updated_at"])
    _bump_version(document)
    _emit(document, event="paid", changed=frozenset(), actor=actor)
    return document


@transaction.atomic
def document_attach_file(*, document: Document, actor: Actor, upload: UploadedFile) -> Document:
    """Store the supplier's file on the document (or replace it): checked from its content, stored through Django's
    storage, and synced to the ERP entries as their attachment (a new version).  Nothing is half-stored: a refused
    file stores nothing, and a file stored for a change that then fails is removed again."""
    checked = check_upload(upload)
    document = _locked(document)
    if checked.sha256 == document.file_sha256:
        return document  # the same file again: nothing changes, nothing is uploaded to the ERP
    old = document.file.name if document.file else ""
    document.file.save(checked.name, ContentFile(checked.content), save=False)
    stored = document.file.name
    try:
        document.file_name = checked.name
        document.file_size = checked.size
        document.file_sha256 = checked.sha256
        document.file_content_type = checked.content_type
        document.save(
            update_fields=["file", "file_name", "file_size", "file_sha256", "file_content_type", "updated_at"]
        )
        _bump_version(document)
        _emit(document, event="file_replaced" if old else "file_added", changed=frozenset({"file"}), actor=actor)
    except Exception:
        document.file.storage.delete(stored)
        raise
    if old:
        # The ERP keeps what it had until the new file is attached; Roger keeps only the current one.
        storage = document.file.storage
        transaction.on_commit(lambda: storage.delete(old))
    return document
