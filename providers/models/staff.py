from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from providers.models.registry import Region


class StaffProfile(models.Model):
    """What a staff user answers for beyond their role: the regions a region manager covers.

    A user whose only role is region manager sees the providers of these regions and nothing
    else (providers.access); without a profile or regions, they see no provider at all.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("员工账号"),
        on_delete=models.CASCADE,
        related_name="staff_profile",
    )
    regions = models.ManyToManyField(
        Region, verbose_name=_("负责区域"), blank=True, related_name="staff_profiles"
    )
    note = models.CharField(_("备注"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    history = HistoricalRecords(verbose_name=_("员工负责区域变更历史"), m2m_fields=[regions])

    class Meta:
        verbose_name = _("员工负责区域")
        verbose_name_plural = _("员工负责区域")
        ordering = ["user__username"]

    def __str__(self):
        return str(self.user)
