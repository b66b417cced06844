"""The criteria pages: admission, probation and exit criteria as the provider is judged by them,
previews of a pre-screen and of the next exit check, the published admission criteria.
"""

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date

from django.utils import timezone
from django.utils.translation import gettext as _g

from providers.criteria import (
    CriterionLevel,
    CriterionResult,
    Missing,
    criteria_evaluate,
    whole_months_between,
)
from providers.criteria_types import verdicts_by_type
from providers.models import (
    Application,
    ApplicationStatus,
    CriteriaKind,
    LifecycleStatus,
    PrescreenResult,
    Provider,
)
from providers.selectors import (
    application_prescreen_rows,
    applications_for_user,
    criteria_inputs,
    criteria_judging,
    criteria_specs_published,
    probation_snapshot,
    violation_inputs,
)
from providers.services.applications import application_snapshot
from scoring.selectors import (
    trailing_net_gmv_fen,
)
from zaofeng.language import in_active_language
from zaofeng.money import format_fen_cn
from zaofeng.periods import format_month, previous_month


# ------------------------------------------------------------------------------
# Criteria rows, whatever they were judged from
# ------------------------------------------------------------------------------
@dataclass(frozen=True)
class CriteriaRow:
    sentence: str
    level: str
    level_label: str
    observed: str
    threshold: str
    passed: bool
    evaluated: bool
    reason: str
    type_name: str = ""  # the provider type the row belongs to (a pre-screen row)
    declared: str = ""  # the served-GMV check: declared, verified by platform data, difference
    verified: str = ""
    difference: str = ""


def _row_from_result(result: CriterionResult) -> CriteriaRow:
    spec = result.spec
    return CriteriaRow(
        sentence=in_active_language(spec.sentence, spec.sentence_en),
        level=spec.level,
        level_label=str(CriterionLevel(spec.level).label),
        observed=result.observed_display,
        threshold=result.threshold_display,
        passed=result.passed,
        evaluated=result.evaluated,
        reason=result.reason,
    )


def _row_from_prescreen(row: PrescreenResult) -> CriteriaRow:
    money = {}
    if row.declared_fen is not None and row.verified_fen is not None:
        money = {
            "declared": format_fen_cn(row.declared_fen),
            "verified": format_fen_cn(row.verified_fen),
            "difference": format_fen_cn(row.difference_fen),
        }
    return CriteriaRow(
        type_name=row.provider_type.label if row.provider_type_id else "",
        **money,
        sentence=in_active_language(row.sentence, row.sentence_en),
        level=row.level,
        level_label=row.get_level_display(),
        observed=row.observed_display,
        threshold=row.threshold_display,
        passed=row.passed,
        evaluated=row.evaluated,
        reason=row.reason,
    )


def _row_from_record(row: Mapping) -> CriteriaRow:
    level = row.get("level", "")
    return CriteriaRow(
        sentence=in_active_language(row["sentence"], row.get("sentence_en")),
        level=level,
        level_label=str(CriterionLevel(level).label) if level in CriterionLevel.values else level,
        observed=row.get("observed_display", ""),
        threshold=row.get("threshold_display", ""),
        passed=bool(row.get("passed")),
        evaluated=bool(row.get("evaluated", True)),
        reason=row.get("reason", ""),
    )


def _criteria_preview(
    *, kind: str, provider: Provider, snapshot: Mapping, month: date | None, today: date | None
) -> tuple[CriteriaRow, ...]:
    type_ids = list(provider.provider_types.values_list("pk", flat=True))
    specs = criteria_specs_published(kind=kind, provider_type_ids=type_ids)
    judging = criteria_judging(kind=kind, month=month, today=today)
    verdict = criteria_evaluate(specs, snapshot, as_of=judging.as_of, missing=judging.missing)
    return tuple(_row_from_result(result) for result in verdict.results)


def exit_check(*, provider: Provider, month: date) -> tuple[CriteriaRow, ...]:
    """The exit criteria judged on the provider's own figures for a month, as the exit run
    judges them (the same inputs, missing-value rule and date); nothing is recorded."""
    snapshot = criteria_inputs(kind=CriteriaKind.EXIT, month=month, provider_ids=[provider.pk])
    return _criteria_preview(
        kind=CriteriaKind.EXIT,
        provider=provider,
        snapshot=snapshot[provider.pk],
        month=month,
        today=None,
    )


def probation_check(
    *, provider: Provider, month: date, today: date | None = None
) -> tuple[CriteriaRow, ...]:
    """The probation goals as the deadline check would judge them today: on the latest exit
    evaluation since probation began (month's figures until there is one), a missing figure
    failing; nothing is recorded."""
    today = today or timezone.localdate()
    basis = probation_snapshot(provider=provider, today=today)
    snapshot = (
        basis[1]
        if basis
        else criteria_inputs(kind=CriteriaKind.PROBATION, month=month, provider_ids=[provider.pk])[
            provider.pk
        ]
    )
    return _criteria_preview(
        kind=CriteriaKind.PROBATION, provider=provider, snapshot=snapshot, month=month, today=today
    )


def provider_admission_check(*, provider: Provider, today: date) -> tuple[CriteriaRow, ...]:
    """The admission criteria on the registry's facts about the provider today. Documents are
    not on record here, so that row reads "not evaluated" rather than failing."""
    type_ids = list(provider.provider_types.values_list("pk", flat=True))
    specs = criteria_specs_published(kind=CriteriaKind.ADMISSION, provider_type_ids=type_ids)
    month = previous_month()
    snapshot = {
        "company_age_months": whole_months_between(provider.registered_on, today)
        if provider.registered_on
        else None,
        "registered_capital_fen": provider.registered_capital_fen,
        "team_size": provider.team_size,
        "served_gmv_12m_fen": trailing_net_gmv_fen(month=month, provider_ids=[provider.pk]).get(
            provider.pk, 0
        ),
        "provider_types": sorted(provider.provider_types.values_list("code", flat=True)),
        "serious_violation_dates": violation_inputs(month=month, provider_ids=[provider.pk])[
            provider.pk
        ]["serious_violation_dates"],
    }
    verdict = criteria_evaluate(specs, snapshot, as_of=today, missing=Missing.SKIP)
    return tuple(_row_from_result(result) for result in verdict.results)


def application_prescreen_preview(
    *, application: Application, today: date
) -> tuple[CriteriaRow, ...]:
    """What the pre-screen would say if the draft were submitted today; nothing is stored."""
    types = {
        provider_type.pk: provider_type.label for provider_type in application.provider_types.all()
    }
    specs = criteria_specs_published(kind=CriteriaKind.ADMISSION, provider_type_ids=list(types))
    # Judged per type, as the submission will be (providers.criteria_types); the served-GMV
    # check against platform data runs at submission only.
    by_type = verdicts_by_type(
        specs,
        application_snapshot(application=application, as_of=today),
        as_of=today,
        missing=Missing.FAIL,
    )
    return tuple(
        replace(_row_from_result(result), type_name=types.get(type_id, ""))
        for type_id, verdict in by_type.items()
        for result in verdict.results
    )


def application_criteria(*, application: Application, today: date) -> tuple[CriteriaRow, ...]:
    """The pre-screen table as judged once submitted; a preview while it is a draft."""
    if application.status == ApplicationStatus.DRAFT:
        return application_prescreen_preview(application=application, today=today)
    return tuple(
        _row_from_prescreen(row) for row in application_prescreen_rows(application=application)
    )


@dataclass(frozen=True)
class CriteriaTable:
    key: str
    title: str
    note: str
    rows: tuple[CriteriaRow, ...]

    @property
    def failed(self) -> int:
        return sum(1 for row in self.rows if row.evaluated and not row.passed)


def criteria_tables(*, provider: Provider | None, user, today: date) -> tuple[CriteriaTable, ...]:
    """The criteria that apply to the signed-in user's provider (or to their applications)."""
    tables: list[CriteriaTable] = []
    if provider is not None:
        month = previous_month()
        if provider.status in (
            LifecycleStatus.PROBATION,
            LifecycleStatus.ACTIVE,
            LifecycleStatus.WARNING,
            LifecycleStatus.RECTIFICATION,
        ):
            tables.append(
                CriteriaTable(
                    key="exit",
                    title=_g("准出标准"),
                    note=_g(
                        "按 %(month)s 的数据试算（与月度准出评估同一口径）；正式结论以准出评估为准。"
                    )
                    % {"month": format_month(month)},
                    rows=exit_check(provider=provider, month=month),
                )
            )
        if provider.status == LifecycleStatus.PROBATION:
            tables.append(
                CriteriaTable(
                    key="probation",
                    title=_g("考察期目标"),
                    note=_g("考察期至 %(end)s，届时须全部达标方可转为正常合作。")
                    % {"end": provider.probation_ends_on},
                    rows=probation_check(provider=provider, month=month, today=today),
                )
            )
        tables.append(
            CriteriaTable(
                key="admission",
                title=_g("准入标准"),
                note=_g("按服务商档案中的企业信息试算；资质材料以入驻审核时为准。"),
                rows=provider_admission_check(provider=provider, today=today),
            )
        )
        return tuple(tables)
    for application in applications_for_user(user=user).prefetch_related("provider_types")[:5]:
        note = (
            _g("草稿预览：按当前填写的内容试算，提交后以正式预审结果为准。")
            if application.status == ApplicationStatus.DRAFT
            else _g("%(number)s 提交时的预审结果。") % {"number": application.number}
        )
        tables.append(
            CriteriaTable(
                key=f"application-{application.pk}",
                title=_g("准入标准 · %(number)s") % {"number": application.number},
                note=note,
                rows=application_criteria(application=application, today=today),
            )
        )
    return tuple(tables)


def admission_criteria_published() -> tuple[tuple[str, tuple[CriteriaRow, ...]], ...]:
    """Every provider type's published admission criteria, without values (before applying)."""
    from providers.selectors import criteria_published

    result = []
    for criteria_set in criteria_published(kind=CriteriaKind.ADMISSION):
        rows = tuple(
            CriteriaRow(
                sentence=in_active_language(criterion.sentence, criterion.sentence_en),
                level=criterion.level,
                level_label=criterion.get_level_display(),
                observed="",
                threshold="",
                passed=False,
                evaluated=False,
                reason="",
            )
            for criterion in criteria_set.criteria.all()
        )
        result.append((criteria_set.provider_type.label, rows))
    return tuple(result)
