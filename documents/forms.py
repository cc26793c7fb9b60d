from __future__ import annotations

import datetime as dt

from django import forms

from documents.models import Category, Department, Document, VatCode, Vendor
from roger.models import Company


class DocumentEditForm(forms.ModelForm):
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
        labels = {"vat": "VAT", "vat_code": "VAT code"}
        widgets = {
            "issue_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "due_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }

    def __init__(self, *args, company: Company, **kwargs):
        super().__init__(*args, **kwargs)
        # Only the company's own master data can be chosen (tenancy); raw ids from elsewhere are invalid.
        self.fields["vendor"].queryset = Vendor.objects.filter(company=company)
        self.fields["category"].queryset = Category.objects.filter(company=company)
        self.fields["department"].queryset = Department.objects.filter(company=company)
        self.fields["vat_code"].queryset = VatCode.objects.filter(company=company)
        self.fields["total"].help_text = "Including VAT"

    def _post_clean(self) -> None:
        # Model validation runs in the service (one place), not here: the form only parses input.
        pass


class PaymentForm(forms.Form):
    amount = forms.DecimalField(max_digits=14, decimal_places=2, min_value=0.01)
    paid_on = forms.DateField(initial=dt.date.today, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    reference = forms.CharField(max_length=100, required=False)


class MarkPaidForm(forms.Form):
    paid_on = forms.DateField(initial=dt.date.today, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
