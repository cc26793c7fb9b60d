"""Forms parse and validate input only; the services do the work."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from documents.models import Category, Department, Document, VatCode
from integrations import erp_words
from integrations.connectors.base import CatalogItem
from integrations.models import EntryKind, Integration
from integrations.services import Catalogues
from roger.models import Company


class ResyncForm(forms.Form):
    """The Re-sync modal (R7): which entry; the payment is offered only for a Paid document."""

    kind = forms.ChoiceField(widget=forms.RadioSelect, label=_("Which entry?"))

    def __init__(self, *args, document: Document, integration: Integration | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        # In the ERP's words: a credit note's entries are a credit note (entry) and a refund (issue #15).
        labels = (
            erp_words.entry_labels(document, integration)
            if integration is not None
            else {k.value: k.label for k in EntryKind}
        )
        choices = [(EntryKind.BILL.value, labels[EntryKind.BILL.value])]
        allocation = integration is not None and erp_words.is_allocation(document) and erp_words.allocates(integration)
        if document.is_paid or allocation:
            choices.append((EntryKind.PAYMENT.value, labels[EntryKind.PAYMENT.value]))
        self.fields["kind"].choices = choices
        self.fields["kind"].initial = EntryKind.BILL.value


class OptionsForm(forms.ModelForm):
    class Meta:
        model = Integration
        fields = ["enabled", "auto_sync", "push_drafts", "book_after_sync"]
        labels = {
            "enabled": _("Enabled"),
            "auto_sync": _("Sync automatically"),
            "push_drafts": _("Push drafts on upload"),
            "book_after_sync": _("Book entries after sync"),
        }
        # The switches' labels say it all; the model's help texts (English, for the admin) are not shown here, so
        # no field points aria-describedby at them.
        help_texts = dict.fromkeys(fields, "")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.kind != Integration.Kind.ECONOMIC:
            # Only e-conomic's connector can book entries; elsewhere the switch would do nothing.
            del self.fields["book_after_sync"]

    def options(self) -> dict[str, bool]:
        """Every option for the service; one this form does not show keeps its saved value."""
        return {name: self.cleaned_data.get(name, getattr(self.instance, name)) for name in self.Meta.fields}


class EconomicForm(forms.Form):
    name = forms.CharField(
        max_length=100, required=False, label=_("Name"), help_text=_("Shown in Roger, e.g. 'e-conomic'")
    )
    agreement_grant_token = forms.CharField(
        max_length=200,
        required=False,
        label=_("Agreement grant token"),
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_("From e-conomic's app settings. Leave empty to keep the saved token."),
    )
    app_secret_token = forms.CharField(
        max_length=200,
        required=False,
        label=_("App secret token"),
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_("Only with your own e-conomic app; leave empty to use Roger's app (or the saved token)."),
    )
    journal_number = forms.IntegerField(
        min_value=1, label=_("Journal number"), help_text=_("A journal for Roger alone: its entries may be booked")
    )


class TenantForm(forms.Form):
    tenant_id = forms.ChoiceField(widget=forms.RadioSelect, label=_("Xero organisation"))

    def __init__(self, *args, integration: Integration, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tenant_id"].choices = [
            (t["tenant_id"], t["tenant_name"]) for t in integration.settings.get("pending_tenants", [])
        ]


def _choices(items, blank: str) -> list[tuple[str, str]]:
    return [("", blank)] + [(i.code, f"{i.code} · {i.name}" if i.code != i.name else i.name) for i in items]


# What each ERP calls the things Roger's VAT codes and departments map to: (section title, noun).
ERP_LABELS = {
    Integration.Kind.XERO: {
        "tax_types": (_("VAT code → tax type"), _("tax type")),
        "tracking": (_("Department → tracking option"), _("tracking option")),
    },
    Integration.Kind.ECONOMIC: {
        "tax_types": (_("VAT code → e-conomic VAT code"), _("VAT code")),
        "tracking": (_("Department → e-conomic department"), _("department")),
    },
}


class MappingForm(forms.Form):
    """One <select> per category, VAT code and department, filled from the ERP's catalogues.

    A value already saved that the ERP no longer lists stays selectable (marked), so saving never silently
    drops a mapping the admin made.
    """

    def __init__(self, *args, company: Company, integration: Integration, catalogues: Catalogues, **kwargs):
        # The settings page holds one editor per integration: ids must differ for the labels to point right.
        kwargs.setdefault("auto_id", f"id_{integration.pk}_%s")
        super().__init__(*args, **kwargs)
        mappings = integration.mappings or {}
        self.sections: list[tuple[str, str, list[str]]] = []
        labels = ERP_LABELS.get(integration.kind, ERP_LABELS[Integration.Kind.XERO])
        tax_title, tax_noun = labels["tax_types"]
        tracking_title, tracking_noun = labels["tracking"]
        specs = [
            (
                "accounts",
                _("Category → account"),
                Category.objects.filter(company=company),
                catalogues.accounts,
                _("account"),
            ),
            ("tax_types", tax_title, VatCode.objects.filter(company=company), catalogues.tax_rates, tax_noun),
            (
                "tracking",
                tracking_title,
                Department.objects.filter(company=company),
                catalogues.tracking,
                tracking_noun,
            ),
        ]
        for key, title, objects, items, noun in specs:
            names = []
            saved = mappings.get(key, {})
            for obj in objects:
                name = f"{key}-{obj.pk}"
                choices = _choices(items, _("— no %(noun)s —") % {"noun": noun})
                current = saved.get(str(obj.pk), "")
                if current and current not in {c for c, _ in choices}:
                    choices.append((current, _("%(code)s (no longer in the ERP)") % {"code": current}))
                self.fields[name] = forms.ChoiceField(choices=choices, required=False, label=str(obj), initial=current)
                names.append(name)
            self.sections.append((key, title, names))
        bank_choices = _choices(catalogues.bank_accounts, _("— choose the bank account —"))
        current_bank = mappings.get("bank_account", "")
        if current_bank and current_bank not in {c for c, _ in bank_choices}:
            bank_choices.append((current_bank, _("%(code)s (no longer in the ERP)") % {"code": current_bank}))
        self.fields["bank_account"] = forms.ChoiceField(
            choices=bank_choices, required=False, label=_("Payments are booked against"), initial=current_bank
        )

    def section_fields(self):
        for key, title, names in self.sections:
            yield key, title, [self[name] for name in names]

    def mapping(self, key: str) -> dict[int, str]:
        prefix = f"{key}-"
        return {
            int(name[len(prefix) :]): value
            for name, value in self.cleaned_data.items()
            if name.startswith(prefix) and value
        }


class VendorContactForm(forms.Form):
    """The vendor → ERP supplier mapping of one page of vendors: a text field per vendor, suggesting the ERP's
    contacts from one shared <datalist> (thousands of contacts stay one list, not one <select> per row).  A
    suggestion reads "Name · number · id"; the id at the end is what is saved."""

    def __init__(self, *args, rows, catalogue: list[CatalogItem], **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = rows
        self.labels = {c.code: contact_label(c) for c in catalogue}
        for row in rows:
            current = self.labels.get(row.link.erp_id, row.link.erp_id) if row.link else ""
            self.fields[f"contact-{row.vendor.pk}"] = forms.CharField(
                required=False, max_length=400, label=f"{row.vendor.name} ({row.vendor.number})", initial=current
            )

    def clean(self):
        cleaned = super().clean()
        by_label = {label: code for code, label in self.labels.items()}
        for name, value in list(cleaned.items()):
            value = (value or "").strip()
            code = by_label.get(value) or (value.rsplit(" · ", 1)[-1] if value else "")
            if value and code not in self.labels:
                self.add_error(name, _("Choose a contact from the list."))
            cleaned[name] = code
        return cleaned

    def choices(self) -> dict[int, str]:
        # Only the fields the admin's page sent: a vendor that moved onto this page meanwhile keeps its link.
        return {int(name.split("-", 1)[1]): code for name, code in self.cleaned_data.items() if name in self.data}

    def row_fields(self):
        for row in self.rows:
            yield row, self[f"contact-{row.vendor.pk}"]


def contact_label(contact: CatalogItem) -> str:
    return " · ".join(part for part in (contact.name, contact.group, contact.code) if part)
