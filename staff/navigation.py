"""The staff navigation: one list of places, shown on every staff page and in the admin.

Each entry is offered to the users whose role reads what it leads to (the permission the page
itself checks); the review queues carry how many cases wait in each, within the user's scope.
Pages that the staff workspace does not have yet lead to their admin list.
"""

from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from providers.access import provider_scope
from staff.queue_cache import queue_counts_cached
from staff.selectors.queues import QueueCounts


@dataclass(frozen=True)
class NavEntry:
    key: str
    label: str
    url: str
    count: int | None = None
    # Of count, the cases past their review target (applications, appeals).
    overdue: int = 0


@dataclass(frozen=True)
class _Place:
    key: str
    label: str
    url_name: str
    permission: str | None
    url_args: tuple = ()
    count_of: str | None = None


PLACES = (
    _Place("dashboard", _("项目看板"), "staff:dashboard", None),
    _Place("providers", _("服务商"), "staff:providers", "providers.view_provider"),
    _Place(
        "queue-applications",
        _("入驻申请"),
        "staff:queue",
        "providers.view_application",
        ("applications",),
        "applications",
    ),
    _Place(
        "queue-warnings",
        _("预警与整改"),
        "staff:queue",
        "providers.view_provider",
        ("warnings",),
        "warnings",
    ),
    _Place(
        "queue-appeals", _("申诉"), "staff:queue", "providers.view_appeal", ("appeals",), "appeals"
    ),
    _Place(
        "queue-demotions",
        _("待确认降级"),
        "staff:queue",
        "funding.view_pendingdemotion",
        ("demotions",),
        "demotions",
    ),
    _Place("risk", _("风险信号"), "risk-staff:queue", None),
    _Place("steps", _("经营阶段"), "staff:steps", None),
    _Place("investments", _("生态基金"), "staff:investments", "investments.view_deal"),
    _Place("evaluations", _("评估任务"), "staff:evaluations", "evaluations.view_evaluationrun"),
    _Place("allocation", _("资金分配"), "staff:allocations", "funding.view_proposal"),
    _Place("uplift", _("增量效果"), "staff:uplift", "uplift.view_upliftstudy"),
    _Place(
        "ledger", _("资金台账"), "admin:funding_ledgerentry_changelist", "funding.view_ledgerentry"
    ),
    _Place("admin", _("管理后台"), "admin:index", None),
)


def staff_navigation(*, user, with_counts: bool = True) -> tuple[NavEntry, ...]:
    """The entries `user` may open, in the order staff work through them."""
    places = [p for p in PLACES if p.permission is None or user.has_perm(p.permission)]
    counts: QueueCounts | None = None
    if with_counts and any(place.count_of for place in places):
        counts = queue_counts_cached(scope=provider_scope(user))
    return tuple(
        NavEntry(
            key=place.key,
            label=str(place.label),
            url=reverse(place.url_name, args=place.url_args),
            count=getattr(counts, place.count_of) if counts and place.count_of else None,
            overdue=getattr(counts, f"{place.count_of}_overdue", 0)
            if counts and place.count_of
            else 0,
        )
        for place in places
    )
