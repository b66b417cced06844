"""The audit history of program data in the admin, read-only and within the user's scope."""

from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404
from simple_history.admin import SimpleHistoryAdmin

from providers.access import provider_scope
from zaofeng.admin_refusals import ServiceRefusalsAsMessagesAdmin


class AuditHistoryAdmin(ServiceRefusalsAsMessagesAdmin, SimpleHistoryAdmin):
    """django-simple-history's history pages as a record only: no "revert".

    Changes to program data go through the services, which check the rules and write decision
    records; putting an old version back would bypass both. A service's refusal on save or in an
    action is shown as a message (ServiceRefusalsAsMessagesAdmin). A user narrowed to some regions sees
    the history of the objects they can see, never of those they cannot (simple-history would
    otherwise fall back to the latest historical copy of an object outside the queryset).
    """

    # simple-history's list with an empty change reason shown as "—" instead of "None".
    object_history_list_template = "admin/providers/object_history_list.html"

    def _visible_or_404(self, request, object_id) -> None:
        if provider_scope(request.user).everything:
            return
        if not self.get_queryset(request).filter(pk=unquote(object_id)).exists():
            raise Http404

    def history_view(self, request, object_id, extra_context=None):
        self._visible_or_404(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method != "GET":
            raise PermissionDenied
        self._visible_or_404(request, object_id)
        return super().history_form_view(request, object_id, version_id, extra_context)

    def revert_disabled(self, request, obj=None):
        return True
