from django.urls import path

from risk import api

app_name = "risk-api"

urlpatterns = [
    path("violations/", api.ViolationBatchApi.as_view(), name="violation-batch"),
    path("risk/signals/", api.RiskSignalListApi.as_view(), name="signal-list"),
]
