"""What the portal's pages show, assembled from the other apps' selectors.

Nothing here decides anything in the program: the figures, verdicts and deadlines come from
providers, scoring and funding; this module only puts together what one page needs, for one
provider, and says what the provider could do next.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _g

from funding.models import Tier
from funding.selectors import provider_allocations
from funding.selectors.standing import next_tier_of, provider_standing
from notifications.selectors import notifications_unread_count
from portal.display import Countdown, countdown, metric_value_text
from providers.criteria import (
    CriterionLevel,
    CriterionResult,
    Missing,
    criteria_evaluate,
    whole_months_between,
)
from providers.criteria_types import verdicts_by_type
from providers.lifecycle import REAPPLY_COOL_DOWN_DAYS
from providers.models import (
    Appeal,
    AppealStatus,
    Application,
    ApplicationStatus,
    CriteriaKind,
    DecisionAction,
    DecisionRecord,
    Invitation,
    LifecycleStatus,
    Membership,
    MembershipRole,
    PrescreenResult,
    Provider,
    RectificationPlanStatus,
)
from providers.selectors import (
    LifecycleSummary,
    application_decisions,
    application_prescreen_rows,
    applications_for_user,
    criteria_inputs,
    criteria_judging,
    criteria_specs_published,
    probation_snapshot,
    provider_lifecycle,
    violation_inputs,
)
from providers.services.applications import application_snapshot
from scoring.models import Capability, ImportStatus, Metric, MetricsImport, ScoreKind
from scoring.rules import number_text
from scoring.selectors import (
    RisePlan,
    Scorecard,
    ScoreChange,
    ScoreExplanation,
    cohort_medians,
    metrics_imports,
    overall_score_of,
    provider_scorecard,
    score_explanation,
    score_history,
    score_rise_plan,
    trailing_net_gmv_fen,
)
from scoring.type_scores import provider_type_scores
from zaofeng.money import format_fen_cn
from zaofeng.periods import current_month, format_month, previous_month
from zaofeng.readcache import read_cached

SCORE_KINDS = (*Capability.values, ScoreKind.OVERALL)


def _english() -> bool:
    return (get_language() or "").startswith("en")


# ------------------------------------------------------------------------------
# Tiers: where the provider stands and how far the next tier is
# ------------------------------------------------------------------------------
@dataclass(frozen=True)
class TierProgress:
    current: Tier | None
    next_tier: Tier | None
    trailing_net_gmv_fen: int
    overall_score: Decimal | None
    gmv_gap_fen: int | None  # net GMV still lacking for the next tier's threshold (0: reached)
    score_gap: Decimal | None  # overall score points lacking for its minimum (0: reached)

    @property
    def at_top(self) -> bool:
        return self.current is not None and self.next_tier is None

    @property
    def gmv_share(self) -> int:
        """How much of the next threshold the GMV covers, in percent (for a progress bar)."""
        if self.next_tier is None or not self.next_tier.threshold_fen:
            return 100
        return min(100, max(0, self.trailing_net_gmv_fen * 100 // self.next_tier.threshold_fen))


def tier_progress(
    *,
    tiers: Sequence[Tier],
    current: Tier | None,
    trailing_net_gmv_fen: int,
    overall_score: Decimal | None,
    score_checked: bool = True,
) -> TierProgress:
    """The next tier is the nearest one above the current tier that the provider does not yet
    meet, on GMV or on score; when it meets every tier above (before the next review places it),
    the highest of them, with nothing lacking."""
    next_tier = next_tier_of(
        tiers,
        current=current,
        gmv_fen=trailing_net_gmv_fen,
        score=overall_score,
        score_checked=score_checked,
    )
    gmv_gap = score_gap = None
    if next_tier is not None:
        gmv_gap = max(next_tier.threshold_fen - trailing_net_gmv_fen, 0)
        if overall_score is not None:
            score_gap = max(Decimal(next_tier.min_overall_score) - overall_score, Decimal(0))
    return TierProgress(
        current=current,
        next_tier=next_tier,
        trailing_net_gmv_fen=trailing_net_gmv_fen,
        overall_score=overall_score,
        gmv_gap_fen=gmv_gap,
        score_gap=score_gap,
    )


def provider_tier_progress(
    *, provider: Provider, overall_score: Decimal | None, gmv_month: date
) -> TierProgress:
    """The provider's standing for gmv_month (funding.selectors.standing), its next tier judged
    with overall_score (the latest scored month's, which the page shows)."""
    standing = provider_standing(provider_id=provider.pk, month=gmv_month)
    return tier_progress(
        tiers=list(Tier.objects.filter(is_active=True).order_by("rank")),
        current=standing.tier if standing else None,
        trailing_net_gmv_fen=standing.trailing_net_gmv_fen if standing else 0,
        overall_score=overall_score,
        score_checked=standing.score_checked if standing else False,
    )


# ------------------------------------------------------------------------------
# Scores
# ------------------------------------------------------------------------------
def latest_score_month(*, provider: Provider, months: int = 12) -> date | None:
    """The newest month the provider was scored in (latest published model), within a year."""
    history = score_history(provider_id=provider.pk, month=current_month(), months=months)
    overall = history.get(ScoreKind.OVERALL) or []
    return overall[-1][0] if overall else None


@dataclass(frozen=True)
class ScoreRow:
    kind: str
    label: str
    value: Decimal
    previous: Decimal | None
    change: Decimal | None


def score_rows(scorecard: Scorecard | None) -> tuple[ScoreRow, ...]:
    """The overall score first, then the five capabilities, each with its change."""
    if scorecard is None:
        return ()
    order = [ScoreKind.OVERALL, *Capability.values]
    rows = []
    for kind in order:
        found: ScoreChange | None = scorecard.scores.get(kind)
        if found is None:
            continue
        rows.append(
            ScoreRow(
                kind=kind,
                label=str(ScoreKind(kind).label),
                value=found.current,
                previous=found.previous,
                change=found.change,
            )
        )
    return tuple(rows)


# ------------------------------------------------------------------------------
# Criteria rows, whatever they were judged from
# ------------------------------------------------------------------------------
@dataclass(frozen=True)
class CriteriaRow:
    sentence: str
    level: str
    level_label: str
    observed: str
    threshold: str
    passed: bool
    evaluated: bool
    reason: str
    type_name: str = ""  # the provider type the row belongs to (a pre-screen row)
    declared: str = ""  # the served-GMV check: declared, verified by platform data, difference
    verified: str = ""
    difference: str = ""


def _row_from_result(result: CriterionResult) -> CriteriaRow:
    spec = result.spec
    return CriteriaRow(
        sentence=(spec.sentence_en if _english() and spec.sentence_en else spec.sentence),
        level=spec.level,
        level_label=str(CriterionLevel(spec.level).label),
        observed=result.observed_display,
        threshold=result.threshold_display,
        passed=result.passed,
        evaluated=result.evaluated,
        reason=result.reason,
    )


def _row_from_prescreen(row: PrescreenResult) -> CriteriaRow:
    money = {}
    if row.declared_fen is not None and row.verified_fen is not None:
        money = {
            "declared": format_fen_cn(row.declared_fen),
            "verified": format_fen_cn(row.verified_fen),
            "difference": format_fen_cn(row.difference_fen),
        }
    return CriteriaRow(
        type_name=row.provider_type.label if row.provider_type_id else "",
        **money,
        sentence=(row.sentence_en if _english() and row.sentence_en else row.sentence),
        level=row.level,
        level_label=row.get_level_display(),
        observed=row.observed_display,
        threshold=row.threshold_display,
        passed=row.passed,
        evaluated=row.evaluated,
        reason=row.reason,
    )


def _row_from_record(row: Mapping) -> CriteriaRow:
    level = row.get("level", "")
    return CriteriaRow(
        sentence=(
            row.get("sentence_en") if _english() and row.get("sentence_en") else row["sentence"]
        ),
        level=level,
        level_label=str(CriterionLevel(level).label) if level in CriterionLevel.values else level,
        observed=row.get("observed_display", ""),
        threshold=row.get("threshold_display", ""),
        passed=bool(row.get("passed")),
        evaluated=bool(row.get("evaluated", True)),
        reason=row.get("reason", ""),
    )


def _criteria_preview(
    *, kind: str, provider: Provider, snapshot: Mapping, month: date | None, today: date | None
) -> tuple[CriteriaRow, ...]:
    type_ids = list(provider.provider_types.values_list("pk", flat=True))
    specs = criteria_specs_published(kind=kind, provider_type_ids=type_ids)
    judging = criteria_judging(kind=kind, month=month, today=today)
    verdict = criteria_evaluate(specs, snapshot, as_of=judging.as_of, missing=judging.missing)
    return tuple(_row_from_result(result) for result in verdict.results)


def exit_check(*, provider: Provider, month: date) -> tuple[CriteriaRow, ...]:
    """The exit criteria judged on the provider's own figures for a month, as the exit run
    judges them (the same inputs, missing-value rule and date); nothing is recorded."""
    snapshot = criteria_inputs(kind=CriteriaKind.EXIT, month=month, provider_ids=[provider.pk])
    return _criteria_preview(
        kind=CriteriaKind.EXIT,
        provider=provider,
        snapshot=snapshot[provider.pk],
        month=month,
        today=None,
    )


def probation_check(
    *, provider: Provider, month: date, today: date | None = None
) -> tuple[CriteriaRow, ...]:
    """The probation goals as the deadline check would judge them today: on the latest exit
    evaluation since probation began (month's figures until there is one), a missing figure
    failing; nothing is recorded."""
    today = today or timezone.localdate()
    basis = probation_snapshot(provider=provider, today=today)
    snapshot = (
        basis[1]
        if basis
        else criteria_inputs(kind=CriteriaKind.PROBATION, month=month, provider_ids=[provider.pk])[
            provider.pk
        ]
    )
    return _criteria_preview(
        kind=CriteriaKind.PROBATION, provider=provider, snapshot=snapshot, month=month, today=today
    )


def provider_admission_check(*, provider: Provider, today: date) -> tuple[CriteriaRow, ...]:
    """The admission criteria on the registry's facts about the provider today. Documents are
    not on record here, so that row reads "not evaluated" rather than failing."""
    type_ids = list(provider.provider_types.values_list("pk", flat=True))
    specs = criteria_specs_published(kind=CriteriaKind.ADMISSION, provider_type_ids=type_ids)
    month = previous_month()
    snapshot = {
        "company_age_months": whole_months_between(provider.registered_on, today)
        if provider.registered_on
        else None,
        "registered_capital_fen": provider.registered_capital_fen,
        "team_size": provider.team_size,
        "served_gmv_12m_fen": trailing_net_gmv_fen(month=month, provider_ids=[provider.pk]).get(
            provider.pk, 0
        ),
        "provider_types": sorted(provider.provider_types.values_list("code", flat=True)),
        "serious_violation_dates": violation_inputs(month=month, provider_ids=[provider.pk])[
            provider.pk
        ]["serious_violation_dates"],
    }
    verdict = criteria_evaluate(specs, snapshot, as_of=today, missing=Missing.SKIP)
    return tuple(_row_from_result(result) for result in verdict.results)


def application_prescreen_preview(
    *, application: Application, today: date
) -> tuple[CriteriaRow, ...]:
    """What the pre-screen would say if the draft were submitted today; nothing is stored."""
    types = {
        provider_type.pk: provider_type.label for provider_type in application.provider_types.all()
    }
    specs = criteria_specs_published(kind=CriteriaKind.ADMISSION, provider_type_ids=list(types))
    # Judged per type, as the submission will be (providers.criteria_types); the served-GMV
    # check against platform data runs at submission only.
    by_type = verdicts_by_type(
        specs,
        application_snapshot(application=application, as_of=today),
        as_of=today,
        missing=Missing.FAIL,
    )
    return tuple(
        replace(_row_from_result(result), type_name=types.get(type_id, ""))
        for type_id, verdict in by_type.items()
        for result in verdict.results
    )


def application_criteria(*, application: Application, today: date) -> tuple[CriteriaRow, ...]:
    """The pre-screen table as judged once submitted; a preview while it is a draft."""
    if application.status == ApplicationStatus.DRAFT:
        return application_prescreen_preview(application=application, today=today)
    return tuple(
        _row_from_prescreen(row) for row in application_prescreen_rows(application=application)
    )


@dataclass(frozen=True)
class CriteriaTable:
    key: str
    title: str
    note: str
    rows: tuple[CriteriaRow, ...]

    @property
    def failed(self) -> int:
        return sum(1 for row in self.rows if row.evaluated and not row.passed)


def criteria_tables(*, provider: Provider | None, user, today: date) -> tuple[CriteriaTable, ...]:
    """The criteria that apply to the signed-in user's provider (or to their applications)."""
    tables: list[CriteriaTable] = []
    if provider is not None:
        month = previous_month()
        if provider.status in (
            LifecycleStatus.PROBATION,
            LifecycleStatus.ACTIVE,
            LifecycleStatus.WARNING,
            LifecycleStatus.RECTIFICATION,
        ):
            tables.append(
                CriteriaTable(
                    key="exit",
                    title=_g("准出标准"),
                    note=_g(
                        "按 %(month)s 的数据试算（与月度准出评估同一口径）；正式结论以准出评估为准。"
                    )
                    % {"month": format_month(month)},
                    rows=exit_check(provider=provider, month=month),
                )
            )
        if provider.status == LifecycleStatus.PROBATION:
            tables.append(
                CriteriaTable(
                    key="probation",
                    title=_g("考察期目标"),
                    note=_g("考察期至 %(end)s，届时须全部达标方可转为正常合作。")
                    % {"end": provider.probation_ends_on},
                    rows=probation_check(provider=provider, month=month, today=today),
                )
            )
        tables.append(
            CriteriaTable(
                key="admission",
                title=_g("准入标准"),
                note=_g("按服务商档案中的企业信息试算；资质材料以入驻审核时为准。"),
                rows=provider_admission_check(provider=provider, today=today),
            )
        )
        return tuple(tables)
    for application in applications_for_user(user=user).prefetch_related("provider_types")[:5]:
        note = (
            _g("草稿预览：按当前填写的内容试算，提交后以正式预审结果为准。")
            if application.status == ApplicationStatus.DRAFT
            else _g("%(number)s 提交时的预审结果。") % {"number": application.number}
        )
        tables.append(
            CriteriaTable(
                key=f"application-{application.pk}",
                title=_g("准入标准 · %(number)s") % {"number": application.number},
                note=note,
                rows=application_criteria(application=application, today=today),
            )
        )
    return tuple(tables)


def admission_criteria_published() -> tuple[tuple[str, tuple[CriteriaRow, ...]], ...]:
    """Every provider type's published admission criteria, without values (before applying)."""
    from providers.selectors import criteria_published

    result = []
    for criteria_set in criteria_published(kind=CriteriaKind.ADMISSION):
        rows = tuple(
            CriteriaRow(
                sentence=(
                    criterion.sentence_en
                    if _english() and criterion.sentence_en
                    else criterion.sentence
                ),
                level=criterion.level,
                level_label=criterion.get_level_display(),
                observed="",
                threshold="",
                passed=False,
                evaluated=False,
                reason="",
            )
            for criterion in criteria_set.criteria.all()
        )
        result.append((criteria_set.provider_type.label, rows))
    return tuple(result)


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


def _lower_is_target(step) -> bool:
    """A rise step whose target lies below the value (refund rate, complaints) asks to lower it."""
    return (
        step.value is not None and step.target_value is not None and step.target_value < step.value
    )


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


def metric_units() -> dict[str, str]:
    return dict(Metric.objects.values_list("key", "unit"))


# ------------------------------------------------------------------------------
# Scores page: radar, trends, explanations, how to rise
# ------------------------------------------------------------------------------
@dataclass(frozen=True)
class TermView:
    label: str
    weight: Decimal
    value: str
    curve: str
    score: Decimal
    contribution: Decimal
    no_data: bool


@dataclass(frozen=True)
class ExplanationView:
    kind: str
    label: str
    score: Decimal
    change: Decimal | None
    median: Decimal | None
    sentence: str
    terms: tuple[TermView, ...]


def _curve_text(term, unit: str) -> str:
    if term.curve == "linear":
        return _g("线性：%(floor)s 得 0 分，%(target)s 得 100 分") % {
            "floor": metric_value_text(term.floor, unit),
            "target": metric_value_text(term.target, unit),
        }
    if term.curve == "percentile":
        return _g("同类百分位（同类 %(size)s 家）") % {"size": term.cohort_size or 0}
    return ""


def explanation_view(
    explanation: ScoreExplanation,
    *,
    units: Mapping[str, str],
    change: Decimal | None,
    median: Decimal | None,
) -> ExplanationView:
    terms = tuple(
        TermView(
            label=term.label,
            weight=term.weight,
            value=metric_value_text(term.value, units.get(term.key, ""))
            if explanation.kind != ScoreKind.OVERALL
            else "",
            curve=_curve_text(term, units.get(term.key, ""))
            if explanation.kind != ScoreKind.OVERALL
            else "",
            score=term.score,
            contribution=term.contribution,
            no_data=term.no_data,
        )
        for term in explanation.terms
    )
    return ExplanationView(
        kind=explanation.kind,
        label=explanation.label,
        score=explanation.score,
        change=change,
        median=median,
        sentence=explanation.sentence,
        terms=terms,
    )


@dataclass(frozen=True)
class RiseStepView:
    capability: str
    name: str
    value: str
    target: str
    score: Decimal
    gain: Decimal
    lower: bool


@dataclass(frozen=True)
class ScoresPage:
    month: date
    scorecard: Scorecard
    scores: tuple[ScoreRow, ...]
    radar: dict
    trends: dict
    explanations: tuple[ExplanationView, ...]
    rise: RisePlan | None
    rise_steps: tuple[RiseStepView, ...]
    tier: TierProgress
    type_scores: tuple = ()  # a provider of several types: its score in each type's cohort


def scores_page(*, provider: Provider) -> ScoresPage | None:
    month = latest_score_month(provider=provider)
    if month is None:
        return None
    scorecard = provider_scorecard(provider_id=provider.pk, month=month)
    if scorecard is None:
        return None
    medians = cohort_medians(provider_id=provider.pk, month=month)
    history = score_history(provider_id=provider.pk, month=month, months=12)
    units = metric_units()
    capability_labels = [str(Capability(c).label) for c in Capability.values]
    radar = {
        "indicators": [{"name": label, "max": 100} for label in capability_labels],
        "series": [
            {
                "name": _g("本服务商"),
                "value": [
                    float(scorecard.scores[c].current) if c in scorecard.scores else 0
                    for c in Capability.values
                ],
            },
            {
                "name": _g("同类中位数"),
                "value": [float(medians.get(c, 0)) for c in Capability.values],
            },
        ],
    }
    trends = {
        kind: {
            "label": str(ScoreKind(kind).label),
            "months": [format_month(m) for m, _value in history.get(kind, [])],
            "values": [float(value) for _m, value in history.get(kind, [])],
        }
        for kind in SCORE_KINDS
    }
    explanations = []
    for kind in (ScoreKind.OVERALL, *Capability.values):
        explanation = score_explanation(provider_id=provider.pk, month=month, kind=kind)
        if explanation is None:
            continue
        found = scorecard.scores.get(kind)
        explanations.append(
            explanation_view(
                explanation,
                units=units,
                change=found.change if found else None,
                median=medians.get(kind),
            )
        )
    overall = overall_score_of(provider_id=provider.pk, month=month)
    tier = provider_tier_progress(
        provider=provider, overall_score=overall, gmv_month=previous_month()
    )
    rise = score_rise_plan(
        provider_id=provider.pk,
        month=month,
        next_tier_min_score=tier.next_tier.min_overall_score if tier.next_tier else None,
        limit=5,
    )
    rise_steps = tuple(
        RiseStepView(
            capability=str(Capability(step.capability).label),
            name=step.name,
            value=metric_value_text(step.value, units.get(step.key, "")),
            target=metric_value_text(step.target_value, units.get(step.key, "")),
            score=step.score,
            gain=step.gain,
            lower=_lower_is_target(step),
        )
        for step in (rise.steps if rise else ())
    )
    return ScoresPage(
        month=month,
        scorecard=scorecard,
        scores=score_rows(scorecard),
        radar=radar,
        trends=trends,
        explanations=tuple(explanations),
        rise=rise,
        rise_steps=rise_steps,
        tier=tier,
        type_scores=tuple(provider_type_scores(provider=provider, month=month)),
    )


# ------------------------------------------------------------------------------
# Applications
# ------------------------------------------------------------------------------
@dataclass(frozen=True)
class TimelineStep:
    status: str
    label: str
    state: str  # done, current, todo, failed
    at: datetime | None = None
    by: str = ""
    reason: str = ""


APPLICATION_PATH = (
    ApplicationStatus.DRAFT,
    ApplicationStatus.SUBMITTED,
    ApplicationStatus.PRESCREENED,
    ApplicationStatus.UNDER_REVIEW,
)


def application_timeline(*, application: Application) -> tuple[TimelineStep, ...]:
    """Every state an application passes through, those reached with when, who and why."""
    reached: dict[str, DecisionRecord] = {}
    for decision in application_decisions(application=application):
        reached[decision.to_status] = decision
    final = (
        application.status
        if application.status in (ApplicationStatus.APPROVED, ApplicationStatus.REJECTED)
        else ApplicationStatus.APPROVED
    )
    path = [*APPLICATION_PATH, final]
    position = path.index(application.status)
    steps = []
    for index, status in enumerate(path):
        decision = reached.get(status)
        if index < position:
            state = "done"
        elif index == position:
            state = (
                "failed"
                if status == ApplicationStatus.REJECTED
                else ("done" if status == ApplicationStatus.APPROVED else "current")
            )
        else:
            state = "todo"
        steps.append(
            TimelineStep(
                status=status,
                label=str(ApplicationStatus(status).label),
                state=state,
                at=decision.decided_at
                if decision
                else (application.created_at if status == ApplicationStatus.DRAFT else None),
                by=decision.decided_by_label if decision else "",
                reason=decision.reason if decision else "",
            )
        )
    return tuple(steps)


def application_editable_by(application: Application, user) -> bool:
    """The applicant who filed it, or the owner of the provider it belongs to, edits a draft."""
    if application.status != ApplicationStatus.DRAFT:
        return False
    if application.applicant_id == user.pk:
        return True
    return bool(
        application.provider_id
        and Membership.objects.filter(
            user=user, provider_id=application.provider_id, role=MembershipRole.OWNER
        ).exists()
    )


def applications_of_user(*, user) -> QuerySet[Application]:
    return (
        applications_for_user(user=user)
        .prefetch_related("provider_types")
        .order_by("-created_at", "-id")
    )


# ------------------------------------------------------------------------------
# Lifecycle, appeals and rectification
# ------------------------------------------------------------------------------
def provider_appeals(*, provider: Provider) -> QuerySet[Appeal]:
    return (
        Appeal.objects.filter(provider=provider)
        .select_related("decision")
        .order_by("-filed_at", "-id")
    )


def appeal_for_provider(*, provider: Provider, pk: int) -> Appeal:
    """One of the provider's appeals; any other is a 404."""
    return get_object_or_404(provider_appeals(provider=provider), pk=pk)


def appeal_outcome(*, appeal: Appeal) -> DecisionRecord | None:
    if appeal.status == AppealStatus.PENDING:
        return None
    return (
        DecisionRecord.objects.filter(
            appeal=appeal,
            action__in=(DecisionAction.APPEAL_UPHELD, DecisionAction.APPEAL_DISMISSED),
        )
        .order_by("-decided_at", "-id")
        .first()
    )


def decision_for_provider(*, provider: Provider, pk: int) -> DecisionRecord:
    """One of the provider's decisions; any other is a 404."""
    return get_object_or_404(DecisionRecord.objects.filter(provider=provider), pk=pk)


def decision_failures(decision: DecisionRecord) -> tuple[CriteriaRow, ...]:
    return tuple(
        _row_from_record(row) for row in decision.criteria_results if not row.get("passed", True)
    )


# ------------------------------------------------------------------------------
# Data uploads, allocations, team
# ------------------------------------------------------------------------------
def imports_of_provider(*, provider: Provider) -> QuerySet[MetricsImport]:
    return metrics_imports(provider=provider).order_by("-started_at", "-id")


def import_for_provider(*, provider: Provider, pk: int) -> MetricsImport:
    """One of the provider's uploads; any other is a 404."""
    return get_object_or_404(imports_of_provider(provider=provider), pk=pk)


def allocations_page(*, provider: Provider):
    return provider_allocations(provider=provider)


@dataclass(frozen=True)
class TeamPage:
    members: tuple[Membership, ...]
    invitations: tuple[Invitation, ...]


def team_page(*, provider: Provider) -> TeamPage:
    members = tuple(
        Membership.objects.filter(provider=provider)
        .select_related("user")
        .order_by("role", "created_at", "pk")
    )
    now = timezone.now()
    invitations = tuple(
        invitation
        for invitation in Invitation.objects.filter(
            provider=provider, accepted_at__isnull=True, revoked_at__isnull=True
        ).order_by("-created_at")
        if invitation.expires_at > now
    )
    return TeamPage(members=members, invitations=invitations)


def member_of_team(*, provider: Provider, pk: int) -> Membership:
    return get_object_or_404(
        Membership.objects.filter(provider=provider).select_related("user"), pk=pk
    )


def invitation_of_team(*, provider: Provider, pk: int) -> Invitation:
    return get_object_or_404(Invitation.objects.filter(provider=provider), pk=pk)


def provider_types_of(providers: Iterable[Provider]) -> dict[int, list[str]]:
    return {p.pk: [t.label for t in p.provider_types.all()] for p in providers}
