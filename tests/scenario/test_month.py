"""SCENARIO.md played end to end: a month of the program, through the services and a real worker.

The program's data arrives through the import service. The monthly runs — scoring → exit →
tiers → allocation proposal — are started as the schedule starts them and run on a real Celery
worker process of the project's own app, against Redis and the test database. People act through
the services their pages call: the applicant submits, F's owner appeals, a reviewer upholds, two
finance users approve at the same moment, a program admin is the one to settle a demotion.

Months: the previous period (2026-08) sets the stage (D enters the ¥100M tier); the period is
2026-09; the next period (2026-10) shows D below a second time.
"""

import re
import threading
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connections
from django.db.models import Sum
from django.utils import timezone

from evaluations.models import EvaluationResult, EvaluationRun, ResultStatus, RunStatus, RunTrigger
from evaluations.services.runs import evaluation_start
from funding.models import (
    EntryKind,
    LedgerEntry,
    PendingDemotion,
    PendingDemotionStatus,
    Pool,
    PoolKind,
    Proposal,
    TierAssessment,
    TierMembership,
    TierVerdict,
)
from funding.selectors import pool_derived_balances, program_progress
from funding.services.allocation import proposal_approve
from funding.services.ledger import reconciliation_check
from funding.services.tiers import demotion_confirm
from notifications.selectors import notifications_inbox
from providers.lifecycle import APPEAL_DAYS
from providers.models import (
    Application,
    DecisionAction,
    LifecycleStatus,
    Provider,
    ViolationKind,
    ViolationSeverity,
)
from providers.roles import Role
from providers.selectors import (
    appeal_windows_open,
    application_for_user,
    application_prescreen_rows,
    applications_awaiting_review,
    provider_decisions,
)
from providers.services.appeals import appeal_decide, appeal_file
from providers.services.applications import application_submit
from scoring.services.scoring import scores_compute
from tests.evaluations.workers import finished
from tests.factories import (
    ApplicationFactory,
    MembershipFactory,
    ProviderFactory,
    StaffUserFactory,
    UserFactory,
    ViolationFactory,
)
from tests.funding.builders import period_pool
from tests.providers.flows import documents_complete
from tests.scenario.data import (
    WAN_FEN,
    Enrolled,
    gmv_history,
    gmv_import,
    metrics_load,
    provider_enrol,
)
from zaofeng.periods import add_months, trailing_months

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]

PREV, M, NEXT = date(2026, 8, 1), date(2026, 9, 1), date(2026, 10, 1)
FUND_FEN = 10_000_000 * 100  # ¥10,000,000
IMPRESSIONS = 1_000_000_000
# Each pool split among the tiers; the last 10% is the policy's reserve for new entrants.
BUDGET_PERCENT = {"tier_1b": 40, "tier_100m": 30, "tier_50m": 12, "tier_10m": 8}


@dataclass(frozen=True)
class Cast:
    a: Enrolled
    b: Enrolled
    c: Enrolled
    d: Enrolled
    f: Enrolled
    e: Provider
    e_application: Application
    e_applicant: object
    f_owner: object
    reviewer: object
    finance: tuple
    program_admin: object

    def active(self) -> list[Provider]:
        return [x.provider for x in (self.a, self.b, self.c, self.d, self.f)]


def cast_and_data() -> Cast:
    """The providers, the people, the twelve months of data behind them, and the period's pools."""
    a = provider_enrol(name="杭州星火代运营", type_code="store_operation")
    b = provider_enrol(name="广州青禾MCN", type_code="streamer_agency")
    c = provider_enrol(name="成都山海直播基地", type_code="live_base")
    d = provider_enrol(name="义乌万象供应链", type_code="supply_chain")
    f = provider_enrol(name="温州晨光服饰", type_code="store_operation")
    e = ProviderFactory(name="新申请", status=LifecycleStatus.APPLICANT, joined_on=None)

    gmv_import(
        [
            # Gross ¥90,000,000 and refunds ¥5,000,000 every month: trailing net ¥1,020,000,000.
            *gmv_history(a, last=M, net_fen=8_500 * WAN_FEN, refund_fen=500 * WAN_FEN),
            # ¥1,100,000,000 over the twelve months.
            *gmv_history(b, last=M, net_fen=[9_000 * WAN_FEN] * 11 + [11_000 * WAN_FEN]),
            # ¥150,000,000.
            *gmv_history(c, last=M, net_fen=1_250 * WAN_FEN),
            # ¥108,000,000 at the previous period's close; ¥95,000,000 at this one.
            *gmv_history(
                d, last=M, net_fen=[2_000 * WAN_FEN] + [800 * WAN_FEN] * 11 + [700 * WAN_FEN]
            ),
            # ¥60,000,000.
            *gmv_history(f, last=M, net_fen=500 * WAN_FEN),
        ]
    )
    metrics_load([x.provider for x in (a, b, c, d, f)], trailing_months(M, 12))

    # B: 13 points in the last twelve months, none of them serious; 9 of them by August.
    for points, occurred_on in (
        (5, date(2026, 2, 10)),
        (4, date(2026, 6, 3)),
        (4, date(2026, 9, 8)),
    ):
        ViolationFactory(provider=b.provider, points=points, occurred_on=occurred_on)
    # F: one counterfeit violation in the period.
    counterfeit = ViolationFactory(
        provider=f.provider,
        kind=ViolationKind.COUNTERFEIT,
        severity=ViolationSeverity.SERIOUS,
        points=6,
        occurred_on=date(2026, 9, 12),
        evidence="平台抽检：商品与品牌授权不符",
    )
    assert counterfeit.pk

    # The months before the previous period were scored by earlier runs.
    for month in trailing_months(add_months(PREV, -1), 10):
        scores_compute(month=month)

    for kind in (PoolKind.FUND, PoolKind.TRAFFIC):
        total = FUND_FEN if kind == PoolKind.FUND else IMPRESSIONS
        period_pool(
            kind=kind,
            total=total,
            period_start=M,
            budgets={code: total * pct // 100 for code, pct in BUDGET_PERCENT.items()},
        )

    # E applies: a company registered eight months ago, everything else in order.
    today = timezone.localdate()
    e_applicant = UserFactory(username="e-applicant")
    application = ApplicationFactory(
        applicant=e_applicant,
        company_name="新申请",
        credit_code=e.credit_code,
        registered_on=_months_ago(today, 8),
    )
    documents_complete(application, by=e_applicant)

    return Cast(
        a=a,
        b=b,
        c=c,
        d=d,
        f=f,
        e=e,
        e_application=application,
        e_applicant=e_applicant,
        f_owner=MembershipFactory(provider=f.provider).user,
        reviewer=StaffUserFactory(username="reviewer-1", role=Role.REVIEWER),
        finance=(
            StaffUserFactory(username="finance-1", role=Role.FINANCE),
            StaffUserFactory(username="finance-2", role=Role.FINANCE),
        ),
        program_admin=StaffUserFactory(username="program-admin-1", role=Role.PROGRAM_ADMIN),
    )


def _months_ago(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 - months
    return date(index // 12, index % 12 + 1, min(day.day, 28))


def monthly_run(kind: str, month: date, worker) -> EvaluationRun:
    """Starts a run as the schedule does and waits for the worker to close it."""
    run = evaluation_start(kind=kind, month=month, trigger=RunTrigger.SCHEDULE)
    run = finished(run, worker)
    assert run.status == RunStatus.SUCCEEDED, (run.errors, worker.log()[-3000:])
    return run


def results(run: EvaluationRun) -> dict[int, EvaluationResult]:
    """The run's results by provider: one each, all succeeded."""
    rows = list(EvaluationResult.objects.filter(kind=run.kind, period=run.period))
    by_provider = {row.provider_id: row for row in rows}
    assert len(by_provider) == len(rows) == run.providers_total == run.providers_done
    assert {row.run_id for row in rows} <= {run.pk}
    assert {row.status for row in rows} <= {ResultStatus.SUCCEEDED}
    return by_provider


def tier_of(provider: Provider) -> str | None:
    membership = TierMembership.objects.filter(provider=provider, ended_on__isnull=True).first()
    return membership.tier.code if membership else None


def race(calls):
    """Runs the calls at the same moment, one thread and database connection each."""
    barrier = threading.Barrier(len(calls))
    outcomes = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait()
            outcomes[index] = call()
        except Exception as exc:  # noqa: BLE001 - the test inspects what each thread met
            outcomes[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def test_a_month_of_the_program(worker, via_queue, client):
    cast = cast_and_data()
    a, b, c, d, f, e = (
        cast.a.provider,
        cast.b.provider,
        cast.c.provider,
        cast.d.provider,
        cast.f.provider,
        cast.e,
    )
    names = {p.pk: p.name for p in (a, b, c, d, f, e)}

    # ------------------------------------------------------------------ E applies
    e_prescreen(cast, client)

    # ------------------------------------------------------------------ the previous period
    for kind in ("scoring", "exit", "tiers"):
        monthly_run(kind, PREV, worker)
    for provider in cast.active():
        provider.refresh_from_db()
        assert provider.status == LifecycleStatus.ACTIVE, provider.name
    assert tier_of(d) == "tier_100m"  # D is in the ¥100M tier as the period begins

    # ------------------------------------------------------------------ the period: scoring
    scoring = monthly_run("scoring", M, worker)
    scored = results(scoring)
    assert set(scored) == {a.pk, b.pk, c.pk, d.pk, f.pk}  # never the applicant E
    minimum = {"tier_1b": 70, "tier_100m": 65}
    for pid, result in scored.items():
        assert Decimal(result.detail["overall_score"]) > max(minimum.values()), names[pid]

    # ------------------------------------------------------------------ the period: exit
    exit_run = monthly_run("exit", M, worker)
    judged = results(exit_run)
    assert set(judged) == {a.pk, b.pk, c.pk, d.pk, f.pk}
    for provider in (a, c, d):
        assert judged[provider.pk].detail["transition"] is None
        assert judged[provider.pk].detail["verdict"] == "pass"
    b_exited_by_the_exit_run(b, exit_run, judged)
    exit_decision = f_exited_at_once(f, exit_run, judged, cast)

    # F appeals within seven days; a reviewer upholds it: the counterfeit finding was wrong.
    f_appeals_and_is_restored(f, exit_decision, cast)

    # ------------------------------------------------------------------ the period: tiers
    tiers = monthly_run("tiers", M, worker)
    reviewed = results(tiers)
    assert set(reviewed) == {a.pk, b.pk, c.pk, d.pk, f.pk}
    assert tier_of(a) == "tier_1b"
    assert reviewed[a.pk].detail["verdict"] == TierVerdict.PROMOTED
    assert tier_of(c) == "tier_100m"
    assert tier_of(b) is None
    assert reviewed[b.pk].detail["verdict"] == TierVerdict.REMOVED
    assert tier_of(e) is None
    assert not TierAssessment.objects.filter(provider=e).exists()
    # D stays in the ¥100M tier: one period below.
    assert tier_of(d) == "tier_100m"
    assert reviewed[d.pk].detail["verdict"] == TierVerdict.HELD_BELOW
    assert reviewed[d.pk].detail["periods_below"] == 1
    assert reviewed[d.pk].detail["trailing_net_gmv_fen"] == 9_500 * WAN_FEN
    assert not PendingDemotion.objects.exists()
    assert tier_of(f) == "tier_50m"
    assert tiers.summary["reconciliation"]["ok"] is True

    # ------------------------------------------------------------------ the allocation proposal
    allocation = monthly_run("allocation", M, worker)
    proposal = Proposal.objects.get(pk=allocation.summary["proposal_id"])
    f.refresh_from_db()
    f_active_at_proposal = f.status == LifecycleStatus.ACTIVE
    covered = set(proposal.lines.values_list("provider_id", flat=True))
    assert covered == {a.pk, c.pk, d.pk} | ({f.pk} if f_active_at_proposal else set())
    assert f_active_at_proposal  # restored before the proposal, so F is in it
    assert b.pk not in covered
    assert e.pk not in covered

    # ------------------------------------------------------------------ the money
    the_money(proposal, cast)

    # ------------------------------------------------------------------ progress
    progress = program_progress(month=M)
    assert (progress.at_1b, progress.at_100m, progress.band_100m_1b) == (1, 2, 1)
    assert (progress.target_1b, progress.target_100m) == (100, 200)
    below_1b = progress.closest_below_1b[0]
    assert (below_1b.provider_id, below_1b.lacking_fen) == (c.pk, 85_000 * WAN_FEN)
    below_100m = progress.closest_below_100m[0]
    assert (below_100m.provider_id, below_100m.lacking_fen) == (d.pk, 500 * WAN_FEN)
    # Below ¥1B: C, D and F; A is above, and B is not counted at all (exited), its ¥1.1B aside.
    assert [gap.provider_id for gap in progress.closest_below_1b] == [c.pk, d.pk, f.pk]
    # D holds the ¥100M tier on hysteresis but is counted below ¥100M, closest to it.
    assert [gap.provider_id for gap in progress.closest_below_100m] == [d.pk, f.pk]
    assert tier_of(d) == "tier_100m"

    # ------------------------------------------------------------------ the next period: D again
    d_below_a_second_period(cast, worker)

    # Every run went through the worker process, not this one.
    runs = EvaluationRun.objects.all()
    assert runs.count() == 10
    assert {run.trigger for run in runs} == {RunTrigger.SCHEDULE}
    log = worker.log()
    assert len(re.findall(r"Task evaluations\.run_plan\[[^\]]+\] succeeded", log)) == 10
    batches = sum(run.batches_total for run in runs)
    assert len(re.findall(r"Task evaluations\.batch_run\[[^\]]+\] succeeded", log)) == batches


def e_prescreen(cast: Cast, client) -> None:
    """E's pre-screen fails the hard criterion "registered ≥ 1 year" with 8 months observed;
    the applicant and the reviewer read the same stored row."""
    application = application_submit(application=cast.e_application, by=cast.e_applicant)
    assert application.prescreen_passed is False

    own = application_for_user(user=cast.e_applicant, pk=application.pk)
    rows = list(application_prescreen_rows(application=own))
    (age,) = [row for row in rows if row.input_name == "company_age_months"]
    assert (age.level, age.passed, age.evaluated) == ("hard", False, True)
    assert (Decimal(str(age.observed)), Decimal(str(age.threshold))) == (8, 12)
    assert "8" in age.observed_display
    # Only that hard criterion fails: everything else about E is in order.
    assert [row.input_name for row in rows if not row.passed and row.level == "hard"] == [
        "company_age_months"
    ]

    assert application in applications_awaiting_review()
    reviewers_rows = list(
        application_prescreen_rows(
            application=application_for_user(user=cast.reviewer, pk=application.pk)
        )
    )
    assert [row.pk for row in reviewers_rows] == [row.pk for row in rows]
    client.force_login(cast.reviewer)
    page = client.get(f"/admin/providers/application/{application.pk}/change/")
    assert page.status_code == 200
    text = page.content.decode()
    assert age.sentence in text
    assert age.observed_display in text
    client.logout()


def b_exited_by_the_exit_run(b: Provider, exit_run: EvaluationRun, judged) -> None:
    b.refresh_from_db()
    assert b.status == LifecycleStatus.EXITED
    record = provider_decisions(provider=b).get(action=DecisionAction.EXITED)
    assert (record.run_id, record.month, record.from_status) == (
        exit_run.pk,
        M,
        LifecycleStatus.ACTIVE,
    )
    failed = [row for row in record.criteria_results if not row["passed"]]
    assert [row["input_name"] for row in failed] == ["violation_points_12m"]
    (points,) = failed
    assert points["level"] == "exit"
    assert (Decimal(str(points["observed"])), Decimal(str(points["threshold"]))) == (13, 12)
    assert judged[b.pk].detail["transition"] == LifecycleStatus.EXITED
    assert judged[b.pk].detail["decision_id"] == record.pk


def f_exited_at_once(f: Provider, exit_run: EvaluationRun, judged, cast: Cast):
    """A serious violation exits at once: from active straight to exited, no warning first."""
    f.refresh_from_db()
    assert f.status == LifecycleStatus.EXITED
    record = provider_decisions(provider=f).get(action=DecisionAction.EXITED)
    assert (record.run_id, record.from_status) == (exit_run.pk, LifecycleStatus.ACTIVE)
    assert not provider_decisions(provider=f).filter(action=DecisionAction.WARNED).exists()
    failed = {row["input_name"] for row in record.criteria_results if not row["passed"]}
    assert failed == {"serious_violation_dates"}
    assert record.reason
    assert judged[f.pk].detail["transition"] == LifecycleStatus.EXITED
    # F's owner is told, with the right to appeal.
    assert notifications_inbox(user=cast.f_owner).filter(title__contains="清退").exists()
    return record


def f_appeals_and_is_restored(f: Provider, exit_decision, cast: Cast) -> None:
    (window,) = appeal_windows_open(provider=f)
    assert window.decision == exit_decision
    appeal = appeal_file(
        provider=f,
        decision=exit_decision,
        by=cast.f_owner,
        grounds="抽检批次为品牌方直供，已提交品牌授权书与进货凭证，非售假。",
    )
    assert appeal.filed_at - exit_decision.decided_at < timedelta(days=APPEAL_DAYS)
    counterfeit = f.violations.get(kind=ViolationKind.COUNTERFEIT)
    appeal_decide(
        appeal=appeal,
        by=cast.reviewer,
        upheld=True,
        reason="品牌授权书与进货凭证核实无误，抽检结论有误。",
        violations_revoked=[counterfeit],
    )
    f.refresh_from_db()
    assert f.status == LifecycleStatus.ACTIVE
    record = list(provider_decisions(provider=f).order_by("decided_at", "id"))
    actions = [row.action for row in record]
    assert actions[-3:] == [
        DecisionAction.EXITED,
        DecisionAction.APPEAL_FILED,
        DecisionAction.APPEAL_UPHELD,
    ]
    exited, filed, upheld = record[-3:]
    assert all(row.reason.strip() for row in (exited, filed, upheld))
    assert "授权书" in filed.reason
    assert "抽检结论有误" in upheld.reason
    assert (upheld.from_status, upheld.to_status) == (
        LifecycleStatus.EXITED,
        LifecycleStatus.ACTIVE,
    )
    assert upheld.related_decision == exited
    assert upheld.decided_by == cast.reviewer


def the_money(proposal: Proposal, cast: Cast) -> None:
    """Two finance users approve at the same moment: one set of grants, within the pools."""
    first, second = cast.finance
    outcomes = race(
        [
            lambda: proposal_approve(proposal=proposal, by=first, key="finance-1"),
            lambda: proposal_approve(proposal=proposal, by=second, key="finance-2"),
        ]
    )
    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    assert sorted((o.approved, o.already_approved) for o in outcomes) == [
        (False, True),
        (True, False),
    ]
    lines = list(proposal.lines.all())
    grants = LedgerEntry.objects.filter(kind=EntryKind.GRANT)
    expected = sum((line.fund_fen > 0) + (line.impressions > 0) for line in lines)
    assert grants.count() == expected == sum(o.grants_created for o in outcomes)
    assert grants.values("proposal_line", "pool").distinct().count() == expected
    assert not grants.filter(provider__in=[cast.b.provider, cast.e]).exists()

    def granted(kind):
        return grants.filter(pool__kind=kind).aggregate(total=Sum("amount"))["total"] or 0

    assert 0 < granted(PoolKind.FUND) <= FUND_FEN
    assert 0 < granted(PoolKind.TRAFFIC) <= IMPRESSIONS

    report = reconciliation_check()
    assert report.ok, report.mismatches
    assert report.pools_checked == 2
    derived = pool_derived_balances()
    for pool in Pool.objects.all():
        assert pool.balance == derived[pool.pk]
        assert pool.balance == pool.total_amount - granted(pool.kind)


def d_below_a_second_period(cast: Cast, worker) -> None:
    """The next period: D is below ¥100M again; a pending demotion waits for a program admin."""
    working = [cast.a, cast.c, cast.d, cast.f]
    gmv_import(
        [
            *gmv_history(cast.a, last=NEXT, net_fen=[8_500 * WAN_FEN], refund_fen=500 * WAN_FEN),
            *gmv_history(cast.c, last=NEXT, net_fen=[1_250 * WAN_FEN]),
            *gmv_history(cast.d, last=NEXT, net_fen=[800 * WAN_FEN]),  # trailing ¥95,000,000 again
            *gmv_history(cast.f, last=NEXT, net_fen=[500 * WAN_FEN]),
        ]
    )
    metrics_load([x.provider for x in working], [NEXT])
    for kind in ("scoring", "exit", "tiers"):
        monthly_run(kind, NEXT, worker)

    d = cast.d.provider
    pending = PendingDemotion.objects.get()
    assert (pending.provider, pending.status) == (d, PendingDemotionStatus.PENDING)
    assert (pending.from_tier.code, pending.to_tier.code) == ("tier_100m", "tier_50m")
    assert (pending.trailing_net_gmv_fen, pending.periods_below) == (9_500 * WAN_FEN, 2)
    assert tier_of(d) == "tier_100m"  # unchanged until a program admin decides
    # F's revoked violation no longer counts: the next exit run leaves F active.
    f = cast.f.provider
    f.refresh_from_db()
    assert f.status == LifecycleStatus.ACTIVE

    with pytest.raises(PermissionDenied):
        demotion_confirm(pending=pending, by=cast.finance[0])
    demotion_confirm(pending=pending, by=cast.program_admin, note="连续两期低于亿级门槛。")
    assert tier_of(d) == "tier_50m"
