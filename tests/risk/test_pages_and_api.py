"""Where users meet risk signals: the staff queue and page, the provider's cases, the API."""

import pytest
from rest_framework.test import APIClient

from integrations.models import ApiScope
from integrations.services.api_keys import api_key_issue
from providers.models import Violation
from providers.roles import Role
from risk.models import RiskRuleSet, RiskSignal, SignalStatus
from risk.rules import RuleKind
from risk.services.rule_sets import rule_change, rule_set_copy, rule_set_publish
from risk.services.signals import risk_evaluate, signal_open
from tests.factories import MembershipFactory, ProviderFactory, RegionFactory, StaffUserFactory
from tests.factories.staff import region_manager
from tests.risk.builders import MONTH, program_month

pytestmark = pytest.mark.django_db


@pytest.fixture
def flagged():
    providers = program_month()
    risk_evaluate(month=MONTH)
    return providers[0], RiskSignal.objects.get(rule=RuleKind.GMV_SPIKE_REFUND_SURGE)


def test_the_queue_lists_the_signal_with_its_reason_and_the_page_draws_its_figures(client, flagged):
    provider, signal = flagged
    client.force_login(StaffUserFactory(role=Role.REVIEWER))
    queue = client.get("/staff/risk/", {"rule": RuleKind.GMV_SPIKE_REFUND_SURGE})
    assert queue.status_code == 200
    assert provider.code in queue.text and "稳健 z 值" in queue.text
    page = client.get(f"/staff/risk/{signal.pk}/")
    assert page.status_code == 200
    assert page.context["chart"]["months"][-1] == "2026-10"
    assert page.context["chart"]["provider_growth"][-1] > 2
    assert 'data-chart="risk-refunds"' in page.text


def test_deciding_from_the_page_writes_through_the_services(client, flagged):
    provider, signal = flagged
    client.force_login(StaffUserFactory(role=Role.REVIEWER))
    client.post(f"/staff/risk/{signal.pk}/decide/", {"decision": "open", "reason": "核查订单"})
    refused = client.post(
        f"/staff/risk/{signal.pk}/decide/", {"decision": "confirm", "reason": "刷单"}, follow=True
    )
    assert "确认信号须填写违规类型" in refused.text
    done = client.post(
        f"/staff/risk/{signal.pk}/decide/",
        {
            "decision": "confirm",
            "reason": "刷单",
            "violation_kind": "data_fraud",
            "severity": "serious",
            "points": "20",
        },
        follow=True,
    )
    assert "违规已记录" in done.text
    assert Violation.objects.get(provider=provider).points == 20
    again = client.post(
        f"/staff/risk/{signal.pk}/decide/", {"decision": "dismiss", "reason": "x"}, follow=True
    )
    assert again.status_code == 200 and "已由他人处理" in again.text


def test_a_region_manager_sees_only_its_regions_signals(client, flagged):
    _provider, signal = flagged
    client.force_login(region_manager(RegionFactory(code="west", name="西部", name_en="West")))
    assert client.get(f"/staff/risk/{signal.pk}/").status_code == 404
    assert signal.provider.code not in client.get("/staff/risk/").text
    client.force_login(region_manager(signal.provider.region, username="rm-2"))
    assert client.get(f"/staff/risk/{signal.pk}/").status_code == 200


def test_the_provider_sees_its_case_only_once_opened_and_answers_it(client, flagged):
    provider, signal = flagged
    owner = MembershipFactory(provider=provider).user
    client.force_login(owner)
    assert client.get(f"/portal/risk/{signal.pk}/").status_code == 404
    assert "目前没有核查事项" in client.get("/portal/risk/").text
    signal_open(signal=signal, by=StaffUserFactory(role=Role.REVIEWER), reason="核查")
    assert client.get(f"/portal/risk/{signal.pk}/").status_code == 200
    client.post(f"/portal/risk/{signal.pk}/", {"text": "活动带来的增长，附订单明细"})
    signal.refresh_from_db()
    assert signal.provider_answer == "活动带来的增长，附订单明细"
    other = MembershipFactory(provider=ProviderFactory()).user
    client.force_login(other)
    assert client.get(f"/portal/risk/{signal.pk}/").status_code == 404


def _api(user, scopes=(ApiScope.INGEST,)):
    issued = api_key_issue(name="inspection", user=user, scopes=list(scopes), by=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {issued.plaintext}")
    return client


LINE = {
    "kind": "false_advertising",
    "severity": "major",
    "points": 6,
    "occurred_on": "2026-10-12",
    "source": "pinocchio",
    "evidence": "用户举报 12 起",
}


def test_an_inspection_system_pushes_violations_once_per_key():
    provider = ProviderFactory()
    client = _api(StaffUserFactory(role=Role.PROGRAM_ADMIN))
    body = {"violations": [{**LINE, "provider_code": provider.code}]}
    first = client.post("/api/v1/violations/", body, format="json", HTTP_IDEMPOTENCY_KEY="push-1")
    assert first.status_code == 201, first.json()
    again = client.post("/api/v1/violations/", body, format="json", HTTP_IDEMPOTENCY_KEY="push-1")
    assert again.status_code == 201 and again.json() == first.json()
    assert Violation.objects.filter(provider=provider, source="pinocchio").count() == 1


def test_a_bad_line_refuses_the_batch_and_is_named():
    provider = ProviderFactory()
    client = _api(StaffUserFactory(role=Role.PROGRAM_ADMIN))
    body = {
        "violations": [
            {**LINE, "provider_code": provider.code},
            {**LINE, "provider_code": "SP999999"},
            {**LINE, "provider_code": provider.code, "points": 101},
        ]
    }
    response = client.post("/api/v1/violations/", body, format="json")
    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert set(fields) == {"violations[1].provider_code", "violations[2].points"}
    assert not Violation.objects.exists()


def test_pushing_needs_the_ingest_scope_and_a_program_admin():
    provider = ProviderFactory()
    body = {"violations": [{**LINE, "provider_code": provider.code}]}
    read_only = _api(StaffUserFactory(role=Role.PROGRAM_ADMIN), scopes=(ApiScope.READ,))
    assert read_only.post("/api/v1/violations/", body, format="json").status_code == 403
    reviewer = _api(StaffUserFactory(role=Role.REVIEWER))
    assert reviewer.post("/api/v1/violations/", body, format="json").status_code == 403
    assert not Violation.objects.exists()


def test_the_signal_list_api_is_scoped(flagged):
    _provider, signal = flagged
    staff = APIClient()
    staff.force_authenticate(StaffUserFactory(role=Role.AUDITOR))
    assert [row["id"] for row in staff.get("/api/v1/risk/signals/").json()["results"]] == [
        signal.pk
    ]
    manager = APIClient()
    manager.force_authenticate(region_manager(RegionFactory(code="west", name="西部", name_en="West")))
    assert manager.get("/api/v1/risk/signals/").json()["results"] == []


def test_a_published_rule_version_is_frozen_and_a_copy_publishes_beside_it():
    published = RiskRuleSet.objects.get(status="published")
    rule = published.rules.get(kind=RuleKind.GMV_SPIKE_REFUND_SURGE)
    with pytest.raises(Exception, match="不能修改"):
        rule_change(rule=rule, parameters={"z": "4", "refund_points": "0.05"}, enabled=True)
    draft = rule_set_copy(source=published)
    draft_rule = draft.rules.get(kind=RuleKind.GMV_SPIKE_REFUND_SURGE)
    with pytest.raises(Exception, match="没有参数"):
        rule_change(rule=draft_rule, parameters={"zz": "4"}, enabled=True)
    rule_change(rule=draft_rule, parameters={"z": "4", "refund_points": "0.05"}, enabled=True)
    rule_set_publish(rule_set=draft, by=StaffUserFactory())
    published.refresh_from_db()
    assert (published.status, RiskRuleSet.objects.get(status="published").version) == ("retired", 2)


def test_the_admin_pages_open(client, flagged):
    client.force_login(StaffUserFactory(username="root", is_superuser=True))
    for path in (
        "/admin/risk/riskruleset/",
        f"/admin/risk/riskruleset/{RiskRuleSet.objects.get().pk}/change/",
        "/admin/risk/risksignal/",
        "/admin/risk/riskdecision/",
        "/admin/risk/clawbackproposal/",
    ):
        assert client.get(path).status_code == 200, path
