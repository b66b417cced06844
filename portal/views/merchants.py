"""The merchants a provider serves and where each stands on its STEPS journey."""

from django.shortcuts import render
from django.utils import timezone

from portal.access import portal_page
from steps.selectors import merchant_journey, merchants_page, provider_merchants


def _served(request):
    return provider_merchants(provider=request.portal.provider, on=timezone.localdate())


def _page_number(request) -> int:
    try:
        return int(request.GET.get("page", 1))
    except ValueError:
        return 1


@portal_page()
def merchants(request):
    page = merchants_page(merchants=_served(request), page=_page_number(request))
    return render(request, "portal/merchants.html", {"page": page})


@portal_page()
def merchant_detail(request, code: str):
    journey = merchant_journey(merchants=_served(request), code=code.upper())
    return render(request, "portal/merchant_detail.html", {"journey": journey})
