"""The platform's own GMV facts that admission checks declarations against: reads.

providers judges an application on a snapshot it is handed; the callers (portal, staff, API,
demo) assemble this part of it, since providers never reads scoring.
"""

from django.db.models import Sum
from django.utils import timezone

from providers.models import Application
from providers.selectors import application_case_merchants
from scoring.models import GmvFact
from zaofeng.periods import add_months, month_start


def application_platform_gmv(*, application: Application) -> dict[int, int]:
    """Net GMV in fen, per platform merchant the application's cases name, over the twelve
    completed months before today (every provider's facts of that merchant: the platform's
    record of what the merchant sold, an upper bound of what any one provider served)."""
    merchant_ids = set(application_case_merchants(application=application).values())
    if not merchant_ids:
        return {}
    last = add_months(month_start(timezone.localdate()), -1)
    first = add_months(last, -11)
    totals = dict(
        GmvFact.objects.filter(merchant_id__in=merchant_ids, month__gte=first, month__lte=last)
        .values("merchant_id")
        .annotate(total=Sum("net_gmv_fen"))
        .values_list("merchant_id", "total")
    )
    return {merchant_id: int(totals.get(merchant_id) or 0) for merchant_id in merchant_ids}
