"""The ¥1B ecosystem fund (生态基金): the fund, its deals, the committee, cash flows and marks.

Money is integer fen; shares and rates are Decimal. Decision records, votes, cash flows and marks
are append-only: the models refuse save() of an existing row and delete(), and database triggers
(migration 0002) refuse UPDATE and DELETE whoever the caller.
"""

from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from providers.models import Provider
from zaofeng.money import format_fen_cn

APPEND_ONLY = _("该记录只能追加，不能修改或删除。")


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise ValidationError(str(APPEND_ONLY))

    def delete(self):
        raise ValidationError(str(APPEND_ONLY))


class AppendOnly(models.Model):
    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValidationError(str(APPEND_ONLY))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(str(APPEND_ONLY))


# ------------------------------------------------------------------------------
# Fund
# ------------------------------------------------------------------------------
class Fund(models.Model):
    """A fund with its terms. Capacity = committed − invested − reserved − management fees."""

    name = models.CharField(_("基金名称"), max_length=100, unique=True)
    committed_fen = models.BigIntegerField(_("认缴规模（分）"), validators=[MinValueValidator(1)])
    vintage = models.PositiveSmallIntegerField(
        _("设立年份"), validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    investment_period_ends_on = models.DateField(_("投资期截止日"))
    follow_on_reserve_share = models.DecimalField(
        _("跟投预留比例"),
        max_digits=5,
        decimal_places=4,
        default=Decimal("0.5000"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("5"))],
        help_text=_("每笔首投金额之外为后续跟投预留的比例，例如 0.5 表示预留首投金额的 50%"),
    )
    management_fee_rate = models.DecimalField(
        _("年管理费率"),
        max_digits=5,
        decimal_places=4,
        default=Decimal("0.0200"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("0.1"))],
    )
    management_fee_years = models.PositiveSmallIntegerField(
        _("计费年限"), default=10, validators=[MaxValueValidator(30)]
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("生态基金")
        verbose_name_plural = _("生态基金")
        ordering = ["vintage", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(committed_fen__gt=0), name="fund_committed_positive"
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def fee_budget_fen(self) -> int:
        """Management fees over the fee term, on committed capital; held back from capacity."""
        fees = (
            Decimal(self.committed_fen) * self.management_fee_rate * self.management_fee_years
        ).quantize(Decimal(1), rounding=ROUND_HALF_UP)
        return int(fees)

    def follow_on_reserve_for(self, amount_fen: int) -> int:
        reserve = (Decimal(amount_fen) * self.follow_on_reserve_share).quantize(
            Decimal(1), rounding=ROUND_HALF_UP
        )
        return int(reserve)


# ------------------------------------------------------------------------------
# Deals and their decisions
# ------------------------------------------------------------------------------
class Stage(models.TextChoices):
    SOURCED = "sourced", _("项目线索")
    SCREENING = "screening", _("初筛")
    DUE_DILIGENCE = "due_diligence", _("尽职调查")
    COMMITTEE = "committee", _("投委会")
    TERM_SHEET = "term_sheet", _("投资条款")
    CLOSING = "closing", _("交割")
    INVESTED = "invested", _("已投资")
    EXITED = "exited", _("已退出")
    PASSED = "passed", _("已放弃")
    WITHDRAWN = "withdrawn", _("已撤回")


PIPELINE = (
    Stage.SOURCED,
    Stage.SCREENING,
    Stage.DUE_DILIGENCE,
    Stage.COMMITTEE,
    Stage.TERM_SHEET,
    Stage.CLOSING,
    Stage.INVESTED,
    Stage.EXITED,
)
# Ends of a deal the fund never invested in; the provider may be sourced again after them.
ENDS = (Stage.PASSED, Stage.WITHDRAWN)
# Stages a deal holds the fund's money or has returned it: no plain move leaves them. An exit is
# the full realisation of the holding (cashflow_record of kind exit), and the deal ends there.
HELD = (Stage.INVESTED, Stage.EXITED)
# Stages whose approved amount is reserved against the fund's capacity.
RESERVING = (Stage.TERM_SHEET, Stage.CLOSING)
# Stages in which the provider counts as a portfolio company (providers.PortfolioCompany); after
# the exit it no longer does.
PORTFOLIO = (Stage.TERM_SHEET, Stage.CLOSING, Stage.INVESTED)


class Deal(models.Model):
    """An investment opportunity in one provider, moved through the stages by the services."""

    fund = models.ForeignKey(
        Fund, verbose_name=_("基金"), on_delete=models.PROTECT, related_name="deals"
    )
    provider = models.ForeignKey(
        Provider, verbose_name=_("服务商"), on_delete=models.PROTECT, related_name="deals"
    )
    stage = models.CharField(
        _("阶段"), max_length=20, choices=Stage.choices, default=Stage.SOURCED, db_index=True
    )
    stage_changed_at = models.DateTimeField(_("进入当前阶段时间"))
    requested_amount_fen = models.BigIntegerField(
        _("拟投金额（分）"), validators=[MinValueValidator(1)]
    )
    approved_amount_fen = models.BigIntegerField(_("投委会批准金额（分）"), null=True, blank=True)
    follow_on_reserve_fen = models.BigIntegerField(_("跟投预留（分）"), default=0)
    thesis = models.TextField(_("投资逻辑"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("立项人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("立项时间"))

    class Meta:
        verbose_name = _("投资项目")
        verbose_name_plural = _("投资项目")
        ordering = ["-stage_changed_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["fund", "provider"],
                condition=~Q(stage__in=["passed", "withdrawn"]),
                name="deal_one_open_per_fund_provider",
            ),
            models.CheckConstraint(
                condition=Q(requested_amount_fen__gt=0), name="deal_requested_positive"
            ),
            models.CheckConstraint(
                condition=Q(follow_on_reserve_fen__gte=0), name="deal_reserve_not_negative"
            ),
        ]
        indexes = [models.Index(fields=["fund", "stage"])]

    def __str__(self):
        return f"{self.provider} · {self.fund}"

    @property
    def is_open(self) -> bool:
        return self.stage not in ENDS and self.stage not in HELD


class DealAction(models.TextChoices):
    SOURCE = "source", _("立项")
    ADVANCE = "advance", _("推进")
    COMMITTEE_OPEN = "committee_open", _("提交投委会")
    COMMITTEE_APPROVE = "committee_approve", _("投委会通过")
    COMMITTEE_REJECT = "committee_reject", _("投委会否决")
    TERM_SHEET = "term_sheet", _("签署投资条款")
    CLOSE = "close", _("完成交割")
    PASS = "pass", _("放弃")
    WITHDRAW = "withdraw", _("撤回")
    EXIT = "exit", _("退出")


class DealDecision(AppendOnly):
    """One move of a deal: who, when, why and the figures it rested on. Append-only."""

    deal = models.ForeignKey(
        Deal, verbose_name=_("投资项目"), on_delete=models.PROTECT, related_name="decisions"
    )
    action = models.CharField(_("操作"), max_length=30, choices=DealAction.choices)
    from_stage = models.CharField(_("原阶段"), max_length=20, choices=Stage.choices, blank=True)
    to_stage = models.CharField(_("新阶段"), max_length=20, choices=Stage.choices)
    decided_at = models.DateTimeField(_("决定时间"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("决定人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_by_name = models.CharField(_("决定人账号"), max_length=150, blank=True)
    reason = models.TextField(_("理由"))
    figures = models.JSONField(_("依据数据"), default=dict, blank=True)

    class Meta:
        verbose_name = _("投资决策记录")
        verbose_name_plural = _("投资决策记录")
        ordering = ["decided_at", "id"]
        indexes = [models.Index(fields=["deal", "decided_at"])]

    def __str__(self):
        return f"{self.get_action_display()} {self.decided_at:%Y-%m-%d}"


# ------------------------------------------------------------------------------
# Investment committee (投委会)
# ------------------------------------------------------------------------------
class CommitteeOutcome(models.TextChoices):
    PENDING = "pending", _("待表决")
    APPROVED = "approved", _("通过")
    REJECTED = "rejected", _("否决")


class CommitteeReview(models.Model):
    """The committee's review of one deal: its members, quorum and the majority it needs."""

    deal = models.OneToOneField(
        Deal, verbose_name=_("投资项目"), on_delete=models.PROTECT, related_name="committee"
    )
    amount_fen = models.BigIntegerField(_("提请金额（分）"), validators=[MinValueValidator(1)])
    quorum = models.PositiveSmallIntegerField(
        _("法定人数"), validators=[MinValueValidator(1)], help_text=_("至少须有多少名委员投票")
    )
    approvals_required = models.PositiveSmallIntegerField(
        _("通过所需赞成票"), validators=[MinValueValidator(1)]
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("委员"), related_name="committee_reviews"
    )
    outcome = models.CharField(
        _("结果"), max_length=20, choices=CommitteeOutcome.choices, default=CommitteeOutcome.PENDING
    )
    conditions = models.TextField(_("投资条件"), blank=True)
    opened_at = models.DateTimeField(_("提交时间"))
    decided_at = models.DateTimeField(_("表决时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("投委会审议")
        verbose_name_plural = _("投委会审议")
        constraints = [
            models.CheckConstraint(
                condition=Q(approvals_required__lte=models.F("quorum")),
                name="committee_approvals_within_quorum",
            ),
        ]

    def __str__(self):
        return f"{self.deal} · {self.get_outcome_display()}"


class VoteChoice(models.TextChoices):
    APPROVE = "approve", _("赞成")
    REJECT = "reject", _("反对")
    ABSTAIN = "abstain", _("弃权")


class CommitteeVote(AppendOnly):
    """One member's vote, once. Append-only."""

    review = models.ForeignKey(
        CommitteeReview,
        verbose_name=_("投委会审议"),
        on_delete=models.PROTECT,
        related_name="votes",
    )
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("委员"), on_delete=models.PROTECT, related_name="+"
    )
    choice = models.CharField(_("表决"), max_length=10, choices=VoteChoice.choices)
    conditions = models.TextField(_("附加条件"), blank=True)
    reason = models.TextField(_("意见"), blank=True)
    cast_at = models.DateTimeField(_("投票时间"))

    class Meta:
        verbose_name = _("投委会表决")
        verbose_name_plural = _("投委会表决")
        ordering = ["cast_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["review", "member"], name="committee_one_vote_each")
        ]

    def __str__(self):
        return f"{self.member} {self.get_choice_display()}"


# ------------------------------------------------------------------------------
# Term sheet and rounds
# ------------------------------------------------------------------------------
class Instrument(models.TextChoices):
    EQUITY = "equity", _("普通股权")
    PREFERRED = "preferred", _("优先股")
    CONVERTIBLE = "convertible", _("可转债")


class TermSheet(models.Model):
    """The terms the fund signed: amount, pre-money valuation, instrument."""

    deal = models.OneToOneField(
        Deal, verbose_name=_("投资项目"), on_delete=models.PROTECT, related_name="term_sheet"
    )
    amount_fen = models.BigIntegerField(_("投资金额（分）"), validators=[MinValueValidator(1)])
    pre_money_fen = models.BigIntegerField(_("投前估值（分）"), validators=[MinValueValidator(1)])
    instrument = models.CharField(_("投资工具"), max_length=20, choices=Instrument.choices)
    signed_on = models.DateField(_("签署日期"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("经办人"),
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("记录时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("投资条款")
        verbose_name_plural = _("投资条款")
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_fen__gt=0, pre_money_fen__gt=0), name="term_sheet_positive"
            )
        ]

    def __str__(self):
        return f"{self.deal} · {format_fen_cn(self.amount_fen)}"


class FinancingRound(AppendOnly):
    """A later round of the portfolio company; it dilutes the fund unless the fund follows on."""

    deal = models.ForeignKey(
        Deal, verbose_name=_("投资项目"), on_delete=models.PROTECT, related_name="rounds"
    )
    closed_on = models.DateField(_("交割日期"))
    pre_money_fen = models.BigIntegerField(_("投前估值（分）"))
    new_money_fen = models.BigIntegerField(_("本轮融资总额（分）"))
    fund_amount_fen = models.BigIntegerField(_("本基金跟投（分）"), default=0)
    note = models.CharField(_("说明"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("记录时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("后续融资轮")
        verbose_name_plural = _("后续融资轮")
        ordering = ["closed_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    pre_money_fen__gt=0,
                    new_money_fen__gt=0,
                    fund_amount_fen__gte=0,
                    fund_amount_fen__lte=models.F("new_money_fen"),
                ),
                name="round_amounts_consistent",
            )
        ]

    def __str__(self):
        return f"{self.deal} · {self.closed_on}"


# ------------------------------------------------------------------------------
# Cash flows and valuation marks
# ------------------------------------------------------------------------------
class FlowKind(models.TextChoices):
    INVESTMENT = "investment", _("首次投资")
    FOLLOW_ON = "follow_on", _("跟投")
    FEE = "fee", _("管理费")
    DISTRIBUTION = "distribution", _("分配")
    EXIT = "exit", _("退出")


# Paid into companies (invested) and paid in by the fund's partners (with the fees).
INVESTED_KINDS = (FlowKind.INVESTMENT, FlowKind.FOLLOW_ON)
PAID_IN_KINDS = (FlowKind.INVESTMENT, FlowKind.FOLLOW_ON, FlowKind.FEE)
RETURNED_KINDS = (FlowKind.DISTRIBUTION, FlowKind.EXIT)


class CashFlow(AppendOnly):
    """Money moving between the fund and a company (or, for fees, the manager). Append-only;
    the amount is positive and the kind says the direction."""

    fund = models.ForeignKey(
        Fund, verbose_name=_("基金"), on_delete=models.PROTECT, related_name="flows"
    )
    deal = models.ForeignKey(
        Deal,
        verbose_name=_("投资项目"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="flows",
    )
    kind = models.CharField(_("类型"), max_length=20, choices=FlowKind.choices)
    amount_fen = models.BigIntegerField(_("金额（分）"))
    occurred_on = models.DateField(_("发生日期"))
    reason = models.TextField(_("说明"))
    idempotency_key = models.CharField(_("幂等键"), max_length=120, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("经办人"),
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("记录时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("现金流")
        verbose_name_plural = _("现金流")
        ordering = ["occurred_on", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="cashflow_amount_positive"),
            models.CheckConstraint(
                condition=Q(kind="fee") | Q(deal__isnull=False), name="cashflow_deal_unless_fee"
            ),
        ]
        indexes = [models.Index(fields=["fund", "occurred_on"])]

    def __str__(self):
        return f"{self.get_kind_display()} {format_fen_cn(self.amount_fen)} {self.occurred_on}"


class MarkMethod(models.TextChoices):
    LAST_ROUND = "last_round", _("最近一轮价格")
    COMPARABLES = "comparables", _("可比公司法")
    DCF = "dcf", _("现金流折现")
    COST = "cost", _("成本法")
    WRITE_OFF = "write_off", _("核销")


class ValuationMark(AppendOnly):
    """The fair value of the fund's holding in a deal on a date, approved by a person."""

    deal = models.ForeignKey(
        Deal, verbose_name=_("投资项目"), on_delete=models.PROTECT, related_name="marks"
    )
    as_of = models.DateField(_("估值日"))
    fair_value_fen = models.BigIntegerField(_("公允价值（分）"))
    method = models.CharField(_("估值方法"), max_length=20, choices=MarkMethod.choices)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("批准人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    reason = models.TextField(_("依据"))
    created_at = models.DateTimeField(_("记录时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("估值")
        verbose_name_plural = _("估值")
        ordering = ["as_of", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(fair_value_fen__gte=0), name="mark_value_not_negative"
            ),
        ]
        indexes = [models.Index(fields=["deal", "as_of"])]

    def __str__(self):
        return f"{self.deal} {self.as_of} {format_fen_cn(self.fair_value_fen)}"
