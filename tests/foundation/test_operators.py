"""Issue #14 point 12: the Django admin is for Roger's operators (DESIGN §1).  Company admins are not staff; the
demo's operator is; operators may read everything and add or change only companies and memberships; no admin
page shows a credential."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from documents.models import Payment
from integrations.models import Integration, SyncAttempt
from roger.models import Membership
from roger.operators import GROUP
from tests.factories import DocumentFactory

pytestmark = pytest.mark.django_db
CHANGEABLE = {"roger.company", "roger.membership"}
SECRETS = ("xero-access-SECRET-1", "xero-refresh-SECRET-2", "eco-grant-SECRET-3")


@pytest.fixture
def operator():
    call_command("seed_demo")
    return get_user_model().objects.get(username="operator")


@pytest.fixture
def operator_client(operator) -> Client:
    client = Client()
    assert client.login(username="operator", password="roger-demo")
    return client


def test_the_demo_company_admin_is_not_staff_and_the_operator_is():
    call_command("seed_demo")
    users = {u.username: u for u in get_user_model().objects.all()}
    assert not users["admin"].is_staff and not users["admin"].is_superuser
    assert Membership.objects.get(user=users["admin"], company__slug="nordlys").role == "admin"
    operator = users["operator"]
    assert operator.is_staff and not operator.is_superuser and operator.groups.filter(name=GROUP).exists()
    assert not Membership.objects.filter(user=operator).exists()
    client = Client()
    assert client.login(username="admin", password="roger-demo")
    r = client.get("/admin/")
    assert r.status_code == 302 and r["Location"].startswith("/admin/login/")  # company admins stay out
    assert 'href="/admin/"' not in client.get(reverse("documents:list")).content.decode()


def test_seeding_again_puts_an_old_staff_admin_right():
    call_command("seed_demo")
    get_user_model().objects.filter(username="admin").update(is_staff=True, is_superuser=True)
    call_command("seed_demo")
    admin_user = get_user_model().objects.get(username="admin")
    assert not admin_user.is_staff and not admin_user.is_superuser


def _scene():
    """One of everything, with credentials that must never appear on an admin page."""
    from roger.models import Company

    company = Company.objects.get(slug="nordlys")
    xero = Integration(company=company, kind="xero", name="Xero ops", connection="connected")
    xero.set_credentials({"access_token": SECRETS[0], "refresh_token": SECRETS[1]})
    xero.save()
    economic = Integration(company=company, kind="economic", name="e-conomic ops", connection="connected")
    economic.set_credentials({"agreement_grant_token": SECRETS[2]})
    economic.save()
    document = company.documents.filter(status="paid").first() or DocumentFactory(company=company)
    SyncAttempt.objects.create(
        company=company,
        document=document,
        integration=xero,
        entry_kind="bill",
        trigger="event",
        action="create",
        outcome="success",
    )
    return [xero, economic]


def _admin_pages(objects) -> list[tuple[str, str, str]]:
    """(model label, changelist url, a change url) for every model registered in the admin."""
    pages = []
    for model, _model_admin in admin.site._registry.items():
        label = f"{model._meta.app_label}.{model._meta.model_name}"
        info = (model._meta.app_label, model._meta.model_name)
        obj = next((o for o in objects if isinstance(o, model)), None) or model._default_manager.first()
        change = reverse("admin:{}_{}_change".format(*info), args=[obj.pk]) if obj is not None else ""
        pages.append((label, reverse("admin:{}_{}_changelist".format(*info)), change))
    return pages


def test_operators_read_every_admin_page_and_no_credential_is_shown(operator_client, operator):
    integrations = _scene()
    objects = [*integrations, operator, Payment.objects.first()]
    hashes = list(get_user_model().objects.values_list("password", flat=True))
    blobs = [i.credentials_encrypted for i in integrations]
    for label, changelist, change in _admin_pages(objects):
        for url in filter(None, [changelist, change]):
            r = operator_client.get(url)
            assert r.status_code == 200, (label, url, r.status_code)
            html = r.content.decode()
            for secret in [*SECRETS, *blobs, *hashes]:
                assert secret not in html, (label, url)
            if url == change and label not in CHANGEABLE:
                assert 'name="_save"' not in html, label  # read only


def test_operators_change_nothing_but_companies_and_memberships(operator_client):
    integrations = _scene()
    for model, _ in admin.site._registry.items():
        label = f"{model._meta.app_label}.{model._meta.model_name}"
        info = (model._meta.app_label, model._meta.model_name)
        add = operator_client.get(reverse("admin:{}_{}_add".format(*info)))
        assert add.status_code == (200 if label in CHANGEABLE else 403), label
        obj = next((o for o in integrations if isinstance(o, model)), None) or model._default_manager.first()
        if obj is None:
            continue
        delete = operator_client.post(reverse("admin:{}_{}_delete".format(*info), args=[obj.pk]), {"post": "yes"})
        assert delete.status_code == 403, label
        assert model._default_manager.filter(pk=obj.pk).exists()
    xero = integrations[0]
    r = operator_client.post(reverse("admin:integrations_integration_change", args=[xero.pk]), {"name": "Renamed"})
    assert r.status_code == 403 and Integration.objects.get(pk=xero.pk).name == "Xero ops"
