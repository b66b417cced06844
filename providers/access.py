"""Who may see which providers: the one rule behind every provider-scoped page, endpoint and admin
list.

Staff holding a role see every provider, except a user whose only role is region manager, who sees
the providers of the regions in their staff profile and nothing else. A provider's user sees only
its own; anyone else sees none. Objects outside a user's scope are answered with 404, never 403,
so their existence is not revealed.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from django.db.models import Q, QuerySet

from providers.models import Provider, Region
from providers.roles import Role, user_roles


class ScopeKind(StrEnum):
    EVERYTHING = "everything"
    REGIONS = "regions"
    OWN = "own"
    NOTHING = "nothing"


@dataclass(frozen=True)
class ProviderScope:
    """The providers a user may see, and the reason in the kind."""

    kind: ScopeKind
    region_ids: frozenset[int] = frozenset()
    # For OWN: the providers meant, when the scope is built for one provider's figures.
    provider_ids: frozenset[int] = frozenset()

    @classmethod
    def program(cls) -> "ProviderScope":
        return cls(ScopeKind.EVERYTHING)

    @classmethod
    def regions(cls, region_ids) -> "ProviderScope":
        return cls(ScopeKind.REGIONS, frozenset(region_ids))

    @classmethod
    def provider(cls, provider_id: int) -> "ProviderScope":
        return cls(ScopeKind.OWN, provider_ids=frozenset({provider_id}))

    @property
    def cache_key(self) -> str:
        """A short stable text naming the scope, for cache keys."""
        ids = sorted(self.region_ids if self.by_region else self.provider_ids)
        return f"{self.kind}:{','.join(map(str, ids))}"

    def providers_q(self, lookup: str = "") -> Q:
        """A filter for rows linked to a provider through lookup ("" for providers themselves).

        A filter that matches nothing when the scope reaches no provider."""
        prefix = f"{lookup}__" if lookup else ""
        if self.everything:
            return Q()
        if self.by_region:
            return Q(**{f"{prefix}region_id__in": sorted(self.region_ids)})
        if self.kind == ScopeKind.OWN and self.provider_ids:
            return Q(
                **{
                    f"{prefix}pk__in" if not lookup else f"{lookup}_id__in": sorted(
                        self.provider_ids
                    )
                }
            )
        return Q(pk__in=[])

    @property
    def everything(self) -> bool:
        return self.kind == ScopeKind.EVERYTHING

    @property
    def by_region(self) -> bool:
        return self.kind == ScopeKind.REGIONS


def provider_scope(user) -> ProviderScope:
    """Roles add up: any role but region manager reads the whole program."""
    if not user.is_authenticated or not user.is_active:
        return ProviderScope(ScopeKind.NOTHING)
    roles = user_roles(user) if user.is_staff else set()
    if roles - {Role.REGION_MANAGER}:
        return ProviderScope(ScopeKind.EVERYTHING)
    if roles:
        return ProviderScope(ScopeKind.REGIONS, frozenset(regions_managed_by(user)))
    return ProviderScope(ScopeKind.OWN)


def regions_managed_by(user) -> list[int]:
    return list(
        Region.objects.filter(staff_profiles__user=user).values_list("pk", flat=True).distinct()
    )


def providers_visible_to(user) -> QuerySet[Provider]:
    scope = provider_scope(user)
    if scope.everything:
        return Provider.objects.all()
    if scope.by_region:
        return Provider.objects.filter(region_id__in=scope.region_ids)
    if scope.kind == ScopeKind.OWN:
        return Provider.objects.filter(memberships__user=user)
    return Provider.objects.none()


def staff_rows_visible_to(
    queryset: QuerySet,
    *,
    user,
    region_lookups: Iterable[str] = ("provider__region",),
    scope: ProviderScope | None = None,
) -> QuerySet:
    """The rows of a provider-linked queryset a staff user may see.

    region_lookups lead from the row to a region (for an application, its own region); a row
    is visible to a region manager when any of them is one of their regions. Users without a
    staff role see no rows at all.
    """
    scope = scope or provider_scope(user)
    if scope.everything:
        return queryset
    if scope.by_region:
        condition = Q()
        for lookup in region_lookups:
            condition |= Q(**{f"{lookup}__in": scope.region_ids})
        return queryset.filter(condition)
    return queryset.none()


def is_program_staff(user) -> bool:
    return bool(user.is_authenticated and user.is_active and user.is_staff and user_roles(user))
