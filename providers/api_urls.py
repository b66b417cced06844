from django.urls import path

from providers import api

app_name = "providers-api"

urlpatterns = [
    path("providers/", api.ProviderListApi.as_view(), name="provider-list"),
    path("providers/<str:code>/", api.ProviderDetailApi.as_view(), name="provider-detail"),
    path(
        "providers/<str:code>/criteria-results/",
        api.ProviderCriteriaResultListApi.as_view(),
        name="provider-criteria-results",
    ),
    path("applications/", api.ApplicationListCreateApi.as_view(), name="application-list"),
    path("applications/<int:pk>/", api.ApplicationDetailApi.as_view(), name="application-detail"),
    path(
        "applications/<int:pk>/submit/",
        api.ApplicationSubmitApi.as_view(),
        name="application-submit",
    ),
]
