"""Providers as staff read them: the filtered list, and one provider's whole story on a timeline."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal

from django.db.models import (
    BigIntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _

from funding.models import (
    TIER_1B,
    TIER_100M,
    EntryKind,
    LedgerEntry,
    PendingDemotion,
    PendingDemotionStatus,
    PoolKind,
    Tier,
    TierMembership,
)
from funding.selectors import DEFAULT_THRESHOLDS
from providers.access import ProviderScope, staff_rows_visible_to
from providers.models import (
    DecisionAction,
    DecisionRecord,
    Membership,
    Provider,
    RectificationPlan,
    ServiceContract,
    Violation,
)
from scoring.models import ProviderMonth, Score, ScoreKind
from scoring.selectors import latest_published_scoring_model, overall_score_subquery
from zaofeng.money import format_count_cn, format_fen_cn
from zaofeng.periods import format_month, month_end, month_start

# ------------------------------------------------------------------------------
# The list
# ------------------------------------------------------------------------------


class Threshold:
    AT_1B = "1b"
    AT_100M = "100m"
    CHOICES = ((AT_1B, _("≥ ¥10亿")), (AT_100M, _("≥ ¥1亿")))


class Ordering:
    CODE = "code"
    GMV = "-gmv"
    CHOICES = ((CODE, _("按编号")), (GMV, _("按近12个月净成交额（高→低）")))


@dataclass(frozen=True)
class ProviderFilters:
    q: str = ""
    region: str = ""
    provider_type: str = ""
    status: str = ""
    tier: str = ""
    threshold: str = ""
    ordering: str = Ordering.CODE


def trailing_gmv_subquery(month: date) -> Subquery:
    """The provider's trailing net GMV at month, from the provider-month rollup."""
    row = ProviderMonth.objects.filter(provider=OuterRef("pk"), month=month_start(month))
    return Subquery(row.values("trailing_net_gmv_fen")[:1], output_field=BigIntegerField())


def providers_list(*, scope: ProviderScope, month: date, filters: ProviderFilters) -> QuerySet:
    """Providers in scope with their trailing net GMV at month, current tier and overall score.

    The figures are correlated subqueries: a page of the list computes them for its own rows
    only; filtering or ordering by GMV computes them once per provider in the scope.
    """
    tier = TierMembership.objects.filter(provider=OuterRef("pk"), ended_on__isnull=True)
    providers = (
        staff_rows_visible_to(
            Provider.objects.all(), user=None, scope=scope, region_lookups=("region",)
        )
        .select_related("region")
        .prefetch_related("provider_types")
        .annotate(
            gmv=Coalesce(trailing_gmv_subquery(month), Value(0), output_field=BigIntegerField()),
            tier_name=Subquery(tier.values("tier__name")[:1]),
            tier_name_en=Subquery(tier.values("tier__name_en")[:1]),
            tier_code=Subquery(tier.values("tier__code")[:1]),
            overall_score=overall_score_subquery(month),
        )
    )
    if filters.q:
        providers = providers.filter(
            Q(code__icontains=filters.q)
            | Q(name__icontains=filters.q)
            | Q(legal_name__icontains=filters.q)
            | Q(credit_code__iexact=filters.q)
        )
    if filters.region:
        providers = providers.filter(region__code=filters.region)
    if filters.provider_type:
        providers = providers.filter(provider_types__code=filters.provider_type)
    if filters.status:
        providers = providers.filter(status=filters.status)
    if filters.tier:
        providers = providers.filter(
            tier_memberships__ended_on__isnull=True, tier_memberships__tier__code=filters.tier
        )
    if filters.threshold:
        thresholds = _thresholds()
        code = TIER_1B if filters.threshold == Threshold.AT_1B else TIER_100M
        providers = providers.filter(gmv__gte=thresholds[code])
    order = ["-gmv", "code"] if filters.ordering == Ordering.GMV else ["code"]
    return providers.order_by(*order)


def _thresholds() -> dict[str, int]:
    thresholds = dict(DEFAULT_THRESHOLDS)
    thresholds.update(
        Tier.objects.filter(code__in=[TIER_1B, TIER_100M]).values_list("code", "threshold_fen")
    )
    return thresholds


# ------------------------------------------------------------------------------
# The timeline
# ------------------------------------------------------------------------------


class Category:
    APPLICATION = "application"
    LIFECYCLE = "lifecycle"
    APPEAL = "appeal"
    TIER = "tier"
    SCORE = "score"
    ALLOCATION = "allocation"
    VIOLATION = "violation"
    RECTIFICATION = "rectification"
    CHANGE = "change"


CATEGORY_LABELS = {
    Category.APPLICATION: _("入驻申请"),
    Category.LIFECYCLE: _("生命周期"),
    Category.APPEAL: _("申诉"),
    Category.TIER: _("层级"),
    Category.SCORE: _("评分"),
    Category.ALLOCATION: _("资源分配"),
    Category.VIOLATION: _("违规"),
    Category.RECTIFICATION: _("整改"),
    Category.CHANGE: _("资料变更"),
}

APPLICATION_ACTIONS = {
    DecisionAction.APPLICATION_SUBMITTED,
    DecisionAction.APPLICATION_PRESCREENED,
    DecisionAction.APPLICATION_REVIEW_STARTED,
    DecisionAction.APPLICATION_APPROVED,
    DecisionAction.APPLICATION_REJECTED,
}
APPEAL_ACTIONS = {
    DecisionAction.APPEAL_FILED,
    DecisionAction.APPEAL_UPHELD,
    DecisionAction.APPEAL_DISMISSED,
    DecisionAction.APPEAL_WINDOW_CLOSED,
}
# Fields the lifecycle services change beside the status; their decision record tells the
# story with its reason, so a history entry that changed nothing else is left out.
LIFECYCLE_FIELDS = {
    "status",
    "status_changed_at",
    "joined_on",
    "probation_ends_on",
    "rectification_due_on",
    "updated_at",
}
SCORE_MONTHS_SHOWN = 24
SYSTEM = _("系统")


@dataclass(frozen=True)
class TimelineEntry:
    """One event in a provider's story: when, what, who decided, why, and the figures."""

    at: datetime
    category: str
    title: str
    by: str = ""
    reason: str = ""
    details: tuple[str, ...] = field(default_factory=tuple)
    period: str = ""  # a month, for monthly records (scores, tier reviews)

    @property
    def category_label(self) -> str:
        return str(CATEGORY_LABELS[self.category])


def _month_end(month: date) -> datetime:
    """Monthly records (scores, tier changes) stand at the end of the month they are about."""
    return timezone.make_aware(datetime.combine(month_end(month), time(23, 59)))


def _day(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(0, 0)))


def _user_label(user) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


def _failed_criteria(results: Iterable[dict]) -> tuple[str, ...]:
    return tuple(
        _g("未达标：%(sentence)s（实际 %(observed)s，要求 %(threshold)s）")
        % {
            "sentence": row.get("sentence", row.get("input_name", "")),
            "observed": row.get("observed_display", ""),
            "threshold": row.get("threshold_display", ""),
        }
        for row in results
        if not row.get("passed", True)
    )


def _decision_entries(provider: Provider) -> list[TimelineEntry]:
    records = (
        DecisionRecord.objects.filter(Q(provider=provider) | Q(application__provider=provider))
        .select_related("application")
        .order_by("decided_at", "id")
    )
    entries = []
    for record in records:
        if record.action in APPLICATION_ACTIONS:
            category = Category.APPLICATION
        elif record.action in APPEAL_ACTIONS:
            category = Category.APPEAL
        else:
            category = Category.LIFECYCLE
        title = record.get_action_display()
        if record.from_status != record.to_status:
            title = _g("%(title)s（%(from)s → %(to)s）") % {
                "title": title,
                "from": record.from_label,
                "to": record.to_label,
            }
        details = []
        if record.application_id:
            details.append(_g("申请编号 %(number)s") % {"number": record.application.number})
        if record.month:
            details.append(_g("评估月份 %(month)s") % {"month": format_month(record.month)})
        details.extend(_failed_criteria(record.criteria_results))
        entries.append(
            TimelineEntry(
                at=record.decided_at,
                category=category,
                title=title,
                by=record.decided_by_label,
                reason=record.reason,
                details=tuple(details),
            )
        )
    return entries


def _tier_entries(provider: Provider) -> list[TimelineEntry]:
    entries = []
    for change in provider.tier_changes.select_related("from_tier", "to_tier", "decided_by"):
        by = _user_label(change.decided_by) or (
            _g("评估任务 #%(run)s") % {"run": change.run_id} if change.run_id else str(SYSTEM)
        )
        entries.append(
            TimelineEntry(
                at=_month_end(change.month),
                category=Category.TIER,
                title=_g("%(kind)s：%(from)s → %(to)s")
                % {
                    "kind": change.get_kind_display(),
                    "from": change.from_tier.label if change.from_tier else _g("无层级"),
                    "to": change.to_tier.label if change.to_tier else _g("无层级"),
                },
                by=by,
                reason=change.reason,
                details=(
                    _g("近12个月净成交额 %(gmv)s，综合评分 %(score)s")
                    % {
                        "gmv": format_fen_cn(change.trailing_net_gmv_fen),
                        "score": change.overall_score if change.overall_score is not None else "—",
                    },
                ),
                period=format_month(change.month),
            )
        )
    pending = PendingDemotion.objects.filter(provider=provider).select_related(
        "from_tier", "to_tier", "decided_by"
    )
    for item in pending:
        target = item.to_tier or _g("无层级")
        entries.append(
            TimelineEntry(
                at=_month_end(item.month),
                category=Category.TIER,
                title=_g("待确认降级：%(from)s → %(to)s") % {"from": item.from_tier, "to": target},
                by=str(SYSTEM),
                reason=item.reason,
                period=format_month(item.month),
            )
        )
        if item.status != PendingDemotionStatus.PENDING and item.decided_at:
            entries.append(
                TimelineEntry(
                    at=item.decided_at,
                    category=Category.TIER,
                    title=_g("降级处理：%(status)s") % {"status": item.get_status_display()},
                    by=_user_label(item.decided_by) or str(SYSTEM),
                    reason=item.decision_note,
                )
            )
    return entries


def _score_entries(provider: Provider) -> list[TimelineEntry]:
    model = latest_published_scoring_model()
    if model is None:
        return []
    rows = Score.objects.filter(provider=provider, scoring_model=model).order_by("-month", "kind")
    months: dict[date, dict[str, Decimal]] = {}
    for month, kind, value in rows.values_list("month", "kind", "value"):
        if month not in months and len(months) >= SCORE_MONTHS_SHOWN:
            break
        months.setdefault(month, {})[kind] = value
    labels = dict(ScoreKind.choices)
    entries = []
    for month, values in months.items():
        overall = values.get(ScoreKind.OVERALL)
        entries.append(
            TimelineEntry(
                at=_month_end(month),
                category=Category.SCORE,
                title=_g("综合评分 %(score)s（评分模型 v%(version)s）")
                % {"score": overall if overall is not None else "—", "version": model.version},
                by=str(SYSTEM),
                details=(
                    " · ".join(
                        f"{label} {values[kind]}"
                        for kind, label in labels.items()
                        if kind != ScoreKind.OVERALL and kind in values
                    ),
                ),
                period=format_month(month),
            )
        )
    return entries


def _ledger_entries(provider: Provider) -> list[TimelineEntry]:
    entries = []
    for entry in LedgerEntry.objects.filter(provider=provider).select_related(
        "pool", "tier", "created_by"
    ):
        amount = (
            format_fen_cn(entry.amount)
            if entry.pool.kind == PoolKind.FUND
            else _g("%(count)s 曝光") % {"count": format_count_cn(entry.amount)}
        )
        entries.append(
            TimelineEntry(
                at=entry.created_at,
                category=Category.ALLOCATION,
                title=_g("%(kind)s %(amount)s · %(pool)s")
                % {"kind": entry.get_kind_display(), "amount": amount, "pool": entry.pool},
                by=_user_label(entry.created_by) or str(SYSTEM),
                reason=entry.reason,
                details=(_g("层级：%(tier)s") % {"tier": entry.tier},) if entry.tier else (),
            )
        )
    return entries


def _violation_entries(provider: Provider) -> list[TimelineEntry]:
    entries = []
    for violation in provider.violations.select_related("recorded_by", "revocation"):
        details = [
            _g("严重程度 %(severity)s，扣 %(points)s 分，来源 %(source)s")
            % {
                "severity": violation.get_severity_display(),
                "points": violation.points,
                "source": violation.get_source_display(),
            }
        ]
        revocation = getattr(violation, "revocation", None)
        if revocation is not None:
            details.append(
                _g("已因申诉成立撤销（%(date)s）")
                % {"date": timezone.localtime(revocation.revoked_at).date()}
            )
        entries.append(
            TimelineEntry(
                at=_day(violation.occurred_on),
                category=Category.VIOLATION,
                title=_g("违规：%(kind)s") % {"kind": violation.get_kind_display()},
                by=_user_label(violation.recorded_by) or str(SYSTEM),
                reason=violation.evidence,
                details=tuple(details),
            )
        )
    return entries


def _plan_entries(provider: Provider) -> list[TimelineEntry]:
    entries = []
    plans = RectificationPlan.objects.filter(provider=provider).select_related(
        "submitted_by", "reviewed_by"
    )
    for plan in plans:
        entries.append(
            TimelineEntry(
                at=plan.submitted_at,
                category=Category.RECTIFICATION,
                title=_g("提交整改计划"),
                by=_user_label(plan.submitted_by),
                reason=plan.content,
            )
        )
        if plan.reviewed_at:
            entries.append(
                TimelineEntry(
                    at=plan.reviewed_at,
                    category=Category.RECTIFICATION,
                    title=_g("整改计划：%(status)s") % {"status": plan.get_status_display()},
                    by=_user_label(plan.reviewed_by),
                    reason=plan.review_note,
                )
            )
    return entries


def _field_label(model, name: str) -> str:
    try:
        return str(model._meta.get_field(name).verbose_name)
    except Exception:  # noqa: BLE001 - a field since removed keeps its name
        return name


def _value_label(model, name: str, value) -> str:
    """A changed value as staff read it: a related row by its name, a choice by its label."""
    if value in (None, ""):
        return "—"
    try:
        model_field = model._meta.get_field(name)
    except Exception:  # noqa: BLE001 - a field since removed keeps its raw value
        return str(value)
    if model_field.is_relation and model_field.related_model is not None:
        related = model_field.related_model._default_manager.filter(pk=value).first()
        return str(related) if related is not None else str(value)
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    return str(value)


def _history_entries(
    records, *, subject: str, skip_fields=frozenset(), include_created: bool = True
) -> list[TimelineEntry]:
    """Audit history (django-simple-history) as entries: each change with who, why and the
    fields it changed, from what to what."""
    entries = []
    previous = {}
    for record in records:
        earlier = previous.get(record.id)
        previous[record.id] = record
        changes: tuple[str, ...] = ()
        if record.history_type == "+":
            if not include_created:
                continue
            title = _g("新增%(subject)s") % {"subject": subject}
        elif record.history_type == "-":
            title = _g("删除%(subject)s") % {"subject": subject}
        else:
            if earlier is None:
                continue
            model = record.instance_type
            changed = [
                c for c in record.diff_against(earlier).changes if c.field not in skip_fields
            ]
            if not changed:
                continue
            title = _g("修改%(subject)s") % {"subject": subject}
            changes = tuple(
                _g("%(field)s：%(old)s → %(new)s")
                % {
                    "field": _field_label(model, c.field),
                    "old": _value_label(model, c.field, c.old),
                    "new": _value_label(model, c.field, c.new),
                }
                for c in changed
            )
        entries.append(
            TimelineEntry(
                at=record.history_date,
                category=Category.CHANGE,
                title=title,
                by=_user_label(record.history_user) or str(SYSTEM),
                reason=record.history_change_reason or "",
                details=changes,
            )
        )
    return entries


def _audit_entries(provider: Provider) -> list[TimelineEntry]:
    # The provider's own creation is its application's approval (or the registry's import), and
    # a violation's recording is its own entry: from these two, only later changes.
    sources = (
        (Provider, provider.history.all(), LIFECYCLE_FIELDS, False),
        (ServiceContract, ServiceContract.history.filter(provider_id=provider.pk), (), True),
        (Membership, Membership.history.filter(provider_id=provider.pk), (), True),
        (Violation, Violation.history.filter(provider_id=provider.pk), (), False),
    )
    entries = []
    for model, records, skip, created in sources:
        entries.extend(
            _history_entries(
                records.select_related("history_user").order_by("history_date", "history_id"),
                subject=str(model._meta.verbose_name),
                skip_fields=frozenset(skip),
                include_created=created,
            )
        )
    return entries


def provider_timeline(*, provider: Provider) -> list[TimelineEntry]:
    """The provider's whole story, newest first: application and decisions, tier changes, scores,
    allocations, violations, appeals, rectification and every audited change to its data."""
    entries = [
        *_decision_entries(provider),
        *_tier_entries(provider),
        *_score_entries(provider),
        *_ledger_entries(provider),
        *_violation_entries(provider),
        *_plan_entries(provider),
        *_audit_entries(provider),
    ]
    order = list(CATEGORY_LABELS)
    return sorted(entries, key=lambda e: (e.at, -order.index(e.category)), reverse=True)


def provider_allocation_totals(*, provider: Provider) -> dict[str, int]:
    """Funds granted (net of clawbacks) and paid, and impressions granted, to a provider."""
    signed = {
        EntryKind.GRANT: 1,
        EntryKind.CLAWBACK: -1,
    }
    totals = {"fund_granted": 0, "fund_paid": 0, "impressions_granted": 0}
    rows = (
        LedgerEntry.objects.filter(provider=provider)
        .values("pool__kind", "kind")
        .annotate(total=Sum("amount"))
        .values_list("pool__kind", "kind", "total")
        .order_by()
    )
    for pool_kind, kind, total in rows:
        if kind in signed:
            key = "fund_granted" if pool_kind == PoolKind.FUND else "impressions_granted"
            totals[key] += signed[kind] * int(total)
        elif kind == EntryKind.DISBURSEMENT:
            totals["fund_paid"] += int(total)
    return totals
