import hashlib

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from providers.models.registry import MembershipRole, Provider


def invitation_token_hash(token: str) -> str:
    """Only the SHA-256 of an invitation token is stored: the link in the email is the secret."""
    return hashlib.sha256(token.encode()).hexdigest()


class InvitationStatus(models.TextChoices):
    PENDING = "pending", _("待接受")
    ACCEPTED = "accepted", _("已接受")
    REVOKED = "revoked", _("已撤销")
    EXPIRED = "expired", _("已过期")


class Invitation(models.Model):
    """An owner's invitation for someone to join its provider's team (团队成员邀请) by email."""

    provider = models.ForeignKey(
        Provider, verbose_name=_("服务商"), on_delete=models.CASCADE, related_name="invitations"
    )
    email = models.EmailField(_("受邀邮箱"))
    role = models.CharField(
        _("角色"), max_length=20, choices=MembershipRole.choices, default=MembershipRole.OPERATOR
    )
    token_hash = models.CharField(_("令牌摘要"), max_length=64, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("邀请人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("邀请时间"), default=timezone.now)
    expires_at = models.DateTimeField(_("失效时间"))
    accepted_at = models.DateTimeField(_("接受时间"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("接受账号"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("撤销人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("团队邀请")
        verbose_name_plural = _("团队邀请")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["provider", "email"])]

    def __str__(self):
        return f"{self.provider.code} · {self.email} · {self.get_status_display()}"

    def status_at(self, now) -> str:
        if self.accepted_at is not None:
            return InvitationStatus.ACCEPTED
        if self.revoked_at is not None:
            return InvitationStatus.REVOKED
        if now >= self.expires_at:
            return InvitationStatus.EXPIRED
        return InvitationStatus.PENDING

    @property
    def status(self) -> str:
        return self.status_at(timezone.now())

    def get_status_display(self) -> str:
        return str(InvitationStatus(self.status).label)

    @property
    def is_pending(self) -> bool:
        return self.status == InvitationStatus.PENDING
