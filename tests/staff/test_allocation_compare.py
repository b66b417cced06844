"""The staff pages of a target-seeking proposal: the prior's warning, the explained lines, the
lottery's arms, and the comparison of both policies that writes nothing."""

import pytest
from django.urls import reverse

from funding.models import LedgerEntry, Proposal, ProposalLine
from funding.services.allocation import proposal_create
from providers.roles import Role
from tests.factories import StaffUserFactory
from tests.funding.builders import M, finance_user
from tests.funding.test_target_proposals import world  # noqa: F401 - the shared fixture

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]


def test_the_review_page_explains_each_line_and_warns_of_the_prior(client, world):  # noqa: F811
    providers, _pool, policy = world
    policy.exploration_enabled = True
    policy.save()
    proposal = proposal_create(period_start=M, lottery_seed=7)
    client.force_login(finance_user())
    html = client.get(reverse("staff:allocation", args=[proposal.pk])).content.decode()
    assert "响应曲线为先验假设，尚未经测量" in html
    assert "探索抽签种子：7" in html
    assert "随机对照" in html
    assert "到 2027-12 达到 ¥1亿 的概率" in html
    assert "差距过大" in html
    assert "已远高于门槛" in html
    assert "每 ¥1万 增加" in html


def test_the_comparison_shows_both_policies_and_writes_nothing(client, world):  # noqa: F811
    _providers, _pool, _policy = world
    proposal = proposal_create(period_start=M)
    counts = (Proposal.objects.count(), ProposalLine.objects.count(), LedgerEntry.objects.count())
    client.force_login(finance_user())
    response = client.get(reverse("staff:allocation_compare", args=[proposal.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-policy="rule"' in html
    assert 'data-policy="target_seeking"' in html
    assert "前十大受益者资金" in html
    assert "响应曲线为先验假设，尚未经测量" in html
    assert counts == (
        Proposal.objects.count(),
        ProposalLine.objects.count(),
        LedgerEntry.objects.count(),
    )


def test_only_finance_and_program_admins_compare(client, world):  # noqa: F811
    proposal = proposal_create(period_start=M)
    url = reverse("staff:allocation_compare", args=[proposal.pk])
    client.force_login(StaffUserFactory(username="cmp-reviewer", role=Role.REVIEWER))
    assert client.get(url).status_code in (403, 404)
    client.force_login(StaffUserFactory(username="cmp-admin", role=Role.PROGRAM_ADMIN))
    assert client.get(url).status_code == 200


def test_a_rule_proposal_shows_its_lottery_arms_and_the_comparison_says_it_is_in_both(
    client,
    world,  # noqa: F811
):
    from decimal import Decimal

    from funding.models import AllocationMode

    _providers, _pool, policy = world
    policy.mode = AllocationMode.RULE
    policy.exploration_enabled = True
    policy.exploration_band = Decimal("0.200000")
    policy.save()
    proposal = proposal_create(period_start=M, lottery_seed=7)
    client.force_login(finance_user())
    html = client.get(reverse("staff:allocation", args=[proposal.pk])).content.decode()
    assert 'data-arm="treated"' in html
    assert 'data-arm="control"' in html
    assert "随机对照" in html
    assert "探索抽签种子：7" in html
    html = client.get(reverse("staff:allocation_compare", args=[proposal.pk])).content.decode()
    assert 'id="lottery-note"' in html
    assert "两列均含随机对照：同一抽签（种子 7）" in html
