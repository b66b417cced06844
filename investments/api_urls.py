from django.urls import path

from investments import api

app_name = "investments-api"

urlpatterns = [
    path("investments/deals/", api.DealListApi.as_view(), name="deal-list"),
    path(
        "investments/funds/<int:id>/performance/",
        api.FundPerformanceApi.as_view(),
        name="fund-performance",
    ),
    path(
        "investments/funds/<int:id>/sourcing/",
        api.FundSourcingApi.as_view(),
        name="fund-sourcing",
    ),
]
