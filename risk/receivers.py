"""A ban or exit puts the providers linked to the one leaving on review at once.

providers sits below risk and must not import it, so risk listens for the decision record the
lifecycle service appends, and acts after the transaction commits (a refused or rolled-back
transition raises nothing).
"""

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from providers.models import DecisionRecord, LifecycleStatus

LEAVING = (LifecycleStatus.EXITED, LifecycleStatus.BANNED)


@receiver(post_save, sender=DecisionRecord, dispatch_uid="risk-linked-review")
def linked_review_on_leaving(sender, instance, created, **kwargs):
    if not created or instance.provider_id is None or instance.to_status not in LEAVING:
        return
    if instance.from_status in LEAVING:
        return  # exited → banned: its links were put on review when it first left
    provider_id = instance.provider_id

    def review():
        from risk.services.signals import linked_review

        linked_review(provider_id=provider_id)

    transaction.on_commit(review)
