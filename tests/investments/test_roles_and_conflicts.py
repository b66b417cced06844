"""The 投资 role, who sees the fund, and the conflict of interest with portfolio providers."""

from datetime import date

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from funding.models import PendingDemotion, PendingDemotionStatus, Proposal, ProposalStatus
from funding.services.allocation import proposal_approve, proposal_line_edit
from funding.services.ledger import disbursement_approve, disbursement_request
from funding.services.tiers import demotion_confirm, demotion_reject
from providers.conflicts import conflicted_provider_ids
from providers.models import (
    AppealStatus,
    LifecycleStatus,
    PortfolioCompany,
    RectificationPlanStatus,
)
from providers.roles import Role
from providers.services.appeals import appeal_decide
from providers.services.lifecycle import provider_warn
from providers.services.rectification import rectification_plan_review
from tests.factories import (
    AppealFactory,
    ProposalFactory,
    ProposalLineFactory,
    ProviderFactory,
    RectificationPlanFactory,
    StaffUserFactory,
    TierMembershipFactory,
    tier,
)
from tests.funding.builders import finance_user, grant, period_pool
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


def test_a_superuser_in_the_investment_group_is_conflicted_like_any_investor():
    """A superuser holds every role for permissions; the conflict asks whether they are in the
    投资 group itself, and a superuser who is works on the fund like any investor."""
    superuser = StaffUserFactory(username="super-investor", is_superuser=True)
    superuser.groups.add(Group.objects.get(name=Role.INVESTMENT.group_name))
    provider = ProviderFactory(status=LifecycleStatus.ACTIVE)
    _portfolio(provider)
    assert conflicted_provider_ids(superuser, [provider.pk]) == {provider.pk}
    with pytest.raises(ValidationError, match="利益冲突"):
        provider_warn(provider=provider, reason="违规", by=superuser)
    provider.refresh_from_db()
    assert provider.status == LifecycleStatus.ACTIVE


def test_a_superuser_outside_the_investment_group_is_not_conflicted():
    superuser = StaffUserFactory(username="super-only", is_superuser=True)
    provider = ProviderFactory(status=LifecycleStatus.ACTIVE)
    _portfolio(provider)
    assert conflicted_provider_ids(superuser, [provider.pk]) == set()
    provider_warn(provider=provider, reason="违规", by=superuser)
    provider.refresh_from_db()
    assert provider.status == LifecycleStatus.WARNING


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


# ----------------------------------------------------------------------------------------------
# Every path of a decision on a portfolio provider, not only the two services first guarded:
# appeals (also dismissed, also upheld without a transition), rectification plans, demotions,
# disbursements; through the services, the staff pages and the admin actions.
# ----------------------------------------------------------------------------------------------
def _conflicted(*roles, username):
    return user_with(*roles, Role.INVESTMENT, username=username)


def test_an_investor_reviewer_cannot_decide_a_portfolio_providers_appeal_either_way(client):
    reviewer = _conflicted(Role.REVIEWER, username="inv-appeals")
    appeal = AppealFactory()
    _portfolio(appeal.provider)
    for upheld in (False, True):
        with pytest.raises(ValidationError, match="利益冲突"):
            appeal_decide(appeal=appeal, by=reviewer, upheld=upheld, reason="维持")
    appeal.refresh_from_db()
    assert appeal.status == AppealStatus.PENDING

    client.force_login(reviewer)
    case = client.get(reverse("staff:appeal_case", args=[appeal.pk])).content.decode()
    assert "生态基金被投" in case
    assert "生态基金被投" in client.get(reverse("staff:queue", args=["appeals"])).content.decode()


def test_an_investor_cannot_dismiss_a_portfolio_providers_appeal_in_the_admin(client):
    reviewer = _conflicted(Role.REVIEWER, username="inv-appeals-admin")
    appeal = AppealFactory()
    _portfolio(appeal.provider)
    client.force_login(reviewer)
    response = client.post(
        reverse("admin:providers_appeal_changelist"),
        {
            "action": "dismiss",
            ACTION_CHECKBOX_NAME: [appeal.pk],
            "reason": "证据充分",
            "apply": "1",
        },
        follow=True,
    )
    assert "利益冲突" in response.content.decode()
    appeal.refresh_from_db()
    assert appeal.status == AppealStatus.PENDING


def test_an_investor_cannot_warn_a_portfolio_provider_in_the_admin(client):
    admin = _conflicted(Role.PROGRAM_ADMIN, username="inv-admin")
    provider = ProviderFactory(status=LifecycleStatus.ACTIVE)
    _portfolio(provider)
    client.force_login(admin)
    response = client.post(
        reverse("admin:providers_provider_changelist"),
        {
            "action": "lifecycle_warn",
            ACTION_CHECKBOX_NAME: [provider.pk],
            "reason": "直播间违规话术",
            "apply": "1",
        },
        follow=True,
    )
    assert "利益冲突" in response.content.decode()
    provider.refresh_from_db()
    assert provider.status == LifecycleStatus.ACTIVE


def test_an_investor_reviewer_cannot_review_a_portfolio_providers_rectification_plan():
    reviewer = _conflicted(Role.REVIEWER, username="inv-plans")
    plan = RectificationPlanFactory()
    _portfolio(plan.provider)
    with pytest.raises(ValidationError, match="利益冲突"):
        rectification_plan_review(plan=plan, by=reviewer, accepted=True)
    plan.refresh_from_db()
    assert plan.status == RectificationPlanStatus.SUBMITTED


def _pending_demotion(provider):
    TierMembershipFactory(provider=provider, tier=tier("tier_100m"), started_on=date(2026, 1, 1))
    return PendingDemotion.objects.create(
        provider=provider,
        month=date(2026, 9, 1),
        from_tier=tier("tier_100m"),
        to_tier=tier("tier_50m"),
        trailing_net_gmv_fen=9_500_000_000,
        periods_below=2,
        reason="连续两期低于门槛",
    )


def test_an_investor_admin_can_neither_confirm_nor_reject_a_portfolio_providers_demotion(client):
    admin = _conflicted(Role.PROGRAM_ADMIN, username="inv-demotions")
    provider = ProviderFactory(status=LifecycleStatus.ACTIVE)
    pending = _pending_demotion(provider)
    _portfolio(provider)
    with pytest.raises(ValidationError, match="利益冲突"):
        demotion_confirm(pending=pending, by=admin, note="确认")
    with pytest.raises(ValidationError, match="利益冲突"):
        demotion_reject(pending=pending, by=admin, note="保留")
    pending.refresh_from_db()
    assert pending.status == PendingDemotionStatus.PENDING

    client.force_login(admin)
    queue = client.get(reverse("staff:queue", args=["demotions"])).content.decode()
    assert "生态基金被投" in queue
    refused = client.post(
        reverse("staff:decide_demotion", args=[pending.pk]),
        {"decision": "reject", "reason": "保留"},
        follow=True,
    )
    assert "利益冲突" in refused.content.decode()
    pending.refresh_from_db()
    assert pending.status == PendingDemotionStatus.PENDING
    # Someone without the investment role decides as before.
    demotion_reject(
        pending=pending,
        by=StaffUserFactory(username="admin-2", role=Role.PROGRAM_ADMIN),
        note="保留",
    )


def test_an_investor_in_finance_cannot_approve_a_portfolio_providers_disbursement(client):
    provider = ProviderFactory(status=LifecycleStatus.ACTIVE)
    pool = period_pool(total=1_000_000_000)
    entry = grant(pool, provider, 5_000_000)
    _portfolio(provider)
    requested = disbursement_request(grant=entry, amount_fen=1_000_000, by=finance_user("fin-req"))
    investor = _conflicted(Role.FINANCE, username="inv-finance")
    with pytest.raises(ValidationError, match="利益冲突"):
        disbursement_approve(request=requested, by=investor)

    client.force_login(investor)
    client.post(
        reverse("admin:funding_disbursementrequest_changelist"),
        {"action": "approve_requests", "_selected_action": [requested.pk]},
    )
    requested.refresh_from_db()
    assert requested.status == "requested"


def test_an_investor_in_finance_cannot_approve_through_the_admin_and_is_told_on_the_page(client):
    approver = _conflicted(Role.FINANCE, username="inv-proposals")
    pool = period_pool(total=1_000_000_000)
    proposal = ProposalFactory(fund_pool=pool)
    provider = ProviderFactory(name="杭州星火代运营", status=LifecycleStatus.ACTIVE)
    line = ProposalLineFactory(proposal=proposal, provider=provider, computed_fund_fen=1_000)
    _portfolio(provider)
    client.force_login(approver)
    response = client.post(
        reverse("admin:funding_proposal_changelist"),
        {"action": "approve_proposals", "_selected_action": [proposal.pk]},
        follow=True,
    )
    assert "利益冲突" in response.content.decode()
    assert Proposal.objects.get(pk=proposal.pk).status == ProposalStatus.DRAFT

    page = client.get(reverse("staff:allocation_approve", args=[proposal.pk])).content.decode()
    assert "杭州星火代运营" in page
    assert 'id="approval-conflict"' in page
    edit = client.get(reverse("staff:allocation_line", args=[proposal.pk, line.pk]))
    assert "生态基金被投" in edit.content.decode()
    with pytest.raises(ValidationError, match="利益冲突"):
        proposal_line_edit(line=line, by=approver, reason="上调", fund_fen=2_000)
    line.refresh_from_db()
    assert line.fund_fen == 1_000
