"""Region scoping for the admin classes of provider-linked models (providers.access)."""

from providers.access import providers_visible_to, staff_rows_visible_to
from providers.models import Provider


class RegionScopedAdmin:
    """Mixin for a ModelAdmin or inline whose rows belong to a provider.

    A region manager sees, in lists, change pages, inlines and provider choices, only the rows
    of the providers of their regions; a row outside is a 404 like any missing row. Every other
    staff role is not narrowed. region_lookups lead from a row to a region.
    """

    region_lookups: tuple[str, ...] = ("provider__region",)

    def get_queryset(self, request):
        return staff_rows_visible_to(
            super().get_queryset(request), user=request.user, region_lookups=self.region_lookups
        )

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.related_model is Provider:
            kwargs["queryset"] = providers_visible_to(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
