"""Score pages are filled to half on PostgreSQL, so that scoring a month again updates each score
in place on its own page (a heap-only update: none of the table's five indexes is written).

A month's scores are rewritten whenever it is scored again (a run re-done after late data, staff
re-scoring a selection); with full pages every such update moved the row to a new page and wrote
an entry in each index. The cost is room: pages written from now on hold half as many scores.
"""

from django.db import migrations

TABLE = "scoring_score"
FILL_PERCENT = 50


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE {TABLE} SET (fillfactor = {FILL_PERCENT})")


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE {TABLE} RESET (fillfactor)")


class Migration(migrations.Migration):
    dependencies = [("scoring", "0014_score_provider_index_in_unique")]

    operations = [migrations.RunPython(forward, backward)]
