from django.urls import path

from risk import views

app_name = "risk-portal"

urlpatterns = [
    path("", views.portal_cases, name="cases"),
    path("<int:pk>/", views.portal_case, name="case"),
]
