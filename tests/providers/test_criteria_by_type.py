"""Issue 22: criteria by provider type, providers of several types, served GMV verified against
the platform's facts, bans through a criterion, and the reviewer SLA."""

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from notifications.models import Notification
from providers.criteria import CriterionLevel, VerdictLevel
from providers.models import (
    Application,
    ApplicationStatus,
    DecisionAction,
    LifecycleStatus,
    PrescreenResult,
    ProviderType,
    ReviewTarget,
    ViolationKind,
    ViolationSeverity,
)
from providers.roles import Role
from providers.selectors import violation_inputs
from providers.services.appeals import appeal_decide, appeal_file
from providers.services.applications import (
    application_create,
    application_eligibility_check,
    application_submit,
)
from providers.services.exit import exit_evaluate
from providers.services.sla import review_overdue, review_overdue_notify
from providers.sla import working_day_add, working_days_between
from tests.factories import (
    AppealFactory,
    ApplicationCaseFactory,
    ApplicationFactory,
    MerchantFactory,
    ProviderFactory,
    RegionFactory,
    StaffUserFactory,
    ViolationFactory,
)
from tests.factories.lifecycle import DECLARED_FACTS_MEETING_EVERY_TYPE
from tests.factories.scoring import GmvFactFactory
from tests.providers.flows import documents_complete, exit_snapshot
from zaofeng.periods import add_months, month_start

pytestmark = pytest.mark.django_db

SEPTEMBER = date(2026, 9, 1)
TYPE_CODES = (
    "store_operation",
    "streamer_agency",
    "live_base",
    "supply_chain",
    "marketing",
    "training",
)
# The first hard admission row of each type's own (v2) criteria.
FIRST_HARD = {
    "store_operation": "brands_served",
    "streamer_agency": "streamers_signed",
    "live_base": "studios",
    "supply_chain": "active_skus",
    "marketing": "ad_roi",
    "training": "trainees",
}


def _type(code):
    return ProviderType.objects.get(code=code)


def _submitted(types, **fields):
    application = ApplicationFactory(provider_types=[_type(code) for code in types], **fields)
    documents_complete(application)
    application_submit(application=application, by=None)
    application.refresh_from_db()
    return application


# ------------------------------------------------------------------------------
# Admission by type
# ------------------------------------------------------------------------------


@pytest.mark.parametrize("code", TYPE_CODES)
def test_each_type_is_prescreened_on_what_its_business_is_judged_on(code):
    good = _submitted([code])
    assert good.prescreen_passed is True
    rows = PrescreenResult.objects.filter(application=good)
    assert set(rows.values_list("provider_type__code", flat=True)) == {code}
    assert rows.filter(input_name=FIRST_HARD[code], level=CriterionLevel.HARD).exists()

    facts = dict(DECLARED_FACTS_MEETING_EVERY_TYPE)
    del facts[FIRST_HARD[code]]
    short = _submitted([code], declared_facts=facts)
    assert short.prescreen_passed is False
    (failed,) = PrescreenResult.objects.filter(application=short, passed=False)
    assert (failed.input_name, failed.evaluated) == (FIRST_HARD[code], False)


def test_a_two_type_applicant_must_meet_both_types_and_fails_on_one():
    facts = dict(DECLARED_FACTS_MEETING_EVERY_TYPE, studios=4)  # a base needs 10 studios
    application = _submitted(["streamer_agency", "live_base"], declared_facts=facts)
    assert application.prescreen_passed is False
    rows = PrescreenResult.objects.filter(application=application)
    # Both types' sets are judged in full, each row with its type.
    assert set(rows.values_list("provider_type__code", flat=True)) == {
        "streamer_agency",
        "live_base",
    }
    assert rows.filter(provider_type__code="streamer_agency", input_name="company_age_months")
    assert rows.filter(provider_type__code="live_base", input_name="company_age_months")
    failed = rows.filter(passed=False)
    assert list(failed.values_list("provider_type__code", "input_name", "observed")) == [
        ("live_base", "studios", 4)
    ]
    record = application.decisions.get(action=DecisionAction.APPLICATION_PRESCREENED)
    assert "［直播基地］" in record.reason


def test_a_declared_fact_that_is_not_a_number_is_refused_naming_it():
    with pytest.raises(ValidationError) as excinfo:
        application_create(
            by=None,
            data={
                "company_name": "测试",
                "legal_name": "测试有限公司",
                "credit_code": ApplicationFactory.build().credit_code,
                "region": RegionFactory(),
                "registered_on": date(2020, 1, 1),
                "registered_capital_fen": 1,
                "team_size": 1,
                "served_gmv_12m_fen": 1,
                "contact_name": "李",
                "contact_phone": "13000000000",
                "contact_email": "a@example.com",
                "provider_types": [_type("training")],
                "trainees": "很多",
            },
        )
    assert "trainees" in excinfo.value.message_dict
    assert not Application.objects.exists()


# ------------------------------------------------------------------------------
# Declared, verified
# ------------------------------------------------------------------------------


def _platform_gmv(merchant, net_yuan_per_month, months=12):
    """The merchant's net GMV on the platform over the twelve completed months."""
    last = add_months(month_start(timezone.localdate()), -1)
    seller = ProviderFactory()
    for back in range(months):
        GmvFactFactory(
            provider=seller,
            merchant=merchant,
            month=add_months(last, -back),
            gross_gmv_fen=net_yuan_per_month * 100,
            refund_fen=0,
        )


def test_served_gmv_far_above_the_platform_facts_is_a_hard_failure_with_the_figures():
    brand, elsewhere = MerchantFactory(name="口水娃"), MerchantFactory(name="合味芳")
    _platform_gmv(brand, 1_000_000)  # ¥1,200万 over the year
    _platform_gmv(elsewhere, 500_000)
    application = ApplicationFactory(provider_types=[_type("store_operation")])
    ApplicationCaseFactory(
        application=application, merchant_name=" 口水娃 ", served_gmv_fen=6_000_000_000
    )
    ApplicationCaseFactory(
        application=application, merchant_name="合味芳", served_gmv_fen=300_000_000
    )
    ApplicationCaseFactory(
        application=application, merchant_name="不在平台的品牌", served_gmv_fen=10**9
    )
    documents_complete(application)
    application_submit(application=application, by=None)
    application.refresh_from_db()

    assert application.prescreen_passed is False
    row = PrescreenResult.objects.get(
        application=application, input_name="served_gmv_unverified_share"
    )
    # Declared ¥6,000万 + ¥300万 for the merchants on the platform; the facts bear out ¥1,200万 + ¥300万.
    assert (row.declared_fen, row.verified_fen, row.difference_fen) == (
        6_300_000_000,
        1_500_000_000,
        4_800_000_000,
    )
    assert (row.passed, row.observed) == (False, "0.7619")
    assert "未通过" in row.reason


def test_served_gmv_the_platform_bears_out_passes_and_nothing_to_check_passes():
    brand = MerchantFactory(name="韩熙贞")
    _platform_gmv(brand, 2_000_000)
    close = ApplicationFactory(provider_types=[_type("marketing")])
    ApplicationCaseFactory(
        application=close, merchant_name=brand.code, served_gmv_fen=3_000_000_000
    )
    documents_complete(close)
    application_submit(application=close, by=None)
    row = PrescreenResult.objects.get(application=close, input_name="served_gmv_unverified_share")
    assert (row.passed, row.declared_fen, row.verified_fen) == (True, 3_000_000_000, 2_400_000_000)

    unknown = _submitted(["marketing"])  # its case names no platform merchant
    row = PrescreenResult.objects.get(application=unknown, input_name="served_gmv_unverified_share")
    assert (row.passed, row.evaluated, row.declared_fen) == (True, False, None)
    assert unknown.prescreen_passed is True


# ------------------------------------------------------------------------------
# Bans
# ------------------------------------------------------------------------------


def _exit(provider, month=SEPTEMBER, **observed):
    snapshot = exit_snapshot(
        **{**violation_inputs(month=month, provider_ids=[provider.pk])[provider.pk], **observed}
    )
    return exit_evaluate(provider=provider, month=month, snapshot=snapshot, run_id=7)


def test_a_confirmed_fraud_bans_through_the_criterion_and_an_upheld_appeal_restores(reviewer):
    provider = ProviderFactory(
        provider_types=[_type("supply_chain"), _type("store_operation")],
        legal_representative="赵敏",
    )
    fraud = ViolationFactory(
        provider=provider,
        kind=ViolationKind.DATA_FRAUD,
        severity=ViolationSeverity.SERIOUS,
        points=12,
        occurred_on=date(2026, 9, 12),
        confirmed=True,
    )
    outcome = _exit(provider)
    assert (outcome.verdict, outcome.transition) == (VerdictLevel.BAN, LifecycleStatus.BANNED)
    provider.refresh_from_db()
    assert provider.status == LifecycleStatus.BANNED
    decision = provider.decisions.get(action=DecisionAction.BANNED)
    assert "banning_violation_dates" in {
        row["input_name"] for row in decision.criteria_results if not row["passed"]
    }

    # Neither the company nor a party linked to it can apply while the ban stands.
    with pytest.raises(ValidationError, match="封禁"):
        application_eligibility_check(credit_code=provider.credit_code, today=timezone.localdate())
    linked = ApplicationFactory(legal_representative="赵敏", contact_phone="13111111111")
    documents_complete(linked)
    with pytest.raises(ValidationError) as excinfo:
        application_submit(application=linked, by=None)
    message = excinfo.value.message_dict["legal_representative"][0]
    assert provider.code in message
    assert "法定代表人" in message
    linked.refresh_from_db()
    assert linked.status == ApplicationStatus.DRAFT

    appeal = appeal_file(provider=provider, decision=decision, by=None, grounds="数据系第三方刷单")
    appeal_decide(
        appeal=appeal, by=reviewer, upheld=True, reason="核实为他人所为", violations_revoked=[fraud]
    )
    provider.refresh_from_db()
    assert provider.status == LifecycleStatus.ACTIVE
    assert _exit(provider, date(2026, 10, 1)).verdict == VerdictLevel.PASS


def test_an_unconfirmed_serious_violation_still_exits_rather_than_bans():
    provider = ProviderFactory(provider_types=[_type("supply_chain")])
    ViolationFactory(
        provider=provider,
        kind=ViolationKind.COUNTERFEIT,
        severity=ViolationSeverity.SERIOUS,
        points=12,
        occurred_on=date(2026, 9, 3),
    )
    assert _exit(provider).transition == LifecycleStatus.EXITED


# ------------------------------------------------------------------------------
# Exit by type
# ------------------------------------------------------------------------------


def test_an_exit_under_one_type_removes_only_that_type_and_an_appeal_gives_it_back(reviewer):
    provider = ProviderFactory(provider_types=[_type("supply_chain"), _type("store_operation")])
    outcome = _exit(provider, **{"metric:refund_rate": "0.55"})  # store operation: > 40% exits
    provider.refresh_from_db()
    assert provider.status == LifecycleStatus.ACTIVE
    assert list(provider.provider_types.values_list("code", flat=True)) == ["supply_chain"]
    assert outcome.types_removed == (_type("store_operation").pk,)
    # The refund rate also fails store operation's warning row; supply chain has no such row, so
    # the provider's verdict in the program is the one of the type it keeps.
    assert outcome.verdict == VerdictLevel.PASS
    removal = provider.decisions.get(action=DecisionAction.TYPE_REMOVED)
    assert "代运营" in removal.reason
    assert _exit(provider, **{"metric:refund_rate": "0.55"}).types_removed == ()

    appeal = appeal_file(provider=provider, decision=removal, by=None, grounds="退款系平台活动")
    appeal_decide(appeal=appeal, by=reviewer, upheld=True, reason="活动退款不计")
    assert set(provider.provider_types.values_list("code", flat=True)) == {
        "supply_chain",
        "store_operation",
    }


def test_the_same_failure_exits_a_provider_of_that_type_only_and_program_wide_rows_exit_all():
    single = ProviderFactory(provider_types=[_type("store_operation")])
    assert _exit(single, **{"metric:refund_rate": "0.55"}).transition == LifecycleStatus.EXITED

    double = ProviderFactory(provider_types=[_type("supply_chain"), _type("store_operation")])
    outcome = _exit(double, violation_points_12m=12)  # program-wide
    assert (outcome.transition, outcome.types_removed) == (LifecycleStatus.EXITED, ())


def test_the_score_rule_reads_each_types_own_score():
    provider = ProviderFactory(provider_types=[_type("supply_chain"), _type("store_operation")])
    store = _type("store_operation").pk
    outcome = _exit(
        provider,
        overall_score_last_two_quarters_max="75",
        **{f"overall_score_last_two_quarters_max@{store}": "52"},
    )
    (failed,) = [r for r in outcome.results if not r.passed]
    assert (failed.spec.provider_type_id, failed.observed) == (store, Decimal("52"))
    assert outcome.transition == LifecycleStatus.WARNING


# ------------------------------------------------------------------------------
# Reviewer SLA
# ------------------------------------------------------------------------------


def test_working_days_skip_weekends():
    monday, friday = date(2026, 11, 30), date(2026, 12, 4)
    assert working_days_between(monday, monday) == 0
    assert working_days_between(monday, friday) == 4
    assert working_days_between(friday, friday + timedelta(days=3)) == 1  # to Monday
    assert working_days_between(monday, monday + timedelta(days=14)) == 10
    assert working_day_add(friday, 5) == date(2026, 12, 11)


def _at(day):
    return datetime(day.year, day.month, day.day, 10, tzinfo=timezone.get_current_timezone())


def test_overdue_applications_and_appeals_notify_the_program_admins_once_a_day(
    program_admin, monkeypatch
):
    today = date(2026, 12, 3)  # a Thursday
    # "Once a day" is read from the notices' creation date: the clock must say the same day.
    monkeypatch.setattr(timezone, "now", lambda: _at(today))
    reviewer_only = StaffUserFactory(username="reviewer-sla", role=Role.REVIEWER)
    old = _submitted(["training"])
    Application.objects.filter(pk=old.pk).update(submitted_at=_at(date(2026, 11, 24)))  # 7 days
    fresh = _submitted(["training"])
    Application.objects.filter(pk=fresh.pk).update(submitted_at=_at(date(2026, 12, 1)))
    appeal = AppealFactory(filed_at=_at(date(2026, 11, 25)))  # 6 working days
    ReviewTarget.objects.filter(kind="appeal").update(working_days=6)  # data: not overdue yet

    overdue = review_overdue(today=today)
    assert [(item.kind, item.age.age_working_days, item.age.days_over) for item in overdue] == [
        ("application", 7, 2)
    ]
    assert review_overdue_notify(today=today) == 1
    notice = Notification.objects.get(kind="review_sla")
    assert notice.recipient == program_admin
    assert old.number in notice.body
    assert fresh.number not in notice.body
    assert not Notification.objects.filter(recipient=reviewer_only).exists()

    review_overdue_notify(today=today)
    assert Notification.objects.filter(kind="review_sla").count() == 1

    ReviewTarget.objects.filter(kind="appeal").update(working_days=5)
    assert {item.kind for item in review_overdue(today=today)} == {"application", "appeal"}
    assert appeal.provider.code in review_overdue(today=today)[1].label
