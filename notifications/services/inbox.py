"""In-app notifications and the emails that go with them."""

import logging
from collections.abc import Iterable

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _

from notifications.models import Notification

logger = logging.getLogger(__name__)

# Translatable; the email is written in the language active when it is delivered.
EMAIL_SUBJECT_PREFIX = _("[造风者计划] ")


def notification_send(
    *,
    provider=None,
    provider_id: int | None = None,
    kind: str,
    title: str,
    body: str,
    link: str = "",
    users: Iterable = (),
) -> list[Notification]:
    """Notifies every active member of the provider, and any extra users (an applicant who has no
    provider yet): the in-app notices are written in the caller's transaction, so they exist only
    if its decision does; the emails leave once that transaction commits.

    provider is the caller's provider object (its members are read through its own
    `memberships`); provider_id alone records what the notices are about without adding members.
    """
    recipients = {}
    if provider is not None:
        provider_id = provider.pk
        # The provider's members, through its reverse relation: notifications never imports
        # providers (the arrows point down to it).
        for membership in provider.memberships.select_related("user"):
            recipients[membership.user.pk] = membership.user
    for user in users:
        if user is not None:
            recipients[user.pk] = user
    notifications = Notification.objects.bulk_create(
        Notification(
            recipient=user,
            provider_id=provider_id,
            kind=kind,
            title=str(title)[:200],
            body=str(body),
            link=link,
        )
        for user in recipients.values()
        if user.is_active
    )
    ids = [notification.pk for notification in notifications]
    if ids:
        # robust: the decision has committed by then; a broker hiccup must not turn it into an
        # error for the caller. The inbox has the notice either way.
        transaction.on_commit(lambda: _emails_queue(ids), robust=True)
    return notifications


def _emails_queue(ids: list[int]) -> None:
    from notifications.tasks import notification_emails_send

    notification_emails_send.delay(ids)


def notification_emails_deliver(*, notification_ids: Iterable[int]) -> int:
    """Emails each notification not emailed yet to its recipient; returns how many were sent.

    Marks each one as it goes, so that a retry after a failure sends only the rest.
    """
    sent = 0
    pending = (
        Notification.objects.filter(pk__in=list(notification_ids), emailed_at__isnull=True)
        .select_related("recipient")
        .order_by("pk")
    )
    for notification in pending:
        address = notification.recipient.email
        if not address:
            continue
        body = notification.body
        if notification.link:
            body = f"{body}\n\n{_g('详情')}：{notification.link}"
        send_mail(
            subject=f"{EMAIL_SUBJECT_PREFIX}{notification.title}",
            message=body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[address],
        )
        Notification.objects.filter(pk=notification.pk).update(emailed_at=timezone.now())
        sent += 1
    return sent


def notification_mark_read(*, notification: Notification, user) -> Notification:
    """Marks one of the user's own notifications read; another user's is not found."""
    if notification.recipient_id != user.pk:
        raise Notification.DoesNotExist
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


def notifications_mark_all_read(*, user) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )
