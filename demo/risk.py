"""Risk in the demo: one provider's month of brushed orders and a pair of linked providers.

SP000002 (the second demo owner) sees its month's GMV tripled with a fifth of it refunded, so the
risk run flags it and the reviewer's opened case shows in its portal; an active provider shares
its legal representative with one the demo exited, so it is put on review as linked.
"""

import random
from datetime import date

from django.contrib.auth import get_user_model

from providers.models import LifecycleStatus, Provider
from risk.models import RiskSignal
from risk.rules import RuleKind
from risk.services.ranking import signals_rank
from risk.services.signals import risk_evaluate, signal_open
from scoring.models import GmvFact
from scoring.services.rollup import provider_months_refresh

BRUSHED_PROVIDER = "SP000002"


def seed_risk(*, rng: random.Random, end_month: date) -> int:
    brushed = Provider.objects.filter(code=BRUSHED_PROVIDER).first()
    if brushed is not None:
        facts = list(GmvFact.objects.filter(provider=brushed, month=end_month))
        for fact in facts:
            fact.gross_gmv_fen *= 3
            fact.refund_fen = fact.gross_gmv_fen // 5
        GmvFact.objects.bulk_update(facts, ["gross_gmv_fen", "refund_fen"])
        provider_months_refresh(pairs=[(brushed.pk, end_month)])
    exited = Provider.objects.filter(status=LifecycleStatus.EXITED).order_by("code").first()
    partner = (
        Provider.objects.filter(status=LifecycleStatus.ACTIVE)
        .exclude(code=BRUSHED_PROVIDER)
        .order_by("-code")
        .first()
    )
    if exited is not None and partner is not None:
        name = rng.choice(["周建国", "吴晓东", "郑海燕"])
        Provider.objects.filter(pk__in=[exited.pk, partner.pk]).update(legal_representative=name)
    risk_evaluate(month=end_month)
    signals_rank(month=end_month)
    reviewer = get_user_model().objects.filter(username="reviewer").first()
    opened = RiskSignal.objects.filter(
        provider=brushed, month=end_month, rule=RuleKind.GMV_SPIKE_REFUND_SURGE
    ).first()
    if reviewer is not None and opened is not None:
        signal_open(
            signal=opened, by=reviewer, reason="成交额与退款率同时异常，请说明本月活动与订单情况。"
        )
    return RiskSignal.objects.filter(month=end_month).count()
