"""Moving a deal through its stages. Every move locks the deal (after its fund, when capacity is
involved) and writes its decision record in the same transaction."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from investments.locks import deal_lock
from investments.models import ENDS, HELD, PIPELINE, Deal, DealAction, Fund, Stage
from investments.services.records import (
    deal_decision_record,
    deal_stage_move,
    portfolio_sync,
    require_permission,
    require_reason,
)
from providers.models import IN_PROGRAM, Provider

AMOUNT_POSITIVE = _("金额须大于零。")
PROVIDER_NOT_IN_PROGRAM = _("只能对项目内的服务商立项（当前状态：%(status)s）。")
ALREADY_OPEN = _("该服务商在本基金已有进行中的投资项目。")
ALREADY_EXITED = _("本基金已投资并退出该服务商，不再对其新立项。")
DEAL_ENDED = _("投资项目已结束（%(stage)s），不能再变更。")
ADVANCE_REFUSED = _("“%(stage)s”阶段不能直接推进，请通过%(how)s完成。")
HOW = {
    Stage.COMMITTEE: _("投委会表决"),
    Stage.TERM_SHEET: _("签署投资条款"),
    Stage.CLOSING: _("交割"),
    Stage.EXITED: _("记录退出现金流"),
}
STALE_STAGE = _("该项目已处于“%(stage)s”阶段，请刷新页面查看最新状态。")
INVESTMENT_PERIOD_OVER = _(
    "%(fund)s 的投资期已于 %(day)s 结束：不再新立项或批准新的投资（已投项目的跟投不受影响）。"
)

# Stages a deal reaches by a plain advance, from the one before; later ones need their service.
PLAIN_ADVANCE = {
    Stage.SOURCED: Stage.SCREENING,
    Stage.SCREENING: Stage.DUE_DILIGENCE,
}


def investment_period_require(fund: Fund) -> None:
    """A fund makes new investments only within its investment period; after it, only the
    follow-ons of what it holds (round_record)."""
    if timezone.localdate() > fund.investment_period_ends_on:
        raise ValidationError(
            {
                "fund": INVESTMENT_PERIOD_OVER
                % {"fund": fund.name, "day": fund.investment_period_ends_on.isoformat()}
            }
        )


def deal_source(
    *, fund: Fund, provider: Provider, requested_amount_fen: int, thesis: str = "", by
) -> Deal:
    """Opens a deal on a provider of the program within the fund's investment period; one open
    deal per provider and fund."""
    require_permission(by, "investments.add_deal")
    investment_period_require(fund)
    if requested_amount_fen is None or requested_amount_fen <= 0:
        raise ValidationError({"requested_amount_fen": AMOUNT_POSITIVE})
    if provider.status not in IN_PROGRAM:
        raise ValidationError(
            {"provider": PROVIDER_NOT_IN_PROGRAM % {"status": provider.get_status_display()}}
        )
    # An exited deal keeps its (fund, provider) place: the one-deal rule counts every deal that
    # was not passed or withdrawn. Said plainly here rather than as "in progress".
    if Deal.objects.filter(fund=fund, provider=provider, stage=Stage.EXITED).exists():
        raise ValidationError({"provider": ALREADY_EXITED})
    now = timezone.now()
    try:
        with transaction.atomic():
            deal = Deal.objects.create(
                fund=fund,
                provider=provider,
                stage=Stage.SOURCED,
                stage_changed_at=now,
                requested_amount_fen=requested_amount_fen,
                thesis=thesis,
                created_by=by,
                created_at=now,
            )
            deal_decision_record(
                deal=deal,
                action=DealAction.SOURCE,
                from_stage="",
                reason=thesis.strip() or str(DealAction.SOURCE.label),
                by=by,
                figures={"requested_amount_fen": requested_amount_fen},
            )
    except IntegrityError as exc:
        if "deal_one_open_per_fund_provider" in str(exc) or "investments_deal" in str(exc):
            raise ValidationError({"provider": ALREADY_OPEN}) from exc
        raise
    return deal


def _check_expected(deal: Deal, expected: str | None) -> None:
    """A form names the stage it was shown at; a second submit after a move is refused plainly."""
    if expected is not None and deal.stage != expected:
        raise ValidationError({"stage": STALE_STAGE % {"stage": deal.get_stage_display()}})


def deal_move(
    *, deal: Deal, to_stage: str, reason: str, by, expected_stage: str | None = None, figures=None
) -> Deal:
    """Moves a deal one plain step (sourced → screening → due diligence) or to an end."""
    require_permission(by)
    reason = require_reason(reason)
    with transaction.atomic():
        locked = deal_lock(deal.pk)
        _check_expected(locked, expected_stage)
        source = locked.stage
        if source in ENDS or source in HELD:
            raise ValidationError({"stage": DEAL_ENDED % {"stage": locked.get_stage_display()}})
        if to_stage in ENDS:
            action = DealAction.PASS if to_stage == Stage.PASSED else DealAction.WITHDRAW
        elif PLAIN_ADVANCE.get(source) == to_stage:
            action = DealAction.ADVANCE
        else:
            target = Stage(to_stage) if to_stage in Stage.values else None
            how = HOW.get(target, HOW[Stage.COMMITTEE]) if target else HOW[Stage.COMMITTEE]
            raise ValidationError(
                {"stage": ADVANCE_REFUSED % {"stage": Stage(source).label, "how": how}}
            )
        deal_stage_move(
            deal=locked, to_stage=to_stage, action=action, reason=reason, by=by, figures=figures
        )
        if to_stage in ENDS:
            if hasattr(locked, "committee") and locked.committee.outcome == "pending":
                locked.committee.outcome = "rejected"
                locked.committee.decided_at = timezone.now()
                locked.committee.save(update_fields=["outcome", "decided_at"])
            portfolio_sync(deal=locked)
    return locked


def next_stage(stage: str) -> str | None:
    if stage in ENDS or stage in HELD:
        return None
    return PIPELINE[PIPELINE.index(Stage(stage)) + 1].value
