from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntegrationsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "integrations"
    verbose_name = _("接口集成")

    def ready(self):
        # Registers the API-key scheme with drf-spectacular's extension registry.
        from integrations import schema  # noqa: F401
