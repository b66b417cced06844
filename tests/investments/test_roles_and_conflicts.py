"""The 投资 role, who sees the fund, and the conflict of interest with portfolio providers."""

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from funding.models import Proposal, ProposalStatus
from funding.services.allocation import proposal_approve
from providers.models import LifecycleStatus, PortfolioCompany
from providers.roles import Role
from providers.services.lifecycle import provider_warn
from tests.factories import (
    ProposalFactory,
    ProposalLineFactory,
    ProviderFactory,
    StaffUserFactory,
)
from tests.funding.builders import period_pool
from tests.investments.builders import YI, committee_members, deal_invested, fund_create

pytestmark = pytest.mark.django_db


def user_with(*roles, username="both"):
    user = StaffUserFactory(username=username, role=roles[0])
    for role in roles[1:]:
        user.groups.add(Group.objects.get(name=role.group_name))
    return user


def test_the_investment_group_exists_with_its_grants():
    group = Group.objects.get(name="投资")
    codenames = set(group.permissions.values_list("codename", flat=True))
    assert {"view_deal", "add_deal", "change_deal", "add_cashflow", "add_valuationmark"} <= (
        codenames
    )
    assert "delete_deal" not in codenames
    assert "change_proposal" not in codenames


def test_program_admins_have_everything_auditors_read_only_others_nothing():
    admin = Group.objects.get(name=Role.PROGRAM_ADMIN.group_name)
    auditor = Group.objects.get(name=Role.AUDITOR.group_name)
    finance = Group.objects.get(name=Role.FINANCE.group_name)

    def investment_codenames(group):
        return set(
            group.permissions.filter(content_type__app_label="investments").values_list(
                "codename", flat=True
            )
        )

    assert "delete_fund" in investment_codenames(admin)
    assert investment_codenames(auditor) == {
        c for c in investment_codenames(admin) if c.startswith("view_")
    }
    assert investment_codenames(finance) == set()


def _portfolio(provider):
    PortfolioCompany.objects.create(provider=provider, since=timezone.now())


def test_an_investor_who_is_also_finance_cannot_approve_an_allocation_to_a_portfolio_provider():
    approver = user_with(Role.FINANCE, Role.INVESTMENT)
    pool = period_pool(total=1_000_000_000)
    proposal = ProposalFactory(fund_pool=pool)
    provider = ProviderFactory(name="杭州星火代运营")
    ProposalLineFactory(proposal=proposal, provider=provider, computed_fund_fen=1_000)
    _portfolio(provider)

    with pytest.raises(ValidationError) as refused:
        proposal_approve(proposal=proposal, by=approver, key="k1")

    assert "利益冲突" in refused.value.message_dict["provider"][0]
    assert "杭州星火代运营" in refused.value.message_dict["provider"][0]
    assert Proposal.objects.get(pk=proposal.pk).status == ProposalStatus.DRAFT


def test_finance_without_the_investment_role_approves_as_before():
    approver = user_with(Role.FINANCE, username="finance-only")
    pool = period_pool(total=1_000_000_000)
    proposal = ProposalFactory(fund_pool=pool)
    provider = ProviderFactory()
    ProposalLineFactory(proposal=proposal, provider=provider, computed_fund_fen=1_000)
    _portfolio(provider)
    assert proposal_approve(proposal=proposal, by=approver, key="k1").approved


def test_an_investor_who_is_also_reviewer_cannot_warn_a_portfolio_provider():
    reviewer = user_with(Role.REVIEWER, Role.INVESTMENT)
    provider = ProviderFactory(status=LifecycleStatus.ACTIVE)
    _portfolio(provider)
    with pytest.raises(ValidationError, match="利益冲突"):
        provider_warn(provider=provider, reason="违规", by=reviewer)
    provider.refresh_from_db()
    assert provider.status == LifecycleStatus.ACTIVE
    other = ProviderFactory(status=LifecycleStatus.ACTIVE)
    provider_warn(provider=other, reason="违规", by=reviewer)


def test_investing_puts_the_provider_in_the_portfolio_so_the_rule_applies():
    investor = user_with(Role.INVESTMENT, Role.REVIEWER, username="investor")
    provider = ProviderFactory(status=LifecycleStatus.ACTIVE)
    deal_invested(
        fund=fund_create(),
        by=investor,
        amount_fen=YI,
        members=committee_members(),
        provider=provider,
    )
    assert PortfolioCompany.objects.filter(provider=provider).exists()
    with pytest.raises(ValidationError, match="利益冲突"):
        provider_warn(provider=provider, reason="违规", by=investor)


def test_review_screens_badge_portfolio_providers(client):
    reviewer = StaffUserFactory(username="reviewer", role=Role.REVIEWER)
    provider = ProviderFactory(status=LifecycleStatus.WARNING, name="成都山海直播基地")
    _portfolio(provider)
    client.force_login(reviewer)
    page = client.get(reverse("staff:queue", args=["warnings"])).content.decode()
    assert "生态基金被投" in page
    detail = client.get(reverse("staff:provider", args=[provider.code])).content.decode()
    assert "生态基金被投" in detail
