from django.urls import path

from staff import (
    investment_views,
    views,
    views_allocation,
    views_evaluations,
    views_steps,
    views_uplift,
)

app_name = "staff"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("providers/", views.provider_list, name="providers"),
    path("providers/bulk/", views.provider_bulk, name="provider_bulk"),
    path("providers/<str:code>/", views.provider_detail, name="provider"),
    path("steps/", views_steps.steps_overview, name="steps"),
    path("queues/", views.queues, name="queues"),
    path("queues/<slug:tab>/", views.queues, name="queue"),
    path("queues/applications/<int:pk>/", views.application_case, name="application_case"),
    path("queues/appeals/<int:pk>/", views.appeal_case, name="appeal_case"),
    path(
        "queues/applications/<int:pk>/decide/",
        views.decide_application,
        name="decide_application",
    ),
    path("queues/warnings/<str:code>/decide/", views.decide_warning, name="decide_warning"),
    path("queues/plans/<int:pk>/review/", views.review_plan, name="review_plan"),
    path("queues/appeals/<int:pk>/decide/", views.decide_appeal, name="decide_appeal"),
    path("queues/demotions/<int:pk>/decide/", views.decide_demotion, name="decide_demotion"),
    path("evaluations/", views_evaluations.evaluation_list, name="evaluations"),
    path("evaluations/start/", views_evaluations.evaluation_start_page, name="evaluation_start"),
    path("evaluations/<int:pk>/", views_evaluations.evaluation_detail, name="evaluation"),
    path(
        "evaluations/<int:pk>/progress/",
        views_evaluations.evaluation_progress,
        name="evaluation_progress",
    ),
    path(
        "evaluations/<int:pk>/resend/",
        views_evaluations.evaluation_resend,
        name="evaluation_resend",
    ),
    path(
        "evaluations/<int:pk>/rerun-failed/",
        views_evaluations.evaluation_rerun_failed,
        name="evaluation_rerun_failed",
    ),
    path("uplift/", views_uplift.uplift_list, name="uplift"),
    path("uplift/<int:pk>/", views_uplift.uplift_detail, name="uplift_study"),
    path("allocation/", views_allocation.allocation_list, name="allocations"),
    path("allocation/<int:pk>/", views_allocation.allocation_detail, name="allocation"),
    path(
        "allocation/<int:pk>/compare/",
        views_allocation.allocation_compare,
        name="allocation_compare",
    ),
    path(
        "allocation/<int:pk>/lines/<int:line_pk>/",
        views_allocation.allocation_line_edit,
        name="allocation_line",
    ),
    path(
        "allocation/<int:pk>/approve/",
        views_allocation.allocation_approve,
        name="allocation_approve",
    ),
    path("investments/", investment_views.fund_dashboard, name="investments"),
    path(
        "investments/funds/<int:fund_id>/",
        investment_views.fund_dashboard,
        name="investment_fund",
    ),
    path(
        "investments/funds/<int:fund_id>/board/",
        investment_views.deal_board_page,
        name="investment_board",
    ),
    path(
        "investments/funds/<int:fund_id>/sourcing/",
        investment_views.sourcing_page,
        name="investment_sourcing",
    ),
    path(
        "investments/funds/<int:fund_id>/sourcing/source/",
        investment_views.sourcing_source,
        name="investment_source",
    ),
    path("investments/deals/<int:pk>/", investment_views.deal_detail, name="investment_deal"),
    path(
        "investments/deals/<int:pk>/<slug:step>/",
        investment_views.deal_decide,
        name="investment_decide",
    ),
]
