"""The integration log is append-only at the database level too (DESIGN §11): on PostgreSQL a trigger refuses
every UPDATE and DELETE of a SyncAttempt row, whoever sends it (ORM, raw SQL, psql)."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION roger_refuse_sync_attempt_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'integration log records (integrations_syncattempt) are append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS sync_attempt_append_only ON integrations_syncattempt;
CREATE TRIGGER sync_attempt_append_only BEFORE UPDATE OR DELETE ON integrations_syncattempt
    FOR EACH ROW EXECUTE FUNCTION roger_refuse_sync_attempt_change();
"""
DROP = """
DROP TRIGGER IF EXISTS sync_attempt_append_only ON integrations_syncattempt;
DROP FUNCTION IF EXISTS roger_refuse_sync_attempt_change();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("integrations", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
