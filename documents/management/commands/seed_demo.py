"""Demo data: idempotent (a second run changes nothing), deterministic (the same data on every machine)."""

from __future__ import annotations

import datetime as dt
import random
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand
from django.db import transaction

from documents import services
from documents.demo_files import document_pdf
from documents.models import Category, Department, Document, VatCode, Vendor
from roger.models import Company, Membership
from roger.operators import GROUP as OPERATORS
from roger.operators import ensure_operator_group

DEMO_PASSWORD = "roger-demo"

VENDORS = [
    ("V1001", "Dansk Kontorforsyning A/S", "DK12345678", "DK"),
    ("V1002", "Nordic Cloud Hosting ApS", "DK23456789", "DK"),
    ("V1003", "Københavns Rengøring I/S", "DK34567890", "DK"),
    ("V1004", "Berlin Software GmbH", "DE811234567", "DE"),
    ("V1005", "Atlas Travel Ltd", "GB123456789", "GB"),
    ("V1006", "Øresund Energi A/S", "DK45678901", "DK"),
    ("V1007", "Acme Consulting Inc.", "US-98-7654321", "US"),
    ("V1008", "Lyngby Print & Design", "DK56789012", "DK"),
]
CATEGORIES = [
    ("Office supplies", "461"),
    ("Hosting & software", "489"),
    ("Cleaning", "408"),
    ("Consulting", "412"),
    ("Travel", "493"),
    ("Electricity & heating", "445"),
    ("Advertising", "400"),
    ("Rent", "469"),
]
VAT_CODES = [
    ("I25", "Input VAT 25%", Decimal("25")),
    ("I0", "No VAT", Decimal("0")),
    ("REV", "Reverse charge (EU services)", Decimal("0")),
]
DEPARTMENTS = ["Administration", "Sales", "Development", "Operations"]
# (status, how many): 120 documents across the lifecycle
MIX = [("draft", 10), ("awaiting_approval", 14), ("approved", 52), ("paid", 44)]


SEEDED_NUMBER = r"^(INV|CN)-2026[0-9]{3}$"  # INV-{2026_000 + n} and CN-{2026_000 + n}, as seeded below


def cents(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


class Command(BaseCommand):
    help = "Create the demo companies, users and documents (safe to run again)."

    def handle(self, *args, **options) -> None:
        with transaction.atomic():
            company = self.seed_nordlys()
            self.seed_second_company()
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo ready: {company.documents.count()} documents in {company.name}. "
                f"Log in as admin / accountant / viewer (or operator, for /admin/) with password '{DEMO_PASSWORD}'."
            )
        )

    def user(self, username: str, *, operator: bool = False):
        """A demo user; only the operator is staff (company admins are not: the Django admin shows every
        company's data).  Flags are put right on a database seeded by an older Roger, where admin was staff."""
        User = get_user_model()
        user, created = User.objects.get_or_create(username=username)
        if created:
            user.set_password(DEMO_PASSWORD)
        user.is_staff, user.is_superuser = operator, False
        user.save()
        if operator:
            ensure_operator_group()
            user.groups.add(Group.objects.get(name=OPERATORS))
        return user

    def seed_nordlys(self) -> Company:
        company, _ = Company.objects.get_or_create(
            slug="nordlys", defaults={"name": "Nordlys ApS", "base_currency": "DKK"}
        )
        for username, role in (("admin", "admin"), ("accountant", "accountant"), ("viewer", "viewer")):
            Membership.objects.get_or_create(user=self.user(username), company=company, defaults={"role": role})
        self.user("operator", operator=True)  # Roger's operator: /admin/, read-mostly, in no company
        vendors = [
            Vendor.objects.get_or_create(
                company=company, number=number, defaults={"name": name, "tax_number": tax, "country": country}
            )[0]
            for number, name, tax, country in VENDORS
        ]
        categories = [
            Category.objects.get_or_create(company=company, name=name, defaults={"account_code": code})[0]
            for name, code in CATEGORIES
        ]
        vat_codes = {
            code: VatCode.objects.get_or_create(company=company, code=code, defaults={"name": name, "rate": rate})[0]
            for code, name, rate in VAT_CODES
        }
        departments = [Department.objects.get_or_create(company=company, name=name)[0] for name in DEPARTMENTS]
        if not company.documents.exists():  # documents are seeded once; a second run changes nothing
            rng = random.Random(2026)
            today = dt.date(2026, 11, 20)
            number = 0
            for status, count in MIX:
                for _ in range(count):
                    number += 1
                    self.seed_document(company, rng, today, number, status, vendors, categories, vat_codes, departments)
        self.seed_credit_notes(company)
        self.seed_files(company)
        return company

    def seed_credit_notes(self, company) -> None:
        """Two supplier credit notes: one correcting an unpaid bill (allocated against it in the ERP), one refunded."""
        if company.documents.filter(kind=Document.Kind.CREDIT_NOTE).exists():
            return
        bills = company.documents.filter(kind=Document.Kind.INVOICE, status="approved", currency="DKK").order_by("pk")
        corrected, refunded = bills[0], bills[1]
        for bill, share, number in ((corrected, Decimal("0.1"), 1), (refunded, Decimal("0.05"), 2)):
            total = -cents(bill.total * share)
            vat = cents(total * bill.vat / bill.total) if bill.total else Decimal("0")
            note = services.document_create(
                company=company,
                actor=None,
                kind=Document.Kind.CREDIT_NOTE,
                credits=bill if bill == corrected else None,
                vendor=bill.vendor,
                invoice_number=f"CN-{2026_000 + number}",
                issue_date=bill.issue_date + dt.timedelta(days=5),
                currency=bill.currency,
                total=total,
                vat=vat,
                vat_code=bill.vat_code,
                category=bill.category,
                department=bill.department,
                description=f"Credit for {bill.invoice_number}",
            )
            services.document_approve(document=note, actor=None)
            if bill == refunded:
                services.payment_register(
                    document=note, actor=None, amount=-total, paid_on=note.issue_date, reference="Refund received"
                )

    def seed_files(self, company) -> None:
        """Every demo document gets the PDF its supplier sent (generated: supplier, number, dates, line and totals).

        Once: on the run that seeds the documents, or on a database seeded before documents had files (none has
        one), and then only the seed's own documents (numbered as the seed numbers them).  Later runs leave every
        document as it is: ``make run`` seeds on every start, and must not invent a supplier's file for a document
        someone created or left without one in the demo (and sync that file to the ERPs)."""
        if company.documents.exclude(file="").exists():
            return
        seeded = company.documents.filter(file="", invoice_number__regex=SEEDED_NUMBER)
        for document in seeded.select_related("vendor", "credits").order_by("pk"):
            pdf = document_pdf(document)
            upload = SimpleUploadedFile(f"{document.invoice_number}.pdf", pdf, content_type="application/pdf")
            services.document_attach_file(document=document, actor=None, upload=upload)

    def seed_document(self, company, rng, today, number, status, vendors, categories, vat_codes, departments) -> None:
        vendor = vendors[number % len(vendors)]
        currency = {"DE": "EUR", "GB": "EUR", "US": "USD"}.get(vendor.country, "DKK")
        vat_code = vat_codes["I25"] if currency == "DKK" else vat_codes["REV"]
        net = cents(Decimal(rng.randint(2_000, 900_000)) / 100)
        vat = cents(net * vat_code.rate / 100)
        issue = today - dt.timedelta(days=rng.randint(3, 120))
        document = services.document_create(
            company=company,
            actor=None,
            vendor=vendor,
            invoice_number=f"INV-{2026_000 + number}",
            issue_date=issue,
            due_date=issue + dt.timedelta(days=rng.choice([14, 30, 30, 45])),
            currency=currency,
            total=net + vat,
            vat=vat,
            vat_code=vat_code,
            category=categories[number % len(categories)],
            department=departments[number % len(departments)],
            description=f"{categories[number % len(categories)].name} — {issue:%B %Y}",
        )
        if status in ("awaiting_approval",):
            services.document_submit(document=document, actor=None)
        if status in ("approved", "paid"):
            services.document_approve(document=document, actor=None)
        if status == "paid":
            paid_on = min(today, document.due_date or today)
            if number % 3 == 0:
                services.document_mark_paid(document=document, actor=None, paid_on=paid_on)
            else:
                services.payment_register(
                    document=document,
                    actor=None,
                    amount=document.total,
                    paid_on=paid_on,
                    reference=f"Bank transfer {number:04d}",
                )

    def seed_second_company(self) -> None:
        company, _ = Company.objects.get_or_create(
            slug="fjord", defaults={"name": "Fjord Consulting AS", "base_currency": "DKK"}
        )
        Membership.objects.get_or_create(user=self.user("fjord"), company=company, defaults={"role": "admin"})
        vendor, _ = Vendor.objects.get_or_create(company=company, number="F-1", defaults={"name": "Bergen Kaffe AS"})
        if company.documents.exists():
            return
        for i in range(3):
            services.document_create(
                company=company,
                actor=None,
                vendor=vendor,
                invoice_number=f"BK-{i + 1}",
                issue_date=dt.date(2026, 10, 1 + i),
                currency="DKK",
                total=Decimal("1250.00"),
                vat=Decimal("250.00"),
                description="Coffee for the office",
            )
