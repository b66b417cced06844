"""Decision records cannot be deleted either: the database refuses DELETE as it refuses UPDATE.

A provider, application or appeal with decision records can therefore not be deleted (the
cascade would delete the records); a violation is revoked through an appeal, a provider leaves
the program by a transition. demo.services.demo_clear empties a development database without
row deletes.
"""

from django.db import migrations

MESSAGE = "decision records are append-only"

POSTGRES_UP = f"""
CREATE OR REPLACE FUNCTION providers_decisionrecord_no_delete() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '{MESSAGE} (providers_decisionrecord id %)', OLD.id
        USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER providers_decisionrecord_no_delete
    BEFORE DELETE ON providers_decisionrecord
    FOR EACH ROW EXECUTE FUNCTION providers_decisionrecord_no_delete();
"""
POSTGRES_DOWN = """
DROP TRIGGER IF EXISTS providers_decisionrecord_no_delete ON providers_decisionrecord;
DROP FUNCTION IF EXISTS providers_decisionrecord_no_delete();
"""
SQLITE_UP = f"""
CREATE TRIGGER providers_decisionrecord_no_delete
BEFORE DELETE ON providers_decisionrecord
BEGIN
    SELECT RAISE(ABORT, '{MESSAGE}');
END;
"""
SQLITE_DOWN = "DROP TRIGGER IF EXISTS providers_decisionrecord_no_delete;"


def install(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_UP, params=None)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_UP, params=None)


def uninstall(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_DOWN, params=None)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_DOWN, params=None)


class Migration(migrations.Migration):
    dependencies = [("providers", "0005_decision_record_append_only")]
    operations = [migrations.RunPython(install, uninstall)]
