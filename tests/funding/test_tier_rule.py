"""The tier rule with its hysteresis; no database."""

from decimal import Decimal

from funding.tiering import DEMOTION_AFTER_PERIODS, TierRule, tier_decide, tier_qualified

YI = 100_000_000 * 100  # ¥1亿 in fen
T1B = TierRule(1, "tier_1b", "十亿级服务商", 1, 10 * YI, Decimal("70"), True)
T100M = TierRule(2, "tier_100m", "亿级服务商", 2, YI, Decimal("65"), True)
T50M = TierRule(3, "tier_50m", "五千万级成长服务商", 3, YI // 2, Decimal("60"), False)
T10M = TierRule(4, "tier_10m", "千万级成长服务商", 4, YI // 10, Decimal("60"), False)
TIERS = (T10M, T1B, T50M, T100M)


def decide(current, gmv, score="80", below=0, status="active", checked=True):
    return tier_decide(
        tiers=TIERS,
        current=current,
        periods_below=below,
        gmv_fen=gmv,
        score=None if score is None else Decimal(score),
        score_checked=checked,
        status=status,
        status_label=status,
    )


def test_thresholds_are_inclusive_and_need_the_minimum_score():
    assert tier_qualified(TIERS, gmv_fen=10 * YI, score=Decimal("70"), score_checked=True) == T1B
    assert (
        tier_qualified(TIERS, gmv_fen=10 * YI - 1, score=Decimal("99"), score_checked=True) == T100M
    )
    # The GMV of the ¥1B tier with the score of the ¥100M tier only.
    assert tier_qualified(TIERS, gmv_fen=12 * YI, score=Decimal("66"), score_checked=True) == T100M
    assert tier_qualified(TIERS, gmv_fen=12 * YI, score=None, score_checked=True) is None
    assert tier_qualified(TIERS, gmv_fen=12 * YI, score=None, score_checked=False) == T1B


def test_a_provider_without_a_tier_enters_the_best_tier_it_meets():
    decision = decide(None, 15 * YI // 10)
    assert (decision.verdict, decision.tier_after) == ("entered", T100M)
    assert "¥1.5亿" in decision.reason
    assert decide(None, YI // 20).verdict == "not_placed"


def test_promotion_takes_effect_at_once_and_resets_the_count():
    decision = decide(T100M, 11 * YI, below=1)
    assert (decision.verdict, decision.tier_after, decision.periods_below) == ("promoted", T1B, 0)
    assert "晋升" in decision.reason


def test_one_period_below_keeps_the_tier_and_the_second_makes_a_pending_demotion():
    """Scenario D: in the ¥100M tier at ¥95M for one period, then again."""
    first = decide(T100M, 95 * YI // 100)
    assert (first.verdict, first.tier_after, first.periods_below) == ("held_below", T100M, 1)
    assert first.target == T50M
    second = decide(T100M, 95 * YI // 100, below=first.periods_below)
    assert DEMOTION_AFTER_PERIODS == 2
    assert (second.verdict, second.tier_after, second.target) == ("pending_demotion", T100M, T50M)
    assert second.periods_below == 2
    assert "待项目管理员确认" in second.reason
    assert not second.changes_tier


def test_a_growth_tier_demotes_directly_after_two_periods():
    assert decide(T50M, YI // 5, below=0).verdict == "held_below"
    decision = decide(T50M, YI // 5, below=1)
    assert (decision.verdict, decision.tier_after, decision.periods_below) == ("demoted", T10M, 0)
    out = decide(T10M, YI // 100, below=1)
    assert (out.verdict, out.tier_after) == ("demoted", None)


def test_recovery_resets_the_count():
    decision = decide(T100M, 2 * YI, below=1)
    assert (decision.verdict, decision.periods_below) == ("kept", 0)


def test_a_score_below_the_minimum_counts_as_below():
    assert decide(T100M, 2 * YI, score="50").verdict == "held_below"


def test_exited_and_banned_providers_leave_their_tier():
    decision = decide(T1B, 11 * YI, status="exited")
    assert (decision.verdict, decision.tier_after) == ("removed", None)
    assert decide(None, 11 * YI, status="banned").verdict == "not_placed"
