from django.urls import path

from risk import views

app_name = "risk-staff"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("<int:pk>/", views.signal_detail, name="signal"),
    path("<int:pk>/decide/", views.signal_decide, name="decide"),
    path("clawbacks/<int:pk>/", views.clawback, name="clawback"),
]
