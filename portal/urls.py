from django.urls import path

from portal.views import (
    allocations,
    applications,
    data,
    home,
    lifecycle,
    merchants,
    notifications,
    team,
)

app_name = "portal"

urlpatterns = [
    path("", home.home, name="home"),
    path("scores/", home.scores, name="scores"),
    path("criteria/", home.criteria, name="criteria"),
    # Applications (入驻申请)
    path("applications/", applications.applications, name="applications"),
    path("applications/new/", applications.application_new, name="application_new"),
    path(
        "applications/new/business/",
        applications.application_new_business,
        name="application_new_business",
    ),
    path("applications/<int:pk>/", applications.application_detail, name="application"),
    path(
        "applications/<int:pk>/<slug:step>/",
        applications.application_step,
        name="application_step",
    ),
    path(
        "applications/<int:pk>/documents/<int:document_pk>/remove/",
        applications.document_remove,
        name="application_document_remove",
    ),
    # Lifecycle: record, rectification plans, appeals
    path("status/", lifecycle.lifecycle, name="lifecycle"),
    path("status/rectification-plan/", lifecycle.rectification_plan, name="rectification_plan"),
    path("appeals/", lifecycle.appeals, name="appeals"),
    path("appeals/new/<int:decision_pk>/", lifecycle.appeal_new, name="appeal_new"),
    path("appeals/<int:pk>/", lifecycle.appeal_detail, name="appeal"),
    # Data, allocations
    path("data/", data.data, name="data"),
    path("data/<int:pk>/", data.data_import, name="data_import"),
    path(
        "data/<int:pk>/errors.<str:export_format>",
        data.data_import_errors,
        name="data_import_errors",
    ),
    path("data/channels/<int:pk>/", data.channel_import, name="channel_import"),
    path(
        "data/channels/<int:pk>/errors.<str:export_format>",
        data.channel_import_errors,
        name="channel_import_errors",
    ),
    path("data/template/<str:kind>.<str:export_format>", data.data_template, name="data_template"),
    path("data/sample/<str:kind>.<str:export_format>", data.data_sample, name="data_sample"),
    path("allocations/", allocations.allocations, name="allocations"),
    path("merchants/", merchants.merchants, name="merchants"),
    path("merchants/<str:code>/", merchants.merchant_detail, name="merchant"),
    # Team
    path("team/", team.team, name="team"),
    path("team/invite/", team.team_invite, name="team_invite"),
    path("team/members/<int:pk>/remove/", team.team_member_remove, name="team_member_remove"),
    path(
        "team/invitations/<int:pk>/revoke/",
        team.team_invitation_revoke,
        name="team_invitation_revoke",
    ),
    # Notifications
    path("notifications/", notifications.inbox, name="notifications"),
    path(
        "notifications/read-all/",
        notifications.notifications_read_all,
        name="notifications_read_all",
    ),
    path("notifications/<int:pk>/", notifications.notification_detail, name="notification"),
    path("notifications/<int:pk>/read/", notifications.notification_read, name="notification_read"),
]
