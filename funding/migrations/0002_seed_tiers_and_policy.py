from decimal import Decimal

from django.db import migrations

# (code, name, name_en, rank, threshold_fen, min_overall_score, target_count, needs_confirmation)
TIERS = [
    ("tier_1b", "十亿级服务商", "¥1B provider", 1, 100_000_000_000, "70.00", 100, True),
    ("tier_100m", "亿级服务商", "¥100M provider", 2, 10_000_000_000, "65.00", 200, True),
    ("tier_50m", "五千万级成长服务商", "¥50M growth provider", 3, 5_000_000_000, "60.00", None, False),
    ("tier_10m", "千万级成长服务商", "¥10M growth provider", 4, 1_000_000_000, "60.00", None, False),
]
# Base grant per provider in each tier: (fund in fen, impressions).
BASE_GRANTS = {
    "tier_1b": (20_000_000, 20_000_000),
    "tier_100m": (5_000_000, 5_000_000),
    "tier_50m": (2_000_000, 2_000_000),
    "tier_10m": (500_000, 500_000),
}


def seed(apps, schema_editor):
    Tier = apps.get_model("funding", "Tier")
    AllocationPolicy = apps.get_model("funding", "AllocationPolicy")
    TierPolicy = apps.get_model("funding", "TierPolicy")
    tiers = {}
    for code, name, name_en, rank, threshold, score, target, confirm in TIERS:
        tiers[code], _created = Tier.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "name_en": name_en,
                "rank": rank,
                "threshold_fen": threshold,
                "min_overall_score": Decimal(score),
                "target_count": target,
                "demotion_needs_confirmation": confirm,
            },
        )
    if AllocationPolicy.objects.exists():
        return
    policy = AllocationPolicy.objects.create(
        name="默认分配策略",
        is_current=True,
        weighting="score",
        cap_share=Decimal("0.050000"),
        new_entrant_share=Decimal("0.100000"),
        new_entrant_periods=2,
        notes="每层基础额度 + 按综合评分加权分配层级剩余预算；单个服务商不超过资源池的 5%；"
        "预留 10% 给入驻前两期的新服务商。",
    )
    for code, (fund_fen, impressions) in BASE_GRANTS.items():
        TierPolicy.objects.create(
            policy=policy, tier=tiers[code], base_fund_fen=fund_fen, base_impressions=impressions
        )


class Migration(migrations.Migration):
    dependencies = [("funding", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
