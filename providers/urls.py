"""Document downloads, mounted by the project at /documents/."""

from django.urls import path

from providers import views

app_name = "documents"

urlpatterns = [
    path("<int:pk>/", views.document_download, name="download"),
]
