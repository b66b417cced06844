from django.urls import path

from portal.views.home import root_redirect

urlpatterns = [path("", root_redirect, name="root")]
