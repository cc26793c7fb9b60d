"""Real PDFs of supplier bills and credit notes for the demo (and the tests), drawn with ReportLab.

Each shows what a supplier's document shows: the supplier, the number, the dates, the line and the totals.
"""

from __future__ import annotations

import io
from decimal import Decimal

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from documents.models import Document


def document_pdf(document: Document) -> bytes:
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, invariant=True)  # invariant: the same document gives the same bytes
    width, height = A4
    vendor = document.vendor
    title = "CREDIT NOTE" if document.is_credit_note else "INVOICE"
    canvas.setTitle(f"{vendor.name} {title.title()} {document.invoice_number}")
    canvas.setFont("Helvetica-Bold", 16)
    canvas.drawString(20 * mm, height - 25 * mm, vendor.name)
    canvas.setFont("Helvetica", 9)
    canvas.drawString(20 * mm, height - 31 * mm, f"Supplier no. {vendor.number}   VAT no. {vendor.tax_number or '—'}")
    canvas.setFont("Helvetica-Bold", 20)
    canvas.drawRightString(width - 20 * mm, height - 25 * mm, title)
    canvas.setFont("Helvetica", 10)
    rows = [
        ("Number", document.invoice_number),
        ("Issue date", document.issue_date.isoformat()),
        ("Due date", document.due_date.isoformat() if document.due_date else "—"),
        ("Currency", document.currency),
    ]
    if document.credits_id:
        rows.append(("Corrects invoice", document.credits.invoice_number))
    y = height - 45 * mm
    for label, value in rows:
        canvas.drawString(120 * mm, y, f"{label}:")
        canvas.drawRightString(width - 20 * mm, y, value)
        y -= 6 * mm
    y -= 10 * mm
    canvas.setFont("Helvetica-Bold", 10)
    canvas.drawString(20 * mm, y, "Description")
    canvas.drawRightString(width - 20 * mm, y, "Amount")
    canvas.line(20 * mm, y - 2 * mm, width - 20 * mm, y - 2 * mm)
    canvas.setFont("Helvetica", 10)
    y -= 8 * mm
    canvas.drawString(20 * mm, y, (document.description or "Goods and services")[:80])
    canvas.drawRightString(width - 20 * mm, y, _money(document.total - document.vat))
    y -= 14 * mm
    for label, amount in (("Net", document.total - document.vat), ("VAT", document.vat), ("Total", document.total)):
        canvas.setFont("Helvetica-Bold" if label == "Total" else "Helvetica", 10)
        canvas.drawString(120 * mm, y, label)
        canvas.drawRightString(width - 20 * mm, y, f"{_money(amount)} {document.currency}")
        y -= 6 * mm
    canvas.setFont("Helvetica", 8)
    canvas.drawString(20 * mm, 20 * mm, "Payment to account 1234 5678901 · please quote the invoice number")
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _money(amount: Decimal) -> str:
    return f"{amount:,.2f}"
