"""SCENARIO.md, the money and the progress, played at the service level."""

from datetime import date

import pytest

from funding.models import EntryKind, LedgerEntry, PendingDemotion, PoolKind, TierMembership
from funding.selectors import program_progress
from funding.services.allocation import proposal_approve, proposal_create
from funding.services.ledger import reconciliation_check
from funding.services.tiers import tier_review
from providers.models import LifecycleStatus
from providers.services.lifecycle import provider_exit
from tests.factories import ProviderFactory, ScoringModelFactory
from tests.funding.builders import WAN_FEN, M, finance_user, gmv_history, period_pool, score
from zaofeng.periods import add_months

pytestmark = pytest.mark.django_db

PREV, NEXT = add_months(M, -1), add_months(M, 1)
FUND_FEN = 10_000_000 * 100  # ¥10,000,000
IMPRESSIONS = 1_000_000_000
BUDGETS = {
    "tier_1b": 400_000_000,
    "tier_100m": 300_000_000,
    "tier_50m": 150_000_000,
    "tier_10m": 50_000_000,
}


@pytest.fixture
def story():
    model = ScoringModelFactory()
    a = ProviderFactory(name="杭州星火代运营")
    # Gross ¥9,000万 and refunds ¥500万 a month for twelve months: trailing net ¥10.2亿.
    gmv_history(a, monthly_net_fen=8_500 * WAN_FEN, refund_fen=500 * WAN_FEN)
    b = ProviderFactory(name="广州青禾MCN", status=LifecycleStatus.EXITED)
    gmv_history(b, monthly_net_fen=[9_000 * WAN_FEN] * 11 + [11_000 * WAN_FEN])  # ¥11亿
    c = ProviderFactory(name="成都山海直播基地")
    gmv_history(c, monthly_net_fen=1_250 * WAN_FEN)  # ¥1.5亿
    d = ProviderFactory(name="义乌万象供应链")
    # ¥1.08亿 at the previous period's close; ¥9,500万 at this one.
    gmv_history(d, monthly_net_fen=[2_000 * WAN_FEN] + [800 * WAN_FEN] * 11 + [700 * WAN_FEN])
    e = ProviderFactory(
        name="新申请", status=LifecycleStatus.APPLICANT, registered_on=date(2026, 1, 10)
    )
    f = ProviderFactory(name="温州晨光服饰")  # restored on appeal: active again
    gmv_history(f, monthly_net_fen=500 * WAN_FEN)  # ¥6,000万
    for provider, value in ((a, 85), (b, 80), (c, 78), (d, 75), (f, 72)):
        score(provider, model, value, PREV)
        score(provider, model, value, M)
    tier_review(month=PREV)
    tier_review(month=M)
    period_pool(kind=PoolKind.FUND, total=FUND_FEN, budgets=BUDGETS)
    period_pool(kind=PoolKind.TRAFFIC, total=IMPRESSIONS, budgets=BUDGETS)
    return {"A": a, "B": b, "C": c, "D": d, "E": e, "F": f, "model": model}


def tier_of(provider):
    membership = TierMembership.objects.filter(provider=provider, ended_on__isnull=True).first()
    return membership.tier.code if membership else None


def test_tiers_after_the_period(story):
    assert tier_of(story["A"]) == "tier_1b"
    assert tier_of(story["C"]) == "tier_100m"
    assert tier_of(story["D"]) == "tier_100m"  # one period below: stays
    assert tier_of(story["B"]) is None
    assert tier_of(story["E"]) is None
    assert tier_of(story["F"]) == "tier_50m"
    assert not PendingDemotion.objects.exists()


def test_the_money(story):
    proposal = proposal_create(period_start=M)
    covered = set(proposal.lines.values_list("provider__name", flat=True))
    assert covered == {"杭州星火代运营", "成都山海直播基地", "义乌万象供应链", "温州晨光服饰"}

    first = proposal_approve(proposal=proposal, by=finance_user("finance-1"), key="f1")
    second = proposal_approve(proposal=proposal, by=finance_user("finance-2"), key="f2")

    assert first.approved
    assert second.already_approved
    assert first.grants_created == 8
    grants = LedgerEntry.objects.filter(kind=EntryKind.GRANT)
    assert grants.count() == 8
    fund = sum(g.amount for g in grants if g.pool.kind == PoolKind.FUND)
    traffic = sum(g.amount for g in grants if g.pool.kind == PoolKind.TRAFFIC)
    assert 0 < fund <= FUND_FEN
    assert 0 < traffic <= IMPRESSIONS
    assert not grants.filter(provider__in=[story["B"], story["E"]]).exists()
    report = reconciliation_check()
    assert report.ok
    assert report.pools_checked == 2


def test_f_gets_nothing_while_exited(story):
    provider_exit(provider=story["F"], reason="售假：平台抽检商品与品牌授权不符")
    proposal = proposal_create(period_start=M)
    assert "温州晨光服饰" not in set(proposal.lines.values_list("provider__name", flat=True))


def test_the_progress(story):
    progress = program_progress(month=M)
    assert (progress.at_1b, progress.at_100m, progress.band_100m_1b) == (1, 2, 1)
    assert (progress.target_1b, progress.target_100m) == (100, 200)
    below_1b = progress.closest_below_1b[0]
    assert (below_1b.name, below_1b.lacking_fen) == ("成都山海直播基地", 85_000 * WAN_FEN)
    below_100m = progress.closest_below_100m[0]
    assert (below_100m.name, below_100m.lacking_fen) == ("义乌万象供应链", 500 * WAN_FEN)
    # D holds the ¥100M tier on hysteresis but is not counted at ≥ ¥100M.
    assert tier_of(story["D"]) == "tier_100m"


def test_d_below_a_second_period_waits_for_a_program_admin(story):
    gmv_history(story["D"], monthly_net_fen=[800 * WAN_FEN], last=NEXT, months=1)
    score(story["D"], story["model"], 75, NEXT)
    tier_review(month=NEXT, provider_ids=[story["D"].pk])
    pending = PendingDemotion.objects.get()
    assert (pending.provider, pending.from_tier.code, pending.trailing_net_gmv_fen) == (
        story["D"],
        "tier_100m",
        9_500 * WAN_FEN,
    )
    assert tier_of(story["D"]) == "tier_100m"
