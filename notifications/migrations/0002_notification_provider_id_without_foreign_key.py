"""Notification.provider becomes a plain indexed provider_id: notifications no longer depends on
providers. The column (provider_id) and its values stay; only the foreign-key constraint goes."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("notifications", "0001_initial")]

    operations = [
        # Drops the constraint in the database; the column and its index stay as they are.
        migrations.AlterField(
            model_name="notification",
            name="provider",
            field=models.ForeignKey(
                blank=True,
                null=True,
                db_constraint=False,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="providers.provider",
                verbose_name="服务商",
            ),
        ),
        # The same column, now a plain id: a change of the model state only.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(model_name="notification", name="provider"),
                migrations.AddField(
                    model_name="notification",
                    name="provider_id",
                    field=models.BigIntegerField(
                        blank=True, db_index=True, null=True, verbose_name="服务商编号（内部）"
                    ),
                ),
            ],
            database_operations=[],
        ),
    ]
