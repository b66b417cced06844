"""The portal home: the provider's situation, deadlines, the decision behind a warning, and what
the provider could do next.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _g

from notifications.selectors import notifications_unread_count
from portal.display import Countdown, countdown, metric_value_text
from portal.selectors.criteria import CriteriaRow, _row_from_record
from portal.selectors.standing import (
    ScoreRow,
    TierProgress,
    _lower_is_target,
    latest_score_month,
    metric_units,
    provider_tier_progress,
    score_rows,
)
from providers.lifecycle import REAPPLY_COOL_DOWN_DAYS
from providers.models import (
    DecisionAction,
    DecisionRecord,
    LifecycleStatus,
    Provider,
    RectificationPlanStatus,
)
from providers.selectors import (
    LifecycleSummary,
    provider_lifecycle,
)
from scoring.models import ImportStatus
from scoring.rules import number_text
from scoring.selectors import (
    Scorecard,
    metrics_imports,
    overall_score_of,
    provider_scorecard,
    score_rise_plan,
)
from zaofeng.periods import current_month, format_month, previous_month
from zaofeng.readcache import read_cached


# ------------------------------------------------------------------------------
# What to do next
# ------------------------------------------------------------------------------
@dataclass(frozen=True)
class NextStep:
    title: str
    detail: str = ""
    url: str = ""
    urgent: bool = False


@dataclass(frozen=True)
class Situation:
    """Everything the "what to do next" list reads; assembled by home_page."""

    status: str
    today: date
    probation_ends_on: date | None = None
    rectification_due_on: date | None = None
    plan_status: str | None = None  # the latest rectification plan's status, if any
    appeal_deadlines: tuple[tuple[str, datetime], ...] = ()  # (decision label, deadline)
    warning_failures: tuple[CriteriaRow, ...] = ()
    rise_steps: tuple = ()  # scoring.rules.RiseStep
    metric_units: Mapping[str, str] = field(default_factory=dict)
    tier: TierProgress | None = None
    data_month_missing: date | None = None
    unread: int = 0


def next_steps(situation: Situation) -> tuple[NextStep, ...]:
    """What the provider could do next, most pressing first."""
    s = situation
    steps: list[NextStep] = []
    urls = {
        "lifecycle": reverse("portal:lifecycle"),
        "appeals": reverse("portal:appeals"),
        "scores": reverse("portal:scores"),
        "criteria": reverse("portal:criteria"),
        "data": reverse("portal:data"),
        "notifications": reverse("portal:notifications"),
    }
    if s.status == LifecycleStatus.RECTIFICATION:
        due = countdown(s.rectification_due_on) if s.rectification_due_on else None
        if s.plan_status in (None, RectificationPlanStatus.RETURNED):
            steps.append(
                NextStep(
                    title=_g("提交整改计划")
                    if s.plan_status is None
                    else _g("整改计划被退回，请修改后重新提交"),
                    detail=_g("整改截止 %(due)s（%(left)s）；逾期未达标将被清退。")
                    % {"due": s.rectification_due_on, "left": due.text}
                    if due
                    else "",
                    url=urls["lifecycle"],
                    urgent=True,
                )
            )
        else:
            steps.append(
                NextStep(
                    title=_g("按整改计划完成整改"),
                    detail=_g("整改截止 %(due)s（%(left)s）；届时最近一次评估须达标。")
                    % {"due": s.rectification_due_on, "left": due.text}
                    if due
                    else "",
                    url=urls["criteria"],
                    urgent=bool(due and due.urgent),
                )
            )
    for label, deadline in s.appeal_deadlines:
        left = countdown(deadline)
        steps.append(
            NextStep(
                title=_g("如对“%(decision)s”决定有异议，可提出申诉") % {"decision": label},
                detail=_g("申诉截止 %(deadline)s（%(left)s）。")
                % {
                    "deadline": f"{timezone.localtime(deadline):%Y-%m-%d %H:%M}",
                    "left": left.text,
                },
                url=urls["appeals"],
                urgent=left.urgent,
            )
        )
    for row in s.warning_failures:
        steps.append(
            NextStep(
                title=_g("改进未达标项：%(sentence)s") % {"sentence": row.sentence},
                detail=_g("实际 %(observed)s，要求 %(threshold)s。")
                % {"observed": row.observed, "threshold": row.threshold},
                url=urls["criteria"],
                urgent=True,
            )
        )
    if s.status == LifecycleStatus.PROBATION and s.probation_ends_on:
        steps.append(
            NextStep(
                title=_g("在考察期内达成考察期目标"),
                detail=_g("考察期至 %(end)s（%(left)s）。")
                % {"end": s.probation_ends_on, "left": countdown(s.probation_ends_on).text},
                url=urls["criteria"],
            )
        )
    if s.data_month_missing is not None:
        steps.append(
            NextStep(
                title=_g("上传 %(month)s 的月度数据")
                % {"month": format_month(s.data_month_missing)},
                detail=_g("数据到齐后才能按时评分；上传有误时会逐行列出错误。"),
                url=urls["data"],
            )
        )
    for step in s.rise_steps:
        unit = s.metric_units.get(step.key, "")
        lower = _lower_is_target(step)
        steps.append(
            NextStep(
                title=(_g("降低%(metric)s") if lower else _g("提升%(metric)s"))
                % {"metric": step.name},
                detail=(
                    _g("从 %(value)s 降到 %(target)s，综合评分约可提高 %(gain)s 分。")
                    if lower
                    else _g("从 %(value)s 提升到 %(target)s，综合评分约可提高 %(gain)s 分。")
                )
                % {
                    "value": metric_value_text(step.value, unit),
                    "target": metric_value_text(step.target_value, unit),
                    "gain": number_text(step.gain),
                },
                url=urls["scores"],
            )
        )
    tier = s.tier
    if (
        s.status in (LifecycleStatus.PROBATION, LifecycleStatus.ACTIVE)
        and tier is not None
        and tier.next_tier is not None
    ):
        from zaofeng.money import format_fen_cn

        if tier.gmv_gap_fen:
            steps.append(
                NextStep(
                    title=_g("距“%(tier)s”还差 %(gap)s 净成交额")
                    % {"tier": tier.next_tier.label, "gap": format_fen_cn(tier.gmv_gap_fen)},
                    detail=_g("门槛为近12个月净成交额 %(threshold)s，综合评分不低于 %(score)s 分。")
                    % {
                        "threshold": format_fen_cn(tier.next_tier.threshold_fen),
                        "score": number_text(tier.next_tier.min_overall_score),
                    },
                )
            )
        elif tier.score_gap:
            steps.append(
                NextStep(
                    title=_g("综合评分再提高 %(gap)s 分即可进入“%(tier)s”")
                    % {"gap": number_text(tier.score_gap), "tier": tier.next_tier.label},
                    url=urls["scores"],
                )
            )
    if s.unread:
        steps.append(
            NextStep(
                title=_g("查看 %(count)s 条未读通知") % {"count": s.unread},
                url=urls["notifications"],
            )
        )
    if s.status == LifecycleStatus.EXITED and not s.appeal_deadlines:
        steps.append(
            NextStep(
                title=_g("贵公司已被清退"),
                detail=_g("清退 %(days)s 天后可重新提交入驻申请。")
                % {"days": REAPPLY_COOL_DOWN_DAYS},
                url=reverse("portal:applications"),
            )
        )
    return tuple(steps)


# ------------------------------------------------------------------------------
# Home
# ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Deadline:
    title: str
    countdown: Countdown
    url: str = ""


@dataclass(frozen=True)
class HomePage:
    provider: Provider
    provider_types: tuple[str, ...]
    lifecycle: LifecycleSummary
    gmv_month: date
    tier: TierProgress
    score_month: date | None
    scorecard: Scorecard | None
    scores: tuple[ScoreRow, ...]
    deadlines: tuple[Deadline, ...]
    warning: DecisionRecord | None
    warning_failures: tuple[CriteriaRow, ...]
    next_steps: tuple[NextStep, ...]


def _warning_decision(lifecycle: LifecycleSummary) -> DecisionRecord | None:
    """The decision that put the provider in warning (or on the way to rectification)."""
    if lifecycle.status not in (LifecycleStatus.WARNING, LifecycleStatus.RECTIFICATION):
        return None
    for decision in lifecycle.recent_decisions:
        if decision.to_status == lifecycle.status and decision.action in (
            DecisionAction.WARNED,
            DecisionAction.RECTIFICATION_STARTED,
        ):
            return decision
    return None


def data_month_missing(*, provider: Provider, score_month: date | None) -> date | None:
    """Last month, if neither a score nor an upload of the provider's own covers it yet."""
    month = previous_month()
    if score_month is not None and score_month >= month:
        return None
    # The months are read and tested here, not with a JSON `contains` lookup: SQLite (the
    # embedded default of `make run`) has none. A provider's uploads are a few a month.
    wanted = format_month(month)
    uploaded = any(
        wanted in (months or ())
        for months in metrics_imports(provider=provider)
        .filter(status=ImportStatus.IMPORTED)
        .values_list("months", flat=True)
    )
    return None if uploaded else month


@dataclass(frozen=True)
class HomeStanding:
    """The home page's score and tier figures: they change only with an import, a finished run,
    a published scoring model or a confirmed demotion, so they are read through the read cache."""

    score_month: date | None
    scorecard: Scorecard | None
    tier: TierProgress
    rise_steps: tuple = ()


def home_standing(*, provider: Provider, gmv_month: date) -> HomeStanding:
    score_month = latest_score_month(provider=provider)
    scorecard = (
        provider_scorecard(provider_id=provider.pk, month=score_month) if score_month else None
    )
    # The one rule for a month's overall score (scoring.selectors.overall_scores_of_month).
    overall = overall_score_of(provider_id=provider.pk, month=score_month) if score_month else None
    tier = provider_tier_progress(provider=provider, overall_score=overall, gmv_month=gmv_month)
    rise = None
    if scorecard is not None:
        rise = score_rise_plan(
            provider_id=provider.pk,
            month=score_month,
            next_tier_min_score=tier.next_tier.min_overall_score if tier.next_tier else None,
            limit=2,
        )
    return HomeStanding(
        score_month=score_month,
        scorecard=scorecard,
        tier=tier,
        rise_steps=rise.steps if rise else (),
    )


def home_page(
    *, provider: Provider, user, now: datetime | None = None, unread: int | None = None
) -> HomePage:
    """The provider's home; unread is the user's unread notifications when the caller has them."""
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    lifecycle = provider_lifecycle(provider=provider, now=now)
    gmv_month = previous_month(now)
    standing = read_cached(
        "portal_home_standing",
        (provider.pk, gmv_month.isoformat(), current_month().isoformat(), get_language()),
        lambda: home_standing(provider=provider, gmv_month=gmv_month),
    )
    score_month, scorecard, tier = standing.score_month, standing.scorecard, standing.tier

    deadlines: list[Deadline] = []
    if lifecycle.rectification_due_on and lifecycle.status == LifecycleStatus.RECTIFICATION:
        deadlines.append(
            Deadline(
                _g("整改截止"),
                countdown(lifecycle.rectification_due_on, now),
                reverse("portal:lifecycle"),
            )
        )
    if lifecycle.probation_ends_on:
        deadlines.append(
            Deadline(
                _g("考察期结束"),
                countdown(lifecycle.probation_ends_on, now),
                reverse("portal:criteria"),
            )
        )
    for window in lifecycle.appeal_windows:
        deadlines.append(
            Deadline(
                _g("申诉截止：%(decision)s") % {"decision": window.decision.get_action_display()},
                countdown(window.deadline, now),
                reverse("portal:appeals"),
            )
        )

    warning = _warning_decision(lifecycle)
    failures = tuple(
        _row_from_record(row)
        for row in (warning.criteria_results if warning else [])
        if not row.get("passed", True)
    )
    plans = lifecycle.rectification_plans
    situation = Situation(
        status=provider.status,
        today=today,
        probation_ends_on=lifecycle.probation_ends_on,
        rectification_due_on=lifecycle.rectification_due_on,
        plan_status=plans[0].status if plans else None,
        appeal_deadlines=tuple(
            (window.decision.get_action_display(), window.deadline)
            for window in lifecycle.appeal_windows
        ),
        warning_failures=failures,
        rise_steps=standing.rise_steps,
        metric_units=metric_units(),
        tier=tier,
        data_month_missing=data_month_missing(provider=provider, score_month=score_month)
        if provider.status != LifecycleStatus.EXITED
        else None,
        unread=notifications_unread_count(user=user) if unread is None else unread,
    )
    return HomePage(
        provider=provider,
        provider_types=tuple(t.label for t in provider.provider_types.all()),
        lifecycle=lifecycle,
        gmv_month=gmv_month,
        tier=tier,
        score_month=score_month,
        scorecard=scorecard,
        scores=score_rows(scorecard),
        deadlines=tuple(deadlines),
        warning=warning,
        warning_failures=failures,
        next_steps=next_steps(situation),
    )
