from django.db import migrations

# key, 中文, English, unit, capability, higher is better
METRICS = [
    ("live_hours", "直播时长", "live hours", "hours", "live_ops", True),
    ("gmv_per_live_hour", "每小时直播成交额", "GMV per live hour", "yuan", "live_ops", True),
    ("viewer_conversion_rate", "观看-购买转化率", "viewer-to-buyer conversion", "rate", "live_ops", True),
    ("streamers_incubated", "孵化主播数", "streamers incubated", "count", "streamer_incubation", True),
    ("incubated_streamer_gmv", "孵化主播成交额", "incubated streamers' GMV", "yuan", "streamer_incubation", True),
    ("streamer_retention_rate", "主播留存率", "streamer retention", "rate", "streamer_incubation", True),
    ("shipment_48h_rate", "48小时发货率", "48-hour shipment rate", "rate", "fulfillment", True),
    ("refund_rate", "退款率", "refund rate", "rate", "fulfillment", False),
    ("complaints_per_10k_orders", "万单投诉量", "complaints per 10k orders", "per_10k", "fulfillment", False),
    ("trust_card_claims", "信任卡赔付次数", "trust-card claims", "count", "fulfillment", False),
    ("active_skus", "动销商品数", "active SKUs", "count", "supply_chain", True),
    ("quality_return_rate", "品质退货率", "return rate for quality", "rate", "supply_chain", False),
    ("in_stock_rate", "现货率", "in-stock rate", "rate", "supply_chain", True),
    ("ad_roi", "广告投放ROI", "ad ROI", "ratio", "traffic_marketing", True),
    ("private_domain_gmv_share", "私域成交占比", "private-domain GMV share", "rate", "traffic_marketing", True),
    ("repurchase_rate", "复购率", "repurchase rate", "rate", "traffic_marketing", True),
]


def seed(apps, schema_editor):
    Metric = apps.get_model("scoring", "Metric")
    for key, name, name_en, unit, capability, higher in METRICS:
        Metric.objects.update_or_create(
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
    dependencies = [("scoring", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
