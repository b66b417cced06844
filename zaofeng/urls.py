from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from zaofeng.metrics import metrics
from zaofeng.views import healthz

admin.site.site_header = _("造风者计划 管理后台")
admin.site.site_title = _("造风者计划")
admin.site.index_title = _("项目管理")

api_v1 = [
    path("", include("providers.api_urls")),
    path("", include("scoring.api_urls")),
    path("", include("steps.api_urls")),
    path("", include("funding.api_urls")),
    path("", include("risk.api_urls")),
    path("", include("uplift.api_urls")),
    path("", include("investments.api_urls")),
    path("", include("evaluations.api_urls")),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("portal.account_urls")),
    # Before portal/ and staff/: the risk app's pages sit under their prefixes.
    path("portal/risk/", include("risk.portal_urls")),
    path("staff/risk/", include("risk.staff_urls")),
    path("portal/", include("portal.urls")),
    path("staff/", include("staff.urls")),
    path("documents/", include("providers.urls")),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("healthz", healthz, name="healthz"),
    path("metrics", metrics, name="metrics"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("portal.root_urls")),
]

handler404 = "zaofeng.views.page_not_found"
handler500 = "zaofeng.views.server_error"
