from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ApiScope(models.TextChoices):
    READ = "read", _("只读")
    INGEST = "ingest", _("数据上报")
    EVALUATE = "evaluate", _("发起评估")


class ApiKey(models.Model):
    """A key an integration sends in the Authorization header; only its hash is stored.

    The key acts for one user (a staff member or a provider's user), so roles and the provider
    scope apply to it exactly as to that user; its scopes narrow what it may do further.
    """

    name = models.CharField(_("名称"), max_length=100)
    prefix = models.CharField(_("前缀"), max_length=12, unique=True, editable=False)
    hashed_secret = models.CharField(_("密钥摘要"), max_length=64, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("代表用户"),
        on_delete=models.CASCADE,
        related_name="api_keys",
    )
    scopes = models.JSONField(_("权限范围"), default=list)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("创建人"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    expires_at = models.DateTimeField(_("过期时间"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True)

    class Meta:
        verbose_name = _("API 密钥")
        verbose_name_plural = _("API 密钥")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None


class IdempotencyRecord(models.Model):
    """The first response to a request sent with an Idempotency-Key, replayed for repeats."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("用户"), on_delete=models.CASCADE, related_name="+"
    )
    key = models.CharField(_("幂等键"), max_length=200)
    endpoint = models.CharField(_("接口"), max_length=200)
    request_hash = models.CharField(_("请求摘要"), max_length=64)
    response_status = models.PositiveSmallIntegerField(_("响应状态"), null=True, blank=True)
    response_body = models.JSONField(_("响应内容"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    claimed_at = models.DateTimeField(
        _("认领时间"),
        default=timezone.now,
        help_text=_("无响应的认领超过 IDEMPOTENCY_CLAIM_EXPIRY_SECONDS 后，重试可以接手。"),
    )

    class Meta:
        verbose_name = _("幂等记录")
        verbose_name_plural = _("幂等记录")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "endpoint", "key"], name="idempotency_unique_key"
            ),
        ]

    def __str__(self):
        return f"{self.endpoint} {self.key}"


class FormSubmission(models.Model):
    """A one-time form token consumed by the save it came with (zaofeng.form_tokens).

    The add forms of records without a natural key (a violation entered by hand, a fund's cash
    flow or round) carry a token issued with the form; the save inserts this row in the same
    transaction, so a second POST of the same form (a double click, a resent request, two at
    once) finds it — or waits on the unique index and then finds it — instead of saving again.
    """

    token = models.CharField(_("表单令牌"), max_length=64, unique=True)
    model = models.CharField(_("记录类型"), max_length=100)
    object_pk = models.CharField(_("记录"), max_length=64, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("提交人"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    created_at = models.DateTimeField(_("提交时间"), default=timezone.now)

    class Meta:
        verbose_name = _("表单提交")
        verbose_name_plural = _("表单提交")

    def __str__(self):
        return f"{self.model} {self.object_pk}"
