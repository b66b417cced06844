"""Reads of the provider registry, criteria, applications and lifecycle decisions."""

from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cached_property

from django.db.models import F, Q, QuerySet, Sum
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from providers.access import staff_rows_visible_to
from providers.criteria import CriterionSpec, Missing
from providers.lifecycle import appeal_deadline, appealable_since
from providers.models import (
    APPEALABLE_ACTIONS,
    Appeal,
    AppealStatus,
    Application,
    ApplicationDocument,
    ApplicationStatus,
    CriteriaKind,
    CriteriaSet,
    CriteriaSetStatus,
    DecisionAction,
    DecisionRecord,
    ExitEvaluation,
    LifecycleStatus,
    Membership,
    Merchant,
    PrescreenResult,
    Provider,
    RectificationPlan,
    Violation,
    ViolationKind,
    ViolationSeverity,
)
from providers.models.registry import BANNING_KINDS
from zaofeng.periods import add_months, month_end, month_start


def membership_for_user(user) -> Membership | None:
    if not user.is_authenticated:
        return None
    return (
        Membership.objects.select_related("provider", "provider__region").filter(user=user).first()
    )


def provider_for_user(user) -> Provider:
    """The one provider a provider user belongs to; 404 for anyone without a membership."""
    membership = membership_for_user(user)
    if membership is None:
        raise Http404("No provider for this user.")
    return membership.provider


# ------------------------------------------------------------------------------
# Criteria
# ------------------------------------------------------------------------------


def criteria_published(*, kind: str, provider_type_ids: Iterable[int] | None = None):
    """The published criteria sets of a kind (one per provider type), criteria prefetched."""
    sets = (
        CriteriaSet.objects.filter(kind=kind, status=CriteriaSetStatus.PUBLISHED)
        .select_related("provider_type")
        .prefetch_related("criteria")
        .order_by("provider_type_id")
    )
    if provider_type_ids is not None:
        sets = sets.filter(provider_type_id__in=list(provider_type_ids))
    return sets


def criteria_specs_published(*, kind: str, provider_type_ids: Iterable[int]) -> list[CriterionSpec]:
    """The criteria a provider (or applicant) of these types is judged by, in set order."""
    specs = []
    for criteria_set in criteria_published(kind=kind, provider_type_ids=provider_type_ids):
        for criterion in criteria_set.criteria.all():
            criterion.criteria_set = criteria_set  # already loaded; saves a query per criterion
            specs.append(criterion.as_spec())
    return specs


# ------------------------------------------------------------------------------
# Violations as criterion inputs
# ------------------------------------------------------------------------------

SERIOUS_KINDS = (ViolationKind.COUNTERFEIT, ViolationKind.FRAUD_AGAINST_BUYERS)


def violations_counting():
    """Violations that count toward criteria: all but those an upheld appeal revoked."""
    return Violation.objects.filter(revocation__isnull=True)


def violation_inputs(*, month: date, provider_ids: Iterable[int]) -> dict[int, dict[str, object]]:
    """`violation_points_12m` and `serious_violation_dates` per provider, as of the month's end.

    Points count violations that occurred in the twelve months up to and including month;
    serious violations (severity serious, or kind counterfeit / fraud against buyers) are listed
    with their dates up to the month's end, and the "none within N months" operator reads them.
    Every requested provider is in the result, with 0 and [] when it has no violations.
    """
    ids = list(provider_ids)
    last = month_start(month)
    window_start = add_months(last, -11)
    last_day = month_end(last)
    inputs: dict[int, dict[str, object]] = {
        pid: {"violation_points_12m": 0, "serious_violation_dates": []} for pid in ids
    }
    counting = violations_counting().filter(provider_id__in=ids, occurred_on__lte=last_day)
    points = (
        counting.filter(occurred_on__gte=window_start)
        .values("provider_id")
        .annotate(total=Sum("points"))
        .values_list("provider_id", "total")
    )
    for provider_id, total in points:
        inputs[provider_id]["violation_points_12m"] = int(total or 0)
    serious = (
        counting.filter(Q(severity=ViolationSeverity.SERIOUS) | Q(kind__in=SERIOUS_KINDS))
        .order_by("provider_id", "occurred_on")
        .values_list("provider_id", "occurred_on")
    )
    for provider_id, occurred_on in serious:
        inputs[provider_id]["serious_violation_dates"].append(occurred_on)
    banning = banning_violation_dates(month=month, provider_ids=ids)
    for provider_id in ids:
        inputs[provider_id]["banning_violation_dates"] = banning.get(provider_id, [])
    return inputs


def banning_violation_dates(*, month: date, provider_ids: Iterable[int]) -> dict[int, list[date]]:
    """Confirmed serious violations of the banning kinds (fraud against buyers, data fraud,
    counterfeits) up to the month's end, by provider: what the ban criteria read."""
    last_day = month_end(month)
    found: dict[int, list[date]] = {}
    rows = (
        violations_counting()
        .filter(
            provider_id__in=list(provider_ids),
            occurred_on__lte=last_day,
            severity=ViolationSeverity.SERIOUS,
            kind__in=BANNING_KINDS,
            confirmed=True,
        )
        .order_by("provider_id", "occurred_on")
        .values_list("provider_id", "occurred_on")
    )
    for provider_id, occurred_on in rows:
        found.setdefault(provider_id, []).append(occurred_on)
    return found


# ------------------------------------------------------------------------------
# Applications and documents, as a user may see them
# ------------------------------------------------------------------------------


def _staff_may_view(user, model_name: str) -> bool:
    return user.is_active and user.is_staff and user.has_perm(f"providers.view_{model_name}")


def applications_for_user(*, user) -> QuerySet[Application]:
    """Applications a user may read: staff with the view permission see those in their scope
    (a region manager, those of their regions); anyone else sees those they filed and those of
    the provider they belong to."""
    applications = Application.objects.select_related("provider", "region")
    if not user.is_authenticated:
        return applications.none()
    if _staff_may_view(user, "application"):
        return staff_rows_visible_to(applications, user=user, region_lookups=("region",))
    own = Q(applicant=user)
    membership = membership_for_user(user)
    if membership is not None:
        own |= Q(provider_id=membership.provider_id)
    return applications.filter(own)


def application_for_user(*, user, pk: int) -> Application:
    """One application the user may read; any other is a 404, as if it did not exist."""
    return get_object_or_404(applications_for_user(user=user), pk=pk)


def document_for_user(*, user, pk: int) -> ApplicationDocument:
    """One document the user may read; any other is a 404."""
    documents = ApplicationDocument.objects.select_related("application")
    if not user.is_authenticated:
        raise Http404("No such document.")
    if _staff_may_view(user, "applicationdocument"):
        documents = staff_rows_visible_to(
            documents, user=user, region_lookups=("application__region",)
        )
    else:
        documents = documents.filter(application__in=applications_for_user(user=user))
    return get_object_or_404(documents, pk=pk)


def application_prescreen_rows(*, application: Application) -> QuerySet[PrescreenResult]:
    """The pre-screen table as it was judged: the same rows for the applicant and the reviewer."""
    return application.prescreen_results.select_related("criteria_set", "provider_type").order_by(
        "position"
    )


def applications_awaiting_review() -> QuerySet[Application]:
    """The reviewers' queue: pre-screened or under review, oldest submission first."""
    return (
        Application.objects.filter(
            status__in=(ApplicationStatus.PRESCREENED, ApplicationStatus.UNDER_REVIEW)
        )
        .select_related("region", "reviewer")
        .prefetch_related("provider_types")
        .order_by("submitted_at")
    )


# ------------------------------------------------------------------------------
# Lifecycle: decisions, appeals, deadlines
# ------------------------------------------------------------------------------


def provider_statuses_at(
    *, months: Iterable[date], provider_ids: Iterable[int] | None = None
) -> dict[date, dict[int, str]]:
    """Each provider's lifecycle status at the end of each month, from its decision records.

    The status is the `to_status` of its latest lifecycle decision by the month's end; before its
    first decision, that decision's `from_status` (an admission comes from applicant). A decision
    about an evaluated month counts from that month's end, even when it was made later. A provider
    without any lifecycle decision (entered without the services, as imported data) keeps its
    current status for every month. Two queries, whatever the number of months or providers.
    """
    ends = {
        month_start(month): timezone.make_aware(
            datetime.combine(add_months(month_start(month), 1), datetime.min.time())
        )
        for month in months
    }
    providers = Provider.objects.all()
    records = DecisionRecord.objects.filter(
        provider__isnull=False, to_status__in=LifecycleStatus.values
    )
    if provider_ids is not None:
        ids = list(provider_ids)
        providers = providers.filter(pk__in=ids)
        records = records.filter(provider_id__in=ids)
    current = dict(providers.values_list("pk", "status"))
    # A decision about an evaluated month (an exit run for September, made in October) is the
    # status at that month's end: it was decided on that month's figures. An upheld appeal undoes
    # the decision it overturns from the moment that decision took effect.
    rows = list(
        records.values_list(
            "id",
            "provider_id",
            "decided_at",
            "month",
            "from_status",
            "to_status",
            "action",
            "related_decision_id",
        )
    )
    effective_at: dict[int, datetime] = {}
    for record_id, _provider_id, decided_at, month, *_rest in rows:
        when = decided_at
        if month is not None:
            ends_at = timezone.make_aware(
                datetime.combine(add_months(month_start(month), 1), datetime.min.time())
            ) - timedelta(microseconds=1)
            when = min(decided_at, ends_at)
        effective_at[record_id] = when
    effective: list[tuple[datetime, int, int, str, str]] = []
    for record_id, provider_id, _decided_at, _month, source, status, action, related_id in rows:
        when = effective_at[record_id]
        if action == DecisionAction.APPEAL_UPHELD and related_id in effective_at:
            when = effective_at[related_id]
        effective.append((when, record_id, provider_id, source, status))
    times: dict[int, list[datetime]] = {}
    steps: dict[int, list[str]] = {}
    before_first: dict[int, str] = {}
    for when, _record_id, provider_id, source, status in sorted(effective):
        before_first.setdefault(provider_id, source)
        times.setdefault(provider_id, []).append(when)
        steps.setdefault(provider_id, []).append(status)
    result: dict[date, dict[int, str]] = {}
    for month, end in ends.items():
        statuses: dict[int, str] = {}
        for provider_id, status in current.items():
            if provider_id not in times:
                statuses[provider_id] = status
                continue
            taken = bisect_left(times[provider_id], end)
            statuses[provider_id] = (
                steps[provider_id][taken - 1] if taken else before_first[provider_id]
            )
        result[month] = statuses
    return result


def provider_decisions(*, provider: Provider) -> QuerySet[DecisionRecord]:
    """A provider's record, newest first: every transition, appeal and outcome with its reason."""
    return (
        DecisionRecord.objects.filter(provider=provider)
        .select_related("appeal", "related_decision", "application")
        .order_by("-decided_at", "-id")
    )


def application_decisions(*, application: Application) -> QuerySet[DecisionRecord]:
    return DecisionRecord.objects.filter(application=application).order_by("decided_at", "id")


@dataclass(frozen=True)
class AppealWindow:
    decision: DecisionRecord
    deadline: datetime


def appeal_windows_open(*, provider: Provider, now: datetime | None = None) -> list[AppealWindow]:
    """Decisions the provider may still appeal: in force, within seven days, not yet appealed."""
    now = now or timezone.now()
    decisions = DecisionRecord.objects.filter(
        provider=provider,
        action__in=APPEALABLE_ACTIONS,
        to_status=provider.status,
        decided_at__gte=appealable_since(now),
        appeal_against__isnull=True,
    ).order_by("-decided_at")
    latest_change = (
        DecisionRecord.objects.filter(provider=provider)
        .exclude(from_status=F("to_status"))
        .order_by("-decided_at", "-id")
        .first()
    )
    # Only the decision that put the provider where it is can be appealed.
    return [
        AppealWindow(decision=decision, deadline=appeal_deadline(decision.decided_at))
        for decision in decisions
        if latest_change is not None and decision.pk == latest_change.pk
    ]


def appeals_pending() -> QuerySet[Appeal]:
    return (
        Appeal.objects.filter(status=AppealStatus.PENDING)
        .select_related("provider", "decision")
        .order_by("filed_at")
    )


def violations_cited(*, decision: DecisionRecord) -> QuerySet[Violation]:
    """The provider's serious violations a decision's failed criteria named (by date), which an
    upheld appeal would normally revoke."""
    dates = set()
    for row in decision.criteria_results:
        if row.get("input_name") == "serious_violation_dates" and not row.get("passed", True):
            dates.update(date.fromisoformat(day) for day in row.get("observed") or [])
    return (
        violations_counting()
        .filter(provider_id=decision.provider_id, occurred_on__in=dates)
        .filter(Q(severity=ViolationSeverity.SERIOUS) | Q(kind__in=SERIOUS_KINDS))
    )


@dataclass(frozen=True)
class LifecycleSummary:
    """What a provider (and staff) read about where it stands in the program.

    The criteria, the latest evaluation and the recent decisions are read when first asked for:
    the portal's home, on every visit, shows none of them for a provider in good standing."""

    provider: Provider
    status: str
    status_label: str
    probation_ends_on: date | None
    rectification_due_on: date | None
    appeal_windows: tuple[AppealWindow, ...]
    rectification_plans: tuple[RectificationPlan, ...]
    provider_type_ids: tuple[int, ...]

    @cached_property
    def probation_goals(self) -> tuple[CriterionSpec, ...]:
        return tuple(
            criteria_specs_published(
                kind=CriteriaKind.PROBATION, provider_type_ids=self.provider_type_ids
            )
        )

    @cached_property
    def exit_criteria(self) -> tuple[CriterionSpec, ...]:
        return tuple(
            criteria_specs_published(
                kind=CriteriaKind.EXIT, provider_type_ids=self.provider_type_ids
            )
        )

    @cached_property
    def latest_evaluation(self) -> ExitEvaluation | None:
        return self.provider.exit_evaluations.order_by("-month").first()

    @cached_property
    def recent_decisions(self) -> tuple[DecisionRecord, ...]:
        return tuple(provider_decisions(provider=self.provider)[:20])


def provider_lifecycle(*, provider: Provider, now: datetime | None = None) -> LifecycleSummary:
    plans: tuple[RectificationPlan, ...] = ()
    if provider.status == LifecycleStatus.RECTIFICATION:
        plans = tuple(provider.rectification_plans.order_by("-submitted_at"))
    return LifecycleSummary(
        provider=provider,
        status=provider.status,
        status_label=provider.get_status_display(),
        probation_ends_on=provider.probation_ends_on
        if provider.status == LifecycleStatus.PROBATION
        else None,
        rectification_due_on=provider.rectification_due_on,
        appeal_windows=tuple(appeal_windows_open(provider=provider, now=now)),
        rectification_plans=plans,
        provider_type_ids=tuple(provider.provider_types.values_list("pk", flat=True)),
    )


# ------------------------------------------------------------------------------
# Criteria inputs: one assembler and one judging rule for every evaluation and its previews
# ------------------------------------------------------------------------------
@dataclass(frozen=True)
class CriteriaJudging:
    """How an evaluation judges its criteria: the rule for a missing figure and the date."""

    missing: Missing
    as_of: date


def criteria_judging(*, kind: str, month: date | None = None, today: date | None = None):
    """The judging rule of an evaluation of kind, which its previews apply too.

    Exit (the monthly run): a missing figure is skipped, judged at the month's last day.
    Probation (the deadline check): a missing figure fails, judged on the day it is checked.
    """
    if kind == CriteriaKind.PROBATION:
        return CriteriaJudging(Missing.FAIL, today or timezone.localdate())
    return CriteriaJudging(Missing.SKIP, month_end(month))


def criteria_inputs(
    *, kind: str, month: date, provider_ids: Iterable[int]
) -> dict[int, dict[str, object]]:
    """The snapshot an evaluation of kind judges for month, per provider: scoring's inputs
    (scoring.selectors.criteria_inputs) and the violation register's. Set-based; every provider
    asked for is in the result. Every kind reads the same inputs today; kind is asked for so
    that a kind needing other figures changes here, for its run and its previews alike."""
    from scoring.selectors import criteria_inputs as scoring_criteria_inputs

    ids = sorted(set(provider_ids))
    scoring = scoring_criteria_inputs(month=month, provider_ids=ids)
    violations = violation_inputs(month=month, provider_ids=ids)
    return {pid: {**scoring.get(pid, {}), **violations.get(pid, {})} for pid in ids}


def probation_snapshot(
    *, provider: Provider, today: date
) -> tuple[ExitEvaluation, dict[str, object]] | None:
    """What a probation end is judged on: the latest exit evaluation since probation began and
    its snapshot, with violations as of today's month; None while no such evaluation exists."""
    started = provider.joined_on or provider.probation_ends_on
    if started is None:
        return None
    evaluation = (
        ExitEvaluation.objects.filter(provider=provider, month__gte=month_start(started))
        .order_by("-month")
        .first()
    )
    if evaluation is None:
        return None
    return evaluation, {
        **evaluation.snapshot,
        **violation_inputs(month=month_start(today), provider_ids=[provider.pk])[provider.pk],
    }


# ------------------------------------------------------------------------------
# Admission checks: merchants named by an application, banned linked parties
# ------------------------------------------------------------------------------


def application_case_merchants(*, application: Application) -> dict[int, int]:
    """The platform merchant each case of the application names, by case id: a case's merchant
    name (surrounding spaces ignored) matches a merchant's name, or its code in any case. Cases
    naming no merchant on the platform are left out (nothing to check them against)."""
    cases = [
        (case_id, named.strip())
        for case_id, named in application.cases.values_list("pk", "merchant_name")
    ]
    names = {named for _case_id, named in cases if named}
    if not names:
        return {}
    by_name: dict[str, int] = {}
    by_code: dict[str, int] = {}
    for pk, code, name in (
        Merchant.objects.filter(Q(name__in=names) | Q(code__in={n.upper() for n in names}))
        .order_by("pk")
        .values_list("pk", "code", "name")
    ):
        by_code.setdefault(code.upper(), pk)
        by_name.setdefault(name.strip(), pk)
    found = {}
    for case_id, named in cases:
        merchant_id = by_code.get(named.upper(), by_name.get(named))
        if merchant_id is not None:
            found[case_id] = merchant_id
    return found


def banned_linked_providers(
    *,
    legal_representative: str,
    contact_phone: str,
    contact_email: str,
    exclude_credit_code: str = "",
) -> list[tuple[Provider, str]]:
    """Banned providers sharing the legal representative, contact phone or contact email
    given, each with the field that links them (blank values link nothing)."""
    links = {
        "legal_representative": (legal_representative or "").strip(),
        "contact_phone": (contact_phone or "").strip(),
        "contact_email": (contact_email or "").strip().lower(),
    }
    condition = Q()
    for field, value in links.items():
        if value:
            lookup = "iexact" if field == "contact_email" else "exact"
            condition |= Q(**{f"{field}__{lookup}": value})
    if not condition:
        return []
    found = []
    banned = Provider.objects.filter(status=LifecycleStatus.BANNED).filter(condition)
    if exclude_credit_code:
        banned = banned.exclude(credit_code=exclude_credit_code)
    for provider in banned.order_by("code"):
        for field, value in links.items():
            stored = (getattr(provider, field) or "").strip()
            if value and (stored.lower() == value if field == "contact_email" else stored == value):
                found.append((provider, field))
                break
    return found
