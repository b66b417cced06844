"""The portal's pure page helpers: next tier, countdowns, value display, what to do next."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from funding.models import Tier
from portal.display import countdown, metric_value_text, signed_text
from portal.selectors import CriteriaRow, Situation, next_steps, tier_progress
from providers.models import LifecycleStatus, RectificationPlanStatus
from scoring.rules import RiseStep

SHANGHAI = ZoneInfo("Asia/Shanghai")
YI = 100_000_000 * 100

TIERS = [
    Tier(code="tier_1b", name="十亿级服务商", rank=1, threshold_fen=10 * YI, min_overall_score=70),
    Tier(code="tier_100m", name="亿级服务商", rank=2, threshold_fen=YI, min_overall_score=65),
    Tier(code="tier_50m", name="五千万级", rank=3, threshold_fen=YI // 2, min_overall_score=60),
    Tier(code="tier_10m", name="千万级", rank=4, threshold_fen=YI // 10, min_overall_score=60),
]


def test_next_tier_is_the_nearest_above_whose_threshold_is_not_reached():
    progress = tier_progress(
        tiers=TIERS, current=TIERS[2], trailing_net_gmv_fen=YI * 3 // 4, overall_score=Decimal(80)
    )
    assert progress.next_tier.code == "tier_100m"
    assert progress.gmv_gap_fen == YI // 4
    assert progress.score_gap == 0
    assert progress.gmv_share == 75


def test_without_a_tier_a_provider_short_on_score_is_shown_the_lowest_tier_and_its_score_gap():
    progress = tier_progress(
        tiers=TIERS,
        current=None,
        trailing_net_gmv_fen=YI * 54 // 100,
        overall_score=Decimal("38.91"),
    )
    assert progress.next_tier.code == "tier_10m"
    assert progress.gmv_gap_fen == 0
    assert progress.score_gap == Decimal("21.09")


def test_the_top_tier_has_no_next_tier():
    progress = tier_progress(
        tiers=TIERS, current=TIERS[0], trailing_net_gmv_fen=12 * YI, overall_score=Decimal(90)
    )
    assert progress.at_top
    assert progress.next_tier is None
    assert progress.gmv_gap_fen is None


def test_meeting_every_tier_above_points_at_the_highest_with_nothing_lacking():
    progress = tier_progress(
        tiers=TIERS, current=TIERS[3], trailing_net_gmv_fen=20 * YI, overall_score=Decimal(95)
    )
    assert progress.next_tier.code == "tier_1b"
    assert progress.gmv_gap_fen == 0
    assert progress.score_gap == 0


def test_countdown_to_a_moment_and_to_a_due_date():
    now = datetime(2026, 11, 25, 10, 0, tzinfo=SHANGHAI)
    assert countdown(now + timedelta(days=3, hours=5), now).text == "剩余 3 天"
    assert countdown(now + timedelta(hours=5), now).text == "剩余 5 小时"
    assert countdown(now - timedelta(minutes=1), now).text == "已到期"
    assert countdown(date(2026, 11, 25), now).text == "今天到期"
    assert countdown(date(2026, 11, 30), now).days == 5
    assert countdown(date(2026, 11, 24), now).overdue
    assert countdown(date(2026, 11, 27), now).urgent
    assert not countdown(date(2026, 12, 5), now).urgent


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [
        (Decimal("0.9457"), "rate", "94.57%"),
        (Decimal("228740.58"), "yuan", "¥22.87万"),
        (Decimal("371.6"), "hours", "371.6小时"),
        (Decimal("3.10"), "ratio", "3.1倍"),
        (Decimal("6.2"), "per_10k", "6.2次/万单"),
        (Decimal("14"), "count", "14"),
        (None, "rate", "无数据"),
    ],
)
def test_metric_values_read_in_their_unit(value, unit, text):
    assert metric_value_text(value, unit) == text


def test_changes_carry_their_sign():
    assert signed_text(Decimal("2.50")) == "+2.5"
    assert signed_text(Decimal("-1.00")) == "−1"
    assert signed_text(Decimal(0)) == "0"
    assert signed_text(None) == "—"


def _step(key, value, target, gain):
    return RiseStep(
        capability="fulfillment",
        key=key,
        name={"refund_rate": "退款率", "shipment_48h_rate": "48小时发货率"}[key],
        value=Decimal(value),
        score=Decimal(50),
        target_value=Decimal(target),
        best_score=Decimal(100),
        gain=Decimal(gain),
    )


def test_rectification_without_a_plan_asks_for_one_first():
    steps = next_steps(
        Situation(
            status=LifecycleStatus.RECTIFICATION,
            today=date(2026, 11, 25),
            rectification_due_on=date(2100, 1, 1),
            warning_failures=(
                CriteriaRow(
                    "万单投诉量不高于25",
                    "warning",
                    "未通过则预警",
                    "31.4次/万单",
                    "≤ 25次/万单",
                    False,
                    True,
                    "",
                ),
            ),
        )
    )
    assert steps[0].title == "提交整改计划"
    assert steps[0].urgent
    assert steps[1].title == "改进未达标项：万单投诉量不高于25"
    assert "实际 31.4次/万单，要求 ≤ 25次/万单" in steps[1].detail


def test_a_returned_plan_asks_for_a_new_one_and_an_accepted_one_for_the_work():
    returned = next_steps(
        Situation(
            status=LifecycleStatus.RECTIFICATION,
            today=date(2026, 11, 25),
            rectification_due_on=date(2100, 1, 1),
            plan_status=RectificationPlanStatus.RETURNED,
        )
    )
    assert returned[0].title == "整改计划被退回，请修改后重新提交"
    accepted = next_steps(
        Situation(
            status=LifecycleStatus.RECTIFICATION,
            today=date(2026, 11, 25),
            rectification_due_on=date(2100, 1, 1),
            plan_status=RectificationPlanStatus.ACCEPTED,
        )
    )
    assert accepted[0].title == "按整改计划完成整改"


def test_rise_steps_say_which_way_a_metric_should_move():
    steps = next_steps(
        Situation(
            status=LifecycleStatus.ACTIVE,
            today=date(2026, 11, 25),
            rise_steps=(
                _step("refund_rate", "0.1079", "0.03", "2.75"),
                _step("shipment_48h_rate", "0.9457", "0.98", "2.29"),
            ),
            metric_units={"refund_rate": "rate", "shipment_48h_rate": "rate"},
        )
    )
    assert [s.title for s in steps] == ["降低退款率", "提升48小时发货率"]
    assert steps[0].detail == "从 10.79% 降到 3%，综合评分约可提高 2.75 分。"


def test_an_open_appeal_window_an_unsent_month_and_the_tier_gap_are_listed():
    now = datetime.now(tz=SHANGHAI)
    progress = tier_progress(
        tiers=TIERS, current=TIERS[3], trailing_net_gmv_fen=YI // 5, overall_score=Decimal(75)
    )
    steps = next_steps(
        Situation(
            status=LifecycleStatus.ACTIVE,
            today=now.date(),
            appeal_deadlines=(("预警", now + timedelta(days=2)),),
            tier=progress,
            data_month_missing=date(2026, 10, 1),
            unread=3,
        )
    )
    titles = [s.title for s in steps]
    assert titles == [
        "如对“预警”决定有异议，可提出申诉",
        "上传 2026-10 的月度数据",
        "距“五千万级”还差 ¥3000万 净成交额",
        "查看 3 条未读通知",
    ]
    assert steps[0].urgent


def test_an_exited_provider_is_told_when_it_may_apply_again():
    steps = next_steps(Situation(status=LifecycleStatus.EXITED, today=date(2026, 11, 25)))
    assert steps[-1].title == "贵公司已被清退"
