"""Reads of a user's notifications (the portal's inbox)."""

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from notifications.models import Notification


def notifications_inbox(*, user, unread_only: bool = False) -> QuerySet[Notification]:
    """The user's notifications, newest first."""
    notifications = Notification.objects.filter(recipient=user)
    if unread_only:
        notifications = notifications.filter(read_at__isnull=True)
    return notifications.order_by("-created_at", "-id")


def notifications_unread_count(*, user) -> int:
    if not user.is_authenticated:
        return 0
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def notification_for_user(*, user, pk: int) -> Notification:
    """One of the user's notifications; anyone else's is a 404."""
    return get_object_or_404(Notification, pk=pk, recipient=user)


def notifications_about_provider(*, provider_id: int) -> QuerySet[Notification]:
    """Every notification about one provider (all its members'), newest first; for staff."""
    return Notification.objects.filter(provider_id=provider_id).order_by("-created_at", "-id")
