"""Xero's JSON shapes of the sandbox's data (schemas Contact, LineItem, Invoice, Payment, Organisation)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from integrations.sandbox.xero_model import (
    Contact,
    Invoice,
    Line,
    Org,
    Payment,
    date_string,
    iso_utc,
    ms_date,
    ms_datetime,
)


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
        "CreditNotes": [],
        "Prepayments": [],
        "Overpayments": [],
        "AmountDue": invoice.AmountDue,
        "AmountPaid": invoice.AmountPaid,
        "AmountCredited": invoice.AmountCredited,
        "SentToContact": invoice.SentToContact,
        "CurrencyRate": invoice.CurrencyRate,
        "IsDiscounted": False,
        "HasAttachments": False,
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


def render_payment(org: Org, payment: Payment) -> dict[str, Any]:
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
