from django.urls import path

from evaluations.api import EvaluationRunDetail, EvaluationRunListStart

app_name = "evaluations-api"

urlpatterns = [
    path("evaluation-runs/", EvaluationRunListStart.as_view(), name="run-list"),
    path("evaluation-runs/<int:pk>/", EvaluationRunDetail.as_view(), name="run-detail"),
]
