from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _sync_schedules(sender, using="default", verbosity=1, **kwargs):
    # migrate runs `sync_schedules`: the schedule reaches beat's tables on every fresh database
    # and every deploy, while entries staff changed in the admin are left alone.
    from django.db import connections

    if "django_celery_beat_periodictask" not in connections[using].introspection.table_names():
        return
    from evaluations.services.schedules import schedules_sync

    result = schedules_sync()
    if verbosity >= 1 and result.created:
        print(f"  Evaluation schedule: added {len(result.created)} periodic tasks.")


class EvaluationsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "evaluations"
    verbose_name = _("评估任务")

    def ready(self):
        # The kinds register themselves on import.
        from evaluations import kinds  # noqa: F401

        post_migrate.connect(
            _sync_schedules, sender=self, dispatch_uid="evaluations.sync_schedules"
        )
