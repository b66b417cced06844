from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class ReviewItemKind(models.TextChoices):
    APPLICATION = "application", _("入驻申请")
    APPEAL = "appeal", _("申诉")


class ReviewTarget(models.Model):
    """How many working days (Monday to Friday) a reviewer has for an item of one kind.

    Data, not code: the program admin changes it in the admin. An item older than its target is
    overdue: the staff queues put it first and the daily SLA check tells the program admins.
    """

    kind = models.CharField(
        _("待办类别"), max_length=20, choices=ReviewItemKind.choices, unique=True
    )
    working_days = models.PositiveSmallIntegerField(
        _("处理时限（工作日）"), validators=[MinValueValidator(1), MaxValueValidator(60)]
    )

    history = HistoricalRecords(verbose_name=_("处理时限变更历史"))

    class Meta:
        verbose_name = _("审核处理时限")
        verbose_name_plural = _("审核处理时限")
        ordering = ["kind"]

    def __str__(self):
        return f"{self.get_kind_display()}：{self.working_days}"
