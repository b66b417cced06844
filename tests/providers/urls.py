"""The project's URLs with the document view mounted at /documents/, as the lead will mount it.

If zaofeng/urls.py already includes it, that mount is used as it is.
"""

from django.urls import NoReverseMatch, include, path, reverse

from zaofeng.urls import urlpatterns as project_urlpatterns

urlpatterns = list(project_urlpatterns)
try:
    reverse("documents:download", args=[1], urlconf="zaofeng.urls")
except NoReverseMatch:
    urlpatterns.append(path("documents/", include("providers.urls")))
