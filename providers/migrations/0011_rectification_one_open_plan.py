from django.conf import settings
from django.db import migrations, models

DUPLICATE_NOTE = "重复提交：同一整改已有更新的待审阅计划，此份自动退回。"


def return_older_duplicates(apps, schema_editor):
    """Before the constraint: of several plans under review for one rectification (double
    submits stored before this check existed), the newest stays open and the rest are returned."""
    plan_model = apps.get_model("providers", "RectificationPlan")
    seen = set()
    for plan in plan_model.objects.filter(status="submitted").order_by("-submitted_at", "-id"):
        if plan.decision_id in seen:
            plan.status = "returned"
            plan.review_note = DUPLICATE_NOTE
            plan.save(update_fields=["status", "review_note"])
        seen.add(plan.decision_id)


class Migration(migrations.Migration):
    dependencies = [
        ("providers", "0010_provider_link_identifiers"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(return_older_duplicates, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="rectificationplan",
            constraint=models.UniqueConstraint(
                condition=models.Q(("status", "submitted")),
                fields=("decision",),
                name="rectification_one_open_plan",
            ),
        ),
    ]
