"""Attachment figures (issue #15): 1,000 documents with 100 KB files synced to an unlimited Xero sandbox, then a
re-sync with the files unchanged, which must send no file at all.

    python -m bench.files
"""

from __future__ import annotations

import io
import os
import shutil
import tempfile
import time

from django.test.utils import override_settings

from bench.engine import (
    Sandbox,
    _bulk_run_ids,
    _django_ready,
    _point_at,
    _scene,
    _setup_django,
    _stop,
    _worker,
    line,
)

FILE_BYTES = 100 * 1024


def _a_pdf(size: int) -> bytes:
    """A valid PDF of about ``size`` bytes (an incompressible embedded file makes the size)."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    writer.add_attachment("scan.bin", os.urandom(size - 1200))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _give_files(ids: list[int]) -> None:
    """Every document gets its own stored 100 KB PDF, as an upload would leave it (checksum, size, type)."""
    import hashlib

    from django.core.files.base import ContentFile

    from documents.models import Document

    content = _a_pdf(FILE_BYTES)
    digest = hashlib.sha256(content).hexdigest()
    for document in Document.objects.filter(pk__in=ids):
        document.file.save(f"{document.invoice_number}.pdf", ContentFile(content), save=False)
        document.file_name, document.file_size = f"{document.invoice_number}.pdf", len(content)
        document.file_sha256, document.file_content_type = digest, "application/pdf"
        document.save(update_fields=["file", "file_name", "file_size", "file_sha256", "file_content_type"])


def _uploaded_bytes(sandbox: Sandbox, tenant: str, since: int) -> tuple[int, int]:
    """Uploads and their bytes, from the sandbox's request log (what reached the ERP)."""
    uploads = [
        r
        for r in sandbox.requests()[since:]
        if "/Attachments/" in r["path"] and r["method"] in ("PUT", "POST") and r.get("tenant") == tenant
    ]
    sizes = [int({k.lower(): v for k, v in r.get("headers", {}).items()}.get("content-length", 0)) for r in uploads]
    return len(uploads), sum(sizes)


def main(argv: list[str]) -> None:
    wanted = set(argv) or {"files_1000_s"}
    if not wanted & {"files_1000_s", "files_1000_bytes", "files_resync_bytes"}:
        return
    media = tempfile.mkdtemp(prefix="roger-bench-media-")
    os.environ["ROGER_MEDIA_ROOT"] = media
    sandbox = Sandbox()
    try:
        if _django_ready():
            _point_at(sandbox.url)  # after the other figures: same database, a fresh company and tenant
        else:
            _setup_django(sandbox.url, ROGER_MEDIA_ROOT=media)
        with override_settings(MEDIA_ROOT=media):
            _measure(sandbox, media)
    finally:
        sandbox.stop()
        shutil.rmtree(media, ignore_errors=True)


def _measure(sandbox: Sandbox, media: str) -> None:
    sandbox.post(
        "/_sandbox/config",
        {"xero": {"minute_limit": 10**9, "day_limit": 10**9, "concurrent_limit": 10**6, "app_minute_limit": 10**9}},
    )
    membership, integration, ids = _scene(sandbox, 1000)
    _give_files(ids)
    tenant = integration.settings["tenant_id"]
    env = {"ROGER_RATE_LIMITS_OFF": "True", "ROGER_MEDIA_ROOT": media}
    worker = _worker(env)
    time.sleep(2.0)
    try:
        first_log = len(sandbox.requests())
        elapsed, outcomes, files = _bulk_run_ids(membership, ids, timeout=300)
        uploads, sent = _uploaded_bytes(sandbox, tenant, first_log)
        again_log = len(sandbox.requests())
        again_s, _, again_files = _bulk_run_ids(membership, ids, timeout=300)
        re_uploads, re_sent = _uploaded_bytes(sandbox, tenant, again_log)
    finally:
        _stop(worker)
    cmd = "python -m bench.files"
    line(
        "files_1000_s",
        round(elapsed, 2),
        "s",
        "—",
        cmd,
        uploads=uploads,
        file_bytes=FILE_BYTES,
        outcomes=outcomes,
        files=files,
    )
    line("files_1000_bytes", sent, "bytes", f"≈ {1000 * FILE_BYTES}", cmd)
    line(
        "files_resync_bytes", re_sent, "bytes", 0, cmd, uploads=re_uploads, seconds=round(again_s, 2), files=again_files
    )


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
