"""UI figures of DESIGN §10: server time of the document list over 10,000 documents and of the Integrations tab
over 1,000 log records — the median of 50 requests through Django's test client on PostgreSQL, with the number
of queries one request makes.

    python -m bench.ui [figure ...]     # all figures, or the named ones; one JSON line each

Run after ``bench.engine`` (``python -m bench``) it reuses that database; alone it creates its own
(``BENCH_UI_DATABASE_URL``, default ``postgres://postgres@127.0.0.1:5432/roger_bench_ui``, dropped and re-created).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from decimal import Decimal

UI_DB_URL = os.environ.get("BENCH_UI_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/roger_bench_ui")
REQUESTS = 50
TARGET_MS = 100


def _setup_django() -> None:
    """Use the Django already set up by ``bench.engine``; otherwise a fresh database of our own."""
    from django.apps import apps

    if apps.ready:
        return
    name = UI_DB_URL.rsplit("/", 1)[1]
    os.environ.update(DATABASE_URL=UI_DB_URL, DJANGO_SETTINGS_MODULE="roger.settings", LOG_LEVEL="WARNING")
    psql = ["psql", "-h", "127.0.0.1", "-U", "postgres", "-q", "-c"]
    subprocess.run([*psql, f"DROP DATABASE IF EXISTS {name}"], check=False, capture_output=True)
    subprocess.run([*psql, f"CREATE DATABASE {name}"], check=True, capture_output=True)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _scene(slug: str, documents: int):
    """A company with an accountant, two integrations, master data and ``documents`` documents (bulk insert)."""
    from django.contrib.auth import get_user_model

    from documents.models import Category, Department, Document, VatCode, Vendor
    from integrations.models import ErpEntry, Integration
    from roger.models import Company, Membership

    company = Company.objects.create(name=f"Bench {slug}", slug=f"bench-ui-{slug}-{time.time_ns()}")
    user = get_user_model().objects.create_user(username=f"bench-{company.slug}", password="x")
    Membership.objects.create(user=user, company=company, role="accountant")
    vendors = Vendor.objects.bulk_create(
        [Vendor(company=company, number=f"V{i}", name=f"Vendor {i:03d} A/S") for i in range(200)]
    )
    category = Category.objects.create(company=company, name="General", account_code="429")
    vat = VatCode.objects.create(company=company, code="I25", name="Input VAT 25%", rate=Decimal("25"))
    department = Department.objects.create(company=company, name="Sales")
    xero = Integration.objects.create(company=company, kind="xero", name="Xero", connection="connected")
    Integration.objects.create(company=company, kind="economic", name="e-conomic", connection="connected")
    today = dt.date(2026, 10, 1)
    docs = Document.objects.bulk_create(
        [
            Document(
                company=company,
                vendor=vendors[i % len(vendors)],
                category=category,
                vat_code=vat,
                department=department,
                invoice_number=f"INV-{i:06d}",
                issue_date=today - dt.timedelta(days=i % 700),
                due_date=today + dt.timedelta(days=30),
                currency="DKK",
                total=Decimal("1000.00") + i,
                vat=Decimal("200.00"),
                status="paid" if i % 2 else "approved",
                paid_on=today if i % 2 else None,
            )
            for i in range(documents)
        ],
        batch_size=2000,
    )
    # Half the documents are in the ERP, a few need attention: the badges and counts have real work to do.
    ErpEntry.objects.bulk_create(
        [
            ErpEntry(
                document=d,
                integration=xero,
                kind="bill",
                erp_id=f"x-{d.pk}",
                erp_number=d.invoice_number,
                state="failed" if n % 50 == 0 else "synced",
                needs_attention=n % 50 == 0,
                error_category="setup" if n % 50 == 0 else "",
                error_message="Account 4010 is not mapped in Xero" if n % 50 == 0 else "",
            )
            for n, d in enumerate(docs[: documents // 2])
        ],
        batch_size=2000,
    )
    from django.db import connection

    with connection.cursor() as cursor:
        # Production's tables have planner statistics (autovacuum); a freshly bulk-loaded one has none yet, and
        # the planner would then guess 10 rows and sort all 10,000 instead of walking the (company, date) index.
        cursor.execute("ANALYZE")
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client, docs, xero


def _measure(name: str, client, url: str, command: str) -> dict:
    from django.db import connection

    for _ in range(3):  # warm up: templates compiled, connections open, plans cached
        assert client.get(url).status_code == 200
    # Counted with an execute wrapper: request_started resets connection.queries mid-request.
    queries: list[str] = []

    def count(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        assert client.get(url).status_code == 200
    times = []
    for _ in range(REQUESTS):
        start = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200
    return {
        "name": name,
        "value": round(statistics.median(times), 1),
        "unit": "ms",
        "target": TARGET_MS,
        "command": command,
        "queries": len(queries),
    }


def list_10000_median_ms() -> dict:
    """The document list (full page, first page of 50, with badges and tab counts) over 10,000 documents."""
    client, _, _ = _scene("list", 10_000)
    return _measure("list_10000_median_ms", client, "/documents/", "python -m bench.ui list_10000_median_ms")


def list_search_10000_median_ms() -> dict:
    """The document list searched (a vendor name without its diacritics, which also reads as no amount) over
    10,000 documents: the trigram indexes on the folded columns and the (company, total) index at work."""
    client, _, _ = _scene("search", 10_000)
    url = "/documents/?q=vendor+042"
    return _measure("list_search_10000_median_ms", client, url, "python -m bench.ui list_search_10000_median_ms")


def tab_1000_median_ms() -> dict:
    """The Integrations tab (htmx panel: entries + the newest page of the log) over 1,000 log records."""
    from integrations.models import SyncAttempt

    client, docs, xero = _scene("tab", 10)
    document = docs[1]
    SyncAttempt.objects.bulk_create(
        [
            SyncAttempt(
                company=document.company,
                document=document,
                integration=xero,
                entry_kind="bill" if i % 2 else "payment",
                trigger="event",
                event="updated",
                action="update",
                outcome="success" if i % 5 else "failed",
                duration_ms=120 + i % 300,
                request_data={"InvoiceNumber": document.invoice_number, "Total": f"{1000 + i}.00", "LineItems": [{}]},
                changes={"total": [f"{999 + i}.00", f"{1000 + i}.00"]},
                erp_message="" if i % 5 else "A validation exception occurred: Account code '4010' is not valid",
                hint="" if i % 5 else "Map the category to an active account",
            )
            for i in range(1000)
        ]
    )
    url = f"/integrations/documents/{document.pk}/?integration={xero.pk}"
    client.defaults["HTTP_HX_REQUEST"] = "true"
    return _measure("tab_1000_median_ms", client, url, "python -m bench.ui tab_1000_median_ms")


FIGURES: dict[str, Callable[[], dict]] = {
    f.__name__: f for f in (list_10000_median_ms, list_search_10000_median_ms, tab_1000_median_ms)
}


def main(argv: list[str]) -> None:
    wanted = [a for a in argv if a in FIGURES] or ([] if argv else list(FIGURES))
    if not wanted:
        return  # the arguments named engine figures only
    _setup_django()
    for name in wanted:
        print(json.dumps(FIGURES[name]()), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
