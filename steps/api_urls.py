from django.urls import path

from steps import api

app_name = "steps-api"

urlpatterns = [
    path("merchants/", api.MerchantListApi.as_view(), name="merchant-list"),
]
