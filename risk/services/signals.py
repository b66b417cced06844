"""Raising risk signals from the rules, and their review: open → reviewing → dismissed | confirmed.

Every step writes its RiskDecision in the same transaction. Confirming records a violation
through the providers' service and proposes clawbacks of the affected months' grants; nothing
is taken back until finance acts on a proposal.
"""

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from funding.models import EntryKind, LedgerEntry
from funding.services.ledger import grant_clawback, grant_position
from notifications.services.inbox import notification_send
from providers.conflicts import conflict_refuse
from providers.models import LifecycleStatus, Provider, ViolationSource
from providers.services.violations import violation_record
from risk import rules
from risk.models import (
    ClawbackProposal,
    ClawbackStatus,
    RiskDecision,
    RiskRuleSet,
    RiskSignal,
    RuleKindChoices,
    SignalAction,
    SignalStatus,
)
from risk.selectors import provider_identities, published_rule_set, risk_panel, rule_parameters
from zaofeng.periods import add_months, format_month, previous_month

NO_PUBLISHED_RULES = _("没有已发布的风险规则版本。")
REASON_REQUIRED = _("请填写理由。")
ALREADY_DECIDED = _("该信号已由他人处理（当前状态：{status}），请刷新后查看。")
NOT_REVIEWING = _("只有核查中的信号可以说明。")
ANSWER_REQUIRED = _("请填写说明。")
ANSWER_ALREADY_GIVEN = _("这段说明已经收到，未重复提交。如需补充，请修改后再提交。")
NOT_ALLOWED = _("您没有处理风险信号的权限。")
CLAWBACK_DONE = _("该追回建议已处理。")
ONLY_FINANCE = _("只有财务可以处理追回建议。")
# Months whose grants a confirmed signal concerns: its own and the two before (a spike after a
# grant shows up to two months later).
GRANT_MONTHS_BEFORE = 2


def risk_evaluate(
    *,
    month: date,
    provider_ids=None,
    run_id: int | None = None,
    rule_set: RiskRuleSet | None = None,
    panel: rules.Panel | None = None,
) -> dict[int, list[RiskSignal]]:
    """Runs the published rules for a month over every provider's figures (the peers) and raises
    signals for provider_ids (default: all). Idempotent: a signal raised once stays as it is.

    panel: the month's figures (risk_panel) when the caller has read them already, as a run's
    batches share them; read here otherwise."""
    rule_set = rule_set or published_rule_set()
    if rule_set is None:
        raise ValidationError(str(NO_PUBLISHED_RULES))
    parameters = rule_parameters(rule_set)
    if panel is None:
        panel = risk_panel(month=month)
    index = month.year * 12 + month.month - 1
    wanted = None if provider_ids is None else list(provider_ids)
    verdicts = rules.evaluate(panel, index, parameters, only=wanted)
    if rules.RuleKind.LINKED_PROVIDERS in parameters:
        verdicts.extend(_linked_verdicts(month=month, index=index, only=wanted))
    signals = [
        _signal_of(verdict, rule_set=rule_set, month=month, run_id=run_id) for verdict in verdicts
    ]
    with transaction.atomic():
        existing = set(
            RiskSignal.objects.filter(rule_set=rule_set, month=month).values_list(
                "rule", "provider_id"
            )
        )
        new = [s for s in signals if (s.rule, s.provider_id) not in existing]
        RiskSignal.objects.bulk_create(new, ignore_conflicts=True)
        # The signals just added get their records: filtered by the few providers they concern,
        # not by the whole batch (thousands of ids in one IN list cost more than the insert).
        created = RiskSignal.objects.filter(
            rule_set=rule_set,
            month=month,
            run_id=run_id,
            decisions__isnull=True,
            provider_id__in=sorted({s.provider_id for s in new}),
        )
        _raised_records(created, rule_set)
    result: dict[int, list[RiskSignal]] = {}
    for signal in RiskSignal.objects.filter(rule_set=rule_set, month=month):
        result.setdefault(signal.provider_id, []).append(signal)
    return result


def _linked_reported(provider_ids) -> dict[int, set[int]]:
    """For each provider, the exited or banned providers its earlier link signals named."""
    reported: dict[int, set[int]] = {}
    rows = RiskSignal.objects.filter(rule=rules.RuleKind.LINKED_PROVIDERS)
    if provider_ids is not None:
        rows = rows.filter(provider_id__in=set(provider_ids))
    for provider_id, detail in rows.values_list("provider_id", "detail"):
        named = {int(p) for p in str((detail or {}).get("linked", "")).split(",") if p}
        reported.setdefault(provider_id, set()).update(named)
    return reported


def _linked_verdicts(*, month: date, index: int, only) -> list[rules.Verdict]:
    """A provider linked to one exited or banned is put on review once per provider that left:
    a link already raised (and perhaps dismissed) is not raised again every month."""
    identities = provider_identities()
    out = set(
        Provider.objects.filter(
            status__in=[LifecycleStatus.EXITED, LifecycleStatus.BANNED]
        ).values_list("pk", flat=True)
    )
    wanted = None if only is None else set(only)
    groups = [group for group in rules.linked_groups(identities) if group & out]
    candidates = {p for group in groups for p in group - out}
    if wanted is not None:
        candidates &= wanted
    reported = _linked_reported(candidates)
    already = set(
        RiskSignal.objects.filter(
            rule=rules.RuleKind.LINKED_PROVIDERS, month=month, provider_id__in=candidates
        ).values_list("provider_id", flat=True)
    )
    verdicts = []
    for group in groups:
        gone = sorted(group & out)
        for provider_id in sorted(group - out):
            if provider_id not in candidates:
                continue
            # This month's own signal stays as it is (idempotent); otherwise only news is raised.
            if provider_id not in already and set(gone) <= reported.get(provider_id, set()):
                continue
            shared = sorted(
                {
                    kind
                    for other in gone
                    for kind in rules.shared_identifiers(identities, provider_id, other)
                }
            )
            verdicts.append(
                rules.Verdict(
                    rule=rules.RuleKind.LINKED_PROVIDERS,
                    provider_id=provider_id,
                    month=index,
                    observed=len(gone),
                    peer_median=None,
                    z=None,
                    threshold=1,
                    peer_group=rules.NO_PEER_GROUP,
                    peers=len(group),
                    detail={
                        "linked": ",".join(str(p) for p in gone),
                        "group": ",".join(str(p) for p in sorted(group)),
                        "shared": ",".join(shared),
                    },
                )
            )
    return verdicts


def linked_review(*, provider_id: int) -> list[RiskSignal]:
    """Puts the providers linked to one just exited or banned on review now, not at the next
    monthly run: a signal under the published rules for the latest month with figures (the
    previous month, which the chart on its page ends on), raised once per provider that left."""
    rule_set = published_rule_set()
    if rule_set is None or rules.RuleKind.LINKED_PROVIDERS not in rule_parameters(rule_set):
        return []
    identities = provider_identities()
    group = next((g for g in rules.linked_groups(identities) if provider_id in g), None)
    if group is None:
        return []
    month = previous_month()
    return risk_evaluate_linked(month=month, rule_set=rule_set, provider_ids=sorted(group))


def risk_evaluate_linked(*, month: date, rule_set: RiskRuleSet, provider_ids) -> list[RiskSignal]:
    """Raises only the link signals of provider_ids for the month (with their decision records)."""
    index = month.year * 12 + month.month - 1
    verdicts = _linked_verdicts(month=month, index=index, only=provider_ids)
    with transaction.atomic():
        RiskSignal.objects.bulk_create(
            [
                _signal_of(verdict, rule_set=rule_set, month=month, run_id=None)
                for verdict in verdicts
            ],
            ignore_conflicts=True,
        )
        created = list(
            RiskSignal.objects.filter(
                rule_set=rule_set,
                rule=rules.RuleKind.LINKED_PROVIDERS,
                month=month,
                provider_id__in=[v.provider_id for v in verdicts],
                decisions__isnull=True,
            )
        )
        _raised_records(created, rule_set)
    return created


def _signal_of(verdict, *, rule_set, month, run_id) -> RiskSignal:
    return RiskSignal(
        rule_set=rule_set,
        rule=verdict.rule,
        provider_id=verdict.provider_id,
        month=month,
        observed=verdict.observed,
        peer_median=verdict.peer_median,
        z=verdict.z,
        threshold=verdict.threshold,
        peer_group=verdict.peer_group,
        peers=verdict.peers,
        detail=dict(verdict.detail),
        run_id=run_id,
    )


def _raised_records(signals, rule_set) -> None:
    RiskDecision.objects.bulk_create(
        RiskDecision(
            signal=signal,
            action=SignalAction.RAISED,
            to_status=SignalStatus.OPEN,
            reason=f"v{rule_set.version} {RuleKindChoices(signal.rule).label}",
            figures=_figures(signal),
        )
        for signal in signals
    )


def _figures(signal: RiskSignal) -> dict:
    return {
        "observed": str(signal.observed),
        "peer_median": None if signal.peer_median is None else str(signal.peer_median),
        "z": None if signal.z is None else str(signal.z),
        "threshold": str(signal.threshold),
        "peer_group": signal.peer_group,
        "month": format_month(signal.month),
        **signal.detail,
    }


# ----------------------------------------------------------------------------------------------
# Review
# ----------------------------------------------------------------------------------------------
def _require(by) -> None:
    if by is None or not by.has_perm("risk.change_risksignal"):
        raise PermissionDenied(str(NOT_ALLOWED))


def _step(signal, *, to, allowed_from, action, by, reason) -> RiskSignal:
    if not reason.strip():
        raise ValidationError({"reason": str(REASON_REQUIRED)})
    locked = RiskSignal.objects.select_for_update().get(pk=signal.pk)
    if locked.status not in allowed_from:
        raise ValidationError(str(ALREADY_DECIDED).format(status=locked.get_status_display()))
    # Reviewing a portfolio provider's figures is a decision on it: not for the investment role.
    conflict_refuse(user=by, provider_ids=[locked.provider_id])
    previous = locked.status
    locked.status = to
    locked.save(update_fields=["status"])
    RiskDecision.objects.create(
        signal=locked,
        action=action,
        from_status=previous,
        to_status=to,
        decided_by=by,
        decided_by_name=by.get_username(),
        reason=reason.strip(),
        figures=_figures(locked),
    )
    return locked


def signal_open(*, signal: RiskSignal, by, reason: str) -> RiskSignal:
    """Starts the review: from now on the provider sees the case and may answer."""
    _require(by)
    with transaction.atomic():
        opened = _step(
            signal,
            to=SignalStatus.REVIEWING,
            allowed_from=(SignalStatus.OPEN,),
            action=SignalAction.OPENED,
            by=by,
            reason=reason,
        )
        notification_send(
            provider=opened.provider,
            kind="risk",
            title=str(_("平台正在核查贵司 {month} 的经营数据")).format(
                month=format_month(opened.month)
            ),
            body=str(_("核查事项：{rule}。请在门户中查看数据并作出说明。")).format(
                rule=opened.get_rule_display()
            ),
            link=f"/portal/risk/{opened.pk}/",
        )
    return opened


def signal_dismiss(*, signal: RiskSignal, by, reason: str) -> RiskSignal:
    _require(by)
    with transaction.atomic():
        return _step(
            signal,
            to=SignalStatus.DISMISSED,
            allowed_from=(SignalStatus.OPEN, SignalStatus.REVIEWING),
            action=SignalAction.DISMISSED,
            by=by,
            reason=reason,
        )


def signal_confirm(
    *,
    signal: RiskSignal,
    by,
    reason: str,
    violation_kind: str,
    severity: str,
    points: int,
) -> RiskSignal:
    """Confirms a signal under review: records the violation (and so its points toward the exit
    criteria) and proposes clawbacks of the grants of the months it concerns."""
    _require(by)
    with transaction.atomic():
        confirmed = _step(
            signal,
            to=SignalStatus.CONFIRMED,
            allowed_from=(SignalStatus.REVIEWING,),
            action=SignalAction.CONFIRMED,
            by=by,
            reason=reason,
        )
        violation_record(
            provider=confirmed.provider,
            kind=violation_kind,
            severity=severity,
            points=points,
            occurred_on=confirmed.month,
            source=ViolationSource.INSPECTION,
            # The signal was reviewed against the orders before confirming: an investigation.
            confirmed=True,
            evidence=f"{confirmed.get_rule_display()} · {format_month(confirmed.month)} · {reason.strip()}",
            by=by,
        )
        grants = LedgerEntry.objects.filter(
            kind=EntryKind.GRANT,
            provider_id=confirmed.provider_id,
            pool__period_start__gte=add_months(confirmed.month, -GRANT_MONTHS_BEFORE),
            pool__period_start__lte=confirmed.month,
        ).select_related("pool")
        for grant in grants:
            net = grant_position(grant).net_granted
            if net > 0:
                ClawbackProposal.objects.get_or_create(
                    signal=confirmed, grant=grant, defaults={"amount": net}
                )
    return confirmed


def signal_answer(*, signal: RiskSignal, by, text: str) -> RiskSignal:
    """The provider's own account of the figures, while staff review them."""
    if not text.strip():
        raise ValidationError({"text": str(ANSWER_REQUIRED)})
    with transaction.atomic():
        locked = RiskSignal.objects.select_for_update().get(pk=signal.pk)
        if locked.status != SignalStatus.REVIEWING:
            raise ValidationError({"text": str(NOT_REVIEWING)})
        # Under the lock: the same answer posted twice (a double submit) is recorded once.
        if locked.provider_answer == text.strip():
            raise ValidationError({"text": str(ANSWER_ALREADY_GIVEN)})
        locked.provider_answer = text.strip()
        locked.answered_at = timezone.now()
        locked.save(update_fields=["provider_answer", "answered_at"])
        RiskDecision.objects.create(
            signal=locked,
            action=SignalAction.ANSWERED,
            from_status=locked.status,
            to_status=locked.status,
            decided_by=by,
            decided_by_name=by.get_username(),
            reason=text.strip(),
        )
    return locked


def clawback_decide(
    *, proposal: ClawbackProposal, by, execute: bool, note: str
) -> ClawbackProposal:
    """Finance claws back the proposed grant through the ledger, or declines with a note."""
    from providers.roles import Role, user_roles

    if by is None or Role.FINANCE not in user_roles(by):
        raise PermissionDenied(str(ONLY_FINANCE))
    if not note.strip():
        raise ValidationError({"note": str(REASON_REQUIRED)})
    with transaction.atomic():
        locked = ClawbackProposal.objects.select_for_update().get(pk=proposal.pk)
        if locked.status != ClawbackStatus.PROPOSED:
            raise ValidationError(str(CLAWBACK_DONE))
        conflict_refuse(user=by, provider_ids=[locked.grant.provider_id])
        if execute:
            locked.clawback = grant_clawback(
                grant=locked.grant,
                amount=locked.amount,
                by=by,
                reason=note.strip(),
                key=f"risk-clawback-{locked.pk}",
            )
            locked.status = ClawbackStatus.EXECUTED
        else:
            locked.status = ClawbackStatus.DECLINED
        locked.decided_by, locked.decided_at, locked.note = by, timezone.now(), note.strip()
        locked.save(update_fields=["clawback", "status", "decided_by", "decided_at", "note"])
    return locked
