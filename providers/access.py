"""Who may see which providers: the one rule behind every provider-scoped page and endpoint.

Staff holding a role see every provider; a provider's user sees only its own; anyone else sees
none. Objects outside a user's scope are answered with 404, never 403, so their existence is not
revealed.
"""

from django.db.models import QuerySet

from providers.models import Provider
from providers.roles import user_roles


def providers_visible_to(user) -> QuerySet[Provider]:
    if not user.is_authenticated or not user.is_active:
        return Provider.objects.none()
    if user.is_staff and user_roles(user):
        return Provider.objects.all()
    return Provider.objects.filter(memberships__user=user)


def is_program_staff(user) -> bool:
    return bool(user.is_authenticated and user.is_active and user.is_staff and user_roles(user))
