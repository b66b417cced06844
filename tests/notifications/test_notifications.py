"""In-app notifications with their emails, sent only once the deciding transaction commits."""

import pytest
from django.db import transaction
from django.http import Http404

from notifications.models import Notification
from notifications.selectors import (
    notification_for_user,
    notifications_inbox,
    notifications_unread_count,
)
from notifications.services import (
    notification_emails_deliver,
    notification_mark_read,
    notification_send,
    notifications_mark_all_read,
)
from tests.factories import MembershipFactory, NotificationFactory, ProviderFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def provider_with_members():
    provider = ProviderFactory()
    owner = MembershipFactory(provider=provider, user=UserFactory(email="owner@example.com")).user
    operator = MembershipFactory(
        provider=provider, user=UserFactory(email="ops@example.com"), role="operator"
    ).user
    MembershipFactory(user=UserFactory(email="other@example.com"))  # another provider's
    return provider, owner, operator


def _send(provider, **kwargs):
    return notification_send(
        provider=provider,
        kind="lifecycle",
        title="预警：测试服务商",
        body="状态：正常合作 → 预警",
        link="/portal/",
        **kwargs,
    )


def test_every_member_gets_a_notice_and_an_email_after_commit(
    provider_with_members, django_capture_on_commit_callbacks, mailoutbox
):
    provider, owner, operator = provider_with_members
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notices = _send(provider)
    assert {n.recipient for n in notices} == {owner, operator}
    assert mailoutbox == []  # nothing leaves before the commit
    for callback in callbacks:
        callback()
    assert sorted(m.to[0] for m in mailoutbox) == ["ops@example.com", "owner@example.com"]
    assert mailoutbox[0].subject == "[造风者计划] 预警：测试服务商"
    assert "/portal/" in mailoutbox[0].body
    assert Notification.objects.filter(emailed_at__isnull=True).count() == 0


def test_a_rolled_back_decision_leaves_no_notice_and_sends_nothing(
    provider_with_members, django_capture_on_commit_callbacks, mailoutbox
):
    provider, _owner, _operator = provider_with_members
    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                _send(provider)
                raise RuntimeError("the decision failed")
        except RuntimeError:
            pass
    assert not Notification.objects.exists()
    assert mailoutbox == []


def test_extra_users_without_a_provider_are_notified():
    applicant = UserFactory()
    (notice,) = notification_send(
        kind="application", title="入驻申请已提交", body="预审通过", users=[applicant]
    )
    assert notice.recipient == applicant
    assert notice.provider_id is None


def test_emails_are_sent_once_even_when_delivered_twice(provider_with_members, mailoutbox):
    provider, _owner, _operator = provider_with_members
    ids = [n.pk for n in _send(provider)]
    assert notification_emails_deliver(notification_ids=ids) == 2
    assert notification_emails_deliver(notification_ids=ids) == 0
    assert len(mailoutbox) == 2


def test_inbox_and_unread_count_belong_to_one_user(provider_with_members):
    provider, owner, operator = provider_with_members
    older = NotificationFactory(recipient=owner, title="旧通知")
    _send(provider)
    assert notifications_unread_count(user=owner) == 2
    assert list(notifications_inbox(user=owner))[-1] == older
    notification_mark_read(notification=older, user=owner)
    assert notifications_unread_count(user=owner) == 1
    assert list(notifications_inbox(user=owner, unread_only=True)) == [
        n for n in notifications_inbox(user=owner) if n.read_at is None
    ]
    assert notifications_mark_all_read(user=owner) == 1
    assert notifications_unread_count(user=owner) == 0
    assert notifications_unread_count(user=operator) == 1


def test_another_users_notification_is_not_found(provider_with_members):
    _provider, owner, operator = provider_with_members
    notice = NotificationFactory(recipient=owner)
    with pytest.raises(Http404):
        notification_for_user(user=operator, pk=notice.pk)
    with pytest.raises(Notification.DoesNotExist):
        notification_mark_read(notification=notice, user=operator)
    notice.refresh_from_db()
    assert notice.read_at is None


def test_notices_record_the_provider_by_id_and_notifications_hold_no_key_to_providers(
    provider_with_members,
):
    from notifications.selectors import notifications_about_provider

    provider, owner, operator = provider_with_members
    notices = _send(provider)
    assert {notice.provider_id for notice in notices} == {provider.pk}
    assert {n.recipient for n in notifications_about_provider(provider_id=provider.pk)} == {
        owner,
        operator,
    }
    related = {
        field.related_model._meta.app_label
        for field in Notification._meta.get_fields()
        if field.is_relation and field.related_model is not None
    }
    assert "providers" not in related


@pytest.mark.django_db(transaction=True)
def test_the_migration_keeps_the_provider_of_every_notice():
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    provider = ProviderFactory()
    user = UserFactory()
    executor = MigrationExecutor(connection)
    executor.migrate([("notifications", "0001_initial")])
    old = executor.loader.project_state([("notifications", "0001_initial")]).apps
    OldNotification = old.get_model("notifications", "Notification")
    notice = OldNotification.objects.create(
        recipient_id=user.pk, provider_id=provider.pk, kind="lifecycle", title="预警", body="正文"
    )
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    assert Notification.objects.get(pk=notice.pk).provider_id == provider.pk


def test_the_email_subject_prefix_is_translatable():
    from django.utils.functional import Promise

    from notifications.services.inbox import EMAIL_SUBJECT_PREFIX

    assert isinstance(EMAIL_SUBJECT_PREFIX, Promise)
    assert str(EMAIL_SUBJECT_PREFIX) == "[造风者计划] "
