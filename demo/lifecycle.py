"""Demo lifecycle: the records behind each generated status, and applications in every stage.

The registry seeds providers straight into their statuses; this writes the decision records that
explain how each got there (dated in the demo's months), the probation and rectification
deadlines, one pending appeal, and an application for every applicant, taken through the real
services (documents, submission with pre-screen, review) so that the pre-screen tables are true.
"""

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from providers.models import (
    Appeal,
    Application,
    ApplicationCase,
    DecisionAction,
    DecisionRecord,
    DocumentKind,
    LifecycleStatus,
    Provider,
)
from providers.services.applications import application_review_start, application_submit
from providers.services.documents import application_document_add
from zaofeng.periods import add_months, month_end

# Smallest files of the accepted formats: enough for the content check and a download.
DEMO_PDF = b"%PDF-1.4\n% zaofeng demo document\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
DEMO_PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 32

CASE_RESULTS = (
    "店铺自播月GMV半年增长3倍",
    "大促期间单场直播GMV破千万",
    "新品冷启动30天进入类目前十",
    "退款率下降4个百分点",
    "私域复购率提升至35%",
)
CATEGORIES = ("食品", "服饰", "美妆", "日用", "母婴", "家居")

WARNING_REASONS = (
    (
        "months_without_gmv",
        "lt",
        3,
        3,
        "不得连续3个月无成交；否则预警",
        "3个月",
        "< 3个月",
    ),
    (
        "complaints_per_10k_orders",
        "lte",
        "25",
        "31.4",
        "万单投诉量不高于25；否则预警",
        "31.4次/万单",
        "≤ 25次/万单",
    ),
    (
        "overall_score_last_two_quarters_max",
        "gte",
        "60",
        "55.2",
        "综合评分不得连续两个季度低于60分；否则预警，再不达标进入整改（30天），仍不达标清退",
        "55.2分",
        "≥ 60分",
    ),
)


@dataclass(frozen=True)
class LifecycleSummary:
    decisions: int
    applications: int


def _at(day: date, hour: int = 10) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


def _row(input_name, operator, threshold, observed, sentence, observed_display, threshold_display):
    return {
        "input_name": input_name,
        "operator": operator,
        "level": "warning",
        "threshold": threshold,
        "observed": observed,
        "observed_display": observed_display,
        "threshold_display": threshold_display,
        "passed": False,
        "evaluated": True,
        "reason": f"{sentence.split('；')[0]}：实际 {observed_display}，要求 {threshold_display}，未通过。",
        "sentence": sentence,
        "sentence_en": "",
        "criteria_set_version": 1,
    }


def _record(provider, action, source, target, day, reason, *, month=None, rows=(), by=None):
    return DecisionRecord(
        provider=provider,
        action=action,
        from_status=source,
        to_status=target,
        decided_at=_at(day),
        decided_by=by,
        decided_by_name=by.get_username() if by else "",
        month=month,
        reason=reason,
        criteria_results=list(rows),
    )


def seed_lifecycle(*, rng: random.Random, end_month: date) -> LifecycleSummary:
    """Writes the lifecycle history of the demo providers; deterministic for a seed."""
    reviewer = get_user_model().objects.filter(username="reviewer").first()
    last_day = month_end(end_month)
    records: list[DecisionRecord] = []
    updates: list[Provider] = []
    providers = list(Provider.objects.order_by("code"))
    for provider in providers:
        status = provider.status
        joined = provider.joined_on or end_month
        if status == LifecycleStatus.APPLICANT:
            continue
        records.append(
            _record(
                provider,
                DecisionAction.ADMITTED,
                LifecycleStatus.APPLICANT,
                LifecycleStatus.PROBATION,
                joined,
                "入驻申请审核通过，进入考察期。",
                by=reviewer,
            )
        )
        changed = _at(joined)
        passed_on = joined
        if status == LifecycleStatus.PROBATION:
            provider.probation_ends_on = joined + timedelta(days=90)
        else:
            passed_on = min(joined + timedelta(days=90), last_day)
            records.append(
                _record(
                    provider,
                    DecisionAction.PROBATION_PASSED,
                    LifecycleStatus.PROBATION,
                    LifecycleStatus.ACTIVE,
                    passed_on,
                    "考察期目标全部达成，转为正常合作。",
                )
            )
            changed = _at(passed_on)
        if status in (LifecycleStatus.WARNING, LifecycleStatus.RECTIFICATION):
            reason = rng.choice(WARNING_REASONS)
            if status == LifecycleStatus.RECTIFICATION:
                # Only the score rule escalates from warning to rectification.
                reason = WARNING_REASONS[2]
            row = _row(*reason)
            warned_month = add_months(
                end_month, -1 if status == LifecycleStatus.RECTIFICATION else 0
            )
            warned_on = month_end(warned_month)
            records.append(
                _record(
                    provider,
                    DecisionAction.WARNED,
                    LifecycleStatus.ACTIVE,
                    LifecycleStatus.WARNING,
                    warned_on,
                    f"准出评估（{warned_month:%Y-%m}）：{row['reason']}",
                    month=warned_month,
                    rows=[row],
                )
            )
            changed = _at(warned_on)
            if status == LifecycleStatus.RECTIFICATION:
                due = last_day + timedelta(days=rng.randint(5, 30))
                records.append(
                    _record(
                        provider,
                        DecisionAction.RECTIFICATION_STARTED,
                        LifecycleStatus.WARNING,
                        LifecycleStatus.RECTIFICATION,
                        last_day,
                        f"预警后仍未达标（{end_month:%Y-%m}），进入整改：{row['reason']}",
                        month=end_month,
                        rows=[row],
                    )
                )
                provider.rectification_due_on = due
                changed = _at(last_day)
        if status == LifecycleStatus.EXITED:
            # Warned, then in rectification, then out when the deadline found it still below.
            exited_on = max(last_day - timedelta(days=rng.randint(30, 200)), passed_on)
            row = _row(*WARNING_REASONS[2])
            steps = (
                (
                    DecisionAction.WARNED,
                    LifecycleStatus.ACTIVE,
                    LifecycleStatus.WARNING,
                    60,
                    f"准出评估：{row['reason']}",
                ),
                (
                    DecisionAction.RECTIFICATION_STARTED,
                    LifecycleStatus.WARNING,
                    LifecycleStatus.RECTIFICATION,
                    30,
                    f"预警后仍未达标，进入整改：{row['reason']}",
                ),
                (
                    DecisionAction.RECTIFICATION_FAILED,
                    LifecycleStatus.RECTIFICATION,
                    LifecycleStatus.EXITED,
                    0,
                    f"整改期满仍未达标：{row['reason']}",
                ),
            )
            for action, source, target, days_before, reason in steps:
                records.append(
                    _record(
                        provider,
                        action,
                        source,
                        target,
                        max(exited_on - timedelta(days=days_before), passed_on),
                        reason,
                        rows=[row],
                    )
                )
            changed = _at(exited_on)
        provider.status_changed_at = changed
        updates.append(provider)
    Provider.objects.bulk_update(
        updates, ["probation_ends_on", "rectification_due_on", "status_changed_at"], batch_size=500
    )
    created = DecisionRecord.objects.bulk_create(records, batch_size=1000)

    # One pending appeal for the reviewers' queue: the first warned provider contests its warning.
    warning = next(
        (
            r
            for r in created
            if r.action == DecisionAction.WARNED and r.provider.status == "warning"
        ),
        None,
    )
    if warning is not None:
        appeal = Appeal.objects.create(
            provider=warning.provider,
            decision=warning,
            grounds="当月数据口径有误：部分订单已于次月1日补录，申请复核。",
            filed_at=warning.decided_at + timedelta(days=2),
        )
        DecisionRecord.objects.create(
            provider=warning.provider,
            action=DecisionAction.APPEAL_FILED,
            from_status=LifecycleStatus.WARNING,
            to_status=LifecycleStatus.WARNING,
            decided_at=appeal.filed_at,
            reason=appeal.grounds,
            appeal=appeal,
            related_decision=warning,
        )
    applications = _seed_applications(rng=rng, providers=providers, reviewer=reviewer)
    return LifecycleSummary(decisions=DecisionRecord.objects.count(), applications=applications)


# What an applicant of each type declares about its business (admission v2, docs/lifecycle.md):
# comfortably above the thresholds; every fourth applicant falls short on its type's first one.
DECLARED_BY_TYPE = {
    "store_operation": {"brands_served": 6, "shipment_48h_rate": "0.95", "refund_rate": "0.08"},
    "streamer_agency": {
        "streamers_signed": 45,
        "streamers_incubated": 9,
        "incubated_streamer_gmv_fen": 600_000_000,
    },
    "live_base": {"studios": 24, "daily_live_hours": "12", "merchants_hosted": 30},
    "supply_chain": {"active_skus": 900, "in_stock_rate": "0.92"},
    "marketing": {"ad_roi": "2.8", "private_domain_gmv_share": "0.22"},
    "training": {"trainees": 420, "trainee_store_gmv_fen": 800_000_000},
}
SHORT_OF = {
    "brands_served": 2,
    "streamers_signed": 12,
    "studios": 6,
    "active_skus": 120,
    "ad_roi": "1.2",
    "trainees": 60,
}


def _declared_facts(type_codes: list[str], index: int) -> dict:
    facts: dict = {}
    for code in sorted(type_codes):
        declared = dict(DECLARED_BY_TYPE.get(code, {}))
        if index % 4 == 3 and declared:
            first = next(iter(declared))
            declared[first] = SHORT_OF.get(first, declared[first])
        facts.update(declared)
    return facts


def _seed_applications(*, rng: random.Random, providers: list[Provider], reviewer) -> int:
    """An application per applicant provider: a third each drafted, pre-screened, under review."""
    count = 0
    for index, provider in enumerate(p for p in providers if p.status == LifecycleStatus.APPLICANT):
        application = Application.objects.create(
            provider=provider,
            company_name=provider.name,
            legal_name=provider.legal_name,
            credit_code=provider.credit_code,
            region=provider.region,
            registered_on=provider.registered_on,
            registered_capital_fen=provider.registered_capital_fen or 0,
            team_size=provider.team_size or 0,
            served_gmv_12m_fen=rng.choice((3, 8, 12, 30, 80)) * 1_000_000 * 100,
            introduction=f"{provider.name}，申请加入造风者计划。",
            contact_name=provider.contact_name or "联系人",
            contact_phone=provider.contact_phone or "13800000000",
            contact_email=provider.contact_email or "contact@example.cn",
            declared_facts=_declared_facts(
                list(provider.provider_types.values_list("code", flat=True)), index
            ),
            created_by=reviewer,
        )
        application.provider_types.set(provider.provider_types.all())
        application.regions_served.set([provider.region])
        ApplicationCase.objects.bulk_create(
            ApplicationCase(
                application=application,
                merchant_name=f"合作品牌{rng.randint(100, 999)}",
                category=rng.choice(CATEGORIES),
                result=rng.choice(CASE_RESULTS),
                served_gmv_fen=rng.randint(50, 3000) * 10_000 * 100,
            )
            for _ in range(rng.randint(1, 3))
        )
        application_document_add(
            application=application,
            uploaded_file=SimpleUploadedFile("营业执照.pdf", DEMO_PDF),
            kind=DocumentKind.BUSINESS_LICENCE,
            by=reviewer,
        )
        if rng.random() < 0.8:
            application_document_add(
                application=application,
                uploaded_file=SimpleUploadedFile("资质证明.png", DEMO_PNG),
                kind=DocumentKind.QUALIFICATION,
                by=reviewer,
            )
        stage = index % 3
        if stage >= 1:
            application_submit(application=application, by=reviewer)
        if stage == 2 and reviewer is not None:
            application_review_start(application=application, by=reviewer)
        count += 1
    return count
