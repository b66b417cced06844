"""Exit criteria of a provider of several types: which types a verdict removes.

Each type is judged on its own published exit set (providers.criteria_types). A failed
exit-level criterion of one type removes the provider from that type only, unless the criterion
is program-wide (a ban always is) or the type is the provider's last: then the provider leaves
the program. Pure apart from the removal itself, which records its decision.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from django.utils.translation import gettext as _g

from providers.criteria import CriteriaVerdict, CriterionLevel, CriterionResult
from providers.models import DecisionAction, DecisionRecord, Provider, ProviderType
from providers.services.lifecycle import decision_record, lifecycle_notify
from zaofeng.periods import format_month

REMOVING_LEVELS = (CriterionLevel.EXIT, CriterionLevel.BAN)


@dataclass(frozen=True)
class TypedVerdict:
    """What the exit criteria of every type found, and what it means for the program."""

    verdict: CriteriaVerdict  # the provider's verdict in the program (see typed_verdict)
    results: tuple[CriterionResult, ...]  # every type's rows, in type order
    types_removed: tuple[int, ...]  # types the provider leaves while staying in the program


def _removes(result: CriterionResult) -> bool:
    return not result.passed and result.level in REMOVING_LEVELS


def typed_verdict(by_type: Mapping[int | None, CriteriaVerdict]) -> TypedVerdict:
    """Combines the per-type verdicts.

    A program-wide exit or ban failure, or exit-level failures in every type, judge the whole
    provider (all rows count). Otherwise the types with an exit-level failure are removed and
    the provider's verdict is the gravest among the types it keeps (warning or pass).
    """
    results = tuple(result for verdict in by_type.values() for result in verdict.results)
    everything = CriteriaVerdict(results=results)
    program_wide = any(_removes(r) and r.spec.program_wide for r in results)
    removed = tuple(
        type_id
        for type_id, verdict in by_type.items()
        if type_id is not None and any(_removes(r) for r in verdict.results)
    )
    if program_wide or not removed or len(removed) == len(by_type):
        return TypedVerdict(verdict=everything, results=results, types_removed=())
    kept = tuple(
        result
        for type_id, verdict in by_type.items()
        if type_id not in removed
        for result in verdict.results
    )
    return TypedVerdict(
        verdict=CriteriaVerdict(results=kept), results=results, types_removed=removed
    )


def provider_types_remove(
    *,
    provider: Provider,
    type_ids: tuple[int, ...],
    by_type: Mapping[int | None, CriteriaVerdict],
    month: date,
    run_id: int | None = None,
    by=None,
) -> list[DecisionRecord]:
    """Takes types off a provider the caller has locked, one decision record per type (with the
    failed criteria that removed it), and tells the provider; each may be appealed."""
    records = []
    names = dict(ProviderType.objects.filter(pk__in=type_ids).values_list("pk", "name"))
    for type_id in type_ids:
        failures = [r for r in by_type[type_id].results if _removes(r)]
        provider.provider_types.remove(type_id)
        record = decision_record(
            provider=provider,
            action=DecisionAction.TYPE_REMOVED,
            from_status=provider.status,
            to_status=provider.status,
            reason=_g("准出评估（%(month)s）：退出“%(type)s”类型，其他类型继续合作：%(failures)s")
            % {
                "month": format_month(month),
                "type": names.get(type_id, type_id),
                "failures": "；".join(r.reason for r in failures),
            },
            by=by,
            run_id=run_id,
            month=month,
            results=by_type[type_id].results,
        )
        lifecycle_notify(provider=provider, record=record)
        records.append(record)
    return records


def types_removed_by(decision: DecisionRecord) -> set[int]:
    """The types a type-removal decision took off the provider (an upheld appeal gives them
    back)."""
    if decision.action != DecisionAction.TYPE_REMOVED:
        return set()
    return {
        row["provider_type_id"]
        for row in decision.criteria_results
        if row.get("provider_type_id") is not None
    }
