from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RiskConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "risk"
    verbose_name = _("风险信号")

    def ready(self):
        from risk import receivers  # noqa: F401 - connects the ban/exit receiver
