"""STEPS v1: the five steps in the launch report's order, with monthly thresholds (docs/steps.md).

Amounts are fen: ¥5万 = 5,000,000. Entry criteria must all hold; once in a stage, any regression
criterion that holds takes the merchant out (the gap between the two is the hysteresis).
"""

from django.db import migrations
from django.utils import timezone


def c(input_name, operator, threshold):
    return {"input": input_name, "operator": operator, "threshold": str(threshold)}


STAGES = [
    {
        "position": 1,
        "code": "streamer_distribution",
        "letter": "S",
        "name": "达人分销",
        "name_en": "Streamer distribution",
        "entry_criteria": [
            c("streamer_distribution_fen", "gte", 5_000_000),
            c("distributing_streamers", "gte", 3),
        ],
        "regression_criteria": [
            c("streamer_distribution_fen", "lt", 2_000_000),
            c("distributing_streamers", "lt", 1),
        ],
        "guidance": "与达人分销合作，找到品牌和商品在平台上的爆发系数：每月至少 3 位达人分销、分销成交 ¥5万。",
        "guidance_en": "Sell through streamers to find the brand's breakout factor: at least 3 "
        "distributing streamers and ¥50,000 of distribution GMV a month.",
    },
    {
        "position": 2,
        "code": "public_traffic",
        "letter": "P",
        "name": "公域流量",
        "name_en": "Public-domain traffic",
        "entry_criteria": [c("public_traffic_fen", "gte", 10_000_000)],
        "regression_criteria": [c("public_traffic_fen", "lt", 4_000_000)],
        "guidance": "借助公域流量的运营和加持完成新店爬坡：公域成交每月 ¥10万以上。",
        "guidance_en": "Use public-domain traffic to ramp up the new store: ¥100,000 of "
        "public-traffic GMV a month.",
    },
    {
        "position": 3,
        "code": "self_broadcast",
        "letter": "T",
        "name": "品牌自播",
        "name_en": "Brand self-broadcast",
        "entry_criteria": [
            c("self_broadcast_hours", "gte", 60),
            c("self_broadcast_fen", "gte", 20_000_000),
        ],
        "regression_criteria": [
            c("self_broadcast_hours", "lt", 30),
            c("self_broadcast_fen", "lt", 8_000_000),
        ],
        "guidance": "基于品牌人设做品牌自播：每月自播 60 小时以上、自播成交 ¥20万以上。",
        "guidance_en": "Build the brand's own live streams on its persona: 60 hours and "
        "¥200,000 of self-broadcast GMV a month.",
    },
    {
        "position": 4,
        "code": "private_repurchase",
        "letter": "E",
        "name": "私域复购",
        "name_en": "Private-domain repurchase",
        "entry_criteria": [
            c("repurchase_rate", "gte", "0.25"),
            c("private_repurchase_fen", "gte", 15_000_000),
        ],
        "regression_criteria": [
            c("repurchase_rate", "lt", "0.15"),
            c("private_repurchase_fen", "lt", 5_000_000),
        ],
        "guidance": "在短视频和直播场景下经营粉丝复购：复购率 25% 以上、私域复购成交 ¥15万以上。",
        "guidance_en": "Grow repurchase from the brand's own followers in short videos and live "
        "streams: a 25% repurchase rate and ¥150,000 of repurchase GMV a month.",
    },
    {
        "position": 5,
        "code": "channel_exclusive",
        "letter": "S",
        "name": "渠道特供品",
        "name_en": "Channel-exclusive products",
        "entry_criteria": [
            c("exclusive_skus", "gte", 3),
            c("channel_exclusive_fen", "gte", 10_000_000),
        ],
        "regression_criteria": [
            c("exclusive_skus", "lt", 1),
            c("channel_exclusive_fen", "lt", 3_000_000),
        ],
        "guidance": "开发渠道特供品，满足不同渠道的需求：至少 3 个特供品、特供品成交 ¥10万以上。",
        "guidance_en": "Develop channel-exclusive products for each channel's needs: at least 3 "
        "exclusive SKUs and ¥100,000 of exclusive-product GMV a month.",
    },
]


def seed(apps, schema_editor):
    """Idempotent: tests/reference_data.py calls it again after a transactional test."""
    definition_model = apps.get_model("steps", "StageDefinition")
    stage_model = apps.get_model("steps", "Stage")
    if definition_model.objects.filter(version=1).exists():
        return
    definition = definition_model.objects.create(
        version=1,
        stuck_months=6,
        note="STEPS v1：按快手电商 STEPS 方法论的五步顺序，阈值为月度口径。",
    )
    for stage in STAGES:
        stage_model.objects.create(definition=definition, **stage)
    definition.status = "published"
    definition.published_at = timezone.now()
    definition.save(update_fields=["status", "published_at"])


class Migration(migrations.Migration):
    dependencies = [("steps", "0002_published_definition_frozen")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
