"""Each scoring model version keeps its own copy of its metrics' capability and direction.

Metric.capability and Metric.higher_is_better were read live from the catalogue, so editing the
catalogue changed how a published version scored. The rows now carry the values; this fills the
existing rows from the catalogue as it stands (the version-1 seed and any other version), and
0006 makes the columns required.
"""

from django.db import migrations, models

CAPABILITIES = [
    ("live_ops", "直播运营"),
    ("streamer_incubation", "主播孵化"),
    ("fulfillment", "服务履约"),
    ("supply_chain", "供应链"),
    ("traffic_marketing", "流量营销"),
]


def fill(apps, schema_editor):
    ScoringModelMetric = apps.get_model("scoring", "ScoringModelMetric")
    entries = list(
        ScoringModelMetric.objects.filter(capability__isnull=True).select_related("metric")
    )
    for entry in entries:
        entry.capability = entry.metric.capability
        entry.higher_is_better = entry.metric.higher_is_better
    ScoringModelMetric.objects.bulk_update(
        entries, ["capability", "higher_is_better"], batch_size=1_000
    )


class Migration(migrations.Migration):
    dependencies = [("scoring", "0004_seed_default_scoring_model")]

    operations = [
        migrations.AddField(
            model_name="scoringmodelmetric",
            name="capability",
            field=models.CharField(
                choices=CAPABILITIES,
                editable=False,
                max_length=30,
                null=True,
                verbose_name="所属能力（本版本）",
            ),
        ),
        migrations.AddField(
            model_name="scoringmodelmetric",
            name="higher_is_better",
            field=models.BooleanField(editable=False, null=True, verbose_name="越高越好（本版本）"),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
