"""Tier changes are append-only in the database too: UPDATE and DELETE on their rows are refused
(as funding/0003 does for the ledger). The model already refuses save-as-update and delete; this
holds whatever the caller, including queryset updates, deletes and cascades."""

from django.db import migrations

TABLE = "funding_tierchange"
MESSAGE = "funding_tierchange is append-only"

POSTGRES_FORWARD = f"""
CREATE OR REPLACE FUNCTION funding_tierchange_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER funding_tierchange_append_only
    BEFORE UPDATE OR DELETE ON {TABLE}
    FOR EACH ROW EXECUTE FUNCTION funding_tierchange_refuse_change();
"""
POSTGRES_BACKWARD = f"""
DROP TRIGGER IF EXISTS funding_tierchange_append_only ON {TABLE};
DROP FUNCTION IF EXISTS funding_tierchange_refuse_change();
"""
SQLITE_FORWARD = [
    f"CREATE TRIGGER funding_tierchange_no_update BEFORE UPDATE ON {TABLE} "
    f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;",
    f"CREATE TRIGGER funding_tierchange_no_delete BEFORE DELETE ON {TABLE} "
    f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS funding_tierchange_no_update;",
    "DROP TRIGGER IF EXISTS funding_tierchange_no_delete;",
]


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_FORWARD)
    elif vendor == "sqlite":
        for statement in SQLITE_FORWARD:
            schema_editor.execute(statement)


def backward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_BACKWARD)
    elif vendor == "sqlite":
        for statement in SQLITE_BACKWARD:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("funding", "0004_proposal_one_approved_per_period")]
    operations = [migrations.RunPython(forward, backward)]
