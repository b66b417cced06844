"""The investment committee (投委会): open a review, vote, decide.

Approval checks the fund's capacity under the fund's row lock: of two approvals racing for the
last capacity, the second waits for the first and then sees what is left, so the fund is never
over-committed (tests/investments/test_concurrency.py).
"""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from investments.locks import deal_lock, fund_lock
from investments.models import (
    CommitteeOutcome,
    CommitteeReview,
    CommitteeVote,
    Deal,
    DealAction,
    Stage,
    VoteChoice,
)
from investments.selectors import fund_capacity
from investments.services.deals import investment_period_require
from investments.services.records import (
    deal_stage_move,
    portfolio_sync,
    require_permission,
    require_reason,
)
from zaofeng.money import format_fen_cn

NOT_IN_DUE_DILIGENCE = _("只有完成尽职调查的项目才能提交投委会（当前：%(stage)s）。")
MEMBERS_TOO_FEW = _("委员人数（%(members)d）少于法定人数（%(quorum)d）。")
QUORUM_TOO_SMALL = _("法定人数至少为 2 人（当前：%(quorum)d）：一人不能独自决定投资。")
APPROVALS_NOT_MAJORITY = _(
    "通过所需赞成票须超过法定人数的一半且不超过法定人数：法定人数 %(quorum)d 时须在 "
    "%(least)d 到 %(quorum)d 之间（当前：%(approvals)d）。"
)
AMOUNT_POSITIVE = _("金额须大于零。")
NOT_AT_COMMITTEE = _("该项目尚未提交投委会（当前：%(stage)s）。")
NOT_A_MEMBER = _("只有本次审议的委员才能投票。")
ALREADY_VOTED = _("您已对该项目投过票，每位委员只能投一次。")
NOT_PENDING = _("该项目的投委会审议已结束（%(outcome)s）。")
QUORUM_NOT_MET = _("尚未达到法定人数：已投 %(votes)d 票，需要 %(quorum)d 票。")
CAPACITY_SHORT = _(
    "基金可投额度不足：本项目需要 %(needed)s（投资 %(amount)s + 跟投预留 %(reserve)s），"
    "可用额度 %(available)s。"
)


def committee_open(
    *,
    deal: Deal,
    members,
    quorum: int,
    approvals_required: int,
    amount_fen: int,
    reason: str,
    by,
) -> CommitteeReview:
    """Puts a deal that finished due diligence to the committee."""
    require_permission(by)
    reason = require_reason(reason)
    members = list(members)
    if amount_fen is None or amount_fen <= 0:
        raise ValidationError({"amount_fen": AMOUNT_POSITIVE})
    # Whoever opens the review must not be able to approve alone: at least two votes count, and
    # a majority of them must approve.
    if quorum < 2:
        raise ValidationError({"quorum": QUORUM_TOO_SMALL % {"quorum": quorum}})
    if len(members) < quorum:
        raise ValidationError(
            {"members": MEMBERS_TOO_FEW % {"members": len(members), "quorum": quorum}}
        )
    least = quorum // 2 + 1
    if not least <= approvals_required <= quorum:
        raise ValidationError(
            {
                "approvals_required": APPROVALS_NOT_MAJORITY
                % {"quorum": quorum, "least": least, "approvals": approvals_required}
            }
        )
    with transaction.atomic():
        locked = deal_lock(deal.pk)
        if locked.stage != Stage.DUE_DILIGENCE:
            raise ValidationError(
                {"stage": NOT_IN_DUE_DILIGENCE % {"stage": locked.get_stage_display()}}
            )
        now = timezone.now()
        review = CommitteeReview.objects.create(
            deal=locked,
            amount_fen=amount_fen,
            quorum=quorum,
            approvals_required=approvals_required,
            opened_at=now,
        )
        review.members.set(members)
        deal_stage_move(
            deal=locked,
            to_stage=Stage.COMMITTEE,
            action=DealAction.COMMITTEE_OPEN,
            reason=reason,
            by=by,
            figures={
                "amount_fen": amount_fen,
                "quorum": quorum,
                "approvals_required": approvals_required,
                "members": sorted(member.get_username() for member in members),
            },
        )
    return review


def committee_vote(
    *, review: CommitteeReview, by, choice: str, reason: str = "", conditions: str = ""
) -> CommitteeVote:
    """A member votes once while the review is pending."""
    require_permission(by, "investments.add_committeevote")
    if choice not in VoteChoice.values:
        raise ValidationError({"choice": _("请选择赞成、反对或弃权。")})
    try:
        with transaction.atomic():
            locked = CommitteeReview.objects.select_for_update().get(pk=review.pk)
            if locked.outcome != CommitteeOutcome.PENDING:
                raise ValidationError(
                    {"review": NOT_PENDING % {"outcome": locked.get_outcome_display()}}
                )
            if not locked.members.filter(pk=by.pk).exists():
                raise ValidationError({"member": NOT_A_MEMBER})
            return CommitteeVote.objects.create(
                review=locked,
                member=by,
                choice=choice,
                reason=reason.strip(),
                conditions=conditions.strip(),
                cast_at=timezone.now(),
            )
    except IntegrityError as exc:
        raise ValidationError({"member": ALREADY_VOTED}) from exc


@dataclass(frozen=True)
class CommitteeDecision:
    deal_id: int
    outcome: str
    decided: bool  # this call decided; False when the review had been decided before
    approvals: int
    votes: int
    available_fen: int | None = None


def committee_decide(*, deal: Deal, reason: str, by) -> CommitteeDecision:
    """Tallies the votes: quorum met and enough approvals → approved, if the fund can carry the
    amount and its follow-on reserve; otherwise rejected (the deal passes). A second call after
    the decision changes nothing and says so."""
    require_permission(by)
    reason = require_reason(reason)
    with transaction.atomic():
        fund = fund_lock(deal.fund_id)
        locked = deal_lock(deal.pk)
        review = CommitteeReview.objects.select_for_update().filter(deal=locked).first()
        if review is None:
            raise ValidationError(
                {"stage": NOT_AT_COMMITTEE % {"stage": locked.get_stage_display()}}
            )
        votes = list(review.votes.values_list("choice", flat=True))
        approvals = votes.count(VoteChoice.APPROVE)
        if review.outcome != CommitteeOutcome.PENDING:
            return CommitteeDecision(locked.pk, review.outcome, False, approvals, len(votes))
        if len(votes) < review.quorum:
            raise ValidationError(
                {"votes": QUORUM_NOT_MET % {"votes": len(votes), "quorum": review.quorum}}
            )
        conditions = [
            text
            for text in review.votes.filter(choice=VoteChoice.APPROVE).values_list(
                "conditions", flat=True
            )
            if text
        ]
        now = timezone.now()
        figures = {"votes": len(votes), "approvals": approvals, "quorum": review.quorum}
        if approvals >= review.approvals_required:
            investment_period_require(fund)
            capacity = fund_capacity(fund)
            reserve = fund.follow_on_reserve_for(review.amount_fen)
            needed = review.amount_fen + reserve
            if needed > capacity.available_fen:
                raise ValidationError(
                    {
                        "amount_fen": CAPACITY_SHORT
                        % {
                            "needed": format_fen_cn(needed),
                            "amount": format_fen_cn(review.amount_fen),
                            "reserve": format_fen_cn(reserve),
                            "available": format_fen_cn(capacity.available_fen),
                        }
                    }
                )
            review.outcome = CommitteeOutcome.APPROVED
            review.conditions = "\n".join(conditions)
            to_stage = Stage.TERM_SHEET
            locked.approved_amount_fen = review.amount_fen
            locked.follow_on_reserve_fen = reserve
            action = DealAction.COMMITTEE_APPROVE
            figures |= {
                "amount_fen": review.amount_fen,
                "follow_on_reserve_fen": reserve,
                "available_before_fen": capacity.available_fen,
                "conditions": conditions,
            }
        else:
            review.outcome = CommitteeOutcome.REJECTED
            to_stage = Stage.PASSED
            action = DealAction.COMMITTEE_REJECT
        review.decided_at = now
        review.save(update_fields=["outcome", "conditions", "decided_at"])
        deal_stage_move(
            deal=locked,
            to_stage=to_stage,
            action=action,
            reason=reason,
            by=by,
            figures=figures,
            also_saved=("approved_amount_fen", "follow_on_reserve_fen"),
        )
        portfolio_sync(deal=locked)
    return CommitteeDecision(
        locked.pk,
        review.outcome,
        True,
        approvals,
        len(votes),
        figures.get("available_before_fen"),
    )
