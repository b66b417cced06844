from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Notification(models.Model):
    """An in-app notification (站内通知) for one user; the email that goes with it is sent on commit.

    `provider_id` is the provider the notice is about, as a plain indexed id: notifications sits
    below providers (the arrow points providers → notifications), so it holds no foreign key to
    it and its migrations do not depend on it.
    """

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("接收人"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    provider_id = models.BigIntegerField(
        _("服务商编号（内部）"), null=True, blank=True, db_index=True
    )
    kind = models.CharField(
        _("类型"), max_length=40, help_text=_("例如 lifecycle、application、appeal、allocation")
    )
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("正文"))
    link = models.CharField(_("链接"), max_length=300, blank=True)
    read_at = models.DateTimeField(_("阅读时间"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("邮件发送时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "read_at"]),
            models.Index(fields=["recipient", "-created_at"]),
        ]

    def __str__(self):
        return f"{self.recipient} · {self.title}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None
