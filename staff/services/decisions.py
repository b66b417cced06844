"""A reviewer's one-step decisions and bulk actions. No rule lives here: each call goes through
the service that owns the decision, which checks it, records it and notifies on commit."""

from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from providers.models import Application, ApplicationStatus, Provider
from providers.services.applications import application_decide, application_review_start
from providers.services.lifecycle import provider_warn


def application_review_and_decide(
    *, application: Application, by, approved: bool, reason: str
) -> Application:
    """Decides an application from the queue in one action: a pre-screened one is taken up for
    review first (its own record), then decided. Refusals come from the services.

    Both steps commit together: a second reviewer deciding the same application at once waits
    on its lock and is then told it is already decided, not that it cannot go from "under
    review" to "under review".
    """
    with transaction.atomic():
        if application.status == ApplicationStatus.PRESCREENED:
            application_review_start(application=application, by=by)
        return application_decide(application=application, by=by, approved=approved, reason=reason)


@dataclass(frozen=True)
class BulkOutcome:
    done: tuple[Provider, ...]
    refused: tuple[tuple[Provider, str], ...]  # provider and why


def providers_warn(*, providers: Iterable[Provider], reason: str, by) -> BulkOutcome:
    """Warns each provider through the lifecycle service; one refusal does not stop the rest."""
    done, refused = [], []
    for provider in providers:
        try:
            provider_warn(provider=provider, reason=reason, by=by)
        except (ValidationError, PermissionDenied) as exc:
            messages = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
            refused.append((provider, "；".join(str(m) for m in messages)))
        else:
            done.append(provider)
    return BulkOutcome(done=tuple(done), refused=tuple(refused))
