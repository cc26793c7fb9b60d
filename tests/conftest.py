from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from django.test import Client

from documents.models import Document
from roger.models import Membership
from tests.factories import (
    CategoryFactory,
    CompanyFactory,
    DepartmentFactory,
    DocumentFactory,
    MembershipFactory,
    UserFactory,
    VatCodeFactory,
    VendorFactory,
)

# The ERP sandbox fixtures (a real sandbox server over HTTP, reset per test).
pytest_plugins = ["tests.fixtures_sandbox"] if (Path(__file__).parent / "fixtures_sandbox.py").exists() else []


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test starts with an empty cache: cached ERP catalogues are keyed by integration id, and ids repeat
    across tests on SQLite."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def company():
    return CompanyFactory(name="Nordlys ApS", slug="nordlys-test")


@pytest.fixture
def other_company():
    return CompanyFactory(name="Other Co", slug="other-test")


def _member(company, username: str, role: str):
    return MembershipFactory(user=UserFactory(username=username), company=company, role=role).user


@pytest.fixture
def admin_user(company):
    return _member(company, "alice", Membership.Role.ADMIN)


@pytest.fixture
def accountant(company):
    return _member(company, "bob", Membership.Role.ACCOUNTANT)


@pytest.fixture
def viewer(company):
    return _member(company, "vera", Membership.Role.VIEWER)


@pytest.fixture
def outsider(other_company):
    return _member(other_company, "charlie", Membership.Role.ADMIN)


def _client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def admin_client_(admin_user) -> Client:
    return _client_for(admin_user)


@pytest.fixture
def accountant_client(accountant) -> Client:
    return _client_for(accountant)


@pytest.fixture
def viewer_client(viewer) -> Client:
    return _client_for(viewer)


@pytest.fixture
def outsider_client(outsider) -> Client:
    return _client_for(outsider)


# --- master data and documents, shared by the engine, UI and browser suites --------------------------------------
@pytest.fixture
def master(company):
    return {
        "vendor": VendorFactory(company=company, name="Dansk Kontor A/S", number="V1001"),
        "category": CategoryFactory(company=company, name="General", account_code="429"),
        "vat_code": VatCodeFactory(company=company, code="I25"),
        "department": DepartmentFactory(company=company, name="Sales"),
    }


@pytest.fixture
def make_document(company, master):
    def make(**overrides) -> Document:
        values = dict(company=company, status="approved", total=Decimal("1250.00"), vat=Decimal("250.00"), **master)
        values.update(overrides)
        return DocumentFactory(**values)

    return make
