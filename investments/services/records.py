"""What every deal move shares: the permission check, the decision record, the portfolio fact."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from investments.models import PORTFOLIO, Deal, DealDecision
from providers.models import PortfolioCompany

REASON_REQUIRED = _("请填写理由。")
NOT_ALLOWED = _("没有权限执行该投资操作。")

DECIDE_DEAL = "investments.change_deal"


def require_permission(by, permission: str = DECIDE_DEAL) -> None:
    if by is None or not by.is_authenticated or not by.has_perm(permission):
        raise PermissionDenied(str(NOT_ALLOWED))


def require_reason(reason: str) -> str:
    reason = str(reason or "").strip()
    if not reason:
        raise ValidationError({"reason": REASON_REQUIRED})
    return reason


def deal_decision_record(
    *, deal: Deal, action: str, from_stage: str, reason: str, by, figures: dict | None = None
) -> DealDecision:
    """Appends the record of one move; the caller holds the transaction that makes it."""
    return DealDecision.objects.create(
        deal=deal,
        action=action,
        from_stage=from_stage,
        to_stage=deal.stage,
        decided_at=timezone.now(),
        decided_by=by if by is not None and by.is_authenticated else None,
        decided_by_name=by.get_username() if by is not None and by.is_authenticated else "",
        reason=reason,
        figures=figures or {},
    )


def deal_stage_move(
    *,
    deal: Deal,
    to_stage: str,
    action: str,
    reason: str,
    by,
    figures: dict | None = None,
    also_saved: tuple[str, ...] = (),
) -> DealDecision:
    """Moves the locked deal to a stage and appends the decision record of the move, in the
    caller's transaction; `also_saved` names the deal's other fields the move changed."""
    source = deal.stage
    deal.stage = to_stage
    deal.stage_changed_at = timezone.now()
    deal.save(update_fields=["stage", "stage_changed_at", *also_saved])
    return deal_decision_record(
        deal=deal, action=action, from_stage=source, reason=reason, by=by, figures=figures
    )


def portfolio_sync(*, deal: Deal) -> None:
    """Keeps providers.PortfolioCompany true to the provider's deals: a provider is in the
    portfolio while any of its deals is at term sheet, closing or invested."""
    held = Deal.objects.filter(provider_id=deal.provider_id, stage__in=PORTFOLIO).exists()
    if held:
        PortfolioCompany.objects.get_or_create(
            provider_id=deal.provider_id,
            defaults={"since": timezone.now(), "note": str(deal.fund)},
        )
    else:
        PortfolioCompany.objects.filter(provider_id=deal.provider_id).delete()
