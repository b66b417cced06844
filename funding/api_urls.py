from django.urls import path

from funding import api

app_name = "funding-api"

urlpatterns: list = [
    path("tiers/", api.TierListApi.as_view(), name="tier-list"),
    path("tiers/memberships/", api.TierMembershipListApi.as_view(), name="tier-memberships"),
    path("allocations/", api.AllocationListApi.as_view(), name="allocation-list"),
    path("ledger/", api.LedgerListApi.as_view(), name="ledger"),
    path("providers/<str:code>/standing/", api.StandingApi.as_view(), name="provider-standing"),
    path("program/progress/", api.ProgressApi.as_view(), name="progress"),
    path("program/forecast/", api.ForecastApi.as_view(), name="forecast"),
    # The first paths of the progress API, kept for clients written against them.
    path("funding/progress/", api.LegacyProgressApi.as_view(), name="progress-legacy"),
    path("funding/forecast/", api.LegacyForecastApi.as_view(), name="forecast-legacy"),
]
