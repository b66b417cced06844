"""Conflict of interest with the ecosystem fund's portfolio.

A staff user in the investment role (投资) may not approve allocations or lifecycle decisions for
a provider the fund has agreed to invest in or holds (providers.PortfolioCompany). Both facts live
in this app, so funding and providers check them without importing the investments app.
"""

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from providers.models import PortfolioCompany, Provider
from providers.roles import GROUP_NAMES, Role, user_roles

MESSAGE_CONFLICT = _(
    "利益冲突：%(providers)s 是生态基金的被投服务商，投资岗位人员不能审批其分配或生命周期决定。"
)


def portfolio_provider_ids(provider_ids: Iterable[int] | None = None) -> set[int]:
    """The ids of portfolio providers (among provider_ids, when given), in one query."""
    rows = PortfolioCompany.objects.all()
    if provider_ids is not None:
        rows = rows.filter(provider_id__in=set(provider_ids))
    return set(rows.values_list("provider_id", flat=True))


def in_investment_role(user) -> bool:
    """Whether user is in the 投资 group. A superuser holds every role for permissions
    (user_roles), so their roles say nothing here: only the group itself does. A superuser who is
    in it works on the fund's deals and is as conflicted as anyone there."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser:
        if not user.is_active:
            return False
        return user.groups.filter(name=GROUP_NAMES[Role.INVESTMENT]).exists()
    return Role.INVESTMENT in user_roles(user)


def conflicted_provider_ids(user, provider_ids: Iterable[int]) -> set[int]:
    """The providers among provider_ids that user may not decide for."""
    if not in_investment_role(user):
        return set()
    return portfolio_provider_ids(provider_ids)


def conflict_refuse(*, user, provider_ids: Iterable[int], field: str = "provider") -> None:
    """Refuses, naming the providers, a decision by user touching any conflicted provider."""
    conflicted = conflicted_provider_ids(user, provider_ids)
    if not conflicted:
        return
    names = "、".join(
        str(provider) for provider in Provider.objects.filter(pk__in=conflicted).order_by("code")
    )
    raise ValidationError({field: MESSAGE_CONFLICT % {"providers": names}}, code="conflict")
