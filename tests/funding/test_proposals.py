"""From tiers to a proposal, finance's edits and approval, and the what-if; by hand."""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from funding.models import (
    AllocationPolicy,
    EntryKind,
    LedgerEntry,
    Pool,
    PoolKind,
    Proposal,
    ProposalEdit,
    ProposalLine,
    ProposalStatus,
)
from funding.selectors import allocation_what_if, policy_terms
from funding.services.allocation import (
    policy_activate,
    pool_save,
    proposal_approve,
    proposal_create,
    proposal_line_edit,
)
from funding.services.ledger import reconciliation_check
from funding.services.tiers import tier_review
from providers.models import LifecycleStatus
from providers.services.lifecycle import provider_warn
from tests.factories import (
    AllocationPolicyFactory,
    MembershipFactory,
    ProviderFactory,
    ScoringModelFactory,
    TierPolicyFactory,
    tier,
)
from tests.funding.builders import (
    WAN_FEN,
    M,
    finance_user,
    gmv_history,
    grant,
    period_pool,
    score,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    """Pool ¥1,000万 (1,000,000,000 fen): ¥1B tier budget ¥400万, ¥100M tier ¥300万.

    Policy: cap 30% (¥300万), reserve 10% (¥100万), base ¥50万 in the ¥1B tier and ¥10万 in the
    ¥100M tier, remainder by overall score.
    """
    model = ScoringModelFactory()
    policy = AllocationPolicyFactory(cap_share="0.300000", new_entrant_share="0.100000")
    TierPolicyFactory(
        policy=policy, tier=tier("tier_1b"), base_fund_fen=50_000_000, base_impressions=0
    )
    TierPolicyFactory(
        policy=policy, tier=tier("tier_100m"), base_fund_fen=10_000_000, base_impressions=0
    )
    policy_activate(policy=policy)

    def member(name, monthly_fen, value, **kwargs):
        provider = ProviderFactory(name=name, **kwargs)
        gmv_history(provider, monthly_net_fen=monthly_fen, last=M, months=15)
        score(provider, model, value)
        return provider

    providers = {
        "A": member("A", 9_000 * WAN_FEN, 90),  # ¥10.8亿: ¥1B tier
        "C": member("C", 1_250 * WAN_FEN, 80),  # ¥1.5亿: ¥100M tier
        "C2": member("C2", 1_000 * WAN_FEN, 70),  # ¥1.2亿: ¥100M tier
        "W": member("W", 2_000 * WAN_FEN, 80, status=LifecycleStatus.WARNING),
        "R": member("R", 2_000 * WAN_FEN, 80, status=LifecycleStatus.RECTIFICATION),
        "X": member("X", 2_000 * WAN_FEN, 80, status=LifecycleStatus.EXITED),
        "B": member("B", 2_000 * WAN_FEN, 80, status=LifecycleStatus.BANNED),
        "E": member("E", 2_000 * WAN_FEN, 80, status=LifecycleStatus.APPLICANT),
        # Joined this period, no GMV or score yet: a new entrant.
        "N": ProviderFactory(name="N", joined_on=M),
        # Joined the period before: still in its first two periods, but no tier either.
        "N2": ProviderFactory(name="N2", joined_on=date(2026, 8, 20)),
        # Joined three periods ago: no longer new.
        "O": ProviderFactory(name="O", joined_on=date(2026, 6, 1)),
    }
    tier_review(month=M)
    pool = period_pool(
        total=1_000_000_000, budgets={"tier_1b": 400_000_000, "tier_100m": 300_000_000}
    )
    return providers, pool, policy


def amounts(proposal):
    return {line.provider.name: line.fund_fen for line in proposal.lines.select_related("provider")}


def test_proposal_by_hand(world):
    """Reserve ¥100万 between N and N2: ¥50万 each.
    ¥1B tier: A alone, base ¥50万 + the remaining ¥350万 = ¥400万 > cap ¥300万: A takes ¥300万.
    ¥100M tier: C and C2 base ¥10万 each; the remaining ¥280万 split 80:70 →
    149,333,333.33 and 130,666,666.67 fen; the one fen left goes to the larger remainder (C2).
    """
    providers, pool, policy = world
    proposal = proposal_create(period_start=M)
    assert amounts(proposal) == {
        "A": 300_000_000,
        "C": 10_000_000 + 149_333_333,
        "C2": 10_000_000 + 130_666_667,
        "N": 50_000_000,
        "N2": 50_000_000,
    }
    assert proposal.status == ProposalStatus.DRAFT
    assert proposal.policy == policy
    assert proposal.basis_month == M
    # Left in the pool: ¥200万 outside every budget and the ¥100万 A's cap kept from it.
    assert proposal.figures["fund"]["allocated"] == 700_000_000
    assert proposal.figures["fund"]["unallocated"] == 300_000_000
    assert proposal.figures["fund"]["cap"] == 300_000_000
    excluded = proposal.figures["excluded"]
    # Tier members that may not receive allocations are listed; exited, banned and applicant
    # providers hold no tier and are not candidates at all.
    assert {int(pk) for pk in excluded} == {providers[k].pk for k in ("W", "R")}
    assert "预警" in excluded[str(providers["W"].pk)]
    assert "整改" in excluded[str(providers["R"].pk)]
    a_line = proposal.lines.get(provider=providers["A"])
    assert a_line.tier.code == "tier_1b"
    assert a_line.explanation["fund"] == {
        "reserve": 0,
        "base": 50_000_000,
        "weighted": 250_000_000,
        "exploration": 0,
        "capped": True,
    }
    assert proposal.lines.get(provider=providers["N"]).new_entrant


def test_a_proposal_reads_the_scores_of_the_version_that_scored_the_month(world):
    """v2 published before it rescored September: the lines keep v1's scores, not none."""
    from scoring.models import ScoringModel, ScoringModelStatus

    providers, pool, policy = world
    ScoringModel.objects.filter(status=ScoringModelStatus.PUBLISHED).update(
        status=ScoringModelStatus.RETIRED
    )
    ScoringModelFactory()
    proposal = proposal_create(period_start=M)
    scores = {
        line.provider.name: line.overall_score for line in proposal.lines.select_related("provider")
    }
    assert scores["A"] == 90
    assert scores["C"] == 80
    assert scores["C2"] == 70
    assert amounts(proposal)["C"] == 10_000_000 + 149_333_333


def test_score_times_growth_weighting(world):
    """C grew: ¥1,250万 a month now; make C2's last quarter twice what it was a year earlier."""
    providers, pool, policy = world
    policy.weighting = "score_growth"
    policy.save(update_fields=["weighting"])
    proposal = proposal_create(period_start=M)
    # Both histories are flat, so growth is 1 and the split is the same as by score alone.
    assert amounts(proposal)["C"] == 159_333_333
    line = proposal.lines.get(provider=providers["C"])
    assert line.explanation["growth_ppm"] == 1_000_000
    assert line.weight == 8_000 * 1_000_000


def test_a_new_proposal_supersedes_the_draft(world):
    first = proposal_create(period_start=M)
    second = proposal_create(period_start=M)
    first.refresh_from_db()
    assert first.status == ProposalStatus.SUPERSEDED
    assert second.status == ProposalStatus.DRAFT


def test_proposal_needs_pools_and_a_tier_review(world):
    with pytest.raises(ValidationError) as error:
        proposal_create(period_start=date(2027, 1, 1))
    assert "period_start" in error.value.message_dict
    period_pool(total=10, period_start=date(2027, 1, 1))
    with pytest.raises(ValidationError, match="尚未进行分层评审"):
        proposal_create(period_start=date(2027, 1, 1))


def test_budgets_that_do_not_fit_beside_the_reserve_are_refused(world):
    _providers, pool, _policy = world
    pool.budgets.filter(tier__code="tier_1b").update(amount=700_000_000)
    with pytest.raises(ValidationError) as error:
        proposal_create(period_start=M)
    assert "budgets" in error.value.message_dict


def test_finance_edits_are_recorded_and_bounded(world):
    providers, pool, _policy = world
    proposal = proposal_create(period_start=M)
    line = proposal.lines.get(provider=providers["C"])
    finance = finance_user()

    proposal_line_edit(line=line, by=finance, reason="区域复核下调", fund_fen=150_000_000)

    line.refresh_from_db()
    assert (line.fund_fen, line.computed_fund_fen, line.is_edited) == (
        150_000_000,
        159_333_333,
        True,
    )
    edit = ProposalEdit.objects.get()
    assert (edit.field, edit.old_value, edit.new_value, edit.reason, edit.edited_by) == (
        "fund_fen",
        159_333_333,
        150_000_000,
        "区域复核下调",
        finance,
    )
    with pytest.raises(ValidationError) as error:
        proposal_line_edit(line=line, by=finance, reason="上调", fund_fen=300_000_001)
    assert "fund_fen" in error.value.message_dict  # over the cap
    with pytest.raises(ValidationError) as error:
        proposal_line_edit(line=line, by=finance, reason="", fund_fen=1)
    assert "reason" in error.value.message_dict
    with pytest.raises(PermissionDenied):
        proposal_line_edit(line=line, by=_provider_user(), reason="x", fund_fen=1)
    assert ProposalEdit.objects.count() == 1


def test_edits_cannot_take_a_proposal_past_the_pool(world):
    providers, pool, _policy = world
    proposal = proposal_create(period_start=M)
    finance = finance_user()
    for name in ("C", "C2"):
        proposal_line_edit(
            line=proposal.lines.get(provider=providers[name]),
            by=finance,
            reason="上调",
            fund_fen=300_000_000,
        )
    # A ¥300万 + C ¥300万 + C2 ¥300万 + N ¥50万 + N2 ¥50万 = ¥1,000万: the whole pool, allowed;
    # one fen more is not.
    with pytest.raises(ValidationError, match="超过资源池总额"):
        proposal_line_edit(
            line=proposal.lines.get(provider=providers["N2"]),
            by=finance,
            reason="上调",
            fund_fen=50_000_001,
        )


def test_approval_enters_one_grant_per_line_and_repeating_it_changes_nothing(world):
    providers, pool, _policy = world
    proposal = proposal_create(period_start=M)
    finance = finance_user()
    proposal_line_edit(
        line=proposal.lines.get(provider=providers["C"]),
        by=finance,
        reason="下调",
        fund_fen=150_000_000,
    )

    outcome = proposal_approve(proposal=proposal, by=finance, key="approve-1")

    assert (outcome.approved, outcome.grants_created, outcome.fund_fen) == (
        True,
        5,
        700_000_000 - 9_333_333,
    )
    pool.refresh_from_db()
    assert pool.balance == 1_000_000_000 - outcome.fund_fen
    grants = LedgerEntry.objects.filter(kind=EntryKind.GRANT)
    assert {g.provider.name: g.amount for g in grants} == amounts(proposal)
    assert all(g.idempotency_key.startswith(f"proposal:{proposal.pk}:") for g in grants)
    proposal.refresh_from_db()
    assert (proposal.status, proposal.approved_by, proposal.approval_key) == (
        ProposalStatus.APPROVED,
        finance,
        "approve-1",
    )

    again = proposal_approve(proposal=proposal, by=finance_user("finance-2"), key="approve-2")
    assert (again.approved, again.already_approved, again.grants_created) == (False, True, 0)
    assert LedgerEntry.objects.count() == 5
    pool.refresh_from_db()
    assert pool.balance == 1_000_000_000 - outcome.fund_fen
    assert reconciliation_check().ok
    with pytest.raises(ValidationError):
        proposal_line_edit(line=proposal.lines.first(), by=finance, reason="批准后修改", fund_fen=1)


def test_a_period_with_an_approved_proposal_is_not_allocated_again(world):
    from funding.services.allocation import PERIOD_ALREADY_APPROVED

    first = proposal_create(period_start=M)
    proposal_approve(proposal=first, by=finance_user(), key="k1")
    expected = str(PERIOD_ALREADY_APPROVED).format(period="2026-09", proposal=first.pk)
    with pytest.raises(ValidationError) as error:
        proposal_create(period_start=M)
    assert error.value.message_dict == {"period_start": [expected]}
    # A draft written before the approval (as a second tab would hold) is refused too.
    stale = Proposal.objects.create(
        period_kind=first.period_kind,
        period_start=M,
        basis_month=first.basis_month,
        policy=first.policy,
        fund_pool=first.fund_pool,
    )
    with pytest.raises(ValidationError) as error:
        proposal_approve(proposal=stale, by=finance_user("finance-2"), key="k2")
    assert error.value.message_dict == {"period_start": [expected]}
    stale.refresh_from_db()
    assert stale.status == ProposalStatus.DRAFT
    # The database refuses a second approved proposal whatever the caller.
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Proposal.objects.filter(pk=stale.pk).update(status=ProposalStatus.APPROVED)


def test_approval_needs_a_finance_user(world):
    proposal = proposal_create(period_start=M)
    with pytest.raises(PermissionDenied):
        proposal_approve(proposal=proposal, by=None, key="k")
    with pytest.raises(PermissionDenied):
        proposal_approve(proposal=proposal, by=ProviderFactory() and _provider_user(), key="k")
    assert not LedgerEntry.objects.exists()


def _provider_user():
    return MembershipFactory().user


def test_approval_skips_a_provider_that_left_the_eligible_statuses(world):
    providers, pool, _policy = world
    proposal = proposal_create(period_start=M)
    provider_warn(provider=providers["C2"], reason="投诉率超过阈值")
    outcome = proposal_approve(proposal=proposal, by=finance_user(), key="k")
    assert [pid for pid, _why in outcome.skipped] == [providers["C2"].pk]
    assert not LedgerEntry.objects.filter(provider=providers["C2"]).exists()
    assert outcome.fund_fen == 700_000_000 - 140_666_667


def test_a_pool_that_cannot_cover_a_proposal_refuses_it_whole(world):
    providers, pool, _policy = world
    proposal = proposal_create(period_start=M)  # 700,000,000
    grant(pool, providers["O"], 400_000_000)  # granted outside it: 600,000,000 left
    with pytest.raises(ValidationError) as error:
        proposal_approve(proposal=proposal, by=finance_user(), key="k1")
    assert "fund_fen" in error.value.message_dict
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.DRAFT
    assert LedgerEntry.objects.count() == 1
    pool.refresh_from_db()
    assert pool.balance == 600_000_000


def test_what_if_shows_the_difference_and_writes_nothing(world):
    providers, pool, policy = world
    proposal = proposal_create(period_start=M)
    counts = (Proposal.objects.count(), ProposalLine.objects.count(), LedgerEntry.objects.count())

    raised_cap = allocation_what_if(
        proposal=proposal, terms=policy_terms(policy).with_changes(cap_ppm=500_000)
    )
    changed = {row.provider_id: row for row in raised_cap.changed}
    assert set(changed) == {providers["A"].pk}
    assert (changed[providers["A"].pk].current_fund_fen, changed[providers["A"].pk].fund_fen) == (
        300_000_000,
        400_000_000,
    )
    assert changed[providers["A"].pk].fund_difference == 100_000_000

    doubled = allocation_what_if(proposal=proposal, fund_total=2_000_000_000)
    rows = {row.provider_id: row for row in doubled.rows}
    # Budgets double with the pool: N and N2 share ¥200万; A, capped at 30% = ¥600万, takes ¥600万
    # of its ¥800万 budget; C and C2 share ¥600万: 10万 each + 580万 split 80:70.
    assert rows[providers["N"].pk].fund_fen == 100_000_000
    assert rows[providers["A"].pk].fund_fen == 600_000_000
    assert rows[providers["C"].pk].fund_fen == 10_000_000 + 309_333_333
    assert rows[providers["C2"].pk].fund_fen == 10_000_000 + 270_666_667
    assert (
        Proposal.objects.count(),
        ProposalLine.objects.count(),
        LedgerEntry.objects.count(),
    ) == counts
    assert Pool.objects.get(pk=pool.pk).total_amount == 1_000_000_000


def test_what_if_with_another_stored_policy(world):
    providers, _pool, _policy = world
    proposal = proposal_create(period_start=M)
    generous = AllocationPolicyFactory(cap_share="1.000000", new_entrant_share="0.000000")
    TierPolicyFactory(policy=generous, tier=tier("tier_1b"), base_fund_fen=0)
    result = allocation_what_if(proposal=proposal, policy=generous)
    rows = {row.provider_id: row for row in result.rows}
    assert rows[providers["A"].pk].fund_fen == 400_000_000
    assert rows[providers["N"].pk].fund_fen == 0  # no reserve in that policy
    assert AllocationPolicy.objects.get(is_current=True) != generous


def test_traffic_pool_allocated_beside_the_fund_pool(world):
    providers, _pool, policy = world
    period_pool(
        kind=PoolKind.TRAFFIC,
        total=1_000_000_000,
        budgets={"tier_1b": 500_000_000, "tier_100m": 300_000_000},
    )
    proposal = proposal_create(period_start=M)
    lines = {
        line.provider.name: line.impressions for line in proposal.lines.select_related("provider")
    }
    # No base impressions in this policy: A 300,000,000 (cap); C/C2 split 300,000,000 80:70.
    assert lines == {
        "A": 300_000_000,
        "C": 160_000_000,
        "C2": 140_000_000,
        "N": 50_000_000,
        "N2": 50_000_000,
    }
    outcome = proposal_approve(proposal=proposal, by=finance_user(), key="k")
    assert outcome.impressions == 700_000_000
    assert outcome.grants_created == 10


def test_pool_resize_moves_the_balance_and_never_below_what_was_granted(world):
    providers, pool, _policy = world
    proposal_approve(proposal=proposal_create(period_start=M), by=finance_user(), key="k")
    pool.refresh_from_db()
    pool.total_amount = 1_200_000_000
    pool_save(pool=pool)
    pool.refresh_from_db()
    assert pool.balance == 500_000_000
    pool.total_amount = 699_999_999
    with pytest.raises(ValidationError) as error:
        pool_save(pool=pool)
    assert "total_amount" in error.value.message_dict
    assert reconciliation_check().ok


def test_quarter_pools_start_on_a_quarter():
    with pytest.raises(ValidationError) as error:
        period_pool(total=1, period_start=date(2026, 8, 1), period_kind="quarter")
    assert "period_start" in error.value.message_dict
