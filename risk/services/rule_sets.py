"""Versions of the risk rules: drafts change, published versions never do."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from risk.models import RiskRule, RiskRuleSet, RuleSetStatus
from risk.rules import DEFAULT_PARAMETERS

PUBLISHED_FROZEN = _(
    "已发布（或已停用）的规则版本不能修改：已产生的信号依据它；请复制为新版本后编辑。"
)
UNKNOWN_PARAMETER = _("规则 {rule} 没有参数 {name}。")
NOT_A_NUMBER = _("规则 {rule} 的参数 {name} 应为数字，而不是 {value}。")


def rule_set_copy(*, source: RiskRuleSet) -> RiskRuleSet:
    """A new draft holding the source version's rules."""
    with transaction.atomic():
        version = (RiskRuleSet.objects.aggregate(last=Max("version"))["last"] or 0) + 1
        draft = RiskRuleSet.objects.create(version=version, note=f"复制自 v{source.version}")
        RiskRule.objects.bulk_create(
            RiskRule(rule_set=draft, kind=r.kind, parameters=dict(r.parameters), enabled=r.enabled)
            for r in source.rules.all()
        )
    return draft


def rule_parameters_check(*, kind: str, parameters: dict) -> None:
    """Each parameter is one the rule reads, and a number."""
    from decimal import Decimal, InvalidOperation

    known = DEFAULT_PARAMETERS.get(kind, {})
    for name, value in parameters.items():
        if name not in known:
            raise ValidationError(
                {"parameters": str(UNKNOWN_PARAMETER).format(rule=kind, name=name)}
            )
        try:
            Decimal(str(value))
        except InvalidOperation as exc:
            raise ValidationError(
                {"parameters": str(NOT_A_NUMBER).format(rule=kind, name=name, value=value)}
            ) from exc


def rule_change(*, rule: RiskRule, parameters: dict, enabled: bool) -> RiskRule:
    with transaction.atomic():
        rule_set = RiskRuleSet.objects.select_for_update().get(pk=rule.rule_set_id)
        if rule_set.status != RuleSetStatus.DRAFT:
            raise ValidationError(str(PUBLISHED_FROZEN))
        rule_parameters_check(kind=rule.kind, parameters=parameters)
        rule.parameters, rule.enabled = parameters, enabled
        rule.save(update_fields=["parameters", "enabled"])
    return rule


def rule_set_publish(*, rule_set: RiskRuleSet, by) -> RiskRuleSet:
    """Publishes a draft; the version in force until now is retired."""
    with transaction.atomic():
        locked = RiskRuleSet.objects.select_for_update().get(pk=rule_set.pk)
        if locked.status != RuleSetStatus.DRAFT:
            raise ValidationError(str(PUBLISHED_FROZEN))
        for rule in locked.rules.all():
            rule_parameters_check(kind=rule.kind, parameters=rule.parameters)
        RiskRuleSet.objects.filter(status=RuleSetStatus.PUBLISHED).update(
            status=RuleSetStatus.RETIRED
        )
        locked.status, locked.published_at, locked.published_by = (
            RuleSetStatus.PUBLISHED,
            timezone.now(),
            by,
        )
        locked.save(update_fields=["status", "published_at", "published_by"])
    return locked
