"""Forms parse the user's input (amounts and dates in their language, R18) and ask for a confirmation where a
slip of the keyboard would be expensive; the services validate and write."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django import forms
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


class DocumentEditForm(forms.ModelForm):
    total = AmountField(label=_("Total"), help_text=_("Including VAT"), min_value=Decimal("0"))
    vat = AmountField(label=_("VAT"), min_value=Decimal("0"))

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
        self.original_total = self.instance.total if self.instance.pk else None
        self.total_change: TotalChange | None = None

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
