"""The change history of scoring-model metrics records the copied capability and direction too.

The history table (0005_change_history) and the frozen copies (0005/0006) came from parallel work;
history rows written before this migration get an empty capability and "higher is better".
"""

from django.db import migrations, models

CAPABILITIES = [
    ("live_ops", "直播运营"),
    ("streamer_incubation", "主播孵化"),
    ("fulfillment", "服务履约"),
    ("supply_chain", "供应链"),
    ("traffic_marketing", "流量营销"),
]


class Migration(migrations.Migration):
    dependencies = [("scoring", "0007_merge_history_and_frozen_metrics")]

    operations = [
        migrations.AddField(
            model_name="historicalscoringmodelmetric",
            name="capability",
            field=models.CharField(
                choices=CAPABILITIES,
                default="",
                editable=False,
                max_length=30,
                verbose_name="所属能力（本版本）",
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="historicalscoringmodelmetric",
            name="higher_is_better",
            field=models.BooleanField(default=True, editable=False, verbose_name="越高越好（本版本）"),
            preserve_default=False,
        ),
    ]
