from django.shortcuts import render

from portal.access import portal_page
from portal.selectors import allocations_page


@portal_page()
def allocations(request):
    return render(
        request,
        "portal/allocations.html",
        {"allocations": allocations_page(provider=request.portal.provider)},
    )
