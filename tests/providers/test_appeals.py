"""Appeals (申诉): within seven days, decided with a reason, restoring the previous state."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from providers.errors import AlreadyDecided
from providers.models import (
    AppealStatus,
    DecisionAction,
    DecisionRecord,
    LifecycleStatus,
    ProviderType,
    ViolationKind,
    ViolationSeverity,
)
from providers.selectors import (
    appeal_windows_open,
    provider_decisions,
    violation_inputs,
    violations_cited,
)
from providers.services.appeals import appeal_decide, appeal_file
from providers.services.exit import exit_evaluate
from providers.services.lifecycle import provider_exit, provider_warn, provider_warning_lift
from tests.factories import (
    AppealFactory,
    DecisionRecordFactory,
    MembershipFactory,
    ProviderFactory,
    ViolationFactory,
)
from tests.providers.flows import exit_snapshot

pytestmark = pytest.mark.django_db

SEPTEMBER = date(2026, 9, 1)


def _exit_run(provider, month=SEPTEMBER):
    inputs = violation_inputs(month=month, provider_ids=[provider.pk])[provider.pk]
    return exit_evaluate(
        provider=provider, month=month, snapshot=exit_snapshot(**inputs), run_id=2026
    )


def test_scenario_f_counterfeit_exit_appeal_upheld_active_again(reviewer):
    provider = ProviderFactory(
        name="温州晨光服饰",
        provider_types=list(
            ProviderType.objects.filter(code__in=["supply_chain", "store_operation"])
        ),
    )
    owner = MembershipFactory(provider=provider).user
    counterfeit = ViolationFactory(
        provider=provider,
        kind=ViolationKind.COUNTERFEIT,
        severity=ViolationSeverity.SERIOUS,
        points=12,
        occurred_on=date(2026, 9, 25),
        evidence="平台抽检：商品与品牌授权不符",
    )

    # The exit run removes F at once.
    outcome = _exit_run(provider)
    assert provider.status == LifecycleStatus.EXITED
    exit_decision = DecisionRecord.objects.get(pk=outcome.decision_id)
    (window,) = appeal_windows_open(provider=provider)
    assert window.decision == exit_decision
    assert list(violations_cited(decision=exit_decision)) == [counterfeit]

    # F appeals within seven days; the reviewer upholds it.
    appeal = appeal_file(
        provider=provider,
        decision=exit_decision,
        by=owner,
        grounds="涉事商品有品牌方出具的授权书，抽检样品系第三方冒用我司店铺名义",
    )
    assert appeal_windows_open(provider=provider) == []
    appeal_decide(
        appeal=appeal,
        by=reviewer,
        upheld=True,
        reason="品牌方确认授权真实，抽检结论撤销",
        violations_revoked=[counterfeit],
    )

    provider.refresh_from_db()
    assert provider.status == LifecycleStatus.ACTIVE
    assert appeal.status == AppealStatus.UPHELD
    record = list(provider_decisions(provider=provider).order_by("decided_at", "id"))
    assert [(r.action, r.from_status, r.to_status) for r in record] == [
        (DecisionAction.EXITED, "active", "exited"),
        (DecisionAction.APPEAL_FILED, "exited", "exited"),
        (DecisionAction.APPEAL_UPHELD, "exited", "active"),
    ]
    exited, filed, upheld = record
    assert "严重违规" in exited.reason
    assert exited.run_id == 2026
    assert "授权书" in filed.reason
    assert filed.decided_by == owner
    assert "抽检结论撤销" in upheld.reason
    assert upheld.decided_by == reviewer
    assert upheld.related_decision == exit_decision
    assert filed.appeal == upheld.appeal == appeal

    # The same month judged again changes nothing; the revoked violation no longer counts.
    assert _exit_run(provider).transition is None
    assert _exit_run(provider, date(2026, 10, 1)).transition is None
    assert provider.status == LifecycleStatus.ACTIVE


def test_an_appeal_after_seven_days_is_refused():
    decision = DecisionRecordFactory(decided_at=timezone.now() - timedelta(days=7, minutes=1))
    with pytest.raises(ValidationError, match="申诉期已过"):
        appeal_file(provider=decision.provider, decision=decision, by=None, grounds="理由")


def test_an_appeal_on_the_seventh_day_is_accepted():
    decision = DecisionRecordFactory(decided_at=timezone.now() - timedelta(days=6, hours=23))
    appeal = appeal_file(provider=decision.provider, decision=decision, by=None, grounds="理由")
    assert appeal.status == AppealStatus.PENDING


def test_only_warning_rectification_and_exit_decisions_can_be_appealed():
    decision = DecisionRecordFactory(
        provider__status=LifecycleStatus.ACTIVE,
        action=DecisionAction.PROBATION_PASSED,
        from_status=LifecycleStatus.PROBATION,
        to_status=LifecycleStatus.ACTIVE,
    )
    with pytest.raises(ValidationError, match="只能对预警、整改或清退决定"):
        appeal_file(provider=decision.provider, decision=decision, by=None, grounds="理由")


def test_an_appeal_needs_grounds_and_is_filed_once():
    decision = DecisionRecordFactory()
    with pytest.raises(ValidationError) as excinfo:
        appeal_file(provider=decision.provider, decision=decision, by=None, grounds=" ")
    assert "grounds" in excinfo.value.message_dict
    appeal_file(provider=decision.provider, decision=decision, by=None, grounds="理由")
    with pytest.raises(ValidationError, match="已有申诉"):
        appeal_file(provider=decision.provider, decision=decision, by=None, grounds="再诉")


def test_another_providers_decision_cannot_be_appealed():
    decision = DecisionRecordFactory()
    with pytest.raises(ValidationError, match="不属于本服务商"):
        appeal_file(provider=ProviderFactory(), decision=decision, by=None, grounds="理由")


def test_a_decision_no_longer_in_force_cannot_be_appealed():
    provider = ProviderFactory()
    warning = provider_warn(provider=provider, reason="预警")
    provider_warning_lift(provider=provider, reason="已改正")
    with pytest.raises(ValidationError, match="不再生效"):
        appeal_file(provider=provider, decision=warning, by=None, grounds="理由")


def test_a_dismissed_appeal_leaves_the_decision_standing(reviewer):
    provider = ProviderFactory()
    decision = provider_exit(provider=provider, reason="整改无效")
    appeal = appeal_file(provider=provider, decision=decision, by=None, grounds="请求复核")
    appeal_decide(appeal=appeal, by=reviewer, upheld=False, reason="证据充分，维持清退")
    provider.refresh_from_db()
    assert provider.status == LifecycleStatus.EXITED
    assert appeal.status == AppealStatus.DISMISSED
    last = provider_decisions(provider=provider).first()
    assert last.action == DecisionAction.APPEAL_DISMISSED
    assert "维持清退" in last.reason


def test_an_appeal_is_decided_once(reviewer, second_reviewer):
    appeal = AppealFactory()
    appeal_decide(appeal=appeal, by=reviewer, upheld=True, reason="成立")
    with pytest.raises(AlreadyDecided, match="申诉成立"):
        appeal_decide(appeal=appeal, by=second_reviewer, upheld=False, reason="驳回")


def test_an_upheld_warning_appeal_restores_active(reviewer):
    appeal = AppealFactory()
    appeal_decide(appeal=appeal, by=reviewer, upheld=True, reason="数据口径错误")
    appeal.provider.refresh_from_db()
    assert appeal.provider.status == LifecycleStatus.ACTIVE


def test_only_the_providers_own_violations_can_be_revoked(reviewer):
    appeal = AppealFactory()
    stranger = ViolationFactory()
    with pytest.raises(ValidationError):
        appeal_decide(
            appeal=appeal, by=reviewer, upheld=True, reason="成立", violations_revoked=[stranger]
        )
    appeal.refresh_from_db()
    assert appeal.status == AppealStatus.PENDING


def test_a_reason_is_required_to_decide(reviewer):
    with pytest.raises(ValidationError) as excinfo:
        appeal_decide(appeal=AppealFactory(), by=reviewer, upheld=False, reason="")
    assert "reason" in excinfo.value.message_dict
