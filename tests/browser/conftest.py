"""Browser tests: Playwright (sync API) driving Debian's Chromium against the running app (pytest-django's
``live_server``), the Xero sandbox and a real ``qcluster`` worker process sharing the PostgreSQL test database.

Run with ``make browser`` (``pytest -m browser``) and ``DATABASE_URL=postgres://…``.  Screenshots of each page
and step go to ``$ROGER_SCREENSHOTS`` (default ``screenshots/``).
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection
from django.utils import translation
from django.utils.translation import gettext, ngettext

from integrations import stored_text
from integrations.models import Integration
from roger.amounts import format_amount
from roger.models import Membership
from tests.engine.conftest import make_integration
from tests.factories import DocumentFactory

# Playwright's sync API keeps an event loop on the test thread; the test's own ORM calls are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("ROGER_CHROMIUM", "/usr/bin/chromium")
SHOTS = Path(os.environ.get("ROGER_SCREENSHOTS", ROOT / "screenshots"))
PASSWORD = "pw-for-tests"
# Documents' files, shared by the live server and the worker (which reads a file to attach it to its ERP entry).
MEDIA = Path(os.environ.get("ROGER_BROWSER_MEDIA", "/tmp/roger-browser-media"))


def pytest_collection_modifyitems(items) -> None:
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
        )
        yield browser
        browser.close()


# Every browser flow runs once in each of Roger's languages: the browser asks for it (Accept-Language), as a
# Danish or an English accountant's browser does.
LOCALES = {"da": "da-DK", "en": "en-GB"}


@pytest.fixture(params=list(LOCALES))
def lang(request) -> str:
    return request.param


def t(lang: str, message: str, **params) -> str:
    """``message`` as the user reads it in ``lang`` (the catalogue's translation, formatted)."""
    with translation.override(lang):
        text = gettext(message)
    return text % params if params else text


def tn(lang: str, singular: str, plural: str, n: int, **params) -> str:
    with translation.override(lang):
        return ngettext(singular, plural, n) % {"counter": n, **params}


def stored(lang: str, text: str) -> str:
    """A message Roger stored in English, as ``lang`` shows it."""
    with translation.override(lang):
        return stored_text.translate(text)


def amount(lang: str, value: str) -> str:
    """An amount as ``lang`` writes it (2.053,48 / 2,053.48)."""
    with translation.override(lang):
        return format_amount(Decimal(value))


@pytest.fixture
def page(browser, lang):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale=LOCALES[lang])
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))  # a script error is a failed flow
    yield page
    context.close()
    assert errors == [], errors


class Shots:
    """Numbered screenshots, so the folder reads as the story of the run."""

    def __init__(self, prefix: str):
        SHOTS.mkdir(parents=True, exist_ok=True)
        self.prefix, self.n = prefix.replace("[", "-").replace("]", ""), 0

    def __call__(self, page, name: str, *, full_page: bool = True) -> None:
        self.n += 1
        page.screenshot(path=str(SHOTS / f"{self.prefix}-{self.n:02d}-{name}.png"), full_page=full_page)


@pytest.fixture
def shots(request) -> Shots:
    return Shots(request.node.name.removeprefix("test_"))


@pytest.fixture(scope="session")
def postgres_only(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        if connection.vendor != "postgresql":
            pytest.fail("browser tests need PostgreSQL (DATABASE_URL) so the worker process shares the test database")
        return connection.settings_dict


@pytest.fixture(scope="session")
def worker(postgres_only, sandbox_server, live_server) -> Iterator[subprocess.Popen]:
    """A real ``manage.py qcluster`` on the test database, talking to the sandbox."""
    db = postgres_only
    url = f"postgres://{db['USER']}{':' + db['PASSWORD'] if db['PASSWORD'] else ''}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DEBUG": "True",
        "Q_WORKERS": "1",
        "Q_POLL": "0.1",
        "ROGER_RATE_LIMITS_OFF": "True",
        "SITE_URL": live_server.url,
        "XERO_API_URL": f"{sandbox_server.url}/xero",
        "XERO_IDENTITY_URL": f"{sandbox_server.url}/xero/identity",
        "XERO_LOGIN_URL": f"{sandbox_server.url}/xero/login",
        "XERO_GO_URL": f"{sandbox_server.url}/xero/go",
        "XERO_CLIENT_ID": "roger-test",
        "XERO_CLIENT_SECRET": "roger-test-secret",
        # e-conomic's APIs and web app on the sandbox too (issue #15's file flow runs against e-conomic).
        "ECONOMIC_API_URL": f"{sandbox_server.url}/economic",
        "ECONOMIC_APIS_URL": f"{sandbox_server.url}/economic",
        "ECONOMIC_APP_URL": f"{sandbox_server.url}/economic/app",
        "ROGER_MEDIA_ROOT": str(MEDIA),
        "LOG_LEVEL": "WARNING",
    }
    SHOTS.mkdir(parents=True, exist_ok=True)
    # The worker's output sits next to the screenshots: the first place to look when a flow times out in CI.
    with open(SHOTS / "qcluster-browser.log", "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "qcluster"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
        time.sleep(2.5)  # the cluster's workers start; tasks enqueued meanwhile wait in the ORM queue anyway
        assert process.poll() is None, "qcluster exited at start"
        yield process
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture
def scene(transactional_db, company, master, admin_user, accountant, viewer, sandbox, xero_settings, worker):
    """A company connected to a fresh sandbox organisation, with mappings and six Unpaid documents."""
    tenant = sandbox.new_xero_tenant("Nordlys ApS (browser)")
    integration = make_integration(company, tenant, master)
    # A second, disabled integration so the tab's dropdown has something to switch to.
    Integration.objects.create(company=company, kind="economic", name="e-conomic (old)", enabled=False)
    documents = [
        DocumentFactory(
            company=company,
            invoice_number=f"INV-2026-{100 + i}",
            issue_date=dt.date(2026, 10, 1) + dt.timedelta(days=i),
            total=Decimal("1250.00") + i,
            vat=Decimal("250.00"),
            status="approved",
            **master,
        )
        for i in range(6)
    ]
    assert Membership.objects.filter(company=company).count() == 3
    return {"tenant": tenant, "integration": integration, "documents": documents, "sandbox": sandbox}


@pytest.fixture
def shared_media(settings):
    """The live server stores uploads where the worker process reads them."""
    MEDIA.mkdir(parents=True, exist_ok=True)
    settings.MEDIA_ROOT = MEDIA
    return MEDIA


def login(page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base_url}/documents/**")
