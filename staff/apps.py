from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StaffConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "staff"
    verbose_name = _("工作台")

    def ready(self):
        from django.apps import apps

        from staff.queue_cache import queue_cache_connect

        queue_cache_connect()

        # django-axes names its admin section after its label ("Axes") with no translation;
        # its models and fields are translated in this app's catalogue (staff/locale).
        if apps.is_installed("axes"):
            apps.get_app_config("axes").verbose_name = _("登录防护")
