"""Metrics the per-type exit criteria read (docs/lifecycle.md): added to the catalogue only.

They are not added to a scoring model: each belongs to one provider type, and the model scores a
metric without a value as 0, so scoring them would lower every other type's capability scores.
"""

from django.db import migrations

# key, 中文, English, unit, capability, higher is better
METRICS = [
    ("brands_served", "服务品牌数", "brands served", "count", "live_ops", True),
    ("streamers_signed", "签约主播数", "streamers signed", "count", "streamer_incubation", True),
    ("violations_per_streamer", "人均违规次数", "violations per streamer", "ratio",
     "streamer_incubation", False),
    ("studios", "在用直播间数", "studios in use", "count", "live_ops", True),
    ("daily_live_hours", "日均直播时长", "daily live hours", "hours", "live_ops", True),
    ("merchants_hosted", "入驻商家数", "merchants hosted", "count", "live_ops", True),
    ("trainees", "培训学员数", "trainees", "count", "streamer_incubation", True),
    ("trainee_store_gmv", "学员店铺成交额", "trainees' stores' GMV", "yuan",
     "streamer_incubation", True),
]


def seed(apps, schema_editor):
    Metric = apps.get_model("scoring", "Metric")
    for key, name, name_en, unit, capability, higher in METRICS:
        Metric.objects.get_or_create(
            key=key,
            defaults={
                "name": name,
                "name_en": name_en,
                "unit": unit,
                "capability": capability,
                "higher_is_better": higher,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("scoring", "0010_import_status_failed")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
