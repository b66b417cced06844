"""Version 2 of the admission and exit criteria of every provider type: what each business is
judged on, the served-GMV check against the platform's facts, and the ban criterion.

Each set is the type's published version copied (so whatever an admin published since stays),
plus the rows below; the copied version is retired, never edited. Thresholds and the reason for
each are in docs/lifecycle.md. Probation sets do not change.
"""

from django.db import migrations
from django.db.models import Max

FEN_PER_YUAN = 100
NOTE = "v2：按服务商类型设定的准入/准出标准；服务GMV与平台成交数据核对；核实的严重违规封禁。"

# Admission: the declared served GMV of the named merchants that the platform's GMV facts do
# not bear out may be at most this share of it.
GAP_ROW = (
    "served_gmv_unverified_share", "lte", "0.3", "hard", 1,
    "申报的服务GMV与平台成交数据相差不超过30%",
    "Declared served GMV at most 30% above what the platform's GMV data shows",
)

# (input, operator, threshold, level, weight, 中文, English)
ADMISSION = {
    "store_operation": [
        ("brands_served", "gte", "3", "hard", 1,
         "服务品牌不少于3个", "At least 3 brands served"),
        ("shipment_48h_rate", "gte", "0.9", "soft", 2,
         "48小时发货率不低于90%", "48-hour shipment rate of at least 90%"),
        ("refund_rate", "lte", "0.15", "soft", 1,
         "退款率不高于15%", "Refund rate of at most 15%"),
    ],
    "streamer_agency": [
        ("streamers_signed", "gte", "20", "hard", 1,
         "签约主播不少于20人", "At least 20 streamers signed"),
        ("streamers_incubated", "gte", "5", "hard", 1,
         "孵化主播不少于5人", "At least 5 streamers incubated"),
        ("incubated_streamer_gmv_fen", "gte", str(2_000_000 * FEN_PER_YUAN), "soft", 2,
         "孵化主播近12个月成交额不低于200万元",
         "Incubated streamers' GMV of at least ¥2,000,000 in 12 months"),
    ],
    "live_base": [
        ("studios", "gte", "10", "hard", 1,
         "直播间不少于10间", "At least 10 studios"),
        ("daily_live_hours", "gte", "8", "hard", 1,
         "日均直播时长不少于8小时", "At least 8 live hours a day"),
        ("merchants_hosted", "gte", "10", "soft", 2,
         "入驻商家不少于10个", "At least 10 merchants hosted"),
    ],
    "supply_chain": [
        ("active_skus", "gte", "200", "hard", 1,
         "动销商品不少于200个", "At least 200 active SKUs"),
        ("in_stock_rate", "gte", "0.85", "soft", 2,
         "现货率不低于85%", "In-stock rate of at least 85%"),
    ],
    "marketing": [
        ("ad_roi", "gte", "1.5", "hard", 1,
         "广告投放ROI不低于1.5", "Ad ROI of at least 1.5"),
        ("private_domain_gmv_share", "gte", "0.1", "soft", 1,
         "私域成交占比不低于10%", "Private-domain GMV share of at least 10%"),
    ],
    "training": [
        ("trainees", "gte", "100", "hard", 1,
         "近12个月培训学员不少于100人", "At least 100 trainees in 12 months"),
        ("trainee_store_gmv_fen", "gte", str(3_000_000 * FEN_PER_YUAN), "soft", 2,
         "学员店铺培训后12个月成交额不低于300万元",
         "Trainees' stores' GMV of at least ¥3,000,000 in the 12 months after training"),
    ],
}

# Exit rows of every type; program-wide ones remove the provider from the whole program.
BAN_ROW = (
    "banning_violation_dates", "none_within", "36", "ban", 1,
    "36个月内无经核实的欺诈消费者、数据造假、售假；一经核实即封禁，不得再次申请",
    "No confirmed fraud against buyers, data fraud or counterfeits in 36 months; "
    "one means a ban, and no new application",
)
PROGRAM_WIDE_INPUTS = {"serious_violation_dates", "violation_points_12m", "banning_violation_dates"}

EXIT = {
    "store_operation": [
        ("metric:shipment_48h_rate", "gte", "0.85", "warning", 1,
         "48小时发货率不低于85%；否则预警", "48-hour shipment rate of at least 85%; otherwise a warning"),
        ("metric:refund_rate", "lte", "0.25", "warning", 1,
         "退款率不高于25%；否则预警", "Refund rate of at most 25%; otherwise a warning"),
        ("metric:refund_rate", "lte", "0.4", "exit", 1,
         "退款率高于40%退出代运营类型", "A refund rate above 40% ends the store-operation type"),
        ("metric:brands_served", "gte", "1", "warning", 1,
         "当月至少服务1个品牌；否则预警", "At least one brand served in the month; otherwise a warning"),
    ],
    "streamer_agency": [
        ("metric:streamer_retention_rate", "gte", "0.4", "warning", 1,
         "主播留存率不低于40%；否则预警", "Streamer retention of at least 40%; otherwise a warning"),
        ("metric:violations_per_streamer", "lte", "0.2", "warning", 1,
         "人均违规次数不高于0.2；否则预警", "At most 0.2 violations per streamer; otherwise a warning"),
        ("metric:violations_per_streamer", "lte", "0.5", "exit", 1,
         "人均违规次数高于0.5退出主播机构类型",
         "More than 0.5 violations per streamer ends the streamer-agency type"),
    ],
    "live_base": [
        ("metric:studios", "gte", "5", "warning", 1,
         "在用直播间不少于5间；否则预警", "At least 5 studios in use; otherwise a warning"),
        ("metric:daily_live_hours", "gte", "4", "warning", 1,
         "日均直播时长不少于4小时；否则预警", "At least 4 live hours a day; otherwise a warning"),
        ("metric:merchants_hosted", "gte", "3", "warning", 1,
         "入驻商家不少于3个；否则预警", "At least 3 merchants hosted; otherwise a warning"),
    ],
    "supply_chain": [
        ("metric:in_stock_rate", "gte", "0.8", "warning", 1,
         "现货率不低于80%；否则预警", "In-stock rate of at least 80%; otherwise a warning"),
        ("metric:quality_return_rate", "lte", "0.05", "warning", 1,
         "品质退货率不高于5%；否则预警", "Quality return rate of at most 5%; otherwise a warning"),
        ("metric:quality_return_rate", "lte", "0.1", "exit", 1,
         "品质退货率高于10%退出供应链服务商类型",
         "A quality return rate above 10% ends the supply-chain type"),
        ("metric:trust_card_claims", "lte", "30", "warning", 1,
         "信任卡赔付不超过30次；否则预警", "At most 30 trust-card claims; otherwise a warning"),
    ],
    "marketing": [
        ("metric:ad_roi", "gte", "1", "warning", 1,
         "广告投放ROI不低于1；否则预警", "Ad ROI of at least 1; otherwise a warning"),
        ("metric:private_domain_gmv_share", "gte", "0.05", "warning", 1,
         "私域成交占比不低于5%；否则预警", "Private-domain GMV share of at least 5%; otherwise a warning"),
    ],
    "training": [
        ("metric:trainees", "gte", "10", "warning", 1,
         "当月培训学员不少于10人；否则预警", "At least 10 trainees in the month; otherwise a warning"),
        ("metric:trainee_store_gmv", "gte", "100000", "warning", 1,
         "学员店铺当月成交额不低于10万元；否则预警",
         "Trainees' stores' GMV of at least ¥100,000 in the month; otherwise a warning"),
    ],
}


def _rows(criteria_set):
    return [
        (c.input_name, c.operator, c.threshold, c.level, c.weight, c.sentence, c.sentence_en,
         c.program_wide)
        for c in criteria_set.criteria.order_by("position", "id")
    ]


def _version(apps, kind, provider_type, extra, now):
    CriteriaSet = apps.get_model("providers", "CriteriaSet")
    Criterion = apps.get_model("providers", "Criterion")
    published = CriteriaSet.objects.filter(
        kind=kind, provider_type=provider_type, status="published"
    ).first()
    if published is not None and published.note == NOTE:
        return  # already seeded (a re-run)
    rows = _rows(published) if published is not None else []
    rows = [
        (*row[:7], row[7] or (kind == "exit" and row[0] in PROGRAM_WIDE_INPUTS)) for row in rows
    ]
    taken = {(row[0], row[1], row[3]) for row in rows}
    for row in extra:
        if (row[0], row[1], row[3]) not in taken:
            rows.append((*row, kind == "exit" and row[0] in PROGRAM_WIDE_INPUTS))
    if not rows:
        return
    last = CriteriaSet.objects.filter(kind=kind, provider_type=provider_type).aggregate(
        last=Max("version")
    )["last"]
    if published is not None:
        CriteriaSet.objects.filter(pk=published.pk).update(status="retired")
    new = CriteriaSet.objects.create(
        kind=kind,
        provider_type=provider_type,
        version=(last or 0) + 1,
        status="published",
        note=NOTE,
        published_at=now,
    )
    Criterion.objects.bulk_create(
        Criterion(
            criteria_set=new,
            position=position,
            input_name=input_name,
            operator=operator,
            threshold=threshold,
            level=level,
            weight=weight,
            sentence=sentence,
            sentence_en=sentence_en,
            program_wide=program_wide,
        )
        for position, (
            input_name, operator, threshold, level, weight, sentence, sentence_en, program_wide
        ) in enumerate(rows, start=1)
    )


def seed(apps, schema_editor):
    from django.utils import timezone

    ProviderType = apps.get_model("providers", "ProviderType")
    ReviewTarget = apps.get_model("providers", "ReviewTarget")
    now = timezone.now()
    for provider_type in ProviderType.objects.order_by("id"):
        _version(apps, "admission", provider_type,
                 [*ADMISSION.get(provider_type.code, []), GAP_ROW], now)
        _version(apps, "exit", provider_type, [BAN_ROW, *EXIT.get(provider_type.code, [])], now)
    for kind in ("application", "appeal"):
        ReviewTarget.objects.get_or_create(kind=kind, defaults={"working_days": 5})


class Migration(migrations.Migration):
    dependencies = [("providers", "0012_types_criteria_ban_sla")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
