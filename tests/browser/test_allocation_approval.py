"""Finance approves a proposal from the staff allocation page, through the confirmation."""

import pytest

from funding.models import EntryKind, LedgerEntry, PoolKind, ProposalStatus
from funding.services.allocation import proposal_create
from funding.services.tiers import tier_review
from providers.roles import Role
from tests.browser.conftest import sign_in
from tests.factories import ProviderFactory, ScoringModelFactory, StaffUserFactory
from tests.factories.providers import TEST_PASSWORD
from tests.funding.builders import WAN_FEN, M, gmv_history, period_pool, score
from zaofeng.money import format_fen_cn

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_finance_approves_a_proposal_after_reading_what_it_grants(page):
    model = ScoringModelFactory()
    provider = ProviderFactory(name="星火")
    gmv_history(provider, monthly_net_fen=9_000 * WAN_FEN)
    score(provider, model, 80)
    tier_review(month=M)
    budgets = {"tier_1b": 500_000_000, "tier_100m": 300_000_000}
    period_pool(total=1_000_000_000, budgets=budgets)
    period_pool(kind=PoolKind.TRAFFIC, total=1_000_000_000, budgets=budgets)
    proposal = proposal_create(period_start=M)
    fund = sum(line.fund_fen for line in proposal.lines.all())
    assert fund > 0
    StaffUserFactory(username="browser-finance", role=Role.FINANCE)
    page.set_viewport_size({"width": 1280, "height": 900})

    sign_in(page, "browser-finance", TEST_PASSWORD)
    page.wait_for_url("**/staff/")
    page.locator('nav.staff-nav [data-nav="allocation"]').click()
    page.get_by_role("link", name=f"第 {proposal.pk} 号").click()
    page.wait_for_selector('[data-chart="distribution"][data-drawn="true"]')
    page.locator("#approve-link").click()

    assert page.locator("#approval-fund").inner_text() == format_fen_cn(fund)
    assert "只能逐笔追回" in page.locator("#approval-warning").inner_text()
    # Without the tick the browser keeps the form: nothing is granted.
    page.locator("#approve-button").click()
    assert not LedgerEntry.objects.exists()

    page.locator("#id_confirm").check()
    page.locator("#approve-button").click()
    message = page.locator(".message.success").inner_text()
    assert message.startswith("已批准")
    assert format_fen_cn(fund) in message
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.APPROVED
    assert LedgerEntry.objects.filter(kind=EntryKind.GRANT).count() == 2
