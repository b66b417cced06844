"""Errors the lifecycle services raise; each says plainly what was refused and why."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

MESSAGE_TRANSITION_REFUSED = _("不能从“%(source)s”变更为“%(target)s”：%(why)s")
MESSAGE_ALREADY_DECIDED = _("该申请已被处理（%(status)s），不能重复决定。请刷新页面查看最新结果。")
MESSAGE_APPEAL_ALREADY_DECIDED = _("该申诉已被处理（%(status)s），不能重复决定。")


class TransitionRefused(ValidationError):
    """A state change the state machine does not allow from the current state."""


class AlreadyDecided(TransitionRefused):
    """Someone else decided first (two reviewers at the same moment: exactly one wins)."""
