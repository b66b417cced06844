"""The periodic schedule, in one place, in Asia/Shanghai time with the run time beside each entry.

`manage.py sync_schedules` (run after every migrate) copies these entries into
django-celery-beat's tables, where beat reads them and staff see and change them in the admin
(周期任务) without a deploy. It adds missing entries and leaves existing ones as staff set them;
`sync_schedules --reset` puts them back to what is written here.

Order within a month: scoring needs the month's late data (in by the 2nd), the exit run needs the
scores, the tier review needs the exits, the allocation proposal needs the tiers. Each later run
also waits (see evaluations.tasks.scheduled_run_start) while the run it follows is still going.
"""

from dataclasses import dataclass, field
from datetime import date

from django.utils.translation import gettext_lazy as _

from zaofeng.periods import current_month, parse_month, previous_month

SCHEDULE_TIMEZONE = "Asia/Shanghai"
START_TASK = "evaluations.scheduled_run_start"
WATCHDOG_TASK = "evaluations.runs_resume_stale"
REVIEW_SLA_TASK = "evaluations.review_overdue_notify"
QUARTER_FIRST_MONTHS = "1,4,7,10"


@dataclass(frozen=True)
class Cron:
    minute: str = "0"
    hour: str = "*"
    day_of_month: str = "*"
    month_of_year: str = "*"
    day_of_week: str = "*"


@dataclass(frozen=True)
class ScheduleEntry:
    name: str  # the periodic task's name in the admin, and the key sync_schedules matches on
    runs_at: str  # when it runs, in Asia/Shanghai time, as staff read it
    cron: Cron
    task: str = START_TASK
    kwargs: dict = field(default_factory=dict)
    description: str = ""


SCHEDULE: tuple[ScheduleEntry, ...] = (
    ScheduleEntry(
        name="月度评分（上月）",
        runs_at="每月 3 日 02:00",
        cron=Cron(minute="0", hour="2", day_of_month="3"),
        kwargs={"kind": "scoring", "period": "previous"},
        description="上月的指标与成交数据在月初两天内补齐后，计算上月五大能力评分与综合评分。",
    ),
    ScheduleEntry(
        name="品牌经营阶段（上月）",
        runs_at="每月 3 日 02:30",
        cron=Cron(minute="30", hour="2", day_of_month="3"),
        kwargs={"kind": "steps", "period": "previous"},
        description="上月的商家渠道数据与成交数据在月初两天内导入后，判定每个商家的 STEPS 阶段。",
    ),
    ScheduleEntry(
        name="准出检查（上月）",
        runs_at="每月 3 日 04:00，月度评分结束之后",
        cron=Cron(minute="0", hour="4", day_of_month="3"),
        kwargs={"kind": "exit", "period": "previous", "after": "scoring"},
        description="按准出标准检查上月：预警、整改、清退。月度评分未结束时每 10 分钟再等一次。",
    ),
    ScheduleEntry(
        name="目标达成预测（上月）",
        runs_at="每月 3 日 06:00，月度评分结束之后",
        cron=Cron(minute="0", hour="6", day_of_month="3"),
        kwargs={"kind": "forecast", "period": "previous", "after": "scoring"},
        description="按上月为止的服务商月度汇总预测近12个月净成交额的分布与达到目标的概率，附回测。",
    ),
    ScheduleEntry(
        name="季度分层评审（上季度末月）",
        runs_at="每季度首月（1、4、7、10 月）4 日 03:00",
        cron=Cron(minute="0", hour="3", day_of_month="4", month_of_year=QUARTER_FIRST_MONTHS),
        kwargs={"kind": "tiers", "period": "previous", "after": "exit"},
        description="按上季度末月的近12个月净成交额与综合评分评审层级，随后核对资金池台账。",
    ),
    ScheduleEntry(
        name="季度分配方案（本季度）",
        runs_at="每季度首月（1、4、7、10 月）4 日 05:00，分层评审结束之后",
        cron=Cron(minute="0", hour="5", day_of_month="4", month_of_year=QUARTER_FIRST_MONTHS),
        kwargs={
            "kind": "allocation",
            "period": "current",
            "after": "tiers",
            "after_period": "previous",
        },
        description="按刚评审的层级与评分生成本季度的流量与资金分配方案，交财务审批。",
    ),
    ScheduleEntry(
        name="季度增量效果评估（上季度末月）",
        runs_at="每季度首月（1、4、7、10 月）4 日 07:00，分层评审结束之后",
        cron=Cron(minute="0", hour="7", day_of_month="4", month_of_year=QUARTER_FIRST_MONTHS),
        kwargs={"kind": "uplift", "period": "previous", "after": "tiers"},
        description="按上季度末月为止的服务商月度汇总与台账授予，重新估计每个草稿增量效果研究。",
    ),
    ScheduleEntry(
        name="风险信号检查（上月）",
        runs_at="每月 3 日 03:00，月度评分结束之后",
        cron=Cron(minute="0", hour="3", day_of_month="3"),
        kwargs={"kind": "risk", "period": "previous", "after": "scoring"},
        description="上月成交数据补齐后，按风险规则检查成交激增、退款激增、客单价骤降、信任卡赔付与关联服务商。",
    ),
    ScheduleEntry(
        name="每日期限检查",
        runs_at="每天 01:00",
        cron=Cron(minute="0", hour="1"),
        kwargs={"kind": "deadlines", "period": "current"},
        description="考察期到期（达标转正常合作）、整改期限到期（未整改清退）、申诉期届满。",
    ),
    ScheduleEntry(
        name="审核时限检查",
        runs_at="每天 09:00",
        cron=Cron(minute="0", hour="9"),
        task=REVIEW_SLA_TASK,
        description="超出处理时限（默认 5 个工作日）的入驻申请与申诉，通知项目管理员。",
    ),
    ScheduleEntry(
        name="评估任务巡检",
        runs_at="每分钟",
        cron=Cron(minute="*"),
        task=WATCHDOG_TASK,
        description=(
            "补发未发出消息的评估任务（发起进程在提交后、派发前退出）与批次；Redis 重启或被清空"
            "而丢失消息时重新派发；并关闭已做完的评估任务。"
        ),
    ),
)

PERIOD_PREVIOUS = "previous"
PERIOD_CURRENT = "current"
BAD_PERIOD = _("计划的月份须为 previous、current 或 YYYY-MM，而不是 {period}。")


def period_resolve(period: str) -> date:
    """The month a scheduled entry means: previous, current, or an explicit YYYY-MM."""
    if period == PERIOD_PREVIOUS:
        return previous_month()
    if period == PERIOD_CURRENT:
        return current_month()
    try:
        return parse_month(period)
    except ValueError as exc:
        raise ValueError(str(BAD_PERIOD.format(period=period))) from exc
