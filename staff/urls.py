from django.urls import path

from staff import views, views_steps

app_name = "staff"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("providers/", views.provider_list, name="providers"),
    path("providers/bulk/", views.provider_bulk, name="provider_bulk"),
    path("providers/<str:code>/", views.provider_detail, name="provider"),
    path("steps/", views_steps.steps_overview, name="steps"),
    path("queues/", views.queues, name="queues"),
    path("queues/<slug:tab>/", views.queues, name="queue"),
    path(
        "queues/applications/<int:pk>/decide/",
        views.decide_application,
        name="decide_application",
    ),
    path("queues/warnings/<str:code>/decide/", views.decide_warning, name="decide_warning"),
    path("queues/plans/<int:pk>/review/", views.review_plan, name="review_plan"),
    path("queues/appeals/<int:pk>/decide/", views.decide_appeal, name="decide_appeal"),
    path("queues/demotions/<int:pk>/decide/", views.decide_demotion, name="decide_demotion"),
]
