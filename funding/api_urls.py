from django.urls import path

from funding.api import ForecastApi, ProgressApi

app_name = "funding-api"

urlpatterns: list = [
    path("funding/progress/", ProgressApi.as_view(), name="progress"),
    path("funding/forecast/", ForecastApi.as_view(), name="forecast"),
]
