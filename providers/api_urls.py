from django.urls import path

from providers import api

app_name = "providers-api"

urlpatterns = [
    path("providers/", api.ProviderListApi.as_view(), name="provider-list"),
    path("providers/<str:code>/", api.ProviderDetailApi.as_view(), name="provider-detail"),
]
