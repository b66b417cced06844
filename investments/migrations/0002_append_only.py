"""Decision records, votes, rounds, cash flows and marks are append-only in the database too:
UPDATE and DELETE on their rows are refused, whoever the caller (the ledger's pattern)."""

from django.db import migrations

TABLES = (
    "investments_dealdecision",
    "investments_committeevote",
    "investments_financinground",
    "investments_cashflow",
    "investments_valuationmark",
)
FUNCTION = "investments_refuse_change"


def _postgres_forward() -> str:
    statements = [
        f"""
CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;"""
    ]
    for table in TABLES:
        statements.append(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {FUNCTION}();"
        )
    return "\n".join(statements)


def _postgres_backward() -> str:
    statements = [f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};" for table in TABLES]
    statements.append(f"DROP FUNCTION IF EXISTS {FUNCTION}();")
    return "\n".join(statements)


def _sqlite_forward() -> list[str]:
    statements = []
    for table in TABLES:
        for event in ("UPDATE", "DELETE"):
            statements.append(
                f"CREATE TRIGGER {table}_no_{event.lower()} BEFORE {event} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END;"
            )
    return statements


def _sqlite_backward() -> list[str]:
    return [
        f"DROP TRIGGER IF EXISTS {table}_no_{event};"
        for table in TABLES
        for event in ("update", "delete")
    ]


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(_postgres_forward(), params=None)
    elif vendor == "sqlite":
        for statement in _sqlite_forward():
            schema_editor.execute(statement, params=None)


def backward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(_postgres_backward(), params=None)
    elif vendor == "sqlite":
        for statement in _sqlite_backward():
            schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [("investments", "0001_initial")]
    operations = [migrations.RunPython(forward, backward)]
