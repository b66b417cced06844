"""The admin in Chinese where the add-ons leave English behind.

Django's own admin, django-celery-beat and django-simple-history ship zh_Hans catalogues; the
strings they lack (and django-axes, which ships none) are translated in this app's catalogue
(staff/locale). What no catalogue can reach is fixed here: permission names, which Django stores
in English ("Can add …") and shows in the group and user forms, and the labels that
django-celery-beat takes from attribute names.
"""

from django.contrib import admin
from django.contrib.admin import AllValuesFieldListFilter
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group, Permission, User
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _
from django_celery_beat.admin import (
    ClockedScheduleAdmin,
    CrontabScheduleAdmin,
    IntervalScheduleAdmin,
    PeriodicTaskAdmin,
    PeriodicTaskInline,
    SolarScheduleAdmin,
)
from django_celery_beat.models import (
    ClockedSchedule,
    CrontabSchedule,
    IntervalSchedule,
    PeriodicTask,
    SolarSchedule,
)

# "查看站点" in the admin's header leads staff to their workbench (the site root sends staff to
# the admin, which would be a circle).
admin.site.site_url = "/staff/"

ACTION_LABELS = {
    "view": _("查看"),
    "add": _("新增"),
    "change": _("修改"),
    "delete": _("删除"),
}


def permission_label(permission: Permission) -> str:
    """ "服务商 | 服务商 | 新增" instead of "providers | 服务商 | Can add 服务商"."""
    content_type = permission.content_type
    model = content_type.model_class()
    if model is None:
        return str(permission)
    app_label = str(model._meta.app_config.verbose_name)
    action = permission.codename.split("_", 1)[0]
    # Lifecycle permissions (providers.warn_provider …) are named in Chinese already.
    what = ACTION_LABELS.get(action) or permission.name
    return f"{app_label} | {model._meta.verbose_name} | {what}"


class ChinesePermissionsMixin:
    permission_fields = ("permissions", "user_permissions")

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if db_field.name in self.permission_fields and field is not None:
            field.label_from_instance = permission_label
        return field


admin.site.unregister(Group)
admin.site.unregister(User)


@admin.register(Group)
class ChineseGroupAdmin(ChinesePermissionsMixin, GroupAdmin):
    pass


@admin.register(User)
class ChineseUserAdmin(ChinesePermissionsMixin, UserAdmin):
    pass


class TaskNameFilter(AllValuesFieldListFilter):
    def __init__(self, field, request, params, model, model_admin, field_path):
        super().__init__(field, request, params, model, model_admin, field_path)
        self.title = _g("任务")


class ChinesePeriodicTaskInline(PeriodicTaskInline):
    fields = ("name", "task_name", "args", "kwargs")
    readonly_fields = fields

    @admin.display(description=_("任务"))
    def task_name(self, obj):
        return obj.task


for schedule_model in (
    PeriodicTask,
    CrontabSchedule,
    IntervalSchedule,
    SolarSchedule,
    ClockedSchedule,
):
    admin.site.unregister(schedule_model)


@admin.register(PeriodicTask)
class ChinesePeriodicTaskAdmin(PeriodicTaskAdmin):
    list_display = (
        "name",
        "enabled",
        "schedule_kind",
        "interval",
        "start_time",
        "last_run_at",
        "one_off",
    )
    list_filter = ["enabled", "one_off", ("task", TaskNameFilter), "start_time", "last_run_at"]

    @admin.display(description=_("执行时间（可读）"))
    def crontab_translation(self, obj):
        return obj.crontab.human_readable if obj.crontab_id else "—"

    @admin.display(description=_("计划类型"))
    def schedule_kind(self, obj):
        return obj.scheduler


@admin.register(CrontabSchedule)
class ChineseCrontabScheduleAdmin(CrontabScheduleAdmin):
    inlines = [ChinesePeriodicTaskInline]
    list_display = ("__str__", "readable")
    fields = (
        "readable",
        "minute",
        "hour",
        "day_of_month",
        "month_of_year",
        "day_of_week",
        "timezone",
    )
    readonly_fields = ("readable",)

    @admin.display(description=_("执行时间（可读）"))
    def readable(self, obj):
        return obj.human_readable


@admin.register(IntervalSchedule)
class ChineseIntervalScheduleAdmin(IntervalScheduleAdmin):
    inlines = [ChinesePeriodicTaskInline]


@admin.register(SolarSchedule)
class ChineseSolarScheduleAdmin(SolarScheduleAdmin):
    inlines = [ChinesePeriodicTaskInline]


@admin.register(ClockedSchedule)
class ChineseClockedScheduleAdmin(ClockedScheduleAdmin):
    inlines = [ChinesePeriodicTaskInline]
