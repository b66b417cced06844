"""Issuing, checking and revoking API keys; the secret is shown once and stored only as a hash."""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from integrations.models import ApiKey, ApiScope

KEY_PREFIX = "zf"
MESSAGE_SCOPES = _("请至少选择一个有效的权限范围：%(choices)s。")
MESSAGE_INACTIVE_USER = _("API 密钥只能代表已启用的用户。")


@dataclass(frozen=True)
class IssuedKey:
    api_key: ApiKey
    plaintext: str  # shown to the program admin once, never stored


def _hash(secret: str) -> str:
    # The secret has 256 bits of entropy, so a plain SHA-256 is enough; no password stretching needed.
    return hashlib.sha256(secret.encode()).hexdigest()


def api_key_issue(
    *, name: str, user, scopes: list[str], by, expires_at: datetime | None = None
) -> IssuedKey:
    """Creates a key for `user` with `scopes`; returns the plaintext once."""
    valid = set(ApiScope.values)
    if not scopes or not set(scopes) <= valid:
        raise ValidationError({"scopes": MESSAGE_SCOPES % {"choices": ", ".join(sorted(valid))}})
    if not user.is_active:
        raise ValidationError({"user": MESSAGE_INACTIVE_USER})
    prefix = secrets.token_hex(4)
    secret = secrets.token_urlsafe(32)
    with transaction.atomic():
        api_key = ApiKey(
            name=name,
            prefix=prefix,
            hashed_secret=_hash(secret),
            user=user,
            scopes=sorted(set(scopes)),
            created_by=by,
            expires_at=expires_at,
        )
        api_key.full_clean(exclude=["prefix", "hashed_secret"])
        api_key.save()
    return IssuedKey(api_key=api_key, plaintext=f"{KEY_PREFIX}_{prefix}_{secret}")


def api_key_revoke(*, api_key: ApiKey, by) -> ApiKey:
    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        api_key.save(update_fields=["revoked_at"])
    return api_key


def api_key_verify(plaintext: str) -> ApiKey | None:
    """The active key matching plaintext, or None; records when it was last used."""
    parts = plaintext.strip().split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_PREFIX:
        return None
    _kp, prefix, secret = parts
    api_key = ApiKey.objects.select_related("user").filter(prefix=prefix).first()
    if api_key is None or not hmac.compare_digest(api_key.hashed_secret, _hash(secret)):
        return None
    now = timezone.now()
    if (
        api_key.revoked_at
        or (api_key.expires_at and api_key.expires_at <= now)
        or not api_key.user.is_active
    ):
        return None
    # Touch at most once a minute: every request writing a row would serialise on it.
    if api_key.last_used_at is None or (now - api_key.last_used_at).total_seconds() > 60:
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
    return api_key
