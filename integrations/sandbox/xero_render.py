"""Xero's JSON shapes of the sandbox's data (schemas Contact, LineItem, Invoice, CreditNote, Allocation, Payment,
Attachment, Organisation)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from integrations.sandbox.xero_model import (
    Allocation,
    Attachment,
    Contact,
    CreditNote,
    Invoice,
    Line,
    Org,
    Payment,
    date_string,
    iso_utc,
    ms_date,
    ms_datetime,
)

# "The following fields will be excluded from the response" with ``summaryOnly=true``; every other field stays,
# ``TaxNumber`` and ``CompanyNumber`` among them (developer.xero.com/documentation/api/accounting/contacts,
# "Retrieving a smaller lightweight response using the 'summaryOnly' parameter").
SUMMARY_ONLY_EXCLUDES = frozenset(
    {
        "Addresses",
        "Balances",
        "ContactGroups",
        "ContactPersons",
        "IsCustomer",
        "IsSupplier",
        "PurchasesDefaultAccountCode",
        "PurchasesTrackingCategories",
        "SalesDefaultAccountCode",
        "SalesTrackingCategories",
    }
)


def render_contact_summary_only(contact: Contact) -> dict[str, Any]:
    return {k: v for k, v in render_contact(contact).items() if k not in SUMMARY_ONLY_EXCLUDES}


def render_contact(contact: Contact, summary: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {"ContactID": contact.ContactID, "Name": contact.Name}
    if contact.ContactNumber:
        data["ContactNumber"] = contact.ContactNumber
    if summary:
        data.update(Addresses=[], Phones=[], ContactGroups=[], ContactPersons=[], HasValidationErrors=False)
        return data
    for name in (
        "AccountNumber",
        "TaxNumber",
        "EmailAddress",
        "FirstName",
        "LastName",
        "CompanyNumber",
        "DefaultCurrency",
    ):
        if getattr(contact, name):
            data[name] = getattr(contact, name)
    data.update(
        ContactStatus=contact.ContactStatus,
        IsSupplier=contact.IsSupplier,
        IsCustomer=contact.IsCustomer,
        Addresses=[],
        Phones=[],
        ContactGroups=[],
        ContactPersons=[],
        HasAttachments=False,
        HasValidationErrors=False,
        UpdatedDateUTC=ms_datetime(contact.updated),
    )
    return data


def render_line(org: Org, line: Line, unit_dp: int = 2) -> dict[str, Any]:
    unit_q = Decimal(1).scaleb(-unit_dp)
    data: dict[str, Any] = {
        "LineItemID": line.LineItemID,
        "Description": line.Description,
        "Quantity": line.Quantity.quantize(Decimal("0.0001")),
        "UnitAmount": line.UnitAmount.quantize(unit_q, rounding=ROUND_HALF_UP),
        "TaxType": line.TaxType,
        "TaxAmount": line.TaxAmount,
        "LineAmount": line.LineAmount,
        "Tracking": [dict(t) for t in line.Tracking],
        "ValidationErrors": [],
    }
    if line.AccountCode:
        data["AccountCode"] = line.AccountCode
        account = org.account_by_code(line.AccountCode)
        if account:
            data["AccountID"] = account["AccountID"]
    if line.ItemCode:
        data["ItemCode"] = line.ItemCode
    return data


def render_payment_on_invoice(payment: Payment) -> dict[str, Any]:
    return {
        "PaymentID": payment.PaymentID,
        "Date": ms_date(payment.Date),
        "Amount": payment.Amount,
        "Reference": payment.Reference,
        "CurrencyRate": payment.CurrencyRate,
        "HasAccount": False,
        "HasValidationErrors": False,
    }


def render_invoice(org: Org, invoice: Invoice, with_lines: bool = True, unit_dp: int = 2) -> dict[str, Any]:
    contact = org.contacts.get(invoice.ContactID)
    data: dict[str, Any] = {
        "Type": invoice.Type,
        "InvoiceID": invoice.InvoiceID,
        "InvoiceNumber": invoice.InvoiceNumber,
        # Xero keeps Reference for sales invoices only; on bills it is silently dropped.
        "Reference": invoice.Reference if invoice.Type == "ACCREC" else "",
        "Payments": [render_payment_on_invoice(p) for p in org.payments_of(invoice.InvoiceID)],
        "CreditNotes": [_applied_credit(org, a) for a in org.allocations_of(invoice_id=invoice.InvoiceID)],
        "Prepayments": [],
        "Overpayments": [],
        "AmountDue": invoice.AmountDue,
        "AmountPaid": invoice.AmountPaid,
        "AmountCredited": invoice.AmountCredited,
        "SentToContact": invoice.SentToContact,
        "CurrencyRate": invoice.CurrencyRate,
        "IsDiscounted": False,
        "HasAttachments": bool(org.attachments.get(invoice.InvoiceID)),
        "HasErrors": False,
        "Contact": render_contact(contact, summary=True) if contact else {"ContactID": invoice.ContactID},
        "DateString": date_string(invoice.Date),
        "Date": ms_date(invoice.Date),
        "Status": invoice.Status,
        "LineAmountTypes": invoice.LineAmountTypes,
        "LineItems": [render_line(org, line, unit_dp) for line in invoice.lines] if with_lines else [],
        "SubTotal": invoice.SubTotal,
        "TotalTax": invoice.TotalTax,
        "Total": invoice.Total,
        "UpdatedDateUTC": ms_datetime(invoice.updated),
        "UpdatedDateUTCString": iso_utc(invoice.updated),
        "CurrencyCode": invoice.CurrencyCode,
    }
    if invoice.Url:
        data["Url"] = invoice.Url
    if invoice.DueDate:
        data["DueDateString"] = date_string(invoice.DueDate)
        data["DueDate"] = ms_date(invoice.DueDate)
    if invoice.PlannedPaymentDate:
        data["PlannedPaymentDate"] = ms_date(invoice.PlannedPaymentDate)
    if invoice.FullyPaidOnDate:
        data["FullyPaidOnDate"] = ms_date(invoice.FullyPaidOnDate)
    return data


def _applied_credit(org: Org, allocation: Allocation) -> dict[str, Any]:
    """A credit note allocated to an invoice, as the invoice's ``CreditNotes`` list shows it."""
    credit = org.credit_notes.get(allocation.CreditNoteID)
    return {
        "CreditNoteID": allocation.CreditNoteID,
        "CreditNoteNumber": credit.InvoiceNumber if credit else "",
        "AppliedAmount": allocation.Amount,
        "DateString": date_string(allocation.Date),
        "Date": ms_date(allocation.Date),
        "Total": credit.Total if credit else allocation.Amount,
    }


def render_credit_note(org: Org, credit: CreditNote, with_lines: bool = True, unit_dp: int = 2) -> dict[str, Any]:
    """A credit note in schema ``CreditNote``: its refunds in ``Payments``, its allocations in ``Allocations``,
    what is left in ``RemainingCredit``; ``Reference`` is kept for ACCRECCREDIT only (creditnotes page)."""
    contact = org.contacts.get(credit.ContactID)
    data: dict[str, Any] = {
        "Type": credit.Type,
        "CreditNoteID": credit.InvoiceID,
        "CreditNoteNumber": credit.InvoiceNumber,
        "Reference": credit.Reference if credit.Type == "ACCRECCREDIT" else "",
        "Payments": [render_payment_on_invoice(p) for p in org.refunds_of(credit.InvoiceID)],
        "Allocations": [
            render_allocation(org, a, nested=True) for a in org.allocations_of(credit_note_id=credit.InvoiceID)
        ],
        "RemainingCredit": credit.AmountDue,
        "CurrencyRate": credit.CurrencyRate,
        "HasAttachments": bool(org.attachments.get(credit.InvoiceID)),
        "HasErrors": False,
        "Contact": render_contact(contact, summary=True) if contact else {"ContactID": credit.ContactID},
        "DateString": date_string(credit.Date),
        "Date": ms_date(credit.Date),
        "Status": credit.Status,
        "LineAmountTypes": credit.LineAmountTypes,
        "LineItems": [render_line(org, line, unit_dp) for line in credit.lines] if with_lines else [],
        "SubTotal": credit.SubTotal,
        "TotalTax": credit.TotalTax,
        "Total": credit.Total,
        "UpdatedDateUTC": ms_datetime(credit.updated),
        "UpdatedDateUTCString": iso_utc(credit.updated),
        "CurrencyCode": credit.CurrencyCode,
    }
    if credit.DueDate:
        data["DueDate"] = ms_date(credit.DueDate)
    if credit.FullyPaidOnDate:
        data["FullyPaidOnDate"] = ms_date(credit.FullyPaidOnDate)
    return data


def render_allocation(org: Org, allocation: Allocation, nested: bool = False) -> dict[str, Any]:
    """Schema ``Allocation``; inside a credit note (``nested``) without the credit note itself."""
    invoice = org.invoices.get(allocation.InvoiceID)
    data: dict[str, Any] = {
        "AllocationID": allocation.AllocationID,
        "Amount": allocation.Amount,
        "Date": ms_date(allocation.Date),
        "Invoice": {"InvoiceID": allocation.InvoiceID, "InvoiceNumber": invoice.InvoiceNumber if invoice else ""},
    }
    if not nested:
        credit = org.credit_notes.get(allocation.CreditNoteID)
        data["CreditNote"] = {
            "CreditNoteID": allocation.CreditNoteID,
            "CreditNoteNumber": credit.InvoiceNumber if credit else "",
        }
        data["IsDeleted"] = allocation.IsDeleted
    return data


def render_attachment(endpoint: str, document_id: str, attachment: Attachment) -> dict[str, Any]:
    """Schema ``Attachment``; ``Url`` in Xero's own form (attachments page: ``/{Endpoint}/{Guid}/Attachments/
    {Filename}``)."""
    data: dict[str, Any] = {
        "AttachmentID": attachment.AttachmentID,
        "FileName": attachment.FileName,
        "Url": f"https://api.xero.com/api.xro/2.0/{endpoint}/{document_id}/Attachments/{attachment.FileName}",
        "MimeType": attachment.MimeType,
        "ContentLength": attachment.ContentLength,
    }
    if attachment.IncludeOnline:
        data["IncludeOnline"] = True
    return data


def render_payment(org: Org, payment: Payment) -> dict[str, Any]:
    if payment.CreditNoteID:
        return _render_refund(org, payment)
    invoice = org.invoices.get(payment.InvoiceID)
    account = org.account_by_id(payment.AccountID) or {}
    data: dict[str, Any] = {
        "PaymentID": payment.PaymentID,
        "Date": ms_date(payment.Date),
        "BankAmount": payment.BankAmount if getattr(payment, "BankAmount", None) is not None else payment.Amount,
        "Amount": payment.Amount,
        "Reference": payment.Reference,
        "CurrencyRate": payment.CurrencyRate,
        "PaymentType": "ACCPAYPAYMENT" if not invoice or invoice.Type == "ACCPAY" else "ACCRECPAYMENT",
        "Status": payment.Status,
        "UpdatedDateUTC": ms_datetime(payment.updated),
        "UpdatedDateUTCString": iso_utc(payment.updated),
        "HasAccount": True,
        "IsReconciled": payment.IsReconciled,
        "Account": {"AccountID": payment.AccountID, "Code": account.get("Code", ""), "Name": account.get("Name", "")},
        "HasValidationErrors": False,
    }
    if invoice:
        summary = render_invoice(org, invoice, with_lines=False)
        data["Invoice"] = {
            key: summary[key]
            for key in (
                "Type",
                "InvoiceID",
                "InvoiceNumber",
                "Reference",
                "Payments",
                "Prepayments",
                "Overpayments",
                "AmountDue",
                "AmountPaid",
                "SentToContact",
                "CurrencyRate",
                "IsDiscounted",
                "HasErrors",
                "Contact",
                "DateString",
                "Date",
                "Status",
                "LineAmountTypes",
                "LineItems",
                "SubTotal",
                "TotalTax",
                "Total",
                "UpdatedDateUTC",
                "UpdatedDateUTCString",
                "CurrencyCode",
            )
            if key in summary
        }
    return data


def _render_refund(org: Org, payment: Payment) -> dict[str, Any]:
    """A refund of a credit note: a payment with ``CreditNote`` instead of ``Invoice`` (spec ``Payment``), of type
    APCREDITPAYMENT for a supplier's credit note."""
    credit = org.credit_notes.get(payment.CreditNoteID)
    account = org.account_by_id(payment.AccountID) or {}
    data: dict[str, Any] = {
        "PaymentID": payment.PaymentID,
        "Date": ms_date(payment.Date),
        "BankAmount": payment.BankAmount if payment.BankAmount is not None else payment.Amount,
        "Amount": payment.Amount,
        "Reference": payment.Reference,
        "CurrencyRate": payment.CurrencyRate,
        "PaymentType": "ARCREDITPAYMENT" if credit and credit.Type == "ACCRECCREDIT" else "APCREDITPAYMENT",
        "Status": payment.Status,
        "UpdatedDateUTC": ms_datetime(payment.updated),
        "UpdatedDateUTCString": iso_utc(payment.updated),
        "HasAccount": True,
        "IsReconciled": payment.IsReconciled,
        "Account": {"AccountID": payment.AccountID, "Code": account.get("Code", ""), "Name": account.get("Name", "")},
        "HasValidationErrors": False,
    }
    if credit:
        summary = render_credit_note(org, credit, with_lines=False)
        keys = ("Type", "CreditNoteID", "CreditNoteNumber", "Contact", "Date", "Status", "Total", "RemainingCredit",
                "CurrencyCode", "CurrencyRate", "LineItems")  # fmt: skip
        data["CreditNote"] = {key: summary[key] for key in keys if key in summary}
    return data


def render_organisation(org: Org) -> dict[str, Any]:
    data: dict[str, Any] = {
        "OrganisationID": org.tenant_id,
        "APIKey": org.short_code.strip("!").upper(),
        "Name": org.name,
        "LegalName": org.name,
        "PaysTax": True,
        "Version": "GLOBAL",
        "OrganisationType": "COMPANY",
        "BaseCurrency": org.base_currency,
        "CountryCode": "DK",
        "IsDemoCompany": True,
        "OrganisationStatus": "ACTIVE",
        "TaxNumber": "DK12345678",
        "FinancialYearEndDay": 31,
        "FinancialYearEndMonth": 12,
        "SalesTaxBasis": "ACCRUALS",
        "SalesTaxPeriod": "QUARTERLY",
        "DefaultSalesTax": "Tax Exclusive",
        "DefaultPurchasesTax": "Tax Exclusive",
        "CreatedDateUTC": ms_datetime(org.created, offset=False),
        "OrganisationEntityType": "COMPANY",
        "Timezone": "ROMANCESTANDARDTIME",
        "ShortCode": org.short_code,
        "Edition": "BUSINESS",
        "Class": "PREMIUM",
        "Addresses": [],
        "Phones": [],
        "ExternalLinks": [],
        "PaymentTerms": {},
    }
    if org.period_lock_date:
        data["PeriodLockDate"] = ms_date(org.period_lock_date)
    if org.end_of_year_lock_date:
        data["EndOfYearLockDate"] = ms_date(org.end_of_year_lock_date)
    return data
