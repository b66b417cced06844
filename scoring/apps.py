from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ScoringConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "scoring"
    verbose_name = _("能力评分")

    def ready(self):
        # The pre-screen checks declared served GMV against the platform's GMV facts; providers
        # never imports scoring, so scoring hands it the reader (the arrow still points down).
        from providers.services.applications import platform_gmv_source_register
        from scoring.platform_facts import application_platform_gmv

        platform_gmv_source_register(application_platform_gmv)
