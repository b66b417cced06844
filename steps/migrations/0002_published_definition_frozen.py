"""A published (or retired) STEPS definition never changes, whatever the caller: the database
refuses to add, change or remove a stage of one, or to change its version or stuck months.

Publishing and retiring (the status, published_at, published_by) stay allowed.
"""

from django.db import migrations

POSTGRES_UP = """
CREATE OR REPLACE FUNCTION steps_stage_frozen() RETURNS trigger AS $$
DECLARE
    definition_status text;
BEGIN
    IF TG_OP = 'DELETE' THEN
        SELECT status INTO definition_status FROM steps_stagedefinition WHERE id = OLD.definition_id;
    ELSE
        SELECT status INTO definition_status FROM steps_stagedefinition WHERE id = NEW.definition_id;
    END IF;
    IF TG_OP = 'UPDATE' AND OLD.definition_id <> NEW.definition_id THEN
        definition_status := 'moved';
    END IF;
    IF definition_status IS NOT NULL AND definition_status <> 'draft' THEN
        RAISE EXCEPTION 'stages of a published STEPS definition are frozen'
            USING ERRCODE = 'restrict_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER steps_stage_frozen
    BEFORE INSERT OR UPDATE OR DELETE ON steps_stage
    FOR EACH ROW EXECUTE FUNCTION steps_stage_frozen();

CREATE OR REPLACE FUNCTION steps_stagedefinition_frozen() RETURNS trigger AS $$
BEGIN
    IF OLD.status <> 'draft'
       AND (NEW.version, NEW.stuck_months) IS DISTINCT FROM (OLD.version, OLD.stuck_months) THEN
        RAISE EXCEPTION 'a published STEPS definition is frozen (id %)', OLD.id
            USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER steps_stagedefinition_frozen
    BEFORE UPDATE ON steps_stagedefinition
    FOR EACH ROW EXECUTE FUNCTION steps_stagedefinition_frozen();
"""
POSTGRES_DOWN = """
DROP TRIGGER IF EXISTS steps_stage_frozen ON steps_stage;
DROP FUNCTION IF EXISTS steps_stage_frozen();
DROP TRIGGER IF EXISTS steps_stagedefinition_frozen ON steps_stagedefinition;
DROP FUNCTION IF EXISTS steps_stagedefinition_frozen();
"""
SQLITE_UP = [
    """
CREATE TRIGGER steps_stage_frozen_insert BEFORE INSERT ON steps_stage
WHEN (SELECT status FROM steps_stagedefinition WHERE id = NEW.definition_id) <> 'draft'
BEGIN
    SELECT RAISE(ABORT, 'stages of a published STEPS definition are frozen');
END;
""",
    """
CREATE TRIGGER steps_stage_frozen_update BEFORE UPDATE ON steps_stage
WHEN (SELECT status FROM steps_stagedefinition WHERE id = OLD.definition_id) <> 'draft'
  OR NEW.definition_id <> OLD.definition_id
BEGIN
    SELECT RAISE(ABORT, 'stages of a published STEPS definition are frozen');
END;
""",
    """
CREATE TRIGGER steps_stage_frozen_delete BEFORE DELETE ON steps_stage
WHEN (SELECT status FROM steps_stagedefinition WHERE id = OLD.definition_id) <> 'draft'
BEGIN
    SELECT RAISE(ABORT, 'stages of a published STEPS definition are frozen');
END;
""",
    """
CREATE TRIGGER steps_stagedefinition_frozen BEFORE UPDATE ON steps_stagedefinition
WHEN OLD.status <> 'draft'
  AND (NEW.version <> OLD.version OR NEW.stuck_months <> OLD.stuck_months)
BEGIN
    SELECT RAISE(ABORT, 'a published STEPS definition is frozen');
END;
""",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS steps_stage_frozen_insert;",
    "DROP TRIGGER IF EXISTS steps_stage_frozen_update;",
    "DROP TRIGGER IF EXISTS steps_stage_frozen_delete;",
    "DROP TRIGGER IF EXISTS steps_stagedefinition_frozen;",
]


def install(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_UP, params=None)
    elif vendor == "sqlite":
        for statement in SQLITE_UP:
            schema_editor.execute(statement, params=None)


def uninstall(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_DOWN, params=None)
    elif vendor == "sqlite":
        for statement in SQLITE_DOWN:
            schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [("steps", "0001_initial")]
    operations = [migrations.RunPython(install, uninstall)]
