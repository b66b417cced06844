"""Seeds version 1 of the admission, exit and probation criteria for every provider type.

Defaults drawn from real programs: admission asks for a company registered ≥ 1 year, registered
capital ≥ ¥100万, a team of ≥ 10, served GMV over the last 12 months (type-dependent), no serious
violation in 12 months and complete documents; exit removes at once for a serious violation or
12 penalty points in a rolling 12 months, and warns for a weak score two quarters running, three
months without GMV or a high complaint rate.
"""

from django.db import migrations

FEN_PER_YUAN = 100

# Served GMV over the last 12 months an applicant of each type must show, in yuan.
SERVED_GMV_YUAN = {
    "store_operation": 10_000_000,
    "streamer_agency": 10_000_000,
    "live_base": 10_000_000,
    "supply_chain": 20_000_000,
    "marketing": 5_000_000,
    "training": 1_000_000,
}
DEFAULT_SERVED_GMV_YUAN = 10_000_000


def _wan(yuan):
    return f"{yuan // 10_000:,}万"


def admission(type_code):
    gmv = SERVED_GMV_YUAN.get(type_code, DEFAULT_SERVED_GMV_YUAN)
    return [
        ("company_age_months", "gte", "12", "hard", 1,
         "企业注册满1年", "Company registered for at least one year"),
        ("registered_capital_fen", "gte", str(1_000_000 * FEN_PER_YUAN), "hard", 1,
         "注册资本不低于100万元", "Registered capital of at least ¥1,000,000"),
        ("team_size", "gte", "10", "soft", 1,
         "团队不少于10人", "A team of at least 10 people"),
        ("served_gmv_12m_fen", "gte", str(gmv * FEN_PER_YUAN), "hard", 1,
         f"近12个月服务GMV不低于{_wan(gmv)}元", f"Served GMV of at least ¥{gmv:,} in the last 12 months"),
        ("serious_violation_dates", "none_within", "12", "hard", 1,
         "近12个月无严重违规", "No serious violation in the last 12 months"),
        ("documents_complete", "eq", "true", "hard", 1,
         "营业执照与资质证明齐全", "Business licence and qualification papers complete"),
    ]


EXIT = [
    ("serious_violation_dates", "none_within", "12", "exit", 1,
     "12个月内无严重违规（售假、欺诈消费者等）；一经发现立即清退",
     "No serious violation (counterfeits, fraud against buyers) in 12 months; one means exit at once"),
    ("violation_points_12m", "lt", "12", "exit", 1,
     "近12个月违规扣分低于12分；满12分清退",
     "Fewer than 12 penalty points in a rolling 12 months; 12 points mean exit"),
    ("overall_score_last_two_quarters_max", "gte", "60", "warning", 1,
     "综合评分不得连续两个季度低于60分；否则预警，再不达标进入整改（30天），仍不达标清退",
     "Overall score not below 60 for two quarters running; otherwise a warning, then rectification (30 days), then exit"),
    ("months_without_gmv", "lt", "3", "warning", 1,
     "不得连续3个月无成交；否则预警", "No three months running without GMV; otherwise a warning"),
    ("complaints_per_10k_orders", "lte", "25", "warning", 1,
     "万单投诉量不高于25；否则预警", "At most 25 complaints per 10,000 orders; otherwise a warning"),
]

PROBATION = [
    ("serious_violation_dates", "none_within", "3", "hard", 1,
     "考察期内无严重违规", "No serious violation during probation"),
    ("violation_points_12m", "lt", "6", "hard", 1,
     "近12个月违规扣分低于6分", "Fewer than 6 penalty points in the last 12 months"),
    ("months_without_gmv", "eq", "0", "hard", 1,
     "考察期最后一个月有成交", "GMV in the last month of probation"),
]

NOTE = "初始版本：依据造风者计划及同类平台服务商项目的通行标准设定。"


def seed(apps, schema_editor):
    ProviderType = apps.get_model("providers", "ProviderType")
    CriteriaSet = apps.get_model("providers", "CriteriaSet")
    Criterion = apps.get_model("providers", "Criterion")
    from django.utils import timezone

    now = timezone.now()
    for provider_type in ProviderType.objects.all():
        for kind, rows in (
            ("admission", admission(provider_type.code)),
            ("exit", EXIT),
            ("probation", PROBATION),
        ):
            if CriteriaSet.objects.filter(kind=kind, provider_type=provider_type).exists():
                continue
            criteria_set = CriteriaSet.objects.create(
                kind=kind,
                provider_type=provider_type,
                version=1,
                status="published",
                note=NOTE,
                published_at=now,
            )
            Criterion.objects.bulk_create(
                Criterion(
                    criteria_set=criteria_set,
                    position=position,
                    input_name=input_name,
                    operator=operator,
                    threshold=threshold,
                    level=level,
                    weight=weight,
                    sentence=sentence,
                    sentence_en=sentence_en,
                )
                for position, (input_name, operator, threshold, level, weight, sentence, sentence_en)
                in enumerate(rows, start=1)
            )


class Migration(migrations.Migration):
    dependencies = [("providers", "0003_lifecycle")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
