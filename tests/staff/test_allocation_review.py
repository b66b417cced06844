"""The allocation review in /staff/: figures, lines, edits with reasons, approval behind a
confirmation that states what will be granted; everything through funding's services."""

import re

import pytest
from django.urls import reverse

from funding.models import EntryKind, LedgerEntry, PoolKind, ProposalEdit, ProposalStatus
from funding.services.allocation import proposal_create
from funding.services.tiers import tier_review
from providers.roles import Role
from staff.selectors.allocation import _distribution
from tests.factories import ProviderFactory, ScoringModelFactory, StaffUserFactory
from tests.funding.builders import WAN_FEN, M, finance_user, gmv_history, period_pool, score
from zaofeng.money import format_count_cn, format_fen_cn

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]


@pytest.fixture
def finance():
    return finance_user("alloc-finance")


@pytest.fixture
def draft():
    """Two tiered providers, a fund and a traffic pool, a draft proposal."""
    model = ScoringModelFactory()
    for name, monthly in (("星火", 9_000 * WAN_FEN), ("山海", 1_250 * WAN_FEN)):
        provider = ProviderFactory(name=name)
        gmv_history(provider, monthly_net_fen=monthly)
        score(provider, model, 80)
    tier_review(month=M)
    budgets = {"tier_1b": 500_000_000, "tier_100m": 300_000_000}
    period_pool(total=1_000_000_000, budgets=budgets)
    period_pool(kind=PoolKind.TRAFFIC, total=1_000_000_000, budgets=budgets)
    return proposal_create(period_start=M)


def test_distribution_counts_lines_in_ten_bands_up_to_the_largest():
    buckets = _distribution([0, 5, 10, 100])
    assert len(buckets) == 10
    assert [b.lines for b in buckets] == [2, 1, 0, 0, 0, 0, 0, 0, 0, 1]  # bands of 10: [0, 10), …
    assert buckets[-1].high_fen >= 100
    assert _distribution([0, 0]) == ()


def test_the_review_shows_totals_by_tier_and_pool_and_the_largest_recipients(client, draft):
    client.force_login(StaffUserFactory(username="alloc-auditor", role=Role.AUDITOR))
    response = client.get(reverse("staff:allocation", args=[draft.pk]))
    assert response.status_code == 200
    review = response.context["review"]
    lines = list(draft.lines.all())
    assert review.lines == len(lines) == 2
    assert review.fund_fen == sum(line.fund_fen for line in lines)
    assert sum(row.fund_fen for row in review.by_tier) == review.fund_fen
    assert [pool.kind for pool in review.pools] == ["fund", "traffic"]
    assert review.pools[0].proposed == review.fund_fen
    assert review.largest[0].fund_fen == max(line.fund_fen for line in lines)
    page = response.content.decode()
    assert format_fen_cn(review.fund_fen) in page
    assert 'data-chart="distribution"' in page
    assert "审核并批准" not in page  # an auditor reads only


def test_lines_are_searched_and_sorted(client, draft):
    client.force_login(StaffUserFactory(username="alloc-auditor", role=Role.AUDITOR))
    url = reverse("staff:allocation", args=[draft.pk])
    found = client.get(url, {"q": "山海"}).context["page"].object_list
    assert [line.provider.name for line in found] == ["山海"]
    by_fund = client.get(url, {"sort": "fund"}).context["page"].object_list
    assert [line.provider.name for line in by_fund] == ["星火", "山海"]
    by_code = client.get(url, {"sort": "provider"}).context["page"].object_list
    codes = [line.provider.code for line in by_code]
    assert codes == sorted(codes)
    assert client.get(url, {"sort": "nonsense"}).status_code == 200


def test_finance_edits_a_line_with_a_reason_through_the_service(client, draft, finance):
    line = draft.lines.order_by("pk").first()
    client.force_login(finance)
    url = reverse("staff:allocation_line", args=[draft.pk, line.pk])

    refused = client.post(url, {"fund_yuan": "1000", "reason": "  "})
    assert refused.status_code == 400
    assert "请填写理由" in refused.content.decode()
    line.refresh_from_db()
    assert not ProposalEdit.objects.exists()

    response = client.post(url, {"fund_yuan": "1000", "reason": "按合同上限调整"}, follow=True)
    line.refresh_from_db()
    assert line.fund_fen == 100_000
    edit = ProposalEdit.objects.get()
    assert (edit.field, edit.new_value, edit.reason) == ("fund_fen", 100_000, "按合同上限调整")
    assert "已修改" in response.content.decode()
    assert "¥1,000" in response.content.decode()


def test_an_edit_over_the_pool_names_the_field_and_changes_nothing(client, draft, finance):
    line = draft.lines.order_by("pk").first()
    before = line.fund_fen
    client.force_login(finance)
    response = client.post(
        reverse("staff:allocation_line", args=[draft.pk, line.pk]),
        {"fund_yuan": "99999999", "reason": "试试"},
    )
    assert response.status_code == 400
    assert response.context["form"].errors["fund_yuan"]
    line.refresh_from_db()
    assert line.fund_fen == before


def test_the_confirmation_states_exactly_what_is_granted_and_that_only_clawbacks_undo_it(
    client, draft, finance
):
    client.force_login(finance)
    page = client.get(reverse("staff:allocation_approve", args=[draft.pk])).content.decode()
    fund = sum(line.fund_fen for line in draft.lines.all())
    impressions = sum(line.impressions for line in draft.lines.all())
    assert f'<dd id="approval-fund">{format_fen_cn(fund)}</dd>' in page
    assert f"{format_count_cn(impressions)} 次" in page
    assert re.search(r'id="approval-providers">2 家<', page)
    assert "只能逐笔追回" in page
    draft.refresh_from_db()
    assert draft.status == ProposalStatus.DRAFT


def test_approval_needs_the_box_ticked_then_grants_through_the_ledger_once(client, draft, finance):
    client.force_login(finance)
    url = reverse("staff:allocation_approve", args=[draft.pk])
    unticked = client.post(url, {"key": "k1"})
    assert unticked.status_code == 400
    assert not LedgerEntry.objects.exists()

    response = client.post(url, {"key": "k1", "confirm": "on"}, follow=True)
    draft.refresh_from_db()
    assert draft.status == ProposalStatus.APPROVED
    grants = LedgerEntry.objects.filter(kind=EntryKind.GRANT)
    assert grants.count() == 4  # two lines, two pools
    fund = sum(e.amount for e in grants if e.pool.kind == PoolKind.FUND)
    impressions = sum(e.amount for e in grants if e.pool.kind == PoolKind.TRAFFIC)
    assert [str(m) for m in response.context["messages"]] == [
        f"已批准{M:%Y-%m} 分配方案（第 {draft.pk} 号）：向 2 家服务商授予资金 "
        f"{format_fen_cn(fund)}、曝光 {format_count_cn(impressions)} 次，共写入 4 笔台账分录。"
    ]

    again = client.post(url, {"key": "k1", "confirm": "on"}, follow=True)
    assert LedgerEntry.objects.filter(kind=EntryKind.GRANT).count() == 4
    assert "已经批准" in "".join(str(m) for m in again.context["messages"])


@pytest.mark.parametrize("role", [Role.REVIEWER, Role.AUDITOR, Role.PROGRAM_ADMIN])
def test_only_finance_edits_or_approves(client, draft, role):
    client.force_login(StaffUserFactory(username=f"alloc-{role.value}", role=role))
    line = draft.lines.first()
    assert client.get(reverse("staff:allocation_approve", args=[draft.pk])).status_code == 403
    assert (
        client.post(
            reverse("staff:allocation_approve", args=[draft.pk]), {"key": "x", "confirm": "on"}
        ).status_code
        == 403
    )
    assert (
        client.post(
            reverse("staff:allocation_line", args=[draft.pk, line.pk]),
            {"fund_yuan": "1", "reason": "x"},
        ).status_code
        == 403
    )
    assert not LedgerEntry.objects.exists()
    assert client.get(reverse("staff:allocations")).status_code == 200


def test_portfolio_providers_are_badged_on_the_review(client, draft):
    """Conflict of interest: the fund's portfolio providers stand out on the lines."""
    from django.utils import timezone

    from providers.models.portfolio import PortfolioCompany

    line = draft.lines.select_related("provider").order_by("-fund_fen").first()
    PortfolioCompany.objects.create(provider=line.provider, since=timezone.now())
    client.force_login(StaffUserFactory(username="alloc-auditor", role=Role.AUDITOR))
    page = client.get(reverse("staff:allocation", args=[draft.pk])).content.decode()
    assert page.count("生态基金被投</span>") == 2  # in the largest recipients and on its line
