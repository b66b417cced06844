"""The notifications inbox: decisions, warnings, deadlines and allocations, with unread counts."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from notifications.selectors import notification_for_user, notifications_inbox
from notifications.services import notification_mark_read, notifications_mark_all_read
from portal.access import portal_page

PAGE_SIZE = 20
MESSAGE_ALL_READ = _("已将 %(count)s 条通知标为已读。")


@portal_page(member_only=False)
def inbox(request):
    unread_only = request.GET.get("unread") == "1"
    page = Paginator(
        notifications_inbox(user=request.user, unread_only=unread_only), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    return render(request, "portal/notifications.html", {"page": page, "unread_only": unread_only})


@portal_page(member_only=False)
def notification_detail(request, pk: int):
    """Opening a notification reads it."""
    notification = notification_for_user(user=request.user, pk=pk)
    notification_mark_read(notification=notification, user=request.user)
    link = notification.link
    safe_link = link and url_has_allowed_host_and_scheme(
        link, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return render(
        request,
        "portal/notification_detail.html",
        {"notification": notification, "link": link if safe_link else ""},
    )


@require_POST
@portal_page(member_only=False)
def notification_read(request, pk: int):
    notification = notification_for_user(user=request.user, pk=pk)
    notification_mark_read(notification=notification, user=request.user)
    return redirect(_back(request))


@require_POST
@portal_page(member_only=False)
def notifications_read_all(request):
    count = notifications_mark_all_read(user=request.user)
    messages.success(request, MESSAGE_ALL_READ % {"count": count})
    return redirect(_back(request))


def _back(request) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return "portal:notifications"
