"""The copied capability and direction are required from now on (0005 filled every row)."""

from django.db import migrations, models


CAPABILITIES = [
    ("live_ops", "直播运营"),
    ("streamer_incubation", "主播孵化"),
    ("fulfillment", "服务履约"),
    ("supply_chain", "供应链"),
    ("traffic_marketing", "流量营销"),
]


class Migration(migrations.Migration):
    dependencies = [("scoring", "0005_scoring_model_metric_frozen_catalogue")]

    operations = [
        migrations.AlterModelOptions(
            name="scoringmodelmetric",
            options={
                "ordering": ["scoring_model", "capability", "metric_id"],
                "verbose_name": "评分指标",
                "verbose_name_plural": "评分指标",
            },
        ),
        migrations.AlterField(
            model_name="scoringmodelmetric",
            name="capability",
            field=models.CharField(
                choices=CAPABILITIES,
                editable=False,
                max_length=30,
                verbose_name="所属能力（本版本）",
            ),
        ),
        migrations.AlterField(
            model_name="scoringmodelmetric",
            name="higher_is_better",
            field=models.BooleanField(editable=False, verbose_name="越高越好（本版本）"),
        ),
    ]
