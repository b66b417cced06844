"""The fund in the admin: every page opens for every role that reaches it (never a 500), service
refusals land on the form (on the field they name, or above the form), and the fund's terms
cannot be edited into a state the fund could not live in."""

from datetime import date
from decimal import Decimal

import pytest
from django.contrib import admin
from django.contrib.messages import get_messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from investments.models import CashFlow, FinancingRound, FlowKind, Fund, MarkMethod, Stage
from investments.selectors import fund_capacity
from investments.services.committee import committee_decide
from investments.services.deals import deal_move, deal_source
from investments.services.flows import cashflow_record, mark_record, round_record
from investments.services.fund_terms import fund_terms_change
from providers.roles import Role
from tests.admin_forms import add_form_token
from tests.factories import ProviderFactory, StaffUserFactory
from tests.investments.builders import (
    YI,
    committee_members,
    deal_invested,
    deal_to_committee,
    fund_create,
    votes_cast,
)

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]

INVESTMENT_MODELS = [
    model for model in admin.site._registry if model._meta.app_label == "investments"
]


@pytest.fixture
def world(investor):
    """A fund with one of each record the admin lists: an invested deal (decisions, committee,
    votes, term sheet, investment), a fee, a distribution, a round and a mark."""
    fund = fund_create()
    deal = deal_invested(fund=fund, by=investor, amount_fen=YI, members=committee_members())
    cashflow_record(
        fund=fund,
        kind=FlowKind.FEE,
        amount_fen=YI // 10,
        occurred_on=date(2026, 3, 31),
        reason="管理费",
        key="fee-1",
        by=investor,
    )
    cashflow_record(
        fund=fund,
        deal=deal,
        kind=FlowKind.DISTRIBUTION,
        amount_fen=YI // 20,
        occurred_on=date(2026, 6, 30),
        reason="分红",
        key="dist-1",
        by=investor,
    )
    round_record(
        deal=deal,
        closed_on=date(2026, 9, 1),
        pre_money_fen=8 * YI,
        new_money_fen=2 * YI,
        fund_amount_fen=YI // 10,
        note="B 轮",
        key="round-1",
        by=investor,
    )
    mark_record(
        deal=deal,
        as_of=date(2026, 11, 30),
        fair_value_fen=2 * YI,
        method=MarkMethod.LAST_ROUND,
        reason="B 轮价格",
        by=investor,
    )
    return fund, deal


def _messages(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def _form_errors(response) -> dict:
    return response.context["adminform"].form.errors


# ------------------------------------------------------------------------------
# Every page opens
# ------------------------------------------------------------------------------
@pytest.mark.parametrize("role", [Role.PROGRAM_ADMIN, Role.INVESTMENT, Role.AUDITOR])
def test_every_investments_admin_page_opens_for_every_role_never_a_500(client, world, role):
    client.force_login(StaffUserFactory(username=f"admin-pages-{role}", role=role))
    seen = {}
    for model in INVESTMENT_MODELS:
        opts = model._meta
        row = model.objects.order_by("pk").first()
        assert row is not None, f"the world has no {opts.model_name}"
        for url in (
            reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"),
            reverse(f"admin:{opts.app_label}_{opts.model_name}_add"),
            reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[row.pk]),
        ):
            seen[url] = client.get(url).status_code
    assert set(seen.values()) <= {200, 403}, {url: code for url, code in seen.items()}
    # Everyone here reads every record: each change (or view) page of an existing row is a 200.
    changes = [code for url, code in seen.items() if url.endswith("/change/")]
    assert changes == [200] * len(INVESTMENT_MODELS)


def test_a_cash_flow_and_a_round_open_read_only(client, world, program_admin):
    fund, deal = world
    client.force_login(program_admin)
    for model in (CashFlow, FinancingRound):
        row = model.objects.filter(deal=deal).order_by("pk").last()
        opts = model._meta
        page = client.get(reverse(f"admin:investments_{opts.model_name}_change", args=[row.pk]))
        assert page.status_code == 200
        assert not page.context["adminform"].form.fields  # every field is read-only
        assert 'name="_save"' not in page.content.decode()


# ------------------------------------------------------------------------------
# Service refusals on the add forms
# ------------------------------------------------------------------------------
def _round_form(client, deal, **figures):
    url = reverse("admin:investments_financinground_add")
    return url, {
        "deal": deal.pk,
        "closed_on": "2026-09-01",
        "pre_money_fen": 8 * YI,
        "new_money_fen": 2 * YI,
        "fund_amount_fen": 0,
        "note": "B 轮",
        **figures,
        **add_form_token(client, url),
    }


def test_a_round_on_a_deal_at_screening_is_refused_above_the_form(client, program_admin):
    fund = fund_create()
    deal = deal_source(
        fund=fund, provider=ProviderFactory(), requested_amount_fen=YI, by=program_admin
    )
    deal_move(deal=deal, to_stage=Stage.SCREENING, reason="初筛", by=program_admin)
    client.force_login(program_admin)
    url, form = _round_form(client, deal)
    response = client.post(url, form)
    assert response.status_code == 200
    said = " ".join(m for messages in _form_errors(response).values() for m in messages)
    assert "后续融资轮" in said
    assert "初筛" in said
    assert not FinancingRound.objects.exists()


def test_a_round_beyond_the_reserve_and_free_capacity_is_refused_and_nothing_saved(
    client, world, program_admin
):
    fund, deal = world
    rounds, flows = FinancingRound.objects.count(), CashFlow.objects.count()
    client.force_login(program_admin)
    url, form = _round_form(
        client, deal, new_money_fen=20 * YI, fund_amount_fen=10 * YI, closed_on="2026-11-15"
    )
    response = client.post(url, form)
    assert response.status_code == 200
    said = " ".join(m for messages in _form_errors(response).values() for m in messages)
    assert "可投额度不足" in said
    assert FinancingRound.objects.count() == rounds
    assert CashFlow.objects.count() == flows


def test_a_round_refusal_keyed_by_a_form_field_goes_on_that_field(client, world, program_admin):
    fund, deal = world
    client.force_login(program_admin)
    url, form = _round_form(client, deal, closed_on="2026-01-01")  # before the closing
    response = client.post(url, form)
    assert response.status_code == 200
    errors = _form_errors(response)
    assert list(errors) == ["closed_on"]
    assert "交割" in errors["closed_on"][0]


def test_a_cash_flow_refusal_goes_on_its_field(client, world, program_admin):
    fund, deal = world
    client.force_login(program_admin)
    url = reverse("admin:investments_cashflow_add")
    flows = CashFlow.objects.count()
    response = client.post(
        url,
        {
            "fund": fund.pk,
            "deal": deal.pk,
            "kind": FlowKind.FEE,
            "amount_fen": 1000,
            "occurred_on": "2026-06-30",
            "reason": "管理费",
            **add_form_token(client, url),
        },
    )
    assert response.status_code == 200
    assert list(_form_errors(response)) == ["deal"]
    assert CashFlow.objects.count() == flows


# ------------------------------------------------------------------------------
# Fund terms
# ------------------------------------------------------------------------------
def _fund_form(fund, **terms):
    return {
        "name": fund.name,
        "committed_fen": fund.committed_fen,
        "vintage": fund.vintage,
        "investment_period_ends_on": fund.investment_period_ends_on.isoformat(),
        "follow_on_reserve_share": str(fund.follow_on_reserve_share),
        "management_fee_rate": str(fund.management_fee_rate),
        "management_fee_years": fund.management_fee_years,
        **terms,
    }


def _fund_change(client, fund, **terms):
    return client.post(
        reverse("admin:investments_fund_change", args=[fund.pk]), _fund_form(fund, **terms)
    )


@pytest.mark.parametrize(
    ("terms", "field", "words"),
    [
        ({"committed_fen": 3 * YI // 2}, "committed_fen", "可投额度将为负数"),
        ({"management_fee_rate": "0"}, "management_fee_rate", "少于已支付的管理费"),
        ({"management_fee_years": 0}, "management_fee_years", "少于已支付的管理费"),
        ({"management_fee_rate": "0.1"}, "management_fee_rate", "可投额度将为负数"),
        (
            {"vintage": 2100, "investment_period_ends_on": "2000-01-01"},
            "investment_period_ends_on",
            "不能早于设立年份",
        ),
    ],
)
def test_impossible_fund_terms_are_refused_on_their_field(
    client, world, program_admin, terms, field, words
):
    fund, _deal = world
    before = Fund.objects.values().get(pk=fund.pk)
    client.force_login(program_admin)
    response = _fund_change(client, fund, **terms)
    assert response.status_code == 200
    errors = _form_errors(response)
    assert list(errors) == [field]
    assert words in errors[field][0]
    assert Fund.objects.values().get(pk=fund.pk) == before
    assert fund_capacity(Fund.objects.get(pk=fund.pk)).available_fen >= 0


def test_possible_fund_terms_are_saved(client, world, program_admin):
    fund, _deal = world
    client.force_login(program_admin)
    response = _fund_change(client, fund, committed_fen=8 * YI, management_fee_rate="0.015")
    assert response.status_code == 302
    fund.refresh_from_db()
    assert fund.committed_fen == 8 * YI
    assert fund.management_fee_rate == Decimal("0.015")
    assert fund_capacity(fund).available_fen >= 0


def test_a_new_fund_whose_period_ends_before_its_vintage_is_refused(client, program_admin):
    client.force_login(program_admin)
    response = client.post(
        reverse("admin:investments_fund_add"),
        {
            "name": "二期",
            "committed_fen": 10 * YI,
            "vintage": 2100,
            "investment_period_ends_on": "2000-01-01",
            "follow_on_reserve_share": "0.5",
            "management_fee_rate": "0.02",
            "management_fee_years": 10,
        },
    )
    assert response.status_code == 200
    assert list(_form_errors(response)) == ["investment_period_ends_on"]
    assert not Fund.objects.exists()


def test_the_terms_service_refuses_naming_the_term_and_saves_nothing(world):
    fund, _deal = world
    admin_user = StaffUserFactory(username="terms-admin", role=Role.PROGRAM_ADMIN)
    with pytest.raises(ValidationError) as refused:
        fund_terms_change(fund=fund, terms={"committed_fen": 3 * YI // 2}, by=admin_user)
    assert "committed_fen" in refused.value.message_dict
    assert fund.committed_fen == 10 * YI
    assert Fund.objects.get(pk=fund.pk).committed_fen == 10 * YI
    auditor = StaffUserFactory(username="terms-auditor", role=Role.AUDITOR)
    with pytest.raises(PermissionDenied):  # auditors read the terms, never edit them
        fund_terms_change(fund=fund, terms={"committed_fen": 9 * YI}, by=auditor)
    changed = fund_terms_change(fund=fund, terms={"committed_fen": 9 * YI}, by=admin_user)
    assert changed.committed_fen == Fund.objects.get(pk=fund.pk).committed_fen == 9 * YI


def test_terms_cannot_drop_below_a_deal_waiting_at_term_sheet(program_admin, investor):
    """Reserved capacity counts too: ¥4亿 approved (+ ¥2亿 reserve) on a ¥10亿 fund."""
    fund = fund_create()
    members = committee_members()
    deal = deal_to_committee(fund=fund, by=investor, amount_fen=4 * YI, members=members)
    votes_cast(deal, members)
    committee_decide(deal=deal, reason="通过", by=investor)
    # ¥7亿 would leave 7 − 1.4 (fees) − 6 (reserved) < 0.
    with pytest.raises(ValidationError) as refused:
        fund_terms_change(fund=fund, terms={"committed_fen": 7 * YI}, by=program_admin)
    assert "可投额度将为负数" in refused.value.message_dict["committed_fen"][0]
    fund_terms_change(fund=fund, terms={"committed_fen": 8 * YI}, by=program_admin)
    assert fund_capacity(Fund.objects.get(pk=fund.pk)).available_fen >= 0
