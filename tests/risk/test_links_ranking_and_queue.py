"""What the first round left implicit: a ban puts the links on review at once and only once, the
anomaly ranking orders but never flags, the queue filters by rule, region and tier and shows each
flag's figures, and the investment role may not review its portfolio's signals."""

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone, translation

from funding.models import EntryKind, LedgerEntry
from providers.models import LifecycleStatus, PortfolioCompany, Provider
from providers.roles import Role
from providers.services.lifecycle import provider_ban, provider_exit
from risk.models import ClawbackProposal, RiskSignal, SignalStatus
from risk.rules import RuleKind
from risk.selectors import risk_panel
from risk.services.ranking import anomaly_scores, feature_rows
from risk.services.signals import (
    clawback_decide,
    risk_evaluate,
    signal_confirm,
    signal_dismiss,
    signal_open,
)
from scoring.models import ProviderMonth
from tests.factories import ProviderFactory, RegionFactory, StaffUserFactory
from tests.funding.builders import grant, period_pool
from tests.risk.builders import MONTH, program_month
from zaofeng.periods import add_months, previous_month

pytestmark = pytest.mark.django_db


def user_with(*roles, username):
    user = StaffUserFactory(username=username, role=roles[0])
    for role in roles[1:]:
        user.groups.add(Group.objects.get(name=role.group_name))
    return user


# ----------------------------------------------------------------------------------------------
# A ban or exit puts the linked providers on review
# ----------------------------------------------------------------------------------------------
def test_a_ban_puts_the_linked_providers_on_review_at_once(django_capture_on_commit_callbacks):
    reviewer = StaffUserFactory(username="reviewer-ban", role=Role.REVIEWER)
    leaving = ProviderFactory(status=LifecycleStatus.ACTIVE, contact_phone="139 1111 2222")
    same_phone = ProviderFactory(status=LifecycleStatus.ACTIVE, contact_phone="13911112222")
    same_bank = ProviderFactory(
        status=LifecycleStatus.ACTIVE, contact_phone="13700000001", bank_account="6222 0000 1111"
    )
    Provider.objects.filter(pk=same_phone.pk).update(bank_account="6222-0000-1111")
    unrelated = ProviderFactory(status=LifecycleStatus.ACTIVE, contact_phone="13700000002")

    with django_capture_on_commit_callbacks(execute=True):
        provider_ban(provider=leaving, reason="刷单，证据确凿", by=reviewer)

    signals = RiskSignal.objects.filter(rule=RuleKind.LINKED_PROVIDERS)
    # Transitive: same_bank shares nothing with the banned one directly, only with same_phone.
    assert set(signals.values_list("provider_id", flat=True)) == {same_phone.pk, same_bank.pk}
    assert not RiskSignal.objects.filter(provider=unrelated).exists()
    direct = signals.get(provider=same_phone)
    assert (direct.status, direct.month) == (SignalStatus.OPEN, previous_month())
    assert direct.detail["linked"] == str(leaving.pk)
    assert direct.detail["shared"] == "phone"
    assert direct.decisions.get().action == "raised"
    assert signals.get(provider=same_bank).detail["shared"] == ""


def test_a_link_is_raised_once_per_provider_that_left_not_every_month(
    django_capture_on_commit_callbacks,
):
    reviewer = StaffUserFactory(username="reviewer-exit", role=Role.REVIEWER)
    leaving = ProviderFactory(
        status=LifecycleStatus.ACTIVE, legal_representative="王五", contact_phone="13600000001"
    )
    linked = ProviderFactory(
        status=LifecycleStatus.ACTIVE, legal_representative=" 王五 ", contact_phone="13600000002"
    )
    with django_capture_on_commit_callbacks(execute=True):
        provider_exit(provider=leaving, reason="连续两期未达标", by=reviewer)
    first = RiskSignal.objects.get(provider=linked)
    signal_dismiss(signal=first, by=reviewer, reason="同名不同人，已核实身份证")

    month = previous_month()
    risk_evaluate(month=month)  # the monthly run of the same month: idempotent
    risk_evaluate(month=add_months(month, 1))  # and of the next: nothing new to review
    assert RiskSignal.objects.filter(provider=linked).count() == 1

    # A second provider of the group leaving is news: the link is raised again, naming both.
    second = ProviderFactory(
        status=LifecycleStatus.ACTIVE, legal_representative="王五", contact_phone="13600000003"
    )
    Provider.objects.filter(pk=second.pk).update(status=LifecycleStatus.BANNED)
    raised = risk_evaluate(month=add_months(month, 1))
    news = [s for s in raised[linked.pk] if s.month == add_months(month, 1)]
    assert [s.detail["linked"] for s in news] == [f"{leaving.pk},{second.pk}"]


def test_a_refused_ban_raises_nothing(django_capture_on_commit_callbacks):
    provider = ProviderFactory(status=LifecycleStatus.ACTIVE, contact_email="a@x.cn")
    ProviderFactory(status=LifecycleStatus.ACTIVE, contact_email="A@X.cn")
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationError):
        provider_ban(provider=provider, reason=" ", by=None)
    assert not RiskSignal.objects.exists()


# ----------------------------------------------------------------------------------------------
# The anomaly ranking orders the review list and never flags on its own
# ----------------------------------------------------------------------------------------------
def test_ecod_scores_rows_with_per_feature_reasons_without_the_database():
    rows = [[0.01 * (i % 5), 0.001 * (i % 3), 0.0, 2.0] for i in range(30)]
    rows.append([0.0, 0.0, -1.5, 2.0])  # order value collapsed: the lone outlier
    scores, per_feature = anomaly_scores(rows)
    assert max(range(len(scores)), key=scores.__getitem__) == 30
    assert max(range(4), key=per_feature[30].__getitem__) == 2  # the reason: order value


def test_the_ranking_never_raises_a_signal_of_its_own():
    providers = program_month(providers=40)
    # Provider 1: refunds jump to 45 % and the order value falls by 30 %, without a spike. The
    # detector ranks it among the two most unusual, but no rule flags it (a refund rise needs a
    # spike, an order value must halve): it stays out of the queue.
    row = ProviderMonth.objects.get(provider=providers[1], month=MONTH)
    ProviderMonth.objects.filter(pk=row.pk).update(
        refund_fen=row.gross_gmv_fen * 45 // 100, orders=row.orders * 10 // 7
    )
    ids, rows = feature_rows(risk_panel(month=MONTH), MONTH.year * 12 + MONTH.month - 1)
    scores, _per_feature = anomaly_scores(rows)
    ranking = [i for _score, i in sorted(zip(scores, ids, strict=True), reverse=True)]
    assert providers[1].pk in ranking[:2]

    call_command("evaluate", "--kind", "risk", "--period", "2026-10", "--inline")

    assert set(RiskSignal.objects.values_list("provider_id", flat=True)) == {providers[0].pk}
    ranked = RiskSignal.objects.get(rule=RuleKind.GMV_SPIKE_REFUND_SURGE)
    assert ranked.anomaly_score is not None


# ----------------------------------------------------------------------------------------------
# The queue: filters by rule, region and tier; every flag shows rule, value, threshold, peers
# ----------------------------------------------------------------------------------------------
@pytest.fixture
def two_cases():
    providers = program_month()
    west = RegionFactory(code="west", name="西部", name_en="West")
    leaving = ProviderFactory(status=LifecycleStatus.BANNED, region=west, contact_phone="1")
    linked = ProviderFactory(status=LifecycleStatus.ACTIVE, region=west, contact_phone="1")
    risk_evaluate(month=MONTH)
    spike = RiskSignal.objects.get(rule=RuleKind.GMV_SPIKE_REFUND_SURGE)
    link = RiskSignal.objects.get(rule=RuleKind.LINKED_PROVIDERS, provider=linked)
    return providers[0], spike, linked, link, west, leaving


def _codes(response):
    return {signal.provider.code for signal, *_ in response.context["rows"]}


def test_the_queue_filters_by_rule_region_and_tier(client, two_cases):
    spiking, _spike, linked, _link, west, _leaving = two_cases
    client.force_login(StaffUserFactory(role=Role.REVIEWER))
    everything = client.get("/staff/risk/")
    assert _codes(everything) == {spiking.code, linked.code}
    assert _codes(client.get("/staff/risk/", {"region": west.pk})) == {linked.code}
    assert _codes(client.get("/staff/risk/", {"tier": "tier_100m"})) == {spiking.code}
    by_rule = client.get("/staff/risk/", {"rule": RuleKind.LINKED_PROVIDERS})
    assert _codes(by_rule) == {linked.code}
    tiers = dict(everything.context["form"].fields["tier"].choices)
    assert tiers["tier_100m"] == "亿级服务商"  # a choice by name, not a code to type


def test_every_flag_shows_its_rule_observed_value_threshold_and_peer_group(client, two_cases):
    _spiking, spike, _linked, _link, _west, _leaving = two_cases
    client.force_login(StaffUserFactory(role=Role.REVIEWER))
    queue = client.get("/staff/risk/", {"rule": RuleKind.GMV_SPIKE_REFUND_SURGE}).text
    growth = f"{float(spike.observed):.2f} 倍"
    for shown in ("成交激增且退款激增", growth, "阈值 3.5", "同组 亿级服务商（24 家）"):
        assert shown in queue, shown
    page = client.get(f"/staff/risk/{spike.pk}/").text
    for shown in (str(spike.observed), "3.5", "亿级服务商", str(spike.z)):
        assert shown in page, shown
    assert "tier_100m" not in page
    table = page[page.index("<details") :]
    assert "万" in table  # the data table's GMV in 万/亿 and rates as percentages
    assert "%" in table


def test_the_signal_page_speaks_english(client, two_cases):
    _spiking, spike, _linked, link, _west, leaving = two_cases
    client.force_login(StaffUserFactory(role=Role.REVIEWER))
    page = client.get(f"/staff/risk/{spike.pk}/", HTTP_ACCEPT_LANGUAGE="en").text
    assert "Threshold" in page
    assert "¥100M provider" in page
    assert "阈值" not in page
    linked_page = client.get(f"/staff/risk/{link.pk}/", HTTP_ACCEPT_LANGUAGE="en").text
    translation.activate("zh-hans")  # the middleware leaves the thread in English
    assert leaving.code in linked_page
    assert "Contact phone" in linked_page


# ----------------------------------------------------------------------------------------------
# Conflict of interest: the investment role does not review its portfolio's signals
# ----------------------------------------------------------------------------------------------
def test_the_investment_role_cannot_review_a_portfolio_providers_signal(client):
    providers = program_month()
    risk_evaluate(month=MONTH)
    signal = RiskSignal.objects.get(rule=RuleKind.GMV_SPIKE_REFUND_SURGE)
    PortfolioCompany.objects.create(provider=providers[0], since=timezone.now())
    investor = user_with(Role.REVIEWER, Role.INVESTMENT, username="investor-reviewer")

    for decide in (
        lambda: signal_open(signal=signal, by=investor, reason="核查"),
        lambda: signal_dismiss(signal=signal, by=investor, reason="正常"),
    ):
        with pytest.raises(ValidationError, match="利益冲突"):
            decide()
    signal.refresh_from_db()
    assert signal.status == SignalStatus.OPEN

    client.force_login(investor)
    queue = client.get("/staff/risk/").text
    assert "生态基金被投" in queue
    page = client.get(f"/staff/risk/{signal.pk}/").text
    assert "生态基金被投" in page
    assert "投资岗位人员不能处理其风险信号" in page
    refused = client.post(
        f"/staff/risk/{signal.pk}/decide/", {"decision": "open", "reason": "核查"}, follow=True
    )
    assert refused.status_code == 200
    assert "利益冲突" in refused.text
    signal.refresh_from_db()
    assert signal.status == SignalStatus.OPEN


def test_the_investment_role_cannot_claw_back_from_a_portfolio_provider():
    providers = program_month()
    pool = period_pool(total=100_000_000, period_start=MONTH)
    grant(pool, providers[0], 2_000_000)
    risk_evaluate(month=MONTH)
    signal = RiskSignal.objects.get(rule=RuleKind.GMV_SPIKE_REFUND_SURGE)
    reviewer = StaffUserFactory(username="reviewer-cb", role=Role.REVIEWER)
    signal = signal_open(signal=signal, by=reviewer, reason="核查")
    signal_confirm(
        signal=signal,
        by=reviewer,
        reason="刷单",
        violation_kind="data_fraud",
        severity="serious",
        points=20,
    )
    PortfolioCompany.objects.create(provider=providers[0], since=timezone.now())
    proposal = ClawbackProposal.objects.get()
    investor = user_with(Role.FINANCE, Role.INVESTMENT, username="investor-finance")
    with pytest.raises(ValidationError, match="利益冲突"):
        clawback_decide(proposal=proposal, by=investor, execute=False, note="不追回")
    proposal.refresh_from_db()
    assert proposal.status == "proposed"
    assert not LedgerEntry.objects.filter(kind=EntryKind.CLAWBACK).exists()
