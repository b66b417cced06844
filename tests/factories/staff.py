import factory

from providers.models import Region, StaffProfile
from providers.roles import Role
from tests.factories.providers import StaffUserFactory

__all__ = ["StaffProfileFactory", "region_manager"]


class StaffProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StaffProfile
        skip_postgeneration_save = True

    user = factory.SubFactory(StaffUserFactory, role=Role.REGION_MANAGER)

    @factory.post_generation
    def regions(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.regions.set(extracted)


def region_manager(*regions: Region, username: str = "region-manager"):
    """A staff user whose only role is region manager, covering `regions`."""
    return StaffProfileFactory(
        user=StaffUserFactory(username=username, role=Role.REGION_MANAGER), regions=list(regions)
    ).user
