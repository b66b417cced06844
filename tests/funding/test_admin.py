"""The funding admin: pages load, actions call the services, the ledger stays read-only."""

from datetime import date

import pytest
from django.contrib import admin
from django.urls import reverse

from funding.models import (
    DisbursementRequest,
    EntryKind,
    LedgerEntry,
    PendingDemotion,
    PendingDemotionStatus,
    Pool,
    PoolKind,
    Proposal,
    ProposalEdit,
    ProposalStatus,
    TierMembership,
)
from funding.services.allocation import proposal_approve, proposal_create
from funding.services.ledger import disbursement_request
from funding.services.tiers import tier_review
from providers.roles import Role
from tests.factories import (
    ProviderFactory,
    ScoringModelFactory,
    StaffUserFactory,
    TierMembershipFactory,
    tier,
)
from tests.funding.builders import (
    WAN_FEN,
    M,
    admin_user,
    finance_user,
    gmv_history,
    period_pool,
    score,
)

pytestmark = pytest.mark.django_db

FUNDING_MODELS = [m for m in admin.site._registry if m._meta.app_label == "funding"]


@pytest.fixture
def finance():
    return finance_user()


@pytest.fixture
def draft(finance):
    """Two tiered providers, pools for the period and a draft proposal."""
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


@pytest.fixture
def everything(draft, finance):
    """Every funding model with at least one row."""
    proposal_approve(proposal=draft, by=finance, key="fixture")
    fund_grant = LedgerEntry.objects.filter(kind=EntryKind.GRANT, pool__kind=PoolKind.FUND).first()
    disbursement_request(grant=fund_grant, amount_fen=1_000, by=finance)
    d = ProviderFactory(name="万象")
    TierMembershipFactory(provider=d, tier=tier("tier_100m"), started_on=date(2026, 1, 1))
    TierMembershipFactory(
        provider=d, tier=tier("tier_50m"), started_on=date(2025, 1, 1), ended_on=date(2026, 1, 1)
    )
    PendingDemotion.objects.create(
        provider=d,
        month=M,
        from_tier=tier("tier_100m"),
        to_tier=tier("tier_50m"),
        trailing_net_gmv_fen=9_500 * WAN_FEN,
        periods_below=2,
        reason="连续两期低于门槛",
    )
    line = draft.lines.first()
    ProposalEdit.objects.create(
        line=line, field="fund_fen", old_value=1, new_value=2, reason="测试", edited_by=finance
    )
    return draft


@pytest.mark.parametrize("model", FUNDING_MODELS, ids=lambda m: m._meta.label)
def test_every_funding_admin_page_loads(client, program_admin, everything, model):
    client.force_login(program_admin)
    meta = model._meta
    assert client.get(reverse(f"admin:funding_{meta.model_name}_changelist")).status_code == 200
    if admin.site._registry[model].has_add_permission(_request(program_admin)):
        assert client.get(reverse(f"admin:funding_{meta.model_name}_add")).status_code == 200
    instance = model._default_manager.first()
    response = client.get(reverse(f"admin:funding_{meta.model_name}_change", args=[instance.pk]))
    assert response.status_code == 200


def test_admin_speaks_chinese_about_funding(client, program_admin):
    client.force_login(program_admin)
    body = client.get(reverse("admin:index")).content.decode()
    for words in ("分层与资源分配", "层级与项目目标", "资源池", "分配方案", "台账", "待确认降级"):
        assert words in body


def test_finance_approves_a_proposal_from_the_admin(client, draft, finance):
    client.force_login(finance)
    response = client.post(
        reverse("admin:funding_proposal_changelist"),
        {"action": "approve_proposals", "_selected_action": [draft.pk]},
        follow=True,
    )
    assert response.status_code == 200
    draft.refresh_from_db()
    assert draft.status == ProposalStatus.APPROVED
    assert draft.approval_key == f"admin:{draft.pk}"
    assert LedgerEntry.objects.filter(kind=EntryKind.GRANT).count() == 4
    assert "已批准" in response.content.decode()
    client.post(
        reverse("admin:funding_proposal_changelist"),
        {"action": "approve_proposals", "_selected_action": [draft.pk]},
    )
    assert LedgerEntry.objects.filter(kind=EntryKind.GRANT).count() == 4


def test_a_reviewer_cannot_approve(client, draft):
    reviewer = StaffUserFactory(username="reviewer-1", role=Role.REVIEWER)
    client.force_login(reviewer)
    client.post(
        reverse("admin:funding_proposal_changelist"),
        {"action": "approve_proposals", "_selected_action": [draft.pk]},
    )
    draft.refresh_from_db()
    assert draft.status == ProposalStatus.DRAFT
    assert not LedgerEntry.objects.exists()


def _line_post(proposal, changes):
    """The change form of a proposal as the browser posts it, with changes per line index."""
    lines = list(proposal.lines.order_by("tier__rank", "provider"))
    data = {
        "lines-TOTAL_FORMS": len(lines),
        "lines-INITIAL_FORMS": len(lines),
        "lines-MIN_NUM_FORMS": 0,
        "lines-MAX_NUM_FORMS": 1000,
    }
    for index, line in enumerate(lines):
        data[f"lines-{index}-id"] = line.pk
        data[f"lines-{index}-proposal"] = proposal.pk
        data[f"lines-{index}-fund_fen"] = line.fund_fen
        data[f"lines-{index}-impressions"] = line.impressions
        data[f"lines-{index}-edit_reason"] = ""
        for key, value in changes.get(index, {}).items():
            data[f"lines-{index}-{key}"] = value
    return lines, data


def test_finance_edits_a_line_in_the_admin_and_the_edit_is_recorded(client, draft, finance):
    client.force_login(finance)
    url = reverse("admin:funding_proposal_change", args=[draft.pk])
    lines, data = _line_post(draft, {0: {"fund_fen": 12_345}})
    response = client.post(url, data)
    assert response.status_code == 200  # refused: no reason given
    assert "修改分配额须填写原因" in response.content.decode()
    assert not ProposalEdit.objects.exists()

    lines, data = _line_post(draft, {0: {"fund_fen": 12_345, "edit_reason": "复核下调"}})
    response = client.post(url, data)
    assert response.status_code == 302
    edit = ProposalEdit.objects.get()
    assert (edit.line, edit.new_value, edit.reason, edit.edited_by) == (
        lines[0],
        12_345,
        "复核下调",
        finance,
    )


def test_a_program_admin_confirms_a_pending_demotion_from_the_admin(client):
    provider = ProviderFactory()
    TierMembershipFactory(provider=provider, tier=tier("tier_100m"))
    pending = PendingDemotion.objects.create(
        provider=provider,
        month=M,
        from_tier=tier("tier_100m"),
        to_tier=tier("tier_50m"),
        trailing_net_gmv_fen=9_500 * WAN_FEN,
        periods_below=2,
        reason="连续两期低于门槛",
    )
    client.force_login(admin_user())
    client.post(
        reverse("admin:funding_pendingdemotion_changelist"),
        {"action": "confirm_demotions", "_selected_action": [pending.pk]},
    )
    pending.refresh_from_db()
    assert pending.status == PendingDemotionStatus.CONFIRMED
    assert TierMembership.objects.get(provider=provider, ended_on__isnull=True).tier.code == (
        "tier_50m"
    )


def test_rejecting_a_pending_demotion_asks_for_a_note(client):
    provider = ProviderFactory()
    TierMembershipFactory(provider=provider, tier=tier("tier_100m"))
    pending = PendingDemotion.objects.create(
        provider=provider,
        month=M,
        from_tier=tier("tier_100m"),
        trailing_net_gmv_fen=1,
        periods_below=2,
        reason="r",
    )
    client.force_login(admin_user())
    url = reverse("admin:funding_pendingdemotion_changelist")
    form = client.post(url, {"action": "reject_demotions", "_selected_action": [pending.pk]})
    assert "驳回降级" in form.content.decode()
    client.post(
        url,
        {
            "action": "reject_demotions",
            "_selected_action": [pending.pk],
            "apply": "1",
            "note": "保留",
        },
    )
    pending.refresh_from_db()
    assert (pending.status, pending.decision_note) == (PendingDemotionStatus.REJECTED, "保留")


def test_the_ledger_is_read_only_in_the_admin(client, everything, program_admin):
    client.force_login(program_admin)
    entry = LedgerEntry.objects.first()
    model_admin = admin.site._registry[LedgerEntry]
    request = _request(program_admin)
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, entry)
    assert not model_admin.has_delete_permission(request, entry)
    url = reverse("admin:funding_ledgerentry_change", args=[entry.pk])
    client.post(url, {"amount": 1})
    assert LedgerEntry.objects.get(pk=entry.pk).amount == entry.amount
    assert (
        client.get(reverse("admin:funding_ledgerentry_delete", args=[entry.pk])).status_code == 403
    )


def test_clawback_from_the_ledger_admin(client, everything, finance):
    grant = LedgerEntry.objects.filter(kind=EntryKind.GRANT, pool__kind=PoolKind.FUND).first()
    client.force_login(finance)
    client.post(
        reverse("admin:funding_ledgerentry_changelist"),
        {
            "action": "claw_back",
            "_selected_action": [grant.pk],
            "apply": "1",
            "amount": 500,
            "reason": "退款后追回",
        },
    )
    clawback = LedgerEntry.objects.get(kind=EntryKind.CLAWBACK)
    assert (clawback.grant, clawback.amount) == (grant, 500)


def test_pools_are_made_through_the_service_and_budgets_cannot_exceed_them(client, program_admin):
    client.force_login(program_admin)
    url = reverse("admin:funding_pool_add")
    data = {
        "kind": "fund",
        "period_kind": "month",
        "period_start": "2026-11-01",
        "name": "",
        "total_amount": 1_000,
        "budgets-TOTAL_FORMS": 1,
        "budgets-INITIAL_FORMS": 0,
        "budgets-MIN_NUM_FORMS": 0,
        "budgets-MAX_NUM_FORMS": 1000,
        "budgets-0-tier": tier("tier_1b").pk,
        "budgets-0-amount": 1_001,
    }
    response = client.post(url, data)
    assert "层级预算合计超过资源池总额" in response.content.decode()
    data["budgets-0-amount"] = 600
    assert client.post(url, data).status_code == 302
    pool = Pool.objects.get(period_start=date(2026, 11, 1))
    assert (pool.total_amount, pool.balance, pool.budgets.get().amount) == (1_000, 1_000, 600)


def test_reconcile_action_reports(client, everything, program_admin):
    client.force_login(program_admin)
    response = client.post(
        reverse("admin:funding_pool_changelist"),
        {"action": "reconcile", "_selected_action": [Pool.objects.first().pk]},
        follow=True,
    )
    assert "对账一致" in response.content.decode()


def test_create_what_if_and_forecast_pages(client, draft, finance):
    client.force_login(finance)
    create = reverse("admin:funding_proposal_create")
    assert client.get(create).status_code == 200
    response = client.post(create, {"period_start": "2026-09"})
    assert response.status_code == 302
    newest = Proposal.objects.latest("pk")
    assert newest.status == ProposalStatus.DRAFT
    assert client.post(create, {"period_start": "2027-03"}).status_code == 200  # no pools

    what_if = reverse("admin:funding_proposal_what_if", args=[newest.pk])
    response = client.get(what_if, {"fund_total": 2_000_000_000, "cap_share": "0.5"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "星火" in body
    assert "假设资金" in body
    assert Proposal.objects.count() == 2

    forecast = reverse("admin:funding_allocationpolicy_forecast")
    response = client.get(forecast, {"month": "2026-09"})
    assert response.status_code == 200
    body = response.content.decode()
    # No forecast run yet: the page says so (no compound-growth projection in its place).
    assert 'id="forecast-none"' in body
    assert "2026-Q4" not in body
    assert reverse("staff:dashboard") + "?month=2026-09#forecast" in body


def test_disbursement_request_through_the_admin(client, everything, finance):
    grant = LedgerEntry.objects.filter(kind=EntryKind.GRANT, pool__kind=PoolKind.FUND).first()
    client.force_login(finance)
    url = reverse("admin:funding_disbursementrequest_add")
    response = client.post(url, {"grant": grant.pk, "amount_fen": grant.amount * 10, "note": ""})
    assert "金额超过该授予可发放的余额" in response.content.decode()
    assert (
        client.post(url, {"grant": grant.pk, "amount_fen": 2_000, "note": "首期"}).status_code
        == 302
    )
    request = DisbursementRequest.objects.get(amount_fen=2_000)
    changelist = reverse("admin:funding_disbursementrequest_changelist")
    client.post(changelist, {"action": "approve_requests", "_selected_action": [request.pk]})
    client.post(changelist, {"action": "pay_requests", "_selected_action": [request.pk]})
    request.refresh_from_db()
    assert request.status == "paid"
    assert request.entry.kind == EntryKind.DISBURSEMENT


def _request(user):
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.user = user
    return request


def test_a_pool_cannot_shrink_below_what_was_granted_in_the_admin(
    client, everything, program_admin
):
    pool = Pool.objects.get(kind=PoolKind.FUND)
    granted = pool.total_amount - pool.balance
    client.force_login(program_admin)
    url = reverse("admin:funding_pool_change", args=[pool.pk])
    budgets = list(pool.budgets.all())
    data = {
        "period_kind": "month",
        "name": "",
        "total_amount": granted - 1,
        "budgets-TOTAL_FORMS": len(budgets),
        "budgets-INITIAL_FORMS": len(budgets),
        "budgets-MIN_NUM_FORMS": 0,
        "budgets-MAX_NUM_FORMS": 1000,
    }
    for index, budget in enumerate(budgets):
        data[f"budgets-{index}-id"] = budget.pk
        data[f"budgets-{index}-pool"] = pool.pk
        data[f"budgets-{index}-tier"] = budget.tier_id
        data[f"budgets-{index}-amount"] = 0
    response = client.post(url, data)
    assert response.status_code == 200
    assert "总额不能低于已授予的" in response.content.decode()
    data["total_amount"] = pool.total_amount + 100
    assert client.post(url, data).status_code == 302
    pool.refresh_from_db()
    assert pool.balance == pool.total_amount - granted
