"""Reads of the provider registry."""

from django.http import Http404

from providers.models import Membership, Provider


def membership_for_user(user) -> Membership | None:
    if not user.is_authenticated:
        return None
    return (
        Membership.objects.select_related("provider", "provider__region").filter(user=user).first()
    )


def provider_for_user(user) -> Provider:
    """The one provider a provider user belongs to; 404 for anyone without a membership."""
    membership = membership_for_user(user)
    if membership is None:
        raise Http404("No provider for this user.")
    return membership.provider
