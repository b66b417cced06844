"""Separation of duties: with the setting on, no one moves money alone; off, one user may."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from funding.models import DisbursementStatus, EntryKind, LedgerEntry, PoolKind, ProposalStatus
from funding.services.allocation import proposal_approve, proposal_create, proposal_line_edit
from funding.services.ledger import disbursement_approve, disbursement_pay, disbursement_request
from funding.services.tiers import tier_review
from tests.factories import ProviderFactory, ScoringModelFactory
from tests.funding.builders import WAN_FEN, M, finance_user, gmv_history, period_pool, score

pytestmark = pytest.mark.django_db


@pytest.fixture
def duties(settings):
    settings.SEPARATION_OF_DUTIES = True
    settings.SEPARATION_OF_DUTIES_PAYER_DISTINCT = True
    return settings


@pytest.fixture
def finance():
    return finance_user("finance-a"), finance_user("finance-b"), finance_user("finance-c")


@pytest.fixture
def world():
    model = ScoringModelFactory()
    provider = ProviderFactory(name="星火")
    gmv_history(provider, monthly_net_fen=9_000 * WAN_FEN)
    score(provider, model, 80)
    tier_review(month=M)
    budgets = {"tier_1b": 500_000_000, "tier_100m": 300_000_000}
    period_pool(total=1_000_000_000, budgets=budgets)
    period_pool(kind=PoolKind.TRAFFIC, total=1_000_000_000, budgets=budgets)


def draft(by):
    return proposal_create(period_start=M, by=by)


def fund_grant():
    return LedgerEntry.objects.filter(kind=EntryKind.GRANT, pool__kind=PoolKind.FUND).first()


def test_the_creator_cannot_approve_a_proposal(duties, world, finance):
    a, b, _c = finance
    proposal = draft(a)
    with pytest.raises(ValidationError, match="您创建了此方案"):
        proposal_approve(proposal=proposal, by=a, key="k")
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.DRAFT
    assert not LedgerEntry.objects.exists()
    assert proposal_approve(proposal=proposal, by=b, key="k").approved


def test_an_editor_cannot_approve_a_proposal(duties, world, finance):
    a, b, c = finance
    proposal = draft(a)
    line = proposal.lines.first()
    proposal_line_edit(line=line, by=b, reason="调整", fund_fen=line.fund_fen - 1)
    with pytest.raises(ValidationError, match="您修改过此方案的明细"):
        proposal_approve(proposal=proposal, by=b, key="k")
    assert proposal_approve(proposal=proposal, by=c, key="k").approved


def test_a_proposal_of_a_scheduled_run_is_approved_by_anyone_who_did_not_edit_it(
    duties, world, finance
):
    proposal = draft(None)
    assert proposal_approve(proposal=proposal, by=finance[0], key="k").approved


def test_request_approval_and_payment_take_three_people(duties, world, finance):
    a, b, c = finance
    proposal_approve(proposal=draft(None), by=a, key="k")
    request = disbursement_request(grant=fund_grant(), amount_fen=1_000, by=a)
    with pytest.raises(ValidationError, match="您提交了此发放申请，须由另一位财务人员审批"):
        disbursement_approve(request=request, by=a)
    disbursement_approve(request=request, by=b)
    with pytest.raises(ValidationError, match="须由另一位财务人员支付"):
        disbursement_pay(request=request, by=a)
    with pytest.raises(ValidationError, match="您审批了此发放申请"):
        disbursement_pay(request=request, by=b)
    request.refresh_from_db()
    assert request.status == DisbursementStatus.APPROVED
    assert disbursement_pay(request=request, by=c).status == DisbursementStatus.PAID


def test_two_people_suffice_when_the_payer_need_not_be_a_third(duties, world, finance):
    duties.SEPARATION_OF_DUTIES_PAYER_DISTINCT = False
    a, b, _c = finance
    proposal_approve(proposal=draft(None), by=a, key="k")
    request = disbursement_request(grant=fund_grant(), amount_fen=1_000, by=a)
    disbursement_approve(request=request, by=b)
    assert disbursement_pay(request=request, by=a).status == DisbursementStatus.PAID


def test_off_one_user_may_do_everything(settings, world, finance):
    settings.SEPARATION_OF_DUTIES = False
    a = finance[0]
    proposal_approve(proposal=draft(a), by=a, key="k")
    request = disbursement_request(grant=fund_grant(), amount_fen=1_000, by=a)
    disbursement_approve(request=request, by=a)
    assert disbursement_pay(request=request, by=a).status == DisbursementStatus.PAID


def test_the_admin_says_why_and_never_answers_500(client, duties, world, finance):
    a, b, _c = finance
    proposal = draft(a)
    client.force_login(a)
    changelist = reverse("admin:funding_proposal_changelist")
    response = client.post(
        changelist,
        {"action": "approve_proposals", "_selected_action": [proposal.pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert "职责分离：您创建了此方案" in response.content.decode()
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.DRAFT

    proposal_approve(proposal=proposal, by=b, key="k")
    request = disbursement_request(grant=fund_grant(), amount_fen=1_000, by=a)
    response = client.post(
        reverse("admin:funding_disbursementrequest_changelist"),
        {"action": "approve_requests", "_selected_action": [request.pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert "职责分离：您提交了此发放申请" in response.content.decode()
    request.refresh_from_db()
    assert request.status == DisbursementStatus.REQUESTED
