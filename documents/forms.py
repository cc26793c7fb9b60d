"""Forms parse the user's input (amounts and dates in their language, R18) and ask for a confirmation where a
slip of the keyboard would be expensive; the services validate and write."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django import forms
from django.core.validators import MinValueValidator
from django.db.models import QuerySet
from django.forms.models import ModelChoiceIterator
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from documents.models import Category, Department, Document, VatCode, Vendor
from roger.amounts import AmountField
from roger.models import Company

# A total that becomes ten times larger or smaller is far more often a misplaced separator than a real correction.
CONFIRM_FACTOR = Decimal("10")


def _date_widget() -> forms.DateInput:
    # A text field in the user's language (30.11.2026 / 30 Nov 2026), not the browser's date picker: that follows
    # the browser's own language, so a Danish bookkeeper with an English browser would see 11/30/2026.
    return forms.DateInput(attrs={"autocomplete": "off", "class": "date-input"})


def date_hint() -> str:
    """The placeholder of a date field: an example written as the user's language writes dates."""
    return _("e.g. %(example)s") % {"example": formats.localize_input(dt.date(2026, 10, 1))}


def _localize_dates(form: forms.BaseForm, *names: str) -> None:
    for name in names:
        if name in form.fields:
            form.fields[name].localize = True
            form.fields[name].widget.is_localized = True
            form.fields[name].widget.attrs["placeholder"] = date_hint()


@dataclass(frozen=True)
class TotalChange:
    """A total that changed by a factor of ten or more, waiting for the user's confirmation."""

    old: Decimal
    new: Decimal
    factor: Decimal  # how many times larger (>1) or smaller (<1)

    @property
    def larger(self) -> bool:
        return self.new > self.old

    @property
    def times(self) -> Decimal:
        ratio = self.factor if self.larger else (1 / self.factor if self.factor else Decimal("0"))
        return ratio.quantize(Decimal("1")) if ratio >= 10 else ratio.quantize(Decimal("0.1"))

    @property
    def token(self) -> str:
        """What the confirm button sends: the exact amount confirmed, so a later change asks again."""
        return f"{self.new:.2f}"


def total_change(old: Decimal | None, new: Decimal | None) -> TotalChange | None:
    if old is None or new is None or old == new:
        return None
    if old == 0 or new == 0:
        return TotalChange(old, new, Decimal("0") if new == 0 else Decimal("Infinity"))
    factor = new / old
    if factor >= CONFIRM_FACTOR or factor <= 1 / CONFIRM_FACTOR:
        return TotalChange(old, new, factor)
    return None


def bills_to_correct(company: Company | int, vendor_id: object, currency: object) -> QuerySet[Document]:
    """The bills a credit note can correct: the company's invoices from that supplier in that currency."""
    vendor = int(vendor_id) if str(vendor_id or "").isdigit() else None
    if vendor is None or not currency:
        return Document.objects.none()
    return Document.objects.filter(
        company=company, kind=Document.Kind.INVOICE, vendor_id=vendor, currency=str(currency)
    ).order_by("-issue_date", "-id")


class _ShownBills(ModelChoiceIterator):
    def __init__(self, field: BillField) -> None:
        super().__init__(field)
        self.queryset = field.shown


class BillField(forms.ModelChoiceField):
    """The bill a credit note corrects.  Any of the company's invoices is accepted here (the service checks the
    supplier and the currency, and says which is wrong); only the chosen supplier's bills in the chosen currency
    are offered."""

    iterator = _ShownBills

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("label", _("Corrects bill"))
        kwargs.setdefault("empty_label", _("— no bill —"))
        self.shown: QuerySet[Document] = Document.objects.none()
        super().__init__(queryset=Document.objects.none(), required=False, **kwargs)

    def label_from_instance(self, obj: Document) -> str:
        return f"{obj.invoice_number} · {formats.date_format(obj.issue_date, 'SHORT_DATE_FORMAT')}"

    def offer(self, company: Company, vendor_id: object, currency: object) -> None:
        self.shown = bills_to_correct(company, vendor_id, currency)  # before the queryset: its setter reads it
        self.queryset = Document.objects.filter(company=company, kind=Document.Kind.INVOICE)
        # The options follow the supplier and the currency chosen in the same form (htmx; without it, the server
        # checks the choice on save and says what does not match).
        self.widget.attrs.update(
            {
                "hx-get": reverse("documents:bill_options"),
                "hx-trigger": "change from:#id_vendor, change from:#id_currency",
                "hx-include": "#id_vendor, #id_currency",
                "hx-swap": "innerHTML",
            }
        )


def credit_note_amounts(form: forms.BaseForm, *, credit_note: bool) -> None:
    """A credit note's amounts are typed as the supplier wrote them, with a leading minus; an invoice's never."""
    if credit_note:
        form.fields["total"].help_text = _("Negative, as on the credit note: e.g. %(example)s") % {
            "example": formats.number_format(Decimal("-250.00"), 2, force_grouping=True)
        }
        form.fields["vat"].help_text = _("Negative or zero")
        return
    for name in ("total", "vat"):
        form.fields[name].validators.append(MinValueValidator(Decimal("0")))


class DocumentEditForm(forms.ModelForm):
    total = AmountField(label=_("Total"), help_text=_("Including VAT"))
    vat = AmountField(label=_("VAT"))
    credits = BillField()

    class Meta:
        model = Document
        fields = [
            "vendor",
            "invoice_number",
            "issue_date",
            "due_date",
            "currency",
            "total",
            "vat",
            "vat_code",
            "category",
            "department",
            "description",
            "credits",
        ]
        labels = {
            "vendor": _("Vendor"),
            "invoice_number": _("Invoice number"),
            "issue_date": _("Issue date"),
            "due_date": _("Due date"),
            "currency": _("Currency"),
            "vat_code": _("VAT code"),
            "category": _("Category"),
            "department": _("Department"),
            "description": _("Description"),
        }
        widgets = {"issue_date": _date_widget(), "due_date": _date_widget()}

    def __init__(self, *args, company: Company, **kwargs):
        super().__init__(*args, **kwargs)
        # Only the company's own master data can be chosen (tenancy); raw ids from elsewhere are invalid.
        self.fields["vendor"].queryset = Vendor.objects.filter(company=company)
        self.fields["category"].queryset = Category.objects.filter(company=company)
        self.fields["department"].queryset = Department.objects.filter(company=company)
        self.fields["vat_code"].queryset = VatCode.objects.filter(company=company)
        _localize_dates(self, "issue_date", "due_date")
        credit_note = self.instance.is_credit_note
        credit_note_amounts(self, credit_note=credit_note)
        if credit_note:
            source = self.data if self.is_bound else {}
            self.fields["credits"].offer(  # type: ignore[attr-defined]
                company,
                source.get("vendor", self.instance.vendor_id),
                source.get("currency", self.instance.currency),
            )
        else:
            del self.fields["credits"]  # only a credit note corrects a bill
        self.original_total = self.instance.total if self.instance.pk else None
        self.total_change: TotalChange | None = None

    def changes(self) -> dict:
        """The edited fields, for ``services.document_update``."""
        return {f: self.cleaned_data[f] for f in self.Meta.fields if f in self.fields}

    def clean(self) -> dict:
        cleaned = super().clean()
        change = total_change(self.original_total, cleaned.get("total"))
        if change is not None and self.data.get("confirm_total") != change.token:
            # Nothing is saved, so nothing is synced, until the user confirms this very amount.
            self.total_change = change
            self.add_error(
                "total",
                forms.ValidationError(_("Please confirm the new total below."), code="confirm_total"),
            )
        return cleaned

    def _post_clean(self) -> None:
        # Model validation runs in the service (one place), not here: the form only parses input.
        pass


class PaymentForm(forms.Form):
    amount = AmountField(label=_("Amount"), min_value=Decimal("0.01"))
    paid_on = forms.DateField(label=_("Paid on"), initial=timezone.localdate, widget=_date_widget())
    reference = forms.CharField(label=_("Reference"), max_length=100, required=False)
    bank_amount = AmountField(
        label=_("Amount in the bank account's currency"),
        min_value=Decimal("0.01"),
        required=False,
        help_text=_(
            "Optional: what left the bank account, in its own currency, so your ERP books the exchange rate "
            "you actually paid."
        ),
    )

    def __init__(self, *args, document: Document, base_currency: str, **kwargs):
        super().__init__(*args, **kwargs)
        _localize_dates(self, "paid_on")
        if document.is_credit_note:  # money the supplier paid back
            self.fields["amount"].label = _("Amount refunded")
            self.fields["paid_on"].label = _("Refunded on")
        if document.currency == base_currency:
            del self.fields["bank_amount"]  # a payment in the bank's own currency has nothing to convert

    def service_arguments(self) -> dict:
        data = dict(self.cleaned_data)
        data.setdefault("bank_amount", None)
        data["allow_future"] = confirmed_future_date(self.data, data.get("paid_on"))
        return data


class MarkPaidForm(forms.Form):
    paid_on = forms.DateField(label=_("Paid on"), initial=timezone.localdate, widget=_date_widget())

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "mp-%s")
        super().__init__(*args, **kwargs)
        _localize_dates(self, "paid_on")

    def allow_future(self) -> bool:
        return confirmed_future_date(self.data, self.cleaned_data.get("paid_on"))


def confirmed_future_date(data, paid_on: dt.date | None) -> bool:
    """Whether the user confirmed this very date as a scheduled payment (the confirm button sends it back)."""
    return paid_on is not None and data.get("confirm_future_date") == paid_on.isoformat()


class DocumentCreateForm(forms.ModelForm):
    """A new document as the supplier sent it: an invoice or a credit note (negative, optionally correcting one of
    the supplier's bills), with its file."""

    kind = forms.ChoiceField(
        label=_("Type"), choices=Document.Kind.choices, initial=Document.Kind.INVOICE, widget=forms.RadioSelect
    )
    total = AmountField(label=_("Total"), help_text=_("Including VAT"))
    vat = AmountField(label=_("VAT"), initial=Decimal("0"), required=False)
    credits = BillField()
    file = forms.FileField(
        label=_("The supplier's file"),
        required=False,
        help_text=_("PDF, PNG or JPEG; its type is read from its content."),
        widget=forms.FileInput(attrs={"accept": ".pdf,.png,.jpg,.jpeg,application/pdf,image/png,image/jpeg"}),
    )

    class Meta:
        model = Document
        fields = [
            "kind",
            "vendor",
            "invoice_number",
            "issue_date",
            "due_date",
            "currency",
            "credits",
            "total",
            "vat",
            "vat_code",
            "category",
            "department",
            "description",
        ]
        labels = DocumentEditForm.Meta.labels
        widgets = DocumentEditForm.Meta.widgets

    def __init__(self, *args, company: Company, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["vendor"].queryset = Vendor.objects.filter(company=company)
        self.fields["category"].queryset = Category.objects.filter(company=company)
        self.fields["department"].queryset = Department.objects.filter(company=company)
        self.fields["vat_code"].queryset = VatCode.objects.filter(company=company)
        self.fields["currency"].initial = company.base_currency
        _localize_dates(self, "issue_date", "due_date")
        source = self.data if self.is_bound else self.initial
        currency = source.get("currency") or (None if self.is_bound else company.base_currency)
        self.fields["credits"].offer(company, source.get("vendor"), currency)  # type: ignore[attr-defined]
        self.fields["total"].help_text = _(
            "Including VAT. A credit note's amounts are negative, as on the credit note: e.g. %(example)s"
        ) % {"example": formats.number_format(Decimal("-250.00"), 2, force_grouping=True)}

    def clean(self) -> dict:
        cleaned = super().clean()
        if cleaned.get("kind") != Document.Kind.CREDIT_NOTE:
            cleaned["credits"] = None  # the bill chooser belongs to credit notes; an invoice corrects nothing
            for name in ("total", "vat"):
                value = cleaned.get(name)
                if value is not None and value < 0:
                    # A leading minus is for credit notes only.
                    self.add_error(
                        name, _("An invoice's amounts are not negative; for a credit note, choose Credit note.")
                    )
        if cleaned.get("vat") is None and "vat" not in self.errors:
            cleaned["vat"] = Decimal("0")
        return cleaned

    def _post_clean(self) -> None:
        pass  # the service validates (one place)

    def service_arguments(self) -> dict:
        return {f: self.cleaned_data[f] for f in self.Meta.fields}
