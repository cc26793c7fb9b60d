"""Search without diacritics (R18): PostgreSQL's unaccent and pg_trgm extensions, an immutable ``roger_fold``
(lower case, unaccented; ``unaccent`` itself is only stable, so it cannot be indexed), and trigram indexes on the
folded invoice number, description and vendor name, so "contains" stays an index lookup at any size.  SQLite has
none of this: ``documents.search`` registers ``roger_fold`` in Python there."""

from django.contrib.postgres.operations import TrigramExtension, UnaccentExtension
from django.db import migrations, models

FOLD = """
CREATE OR REPLACE FUNCTION roger_fold(text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
AS $$ SELECT lower(public.unaccent('public.unaccent'::regdictionary, $1)) $$
"""
INDEXES = [
    ("document_number_fold_trgm", "documents_document", "invoice_number"),
    ("document_description_fold_trgm", "documents_document", "description"),
    ("vendor_name_fold_trgm", "documents_vendor", "name"),
]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FOLD)
    for name, table, column in INDEXES:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin (roger_fold({column}) gin_trgm_ops)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _, _ in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")
    schema_editor.execute("DROP FUNCTION IF EXISTS roger_fold(text)")


class Migration(migrations.Migration):

    dependencies = [
        ('documents', '0003_payment_bank_amount'),
    ]

    operations = [
        UnaccentExtension(),
        TrigramExtension(),
        migrations.RunPython(create, drop),
        migrations.AddIndex(
            model_name='document',
            index=models.Index(fields=['company', 'total'], name='document_company_total_idx'),
        ),
    ]
