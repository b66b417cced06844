"""Recording violations (违规), by staff or pushed by an external inspection system."""

from datetime import date

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from providers.models import Provider, Violation, ViolationKind, ViolationSeverity, ViolationSource

POINTS_RANGE = _("扣分应为 0–100 的整数。")
UNKNOWN_CHOICE = _("不是可选的值：{value}")


def violation_record(
    *,
    provider: Provider,
    kind: str,
    severity: str,
    points: int,
    occurred_on: date,
    source: str,
    evidence: str = "",
    confirmed: bool = False,
    by=None,
) -> Violation:
    """Records a violation; its points count toward the exit criteria from the next exit run.

    confirmed: established by an investigation (a confirmed serious fraud bans, see
    providers.models.BANNING_KINDS)."""
    errors = {}
    for name, value, choices in (
        ("kind", kind, ViolationKind),
        ("severity", severity, ViolationSeverity),
        ("source", source, ViolationSource),
    ):
        if value not in choices.values:
            errors[name] = str(UNKNOWN_CHOICE).format(value=value)
    if not isinstance(points, int) or isinstance(points, bool) or not 0 <= points <= 100:
        errors["points"] = str(POINTS_RANGE)
    if errors:
        raise ValidationError(errors)
    violation = Violation(
        provider=provider,
        kind=kind,
        severity=severity,
        points=points,
        occurred_on=occurred_on,
        source=source,
        evidence=evidence,
        confirmed=confirmed,
        recorded_by=by if by is not None and by.is_authenticated else None,
    )
    violation.full_clean()
    violation.save()
    return violation
