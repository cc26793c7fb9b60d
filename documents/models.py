from __future__ import annotations

import uuid
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from roger.models import Company

CURRENCIES = [("DKK", "DKK"), ("EUR", "EUR"), ("USD", "USD"), ("GBP", "GBP"), ("SEK", "SEK"), ("NOK", "NOK")]

# The fields whose change reaches the ERP (R1).  A change to any of them bumps ``Document.version``.
SYNCED_FIELDS = frozenset(
    {
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
    }
)


def document_file_path(document: Document, filename: str) -> str:
    """Where a document's file is stored: per company and document, under a name nobody can guess or clash with."""
    return f"documents/{document.company_id}/{document.public_id}/{uuid.uuid4().hex[:12]}-{filename}"


class CompanyQuerySet(models.QuerySet):
    def for_company(self, company: Company | int) -> CompanyQuerySet:
        return self.filter(company=company)


class Vendor(models.Model):
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="vendors", verbose_name=_("company"))
    number = models.CharField(
        _("number"), max_length=40, help_text=_("Roger's supplier number, the key used in every ERP")
    )
    name = models.CharField(_("name"), max_length=200)
    tax_number = models.CharField(_("tax number"), max_length=40, blank=True)
    email = models.EmailField(_("email"), blank=True)
    country = models.CharField(_("country"), max_length=2, blank=True)

    objects = CompanyQuerySet.as_manager()

    class Meta:
        verbose_name = _("vendor")
        verbose_name_plural = _("vendors")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["company", "number"], name="vendor_number_unique_per_company")]

    def __str__(self) -> str:
        return self.name


class Category(models.Model):
    """An expense category; admins map each to an ERP account."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="categories", verbose_name=_("company"))
    name = models.CharField(_("name"), max_length=100)
    account_code = models.CharField(
        _("account code"), max_length=20, blank=True, help_text=_("The company's own account number")
    )

    objects = CompanyQuerySet.as_manager()

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["company", "name"], name="category_name_unique_per_company")]

    def __str__(self) -> str:
        return self.name


class Department(models.Model):
    company = models.ForeignKey(
        Company, on_delete=models.CASCADE, related_name="departments", verbose_name=_("company")
    )
    name = models.CharField(_("name"), max_length=100)

    objects = CompanyQuerySet.as_manager()

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["company", "name"], name="department_name_unique_per_company")]

    def __str__(self) -> str:
        return self.name


class VatCode(models.Model):
    """The company's VAT codes; admins map each to an ERP tax type."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="vat_codes", verbose_name=_("company"))
    code = models.CharField(_("code"), max_length=20)
    name = models.CharField(_("name"), max_length=100)
    rate = models.DecimalField(_("rate"), max_digits=5, decimal_places=2, default=Decimal("0"))

    objects = CompanyQuerySet.as_manager()

    class Meta:
        verbose_name = pgettext_lazy("admin", "VAT code")  # lower case mid-sentence; "VAT code" is a label
        verbose_name_plural = _("VAT codes")
        ordering = ["code"]
        constraints = [models.UniqueConstraint(fields=["company", "code"], name="vat_code_unique_per_company")]

    def __str__(self) -> str:
        return f"{self.code} ({self.name})"


class DocumentQuerySet(CompanyQuerySet):
    def unpaid(self) -> DocumentQuerySet:
        return self.filter(status=Document.Status.APPROVED)

    def paid(self) -> DocumentQuerySet:
        return self.filter(status=Document.Status.PAID)

    def synced(self) -> DocumentQuerySet:
        """Documents that belong in the ERP: approved on (R3)."""
        return self.filter(status__in=[Document.Status.APPROVED, Document.Status.PAID])


class Document(models.Model):
    """A supplier bill or credit note, with the file the supplier sent (R17)."""

    class Kind(models.TextChoices):
        INVOICE = "invoice", _("Invoice")
        CREDIT_NOTE = "credit_note", _("Credit note")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        AWAITING_APPROVAL = "awaiting_approval", _("Awaiting approval")
        APPROVED = "approved", _("Unpaid")
        PAID = "paid", _("Paid")

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="documents", verbose_name=_("company"))
    public_id = models.UUIDField(_("public ID"), default=uuid.uuid4, unique=True, editable=False)
    # A credit note is stored with a negative total and VAT: what the supplier owes back.
    kind = models.CharField(_("document kind"), max_length=12, choices=Kind.choices, default=Kind.INVOICE)
    # The supplier's bill a credit note corrects (same supplier); allocated against it in the ERP where possible.
    credits = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="credit_notes",
        verbose_name=_("credited bill"),
    )
    vendor = models.ForeignKey(Vendor, on_delete=models.PROTECT, related_name="documents", verbose_name=_("vendor"))
    invoice_number = models.CharField(_("invoice number"), max_length=50)
    issue_date = models.DateField(_("issue date"))
    due_date = models.DateField(_("due date"), null=True, blank=True)
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCIES)
    total = models.DecimalField(_("total"), max_digits=14, decimal_places=2, help_text=_("Including VAT"))
    vat = models.DecimalField(_("VAT"), max_digits=14, decimal_places=2, default=Decimal("0"))
    vat_code = models.ForeignKey(
        VatCode, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("VAT code")
    )
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("category")
    )
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("department")
    )
    description = models.CharField(_("description"), max_length=500, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.DRAFT)
    marked_paid = models.BooleanField(
        _("marked paid"), default=False, help_text=_("Paid outside Roger and marked as paid")
    )
    paid_on = models.DateField(_("paid on"), null=True, blank=True)
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    # The source file as the supplier sent it (PDF, PNG or JPEG; its type read from the content), stored through
    # Django's storage API; written only by ``documents.services.document_attach_file``.
    file = models.FileField(_("file"), upload_to=document_file_path, max_length=300, blank=True)
    file_name = models.CharField(
        _("file name"), max_length=200, blank=True
    )  # the name as uploaded (checked), shown and sent
    file_size = models.PositiveIntegerField(_("file size"), default=0)
    file_sha256 = models.CharField(_("file SHA-256"), max_length=64, blank=True)
    file_content_type = models.CharField(_("file type"), max_length=40, blank=True)
    # Bumped by every change that reaches the ERP; the sync engine syncs "the latest version" (R2).
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = DocumentQuerySet.as_manager()

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        ordering = ["-issue_date", "-id"]
        indexes = [
            models.Index(fields=["company", "status", "-issue_date"], name="document_company_status_idx"),
            models.Index(fields=["company", "-issue_date", "-id"], name="document_company_date_idx"),
            # Search by amount (documents.search); the text search's trigram indexes are in migration 0004.
            models.Index(fields=["company", "total"], name="document_company_total_idx"),
        ]
        constraints = [
            # An invoice is positive, a credit note negative; VAT lies between zero and the total either way.
            models.CheckConstraint(
                condition=(Q(kind="invoice") & Q(total__gte=0) & Q(vat__gte=0) & Q(vat__lte=F("total")))
                | (Q(kind="credit_note") & Q(total__lt=0) & Q(vat__lte=0) & Q(vat__gte=F("total"))),
                name="document_amounts_follow_kind",
            ),
            models.CheckConstraint(condition=Q(kind__in=["invoice", "credit_note"]), name="document_kind_valid"),
            models.CheckConstraint(
                condition=Q(credits__isnull=True) | Q(kind="credit_note"), name="only_credit_notes_credit_a_bill"
            ),
            models.CheckConstraint(
                condition=Q(due_date__isnull=True) | Q(due_date__gte=F("issue_date")), name="document_due_after_issue"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["draft", "awaiting_approval", "approved", "paid"]), name="document_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status="paid") | Q(paid_on__isnull=False), name="paid_document_has_date"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.vendor.name} {self.invoice_number}" if self.vendor_id else self.invoice_number

    @property
    def is_paid(self) -> bool:
        return self.status == self.Status.PAID

    @property
    def is_synced_state(self) -> bool:
        return self.status in (self.Status.APPROVED, self.Status.PAID)

    @property
    def net_amount(self) -> Decimal:
        return self.total - self.vat

    @property
    def is_credit_note(self) -> bool:
        return self.kind == self.Kind.CREDIT_NOTE

    @property
    def status_label(self) -> str:
        """The status in words.  A credit note is never "unpaid": paid, it is *refunded* (the supplier paid the money
        back); approved, it is applied to the bill it corrects (allocated against it in the ERP), or else waits to
        be refunded."""
        if self.is_credit_note and self.status == self.Status.PAID:
            return str(_("Refunded"))
        if self.is_credit_note and self.status == self.Status.APPROVED:
            if self.credits_id:
                return str(_("Applied to %(number)s")) % {"number": self.credits.invoice_number}
            return str(_("Not refunded"))
        return str(self.get_status_display())


class Payment(models.Model):
    """A payment of a document registered in Roger (partial payments allowed)."""

    document = models.ForeignKey(
        Document, on_delete=models.CASCADE, related_name="payments", verbose_name=_("document")
    )
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    paid_on = models.DateField(_("paid on"))
    reference = models.CharField(_("reference"), max_length=100, blank=True)
    # For a payment in another currency than the bank account's (a EUR bill paid from a DKK account): what left
    # the bank, in the bank account's currency, so the ERP books the rate actually paid, not its own day rate.
    bank_amount = models.DecimalField(
        _("amount in the bank account's currency"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["paid_on", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(
                condition=Q(bank_amount__isnull=True) | Q(bank_amount__gt=0), name="payment_bank_amount_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.amount} on {self.paid_on}"
