from django.apps import AppConfig
from django.db.models.signals import m2m_changed, post_migrate
from django.utils.translation import gettext_lazy as _


def _sync_role_permissions(sender, using="default", **kwargs):
    # Permissions of every app exist only after migrate has created them all, so the roles are
    # synchronised once, on the signal of the last app that has models.
    from django.apps import apps
    from django.contrib.auth.models import Group, Permission

    with_models = [config for config in apps.get_app_configs() if config.models_module is not None]
    if sender is not with_models[-1]:
        return

    from providers.roles import roles_sync

    roles_sync(group_model=Group, permission_model=Permission)


class ProvidersConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "providers"
    verbose_name = _("服务商")

    def ready(self):
        post_migrate.connect(_sync_role_permissions, dispatch_uid="providers.sync_role_permissions")
        from django.contrib.auth import get_user_model

        from providers.roles import roles_forget

        m2m_changed.connect(
            roles_forget,
            sender=get_user_model().groups.through,
            dispatch_uid="providers.roles_forget",
        )
