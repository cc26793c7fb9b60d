from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model

from documents.models import Category, Department, Document, VatCode, Vendor
from roger.models import Company, Membership


class CompanyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Company
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Company {n}")
    slug = factory.Sequence(lambda n: f"company-{n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("pw-for-tests")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    company = factory.SubFactory(CompanyFactory)
    role = Membership.Role.ACCOUNTANT


class VendorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Vendor

    company = factory.SubFactory(CompanyFactory)
    number = factory.Sequence(lambda n: f"V{1000 + n}")
    name = factory.Sequence(lambda n: f"Vendor {n} A/S")
    tax_number = factory.Sequence(lambda n: f"DK{10000000 + n}")


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category

    company = factory.SubFactory(CompanyFactory)
    name = factory.Sequence(lambda n: f"Category {n}")
    account_code = "429"


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department

    company = factory.SubFactory(CompanyFactory)
    name = factory.Sequence(lambda n: f"Department {n}")


class VatCodeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = VatCode

    company = factory.SubFactory(CompanyFactory)
    code = factory.Sequence(lambda n: f"I{n}")
    name = "Input VAT 25%"
    rate = Decimal("25")


class DocumentFactory(factory.django.DjangoModelFactory):
    """Builds rows directly (no services, no events): for setting the scene, not for testing behaviour."""

    class Meta:
        model = Document

    company = factory.SubFactory(CompanyFactory)
    vendor = factory.SubFactory(VendorFactory, company=factory.SelfAttribute("..company"))
    category = factory.SubFactory(CategoryFactory, company=factory.SelfAttribute("..company"))
    department = factory.SubFactory(DepartmentFactory, company=factory.SelfAttribute("..company"))
    vat_code = factory.SubFactory(VatCodeFactory, company=factory.SelfAttribute("..company"))
    invoice_number = factory.Sequence(lambda n: f"INV-{n:05d}")
    issue_date = dt.date(2026, 10, 1)
    due_date = dt.date(2026, 10, 31)
    currency = "DKK"
    total = Decimal("1250.00")
    vat = Decimal("250.00")
    description = "Office supplies"
    status = Document.Status.APPROVED
