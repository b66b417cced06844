"""Writes of notifications; every app may call these."""

from notifications.services.inbox import (
    notification_emails_deliver,
    notification_mark_read,
    notification_send,
    notifications_mark_all_read,
)

__all__ = [
    "notification_emails_deliver",
    "notification_mark_read",
    "notification_send",
    "notifications_mark_all_read",
]
