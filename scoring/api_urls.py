from django.urls import path

from scoring import api

app_name = "scoring-api"

urlpatterns = [
    path(
        "providers/<str:code>/scores/",
        api.ProviderScoresApi.as_view(),
        name="provider-scores",
    ),
    path("scores/", api.ScoreListApi.as_view(), name="score-list"),
    path("metrics/batches/", api.MetricsBatchListCreateApi.as_view(), name="batch-list"),
    path("metrics/batches/<int:pk>/", api.MetricsBatchDetailApi.as_view(), name="batch-detail"),
]
