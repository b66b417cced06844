from django.shortcuts import redirect, render
from django.utils import timezone

from funding.forecasting.selectors import provider_chart_data, provider_forecast_view
from portal.access import portal_page, staff_home_url
from portal.selectors import applications_of_user, criteria_tables, home_page, scores_page
from providers.models import ApplicationStatus


def root_redirect(request):
    """Staff land on their workbench, everyone else in the provider portal (sign-in first)."""
    if request.user.is_authenticated and request.user.is_staff:
        return redirect(staff_home_url(request.user))
    return redirect("portal:home")


@portal_page(member_only=False)
def home(request):
    portal = request.portal
    if not portal.is_member:
        applications = list(applications_of_user(user=request.user))
        return render(
            request,
            "portal/applicant_home.html",
            {
                "applications": applications,
                "draft": next(
                    (a for a in applications if a.status == ApplicationStatus.DRAFT), None
                ),
            },
        )
    forecast = provider_forecast_view(provider_id=portal.provider.pk)
    return render(
        request,
        "portal/home.html",
        {
            "home": home_page(
                provider=portal.provider, user=request.user, unread=portal.unread_count
            ),
            "forecast": forecast,
            "forecast_chart": provider_chart_data(forecast),
        },
    )


@portal_page()
def scores(request):
    return render(
        request, "portal/scores.html", {"page": scores_page(provider=request.portal.provider)}
    )


@portal_page(member_only=False)
def criteria(request):
    from portal.selectors import admission_criteria_published

    tables = criteria_tables(
        provider=request.portal.provider, user=request.user, today=timezone.localdate()
    )
    return render(
        request,
        "portal/criteria.html",
        {
            "tables": tables,
            "published": admission_criteria_published() if not tables else (),
        },
    )
