from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class UpliftConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "uplift"
    verbose_name = _("增量效果评估")
