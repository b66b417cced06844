from datetime import date, datetime, time
from decimal import Decimal

import pytest

from funding.models import Tier
from funding.selectors import program_progress
from funding.services.ledger import grant_clawback
from providers.models import LifecycleStatus, Region
from tests.factories import ProviderFactory, RegionFactory
from tests.funding.builders import WAN_FEN, YI_FEN, M, finance_user, gmv_history, grant, period_pool
from zaofeng.periods import add_months

pytestmark = pytest.mark.django_db


def test_counts_are_inclusive_and_leave_out_exited_banned_and_applicants():
    exactly = ProviderFactory(name="恰好一亿")
    gmv_history(exactly, monthly_net_fen=[YI_FEN], months=1)
    top = ProviderFactory(name="十亿")
    gmv_history(top, monthly_net_fen=[10 * YI_FEN], months=1)
    for status in (LifecycleStatus.EXITED, LifecycleStatus.BANNED, LifecycleStatus.APPLICANT):
        gmv_history(ProviderFactory(status=status), monthly_net_fen=[20 * YI_FEN], months=1)
    warned = ProviderFactory(status=LifecycleStatus.WARNING)
    gmv_history(warned, monthly_net_fen=[2 * YI_FEN], months=1)

    progress = program_progress(month=M)

    assert (progress.at_1b, progress.at_100m, progress.band_100m_1b) == (1, 3, 2)


def test_trend_month_by_month_and_the_closest_below():
    riser = ProviderFactory(name="爬坡")
    # ¥1,000万 a month for the last 12 months: ¥1亿 is reached two months before M.
    gmv_history(riser, monthly_net_fen=1_000 * WAN_FEN)
    near = ProviderFactory(name="差一点")
    gmv_history(near, monthly_net_fen=[99 * 100 * WAN_FEN], months=1)  # ¥9,900万

    progress = program_progress(month=M, trend_months=4)

    assert [(p.month, p.at_100m) for p in progress.trend] == [
        (add_months(M, -3), 0),
        (add_months(M, -2), 1),
        (add_months(M, -1), 1),
        (M, 1),
    ]
    assert [(g.name, g.lacking_fen) for g in progress.closest_below_100m] == [
        ("差一点", 100 * WAN_FEN)
    ]
    assert [(g.name, g.lacking_fen) for g in progress.closest_below_1b] == [
        ("爬坡", 10 * YI_FEN - 12 * 1_000 * WAN_FEN),
        ("差一点", 10 * YI_FEN - 9_900 * WAN_FEN),
    ]


def test_targets_and_thresholds_follow_the_tier_data():
    Tier.objects.filter(code="tier_100m").update(threshold_fen=2 * YI_FEN, target_count=250)
    provider = ProviderFactory()
    gmv_history(provider, monthly_net_fen=[15 * YI_FEN // 10], months=1)
    progress = program_progress(month=M)
    assert (progress.at_100m, progress.target_100m, progress.threshold_100m_fen) == (
        0,
        250,
        2 * YI_FEN,
    )


def test_pool_utilisation_and_totals_by_tier_and_region():
    east, south = Region.objects.get(code="east"), RegionFactory(code="south", name="华南")
    top = Tier.objects.get(code="tier_1b")
    mid = Tier.objects.get(code="tier_100m")
    a = ProviderFactory(region=east)
    c = ProviderFactory(region=south)
    fund = period_pool(total=1_000_000_000)
    quarter = period_pool(
        kind="traffic", total=10_000, period_start=date(2026, 7, 1), period_kind="quarter"
    )
    period_pool(total=5, period_start=add_months(M, 1))  # another period: not counted
    grant_a = grant(fund, a, 300_000_000, tier=top)
    grant(fund, c, 100_000_000, tier=mid)
    grant(quarter, c, 4_000, tier=mid)
    grant_clawback(grant=grant_a, amount=50_000_000, by=finance_user(), reason="退款")

    progress = program_progress(month=M)

    uses = {use.kind: use for use in progress.pools}
    assert set(uses) == {"fund", "traffic"}
    assert (uses["fund"].granted, uses["fund"].balance) == (350_000_000, 650_000_000)
    assert uses["fund"].utilisation == Decimal("0.3500")
    assert uses["traffic"].utilisation == Decimal("0.4000")
    by_tier = {t.key: (t.fund_fen, t.impressions, t.providers) for t in progress.by_tier}
    assert by_tier == {"tier_1b": (250_000_000, 0, 1), "tier_100m": (100_000_000, 4_000, 1)}
    assert [t.key for t in progress.by_tier] == ["tier_1b", "tier_100m"]
    by_region = {t.key: (t.fund_fen, t.impressions) for t in progress.by_region}
    assert by_region == {"east": (250_000_000, 0), "south": (100_000_000, 4_000)}


def _decided(provider, action, source, target, day):

    from django.utils import timezone

    from tests.factories import DecisionRecordFactory

    DecisionRecordFactory(
        provider=provider,
        action=action,
        from_status=source,
        to_status=target,
        decided_at=timezone.make_aware(datetime.combine(day, time(10))),
    )


def test_past_months_count_providers_by_their_status_at_that_time():
    from providers.models import DecisionAction as A
    from providers.models import LifecycleStatus as S

    # In the program from March, exited on 15 August.
    gone = ProviderFactory(name="已清退", status=S.EXITED)
    gmv_history(gone, monthly_net_fen=1_000 * WAN_FEN, months=24)
    _decided(gone, A.ADMITTED, S.APPLICANT, S.PROBATION, date(2026, 3, 2))
    _decided(gone, A.PROBATION_PASSED, S.PROBATION, S.ACTIVE, date(2026, 6, 1))
    _decided(gone, A.EXITED, S.ACTIVE, S.EXITED, date(2026, 8, 15))
    # Admitted on 3 August: before that an applicant.
    late = ProviderFactory(name="新入驻", status=S.PROBATION)
    gmv_history(late, monthly_net_fen=1_000 * WAN_FEN, months=24)
    _decided(late, A.ADMITTED, S.APPLICANT, S.PROBATION, date(2026, 8, 3))

    progress = program_progress(month=M, trend_months=4)

    assert [(p.month, p.at_100m) for p in progress.trend] == [
        (date(2026, 6, 1), 1),  # gone
        (date(2026, 7, 1), 1),  # gone
        (date(2026, 8, 1), 1),  # late
        (M, 1),  # late
    ]
    assert progress.at_100m == 1


def test_statuses_at_month_ends_take_two_queries(django_assert_num_queries):
    from providers.selectors import provider_statuses_at

    for _ in range(3):
        ProviderFactory()
    with django_assert_num_queries(2):
        provider_statuses_at(months=trailing_months_for_test())


def trailing_months_for_test():
    return [add_months(M, -offset) for offset in range(12)]


def test_an_exit_decided_later_about_a_month_counts_from_that_months_end():
    from django.utils import timezone

    from providers.models import DecisionAction as A
    from providers.models import LifecycleStatus as S
    from providers.selectors import provider_statuses_at
    from tests.factories import DecisionRecordFactory

    provider = ProviderFactory(status=S.EXITED)
    # The exit run for August ran on 3 September.
    DecisionRecordFactory(
        provider=provider,
        action=A.EXITED,
        from_status=S.ACTIVE,
        to_status=S.EXITED,
        month=date(2026, 8, 1),
        decided_at=timezone.make_aware(datetime.combine(date(2026, 9, 3), time(4))),
    )
    statuses = provider_statuses_at(
        months=[date(2026, 7, 1), date(2026, 8, 1)], provider_ids=[provider.pk]
    )
    assert statuses[date(2026, 7, 1)][provider.pk] == S.ACTIVE
    assert statuses[date(2026, 8, 1)][provider.pk] == S.EXITED


def test_an_upheld_appeal_undoes_the_exit_from_when_it_took_effect():
    from django.utils import timezone

    from providers.models import DecisionAction as A
    from providers.models import LifecycleStatus as S
    from providers.selectors import provider_statuses_at
    from tests.factories import DecisionRecordFactory

    provider = ProviderFactory(status=S.ACTIVE)
    exit_decision = DecisionRecordFactory(
        provider=provider,
        action=A.EXITED,
        from_status=S.ACTIVE,
        to_status=S.EXITED,
        month=date(2026, 8, 1),
        decided_at=timezone.make_aware(datetime.combine(date(2026, 9, 3), time(4))),
    )
    DecisionRecordFactory(
        provider=provider,
        action=A.APPEAL_UPHELD,
        from_status=S.EXITED,
        to_status=S.ACTIVE,
        related_decision=exit_decision,
        decided_at=timezone.make_aware(datetime.combine(date(2026, 9, 8), time(10))),
    )
    statuses = provider_statuses_at(months=[date(2026, 8, 1)], provider_ids=[provider.pk])
    assert statuses[date(2026, 8, 1)][provider.pk] == S.ACTIVE
