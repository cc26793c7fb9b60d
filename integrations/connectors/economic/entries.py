"""Roger's bill or payment → e-conomic's entry, in both APIs' shapes; and what would be refused before sending.

Mapping a bill: one ``supplierInvoice`` entry per voucher with ``amount`` = the total incl. VAT (positive, as in
e-conomic's documented example), ``contraAccount`` = the expense account, ``contraVatAccount``/``contraVatAmount``
= VAT code and Roger's VAT, ``departmentalDistribution`` = the department (legacy ``journals.journalNumber.
vouchers.post.schema.json``).  Lines with different accounts, VAT codes or departments are UNSUPPORTED (one
voucher, one expense account).  A payment is one ``supplierPayment`` with ``contraAccount`` = the bank account.

The Journals API's ``DraftEntry`` (used only to change a draft; every entry is created as a legacy voucher, see
``creating``) has no VAT amount and no department: e-conomic derives the VAT from ``contraVatCode``, and dimensions
are a resource of their own since Journals 9.0.0 ("Dimensions deprecated. Please use Dimensions API instead.").  So
a draft Roger changes there must have the VAT its code gives, and keeps the department it has.

Credit notes (issue #15).  e-conomic has no credit-note entry type: the journal's types are "2: Customer Payment,
3: Supplier Invoice, 4: Supplier Payment, 5: Finance Voucher, 10: Manual Customer Invoice" (DraftEntry.
entryTypeNumber), and the only credit flag was withdrawn ("Deprecating isCredit property for DraftEntry model",
Journals changelog 11.0.0), so the direction of an entry is the sign of its amount — as the legacy voucher schema
says of entry amounts ("Defining whether it is a debit or credit can be done by prefixing the amount with the '-'
(minus) sign", ``customerPayments[].amount``), and as e-conomic writes its own credit notes ("For a credit note
this amount will be negative", ``invoices.booked.bookedInvoiceNumber.get`` ``netAmount``/``grossAmount``).  A
supplier's credit note is therefore a ``supplierInvoice`` entry whose ``amount`` and ``contraVatAmount`` are
negative; the supplier's refund of one (``PaymentData.credit_note`` without ``allocate_to``) a ``supplierPayment``
whose amount (and ``amountBaseCurrency``) is negative: money into the bank account.  Everything else — marker,
look-up, update, booking, closed periods — is the supplier invoice's and payment's.  Roger's amounts are
magnitudes; ``direction`` gives the sign, and what is read back is reported as magnitudes again.

Currencies (issue point 6).  ``exchangeRate`` is quoted per 100 units of the foreign currency: the Journals API
refuses a base-currency entry whose rate is not 100 (``JournalEntryExchangeRateMustBeOneHundredForBaseCurrency``,
x-error-codes of DraftEntries).  A payment whose bank amount Roger knows (``PaymentData.bank_amount``, in the bank
account's currency, taken to be the agreement's base currency) carries ``exchangeRate`` = bank amount / amount ×
100 and ``amountBaseCurrency`` = the bank amount.  A foreign-currency entry without a known rate carries none:
"Exchange rate can now be left out (or null) when creating and updating draft entries. A default exchange rate
will be set based on entry date and currency" (Journals changelog 8.0.0); the legacy API, which creates the
voucher, documents no default, so ``creating`` checks the rate e-conomic applied.  A change through the Journals
API keeps the rate the draft has unless the currency changes.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from integrations.connectors.base import N_, BillData, EntryKind, ErpError, ErrorCategory, PaymentData
from integrations.connectors.economic.errors import setup_error
from integrations.connectors.economic.ids import (
    ENTRY_TYPES,
    INVOICE_NUMBER_MAX,
    TEXT_MAX,
    decimals_ok,
    marker_token,
    money,
    ref_number,
)

RATE_PLACES = Decimal("0.000001")


def entry_date(data: BillData | PaymentData) -> date:
    return data.issue_date if isinstance(data, BillData) else data.payment_date


def date_field(kind: EntryKind) -> str:
    return "issue_date" if kind is EntryKind.BILL else "payment_date"


def direction(data: BillData | PaymentData) -> int:
    """-1 for a credit note or a refund (the amount goes the other way in e-conomic), else 1."""
    return -1 if data.credit_note else 1


def precheck(kind: EntryKind, data: BillData | PaymentData) -> ErpError | None:
    """Refuse, before any call, what e-conomic would refuse or what Roger cannot express there."""
    if isinstance(data, BillData):
        if kind is not EntryKind.BILL:
            return ErpError(ErrorCategory.VALIDATION, N_("A bill was sent as a payment"))
        if not data.lines:
            return setup_error(N_("The bill has no account line"), "category")
        first = data.lines[0]
        mapping = (first.account_code, first.tax_type, first.tracking)
        if any((line.account_code, line.tax_type, line.tracking) != mapping for line in data.lines[1:]):
            return ErpError(
                ErrorCategory.UNSUPPORTED,
                N_(
                    "Roger posts an e-conomic supplier invoice to one expense account, VAT code and department; "
                    "this bill's lines use several"
                ),
                hint=N_("Use one category, VAT rate and department for the document, or post it by hand."),
            )
        if not first.account_code.strip():
            return setup_error(N_("No e-conomic account is mapped for the category"), "category")
        if not first.account_code.strip().isdigit():
            return setup_error(
                N_("'{account}' is not an e-conomic account number").format(account=first.account_code), "category"
            )
        if data.vat and not first.tax_type.strip():
            return setup_error(N_("No e-conomic VAT code is mapped for the VAT rate"), "vat_code")
        if len(first.tax_type.strip()) > 5:
            return setup_error(N_("'{code}' is not an e-conomic VAT code").format(code=first.tax_type), "vat_code")
        if len(first.tracking) > 1:
            return ErpError(
                ErrorCategory.UNSUPPORTED, N_("e-conomic takes one department per entry"), field="department"
            )
        if data.total <= 0:
            return ErpError(ErrorCategory.VALIDATION, N_("The total must be positive"), field="total")
        if not decimals_ok(data.total):
            return ErpError(ErrorCategory.VALIDATION, N_("The total has more than 2 decimals"), field="total")
        if data.vat < 0 or data.vat > data.total or not decimals_ok(data.vat):
            return ErpError(
                ErrorCategory.VALIDATION, N_("The VAT must be between 0 and the total, to the cent"), field="vat"
            )
    else:
        if kind is not EntryKind.PAYMENT:
            return ErpError(ErrorCategory.VALIDATION, N_("A payment was sent as a bill"))
        if data.allocate_to:
            return ErpError(
                ErrorCategory.UNSUPPORTED,
                N_("Roger does not match credit notes against bills in e-conomic (the API cannot undo a match)"),
                hint=N_("Match the credit note with the bill in e-conomic (the supplier's open entries)."),
                code="allocation_unsupported",
            )
        if not data.bank_account.strip():
            return setup_error(N_("No e-conomic bank account is chosen for payments"), "bank_account")
        if not data.bank_account.strip().isdigit():
            return setup_error(
                N_("'{account}' is not an e-conomic account number").format(account=data.bank_account), "bank_account"
            )
        if data.amount <= 0 or not decimals_ok(data.amount):
            return ErpError(ErrorCategory.VALIDATION, N_("The amount must be positive, to the cent"), field="amount")
        if data.bank_amount is not None and (data.bank_amount <= 0 or not decimals_ok(data.bank_amount)):
            return ErpError(
                ErrorCategory.VALIDATION,
                N_("The amount that left the bank must be positive, to the cent"),
                field="amount",
            )
    if len(data.invoice_number) > INVOICE_NUMBER_MAX:
        return ErpError(
            ErrorCategory.VALIDATION,
            N_("e-conomic takes supplier invoice numbers of at most {limit} characters").format(
                limit=INVOICE_NUMBER_MAX
            ),
            field="invoice_number",
        )
    if len(data.currency) != 3:
        return ErpError(
            ErrorCategory.VALIDATION,
            N_("'{currency}' is not a currency code").format(currency=data.currency),
            field="currency",
        )
    return None


def text_for(data: BillData | PaymentData) -> str:
    """Entry text: what the accountant reads, then Roger's marker token (never cut off)."""
    suffix = f" [{marker_token(data.marker)}]"
    if isinstance(data, BillData):
        words = (data.lines[0].description if data.lines else "") or data.description
        human = words.strip() or f"{data.vendor.name} {data.invoice_number}".strip()
    else:
        what = "Refund" if data.credit_note else "Payment"
        human = data.reference.strip() or f"{what} {data.vendor.name} {data.invoice_number}".strip()
    human = " ".join(human.split())
    return human[: TEXT_MAX - len(suffix)] + suffix


def known_rate(data: BillData | PaymentData, base_currency: str) -> Decimal | None:
    """The exchange rate per 100 units Roger knows for a foreign-currency entry; None when it knows none."""
    if isinstance(data, PaymentData) and data.bank_amount is not None and data.amount:
        return (data.bank_amount / data.amount * 100).quantize(RATE_PLACES, rounding=ROUND_HALF_UP)
    return None


def is_foreign(data: BillData | PaymentData, base_currency: str) -> bool:
    return bool(base_currency) and data.currency.upper() != base_currency


def legacy_entry(
    kind: EntryKind, data: BillData | PaymentData, supplier: int, department: int | None, base_currency: str
) -> dict[str, Any]:
    """The legacy voucher entry (``entries.supplierInvoices[]`` / ``supplierPayments[]``)."""
    entry: dict[str, Any] = {"supplier": {"supplierNumber": supplier}}
    if data.invoice_number:
        entry["supplierInvoiceNumber"] = data.invoice_number
    entry["text"] = text_for(data)
    sign = direction(data)
    if isinstance(data, BillData):
        line = data.lines[0]
        entry["amount"] = sign * data.total
        entry["contraAccount"] = {"accountNumber": int(line.account_code)}
        if line.tax_type.strip():
            entry["contraVatAccount"] = {"vatCode": line.tax_type.strip()}
            entry["contraVatAmount"] = sign * data.vat
        entry["currency"] = {"code": data.currency}
        entry["date"] = data.issue_date.isoformat()
        if data.due_date:
            entry["dueDate"] = data.due_date.isoformat()
        if department is not None:
            entry["departmentalDistribution"] = {"departmentalDistributionNumber": department}
    else:
        entry["amount"] = sign * data.amount
        entry["contraAccount"] = {"accountNumber": int(data.bank_account)}
        entry["currency"] = {"code": data.currency}
        entry["date"] = data.payment_date.isoformat()
    rate = known_rate(data, base_currency) if is_foreign(data, base_currency) else None
    if rate is not None and isinstance(data, PaymentData) and data.bank_amount is not None:
        entry["exchangeRate"] = rate
        entry["amountBaseCurrency"] = sign * data.bank_amount
    return entry


def draft_entry(
    kind: EntryKind, data: BillData | PaymentData, supplier: int, journal: int, base_currency: str
) -> dict[str, Any]:
    """The Journals API ``DraftEntry`` (required: amount, currency, date, entryTypeNumber, journalNumber)."""
    entry: dict[str, Any] = {
        "entryTypeNumber": ENTRY_TYPES[kind].number,
        "journalNumber": journal,
        "date": _datetime(entry_date(data)),
        "currency": data.currency,
        "supplierNumber": supplier,
        "text": text_for(data),
    }
    if data.invoice_number:
        entry["supplierInvoiceNumber"] = data.invoice_number
    if isinstance(data, BillData):
        line = data.lines[0]
        entry["amount"] = direction(data) * data.total
        entry["contraAccountNumber"] = int(line.account_code)
        if line.tax_type.strip():
            entry["contraVatCode"] = line.tax_type.strip()
        if data.due_date:
            entry["dueDate"] = _datetime(data.due_date)
    else:
        entry["amount"] = direction(data) * data.amount
        entry["contraAccountNumber"] = int(data.bank_account)
    rate = known_rate(data, base_currency) if is_foreign(data, base_currency) else None
    if rate is not None:
        entry["exchangeRate"] = rate
    return entry


def _datetime(day: date) -> str:
    # DraftEntry.date and .dueDate are "format": "date-time" (RFC 3339): midnight UTC of the day.
    return f"{day.isoformat()}T00:00:00Z"


def vat_the_code_gives(data: BillData, rate: Decimal) -> Decimal:
    """The VAT e-conomic derives from a VAT code for an amount incl. VAT: amount × rate / (100 + rate)."""
    return (data.total * rate / (100 + rate)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def vat_refusal(data: BillData, code: str, rate: Decimal | None, doing: str) -> ErpError | None:
    """When e-conomic will compute the VAT (the Journals API has no VAT amount), Roger's VAT must be that VAT."""
    if not code:
        return None
    if rate is None:
        return setup_error(N_("e-conomic has no VAT code '{code}'").format(code=code), "vat_code")
    theirs = vat_the_code_gives(data, rate)
    if theirs == data.vat:
        return None
    return ErpError(
        ErrorCategory.VALIDATION,
        N_(
            "To {doing}, e-conomic computes the VAT from VAT code {code} ({rate}%): {theirs}; the bill says {vat}"
        ).format(doing=doing, code=code, rate=f"{rate.normalize():f}", theirs=f"{theirs:.2f}", vat=f"{data.vat:.2f}"),
        field="vat",
        hint=N_("Correct the VAT in Roger if e-conomic's figure is right, or make this change in e-conomic's journal."),
        code="vat_mismatch",
    )


def comparable(entry: dict[str, Any]) -> dict[str, Any]:
    """The properties Roger writes through the Journals API, normalised, to tell whether a PUT changes anything."""
    return {
        "supplierNumber": entry.get("supplierNumber"),
        "supplierInvoiceNumber": str(entry.get("supplierInvoiceNumber") or ""),
        "text": str(entry.get("text") or ""),
        "amount": money(entry.get("amount")),
        "contraAccountNumber": entry.get("contraAccountNumber"),
        "contraVatCode": str(entry.get("contraVatCode") or ""),
        "currency": str(entry.get("currency") or ""),
        "date": str(entry.get("date") or "")[:10],
        "dueDate": str(entry.get("dueDate") or "")[:10],
        "exchangeRate": money(entry["exchangeRate"]) if entry.get("exchangeRate") is not None else None,
    }


def department_of(entry: dict[str, Any]) -> int | None:
    return ref_number(entry.get("departmentalDistribution"), "departmentalDistributionNumber")
