"""Decision records are append-only, whatever the caller: the database refuses to rewrite one.

The one UPDATE allowed is Django's SET_NULL of decided_by when a user is deleted; the record keeps
decided_by_name, so who decided stays readable.
"""

from django.db import migrations

POSTGRES_UP = """
CREATE OR REPLACE FUNCTION providers_decisionrecord_append_only() RETURNS trigger AS $$
BEGIN
    IF (to_jsonb(NEW) - 'decided_by_id') IS DISTINCT FROM (to_jsonb(OLD) - 'decided_by_id') THEN
        RAISE EXCEPTION 'decision records are append-only (providers_decisionrecord id %)', OLD.id
            USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER providers_decisionrecord_append_only
    BEFORE UPDATE ON providers_decisionrecord
    FOR EACH ROW EXECUTE FUNCTION providers_decisionrecord_append_only();
"""
POSTGRES_DOWN = """
DROP TRIGGER IF EXISTS providers_decisionrecord_append_only ON providers_decisionrecord;
DROP FUNCTION IF EXISTS providers_decisionrecord_append_only();
"""
# SQLite (the first-run default) names the guarded columns: every one but decided_by_id.
SQLITE_COLUMNS = (
    "id, provider_id, application_id, action, from_status, to_status, decided_at, "
    "decided_by_name, run_id, month, reason, criteria_results, appeal_id, related_decision_id"
)
SQLITE_UP = f"""
CREATE TRIGGER providers_decisionrecord_append_only
BEFORE UPDATE OF {SQLITE_COLUMNS} ON providers_decisionrecord
BEGIN
    SELECT RAISE(ABORT, 'decision records are append-only');
END;
"""
SQLITE_DOWN = "DROP TRIGGER IF EXISTS providers_decisionrecord_append_only;"


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
    dependencies = [("providers", "0004_seed_criteria")]
    operations = [migrations.RunPython(install, uninstall)]
