"""Tier review at the period close, and the program admin's decision on pending demotions."""

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from funding.locks import memberships_lock, providers_lock
from funding.models import (
    PendingDemotion,
    PendingDemotionStatus,
    Tier,
    TierAssessment,
    TierChange,
    TierChangeKind,
    TierMembership,
    TierVerdict,
)
from funding.tiering import REMOVED_STATUSES, TierRule, tier_decide
from providers.conflicts import conflict_refuse
from providers.models import LifecycleStatus, Provider
from providers.roles import Role, user_roles
from scoring.selectors import (
    latest_published_scoring_model,
    newest_overall_scores_of_month,
    trailing_net_gmv_fen,
)
from zaofeng.money import format_fen_cn
from zaofeng.readcache import read_version_bump

MONTH_NOT_FIRST_DAY = _("评审月份须为当月第一天。")
ONLY_PROGRAM_ADMIN = _("只有项目管理员可以处理待确认降级。")
PENDING_NOT_OPEN = _("该待确认降级已处理，不能重复处理。")
PENDING_TIER_CHANGED = _("服务商当前层级已不是该降级申请的原层级，请重新评审。")
NOTE_REQUIRED = _("请填写驳回原因。")
CANCELLED_RECOVERED = _("{month} 评审时已恢复达标或层级已变化，自动撤销。")
CONFIRMED_REASON = _("项目管理员确认降级：{reason}")
BATCH_SIZE = 2_000

_CHANGE_KIND = {
    TierVerdict.ENTERED: TierChangeKind.ENTERED,
    TierVerdict.PROMOTED: TierChangeKind.PROMOTED,
    TierVerdict.DEMOTED: TierChangeKind.DEMOTED,
    TierVerdict.REMOVED: TierChangeKind.REMOVED,
}


@dataclass(frozen=True)
class TierReviewOutcome:
    """What one call of tier_review did."""

    month: date
    reviewed: int
    skipped: int
    verdicts: Mapping[str, int] = field(default_factory=dict)
    changes: int = 0
    pending_created: int = 0

    def count(self, verdict: str) -> int:
        return self.verdicts.get(verdict, 0)


def tier_rules(tiers: Iterable[Tier] | None = None) -> list[TierRule]:
    tiers = Tier.objects.filter(is_active=True) if tiers is None else tiers
    return [_rule(tier) for tier in tiers]


def _rule(tier: Tier) -> TierRule:
    return TierRule(
        id=tier.pk,
        code=tier.code,
        name=tier.name,
        rank=tier.rank,
        threshold_fen=tier.threshold_fen,
        min_overall_score=tier.min_overall_score,
        needs_confirmation=tier.demotion_needs_confirmation,
    )


def _figures(rule: TierRule | None, decision, *, score_checked: bool) -> dict:
    return {
        "threshold_fen": rule.threshold_fen if rule else None,
        "min_overall_score": str(rule.min_overall_score) if rule else None,
        "qualified_tier": decision.qualified.code if decision.qualified else None,
        "periods_below": decision.periods_below,
        "score_checked": score_checked,
    }


def tier_review(
    *,
    month: date,
    provider_ids: Iterable[int] | None = None,
    run_id: int | None = None,
    by=None,
) -> TierReviewOutcome:
    """Places providers in tiers for the period that closed with month.

    Idempotent for the same month: a provider already reviewed for month (or a later month) is
    skipped. Applicants are never placed; exited and banned providers leave their tier. Every
    change is written with its reason and figures in the same transaction.
    """
    if month.day != 1:
        raise ValidationError({"month": MONTH_NOT_FIRST_DAY})
    rules = tier_rules()
    rules_by_id = {rule.id: rule for rule in rules}
    status_labels = dict(LifecycleStatus.choices)

    with transaction.atomic():
        candidates = Provider.objects.exclude(status=LifecycleStatus.APPLICANT)
        if provider_ids is not None:
            candidates = candidates.filter(pk__in=list(provider_ids))
        ids = providers_lock(candidates.values_list("pk", flat=True))
        already = set(
            TierAssessment.objects.filter(provider_id__in=ids, month__gte=month).values_list(
                "provider_id", flat=True
            )
        )
        ids = [pk for pk in ids if pk not in already]
        statuses = dict(Provider.objects.filter(pk__in=ids).values_list("pk", "status"))
        memberships = memberships_lock(ids)
        open_pending = {
            pending.provider_id: pending
            for pending in PendingDemotion.objects.select_for_update().filter(
                provider_id__in=ids, status=PendingDemotionStatus.PENDING
            )
        }
        gmv = trailing_net_gmv_fen(month=month, provider_ids=ids)
        # Scores are checked once any version is published; each month's score is that of the
        # newest published version that scored it, so publishing v2 before rescoring keeps v1's.
        score_checked = latest_published_scoring_model() is not None
        scores = (
            newest_overall_scores_of_month(month=month, provider_ids=ids) if score_checked else {}
        )

        assessments: list[TierAssessment] = []
        changes: list[TierChange] = []
        ended: list[TierMembership] = []
        started: list[TierMembership] = []
        below_changed: list[TierMembership] = []
        pending_new: list[PendingDemotion] = []
        pending_updated: list[PendingDemotion] = []
        pending_cancelled: list[PendingDemotion] = []
        verdicts: Counter[str] = Counter()

        for provider_id in ids:
            status = statuses[provider_id]
            membership = memberships.get(provider_id)
            if status in REMOVED_STATUSES and membership is None:
                continue
            current = rules_by_id.get(membership.tier_id) if membership else None
            if membership is not None and current is None:
                # The tier was switched off in the admin: review as if entering afresh.
                current = _rule(membership.tier)
            decision = tier_decide(
                tiers=rules,
                current=current,
                periods_below=membership.periods_below if membership else 0,
                gmv_fen=gmv.get(provider_id, 0),
                score=scores.get(provider_id),
                score_checked=score_checked,
                status=status,
                status_label=str(status_labels.get(status, status)),
            )
            verdicts[decision.verdict] += 1
            score = scores.get(provider_id)
            assessments.append(
                TierAssessment(
                    provider_id=provider_id,
                    month=month,
                    trailing_net_gmv_fen=gmv.get(provider_id, 0),
                    overall_score=score,
                    score_checked=score_checked,
                    qualified_tier_id=decision.qualified.id if decision.qualified else None,
                    tier_before_id=current.id if current else None,
                    tier_after_id=decision.tier_after.id if decision.tier_after else None,
                    periods_below=decision.periods_below,
                    verdict=decision.verdict,
                    reason=decision.reason,
                    run_id=run_id,
                )
            )
            if decision.changes_tier:
                if membership is not None:
                    membership.ended_on = month
                    ended.append(membership)
                if decision.tier_after is not None:
                    started.append(
                        TierMembership(
                            provider_id=provider_id,
                            tier_id=decision.tier_after.id,
                            started_on=month,
                        )
                    )
                changes.append(
                    TierChange(
                        provider_id=provider_id,
                        month=month,
                        kind=_CHANGE_KIND[TierVerdict(decision.verdict)],
                        from_tier_id=current.id if current else None,
                        to_tier_id=decision.tier_after.id if decision.tier_after else None,
                        reason=decision.reason,
                        trailing_net_gmv_fen=gmv.get(provider_id, 0),
                        overall_score=score,
                        figures=_figures(
                            decision.tier_after or current, decision, score_checked=score_checked
                        ),
                        decided_by=by,
                        run_id=run_id,
                    )
                )
            elif membership is not None and membership.periods_below != decision.periods_below:
                membership.periods_below = decision.periods_below
                below_changed.append(membership)

            pending = open_pending.get(provider_id)
            if decision.verdict == TierVerdict.PENDING_DEMOTION:
                fields = {
                    "month": month,
                    "to_tier_id": decision.target.id if decision.target else None,
                    "trailing_net_gmv_fen": gmv.get(provider_id, 0),
                    "overall_score": score,
                    "periods_below": decision.periods_below,
                    "reason": decision.reason,
                }
                if pending is None:
                    pending_new.append(
                        PendingDemotion(provider_id=provider_id, from_tier_id=current.id, **fields)
                    )
                else:
                    for name, value in fields.items():
                        setattr(pending, name, value)
                    pending_updated.append(pending)
            elif pending is not None and decision.verdict != TierVerdict.HELD_BELOW:
                pending.status = PendingDemotionStatus.CANCELLED
                pending.decided_at = timezone.now()
                pending.decision_note = str(CANCELLED_RECOVERED).format(month=f"{month:%Y-%m}")
                pending_cancelled.append(pending)

        TierAssessment.objects.bulk_create(assessments, batch_size=BATCH_SIZE)
        TierMembership.objects.bulk_update(ended, ["ended_on"], batch_size=BATCH_SIZE)
        TierMembership.objects.bulk_update(below_changed, ["periods_below"], batch_size=BATCH_SIZE)
        TierMembership.objects.bulk_create(started, batch_size=BATCH_SIZE)
        TierChange.objects.bulk_create(changes, batch_size=BATCH_SIZE)
        PendingDemotion.objects.bulk_update(
            pending_cancelled, ["status", "decided_at", "decision_note"]
        )
        PendingDemotion.objects.bulk_update(
            pending_updated,
            [
                "month",
                "to_tier_id",
                "trailing_net_gmv_fen",
                "overall_score",
                "periods_below",
                "reason",
            ],
        )
        PendingDemotion.objects.bulk_create(pending_new)

    return TierReviewOutcome(
        month=month,
        reviewed=len(assessments),
        skipped=len(already),
        verdicts=dict(verdicts),
        changes=len(changes),
        pending_created=len(pending_new),
    )


def _require_program_admin(by) -> None:
    if by is None or Role.PROGRAM_ADMIN not in user_roles(by):
        raise PermissionDenied(str(ONLY_PROGRAM_ADMIN))


def _pending_locked(pending: PendingDemotion) -> tuple[PendingDemotion, TierMembership | None]:
    locked = PendingDemotion.objects.select_for_update().get(pk=pending.pk)
    if locked.status != PendingDemotionStatus.PENDING:
        raise ValidationError({"status": PENDING_NOT_OPEN})
    membership = memberships_lock([locked.provider_id]).get(locked.provider_id)
    if membership is None or membership.tier_id != locked.from_tier_id:
        raise ValidationError({"from_tier": PENDING_TIER_CHANGED})
    return locked, membership


def demotion_confirm(*, pending: PendingDemotion, by, note: str = "") -> TierChange:
    """A program admin confirms a pending demotion: the provider moves to the proposed tier.

    The change takes effect from the provider's latest reviewed month, so that no month already
    reviewed is rewritten.
    """
    _require_program_admin(by)
    with transaction.atomic():
        locked, membership = _pending_locked(pending)
        conflict_refuse(user=by, provider_ids=[locked.provider_id])
        latest = (
            TierAssessment.objects.filter(provider_id=locked.provider_id)
            .order_by("-month")
            .values_list("month", flat=True)
            .first()
        )
        effective = max(filter(None, [locked.month, latest, membership.started_on]))
        membership.ended_on = effective
        membership.save(update_fields=["ended_on"])
        if locked.to_tier_id is not None:
            TierMembership.objects.create(
                provider_id=locked.provider_id, tier_id=locked.to_tier_id, started_on=effective
            )
        # The provider's tier is part of cached answers (the portal home, the dashboard).
        read_version_bump()
        locked.status = PendingDemotionStatus.CONFIRMED
        locked.decided_by = by
        locked.decided_at = timezone.now()
        locked.decision_note = note
        locked.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
        from_tier = locked.from_tier
        return TierChange.objects.create(
            provider_id=locked.provider_id,
            month=effective,
            kind=TierChangeKind.DEMOTION_CONFIRMED,
            from_tier=from_tier,
            to_tier_id=locked.to_tier_id,
            reason=str(CONFIRMED_REASON).format(reason=locked.reason)
            + (f" {note}" if note else ""),
            trailing_net_gmv_fen=locked.trailing_net_gmv_fen,
            overall_score=locked.overall_score,
            figures={
                "threshold_fen": from_tier.threshold_fen,
                "threshold": format_fen_cn(from_tier.threshold_fen),
                "min_overall_score": str(from_tier.min_overall_score),
                "periods_below": locked.periods_below,
                "pending_demotion_id": locked.pk,
                "review_month": f"{locked.month:%Y-%m}",
            },
            decided_by=by,
        )


def demotion_reject(*, pending: PendingDemotion, by, note: str) -> PendingDemotion:
    """A program admin keeps the provider in its tier; the count of periods below starts again."""
    _require_program_admin(by)
    if not note.strip():
        raise ValidationError({"decision_note": NOTE_REQUIRED})
    with transaction.atomic():
        locked, membership = _pending_locked(pending)
        # Keeping a portfolio provider in its tier keeps its budget: the investment role may not.
        conflict_refuse(user=by, provider_ids=[locked.provider_id])
        membership.periods_below = 0
        membership.save(update_fields=["periods_below"])
        locked.status = PendingDemotionStatus.REJECTED
        locked.decided_by = by
        locked.decided_at = timezone.now()
        locked.decision_note = note
        locked.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    return locked
