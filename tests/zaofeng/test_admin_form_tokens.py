"""Admin add forms of records without a natural key are saved once per form: a second POST of
the same form (sequential or at the same moment on PostgreSQL) is told it was already saved and
sent to the record (zaofeng.admin_form_tokens)."""

from datetime import date

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from integrations.models import FormSubmission
from integrations.services.form_tokens import form_token_issue
from investments.models import CashFlow, FinancingRound, FlowKind
from providers.models import Violation
from tests.admin_forms import add_form_token, posted_at_once
from tests.factories import ProviderFactory, UserFactory
from tests.investments.builders import YI, committee_members, deal_invested, fund_create
from zaofeng.admin_form_tokens import FIELD

VIOLATION = {
    "kind": "false_advertising",
    "severity": "minor",
    "points": 2,
    "occurred_on": "2026-09-01",
    "source": "inspection",
    "evidence": "巡检发现虚假宣传",
}


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def superuser():
    return UserFactory(username="token-admin", is_staff=True, is_superuser=True)


@pytest.mark.django_db
def test_a_violation_posted_twice_is_saved_once_and_the_second_is_sent_to_it(client, superuser):
    provider = ProviderFactory()
    client.force_login(superuser)
    add = reverse("admin:providers_violation_add")
    form = {**VIOLATION, "provider": provider.pk, **add_form_token(client, add)}

    first = client.post(add, form)
    assert first.status_code == 302
    violation = Violation.objects.get()
    second = client.post(add, form, follow=False)
    assert second.status_code == 302
    assert second["Location"] == reverse("admin:providers_violation_change", args=[violation.pk])
    # (the first POST's "added" message was never shown: nothing followed its redirect)
    assert _messages(second)[-1] == f"这份表单已经保存过（{violation}），未重复保存。"
    assert Violation.objects.count() == 1
    assert FormSubmission.objects.get().object_pk == str(violation.pk)

    # a new form is a new token: a second violation alike is a record of its own
    again = {**form, **add_form_token(client, add)}
    assert client.post(add, again).status_code == 302
    assert Violation.objects.count() == 2


@pytest.mark.django_db
def test_a_refused_form_keeps_its_token_usable_for_the_corrected_post(client, superuser):
    provider = ProviderFactory()
    client.force_login(superuser)
    add = reverse("admin:providers_violation_add")
    token = add_form_token(client, add)
    refused = client.post(add, {**VIOLATION, "points": "", **token})
    assert refused.status_code == 200
    assert "points" in refused.context["adminform"].form.errors
    # the form again carries the same token
    assert f'value="{token[FIELD]}"' in refused.content.decode()
    assert not FormSubmission.objects.exists()
    assert client.post(add, {**VIOLATION, "provider": provider.pk, **token}).status_code == 302
    assert Violation.objects.count() == 1


@pytest.mark.django_db
def test_a_post_without_a_token_or_with_another_users_is_refused_with_a_message(client, superuser):
    provider = ProviderFactory()
    client.force_login(superuser)
    add = reverse("admin:providers_violation_add")
    other = UserFactory(username="token-other", is_staff=True, is_superuser=True)
    for token in ({}, {FIELD: "forged"}, {FIELD: form_token_issue(user=other)}):
        response = client.post(add, {**VIOLATION, "provider": provider.pk, **token})
        assert response.status_code == 302
        assert response["Location"] == add
        assert _messages(response)[-1] == "表单已过期或无效，请重新填写后提交。"
    assert not Violation.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_four_posts_of_one_violation_form_at_once_save_one(superuser):
    provider = ProviderFactory()
    add = reverse("admin:providers_violation_add")
    setup = Client()
    setup.force_login(superuser)
    form = {**VIOLATION, "provider": provider.pk, **add_form_token(setup, add)}
    outcomes = [
        (response.status_code, _messages(response))
        for response in posted_at_once(superuser, add, form, times=4)
    ]
    assert Violation.objects.count() == 1
    violation = Violation.objects.get()
    assert sorted(code for code, _ in outcomes) == [302] * 4
    told = [messages for _, messages in outcomes if any("已经保存过" in m for m in messages)]
    assert len(told) == 3
    assert all(m == [f"这份表单已经保存过（{violation}），未重复保存。"] for m in told)


def _fund_with_deal(superuser):
    fund = fund_create()
    members = committee_members(3, prefix="token-member")
    deal = deal_invested(fund=fund, by=superuser, amount_fen=YI, members=members)
    return fund, deal


@pytest.mark.django_db
def test_a_cash_flow_and_a_round_posted_twice_are_recorded_once(client, superuser):
    fund, deal = _fund_with_deal(superuser)
    client.force_login(superuser)
    add = reverse("admin:investments_cashflow_add")
    form = {
        "fund": fund.pk,
        "deal": deal.pk,
        "kind": FlowKind.DISTRIBUTION,
        "amount_fen": 5_000_000,
        "occurred_on": "2026-06-30",
        "reason": "分红",
        **add_form_token(client, add),
    }
    assert client.post(add, form).status_code == 302
    flows = CashFlow.objects.filter(kind=FlowKind.DISTRIBUTION)
    assert flows.count() == 1
    second = client.post(add, form)
    assert second.status_code == 302
    assert "已经保存过" in _messages(second)[-1]
    assert flows.count() == 1
    assert flows.get().idempotency_key.startswith("form:")

    add_round = reverse("admin:investments_financinground_add")
    rounds = {
        "deal": deal.pk,
        "closed_on": date(2026, 9, 1).isoformat(),
        "pre_money_fen": 8 * YI,
        "new_money_fen": 2 * YI,
        "fund_amount_fen": 0,
        "note": "B 轮",
        **add_form_token(client, add_round),
    }
    assert client.post(add_round, rounds).status_code == 302
    assert client.post(add_round, rounds).status_code == 302
    assert FinancingRound.objects.filter(deal=deal).count() == 1


@pytest.mark.django_db(transaction=True)
def test_three_posts_of_one_cash_flow_form_at_once_record_one(superuser):
    fund, deal = _fund_with_deal(superuser)
    add = reverse("admin:investments_cashflow_add")
    setup = Client()
    setup.force_login(superuser)
    form = {
        "fund": fund.pk,
        "deal": deal.pk,
        "kind": FlowKind.DISTRIBUTION,
        "amount_fen": 5_000_000,
        "occurred_on": "2026-06-30",
        "reason": "分红",
        **add_form_token(setup, add),
    }
    codes = [response.status_code for response in posted_at_once(superuser, add, form, times=3)]
    assert codes == [302, 302, 302]
    assert CashFlow.objects.filter(kind=FlowKind.DISTRIBUTION).count() == 1
