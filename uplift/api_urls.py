from django.urls import path

from uplift import api

app_name = "uplift-api"

urlpatterns = [
    path("uplift/studies/", api.StudyListApi.as_view(), name="study-list"),
    path("uplift/studies/<int:pk>/", api.StudyDetailApi.as_view(), name="study-detail"),
]
