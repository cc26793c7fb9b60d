"""Payments only on approved documents, enforced by the database as well as the service (PostgreSQL)."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION roger_payment_requires_approved_document() RETURNS trigger AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM documents_document d WHERE d.id = NEW.document_id AND d.status IN ('approved', 'paid')) THEN
        RAISE EXCEPTION 'payments can only be registered on approved documents' USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS payment_requires_approved_document ON documents_payment;
CREATE TRIGGER payment_requires_approved_document BEFORE INSERT OR UPDATE ON documents_payment
    FOR EACH ROW EXECUTE FUNCTION roger_payment_requires_approved_document();
"""
DROP = """
DROP TRIGGER IF EXISTS payment_requires_approved_document ON documents_payment;
DROP FUNCTION IF EXISTS roger_payment_requires_approved_document();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("documents", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
