"""Applications (入驻申请): drafting, submission with pre-screen, review and decision."""

from collections.abc import Callable, Mapping
from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _

from notifications.services import notification_send
from providers.criteria import (
    DECLARED_FACTS,
    CriteriaVerdict,
    InputKind,
    Missing,
    json_value,
    whole_months_between,
)
from providers.criteria_types import ServedGmvCheck, served_gmv_check, verdicts_by_type
from providers.errors import (
    MESSAGE_ALREADY_DECIDED,
    MESSAGE_TRANSITION_REFUSED,
    AlreadyDecided,
    TransitionRefused,
)
from providers.lifecycle import REAPPLY_COOL_DOWN_DAYS
from providers.models import (
    DECIDED,
    IN_PROGRAM,
    REQUIRED_DOCUMENT_KINDS,
    Application,
    ApplicationCase,
    ApplicationStatus,
    CriteriaKind,
    DecisionAction,
    LifecycleStatus,
    Membership,
    MembershipRole,
    PrescreenResult,
    Provider,
    ProviderType,
)
from providers.selectors import (
    application_case_merchants,
    banned_linked_providers,
    criteria_specs_published,
    violation_inputs,
)
from providers.services.lifecycle import decision_record, provider_lock, transition_apply
from zaofeng.periods import month_start

APPLICATION_LINK = "/portal/"

# Fields an applicant (or staff on its behalf) fills in; the rest belongs to the workflow.
APPLICATION_FIELDS = (
    "company_name",
    "legal_name",
    "credit_code",
    "region",
    "registered_on",
    "registered_capital_fen",
    "team_size",
    "served_gmv_12m_fen",
    "introduction",
    "legal_representative",
    "contact_name",
    "contact_phone",
    "contact_email",
)

MESSAGE_TYPES_REQUIRED = _("请至少选择一种服务商类型。")
MESSAGE_NOT_DRAFT = _("申请已提交，不能再修改。")
MESSAGE_BANNED = _("该企业已被封禁，不能再次申请入驻。")
MESSAGE_BANNED_LINKED = _(
    "不能申请：已被封禁的服务商 %(provider)s 与本申请的%(link)s相同（%(value)s），"
    "关联方不得申请入驻。如有异议请联系项目组。"
)
MESSAGE_DECLARED_FACT = _("“%(label)s”须为不小于 0 的%(kind)s。")
LINK_LABELS = {
    "legal_representative": _("法定代表人"),
    "contact_phone": _("联系电话"),
    "contact_email": _("联系邮箱"),
}
MESSAGE_IN_PROGRAM = _("该企业已是造风者计划服务商（%(status)s），无需重复申请。")
MESSAGE_OPEN_APPLICATION = _("该企业已有一份正在处理的申请（%(number)s），请等待其结果。")
MESSAGE_COOL_DOWN = _(
    "该企业的申请于 %(decided)s 被驳回，须等待 %(days)s 天冷静期，最早可于 %(earliest)s 再次提交。"
)
MESSAGE_EXIT_COOL_DOWN = _(
    "该企业于 %(decided)s 被清退，须等待 %(days)s 天，最早可于 %(earliest)s 再次申请。"
)
MESSAGE_NO_CRITERIA = _("所选服务商类型尚无已发布的准入标准，暂不能提交，请联系项目组。")
MESSAGE_REJECT_REASON = _("驳回申请时必须写明理由，申请人会看到这段文字。")
MESSAGE_DRAFT_EXISTS = _(
    "您已有一份该企业的申请草稿（%(number)s），请继续填写那一份，不必重新开始。"
)
MESSAGE_CASE_EXISTS = _("“%(merchant)s”已在本申请的服务案例中，未重复添加。")
MESSAGE_NOT_UNDER_REVIEW = _("申请须先进入审核中，才能作出决定")
# PostgreSQL names the constraint; SQLite names the column.
IN_PROGRESS_CONSTRAINT = (
    "application_one_in_progress_per_company",
    "providers_application.credit_code",
)


# Reads the platform's net GMV of the merchants an application names (merchant id → fen over the
# last twelve months). scoring registers it when the apps load (scoring.apps); providers never
# imports scoring. Without one, the served-GMV check reads "not checked".
_platform_gmv_source: Callable[..., Mapping[int, int]] | None = None


def platform_gmv_source_register(source: Callable[..., Mapping[int, int]] | None) -> None:
    """Sets the reader of platform GMV facts for the pre-screen: source(application=…)."""
    global _platform_gmv_source
    _platform_gmv_source = source


def _refused(application: Application, target: str, why) -> TransitionRefused:
    return TransitionRefused(
        MESSAGE_TRANSITION_REFUSED
        % {
            "source": application.get_status_display(),
            "target": ApplicationStatus(target).label,
            "why": why,
        },
        code="transition_refused",
    )


def _lock(application: Application) -> Application:
    return Application.objects.select_for_update().get(pk=application.pk)


def _fields_apply(application: Application, data: Mapping[str, object]) -> None:
    for name in APPLICATION_FIELDS:
        if name in data:
            setattr(application, name, data[name])
    if application.credit_code:
        application.credit_code = application.credit_code.strip().upper()
    facts = dict(application.declared_facts or {})
    facts.update(data.get("declared_facts") or {})
    facts.update({name: data[name] for name in DECLARED_FACTS if name in data})
    application.declared_facts = declared_facts_clean(facts)


def declared_facts_clean(facts: Mapping[str, object]) -> dict[str, object]:
    """The declared business facts, typed and JSON-safe; an empty value is dropped, an unknown
    name or an unreadable value is refused naming the field."""
    from providers.criteria import _decimal

    clean: dict[str, object] = {}
    for name, raw in facts.items():
        if raw is None or raw == "":
            continue
        spec = DECLARED_FACTS.get(name)
        if spec is None:
            raise ValidationError(
                {"declared_facts": _("未知的申报项“%(name)s”。") % {"name": name}}
            )
        whole = spec.kind in (InputKind.INT, InputKind.MONEY)
        try:
            number = _decimal(raw)
            if number < 0 or (whole and number != number.to_integral_value()):
                raise ValueError(name)
        except ValueError:
            raise ValidationError(
                {
                    name: MESSAGE_DECLARED_FACT
                    % {"label": spec.label, "kind": _("整数") if whole else _("数值")}
                }
            ) from None
        clean[name] = int(number) if whole else json_value(number)
    return clean


def _relations_apply(application: Application, data: Mapping[str, object]) -> None:
    if "provider_types" in data:
        types = list(data["provider_types"] or [])
        if not types:
            raise ValidationError({"provider_types": MESSAGE_TYPES_REQUIRED})
        application.provider_types.set(types)
    if "regions_served" in data:
        application.regions_served.set(list(data["regions_served"] or []))


def application_create(
    *, by, data: Mapping[str, object], applicant=None, provider: Provider | None = None
) -> Application:
    """Creates a draft application; staff may enter one on a provider's behalf (applicant None).

    `data` holds the APPLICATION_FIELDS plus `provider_types` (required) and `regions_served`.
    """
    application = Application(applicant=applicant, provider=provider, created_by=by)
    _fields_apply(application, data)
    application.full_clean()
    if not list(data.get("provider_types") or []):
        raise ValidationError({"provider_types": MESSAGE_TYPES_REQUIRED})
    with transaction.atomic():
        application_eligibility_check(
            credit_code=application.credit_code, today=timezone.localdate()
        )
        application_linked_ban_check(application=application)
        if applicant is not None:
            _draft_exists_check(applicant=applicant, credit_code=application.credit_code)
        application.save()
        _relations_apply(application, data)
    return application


def _draft_exists_check(*, applicant, credit_code: str) -> None:
    """Refuses a second draft of the same company by the same applicant (a double submit of the
    wizard's first step). The applicant's user row is locked first, so two submits at the same
    moment are decided one after the other and the second sees the first's draft."""
    get_user_model().objects.select_for_update().filter(pk=applicant.pk).first()
    existing = (
        Application.objects.filter(
            applicant=applicant, credit_code=credit_code, status=ApplicationStatus.DRAFT
        )
        .order_by("-pk")
        .first()
    )
    if existing is not None:
        raise ValidationError(MESSAGE_DRAFT_EXISTS % {"number": existing.number})


def application_update(*, application: Application, by, data: Mapping[str, object]) -> Application:
    """Changes a draft; a submitted application no longer changes."""
    with transaction.atomic():
        locked = _lock(application)
        if locked.status != ApplicationStatus.DRAFT:
            raise ValidationError(MESSAGE_NOT_DRAFT)
        _fields_apply(locked, data)
        locked.full_clean()
        locked.save()
        _relations_apply(locked, data)
    application.refresh_from_db()
    return application


def application_case_add(
    *,
    application: Application,
    merchant_name: str,
    category: str,
    result: str,
    served_gmv_fen: int | None = None,
) -> ApplicationCase:
    """Adds a served merchant (case) to a draft.

    The application's row is locked and its status read again, so a case never slips into an
    application submitted meanwhile (a page loaded before the submission holds a stale copy).
    """
    with transaction.atomic():
        locked = _lock(application)
        if locked.status != ApplicationStatus.DRAFT:
            raise ValidationError(MESSAGE_NOT_DRAFT)
        # Under the application's lock: a double submit of the same case adds it once.
        if locked.cases.filter(merchant_name=merchant_name.strip()).exists():
            raise ValidationError(
                {"merchant_name": MESSAGE_CASE_EXISTS % {"merchant": merchant_name.strip()}}
            )
        case = ApplicationCase(
            application=locked,
            merchant_name=merchant_name,
            category=category,
            result=result,
            served_gmv_fen=served_gmv_fen,
        )
        case.full_clean()
        case.save()
    return case


def application_case_remove(*, case: ApplicationCase, by=None) -> None:
    """Removes a case from a draft (locked and re-read, as application_case_add)."""
    with transaction.atomic():
        locked = Application.objects.select_for_update().get(pk=case.application_id)
        if locked.status != ApplicationStatus.DRAFT:
            raise ValidationError(MESSAGE_NOT_DRAFT)
        case.delete()


def application_eligibility_check(
    *, credit_code: str, today: date, exclude: Application | None = None
) -> None:
    """Refuses an application from a banned company, one already in the program, one with an
    application in progress, or one still in its cool-down after a rejection or an exit."""
    provider = Provider.objects.filter(credit_code=credit_code).first()
    if provider is not None:
        if provider.status == LifecycleStatus.BANNED:
            raise ValidationError({"credit_code": MESSAGE_BANNED})
        if provider.status in IN_PROGRAM:
            raise ValidationError(
                {"credit_code": MESSAGE_IN_PROGRAM % {"status": provider.get_status_display()}}
            )
        if provider.status == LifecycleStatus.EXITED and provider.status_changed_at:
            exited_on = timezone.localtime(provider.status_changed_at).date()
            earliest = exited_on + timedelta(days=REAPPLY_COOL_DOWN_DAYS)
            if today < earliest:
                raise ValidationError(
                    {
                        "credit_code": MESSAGE_EXIT_COOL_DOWN
                        % {
                            "decided": exited_on,
                            "days": REAPPLY_COOL_DOWN_DAYS,
                            "earliest": earliest,
                        }
                    }
                )
    others = Application.objects.filter(credit_code=credit_code)
    if exclude is not None:
        others = others.exclude(pk=exclude.pk)
    in_progress = others.filter(
        status__in=(
            ApplicationStatus.SUBMITTED,
            ApplicationStatus.PRESCREENED,
            ApplicationStatus.UNDER_REVIEW,
        )
    ).first()
    if in_progress is not None:
        raise ValidationError(
            {"credit_code": MESSAGE_OPEN_APPLICATION % {"number": in_progress.number}}
        )
    rejected = (
        others.filter(status=ApplicationStatus.REJECTED, decided_at__isnull=False)
        .order_by("-decided_at")
        .first()
    )
    if rejected is not None:
        decided_on = timezone.localtime(rejected.decided_at).date()
        earliest = decided_on + timedelta(days=REAPPLY_COOL_DOWN_DAYS)
        if today < earliest:
            raise ValidationError(
                {
                    "credit_code": MESSAGE_COOL_DOWN
                    % {"decided": decided_on, "days": REAPPLY_COOL_DOWN_DAYS, "earliest": earliest}
                }
            )


def application_linked_ban_check(*, application: Application) -> None:
    """Refuses an application linked to a banned provider: the same legal representative,
    contact phone or contact email. The message names the banned provider and the link."""
    found = banned_linked_providers(
        legal_representative=application.legal_representative,
        contact_phone=application.contact_phone,
        contact_email=application.contact_email,
        exclude_credit_code=application.credit_code,
    )
    if found:
        provider, field = found[0]
        raise ValidationError(
            {
                field: MESSAGE_BANNED_LINKED
                % {
                    "provider": f"{provider.code} {provider.name}",
                    "link": LINK_LABELS[field],
                    "value": getattr(application, field),
                }
            }
        )


def application_served_gmv_check(
    *, application: Application, platform_gmv: Mapping[int, int] | None
) -> ServedGmvCheck | None:
    """The declared served GMV of the application's cases against the platform's net GMV of the
    merchants they name (platform_gmv: merchant id → net fen over the twelve months, assembled
    by the caller from scoring). None when the caller had no platform facts to give."""
    if platform_gmv is None:
        return None
    merchants = application_case_merchants(application=application)
    return served_gmv_check(
        (case.served_gmv_fen, int(platform_gmv.get(merchants[case.pk], 0)))
        for case in application.cases.all()
        if case.pk in merchants
    )


def application_snapshot(
    *, application: Application, as_of: date, gmv_check: ServedGmvCheck | None = None
) -> dict[str, object]:
    """The application's criterion inputs on a day: what the pre-screen judges."""
    kinds = set(application.documents.values_list("kind", flat=True))
    provider = (
        application.provider or Provider.objects.filter(credit_code=application.credit_code).first()
    )
    serious: list[date] = []
    if provider is not None:
        serious = violation_inputs(month=month_start(as_of), provider_ids=[provider.pk])[
            provider.pk
        ]["serious_violation_dates"]
    return {
        "company_age_months": whole_months_between(application.registered_on, as_of),
        "registered_capital_fen": application.registered_capital_fen,
        "team_size": application.team_size,
        "served_gmv_12m_fen": application.served_gmv_12m_fen,
        "provider_types": sorted(application.provider_types.values_list("code", flat=True)),
        "documents_complete": all(kind in kinds for kind in REQUIRED_DOCUMENT_KINDS),
        "serious_violation_dates": serious,
        **(application.declared_facts or {}),
        "served_gmv_unverified_share": None if gmv_check is None else gmv_check.unverified_share,
    }


def _gmv_figure(result, gmv_check: ServedGmvCheck | None, field: str) -> int | None:
    """The served-GMV row carries the declared and verified amounts behind its share."""
    if result.spec.input_name != "served_gmv_unverified_share" or gmv_check is None:
        return None
    if not gmv_check.merchants_checked:
        return None
    return getattr(gmv_check, field)


def _prescreen_text(verdict: CriteriaVerdict) -> str:
    if verdict.passed:
        return _g("预审通过：全部硬性条件满足。")
    names = dict(
        ProviderType.objects.filter(
            pk__in={result.spec.provider_type_id for result in verdict.hard_failures}
        ).values_list("pk", "name")
    )
    return _g("预审未通过：%(count)s 项硬性条件未满足：%(failures)s") % {
        "count": len(verdict.hard_failures),
        "failures": "；".join(
            f"［{names[result.spec.provider_type_id]}］{result.reason}"
            if result.spec.provider_type_id in names
            else result.reason
            for result in verdict.hard_failures
        ),
    }


def application_submit(
    *, application: Application, by, platform_gmv: Mapping[int, int] | None = None
) -> Application:
    """Submits a draft and runs the pre-screen at once.

    The application is judged under the published admission criteria of every type it applies
    for, each type on its own set: every row (its type, observed value, threshold, pass or fail)
    is stored with the version, and the applicant and the reviewer read the same table. It
    passes only when every type's hard criteria pass. A failed pre-screen does not end the
    application: the reviewer decides, with the table in front of them.

    platform_gmv (merchant id → the platform's net GMV of the last twelve months, in fen) lets
    the pre-screen check the declared served GMV of the named merchants. By default it is read
    through the registered source (scoring.platform_facts, registered by scoring.apps), since
    providers never reads scoring; a caller may hand it in instead.
    """
    try:
        _application_submit(application=application, by=by, platform_gmv=platform_gmv)
    except IntegrityError as exc:
        # Another application of the company was submitted at the same moment: the partial
        # unique index refused this one after the other committed.
        if not any(name in str(exc) for name in IN_PROGRESS_CONSTRAINT):
            raise
        application_eligibility_check(
            credit_code=application.credit_code, today=timezone.localdate(), exclude=application
        )
        raise
    application.refresh_from_db()
    return application


def _application_submit(
    *, application: Application, by, platform_gmv: Mapping[int, int] | None
) -> None:
    today = timezone.localdate()
    with transaction.atomic():
        locked = _lock(application)
        if locked.status != ApplicationStatus.DRAFT:
            raise _refused(locked, ApplicationStatus.SUBMITTED, MESSAGE_NOT_DRAFT)
        locked.full_clean()
        type_ids = list(locked.provider_types.values_list("pk", flat=True))
        if not type_ids:
            raise ValidationError({"provider_types": MESSAGE_TYPES_REQUIRED})
        application_eligibility_check(credit_code=locked.credit_code, today=today, exclude=locked)
        application_linked_ban_check(application=locked)
        specs = criteria_specs_published(kind=CriteriaKind.ADMISSION, provider_type_ids=type_ids)
        if not specs:
            raise ValidationError({"provider_types": MESSAGE_NO_CRITERIA})

        if locked.provider_id is None:
            locked.provider = Provider.objects.filter(credit_code=locked.credit_code).first()
        locked.submit()
        locked.submitted_at = timezone.now()
        locked.save(update_fields=["status", "submitted_at", "provider", "updated_at"])
        decision_record(
            application=locked,
            provider=locked.provider,
            action=DecisionAction.APPLICATION_SUBMITTED,
            from_status=ApplicationStatus.DRAFT,
            to_status=ApplicationStatus.SUBMITTED,
            reason=_g("申请人提交入驻申请。"),
            by=by,
        )

        if platform_gmv is None and _platform_gmv_source is not None:
            platform_gmv = _platform_gmv_source(application=locked)
        gmv_check = application_served_gmv_check(application=locked, platform_gmv=platform_gmv)
        by_type = verdicts_by_type(
            specs,
            application_snapshot(application=locked, as_of=today, gmv_check=gmv_check),
            as_of=today,
            missing=Missing.FAIL,
        )
        verdict = CriteriaVerdict(
            results=tuple(result for found in by_type.values() for result in found.results)
        )
        PrescreenResult.objects.bulk_create(
            PrescreenResult(
                application=locked,
                criteria_set_id=result.spec.criteria_set_id,
                criterion_id=result.spec.criterion_id,
                provider_type_id=result.spec.provider_type_id,
                declared_fen=_gmv_figure(result, gmv_check, "declared_fen"),
                verified_fen=_gmv_figure(result, gmv_check, "verified_fen"),
                position=position,
                input_name=result.spec.input_name,
                operator=result.spec.operator,
                level=result.spec.level,
                weight=result.spec.weight,
                threshold=result.as_record()["threshold"],
                observed=result.as_record()["observed"],
                threshold_display=result.threshold_display,
                observed_display=result.observed_display,
                passed=result.passed,
                evaluated=result.evaluated,
                reason=result.reason[:300],
                sentence=result.spec.sentence,
                sentence_en=result.spec.sentence_en,
            )
            for position, result in enumerate(verdict.results, start=1)
        )
        locked.prescreen_complete()
        locked.prescreened_at = timezone.now()
        locked.prescreen_passed = verdict.passed
        locked.prescreen_soft_score = verdict.soft_score
        locked.save(
            update_fields=[
                "status",
                "prescreened_at",
                "prescreen_passed",
                "prescreen_soft_score",
                "updated_at",
            ]
        )
        text = _prescreen_text(verdict)
        decision_record(
            application=locked,
            provider=locked.provider,
            action=DecisionAction.APPLICATION_PRESCREENED,
            from_status=ApplicationStatus.SUBMITTED,
            to_status=ApplicationStatus.PRESCREENED,
            reason=text,
            results=verdict.results,
        )
        _applicant_notify(
            locked,
            title=_g("入驻申请已提交：%(number)s") % {"number": locked.number},
            body=_g("您的入驻申请已提交并完成预审。%(result)s 审核员将在审核后通知您结果。")
            % {"result": text},
        )


def application_review_start(*, application: Application, by) -> Application:
    """A reviewer takes up a pre-screened application."""
    with transaction.atomic():
        locked = _lock(application)
        if locked.status in DECIDED:
            raise AlreadyDecided(MESSAGE_ALREADY_DECIDED % {"status": locked.get_status_display()})
        if locked.status != ApplicationStatus.PRESCREENED:
            raise _refused(locked, ApplicationStatus.UNDER_REVIEW, _("申请须先完成预审"))
        locked.review_start()
        locked.reviewer = by
        locked.review_started_at = timezone.now()
        locked.save(update_fields=["status", "reviewer", "review_started_at", "updated_at"])
        decision_record(
            application=locked,
            provider=locked.provider,
            action=DecisionAction.APPLICATION_REVIEW_STARTED,
            from_status=ApplicationStatus.PRESCREENED,
            to_status=ApplicationStatus.UNDER_REVIEW,
            reason=_g("审核员开始审核。"),
            by=by,
        )
    application.refresh_from_db()
    return application


def application_decide(
    *, application: Application, by, approved: bool, reason: str = ""
) -> Application:
    """Approves or rejects an application under review; the applicant reads the reason.

    Approval admits the provider into probation (creating it when it is new). The row is locked
    first, so when two reviewers decide at the same moment exactly one succeeds and the other
    gets AlreadyDecided.
    """
    reason = str(reason).strip()
    if not approved and not reason:
        raise ValidationError({"reason": MESSAGE_REJECT_REASON})
    with transaction.atomic():
        locked = _lock(application)
        if locked.status in DECIDED:
            raise AlreadyDecided(MESSAGE_ALREADY_DECIDED % {"status": locked.get_status_display()})
        if locked.status != ApplicationStatus.UNDER_REVIEW:
            target = ApplicationStatus.APPROVED if approved else ApplicationStatus.REJECTED
            raise _refused(locked, target, MESSAGE_NOT_UNDER_REVIEW)
        source = locked.status
        provider = None
        if approved:
            locked.approve()
            provider = _provider_admit(locked, by=by, reason=reason)
            locked.provider = provider
        else:
            locked.reject()
        locked.decided_at = timezone.now()
        locked.decided_by = by
        locked.decision_reason = reason
        locked.save(
            update_fields=[
                "status",
                "provider",
                "decided_at",
                "decided_by",
                "decision_reason",
                "updated_at",
            ]
        )
        decision_record(
            application=locked,
            provider=locked.provider,
            action=DecisionAction.APPLICATION_APPROVED
            if approved
            else DecisionAction.APPLICATION_REJECTED,
            from_status=source,
            to_status=locked.status,
            reason=reason or _g("审核通过。"),
            by=by,
        )
        if approved:
            title = _g("入驻申请已通过：%(number)s") % {"number": locked.number}
            body = _g(
                "恭喜，您的入驻申请已通过，服务商编号 %(code)s，考察期至 %(end)s。%(reason)s"
            ) % {
                "code": provider.code,
                "end": provider.probation_ends_on,
                "reason": reason,
            }
        else:
            earliest = timezone.localdate() + timedelta(days=REAPPLY_COOL_DOWN_DAYS)
            title = _g("入驻申请未通过：%(number)s") % {"number": locked.number}
            body = _g(
                "很抱歉，您的入驻申请未通过。理由：%(reason)s。您可于 %(earliest)s 之后再次申请。"
            ) % {
                "reason": reason,
                "earliest": earliest,
            }
        _applicant_notify(locked, title=title, body=body)
    application.refresh_from_db()
    return application


def _applicant_notify(application: Application, *, title: str, body: str) -> None:
    notification_send(
        provider=application.provider,
        kind="application",
        title=title,
        body=body,
        link=APPLICATION_LINK,
        users=[application.applicant] if application.applicant else [],
    )


def _provider_code_next() -> str:
    last = (
        Provider.objects.filter(code__regex=r"^SP\d{6}$")
        .order_by("-code")
        .values_list("code", flat=True)
        .first()
    )
    return f"SP{(int(last[2:]) if last else 0) + 1:06d}"


def _provider_admit(application: Application, *, by, reason: str) -> Provider:
    """Creates the provider of an approved application, or re-admits the one on record, into
    probation; the applicant becomes its owner."""
    existing = (
        application.provider or Provider.objects.filter(credit_code=application.credit_code).first()
    )
    facts = {
        "name": application.company_name,
        "legal_name": application.legal_name,
        "legal_representative": application.legal_representative,
        "region": application.region,
        "registered_on": application.registered_on,
        "registered_capital_fen": application.registered_capital_fen,
        "team_size": application.team_size,
        "contact_name": application.contact_name,
        "contact_phone": application.contact_phone,
        "contact_email": application.contact_email,
    }
    if existing is not None:
        provider = provider_lock(existing)
        for field, value in facts.items():
            setattr(provider, field, value)
        provider.save(update_fields=[*facts, "updated_at"])
    else:
        provider = _provider_create(application, facts)
    provider.provider_types.set(application.provider_types.all())
    transition_apply(
        provider=provider,
        method="admit",
        reason=_g("入驻申请 %(number)s 审核通过，进入考察期。%(reason)s")
        % {"number": application.number, "reason": reason},
        by=by,
    )
    if (
        application.applicant is not None
        and not Membership.objects.filter(user=application.applicant).exists()
    ):
        Membership.objects.create(
            user=application.applicant, provider=provider, role=MembershipRole.OWNER
        )
    return provider


def _provider_create(application: Application, facts: Mapping[str, object]) -> Provider:
    # Two approvals at once may pick the same next code; the unique index decides and the loser
    # takes the following one.
    for _attempt in range(5):
        provider = Provider(
            code=_provider_code_next(),
            credit_code=application.credit_code,
            status=LifecycleStatus.APPLICANT,
            **facts,
        )
        try:
            with transaction.atomic():
                provider.save()
        except IntegrityError:
            if Provider.objects.filter(credit_code=application.credit_code).exists():
                raise
            continue
        return provider
    raise IntegrityError("Could not allocate a provider code.")
